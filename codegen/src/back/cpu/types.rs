//! The Rust spelling of the kernel language's types in the CPU module: type names, values of
//! each type and casts. `f16` and `bf16` are the `half` crate's types (re-exported by the
//! runtime's `cpu` module), whose arithmetic computes in `f32` and rounds once.

use crate::back::half_bits;
use crate::ir::{ConstValue, Constant, Scalar};
use proc_macro2::{Literal as Lit, TokenStream};
use quote::{format_ident, quote};

/// The Rust type of `s`.
pub(super) fn ty(s: Scalar) -> TokenStream {
    match s {
        Scalar::F16 => quote!(rt::f16),
        Scalar::BF16 => quote!(rt::bf16),
        _ => {
            let t = format_ident!("{}", s.rust_name());
            quote!(#t)
        }
    }
}

/// Zero of type `s`.
pub(super) fn zero(s: Scalar) -> TokenStream {
    match s {
        Scalar::Bool => quote!(false),
        Scalar::F32 => quote!(0.0f32),
        Scalar::F64 => quote!(0.0f64),
        _ => value(s, ConstValue::Int(0)),
    }
}

/// The value `v` as an expression of type `t`.
pub(super) fn value(t: Scalar, v: ConstValue) -> TokenStream {
    let f = match v {
        ConstValue::Int(i) => {
            let lit = match t {
                Scalar::U32 => Lit::u32_suffixed(i as u32),
                Scalar::I32 => Lit::i32_suffixed(i as i32),
                Scalar::U64 => Lit::u64_suffixed(i as u64),
                Scalar::I64 => Lit::i64_suffixed(i as i64),
                Scalar::Bool => return if i != 0 { quote!(true) } else { quote!(false) },
                _ => return value(t, ConstValue::Float(i as f64)),
            };
            return quote!(#lit);
        }
        ConstValue::Float(f) => f,
    };
    match t {
        Scalar::F16 | Scalar::BF16 => {
            let bits = Lit::u16_suffixed(half_bits(t, f));
            let t = ty(t);
            quote!(#t::from_bits(#bits))
        }
        _ if !f.is_finite() => {
            let t = ty(t);
            match f {
                f if f.is_nan() => quote!(#t::NAN),
                f if f > 0.0 => quote!(#t::INFINITY),
                _ => quote!(#t::NEG_INFINITY),
            }
        }
        Scalar::F64 => {
            let l = Lit::f64_suffixed(f);
            quote!(#l)
        }
        _ => {
            let l = Lit::f32_suffixed(f as f32);
            quote!(#l)
        }
    }
}

/// An associated constant, by its Rust name (`f32::MAX`, `rt::f16::EPSILON`, `u64::BITS`).
pub(super) fn constant(c: Constant) -> TokenStream {
    let t = ty(c.ty);
    let name = format_ident!("{}", c.kind.name());
    quote!(#t::#name)
}

/// `e`, of type `from`, converted to `to` as Rust's `as` does. `as` itself serves the
/// primitive types; conversions that involve `f16` or `bf16` call the runtime's `cast`, which
/// rounds correctly from every source (see `kernelforge::__private::cpu::Cast`).
pub(super) fn cast(from: Scalar, to: Scalar, e: TokenStream) -> TokenStream {
    if from == to {
        return e;
    }
    let t = ty(to);
    if from.is_half() || to.is_half() {
        quote!(rt::Cast::<#t>::cast(#e))
    } else {
        quote!((#e as #t))
    }
}
