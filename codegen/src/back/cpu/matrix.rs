//! Matrix tiles on the CPU (`ir::matrix`): a fragment is a `[f32; 256]` per subgroup,
//! `kf_m_<name>[kf_sg]`, declared with the workgroup's state; an operation runs once per
//! subgroup, like a subgroup operation, with its operands (uniform across the subgroup) read at
//! the subgroup's first lane, and `rt::matrix` does the work: loads and stores checked once per
//! tile, and a register-blocked 16 x 16 x 16 micro-kernel chosen by `kf_level`.
//!
//! The operations order nothing: a fragment loaded from memory that other lanes wrote needs a
//! barrier in between, as on CUDA (the race check reports the access otherwise).

use super::checked::Target;
use super::group::Plan;
use super::writer::{ident, Mode, Writer};
use crate::ir::*;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// `kf_m_<name>`: the array holding a fragment, one tile per subgroup.
pub(super) fn fragments(name: &str) -> proc_macro2::Ident {
    format_ident!("kf_m_{}", ident(name))
}

impl Writer<'_> {
    /// The declarations of the kernel's fragments, with the workgroup's state.
    pub(super) fn matrix_decls(&self) -> Vec<TokenStream> {
        let groups = self.kernel.invocations_per_group().div_ceil(32) as usize;
        self.kernel
            .matrices
            .values()
            .map(|m| {
                let n = fragments(&m.name);
                quote!(let mut #n: [rt::matrix::Tile; #groups] = [[0.0f32; 256]; #groups];)
            })
            .collect()
    }

    /// Consecutive matrix operations of a group block, in one loop over the subgroups (only
    /// the current one inside a statement run per subgroup), so that each subgroup's fragments
    /// stay in cache from one to the next.
    pub(super) fn matrix_run(&self, plan: &Plan<'_>, ops: &[&MatrixOp]) -> TokenStream {
        if ops.is_empty() {
            return TokenStream::new();
        }
        if plan.sub.get() {
            return ops.iter().map(|op| self.matrix_op(op, None)).collect();
        }
        let count = self.kernel.invocations_per_group().div_ceil(32) as usize;
        let shared: Vec<bool> = (0..ops.len())
            .map(|i| !self.checked && count > 1 && shareable(ops, i))
            .collect();
        let memos = shared
            .iter()
            .enumerate()
            .filter(|(_, s)| **s)
            .map(|(i, _)| {
                let m = format_ident!("kf_memo{i}");
                quote!(let mut #m: [Option<(u32, u32, bool)>; #count] = [None; #count];)
            });
        let memos: TokenStream = memos.collect();
        let run = self.each_subgroup(plan, false, || {
            ops.iter()
                .enumerate()
                .map(|(i, op)| self.matrix_op(op, shared[i].then_some(i)))
                .collect::<TokenStream>()
        });
        quote!(#memos #run)
    }

    /// `op` for subgroup `kf_sg`, whose first lane is `kf_inv`; `memo`: the number of a load
    /// that takes the tile from an earlier subgroup of the run that loaded the same place
    /// (see [`shareable`]).
    fn matrix_op(&self, op: &MatrixOp, memo: Option<usize>) -> TokenStream {
        let k = self.kernel;
        let frag = |m: MatrixId| {
            let n = fragments(&k.matrix(m).name);
            quote!(#n[kf_sg as usize])
        };
        match op {
            MatrixOp::Fill { matrix, value } => {
                let (t, v) = (frag(*matrix), self.expr(*value, Mode::ITEM));
                quote!(rt::matrix::fill(&mut #t, #v);)
            }
            MatrixOp::Mma { acc, a, b } => {
                let (c, a, b) = (frag(*acc), frag(*a), frag(*b));
                quote!(rt::matrix::mma(kf_level, &mut #c, &#a, &#b);)
            }
            MatrixOp::Load { matrix, place } | MatrixOp::Store { matrix, place } => {
                let store = matches!(op, MatrixOp::Store { .. });
                let t = frag(*matrix);
                let (f, t) = if store {
                    ("store", quote!(&#t))
                } else {
                    ("load", quote!(&mut #t))
                };
                // `rt::matrix::{load, store}_{slice, array}`, an array's name last.
                let call = match place.mem {
                    Memory::Slice(p) => {
                        let (f, s) = (format_ident!("{f}_slice"), ident(&k.param(p).name));
                        quote!(rt::matrix::#f(#t, #s, kf_o, kf_s, kf_col)?;)
                    }
                    Memory::Array(a) => {
                        let (f, name) = (format_ident!("{f}_array"), &k.array(a).name);
                        let arr = ident(name);
                        let arr = if store {
                            quote!(&mut #arr[..])
                        } else {
                            quote!(&#arr[..])
                        };
                        quote!(rt::matrix::#f(#t, #arr, kf_o, kf_s, kf_col, #name)?;)
                    }
                };
                let call = match memo {
                    // The earlier subgroup's tile still holds what memory holds: `shareable`.
                    Some(i) => {
                        let (m, n) = (
                            format_ident!("kf_memo{i}"),
                            fragments(&k.matrix(*matrix).name),
                        );
                        quote! {
                            let kf_key = Some((kf_o, kf_s, kf_col));
                            match #m[..kf_sg as usize].iter().position(|kf_p| *kf_p == kf_key) {
                                Some(kf_j) => #n[kf_sg as usize] = #n[kf_j],
                                None => { #call }
                            }
                            #m[kf_sg as usize] = kf_key;
                        }
                    }
                    None => call,
                };
                let access = self.matrix_access(k.matrix(*matrix).role, place, call, store);
                if store && self.checked {
                    // The values written, for the race check's record.
                    let t = frag(*matrix);
                    quote!({ let kf_t: &rt::matrix::Tile = &#t; #access })
                } else {
                    access
                }
            }
        }
    }

    /// A load or store `call` with `kf_o`, `kf_s` and `kf_col` bound, followed in the
    /// checked version by a report of each element it touched (`write`: with `kf_t`'s
    /// values), made by the subgroup.
    fn matrix_access(
        &self,
        role: MatrixRole,
        place: &MatrixPlace,
        call: TokenStream,
        write: bool,
    ) -> TokenStream {
        let MatrixPlace {
            mem,
            offset,
            stride,
            layout,
        } = *place;
        let (o, s) = (self.expr(offset, Mode::ITEM), self.expr(stride, Mode::ITEM));
        let col = match layout {
            Layout::RowMajor => quote!(false),
            Layout::ColMajor => quote!(true),
            Layout::ColMajorIf(c) => self.expr(c, Mode::ITEM),
        };
        let role = match role {
            MatrixRole::Acc => 0u32,
            MatrixRole::A => 1,
            MatrixRole::B => 2,
        };
        let report = match mem {
            _ if !self.checked => None,
            Memory::Slice(p) => Some(Target::Slice(u32::from(p.into_raw()) as usize)),
            Memory::Array(a) if self.reports_array(a) => {
                Some(Target::Array(&self.kernel.array(a).name))
            }
            Memory::Array(_) => None,
        }
        .map(|target| {
            let r = self.report_as(target, quote!(kf_ix), write, quote!(kf_who), offset);
            let v = write.then(|| quote!(let kf_v: f32 = kf_t[kf_e];));
            quote! {
                for kf_e in 0..256usize {
                    let kf_ix: u32 = rt::matrix::index(kf_o, kf_s, kf_col, kf_e);
                    let kf_who: u32 = rt::race::matrix_of(kf_sg, #role, kf_e as u32);
                    #v
                    #r
                }
            }
        });
        quote!({
            let (kf_o, kf_s, kf_col): (u32, u32, bool) = (#o, #s, #col);
            #call
            #report
        })
    }
}

/// Whether load `ops[i]` of a run may take its tile from an earlier subgroup's load of the same
/// place (offset, stride, layout) in the same run, instead of reading memory again: where warps
/// share operands (two warps of a row of tiles load the same A tile), a copy of a contiguous
/// 1 KiB tile replaces a gather of 16 rows a stride apart, which on the CPU costs about as much
/// as the product. It may when nothing else in the run writes the fragment (so the earlier
/// subgroup's copy still holds what it loaded) or the memory (so memory still holds it): a run
/// holds only tile operations, so only its stores could.
fn shareable(ops: &[&MatrixOp], i: usize) -> bool {
    let MatrixOp::Load { matrix, place } = ops[i] else {
        return false;
    };
    ops.iter().enumerate().all(|(j, op)| match op {
        MatrixOp::Store { place: p, .. } => p.mem != place.mem,
        other => j == i || other.target() != *matrix,
    })
}
