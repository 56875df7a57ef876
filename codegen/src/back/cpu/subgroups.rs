//! Subgroups in cooperative kernels on the CPU (group.rs lays out the rest).
//!
//! A subgroup is 32 consecutive invocations (by linear local id), as a CUDA warp. A subgroup
//! operation exchanges values between them, so it ends the work-item loop before it, as a
//! barrier does: a work-item loop gathers every invocation's operands, and `rt::subgroup`
//! combines each 32 lanes into the result's per-invocation slots.
//!
//! Subgroup operations may sit under control that is uniform across each subgroup only (a
//! warp per row: `if row >= rows { return; }`, `for r in (subgroup_id()..rows).step_by(..)`).
//! A control statement that holds a subgroup operation (and no workgroup barrier) and whose
//! condition differs between subgroups, or that some subgroups leave early, runs *once per
//! subgroup*: a loop over the workgroup's subgroups (`'kf_sg`) runs it for each, its
//! conditions read at the subgroup's first lane, its work-item loops over the subgroup's 32
//! lanes, a `return` in it retiring those lanes. A subgroup-uniform `return` outside such a
//! statement needs nothing of this: it retires invocations one by one, and a later subgroup
//! operation combines every subgroup, those whose lanes all returned included, whose results
//! nobody reads.

use super::group::{slots, Plan};
use super::types::{ty, zero};
use super::writer::{Mode, Writer};
use crate::ir::*;
use proc_macro2::TokenStream;
use quote::quote;

impl Plan<'_> {
    /// Whether `stmt`, a control statement of a group block, runs once per subgroup (see the
    /// module docs): it holds a subgroup operation and no workgroup barrier, and its
    /// condition is not uniform across the workgroup or some subgroups leave it early.
    /// Always `false` inside such a statement.
    pub(super) fn per_subgroup(&self, k: &Kernel, stmt: &Stmt) -> bool {
        if self.sub.get() {
            return false;
        }
        let conds: Vec<ExprId> = match stmt {
            Stmt::If { cond, .. } | Stmt::While { cond, .. } => vec![*cond],
            Stmt::For {
                start, end, step, ..
            } => [*start, *end].into_iter().chain(*step).collect(),
            Stmt::Loop { .. } => Vec::new(),
            _ => return false,
        };
        let (mut collective, mut barrier) = (false, false);
        walk_stmts(std::slice::from_ref(stmt), &mut |s| match s {
            Stmt::Subgroup { .. } | Stmt::Matrix(_) | Stmt::Barrier(Barrier::Subgroup) => {
                collective = true
            }
            Stmt::Barrier(_) => barrier = true,
            _ => {}
        });
        collective
            && !barrier
            && (!conds.iter().all(|&c| self.uniform.expr(k, c))
                || self.jumps_under(k, std::slice::from_ref(stmt), false))
    }

    /// Whether `block` has a `break`, `continue` or `return` under a condition that is not
    /// uniform across the workgroup (`divergent`: already under one).
    fn jumps_under(&self, k: &Kernel, block: &[Stmt], divergent: bool) -> bool {
        let u = |e: &ExprId| self.uniform.expr(k, *e);
        block.iter().any(|s| match s {
            Stmt::Break | Stmt::Continue | Stmt::Return => divergent,
            Stmt::If {
                cond,
                accept,
                reject,
            } => {
                let d = divergent || !u(cond);
                self.jumps_under(k, accept, d) || self.jumps_under(k, reject, d)
            }
            Stmt::For {
                start,
                end,
                step,
                body,
                ..
            } => {
                let d = divergent || !(u(start) && u(end) && step.iter().all(u));
                self.jumps_under(k, body, d)
            }
            Stmt::While { cond, body } => self.jumps_under(k, body, divergent || !u(cond)),
            Stmt::Loop { body } => self.jumps_under(k, body, divergent),
            _ => false,
        })
    }
}

impl Writer<'_> {
    /// `stmt` run once per subgroup (see the module docs): for each subgroup whose lanes are
    /// live, with `kf_inv` and the ids of its first lane bound for the conditions.
    pub(super) fn per_subgroup(&self, plan: &Plan<'_>, stmt: &Stmt, jumps: bool) -> TokenStream {
        self.each_subgroup(plan, false, || {
            self.group_block(plan, std::slice::from_ref(stmt), jumps)
        })
    }

    /// `body`, written with `plan.sub` set, in a loop over the workgroup's subgroups
    /// (`'kf_sg`, lanes `kf_sg_lo..kf_sg_hi`) that skips those whose lanes all returned, with
    /// `kf_inv` and the ids of a lead lane bound: the first lane (where the lanes of a
    /// subgroup retire together), or the first live one (`first_live`, where they may retire
    /// one by one).
    pub(super) fn each_subgroup(
        &self,
        plan: &Plan<'_>,
        first_live: bool,
        body: impl FnOnce() -> TokenStream,
    ) -> TokenStream {
        let n = self.kernel.invocations_per_group();
        let count = n.div_ceil(32);
        plan.sub.set(true);
        let body = body();
        plan.sub.set(false);
        let lead = match (plan.retires, first_live) {
            (false, _) => quote!(let kf_inv: u32 = kf_sg_lo;),
            (true, false) => quote! {
                if !kf_live[kf_sg_lo as usize] {
                    continue;
                }
                let kf_inv: u32 = kf_sg_lo;
            },
            (true, true) => quote! {
                let kf_inv: u32 = match (kf_sg_lo..kf_sg_hi).find(|&kf_l| kf_live[kf_l as usize]) {
                    Some(kf_l) => kf_l,
                    None => continue 'kf_sg,
                };
            },
        };
        let ids = self.lane_ids();
        quote! {
            'kf_sg: for kf_sg in 0..#count {
                let kf_sg_lo: u32 = kf_sg * 32;
                let kf_sg_hi: u32 = ::core::cmp::min(kf_sg_lo + 32, #n);
                #lead
                #ids
                #body
            }
        }
    }

    /// A subgroup operation: a work-item loop gathers every invocation's operands, then
    /// `rt::subgroup` combines each 32 lanes into the result's per-invocation slots.
    pub(super) fn subgroup(&self, plan: &Plan<'_>, stmt: &Stmt) -> TokenStream {
        let Stmt::Subgroup {
            op,
            value,
            arg,
            result,
            ..
        } = stmt
        else {
            return TokenStream::new();
        };
        let n = self.kernel.invocations_per_group();
        let len = n as usize;
        let s = self.info.ty(*value);
        let (t, z) = (ty(s), zero(s));
        let v = self.expr(*value, Mode::ITEM);
        let a = arg.map(|a| self.expr(a, Mode::ITEM));
        let store_arg = a.as_ref().map(|a| quote!(kf_sg_a[kf_inv as usize] = #a;));
        let gather = self.work_item_loop(
            plan,
            None,
            quote!(kf_sg_v[kf_inv as usize] = #v; #store_arg),
        );
        // The result is per invocation: `proc::uniform` demotes it, so it is hoisted.
        let out = slots(&self.kernel.local(*result).name);
        let combine = match (op, s) {
            (SubgroupOp::Add, Scalar::F32) => quote!(|a: f32, b: f32| a + b),
            (SubgroupOp::Add, _) => quote!(|a: #t, b: #t| a.wrapping_add(b)),
            (SubgroupOp::Min, _) => quote!(|a: #t, b: #t| a.min(b)),
            _ => quote!(|a: #t, b: #t| a.max(b)),
        };
        // Inside a statement run per subgroup, only its lanes.
        let lanes = if plan.sub.get() {
            quote!([kf_sg_lo as usize..kf_sg_hi as usize])
        } else {
            quote!()
        };
        let call = match op {
            SubgroupOp::Broadcast => quote!(rt::subgroup::broadcast(
                &kf_sg_v #lanes, &kf_sg_a #lanes, &mut #out #lanes
            );),
            SubgroupOp::ShuffleXor => quote!(rt::subgroup::shuffle_xor(
                &kf_sg_v #lanes, &kf_sg_a #lanes, &mut #out #lanes
            );),
            _ => quote!(rt::subgroup::reduce(&kf_sg_v #lanes, &mut #out #lanes, #combine);),
        };
        let args = store_arg.map(|_| quote!(let mut kf_sg_a: [u32; #len] = [0u32; #len];));
        // The race check: the operation orders the lanes of its subgroups.
        let order = self.checked.then(|| {
            if plan.sub.get() {
                quote!(kf_chk.subgroup(kf_sg);)
            } else {
                quote!(kf_chk.subgroup(rt::race::ALL);)
            }
        });
        quote! {
            {
                let mut kf_sg_v: [#t; #len] = [#z; #len];
                #args
                #gather
                #order
                #call
            }
        }
    }
}
