//! The race-checked version of a kernel (`Options::checked`): the same lowering without the
//! fast forms, every access of a storage buffer or workgroup array reported to the runtime's
//! race check (`cpu_rt::race`) with the invocation that made it and its source line, barriers
//! and subgroup operations reported as the epochs that order them. Private arrays and atomics
//! are not reported: they do not race.

use super::writer::{Ctx, Ids, Mode, Writer};
use crate::ir::{ExprId, Space};
use proc_macro2::TokenStream;
use quote::quote;

/// What an access reports: the buffer (slice parameter number) or the workgroup array.
#[derive(Clone, Copy)]
pub(super) enum Target<'n> {
    Slice(usize),
    Array(&'n str),
}

impl Writer<'_> {
    /// Whether accesses of array `a` are reported (workgroup arrays, in the checked version).
    pub(super) fn reports_array(&self, a: crate::ir::ArrayId) -> bool {
        self.checked && self.kernel.array(a).space == Space::Workgroup
    }

    /// What an access of `mem` reports in the checked version: a slice parameter always, a
    /// workgroup array as [`Self::reports_array`] says; `None` when nothing is reported.
    pub(super) fn reported(&self, mem: crate::ir::Memory) -> Option<Target<'_>> {
        use crate::ir::Memory;
        match mem {
            Memory::Slice(p) => self
                .checked
                .then(|| Target::Slice(u32::from(p.into_raw()) as usize)),
            Memory::Array(a) if self.reports_array(a) => {
                Some(Target::Array(&self.kernel.array(a).name))
            }
            Memory::Array(_) => None,
        }
    }

    /// The invocation word of the code being written (`cpu_rt::race`): the local linear id in
    /// a work-item loop or a one-invocation-at-a-time body, every invocation in code run once
    /// per workgroup, the subgroup's lanes in code run once per subgroup.
    fn who(&self, mode: Mode) -> TokenStream {
        let [wx, wy, _] = self.kernel.workgroup_size;
        match (mode.ctx, mode.ids) {
            (Ctx::Item, _) => quote!(kf_inv),
            (Ctx::Group, _) => quote!(rt::race::ALL),
            (Ctx::Sub, _) => quote!(rt::race::subgroup_of(kf_sg)),
            (Ctx::Plain, Ids::Linear) => quote!((kf_inv % #wx)),
            (Ctx::Plain, Ids::General) => quote!((kf_lx + #wx * (kf_ly + #wy * kf_lz))),
        }
    }

    /// The source line of `e` (0 where the compiler gives none).
    fn line(&self, e: ExprId) -> u32 {
        self.kernel.span(e).start().line as u32
    }

    /// The report of an access of element `index` (a `u32` in scope) of `target` by the code
    /// of `mode`, at the line of `at`; a write reports the value `kf_v` in scope. Written after
    /// the access, so that an index out of bounds is reported as such first.
    pub(super) fn report(
        &self,
        target: Target<'_>,
        index: TokenStream,
        write: bool,
        mode: Mode,
        at: ExprId,
    ) -> TokenStream {
        self.report_as(target, index, write, self.who(mode), at)
    }

    /// [`report`](Self::report) with the invocation word `who` given.
    pub(super) fn report_as(
        &self,
        target: Target<'_>,
        index: TokenStream,
        write: bool,
        who: TokenStream,
        at: ExprId,
    ) -> TokenStream {
        let t = match target {
            Target::Slice(p) => {
                let p = p as u32;
                quote!(rt::race::Target::Slice(#p))
            }
            Target::Array(name) => quote!(rt::race::Target::Array(#name)),
        };
        let line = self.line(at);
        if write {
            quote!(kf_chk.write(#t, #index, #who, #line, kf_v)?;)
        } else {
            quote!(kf_chk.read(#t, #index, #who, #line)?;)
        }
    }

    /// A barrier in the checked version: the epoch it starts.
    pub(super) fn report_barrier(&self, b: crate::ir::Barrier, mode: Mode) -> TokenStream {
        use crate::ir::Barrier;
        match (b, mode.ctx) {
            (Barrier::Full, _) => quote!(kf_chk.barrier(true);),
            (Barrier::Workgroup, _) => quote!(kf_chk.barrier(false);),
            (Barrier::Subgroup, Ctx::Sub) => quote!(kf_chk.subgroup(kf_sg);),
            (Barrier::Subgroup, Ctx::Item) => quote!(kf_chk.subgroup(kf_inv / 32u32);),
            (Barrier::Subgroup, _) => quote!(kf_chk.subgroup(rt::race::ALL);),
        }
    }

    /// The checked module around the chunk body `arms` (the `match kf_chunk` of the plain
    /// version): no instruction-set dispatch, a checker per task.
    pub(super) fn checked_module(
        &self,
        fields: &[TokenStream],
        inits: &[TokenStream],
        names: &[proc_macro2::Ident],
        run: TokenStream,
        arms: TokenStream,
    ) -> TokenStream {
        let rt = &self.rt;
        quote! {
            #[allow(warnings, clippy::all, clippy::pedantic, unused_labels, unused_parens)]
            mod __cpu_checked {
                use #rt as rt;

                #[derive(Clone, Copy)]
                struct Params { #(#fields,)* }

                pub(super) fn run(kf_launch: &rt::Launch, kf_args: &rt::Args) -> Result<(), rt::Fault> {
                    let kf_params = Params { #(#inits,)* };
                    kf_launch.#run(&|kf_chunk| chunk_body(kf_params, kf_launch, kf_chunk))
                }

                fn chunk_body(kf_params: Params, kf_launch: &rt::Launch, kf_chunk: rt::Chunk) -> Result<(), rt::Fault> {
                    let kf_level = rt::SimdLevel::Baseline;
                    let kf_chk = rt::race::Checker::new(kf_launch.races());
                    let Params { #(#names,)* } = kf_params;
                    let kf_groups: [u32; 3] = kf_launch.groups();
                    #arms
                    Ok(())
                }
            }
        }
    }
}
