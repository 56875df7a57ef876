//! The math functions ([`MathFn`]) as Rust: the standard library's methods of the same names,
//! the runtime's vectorisable `exp`, `exp2` and `tanh` for `f32`, and `f16`/`bf16` computed in
//! `f32` and rounded once, as the CUDA back end does.

use super::types::ty;
use crate::ir::{MathFn, Scalar};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// A call of `fun` at type `t` on the written arguments `a`.
pub(super) fn math(fun: MathFn, t: Scalar, mut a: Vec<TokenStream>) -> TokenStream {
    if t.is_half() {
        for x in &mut a {
            *x = quote!(#x.to_f32());
        }
        let r = math(fun, Scalar::F32, a);
        let t = ty(t);
        return quote!(#t::from_f32(#r));
    }
    let (x, rest) = (&a[0], &a[1..]);
    match fun {
        MathFn::Abs if t.is_float() => quote!(#x.abs()),
        MathFn::Abs => quote!(#x.wrapping_abs()),
        MathFn::Clamp => {
            let (lo, hi) = (&a[1], &a[2]);
            quote!(#x.max(#lo).min(#hi))
        }
        // The runtime's vectorisable f32 forms; f64 uses the standard library's.
        MathFn::Exp | MathFn::Exp2 | MathFn::Tanh if t != Scalar::F64 => {
            let f = format_ident!("{}", fun.name());
            quote!(rt::math::#f(#x))
        }
        // `std` has no `erf` yet: the `libm` crate's (a port of musl's, within 1 ulp).
        MathFn::Erf if t == Scalar::F64 => quote!(rt::math::erf_f64(#x)),
        MathFn::Erf => quote!(rt::math::erf(#x)),
        MathFn::Pow => quote!(#x.powf(#(#rest),*)),
        MathFn::Rsqrt => quote!(#x.sqrt().recip()),
        // Every other function is the receiver's method of the same name, the other
        // arguments passed on (`min`, `sqrt`, `atan2`, `mul_add`, `hypot`, ...).
        _ => {
            let f = format_ident!("{}", fun.name());
            quote!(#x.#f(#(#rest),*))
        }
    }
}
