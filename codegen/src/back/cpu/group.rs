//! Cooperative kernels on the CPU: one rayon task per chunk of workgroups, each workgroup run
//! as *work-item loops* between its barriers.
//!
//! A kernel with workgroup memory or `barrier()` cannot run one invocation at a time: an
//! invocation may wait for what the others wrote. Following POCL's work-item loops (Jääskeläinen
//! et al., "pocl: A Performance-Portable OpenCL Implementation", IJPP 2015), the body is split
//! at each barrier into regions, and each region runs for every invocation of the workgroup in
//! turn (`for kf_inv in 0..N`) before the next begins; a barrier is then simply the boundary
//! between two loops. Barriers may sit inside `if`s and loops whose conditions are uniform
//! (`proc::uniform` rejects the rest), so those statements run once per workgroup and their
//! bodies are split in turn.
//!
//! Which statements run once per workgroup (*group statements*): barriers; `let`s and
//! assignments of uniform locals (they must run once: `s = s / 2` run per invocation would
//! halve `s` N times); `let`s of settled locals (`proc::uniform`: `let mean = tile[0] / n`
//! after a reduction), computed once rather than kept per invocation; `return`, `break` and
//! `continue` that every invocation takes; and control statements that contain any of these.
//! Everything else runs in work-item loops.
//!
//! State: a local declared directly in a group block and not uniform, or a private array
//! declared there, lives across work-item loops, so it becomes an array with one slot per
//! invocation (`kf_h_<name>[kf_inv]`); uniform and settled locals are plain locals of the
//! workgroup; locals declared inside a per-invocation statement stay plain locals of the
//! work-item loop.
//! Workgroup arrays live in the task. An invocation that returns is marked in `kf_live` and
//! skipped by later work-item loops.
//!
//! Subgroup operations, and control run once per subgroup, are written by `subgroups.rs`.

use super::types::{ty, zero};
use super::writer::{ident, Ctx, Mode, Writer};
use crate::ir::*;
use crate::proc::uniform::Uniformity;
use crate::valid::Info;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// An invocation id a stride loop may start at, and a local may be bound to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Id {
    /// `global_id().x`.
    Global,
    /// `local_id().x`.
    Local,
    /// `subgroup_invocation_id()`.
    Lane,
}

/// How a cooperative kernel is laid out on the CPU.
pub(crate) struct Plan<'a> {
    pub(super) uniform: &'a Uniformity,
    /// The kernel's types.
    pub(super) info: &'a Info,
    /// `id_locals[l]`: the id that local `l`, immutable, is bound to, if any: work-item loops
    /// recompute it from `kf_inv` instead of keeping a slot, and `stride` recognises it.
    pub(super) id_locals: HandleMap<Local, Option<Id>>,
    /// Whether some invocations may return while others go on (`kf_live` is kept).
    pub(super) retires: bool,
    /// `hoisted[l]`: local `l` has one slot per invocation.
    hoisted: HandleMap<Local, bool>,
    /// `hoisted_arrays[a]`: private array `a` has one copy per invocation.
    hoisted_arrays: HandleMap<Array, bool>,
    /// Set while planning or writing the inside of a statement run once per subgroup.
    pub(super) sub: std::cell::Cell<bool>,
}

impl<'a> Plan<'a> {
    /// The plan for `kernel`, whose uniformity validation found, or `None` when its
    /// invocations do not cooperate.
    pub(crate) fn new(kernel: &Kernel, info: &'a Info) -> Option<Plan<'a>> {
        let cooperative = kernel.has_barrier()
            || kernel.uses_subgroups()
            || kernel.uses_matrices()
            || kernel.arrays.values().any(|a| a.space == Space::Workgroup);
        if !cooperative {
            return None;
        }
        let mut id_locals = kernel.locals.map(|_, _| None);
        walk_stmts(&kernel.body, &mut |s| {
            if let Stmt::Let {
                local,
                init: Some(init),
            } = s
            {
                let l = *local;
                id_locals[l] = match kernel.expr(*init) {
                    _ if kernel.local(l).mutable => None,
                    Expr::Builtin(Builtin::GlobalId, Axis::X) => Some(Id::Global),
                    Expr::Builtin(Builtin::LocalId, Axis::X) => Some(Id::Local),
                    Expr::SubgroupId(SubgroupId::InvocationId) => Some(Id::Lane),
                    _ => None,
                };
            }
        });
        let mut plan = Plan {
            uniform: &info.uniform,
            info,
            id_locals,
            retires: false,
            hoisted: kernel.locals.map(|_, _| false),
            hoisted_arrays: kernel.arrays.map(|_, _| false),
            sub: std::cell::Cell::new(false),
        };
        plan.hoist(kernel, &kernel.body, false);
        plan.retires = plan.retires_in(kernel, &kernel.body, false);
        Some(plan)
    }

    /// Whether a `return` in `block` (a group block) may run per invocation.
    fn retires_in(&self, k: &Kernel, block: &[Stmt], jumps: bool) -> bool {
        block.iter().any(|stmt| {
            if self.per_subgroup(k, stmt) {
                // A `return` in it retires one subgroup's lanes.
                let mut found = false;
                walk_stmts(std::slice::from_ref(stmt), &mut |s| {
                    found |= matches!(s, Stmt::Return)
                });
                return found;
            }
            if !self.is_group(k, stmt, jumps) {
                let mut found = false;
                walk_stmts(std::slice::from_ref(stmt), &mut |s| {
                    found |= matches!(s, Stmt::Return)
                });
                return found;
            }
            match stmt {
                Stmt::If { accept, reject, .. } => {
                    self.retires_in(k, accept, jumps) || self.retires_in(k, reject, jumps)
                }
                Stmt::For { body, .. } | Stmt::While { body, .. } | Stmt::Loop { body } => {
                    self.retires_in(k, body, true)
                }
                _ => false,
            }
        })
    }

    /// Whether `stmt`, in a group block, runs once per workgroup (once per subgroup inside a
    /// statement run per subgroup). `jumps`: whether `break` and `continue` here leave a loop
    /// that runs per workgroup (subgroup).
    fn is_group(&self, k: &Kernel, stmt: &Stmt, jumps: bool) -> bool {
        if self.per_subgroup(k, stmt) {
            return true;
        }
        // Inside a statement run per subgroup, control uniform across the subgroup is
        // followed once for it.
        let sub = self.sub.get();
        let uniform = |e: ExprId| {
            if sub {
                self.uniform.lanes_expr(k, e)
            } else {
                self.uniform.expr(k, e)
            }
        };
        match stmt {
            Stmt::Barrier(_) | Stmt::Subgroup { .. } | Stmt::Matrix(_) | Stmt::Return => true,
            Stmt::Break | Stmt::Continue => jumps,
            Stmt::Let { local, .. } => self.uniform.settled[*local],
            Stmt::Assign { local, .. } => self.uniform.locals[*local],
            Stmt::Store { .. }
            | Stmt::ArrayDecl { .. }
            | Stmt::ArrayStore { .. }
            | Stmt::Vector(_)
            | Stmt::Atomic { .. } => false,
            Stmt::If {
                cond,
                accept,
                reject,
            } => {
                uniform(*cond)
                    && accept
                        .iter()
                        .chain(reject)
                        .any(|s| self.is_group(k, s, jumps))
            }
            Stmt::For {
                start, end, step, ..
            } => {
                self.stride(k, stmt).is_some()
                    || [*start, *end].into_iter().chain(*step).all(uniform)
                        && self.loop_is_group(k, stmt)
            }
            Stmt::While { cond, .. } => uniform(*cond) && self.loop_is_group(k, stmt),
            Stmt::Loop { .. } => self.loop_is_group(k, stmt),
        }
    }

    /// Whether a loop's body has group statements other than jumps out of this loop.
    fn loop_is_group(&self, k: &Kernel, stmt: &Stmt) -> bool {
        let (Stmt::For { body, .. } | Stmt::While { body, .. } | Stmt::Loop { body }) = stmt else {
            return false;
        };
        body.iter().any(|s| self.is_group(k, s, false))
    }

    /// Marks the locals and private arrays declared directly in group blocks as per
    /// invocation where they are not uniform.
    fn hoist(&mut self, k: &Kernel, block: &[Stmt], jumps: bool) {
        for stmt in block {
            if self.per_subgroup(k, stmt) {
                self.sub.set(true);
                self.hoist(k, std::slice::from_ref(stmt), jumps);
                self.sub.set(false);
                continue;
            }
            match stmt {
                // Ids are recomputed from `kf_inv` in each work-item loop instead.
                Stmt::Let { local, .. } if self.id_locals[*local].is_some() => {}
                Stmt::Let { local, .. } if !self.uniform.settled[*local] => {
                    self.hoisted[*local] = true;
                }
                Stmt::ArrayDecl { array, .. } => self.hoisted_arrays[*array] = true,
                // Its body runs inside its own work-item loop.
                Stmt::For { .. } if self.stride(k, stmt).is_some() => {}
                Stmt::If { accept, reject, .. } if self.is_group(k, stmt, jumps) => {
                    self.hoist(k, accept, jumps);
                    self.hoist(k, reject, jumps);
                }
                Stmt::For { body, .. } | Stmt::While { body, .. } | Stmt::Loop { body }
                    if self.is_group(k, stmt, jumps) =>
                {
                    self.hoist(k, body, true);
                }
                _ => {}
            }
        }
    }
}

/// `kf_h_<name>`: the array holding a hoisted local or private array, one slot per
/// invocation.
pub(super) fn slots(name: &str) -> proc_macro2::Ident {
    format_ident!("kf_h_{}", ident(name))
}

impl Writer<'_> {
    /// Whether local `l` is read and written through its per-invocation slot here.
    pub(super) fn per_invocation(&self, l: LocalId, mode: Mode) -> bool {
        mode.ctx == Ctx::Item && self.group.as_ref().is_some_and(|p| p.hoisted[l])
    }

    /// The id local `l` is bound to, when work-item loops read it as the id itself.
    pub(super) fn id_local(&self, l: LocalId) -> Option<Id> {
        self.group.as_ref().and_then(|p| p.id_locals[l])
    }

    /// `kf_h_<name>[kf_inv as usize]`, the slot of local `l` for the current invocation.
    pub(super) fn local_place(&self, l: LocalId) -> TokenStream {
        let n = slots(&self.kernel.local(l).name);
        quote!(#n[kf_inv as usize])
    }

    /// Whether private array `a` is read and written through its per-invocation copy here.
    pub(super) fn array_per_invocation(&self, a: ArrayId, mode: Mode) -> bool {
        mode.ctx == Ctx::Item && self.group.as_ref().is_some_and(|p| p.hoisted_arrays[a])
    }

    /// The place that holds array `a` here: its name (workgroup arrays, plain private
    /// arrays), or `kf_h_<name>[kf_inv as usize]`, the current invocation's copy.
    pub(super) fn array_place(&self, a: ArrayId, mode: Mode) -> TokenStream {
        let name = &self.kernel.array(a).name;
        if self.array_per_invocation(a, mode) {
            let h = slots(name);
            quote!(#h[kf_inv as usize])
        } else {
            let n = ident(name);
            quote!(#n)
        }
    }

    /// The `Chunk::Groups` arm of a cooperative kernel.
    pub(super) fn groups_arm(&self, plan: &Plan<'_>) -> TokenStream {
        let k = self.kernel;
        let n = k.invocations_per_group() as usize;
        let mut decls = Vec::new();
        for (id, a) in k.arrays.iter().filter(|(_, a)| a.space == Space::Workgroup) {
            let elem = self.info.array_elem(id);
            let (name, t, z, len) = (ident(&a.name), ty(elem), zero(elem), a.len as usize);
            if let Some(p) = a.len_param {
                // Launch-sized: one allocation per task, its length checked at launch.
                let n = ident(&k.param(p).name);
                decls.push(
                    quote!(let mut #name: ::std::vec::Vec<#t> = ::std::vec![#z; #n as usize];),
                );
            } else {
                decls.push(quote!(let mut #name: [#t; #len] = [#z; #len];));
            }
        }
        for (i, l) in k.locals.iter() {
            if plan.hoisted[i] {
                let name = slots(&l.name);
                let s = self.info.local_ty(i);
                let (t, z) = (ty(s), zero(s));
                decls.push(quote!(let mut #name: [#t; #n] = [#z; #n];));
            }
        }
        for (i, a) in k.arrays.iter() {
            if plan.hoisted_arrays[i] {
                let name = slots(&a.name);
                let elem = self.info.array_elem(i);
                let (t, z, len) = (ty(elem), zero(elem), a.len as usize);
                decls.push(quote!(let mut #name: [[#t; #len]; #n] = [[#z; #len]; #n];));
            }
        }
        decls.extend(self.matrix_decls());
        let body = self.group_block(plan, &k.body, false);
        let begin = self.checked.then(|| quote!(kf_chk.begin_group(kf_g);));
        let (live, reset) = if plan.retires {
            (
                quote!(let mut kf_live: [bool; #n] = [true; #n];),
                quote!(kf_live = [true; #n];),
            )
        } else {
            (TokenStream::new(), TokenStream::new())
        };
        quote! {
            #(#decls)*
            #live
            'kf_grp: for kf_g in kf_lo..kf_end {
                let kf_grp: [u32; 3] = kf_launch.group_coords(kf_g);
                #begin
                #reset
                #body
            }
        }
    }

    /// A group block: group statements once, runs of the others in work-item loops.
    pub(super) fn group_block(&self, plan: &Plan<'_>, block: &[Stmt], jumps: bool) -> TokenStream {
        let k = self.kernel;
        let sub = plan.sub.get();
        // Conditions inside a statement run per subgroup are read at its first lane.
        let (group, cond) = if sub {
            (Mode::SUB, Mode::ITEM)
        } else {
            (Mode::GROUP, Mode::GROUP)
        };
        let mut out = TokenStream::new();
        let mut run: Vec<&Stmt> = Vec::new();
        // Consecutive matrix operations, run in one loop over the subgroups.
        let mut tiles: Vec<&MatrixOp> = Vec::new();
        for stmt in block {
            if let Stmt::Matrix(op) = stmt {
                out.extend(self.work_items(plan, &std::mem::take(&mut run)));
                tiles.push(op);
                continue;
            }
            out.extend(self.matrix_run(plan, &std::mem::take(&mut tiles)));
            if !plan.is_group(k, stmt, jumps) {
                run.push(stmt);
                continue;
            }
            out.extend(self.work_items(plan, &std::mem::take(&mut run)));
            if plan.per_subgroup(k, stmt) {
                out.extend(self.per_subgroup(plan, stmt, jumps));
                continue;
            }
            if let Some(s) = plan.stride(k, stmt) {
                out.extend(self.stride_loop(plan, stmt, s));
                continue;
            }
            if let Stmt::Subgroup { .. } = stmt {
                out.extend(self.subgroup(plan, stmt));
                continue;
            }
            out.extend(match stmt {
                Stmt::If {
                    cond: c,
                    accept,
                    reject,
                } => {
                    let c = self.expr(*c, cond);
                    let a = self.group_block(plan, accept, jumps);
                    let r = self.group_block(plan, reject, jumps);
                    quote!(if #c { #a } else { #r })
                }
                Stmt::For { .. } | Stmt::While { .. } | Stmt::Loop { .. } => {
                    self.group_loop(plan, stmt, cond)
                }
                other => self.stmt(other, group),
            });
        }
        out.extend(self.matrix_run(plan, &tiles));
        out.extend(self.work_items(plan, &run));
        out
    }

    /// `kf_lid` and `kf_gid` of invocation `kf_inv` of workgroup `kf_grp`.
    pub(super) fn lane_ids(&self) -> TokenStream {
        let [wx, wy, wz] = self.kernel.workgroup_size;
        let lid = if wy == 1 && wz == 1 {
            quote!([kf_inv, 0u32, 0u32])
        } else {
            quote!([kf_inv % #wx, (kf_inv / #wx) % #wy, kf_inv / (#wx * #wy)])
        };
        quote! {
            let kf_lid: [u32; 3] = #lid;
            let kf_gid: [u32; 3] = [
                kf_grp[0].wrapping_mul(#wx).wrapping_add(kf_lid[0]),
                kf_grp[1].wrapping_mul(#wy).wrapping_add(kf_lid[1]),
                kf_grp[2].wrapping_mul(#wz).wrapping_add(kf_lid[2]),
            ];
        }
    }

    fn group_loop(&self, plan: &Plan<'_>, stmt: &Stmt, group: Mode) -> TokenStream {
        let (Stmt::For { body, .. } | Stmt::While { body, .. } | Stmt::Loop { body }) = stmt else {
            return TokenStream::new();
        };
        let split = self.group_block(plan, body, true);
        self.loop_stmt(stmt, group, split)
    }

    /// One work-item loop running `stmts` for every live invocation of the workgroup.
    fn work_items(&self, plan: &Plan<'_>, stmts: &[&Stmt]) -> TokenStream {
        // An id local is recomputed wherever a work-item loop reads it, so its `let` alone
        // needs no loop.
        let stmts: Vec<&Stmt> = stmts
            .iter()
            .copied()
            .filter(|s| !matches!(s, Stmt::Let { local, .. } if plan.id_locals[*local].is_some()))
            .collect();
        let stmts = &stmts[..];
        if stmts.is_empty() {
            return TokenStream::new();
        }
        let n = self.kernel.invocations_per_group();
        if plan.sub.get() {
            // One subgroup's lanes: no fast forms, which assume the workgroup's.
            let body: TokenStream = stmts.iter().map(|s| self.stmt(s, Mode::ITEM)).collect();
            return self.work_item_loop(plan, None, body);
        }
        // `if local_id().x < U { .. }` alone (a halving step of a tree reduction): only the
        // invocations below `U` run it.
        if let [Stmt::If {
            cond,
            accept,
            reject,
        }] = stmts
        {
            if let (Some(u), true) = (self.below(plan, *cond), reject.is_empty()) {
                let u = self.expr(u, Mode::GROUP);
                let count = quote!(::core::cmp::min(#n, #u));
                return self.tile_loop(plan, count, &accept.iter().collect::<Vec<_>>());
            }
        }
        self.tile_loop(plan, quote!(#n), stmts)
    }

    /// `U` when `cond` is `local_id().x < U` with `U` uniform, in a 1-D workgroup.
    fn below(&self, plan: &Plan<'_>, cond: ExprId) -> Option<ExprId> {
        let k = self.kernel;
        let [_, 1, 1] = k.workgroup_size else {
            return None;
        };
        let Expr::Binary {
            op: BinaryOp::Lt,
            left,
            right,
        } = *k.expr(cond)
        else {
            return None;
        };
        let lid = plan.invocation_id(k, left) == Some(Id::Local);
        (lid && plan.uniform.expr(k, right)).then_some(right)
    }

    /// `for kf_inv in 0..count` over live invocations, with their ids, around `body`; inside
    /// a statement run per subgroup, over the `count` invocations from `kf_sg_lo`. A `count`
    /// of `None` is every invocation: the workgroup's, or the subgroup's.
    pub(super) fn work_item_loop(
        &self,
        plan: &Plan<'_>,
        count: Option<TokenStream>,
        body: TokenStream,
    ) -> TokenStream {
        self.work_item_loop_of(plan, count, body, plan.retires)
    }

    /// `work_item_loop`, skipping retired invocations only where `live` (a caller that
    /// checked them all live leaves the test out, so that the loop vectorises).
    pub(super) fn work_item_loop_of(
        &self,
        plan: &Plan<'_>,
        count: Option<TokenStream>,
        body: TokenStream,
        live: bool,
    ) -> TokenStream {
        let ids = self.lane_ids();
        let live = live.then(|| {
            quote! {
                if !kf_live[kf_inv as usize] {
                    continue;
                }
            }
        });
        let n = self.kernel.invocations_per_group();
        let range = match (plan.sub.get(), count) {
            (true, Some(c)) => quote!(kf_sg_lo..kf_sg_lo + #c),
            (true, None) => quote!(kf_sg_lo..kf_sg_hi),
            (false, Some(c)) => quote!(0..#c),
            (false, None) => quote!(0..#n),
        };
        quote! {
            'kf_wi: for kf_inv in #range {
                // SAFETY: `count` is at most the workgroup's size. Said, so that the slots
                // `kf_h_<name>[kf_inv]` need no bounds check and the loop vectorises.
                unsafe { ::core::hint::assert_unchecked(kf_inv < #n) };
                #live
                #ids
                #body
            }
        }
    }
}
