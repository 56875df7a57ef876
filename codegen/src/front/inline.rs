//! `#[kernel_fn]` helpers: their signatures, and their calls, which are inlined into the
//! kernel's IR.
//!
//! Inlining (rather than a device function per target) keeps one IR for the three back ends and
//! lets a helper contain `barrier()`: the CPU back end splits a kernel into phases at its
//! barriers, which a separate function would hide. Each call lowers the helper's body again, in
//! a scope that sees only the helper's parameters: scalar parameters become locals initialised
//! from the arguments, slice and array parameters name the caller's slices and arrays, and
//! const generic parameters are constants taken from array lengths or a turbofish.

use super::scope::{push_let, Binding, Lowerer};
use super::signature::{self, ArrayLen, Owner, ParamTy, Signature};
use crate::ir::*;
use proc_macro2::Span;
use std::collections::HashMap;
use syn::spanned::Spanned;

/// Calls deeper than this are reported, not inlined: a mutual recursion the name check misses
/// would otherwise expand without end.
const MAX_DEPTH: usize = 32;

/// Strips `&`, `&mut` and parentheses from an argument: `f(&mut tile)` passes `tile`.
fn strip_ref(e: &syn::Expr) -> &syn::Expr {
    match e {
        syn::Expr::Reference(r) => strip_ref(&r.expr),
        syn::Expr::Paren(p) => strip_ref(&p.expr),
        syn::Expr::Group(g) => strip_ref(&g.expr),
        other => other,
    }
}

/// What an argument became, bound in the helper's scope.
enum Arg {
    Value(String, bool, Scalar, ExprId, Span),
    Bind(String, Binding),
}

impl Lowerer<'_> {
    /// Inlines a call of `helper`; the value it returns, or `None` for a helper that returns
    /// nothing (an error where `want_value`).
    pub(crate) fn inline_call(
        &mut self,
        helper: &syn::ItemFn,
        call: &syn::ExprCall,
        want_value: bool,
        out: &mut Block,
    ) -> Option<ExprId> {
        let span = call.span();
        let name = helper.sig.ident.to_string();
        if self.inlining.contains(&name) {
            self.error(
                span,
                format!(
                    "`{name}` calls itself: recursion is not supported (GPUs have no call \
                     stack for it); write a loop"
                ),
            );
            return None;
        }
        if self.inlining.len() >= MAX_DEPTH {
            self.error(
                span,
                format!("helpers nested deeper than {MAX_DEPTH} calls"),
            );
            return None;
        }
        let (sig, errors) = signature::check(&helper.sig, Owner::Helper);
        let failed = !errors.is_empty();
        self.errors.extend(errors);
        if failed {
            return None;
        }
        if want_value && sig.ret.is_none() {
            self.error(
                span,
                format!("`{name}` returns nothing; call it as a statement: `{name}(...);`"),
            );
            return None;
        }
        if call.args.len() != helper.sig.inputs.len() {
            self.error(
                span,
                format!(
                    "`{name}` takes {} argument(s), not {}",
                    helper.sig.inputs.len(),
                    call.args.len()
                ),
            );
            return None;
        }
        let mut consts: Vec<Option<u32>> = self.turbofish(call, &sig, &name);
        let mut args = Vec::new();
        // An argument that does not fit its parameter is reported once, at the call; the body
        // is then not lowered, which would only repeat it.
        let mut unbound = false;
        for (p, arg) in sig.params.iter().zip(&call.args) {
            let (pname, pmut) = (&p.name, &p.mutable);
            match p.ty {
                ParamTy::Scalar(s) => {
                    let v = self.expr(arg, out);
                    args.push(Arg::Value(pname.clone(), *pmut, s, v, arg.span()));
                }
                ParamTy::Slice {
                    elem,
                    mutable,
                    atomic,
                } => {
                    let Some(id) = self.slice_arg(arg, pname, elem, mutable, atomic) else {
                        unbound = true;
                        continue;
                    };
                    args.push(Arg::Bind(pname.clone(), Binding::Param(id)));
                }
                ParamTy::Array { elem, atomic, len } => {
                    let Some(id) = self.array_arg(arg, pname, elem, atomic, len, &mut consts, &sig)
                    else {
                        unbound = true;
                        continue;
                    };
                    args.push(Arg::Bind(pname.clone(), Binding::Array(id)));
                }
            }
        }
        let mut scope = HashMap::new();
        for (i, c) in sig.consts.iter().enumerate() {
            match consts[i] {
                Some(v) => {
                    scope.insert(
                        c.clone(),
                        Binding::Const(Literal::Int(v as u64, Some(Scalar::U32))),
                    );
                }
                None if unbound => {}
                None => self.error(
                    span,
                    format!(
                        "cannot tell `{c}` of `{name}` from the arguments; write it: \
                         `{name}::<256>(...)`"
                    ),
                ),
            }
        }
        if unbound || consts.iter().any(Option::is_none) {
            return None;
        }
        // The helper sees its parameters only, and its loops are its own.
        let saved_scopes = std::mem::replace(&mut self.scopes, vec![scope]);
        let saved_loops = std::mem::replace(&mut self.loop_depth, 0);
        self.inlining.push(name);
        for arg in args {
            match arg {
                Arg::Value(pname, mutable, ty, value, span) => {
                    let local = self.declare(&pname, Some(ty), mutable, span);
                    push_let(out, local, Some(value), span);
                }
                Arg::Bind(pname, b) => {
                    self.scopes[0].insert(pname, b);
                }
            }
        }
        let block = tail_return_as_value(&helper.block, sig.ret.is_some());
        let result = match sig.ret {
            // A plain tail expression is the call's value itself: no temporary, which on the
            // CPU would be kept per invocation when the helper has barriers.
            Some(_) if plain_tail(&block) => {
                let (tail, stmts) = block.stmts.split_last().expect("a tail");
                let syn::Stmt::Expr(tail, None) = tail else {
                    unreachable!("checked by plain_tail")
                };
                self.scopes.push(HashMap::new());
                for stmt in stmts {
                    self.stmt(stmt, out);
                }
                let v = self.expr(tail, out);
                self.scopes.pop();
                Some(v)
            }
            Some(ty) => {
                let dest = self.temp(Some(ty), span);
                push_let(out, dest, None, span);
                let mut body = self.block_value_into(&block, dest);
                out.append(&mut body);
                Some(self.push(Expr::Local(dest), span))
            }
            None => {
                let mut body = self.block(&block);
                out.append(&mut body);
                None
            }
        };
        self.inlining.pop();
        self.loop_depth = saved_loops;
        self.scopes = saved_scopes;
        result
    }

    /// `f::<256>(...)`: the const generic arguments written at the call.
    fn turbofish(&mut self, call: &syn::ExprCall, sig: &Signature, name: &str) -> Vec<Option<u32>> {
        let mut consts = vec![None; sig.consts.len()];
        let syn::Expr::Path(p) = &*call.func else {
            return consts;
        };
        let Some(last) = p.path.segments.last() else {
            return consts;
        };
        let syn::PathArguments::AngleBracketed(a) = &last.arguments else {
            return consts;
        };
        if a.args.len() > consts.len() {
            self.error(
                a.span(),
                format!("`{name}` has {} const generic parameter(s)", consts.len()),
            );
            return consts;
        }
        for (i, g) in a.args.iter().enumerate() {
            consts[i] = self.const_arg(g, "expected a constant `u32`");
        }
        consts
    }

    fn slice_arg(
        &mut self,
        arg: &syn::Expr,
        pname: &str,
        elem: Scalar,
        mutable: bool,
        atomic: bool,
    ) -> Option<ParamId> {
        let found = match strip_ref(arg) {
            syn::Expr::Path(p) => p.path.get_ident().and_then(|i| self.lookup(&i.to_string())),
            _ => None,
        };
        let slice = match found {
            Some(Binding::Param(id)) => Some((id, self.kernel.param(id).kind)),
            _ => None,
        };
        let Some((
            id,
            ParamKind::Slice {
                elem: e,
                mutable: m,
                atomic: a,
            },
        )) = slice
        else {
            self.error(
                arg.span(),
                format!("`{pname}` is a slice: pass a slice parameter, such as `x` or `&mut y`"),
            );
            return None;
        };
        if e != elem || a != atomic {
            self.error(
                arg.span(),
                format!(
                    "`{pname}` expects a slice of `{}`, and this is a slice of `{}`",
                    elem_name(elem, atomic),
                    elem_name(e, a)
                ),
            );
            return None;
        }
        if mutable && !m {
            self.error(
                arg.span(),
                format!("`{pname}` is `&mut`, and this slice is read-only (`&[T]`)"),
            );
            return None;
        }
        Some(id)
    }

    #[allow(clippy::too_many_arguments)]
    fn array_arg(
        &mut self,
        arg: &syn::Expr,
        pname: &str,
        elem: Scalar,
        atomic: bool,
        len: ArrayLen,
        consts: &mut [Option<u32>],
        sig: &Signature,
    ) -> Option<ArrayId> {
        let Some(id) = self.array_of(strip_ref(arg)) else {
            self.error(
                arg.span(),
                format!(
                    "`{pname}` is an array: pass a workgroup or private array, such as \
                     `&mut tile`"
                ),
            );
            return None;
        };
        if self.kernel.array(id).len_param.is_some() {
            self.error(
                arg.span(),
                format!(
                    "`{pname}` takes an array of constant length; a launch-sized array cannot \
                     be passed to helpers yet"
                ),
            );
            return None;
        }
        if self.array_dims.contains_key(&id) {
            self.error(
                arg.span(),
                format!(
                    "`{pname}` takes a plain array; arrays of arrays cannot be passed to helpers \
                     yet (index them in the kernel, or declare the array flat and index \
                     `y * width + x`)"
                ),
            );
            return None;
        }
        let a = self.kernel.array(id);
        let (a_elem, a_atomic, a_len) = (a.declared_elem, a.atomic, a.len);
        if a_atomic != atomic || a_elem.is_some_and(|e| e != elem) {
            let found = a_elem.map_or("?".to_string(), |e| elem_name(e, a_atomic));
            self.error(
                arg.span(),
                format!(
                    "`{pname}` expects an array of `{}`, and this is an array of `{found}`",
                    elem_name(elem, atomic)
                ),
            );
            return None;
        }
        match len {
            ArrayLen::Fixed(n) if n != a_len => {
                self.error(
                    arg.span(),
                    format!("`{pname}` expects {n} elements, and this array has {a_len}"),
                );
                return None;
            }
            ArrayLen::Fixed(_) => {}
            ArrayLen::Generic(i) => match consts[i] {
                Some(n) if n != a_len => {
                    self.error(
                        arg.span(),
                        format!(
                            "`{pname}` has `{}` = {n} elements, and this array has {a_len}",
                            sig.consts[i]
                        ),
                    );
                    return None;
                }
                Some(_) => {}
                None => consts[i] = Some(a_len),
            },
        }
        Some(id)
    }
}

fn elem_name(s: Scalar, atomic: bool) -> String {
    match (atomic, s) {
        (true, Scalar::U32) => "AtomicU32".into(),
        (true, Scalar::I32) => "AtomicI32".into(),
        (true, Scalar::F32) => "AtomicF32".into(),
        (_, s) => s.rust_name().into(),
    }
}

/// Whether a block ends in an expression that needs no statements of its own.
fn plain_tail(block: &syn::Block) -> bool {
    fn plain(e: &syn::Expr) -> bool {
        match e {
            syn::Expr::If(_) | syn::Expr::Block(_) | syn::Expr::Match(_) | syn::Expr::Loop(_) => {
                false
            }
            syn::Expr::Paren(p) => plain(&p.expr),
            _ => true,
        }
    }
    matches!(block.stmts.last(), Some(syn::Stmt::Expr(e, None)) if plain(e))
}

/// The helper's body with a final `return e;` written as the tail `e`, and, for a helper that
/// returns nothing, a tail expression ended with `;`.
fn tail_return_as_value(block: &syn::Block, returns: bool) -> syn::Block {
    let mut block = block.clone();
    let Some(last) = block.stmts.pop() else {
        return block;
    };
    let last = match last {
        syn::Stmt::Expr(syn::Expr::Return(r), _) if returns && r.expr.is_some() => {
            syn::Stmt::Expr(*r.expr.expect("checked"), None)
        }
        syn::Stmt::Expr(syn::Expr::Return(r), _) if !returns && r.expr.is_none() => {
            return block;
        }
        syn::Stmt::Expr(e, None) if !returns => {
            syn::Stmt::Expr(e, Some(syn::Token![;](Span::call_site())))
        }
        other => other,
    };
    block.stmts.push(last);
    block
}
