//! The bit and multi-limb operations ([`IntOp`]) as Rust: the standard methods, except where
//! they are unstable (`carrying_add`, `borrowing_sub`, `widening_mul`), which are spelled with
//! `overflowing_*` and a double-width product.

use super::types::ty;
use crate::ir::{IntOp, Scalar};
use proc_macro2::TokenStream;
use quote::quote;

/// `op` on the written arguments `a`, whose first has type `t`.
pub(super) fn int_op(op: IntOp, t: Scalar, a: &[TokenStream]) -> TokenStream {
    let x = &a[0];
    let rt = ty(t);
    match op {
        IntOp::CountOnes => quote!(#x.count_ones()),
        IntOp::LeadingZeros => quote!(#x.leading_zeros()),
        IntOp::TrailingZeros => quote!(#x.trailing_zeros()),
        IntOp::RotateLeft => {
            let n = &a[1];
            quote!(#x.rotate_left(#n))
        }
        IntOp::RotateRight => {
            let n = &a[1];
            quote!(#x.rotate_right(#n))
        }
        IntOp::ReverseBits => quote!(#x.reverse_bits()),
        IntOp::MulHi => {
            let y = &a[1];
            let (wide, bits) = if t == Scalar::U64 {
                (quote!(u128), 64u32)
            } else {
                (quote!(u64), 32u32)
            };
            quote!((((#x as #wide) * (#y as #wide)) >> #bits) as #rt)
        }
        IntOp::AddCarry | IntOp::SubBorrow => {
            let (y, c) = (&a[1], &a[2]);
            let f = if op == IntOp::AddCarry {
                quote!(overflowing_add)
            } else {
                quote!(overflowing_sub)
            };
            quote!({
                let (kf_v, kf_c) = #x.#f(#y);
                kf_c | kf_v.#f(#c as #rt).1
            })
        }
        IntOp::ToBits => quote!(#x.to_bits()),
        // std's (and half's) classify on the bits.
        IntOp::IsNan => quote!(#x.is_nan()),
        IntOp::IsFinite => quote!(#x.is_finite()),
        IntOp::FromBits(to) => {
            let to = ty(to);
            quote!(#to::from_bits(#x))
        }
    }
}
