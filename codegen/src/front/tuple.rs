//! Destructuring `let`: `let (a, b) = (x, y);` and the pair results of the integer methods
//! (`let (lo, hi) = a.widening_mul(b);`, see `int.rs`).

use super::scope::{push_let, Lowerer};
use crate::ir::*;
use syn::spanned::Spanned;

impl Lowerer<'_> {
    /// `let (a, b) = pair_call;`, `let (a, b, ..) = (x, y, ..);`, and their forms with `mut`
    /// names or `_`. A tuple's values are all computed before any name is bound, as in Rust
    /// (`let (a, b) = (b, a);` swaps).
    pub(super) fn let_tuple(&mut self, local: &syn::Local, pat: &syn::PatTuple, out: &mut Block) {
        let span = local.span();
        let Some(init) = &local.init else {
            self.error(span, "a destructuring `let` needs a value");
            return self.bind_parts(pat, None, span, out);
        };
        let mut init_expr = &*init.expr;
        while let syn::Expr::Paren(p) = init_expr {
            init_expr = &p.expr;
        }
        let values = match init_expr {
            syn::Expr::Tuple(t) if t.elems.len() == pat.elems.len() => {
                // Each name is a new local, so binding one does not change what a later
                // part's expression reads.
                Some(t.elems.iter().map(|e| self.expr(e, out)).collect())
            }
            syn::Expr::Tuple(t) => {
                self.error(
                    pat.span(),
                    format!(
                        "the pattern has {} names and the tuple {} values",
                        pat.elems.len(),
                        t.elems.len()
                    ),
                );
                None
            }
            syn::Expr::MethodCall(mc) if pat.elems.len() == 2 => {
                self.pair_call(mc, out).map(|(a, b)| vec![a, b])
            }
            syn::Expr::MethodCall(_) => {
                self.error(pat.span(), "a pair destructures into two names: `(a, b)`");
                None
            }
            _ => {
                self.error(
                    pat.span(),
                    "only tuples `(x, y, ..)` and the pair results of `overflowing_add`, \
                     `carrying_add`, `borrowing_sub`, `widening_mul`, ... can be destructured",
                );
                None
            }
        };
        self.bind_parts(pat, values, span, out);
    }

    /// Binds the names of `pat` to `values` (to error values when there are none, so that
    /// their uses report nothing more).
    fn bind_parts(
        &mut self,
        pat: &syn::PatTuple,
        values: Option<Vec<ExprId>>,
        span: proc_macro2::Span,
        out: &mut Block,
    ) {
        for (k, p) in pat.elems.iter().enumerate() {
            let value = match &values {
                Some(v) => v[k],
                None => self.push(Expr::Error, span),
            };
            match p {
                syn::Pat::Wild(_) => {}
                syn::Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
                    let id = self.declare(
                        &pi.ident.to_string(),
                        None,
                        pi.mutability.is_some(),
                        pi.ident.span(),
                    );
                    push_let(out, id, Some(value), span);
                }
                other => self.error(
                    other.span(),
                    "each part of a destructuring `let` is a name, `mut name` or `_`",
                ),
            }
        }
    }
}
