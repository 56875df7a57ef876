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
//! halve `s` N times); `return`, `break` and `continue` that every invocation takes; and
//! control statements that contain any of these. Everything else runs in work-item loops.
//!
//! State: a local declared directly in a group block and not uniform, or a private array
//! declared there, lives across work-item loops, so it becomes an array with one slot per
//! invocation (`kf_h_<name>[kf_inv]`); uniform locals are plain locals of the workgroup; locals
//! declared inside a per-invocation statement stay plain locals of the work-item loop.
//! Workgroup arrays live in the task. An invocation that returns is marked in `kf_live` and
//! skipped by later work-item loops.

use super::writer::{ident, ty, zero, Ctx, Ids, Mode, Writer};
use crate::ir::*;
use crate::proc::uniform::Uniformity;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// How a cooperative kernel is laid out on the CPU.
pub(crate) struct Plan<'a> {
    uniform: &'a Uniformity,
    /// `hoisted[l.0]`: local `l` has one slot per invocation.
    hoisted: Vec<bool>,
    /// `hoisted_arrays[a.0]`: private array `a` has one copy per invocation.
    hoisted_arrays: Vec<bool>,
}

impl<'a> Plan<'a> {
    /// The plan for `kernel`, whose uniformity validation found, or `None` when its
    /// invocations do not cooperate.
    pub(crate) fn new(kernel: &Kernel, uniform: &'a Uniformity) -> Option<Plan<'a>> {
        let cooperative =
            kernel.has_barrier() || kernel.arrays.iter().any(|a| a.space == Space::Workgroup);
        if !cooperative {
            return None;
        }
        let mut plan = Plan {
            uniform,
            hoisted: vec![false; kernel.locals.len()],
            hoisted_arrays: vec![false; kernel.arrays.len()],
        };
        plan.hoist(kernel, &kernel.body, false);
        Some(plan)
    }

    /// Whether `stmt`, in a group block, runs once per workgroup. `jumps`: whether `break` and
    /// `continue` here leave a loop that runs per workgroup.
    fn is_group(&self, k: &Kernel, stmt: &Stmt, jumps: bool) -> bool {
        match stmt {
            Stmt::Barrier { .. } | Stmt::Return => true,
            Stmt::Break | Stmt::Continue => jumps,
            Stmt::Let { local, .. } | Stmt::Assign { local, .. } => {
                self.uniform.locals[local.0 as usize]
            }
            Stmt::Store { .. }
            | Stmt::ArrayDecl { .. }
            | Stmt::ArrayStore { .. }
            | Stmt::Atomic { .. } => false,
            Stmt::If {
                cond,
                accept,
                reject,
            } => {
                self.uniform.expr(k, *cond)
                    && accept
                        .iter()
                        .chain(reject)
                        .any(|s| self.is_group(k, s, jumps))
            }
            Stmt::For {
                start, end, step, ..
            } => {
                [*start, *end]
                    .into_iter()
                    .chain(*step)
                    .all(|e| self.uniform.expr(k, e))
                    && self.loop_is_group(k, stmt)
            }
            Stmt::While { cond, .. } => self.uniform.expr(k, *cond) && self.loop_is_group(k, stmt),
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
            match stmt {
                Stmt::Let { local, .. } if !self.uniform.locals[local.0 as usize] => {
                    self.hoisted[local.0 as usize] = true;
                }
                Stmt::ArrayDecl { array, .. } => self.hoisted_arrays[array.0 as usize] = true,
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

impl Writer<'_> {
    /// Whether local `l` is read and written through its per-invocation slot here.
    pub(super) fn per_invocation(&self, l: LocalId, mode: Mode) -> bool {
        mode.ctx == Ctx::Item && self.group.as_ref().is_some_and(|p| p.hoisted[l.0 as usize])
    }

    /// `kf_h_<name>[kf_inv as usize]`, the slot of local `l` for the current invocation.
    pub(super) fn local_place(&self, l: LocalId) -> TokenStream {
        let n = format_ident!("kf_h_{}", ident(&self.kernel.local(l).name));
        quote!(#n[kf_inv as usize])
    }

    /// Whether private array `a` is read and written through its per-invocation copy here.
    pub(super) fn array_per_invocation(&self, a: ArrayId, mode: Mode) -> bool {
        mode.ctx == Ctx::Item
            && self
                .group
                .as_ref()
                .is_some_and(|p| p.hoisted_arrays[a.0 as usize])
    }

    /// The place that holds array `a` here: its name (workgroup arrays, plain private
    /// arrays), or `kf_h_<name>[kf_inv as usize]`, the current invocation's copy.
    pub(super) fn array_place(&self, a: ArrayId, mode: Mode) -> TokenStream {
        let n = ident(&self.kernel.array(a).name);
        if self.array_per_invocation(a, mode) {
            let h = format_ident!("kf_h_{}", n);
            quote!(#h[kf_inv as usize])
        } else {
            quote!(#n)
        }
    }

    /// The `Chunk::Groups` arm of a cooperative kernel.
    pub(super) fn groups_arm(&self, plan: &Plan<'_>) -> TokenStream {
        let k = self.kernel;
        let n = k.invocations_per_group() as usize;
        let mut decls = Vec::new();
        for a in k.arrays.iter().filter(|a| a.space == Space::Workgroup) {
            let (name, t, z, len) = (ident(&a.name), ty(a.elem()), zero(a.elem()), a.len as usize);
            decls.push(quote!(let mut #name: [#t; #len] = [#z; #len];));
        }
        for (i, l) in k.locals.iter().enumerate() {
            if plan.hoisted[i] {
                let name = format_ident!("kf_h_{}", ident(&l.name));
                let s = l.ty.unwrap_or(Scalar::I32);
                let (t, z) = (ty(s), zero(s));
                decls.push(quote!(let mut #name: [#t; #n] = [#z; #n];));
            }
        }
        for (i, a) in k.arrays.iter().enumerate() {
            if plan.hoisted_arrays[i] {
                let name = format_ident!("kf_h_{}", ident(&a.name));
                let (t, z, len) = (ty(a.elem()), zero(a.elem()), a.len as usize);
                decls.push(quote!(let mut #name: [[#t; #len]; #n] = [[#z; #len]; #n];));
            }
        }
        let body = self.group_block(plan, &k.body, false);
        quote! {
            #(#decls)*
            let mut kf_live: [bool; #n] = [true; #n];
            'kf_grp: for kf_g in kf_lo..kf_end {
                let kf_grp: [u32; 3] = kf_launch.group_coords(kf_g);
                kf_live = [true; #n];
                #body
            }
        }
    }

    /// A group block: group statements once, runs of the others in work-item loops.
    fn group_block(&self, plan: &Plan<'_>, block: &[Stmt], jumps: bool) -> TokenStream {
        let k = self.kernel;
        let group = Mode {
            ids: Ids::General,
            fast_index: None,
            ctx: Ctx::Group,
        };
        let mut out = TokenStream::new();
        let mut run: Vec<&Stmt> = Vec::new();
        for stmt in block {
            if !plan.is_group(k, stmt, jumps) {
                run.push(stmt);
                continue;
            }
            out.extend(self.work_items(&std::mem::take(&mut run)));
            out.extend(match stmt {
                Stmt::If {
                    cond,
                    accept,
                    reject,
                } => {
                    let c = self.expr(*cond, group);
                    let a = self.group_block(plan, accept, jumps);
                    let r = self.group_block(plan, reject, jumps);
                    quote!(if #c { #a } else { #r })
                }
                Stmt::For { .. } | Stmt::While { .. } | Stmt::Loop { .. } => {
                    self.group_loop(plan, stmt, group)
                }
                other => self.stmt(other, group),
            });
        }
        out.extend(self.work_items(&run));
        out
    }

    fn group_loop(&self, plan: &Plan<'_>, stmt: &Stmt, group: Mode) -> TokenStream {
        let (Stmt::For { body, .. } | Stmt::While { body, .. } | Stmt::Loop { body }) = stmt else {
            return TokenStream::new();
        };
        let split = self.group_block(plan, body, true);
        self.loop_stmt(stmt, group, split)
    }

    /// One work-item loop running `stmts` for every live invocation of the workgroup.
    fn work_items(&self, stmts: &[&Stmt]) -> TokenStream {
        if stmts.is_empty() {
            return TokenStream::new();
        }
        let k = self.kernel;
        let [wx, wy, wz] = k.workgroup_size;
        let n = k.invocations_per_group();
        let item = Mode {
            ids: Ids::General,
            fast_index: None,
            ctx: Ctx::Item,
        };
        let body: TokenStream = stmts.iter().map(|s| self.stmt(s, item)).collect();
        let lid = if wy == 1 && wz == 1 {
            quote!([kf_inv, 0u32, 0u32])
        } else {
            quote!([kf_inv % #wx, (kf_inv / #wx) % #wy, kf_inv / (#wx * #wy)])
        };
        quote! {
            'kf_wi: for kf_inv in 0..#n {
                if !kf_live[kf_inv as usize] {
                    continue;
                }
                let kf_lid: [u32; 3] = #lid;
                let kf_gid: [u32; 3] = [
                    kf_grp[0].wrapping_mul(#wx).wrapping_add(kf_lid[0]),
                    kf_grp[1].wrapping_mul(#wy).wrapping_add(kf_lid[1]),
                    kf_grp[2].wrapping_mul(#wz).wrapping_add(kf_lid[2]),
                ];
                #body
            }
        }
    }
}
