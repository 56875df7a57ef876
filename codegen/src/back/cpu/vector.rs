//! Vector accesses ([`VectorOp`]) on the CPU: one bounds check for the whole vector, then its
//! lanes copied as an array (`[T; N]`, which LLVM moves as one 8- or 16-byte access where it
//! can). The race check reports each element.

use super::writer::{ident, Mode, Writer};
use crate::ir::*;
use proc_macro2::TokenStream;
use quote::quote;

impl Writer<'_> {
    /// The statement for `op`.
    pub(super) fn vector_stmt(&self, op: &VectorOp, mode: Mode) -> TokenStream {
        let k = self.kernel;
        let n = op.width() as usize;
        let width = op.width();
        let store = matches!(op, VectorOp::Store { .. });
        let i = self.expr(op.index(), mode);
        // `SliceView::{load,store}_vec` or `rt::{load,store}_vec_at`, the array's name last; a
        // store passes the values, `kf_vec`.
        let access = match op.mem() {
            Memory::Slice(p) => {
                let s = ident(&k.param(p).name);
                match store {
                    false => quote!(#s.load_vec::<#n>(kf_ix)?),
                    true => quote!(#s.store_vec::<#n>(kf_ix, kf_vec)?),
                }
            }
            Memory::Array(a) => {
                let name = &k.array(a).name;
                let place = self.array_place(a, mode);
                match store {
                    false => quote!(rt::load_vec_at::<_, #n>(&#place, kf_ix, #name)?),
                    true => quote!(rt::store_vec_at::<_, #n>(&mut #place, kf_ix, kf_vec, #name)?),
                }
            }
        };
        let target = self.reported(op.mem());
        // Each element, at the line of the index (a load) or of the value (a store).
        let reports: TokenStream = target
            .into_iter()
            .flat_map(|t| {
                (0..n).map(move |e| {
                    let at = match op {
                        VectorOp::Load { .. } => op.index(),
                        VectorOp::Store { values, .. } => values[e],
                    };
                    let e32 = e as u32;
                    let r = self.report(t, quote!((kf_ix * #width + #e32)), store, mode, at);
                    match store {
                        false => r,
                        true => quote!({ let kf_v = kf_vec[#e]; #r }),
                    }
                })
            })
            .collect();
        match op {
            VectorOp::Load { lanes, .. } => {
                let assigns = lanes.iter().enumerate().map(|(e, &l)| {
                    let place = self.assign_place(l, mode);
                    quote!(#place = kf_vec[#e];)
                });
                quote!({
                    let kf_ix: u32 = #i;
                    let kf_vec = #access;
                    #reports
                    #(#assigns)*
                })
            }
            VectorOp::Store { values, .. } => {
                // Index, then values, as for a scalar store.
                let vs = values.iter().map(|&v| self.expr(v, mode));
                quote!({
                    let kf_ix: u32 = #i;
                    let kf_vec = [#(#vs),*];
                    #access;
                    #reports
                })
            }
        }
    }
}
