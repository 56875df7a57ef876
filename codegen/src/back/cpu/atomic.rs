//! Atomic operations ([`Stmt::Atomic`]) as Rust. Atomic slices are Rust atomics shared by
//! every rayon task (`AtomicU32`, `AtomicI32`, and the runtime's `AtomicF32`, whose arithmetic
//! is a compare-exchange loop on the bits); workgroup arrays are plain memory, because a
//! workgroup runs on one task.

use super::writer::{ident, Mode, Writer};
use crate::ir::*;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

impl Writer<'_> {
    /// An atomic operation on a slice: Rust's atomics, relaxed, shared by every rayon task.
    pub(super) fn atomic_slice(
        &self,
        slice: ParamId,
        index: ExprId,
        op: AtomicOp,
        args: &[ExprId],
        mode: Mode,
    ) -> TokenStream {
        let n = ident(&self.kernel.param(slice).name);
        let i = self.expr(index, mode);
        let a: Vec<TokenStream> = args.iter().map(|&a| self.expr(a, mode)).collect();
        let cell = quote!(#n.atomic(#i)?);
        match op {
            AtomicOp::Load => quote!(#cell.load(rt::Relaxed)),
            AtomicOp::Store => quote!(#cell.store(#(#a)*, rt::Relaxed)),
            AtomicOp::CompareExchange => {
                let (cur, new) = (&a[0], &a[1]);
                quote!(match #cell.compare_exchange(#cur, #new, rt::Relaxed, rt::Relaxed) {
                    Ok(kf_v) | Err(kf_v) => kf_v,
                })
            }
            _ => {
                let m = format_ident!("{}", op.method());
                quote!(#cell.#m(#(#a)*, rt::Relaxed))
            }
        }
    }

    /// An atomic operation on a workgroup array. A workgroup runs on one rayon task, one
    /// invocation at a time, so a plain read-modify-write is atomic among its invocations.
    pub(super) fn atomic_array(
        &self,
        array: ArrayId,
        index: ExprId,
        op: AtomicOp,
        args: &[ExprId],
        mode: Mode,
    ) -> TokenStream {
        let name = &self.kernel.array(array).name;
        let place = self.array_place(array, mode);
        let i = self.expr(index, mode);
        let a: Vec<TokenStream> = args.iter().map(|&a| self.expr(a, mode)).collect();
        let float = self.info.array_elem(array).is_float();
        let f = match op {
            AtomicOp::Load => return quote!(rt::load_at(&#place, #i, #name)?),
            AtomicOp::Store => {
                let v = &a[0];
                return quote!({
                    let kf_i: u32 = #i;
                    let kf_v = #v;
                    rt::store_at(&mut #place, kf_i, kf_v, #name)?
                });
            }
            AtomicOp::Add if float => quote!(|kf_old, kf_v| kf_old + kf_v),
            AtomicOp::Sub if float => quote!(|kf_old, kf_v| kf_old - kf_v),
            AtomicOp::Min if float => quote!(|kf_old: f32, kf_v| kf_old.min(kf_v)),
            AtomicOp::Max if float => quote!(|kf_old: f32, kf_v| kf_old.max(kf_v)),
            AtomicOp::Add => quote!(|kf_old, kf_v| kf_old.wrapping_add(kf_v)),
            AtomicOp::Sub => quote!(|kf_old, kf_v| kf_old.wrapping_sub(kf_v)),
            AtomicOp::Min => quote!(|kf_old, kf_v| ::core::cmp::min(kf_old, kf_v)),
            AtomicOp::Max => quote!(|kf_old, kf_v| ::core::cmp::max(kf_old, kf_v)),
            AtomicOp::And => quote!(|kf_old, kf_v| kf_old & kf_v),
            AtomicOp::Or => quote!(|kf_old, kf_v| kf_old | kf_v),
            AtomicOp::Xor => quote!(|kf_old, kf_v| kf_old ^ kf_v),
            AtomicOp::Exchange => quote!(|_, kf_v| kf_v),
            AtomicOp::CompareExchange => {
                let (cur, new) = (&a[0], &a[1]);
                // Floats compare bits, as `AtomicF32::compare_exchange` and CUDA do.
                let same = if float {
                    quote!(kf_old.to_bits() == kf_c.to_bits())
                } else {
                    quote!(kf_old == kf_c)
                };
                return quote!({
                    let kf_i: u32 = #i;
                    let (kf_c, kf_n) = (#cur, #new);
                    rt::update_at(&mut #place, kf_i, kf_n, #name, |kf_old, kf_n| {
                        if #same { kf_n } else { kf_old }
                    })?
                });
            }
        };
        let v = &a[0];
        quote!({
            let kf_i: u32 = #i;
            let kf_v = #v;
            rt::update_at(&mut #place, kf_i, kf_v, #name, #f)?
        })
    }
}
