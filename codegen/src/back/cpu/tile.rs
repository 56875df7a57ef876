//! Work-item loops over workgroup memory, bounds checked once per loop.
//!
//! A halving step of a tree reduction, `if lid < s { tile[lid] = tile[lid] + tile[lid + s]; }`,
//! runs on the CPU as `for kf_inv in 0..min(N, s)` (group.rs). Checked one access at a time
//! (`rt::load_at`, an early return each), that loop stays scalar: a 256-element tree took
//! about as long as a pass over a 4096-column row. In a 1-D workgroup `local_id().x` is
//! `kf_inv`, so the accesses `a[lid]` and `a[lid + V]` to a workgroup array of length `L`,
//! with `V` uniform and bound before the loop, are all in bounds when `V + count <= L`.
//! Checked once before the loop, they become plain unchecked indexing, and LLVM vectorises
//! the loop. When a check fails the same loop runs with every access checked, and reports the
//! first out-of-bounds index as before.

use super::group::{Id, Plan};
use super::writer::{Mode, Writer};
use crate::ir::*;
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

/// The accesses a work-item loop's fast form checked: `(array, key of V, variable holding V)`;
/// the key of a bare `a[lid]` is empty.
pub(super) struct TileFast {
    offsets: Vec<(ArrayId, String, Ident)>,
}

impl Writer<'_> {
    /// A work-item loop over `count` invocations running `stmts`, in a fast and a checked form
    /// when they access workgroup arrays at `local_id().x (+ V)` (see the module docs).
    pub(super) fn tile_loop(
        &self,
        plan: &Plan<'_>,
        count: TokenStream,
        stmts: &[&Stmt],
    ) -> TokenStream {
        let body =
            |mode: Mode| -> TokenStream { stmts.iter().map(|s| self.stmt(s, mode)).collect() };
        let checked = self.work_item_loop(plan, Some(count.clone()), body(Mode::ITEM));
        let accesses = self.tile_accesses(plan, stmts);
        if accesses.is_empty() {
            return checked;
        }
        let mut offsets = Vec::new();
        let mut decls = Vec::new();
        let mut checks = Vec::new();
        for (array, v, key) in accesses {
            let o = format_ident!("kf_w{}", offsets.len());
            let vt = match v {
                Some(v) => self.expr(v, Mode::GROUP),
                None => quote!(0u32),
            };
            let len = self.array_len(array);
            decls.push(quote!(let #o: usize = #vt as usize;));
            checks.push(quote!(&& #o + (#count) as usize <= #len));
            offsets.push((array, key, o));
        }
        let fast = TileFast { offsets };
        let fast_body = self.work_item_loop(
            plan,
            Some(count),
            body(Mode {
                tile: Some(&fast),
                ..Mode::ITEM
            }),
        );
        quote! {
            {
                #(#decls)*
                if true #(#checks)* {
                    #fast_body
                } else {
                    #checked
                }
            }
        }
    }

    /// The `(array, V, key of V)` of the workgroup-array accesses at `lid` and `lid + V` in
    /// `stmts`, one per array and key.
    fn tile_accesses(
        &self,
        plan: &Plan<'_>,
        stmts: &[&Stmt],
    ) -> Vec<(ArrayId, Option<ExprId>, String)> {
        let k = self.kernel;
        let [_, 1, 1] = k.workgroup_size else {
            return Vec::new();
        };
        let inner: Vec<LocalId> = stmts
            .iter()
            .flat_map(|s| declared(std::slice::from_ref(*s)))
            .collect();
        let mut out: Vec<(ArrayId, Option<ExprId>, String)> = Vec::new();
        let mut visit = |array: ArrayId, index: ExprId| {
            if k.array(array).space != Space::Workgroup {
                return;
            }
            if let Some(v) = self.tile_offset(plan, index, &inner) {
                let key = self.offset_key(v);
                if !out.iter().any(|(a, _, k2)| *a == array && *k2 == key) {
                    out.push((array, v, key));
                }
            }
        };
        for s in stmts {
            walk_array_accesses(k, std::slice::from_ref(*s), &mut visit);
        }
        out
    }

    /// `Some(None)` for an index `local_id().x`, `Some(Some(V))` for `lid + V` or `V + lid`
    /// with `V` uniform and free of the locals `inner` (declared inside the loop, so not yet
    /// bound where the check runs).
    fn tile_offset(
        &self,
        plan: &Plan<'_>,
        index: ExprId,
        inner: &[LocalId],
    ) -> Option<Option<ExprId>> {
        let k = self.kernel;
        match self.base_offset(index, |e| plan.invocation_id(k, e) == Some(Id::Local))? {
            Some(v) if uses_any(k, v, inner) => None,
            offset => Some(offset),
        }
    }

    /// The length of workgroup array `array` as a `usize`: its constant, or the launch-sized
    /// array's `len()`.
    pub(super) fn array_len(&self, array: ArrayId) -> TokenStream {
        let a = self.kernel.array(array);
        match a.len_param {
            Some(_) => {
                let name = super::writer::ident(&a.name);
                quote!(#name.len())
            }
            None => {
                let len = a.len as usize;
                quote!(#len)
            }
        }
    }

    /// The unchecked index of an access to `array` at `index`, when the loop checked it.
    pub(super) fn tile_place(
        &self,
        array: ArrayId,
        index: ExprId,
        mode: Mode,
    ) -> Option<TokenStream> {
        if self.checked {
            return None;
        }
        let fast = mode.tile?;
        let plan = self.group.as_ref()?;
        let key = self.offset_key(self.tile_offset(plan, index, &[])?);
        let (_, _, o) = fast
            .offsets
            .iter()
            .find(|(a, k2, _)| *a == array && *k2 == key)?;
        Some(quote!(#o + kf_inv as usize))
    }
}

/// The locals declared in `block` (by `let` and as loop variables), nested blocks included.
fn declared(block: &[Stmt]) -> Vec<LocalId> {
    let mut out = Vec::new();
    walk_stmts(block, &mut |s| {
        if let Stmt::Let { local, .. } | Stmt::For { var: local, .. } = s {
            out.push(*local);
        }
    });
    out
}

/// Whether expression `e` reads one of `locals`.
fn uses_any(k: &Kernel, e: ExprId, locals: &[LocalId]) -> bool {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match k.expr(e) {
            Expr::Local(l) if locals.contains(l) => return true,
            other => stack.extend(expr_operands(other)),
        }
    }
    false
}
