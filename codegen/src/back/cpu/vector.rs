//! Vector accesses ([`VectorOp`]) on the CPU: one bounds check for the whole vector, then its
//! lanes copied as an array (`[T; N]`, which LLVM moves as one 8- or 16-byte access where it
//! can). The race check reports each element.

use super::checked::Target;
use super::writer::{ident, Mode, Writer};
use crate::ir::*;
use proc_macro2::TokenStream;
use quote::quote;

impl Writer<'_> {
    /// The statement for `op`.
    pub(super) fn vector_stmt(&self, op: &VectorOp, mode: Mode) -> TokenStream {
        let k = self.kernel;
        let n = op.width() as usize;
        let i = self.expr(op.index(), mode);
        let target = match op.mem() {
            Memory::Slice(p) => self
                .checked
                .then(|| Target::Slice(u32::from(p.into_raw()) as usize)),
            Memory::Array(a) if self.reports_array(a) => Some(Target::Array(&k.array(a).name)),
            Memory::Array(_) => None,
        };
        let width = n as u32;
        match op {
            VectorOp::Load { mem, lanes, .. } => {
                let load = match *mem {
                    Memory::Slice(p) => {
                        let s = ident(&k.param(p).name);
                        quote!(#s.load_vec::<#n>(kf_ix)?)
                    }
                    Memory::Array(a) => {
                        let name = &k.array(a).name;
                        let place = self.array_place(a, mode);
                        quote!(rt::load_vec_at::<_, #n>(&#place, kf_ix, #name)?)
                    }
                };
                let reports = match target {
                    Some(t) => {
                        let at = op.index();
                        (0..width)
                            .map(|e| self.report(t, quote!((kf_ix * #width + #e)), false, mode, at))
                            .collect()
                    }
                    None => TokenStream::new(),
                };
                let assigns = lanes.iter().enumerate().map(|(e, &l)| {
                    let place = self.assign_place(l, mode);
                    quote!(#place = kf_vec[#e];)
                });
                quote!({
                    let kf_ix: u32 = #i;
                    let kf_vec = #load;
                    #reports
                    #(#assigns)*
                })
            }
            VectorOp::Store { mem, values, .. } => {
                // Index, then values, as for a scalar store.
                let vs = values.iter().map(|&v| self.expr(v, mode));
                let store = match *mem {
                    Memory::Slice(p) => {
                        let s = ident(&k.param(p).name);
                        quote!(#s.store_vec::<#n>(kf_ix, kf_vec)?;)
                    }
                    Memory::Array(a) => {
                        let name = &k.array(a).name;
                        let place = self.array_place(a, mode);
                        quote!(rt::store_vec_at::<_, #n>(&mut #place, kf_ix, kf_vec, #name)?;)
                    }
                };
                let reports: TokenStream = match target {
                    Some(t) => values
                        .iter()
                        .enumerate()
                        .map(|(e, &v)| {
                            let e32 = e as u32;
                            let r = self.report(t, quote!((kf_ix * #width + #e32)), true, mode, v);
                            quote!({ let kf_v = kf_vec[#e]; #r })
                        })
                        .collect(),
                    None => TokenStream::new(),
                };
                quote!({
                    let kf_ix: u32 = #i;
                    let kf_vec = [#(#vs),*];
                    #store
                    #reports
                })
            }
        }
    }
}
