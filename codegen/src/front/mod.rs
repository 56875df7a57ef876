//! Front end: a `syn::ItemFn` under `#[compute_kernel(...)]` -> [`ir::Kernel`](crate::ir::Kernel).
//!
//! The front end resolves names, desugars (compound assignment, `if` expressions, intrinsic
//! bindings) and rejects every construct outside the kernel language with an error at its span
//! that says what to write instead. It keeps going after an error, so a user sees all of a
//! kernel's problems at once. Types are checked later, in `valid`.

mod array;
mod atomic;
mod attr;
mod call;
mod consts;
mod expr;
mod inline;
mod instances;
mod int;
mod math_consts;
mod matrix;
mod scope;
mod signature;
mod stmt;
mod tuple;
mod types;
mod vector;
mod vector_stmt;

pub use attr::{parse_attr, AttrArgs, KernelAttr, MAX_INVOCATIONS};
pub use instances::{instances, Instance, MAX_INSTANCES};

use signature::Owner;

use crate::error::Errors;
use crate::ir::{Barrier, Kernel, MathFn, Param, SubgroupOp};
use std::collections::HashMap;

/// The `#[kernel_fn]` helpers a kernel may call, by the name it calls them with (the last
/// segment of the call's path).
pub type Helpers = HashMap<String, syn::ItemFn>;

/// Lowers one kernel function (an instance: its const generic parameters substituted) under its
/// resolved attribute.
///
/// # Errors
/// Every construct outside the kernel language, each at its span.
pub fn lower_kernel(
    attr: &KernelAttr,
    func: &syn::ItemFn,
    helpers: &Helpers,
) -> Result<Kernel, Errors> {
    let (sig, mut errors) = signature::check(&func.sig, Owner::Kernel);
    let params = sig
        .params
        .iter()
        .map(|p| {
            let param = Param {
                name: p.name.clone(),
                kind: p.kind(),
            };
            (param, p.span)
        })
        .collect();
    let mut cx = scope::Lowerer::new(
        func.sig.ident.to_string(),
        params,
        attr.workgroup_size,
        helpers,
    );
    cx.lower_body(&func.block);
    let (kernel, mut lower_errors) = cx.finish();
    errors.append(&mut lower_errors);
    if errors.is_empty() {
        Ok(kernel)
    } else {
        Err(Errors(errors))
    }
}

/// Checks a `#[kernel_fn]` helper's signature (its body is checked where a kernel calls it,
/// since it is inlined there).
///
/// # Errors
/// Generic type parameters, `self`, `async`/`unsafe`, non-kernel types, each at its span.
pub fn check_helper(func: &syn::ItemFn) -> Result<(), Errors> {
    let (_, errors) = signature::check(&func.sig, Owner::Helper);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Errors(errors))
    }
}

/// The functions a body calls that are not part of the language (the id intrinsics,
/// `barrier`, `shared_array`, the math functions): the `#[kernel_fn]` helpers it needs, by
/// path as written, each once, in order of appearance.
pub fn helper_calls(block: &syn::Block) -> Vec<syn::Path> {
    struct Calls(Vec<syn::Path>);
    impl<'a> syn::visit::Visit<'a> for Calls {
        fn visit_expr_call(&mut self, c: &'a syn::ExprCall) {
            if let syn::Expr::Path(p) = &*c.func {
                if !is_language_fn(&p.path) && !self.0.iter().any(|q| same_path(q, &p.path)) {
                    self.0.push(p.path.clone());
                }
            }
            syn::visit::visit_expr_call(self, c);
        }
    }
    let mut calls = Calls(Vec::new());
    syn::visit::Visit::visit_block(&mut calls, block);
    calls.0
}

fn same_path(a: &syn::Path, b: &syn::Path) -> bool {
    a.leading_colon.is_some() == b.leading_colon.is_some()
        && a.segments.len() == b.segments.len()
        && a.segments
            .iter()
            .zip(&b.segments)
            .all(|(x, y)| x.ident == y.ident)
}

/// Whether a called path is one of the language's own functions.
fn is_language_fn(path: &syn::Path) -> bool {
    let Some(last) = path.segments.last() else {
        return true;
    };
    let name = last.ident.to_string();
    matches!(
        name.as_str(),
        "global_id"
            | "local_id"
            | "group_id"
            | "group_size"
            | "num_groups"
            | "shared_array"
            | "subgroup_size"
            | "subgroup_invocation_id"
            | "subgroup_id"
            | "num_subgroups"
    ) || Barrier::from_name(&name).is_some()
        || matrix::is_matrix_fn(&name)
        || vector::vector_fn_path(path).is_some()
        // `Layout::col_major_if(cond)`, a matrix operation's argument.
        || (name == "col_major_if"
            && path.segments.len() >= 2
            && path.segments[path.segments.len() - 2].ident == "Layout")
        || (path.segments.len() == 1
            && (MathFn::from_name(&name).is_some() || SubgroupOp::from_name(&name).is_some()))
        // `f32::from_bits(u)` and the like: associated functions of the scalar types.
        || (path.segments.len() == 2
            && types::is_scalar_name(&path.segments[0].ident.to_string()))
}
