//! Compile-time constants: `const` items in a kernel, array lengths and const generic
//! arguments, evaluated in the front end.

use super::scope::{Binding, Lowerer};
use super::types;
use crate::ir::*;
use proc_macro2::Span;
use syn::spanned::Spanned;

impl Lowerer<'_> {
    /// A generic argument that is a compile-time `u32` (`256`, `N`, `{ N * 2 }`); `msg` is the
    /// error for any other argument.
    pub(crate) fn const_arg(&mut self, g: &syn::GenericArgument, msg: &str) -> Option<u32> {
        match g {
            syn::GenericArgument::Const(e) => self.const_u32(e),
            // `N` parses as a type path; `{ N * 2 }` as a const block.
            syn::GenericArgument::Type(syn::Type::Path(tp)) => {
                self.const_u32(&syn::Expr::Path(syn::ExprPath {
                    attrs: Vec::new(),
                    qself: None,
                    path: tp.path.clone(),
                }))
            }
            other => {
                self.error(other.span(), msg);
                None
            }
        }
    }

    /// Evaluates a compile-time integer: literals, `const` items, `+ - * /` and parentheses.
    pub(super) fn const_int(&mut self, e: &syn::Expr) -> Option<u64> {
        let lookup = |n: &str| match self.lookup(n) {
            Some(Binding::Const(Literal::Int(v, _))) => Some(v),
            _ => None,
        };
        match const_eval(e, &lookup) {
            Ok(v) => Some(v),
            Err((span, msg)) => {
                self.error(span, msg);
                None
            }
        }
    }

    /// Evaluates a compile-time `u32` (an array length).
    pub(crate) fn const_u32(&mut self, e: &syn::Expr) -> Option<u32> {
        let v = self.const_int(e)?;
        match u32::try_from(v) {
            Ok(v) => Some(v),
            Err(_) => {
                self.error(e.span(), "this constant does not fit in a `u32`");
                None
            }
        }
    }

    /// `const N: u32 = 256;` inside a kernel.
    pub(super) fn const_item(&mut self, c: &syn::ItemConst) {
        let name = c.ident.to_string();
        let ty = match types::scalar(&c.ty) {
            Ok(t) => t,
            Err(e) => return self.errors.push(e),
        };
        let lit = match ty {
            f if f.is_float() => match &*c.expr {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Float(f),
                    ..
                }) => f.base10_parse::<f64>().ok(),
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Int(i),
                    ..
                }) => i.base10_parse::<f64>().ok(),
                syn::Expr::Unary(syn::ExprUnary {
                    op: syn::UnOp::Neg(_),
                    expr,
                    ..
                }) => match &**expr {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Float(f),
                        ..
                    }) => f.base10_parse::<f64>().ok().map(|v| -v),
                    _ => None,
                },
                _ => None,
            }
            .map(|v| Literal::Float(v, Some(f))),
            Scalar::Bool => match &*c.expr {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Bool(b),
                    ..
                }) => Some(Literal::Bool(b.value)),
                _ => None,
            },
            _ => match self.const_int(&c.expr) {
                Some(v) if ty.int_range().is_some_and(|(_, hi)| v as i128 <= hi) => {
                    Some(Literal::Int(v, Some(ty)))
                }
                Some(_) => return self.error(c.expr.span(), "this constant does not fit its type"),
                None => return,
            },
        };
        match lit {
            Some(lit) => {
                self.scopes
                    .last_mut()
                    .expect("scope")
                    .insert(name, Binding::Const(lit));
            }
            None => self.error(
                c.expr.span(),
                "a kernel `const` is a literal (integer constants may also use `+ - * /` and \
                 other constants)",
            ),
        }
    }
}

/// Evaluates a non-negative integer constant expression.
pub(super) fn const_eval(
    e: &syn::Expr,
    lookup: &dyn Fn(&str) -> Option<u64>,
) -> Result<u64, (Span, String)> {
    let bad = |e: &syn::Expr| {
        (
            e.span(),
            "expected a constant: an integer literal, a `const` declared in the kernel, or \
             `+ - * /` of them"
                .to_string(),
        )
    };
    match e {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => i
            .base10_parse::<u64>()
            .map_err(|err| (i.span(), err.to_string())),
        syn::Expr::Paren(p) => const_eval(&p.expr, lookup),
        syn::Expr::Group(g) => const_eval(&g.expr, lookup),
        syn::Expr::Block(b) if b.block.stmts.len() == 1 => match &b.block.stmts[0] {
            syn::Stmt::Expr(inner, None) => const_eval(inner, lookup),
            _ => Err(bad(e)),
        },
        syn::Expr::Path(p) => {
            let name = p
                .path
                .get_ident()
                .map(|i| i.to_string())
                .ok_or_else(|| bad(e))?;
            lookup(&name).ok_or_else(|| {
                (
                    e.span(),
                    format!(
                        "`{name}` is not a constant of this kernel; declare `const {name}: u32 = \
                         ...;` inside the kernel's body"
                    ),
                )
            })
        }
        syn::Expr::Binary(b) => {
            let l = const_eval(&b.left, lookup)?;
            let r = const_eval(&b.right, lookup)?;
            let v = match b.op {
                syn::BinOp::Add(_) => l.checked_add(r),
                syn::BinOp::Sub(_) => l.checked_sub(r),
                syn::BinOp::Mul(_) => l.checked_mul(r),
                syn::BinOp::Div(_) => l.checked_div(r),
                _ => return Err(bad(e)),
            };
            v.ok_or_else(|| {
                (
                    e.span(),
                    "this constant overflows or divides by zero".into(),
                )
            })
        }
        _ => Err(bad(e)),
    }
}
