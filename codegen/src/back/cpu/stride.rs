//! Stride loops of cooperative kernels, run with the work-item loop inside.
//!
//! Row kernels spread a row over the workgroup with `for c in (lid..cols).step_by(256)`:
//! invocation `lid` takes columns `lid`, `lid + 256`, ... Run one invocation at a time (the
//! plain work-item loop), each invocation walks the row with a stride of 256 elements through
//! bounds-checked scalar code. But invocations between two barriers may run in any
//! interleaving (nothing orders them; a kernel whose result depends on the order races, as on
//! a GPU), so the CPU back end may take the loop's iterations in column order instead:
//!
//! ```text
//! c0 = U                                   // the column of invocation 0
//! while c0 < end {
//!     n = min(N, end - c0)                 // invocations still in the loop
//!     for inv in 0..n { c = c0 + inv; BODY }
//!     c0 += step
//! }
//! ```
//!
//! Each invocation still sees its own iterations in order. The inner loop reads and writes
//! consecutive elements, and accesses `s[c]` and `s[V + c]` (`V` uniform) to slices and to
//! workgroup arrays are checked once per `c0` (`V + c0 + n <= s.len()`), so it is a straight
//! loop over the per-invocation slots that LLVM vectorises (`matmul_tiles`' epilogue copies a
//! row of its tile out of workgroup memory so). When a check fails, the same loop runs with
//! every access checked.
//!
//! Full chunks (`n = N`) run first, in a loop of their own whose work-item loop has the
//! constant count `N`: LLVM unrolls it and keeps per-invocation accumulators
//! (`kf_h_sum[kf_inv] += x[..]`, 256 floats = 16 AVX-512 registers) in registers across the
//! `c0` loop. Kept in memory, each 64 bytes read from `x` also cost a load and a store of the
//! accumulator, and the stores waiting behind loads that miss the cache limited how far ahead
//! the reads ran: layer_norm's first pass took 1.4x its peer's, whose single accumulator is a
//! register. The last, partial chunk (and any chunk whose check fails) runs in the general
//! loop.
//!
//! The shape, in a 1-D workgroup of `N` invocations: `for c in (S..end).step_by(step)` where
//! `S` is `local_id().x` or `global_id().x` (directly or through an immutable local), plus an
//! optional uniform `U`; `end` and `step` uniform; `c` a `u32`; the body without `return` or a
//! `break` out of this loop (an invocation leaving early would need its own state). A step of
//! 0 is 1, as in every loop. An iteration whose column would pass `u32::MAX` ends the loop here
//! (the per-invocation loop would wrap around).
//!
//! The same holds one level down, for a subgroup (a warp per row): `for c in
//! (S..end).step_by(step)` with `S` `subgroup_invocation_id()` (directly or through an
//! immutable local), plus an optional `U`, and `U`, `end`, `step` and the offsets `V` uniform
//! across each subgroup (they may differ between subgroups: `base = row * cols`). It runs once
//! per subgroup (its 32 consecutive invocations, `kf_sg_lo..kf_sg_hi`), in column order over
//! the subgroup's lanes, `c = c0 + (kf_inv - kf_sg_lo)`; the subgroup-uniform values are read
//! at its first live lane. At the workgroup's top level a loop over the subgroups (`'kf_sg`)
//! surrounds it; inside a statement run per subgroup (subgroups.rs), it is that subgroup's.
//! It has no loop of full chunks: LLVM unrolls a constant count of 32 before its loop
//! vectoriser runs, and left the unrolled lanes of softmax_warp's `max` scalar, where the
//! general loop, whose count is not a constant, vectorises.
//!
//! Where invocations may have returned (`kf_live`), the fast form runs only when every
//! invocation the loop covers is live, so that its work-item loop needs no test per
//! invocation and still vectorises; otherwise the checked loop skips the retired ones.

use super::group::{Id, Plan};
use super::writer::{ident, Mode, Writer};
use crate::ir::*;
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

/// A stride loop's start, `U + S`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stride {
    /// `S`.
    id: Id,
    /// The uniform `U`, if any.
    offset: Option<ExprId>,
}

impl Stride {
    /// Whether the loop spreads over a subgroup's lanes (else over the workgroup).
    pub(super) fn lanes(self) -> bool {
        self.id == Id::Lane
    }
}

/// Accesses the fast form of a stride loop's body checks once per `c0`.
pub(super) struct Fast {
    /// The loop variable `c`.
    pub(super) var: LocalId,
    /// The loop spreads over a subgroup's lanes.
    lanes: bool,
    /// `(key of V, variable holding V + c0 as usize)`; the key of a bare `s[c]` is empty.
    offsets: Vec<(String, Ident)>,
    /// The workgroup arrays checked, each with the key of its `V`.
    arrays: Vec<(ArrayId, String)>,
}

impl Plan<'_> {
    /// The stride-loop shape of `stmt` (see the module docs), if it has it.
    pub(super) fn stride(&self, k: &Kernel, stmt: &Stmt) -> Option<Stride> {
        let Stmt::For {
            var,
            start,
            end,
            step,
            inclusive: false,
            reverse: false,
            body,
            ..
        } = stmt
        else {
            return None;
        };
        if self.info.local_ty(*var) != Scalar::U32 {
            return None;
        }
        let (id, offset) = match self.invocation_id(k, *start) {
            Some(id) => (id, None),
            None => match *k.expr(*start) {
                Expr::Binary {
                    op: BinaryOp::Add,
                    left,
                    right,
                } => match self.invocation_id(k, left) {
                    Some(id) => (id, Some(right)),
                    None => (self.invocation_id(k, right)?, Some(left)),
                },
                _ => return None,
            },
        };
        let lanes = id == Id::Lane;
        // Workgroup stride loops run at the workgroup's level, in 1-D workgroups (the ids
        // are then consecutive); lane stride loops at every level, in any shape (a
        // subgroup's lanes are consecutive linear invocations).
        if !lanes && (self.sub.get() || !matches!(k.workgroup_size, [_, 1, 1])) {
            return None;
        }
        let uniform = |e: ExprId| {
            if lanes {
                self.uniform.lanes_expr(k, e)
            } else {
                self.uniform.expr(k, e)
            }
        };
        if !uniform(*end) || !step.is_none_or(uniform) || !offset.is_none_or(uniform) {
            return None;
        }
        let mut leaves = false;
        walk_stmts(body, &mut |s| leaves |= matches!(s, Stmt::Return));
        leaves |= breaks(body);
        (!leaves).then_some(Stride { id, offset })
    }

    /// The id `e` is, directly or through an immutable local bound to it, among those a
    /// stride loop starts at.
    pub(super) fn invocation_id(&self, k: &Kernel, e: ExprId) -> Option<Id> {
        match *k.expr(e) {
            Expr::Builtin(Builtin::GlobalId, Axis::X) => Some(Id::Global),
            Expr::Builtin(Builtin::LocalId, Axis::X) => Some(Id::Local),
            Expr::SubgroupId(SubgroupId::InvocationId) => Some(Id::Lane),
            Expr::Local(l) => self.id_locals[l],
            _ => None,
        }
    }
}

/// Whether `block` has a `break` that leaves the loop whose body it is.
fn breaks(block: &[Stmt]) -> bool {
    block.iter().any(|s| match s {
        Stmt::Break => true,
        Stmt::If { accept, reject, .. } => breaks(accept) || breaks(reject),
        _ => false,
    })
}

impl Writer<'_> {
    /// The stride loop `stmt` with the work-item loop inside (see the module docs).
    pub(super) fn stride_loop(&self, plan: &Plan<'_>, stmt: &Stmt, s: Stride) -> TokenStream {
        if !s.lanes() || plan.sub.get() {
            return self.stride_columns(plan, stmt, s);
        }
        // A lane stride loop at the workgroup's level: once per subgroup, its uniform values
        // read at the first live lane (lanes may have returned one by one before it).
        self.each_subgroup(plan, true, || self.stride_columns(plan, stmt, s))
    }

    /// The column-order loop of a stride loop over the workgroup, or over the subgroup
    /// `kf_sg_lo..kf_sg_hi` (`s.lanes()`, with `kf_inv` its first live lane).
    fn stride_columns(&self, plan: &Plan<'_>, stmt: &Stmt, s: Stride) -> TokenStream {
        let Stmt::For {
            var,
            end,
            step,
            body,
            ..
        } = stmt
        else {
            return TokenStream::new();
        };
        let k = self.kernel;
        let lanes = s.lanes();
        // Where the loop's uniform values are read: once per workgroup, or at the
        // subgroup's first live lane.
        let at = if lanes { Mode::ITEM } else { Mode::GROUP };
        // The number of invocations the loop spreads over (subgroups are whole: a kernel
        // that names a lane has a multiple of 32 invocations), and the current one's place
        // among them.
        let (n, lane) = if lanes {
            (32u32, quote!((kf_inv - kf_sg_lo)))
        } else {
            (k.workgroup_size[0], quote!(kf_inv))
        };
        let mut start = match s.offset {
            Some(u) => self.expr(u, at),
            None => quote!(0u32),
        };
        if s.id == Id::Global {
            start = quote!(#start.wrapping_add(kf_grp[0usize].wrapping_mul(#n)));
        }
        let end = self.expr(*end, at);
        let step = match step {
            Some(st) => {
                let st = self.expr(*st, at);
                quote!(::core::cmp::max(#st, 1u32))
            }
            None => quote!(1u32),
        };
        // The fast form's checks, one per slice and distinct `V`, and its offsets, one per
        // distinct `V`.
        let mut offsets: Vec<(String, Ident)> = Vec::new();
        let mut decls = Vec::new();
        let mut checks = Vec::new();
        let mut pointers = Vec::new();
        let mut bases = Vec::new();
        // The variable holding `V + c0` for the key of `V`, declared at its first use.
        let offset = |key: &str, v: Option<ExprId>, offsets: &mut Vec<(String, Ident)>| {
            if let Some((_, o)) = offsets.iter().find(|(k2, _)| k2 == key) {
                return (o.clone(), None);
            }
            let o = format_ident!("kf_o{}", offsets.len());
            let vt = match v {
                Some(v) => self.expr(v, at),
                None => quote!(0u32),
            };
            offsets.push((key.to_string(), o.clone()));
            let decl = quote!(let #o: usize = (#vt as usize) + (kf_c0 as usize););
            (o, Some(decl))
        };
        for (slice, v, key) in self.fast_accesses(*var, lanes, body) {
            let (off, decl) = offset(&key, v, &mut offsets);
            decls.extend(decl);
            let sn = ident(&k.param(slice).name);
            checks.push(quote!(&& #off + kf_n as usize <= #sn.len()));
            // The base address in a local, read once: LLVM keeps it in a register and need
            // not assume a store through another slice changed it.
            if !bases.contains(&slice) {
                bases.push(slice);
                let p = self.base_ptr(slice);
                pointers.push(quote!(let #p = #sn.as_ptr();));
            }
        }
        // Workgroup arrays accessed at `a[c]` and `a[V + c]`, checked the same way.
        let mut arrays: Vec<(ArrayId, String)> = Vec::new();
        for (array, v, key) in self.fast_array_accesses(*var, lanes, body) {
            let (off, decl) = offset(&key, v, &mut offsets);
            decls.extend(decl);
            let len = self.array_len(array);
            checks.push(quote!(&& #off + kf_n as usize <= #len));
            arrays.push((array, key));
        }
        // Where invocations may have returned, the fast form needs them all live.
        let all_live = if plan.retires && !checks.is_empty() {
            let range = if lanes {
                quote!([kf_sg_lo as usize..kf_sg_hi as usize])
            } else {
                quote!([..])
            };
            pointers.push(quote!(let kf_all_live: bool = !kf_live #range.contains(&false);));
            quote!(kf_all_live)
        } else {
            quote!(true)
        };
        let fast = Fast {
            var: *var,
            lanes,
            offsets,
            arrays,
        };
        let item = |stride| Mode {
            stride,
            ..Mode::ITEM
        };
        let c = ident(&k.local(*var).name);
        let inner = |mode: Mode, live: bool| {
            let b = self.stmts(body, mode);
            self.work_item_loop_of(
                plan,
                Some(quote!(kf_n)),
                quote! {
                    let #c: u32 = kf_c0.wrapping_add(#lane);
                    #b
                },
                live,
            )
        };
        let checked = inner(item(None), plan.retires);
        let (body, full) = if checks.is_empty() {
            (checked, None)
        } else {
            let fast_body = inner(item(Some(&fast)), false);
            // Not for a subgroup's lanes (see the module docs).
            let full = (!lanes).then(|| {
                quote! {
                    while kf_c0 < kf_cend && kf_cend - kf_c0 >= #n {
                        let kf_n: u32 = #n;
                        #(#decls)*
                        if !(#all_live #(#checks)*) {
                            break;
                        }
                        #fast_body
                        match kf_c0.checked_add(kf_cstep) {
                            Some(kf_next) => kf_c0 = kf_next,
                            None => {
                                kf_c0 = kf_cend;
                                break;
                            }
                        }
                    }
                }
            });
            let body = quote! {
                #(#decls)*
                if #all_live #(#checks)* {
                    #fast_body
                } else {
                    #checked
                }
            };
            (body, full)
        };
        quote! {
            {
                #(#pointers)*
                let mut kf_c0: u32 = #start;
                let kf_cend: u32 = #end;
                let kf_cstep: u32 = #step;
                #full
                while kf_c0 < kf_cend {
                    let kf_n: u32 = ::core::cmp::min(#n, kf_cend - kf_c0);
                    #body
                    kf_c0 = match kf_c0.checked_add(kf_cstep) {
                        Some(kf_next) => kf_next,
                        None => break,
                    };
                }
            }
        }
    }

    /// The `(slice, V, key of V)` of the accesses `s[c]` and `s[V + c]` in `block`, one per
    /// slice and key (token-equal offsets are the same value: they are uniform, and nothing in
    /// the body changes a uniform value).
    fn fast_accesses(
        &self,
        var: LocalId,
        lanes: bool,
        block: &[Stmt],
    ) -> Vec<(ParamId, Option<ExprId>, String)> {
        self.fast_keyed(var, lanes, |f| {
            walk_slice_accesses(self.kernel, block, &mut |s, i| f(s, i))
        })
    }

    /// [`Self::fast_accesses`] for the workgroup arrays of `block`.
    fn fast_array_accesses(
        &self,
        var: LocalId,
        lanes: bool,
        block: &[Stmt],
    ) -> Vec<(ArrayId, Option<ExprId>, String)> {
        let k = self.kernel;
        self.fast_keyed(var, lanes, |f| {
            walk_array_accesses(k, block, &mut |array, index| {
                if k.array(array).space == Space::Workgroup {
                    f(array, index);
                }
            })
        })
    }

    /// The `(memory, V, key of V)` of the accesses at `c` and `V + c` that `walk` reports, one
    /// per memory and key.
    fn fast_keyed<M: Copy + PartialEq>(
        &self,
        var: LocalId,
        lanes: bool,
        walk: impl FnOnce(&mut dyn FnMut(M, ExprId)),
    ) -> Vec<(M, Option<ExprId>, String)> {
        let mut out: Vec<(M, Option<ExprId>, String)> = Vec::new();
        walk(&mut |mem, index| {
            if let Some(v) = self.fast_offset(var, lanes, index) {
                let key = self.offset_key(v);
                if !out.iter().any(|(m, _, k2)| *m == mem && *k2 == key) {
                    out.push((mem, v, key));
                }
            }
        });
        out
    }

    /// The tokens of `V` written once per workgroup, which identify it; empty for a bare index.
    pub(super) fn offset_key(&self, v: Option<ExprId>) -> String {
        v.map(|v| self.expr(v, Mode::GROUP).to_string())
            .unwrap_or_default()
    }

    /// `Some(None)` for an index `c`, `Some(Some(V))` for `V + c` or `c + V` with `V` uniform
    /// (across each subgroup, for a lane stride loop).
    fn fast_offset(&self, var: LocalId, lanes: bool, index: ExprId) -> Option<Option<ExprId>> {
        let k = self.kernel;
        let is_var = |e: ExprId| *k.expr(e) == Expr::Local(var);
        if lanes {
            self.base_offset_where(index, is_var, |e| self.info.uniform.lanes_expr(k, e))
        } else {
            self.base_offset(index, is_var)
        }
    }

    /// `Some(None)` when `index` is a base (`is_base`: a stride loop's variable, `local_id().x`
    /// in `tile`), `Some(Some(V))` for `V + base` or `base + V` with `V` uniform.
    pub(super) fn base_offset(
        &self,
        index: ExprId,
        is_base: impl Fn(ExprId) -> bool,
    ) -> Option<Option<ExprId>> {
        let k = self.kernel;
        self.base_offset_where(index, is_base, |e| self.info.uniform.expr(k, e))
    }

    /// `base_offset` with `uniform` deciding which `V` qualify.
    fn base_offset_where(
        &self,
        index: ExprId,
        is_base: impl Fn(ExprId) -> bool,
        uniform: impl Fn(ExprId) -> bool,
    ) -> Option<Option<ExprId>> {
        let k = self.kernel;
        if is_base(index) {
            return Some(None);
        }
        let Expr::Binary {
            op: BinaryOp::Add,
            left,
            right,
        } = *k.expr(index)
        else {
            return None;
        };
        if is_base(right) && uniform(left) {
            Some(Some(left))
        } else if is_base(left) && uniform(right) {
            Some(Some(right))
        } else {
            None
        }
    }

    /// `kf_p_<name>`: the base address of `slice`, read once before a stride loop.
    pub(super) fn base_ptr(&self, slice: ParamId) -> Ident {
        format_ident!("kf_p_{}", ident(&self.kernel.param(slice).name))
    }

    /// The fast form of an access to workgroup array `array` at `index`, when the stride loop
    /// checked it: an unchecked index into the array.
    pub(super) fn fast_array_place(
        &self,
        array: ArrayId,
        index: ExprId,
        mode: Mode,
    ) -> Option<TokenStream> {
        self.fast_at(index, mode, |fast, key| {
            fast.arrays.iter().any(|(a, k2)| *a == array && k2 == key)
        })
    }

    /// The fast form of an access to `slice` at `index`, when the stride loop checked it.
    pub(super) fn fast_place(&self, index: ExprId, mode: Mode) -> Option<TokenStream> {
        // Every slice accessed at `V + c` in the loop is checked for its `V`.
        self.fast_at(index, mode, |_, _| true)
    }

    /// `V + c0 + lane` for an access at `index` (`V + c`) in a stride loop's fast form, where
    /// `checked(fast, key of V)` says the loop checked it.
    fn fast_at(
        &self,
        index: ExprId,
        mode: Mode,
        checked: impl Fn(&Fast, &str) -> bool,
    ) -> Option<TokenStream> {
        // The race-checked version reports every access through the checked accessors.
        if self.checked {
            return None;
        }
        let fast = mode.stride?;
        let key = self.offset_key(self.fast_offset(fast.var, fast.lanes, index)?);
        if !checked(fast, &key) {
            return None;
        }
        let (_, off) = fast.offsets.iter().find(|(k2, _)| *k2 == key)?;
        Some(if fast.lanes {
            quote!(#off + (kf_inv - kf_sg_lo) as usize)
        } else {
            quote!(#off + kf_inv as usize)
        })
    }
}
