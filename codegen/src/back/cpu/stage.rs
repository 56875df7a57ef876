//! Staging of `f16` slices through `f32` buffers in the elementwise loop.
//!
//! Stable Rust has no `f16` type LLVM can vectorise a conversion of, and the branch-free
//! conversions an element costs (a dozen vector operations to round) made f16 arithmetic
//! compute-bound at under half the f32 kernel's GB/s. So the fast path of an elementwise kernel
//! (see `proc::linear`) takes its chunk in blocks of `rt::F16_BLOCK` invocations:
//!
//! ```text
//! widen x[b..b+n] into kf_s_x               (vcvtph2ps, 16 an instruction)
//! for k in 0..n { i = b + k; BODY }         x[i] as f32 reads kf_s_x[k]; y[i] = e as f16 writes kf_s_y[k] = e
//! narrow kf_s_y into y[b..b+n]              (vcvtps2ph)
//! ```
//!
//! with the conversions in the runtime (`cpu_rt/half_blocks.rs`), bit-identical with the
//! element-wise ones. Results are unchanged because:
//! - an *input* slice has every access at `i` and every load widened by a cast
//!   (`x[i] as f32`, `x[i] as f64`, ...): the buffer holds the exact `f32` value of each element,
//!   and a cast from it gives what a cast from the `f16` gives. A load used as an `f16` value
//!   (`y[i] = x[i]`) keeps the slice: a round trip through `f32` would make a signalling NaN
//!   quiet. A slice that is also stored is an input only if it is an output too.
//! - an *output* slice has exactly one store, a statement of the body's top level (so it runs
//!   once for every invocation of the block), of `e as f16` with `e` an `f32`, and nothing after
//!   that store reads the slice; narrowing `e` later rounds it as the cast would. The store is
//!   delayed to the block's end, which nobody can observe because nothing in the body can fault
//!   or leave early: every slice access is at `i` (checked for the chunk), and there is no
//!   `return`, atomic or subgroup operation.
//!
//! `bf16` is not staged: its widening is a shift and its rounding five operations, and its
//! kernels already run at the f32 kernel's GB/s.

use super::writer::ident;
use crate::ir::*;
use crate::proc::linear::Linear;
use crate::valid::Info;
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

/// The staged slices of an elementwise kernel.
#[derive(Debug, Default)]
pub(super) struct Stage {
    /// Read through `kf_s_<name>`, widened at the start of each block.
    inputs: Vec<ParamId>,
    /// Written to `kf_s_<name>`, narrowed at the end of each block.
    outputs: Vec<ParamId>,
}

impl Stage {
    /// The slices of `lin`'s body that can be staged (see the module docs); `None` when none.
    pub(super) fn analyse(k: &Kernel, info: &Info, lin: &Linear<'_>) -> Option<Stage> {
        let body = lin.body;
        let at_i = |e: ExprId| *k.expr(e) == Expr::Local(lin.index);
        let mut all_at_i = true;
        walk_slice_accesses(k, body, &mut |_, idx| all_at_i &= at_i(idx));
        let mut leaves = false;
        walk_stmts(body, &mut |s| {
            leaves |= matches!(
                s,
                Stmt::Return | Stmt::Atomic { .. } | Stmt::Subgroup { .. } | Stmt::Matrix(_)
            )
        });
        let may_delay = all_at_i && !leaves;
        let mut stage = Stage::default();
        for (p, param) in k.params.iter() {
            let ParamKind::Slice {
                elem: Scalar::F16, ..
            } = param.kind
            else {
                continue;
            };
            let mut only_at_i = true;
            let mut loads = 0usize;
            let mut widened = 0usize;
            walk_slice_accesses(k, body, &mut |s, idx| only_at_i &= s != p || at_i(idx));
            walk_exprs(k, body, &mut |e| match *k.expr(e) {
                Expr::Load { slice, .. } if slice == p => loads += 1,
                Expr::Cast { expr, to } if to != Scalar::F16 => {
                    if matches!(*k.expr(expr), Expr::Load { slice, .. } if slice == p) {
                        widened += 1;
                    }
                }
                _ => {}
            });
            if !only_at_i {
                continue;
            }
            let mut stores = 0usize;
            walk_stmts(body, &mut |s| {
                stores += matches!(s, Stmt::Store { slice, .. } if *slice == p) as usize
            });
            let output = may_delay && stores == 1 && Self::single_store(k, info, body, p);
            if loads > 0 && loads == widened && (output || stores == 0) {
                stage.inputs.push(p);
            }
            if output {
                stage.outputs.push(p);
            }
        }
        (!stage.inputs.is_empty() || !stage.outputs.is_empty()).then_some(stage)
    }

    /// Whether `p`'s store (its only one) is a top-level statement of `body` storing `e as f16`
    /// with `e` an `f32`, and no later statement uses `p`.
    fn single_store(k: &Kernel, info: &Info, body: &[Stmt], p: ParamId) -> bool {
        let Some(at) = body
            .iter()
            .position(|s| matches!(s, Stmt::Store { slice, .. } if *slice == p))
        else {
            return false;
        };
        let Stmt::Store { value, .. } = body[at] else {
            return false;
        };
        let narrowed = matches!(*k.expr(value), Expr::Cast { expr, to: Scalar::F16 }
            if info.ty(expr) == Scalar::F32);
        let mut used_later = false;
        walk_slice_accesses(k, &body[at + 1..], &mut |s, _| used_later |= s == p);
        narrowed && !used_later
    }

    /// `kf_s_<name>[kf_k]` for a load of `slice` widened by a cast, if `slice` is an input.
    pub(super) fn input(&self, k: &Kernel, load: ExprId) -> Option<TokenStream> {
        match *k.expr(load) {
            Expr::Load { slice, .. } if self.inputs.contains(&slice) => {
                let b = buffer(k, slice);
                Some(quote!(#b[kf_k]))
            }
            _ => None,
        }
    }

    /// For a store to an output slice: the buffer and the `f32` value `e` of `value = e as f16`.
    pub(super) fn output(
        &self,
        k: &Kernel,
        slice: ParamId,
        value: ExprId,
    ) -> Option<(Ident, ExprId)> {
        match *k.expr(value) {
            Expr::Cast { expr, .. } if self.outputs.contains(&slice) => {
                Some((buffer(k, slice), expr))
            }
            _ => None,
        }
    }

    /// The blocked loop around `body`, the statements of one invocation `kf_inv` (`index`
    /// bound to it) written with this stage.
    pub(super) fn block_loop(&self, k: &Kernel, index: LocalId, body: TokenStream) -> TokenStream {
        let mut slices = self.inputs.clone();
        slices.extend(self.outputs.iter().filter(|p| !self.inputs.contains(p)));
        let buffers = slices.iter().map(|&p| buffer(k, p));
        let widen = self.inputs.iter().map(|&p| {
            let (n, b) = (ident(&k.param(p).name), buffer(k, p));
            quote!(unsafe { rt::widen_f16(kf_level, #n, kf_b, &mut #b[..kf_n]) };)
        });
        let narrow = self.outputs.iter().map(|&p| {
            let (n, b) = (ident(&k.param(p).name), buffer(k, p));
            quote!(unsafe { rt::narrow_f16(kf_level, &#b[..kf_n], #n, kf_b) };)
        });
        let i = ident(&k.local(index).name);
        quote! {
            // f16 slices staged through f32 buffers, converted a block at a time.
            #(let mut #buffers = [0.0f32; rt::F16_BLOCK];)*
            let mut kf_b: u32 = kf_lo;
            while kf_b < kf_hi {
                let kf_n: usize = ::core::cmp::min(kf_hi - kf_b, rt::F16_BLOCK as u32) as usize;
                // SAFETY: the chunk checked `hi <= len` for these slices, and `b + n <= hi`;
                // outputs are `&mut` parameters.
                #(#widen)*
                for kf_k in 0..kf_n {
                    let kf_inv: u32 = kf_b + kf_k as u32;
                    let #i: u32 = kf_inv;
                    #body
                }
                #(#narrow)*
                kf_b += kf_n as u32;
            }
        }
    }
}

/// The staging buffer of `slice`.
fn buffer(k: &Kernel, slice: ParamId) -> Ident {
    format_ident!("kf_s_{}", ident(&k.param(slice).name))
}
