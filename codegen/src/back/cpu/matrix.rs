//! Matrix tiles on the CPU (`ir::matrix`): a fragment is one per subgroup, `kf_m_<name>[kf_sg]`,
//! declared with the workgroup's state: an accumulator an `rt::matrix::Tile` (`[f32; 256]`),
//! an A or B fragment an `rt::matrix::Operand` (a tile, or the place of an `f32` tile in a
//! read-only slice, read in place). An operation runs once per subgroup, like a subgroup
//! operation, with its operands (uniform across the subgroup) read at the subgroup's first
//! lane, and `rt::matrix` does the work: loads and stores checked once per tile, and a
//! register-blocked 16 x 16 x 16 micro-kernel chosen by `kf_level`.
//!
//! The operations order nothing: a fragment loaded from memory that other lanes wrote needs a
//! barrier in between, as on CUDA (the race check reports the access otherwise).

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
                match m.role {
                    MatrixRole::Acc => {
                        quote!(let mut #n: [rt::matrix::Tile; #groups] = [[0.0f32; 256]; #groups];)
                    }
                    MatrixRole::A | MatrixRole::B => quote! {
                        let mut #n: [rt::matrix::Operand; #groups] =
                            [rt::matrix::Operand::ZERO; #groups];
                    },
                }
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
            return self.matrix_ops(ops, &vec![Share::No; ops.len()]);
        }
        let count = self.kernel.invocations_per_group().div_ceil(32) as usize;
        let share: Vec<Share> = (0..ops.len())
            .map(|i| match ops[i] {
                _ if self.checked || count == 1 || !shareable(ops, i) => Share::No,
                MatrixOp::Load { matrix, .. } if run_local(self.kernel, ops, i, *matrix) => {
                    Share::Alias
                }
                _ => Share::Copy,
            })
            .collect();
        let mut decls = TokenStream::new();
        for (i, s) in share.iter().enumerate() {
            if *s != Share::No {
                let m = format_ident!("kf_memo{i}");
                decls.extend(
                    quote!(let mut #m: [Option<(u32, u32, bool)>; #count] = [None; #count];),
                );
            }
            if *s == Share::Alias {
                let a = format_ident!("kf_alias{i}");
                decls.extend(quote!(let mut #a: [usize; #count] = [0; #count];));
            }
        }
        let run = self.each_subgroup(plan, false, || self.matrix_ops(ops, &share));
        quote!(#decls #run)
    }

    /// `ops` for subgroup `kf_sg`, in order, two products that share their left operand as
    /// one `rt::matrix::mma_pair` (see [`paired`]); `share[i]`: whether and how load `i` takes
    /// its tile from an earlier subgroup (see [`Share`]).
    fn matrix_ops(&self, ops: &[&MatrixOp], share: &[Share]) -> TokenStream {
        // Fragments read through an alias: those of the run's `Share::Alias` loads.
        let aliased = |m: MatrixId| {
            ops.iter()
                .zip(share)
                .enumerate()
                .find_map(|(i, (op, s))| match op {
                    MatrixOp::Load { matrix, .. } if *matrix == m && *s == Share::Alias => {
                        Some(format_ident!("kf_alias{i}"))
                    }
                    _ => None,
                })
        };
        let frag = |m: MatrixId| {
            let n = fragments(&self.kernel.matrix(m).name);
            match aliased(m) {
                Some(a) => quote!(#n[#a[kf_sg as usize]]),
                None => quote!(#n[kf_sg as usize]),
            }
        };
        let mut out = TokenStream::new();
        let mut i = 0;
        while i < ops.len() {
            if let Some((c0, c1, a, b0, b1)) = paired(ops, i) {
                let (c0, c1, a, b0, b1) = (frag(c0), frag(c1), frag(a), frag(b0), frag(b1));
                out.extend(
                    quote!(rt::matrix::mma_pair(kf_level, &mut #c0, &mut #c1, &#a, &#b0, &#b1);),
                );
                i += 2;
            } else {
                out.extend(self.matrix_op(ops[i], i, share[i], &frag));
                i += 1;
            }
        }
        out
    }

    /// `op`, number `i` of its run, for subgroup `kf_sg`, whose first lane is `kf_inv`, with
    /// `share` its way of taking a tile from an earlier subgroup (see [`Share`]) and `frag` the
    /// place of a fragment it reads.
    fn matrix_op(
        &self,
        op: &MatrixOp,
        i: usize,
        share: Share,
        frag: &dyn Fn(MatrixId) -> TokenStream,
    ) -> TokenStream {
        let k = self.kernel;
        let own = |m: MatrixId| {
            let n = fragments(&k.matrix(m).name);
            quote!(#n[kf_sg as usize])
        };
        match op {
            MatrixOp::Fill { matrix, value } => {
                let (t, v) = (own(*matrix), self.expr(*value, Mode::ITEM));
                quote!(rt::matrix::fill(&mut #t, #v);)
            }
            MatrixOp::Mma { acc, a, b } => {
                let (c, a, b) = (own(*acc), frag(*a), frag(*b));
                quote!(rt::matrix::mma(kf_level, &mut #c, &#a, &#b);)
            }
            MatrixOp::ScaleRows {
                matrix,
                mem,
                offset,
            } => self.matrix_scale_rows(own(*matrix), *mem, *offset),
            MatrixOp::Load { matrix, place } | MatrixOp::Store { matrix, place } => {
                let store = matches!(op, MatrixOp::Store { .. });
                let (f, t) = if store {
                    let t = frag(*matrix);
                    ("store", quote!(&#t))
                } else {
                    let t = own(*matrix);
                    ("load", quote!(&mut #t))
                };
                // `rt::matrix::{load, store}_{slice, array}`, an array's name last; an A or B
                // fragment's `load_operand_*`, a slice's being read-only last.
                let operand = !store && k.matrix(*matrix).role != MatrixRole::Acc;
                let f = if operand { "load_operand" } else { f };
                let call = match place.mem {
                    Memory::Slice(p) => {
                        let (f, s) = (format_ident!("{f}_slice"), ident(&k.param(p).name));
                        let read_only = match k.param(p).kind {
                            ParamKind::Slice { mutable, .. } => !mutable,
                            ParamKind::Scalar(_) => false,
                        };
                        let read_only = operand.then(|| quote!(, #read_only));
                        quote!(rt::matrix::#f(#t, #s, kf_o, kf_s, kf_col #read_only)?;)
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
                // The earlier subgroup's tile still holds what memory holds: `shareable`. The
                // search runs from the latest subgroup back, since warps that share an operand
                // are usually neighbours (a row of warps shares its A tiles); a hit there may
                // itself be an alias, so an alias takes the index it holds.
                let (m, n) = (
                    format_ident!("kf_memo{i}"),
                    fragments(&k.matrix(*matrix).name),
                );
                let (hit, miss) = match share {
                    Share::No => (None, TokenStream::new()),
                    Share::Copy => (Some(quote!(#n[kf_sg as usize] = #n[kf_j])), quote!()),
                    Share::Alias => {
                        let a = format_ident!("kf_alias{i}");
                        (
                            Some(quote!(#a[kf_sg as usize] = #a[kf_j])),
                            quote!(#a[kf_sg as usize] = kf_sg as usize;),
                        )
                    }
                };
                let call = match hit {
                    Some(hit) => quote! {
                        let kf_key = Some((kf_o, kf_s, kf_col));
                        match #m[..kf_sg as usize].iter().rposition(|kf_p| *kf_p == kf_key) {
                            Some(kf_j) => #hit,
                            None => { #miss #call }
                        }
                        #m[kf_sg as usize] = kf_key;
                    },
                    None => call,
                };
                let access = self.matrix_access(k.matrix(*matrix).role, place, call, store);
                if store && self.checked {
                    // The values written, for the race check's record.
                    let t = own(*matrix);
                    quote!({ let kf_t: &rt::matrix::Tile = &#t; #access })
                } else {
                    access
                }
            }
        }
    }

    /// `matrix_scale_rows` on the tile `t` (subgroup `kf_sg`'s), followed in the checked
    /// version by a report of each factor read, made by the lanes holding its row.
    fn matrix_scale_rows(&self, t: TokenStream, mem: Memory, offset: ExprId) -> TokenStream {
        let k = self.kernel;
        let o = self.expr(offset, Mode::ITEM);
        let call = match mem {
            Memory::Slice(p) => {
                let s = ident(&k.param(p).name);
                quote!(rt::matrix::scale_rows_slice(&mut #t, #s, kf_o)?;)
            }
            Memory::Array(a) => {
                let name = &k.array(a).name;
                let arr = ident(name);
                quote!(rt::matrix::scale_rows_array(&mut #t, &#arr[..], kf_o, #name)?;)
            }
        };
        let report = self.reported(mem).map(|target| {
            let r = self.report_as(target, quote!(kf_ix), false, quote!(kf_who), offset);
            quote! {
                for kf_r in 0..16u32 {
                    let kf_ix: u32 = kf_o.saturating_add(kf_r);
                    let kf_who: u32 = rt::race::matrix_of(kf_sg, 0, kf_r * 16);
                    #r
                }
            }
        });
        quote!({
            let kf_o: u32 = #o;
            #call
            #report
        })
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
        let report = self.reported(mem).map(|target| {
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

/// How a load of a run takes its tile from an earlier subgroup's load of the same place (see
/// [`shareable`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Share {
    /// It does not: it reads memory.
    No,
    /// It copies the earlier subgroup's fragment (1 KiB).
    Copy,
    /// It reads the earlier subgroup's fragment in place, through `kf_alias<i>` (the index of
    /// the subgroup whose fragment holds the tile): where the fragment lives only in the run
    /// ([`run_local`]), so that nothing reads it where the alias is not in scope.
    Alias,
}

/// The fragments `op` names.
fn named(op: &MatrixOp) -> impl Iterator<Item = MatrixId> {
    let (x, y, z) = match *op {
        MatrixOp::Fill { matrix, .. }
        | MatrixOp::Load { matrix, .. }
        | MatrixOp::Store { matrix, .. }
        | MatrixOp::ScaleRows { matrix, .. } => (matrix, None, None),
        MatrixOp::Mma { acc, a, b } => (acc, Some(a), Some(b)),
    };
    std::iter::once(x).chain(y).chain(z)
}

/// Whether fragment `m`, loaded by `ops[i]`, lives only in this run: no operation of the
/// kernel outside the run names it, and none in the run names it before `ops[i]`. Then every
/// read of it follows its load within one pass of the run over the subgroups, where the alias
/// holds.
fn run_local(kernel: &Kernel, ops: &[&MatrixOp], i: usize, m: MatrixId) -> bool {
    let count = |op: &MatrixOp| named(op).filter(|x| *x == m).count();
    let mut all = 0;
    walk_stmts(&kernel.body, &mut |s| {
        if let Stmt::Matrix(op) = s {
            all += count(op);
        }
    });
    let here: usize = ops.iter().map(|op| count(op)).sum();
    let first = ops.iter().position(|op| count(op) > 0);
    all == here && first == Some(i)
}

/// `ops[i]` and `ops[i + 1]` as `(c0, c1, a, b0, b1)` when they are `c0 += a * b0` and
/// `c1 += a * b1` with `c0` and `c1` different accumulators: the second reads nothing the first
/// writes (an accumulator is never an operand), so the two may run as one micro-kernel that
/// broadcasts each element of `a` once for both (`rt::matrix::mma_pair`, bit for bit the two).
#[allow(clippy::type_complexity)]
fn paired(
    ops: &[&MatrixOp],
    i: usize,
) -> Option<(MatrixId, MatrixId, MatrixId, MatrixId, MatrixId)> {
    match (ops.get(i)?, ops.get(i + 1)?) {
        (
            MatrixOp::Mma { acc: c0, a, b: b0 },
            MatrixOp::Mma {
                acc: c1,
                a: a1,
                b: b1,
            },
        ) if a == a1 && c0 != c1 => Some((*c0, *c1, *a, *b0, *b1)),
        _ => None,
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
