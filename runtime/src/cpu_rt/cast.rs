//! Rust's `as` between the kernel language's numeric types, extended to `f16` and `bf16`,
//! for which `as` does not exist: the generated CPU code calls [`Cast::cast`] for every
//! conversion that involves one of them.
//!
//! Semantics (those of `as`): float to integer truncates toward zero and saturates, NaN giving
//! 0; to a float, the result is the source rounded to nearest, ties to even, *once*. `half`'s
//! own `from_f64` drops the low mantissa bits before rounding, and `u64 as f32` followed by a
//! rounding to `bf16` rounds twice, so those go through [`odd_f32`]: the value rounded to
//! `f32` with round-to-odd, after which one more rounding to a type two or more bits narrower
//! is correct (Boldo and Melquiond, "When double rounding is odd", 2005). The CUDA back end
//! does the same with `__double2float_rz` and `__ull2float_rz`.

use half::{bf16, f16};

/// Converts `self` to `T` as the kernel language's `as` does.
pub trait Cast<T> {
    /// The converted value.
    fn cast(self) -> T;
}

/// `v` rounded to `f32` with round-to-odd: truncated, with the last bit set if inexact.
#[inline]
pub fn odd_f32(v: f64) -> f32 {
    let r = v as f32;
    if v.is_nan() || r as f64 == v {
        return r;
    }
    let t = if (r as f64).abs() > v.abs() {
        f32::from_bits(r.to_bits() - 1)
    } else {
        r
    };
    f32::from_bits(t.to_bits() | 1)
}

/// `v` rounded to `f32` with round-to-odd (see [`odd_f32`]).
#[inline]
pub fn odd_f32_from_u64(v: u64) -> f32 {
    let bits = 64 - v.leading_zeros();
    if bits <= 24 {
        return v as f32;
    }
    let shift = bits - 24;
    let sticky = (v & ((1u64 << shift) - 1) != 0) as u64;
    // 24 significant bits, the last one ORed with what was cut off: exact in f32.
    ((v >> shift) | sticky) as f32 * f32::from_bits((127 + shift) << 23)
}

/// `v` rounded to `f32` with round-to-odd (see [`odd_f32`]).
#[inline]
pub fn odd_f32_from_i64(v: i64) -> f32 {
    let m = odd_f32_from_u64(v.unsigned_abs());
    if v < 0 {
        -m
    } else {
        m
    }
}

macro_rules! cast_as {
    ($from:ty => $($to:ty),*) => {
        $(impl Cast<$to> for $from {
            #[inline(always)]
            fn cast(self) -> $to {
                self as $to
            }
        })*
    };
}
cast_as!(f32 => f32, f64, i32, u32, i64, u64);
cast_as!(f64 => f32, f64, i32, u32, i64, u64);
cast_as!(i32 => f32, f64, i32, u32, i64, u64);
cast_as!(u32 => f32, f64, i32, u32, i64, u64);
cast_as!(i64 => f32, f64, i32, u32, i64, u64);
cast_as!(u64 => f32, f64, i32, u32, i64, u64);

macro_rules! cast_from_half {
    ($($h:ty),*) => {
        $(
            impl<T> Cast<T> for $h
            where
                f32: Cast<T>,
            {
                /// Widens exactly to `f32`, then converts from there.
                #[inline(always)]
                fn cast(self) -> T {
                    Cast::<T>::cast(Widen::widen(self))
                }
            }
        )*
    };
}
cast_from_half!(f16, bf16);

/// The exact widening of a half type to `f32`, branch-free (see `halves.rs`).
trait Widen {
    fn widen(self) -> f32;
}

impl Widen for f16 {
    #[inline(always)]
    fn widen(self) -> f32 {
        super::halves::f16_to_f32(self.to_bits())
    }
}

impl Widen for bf16 {
    #[inline(always)]
    fn widen(self) -> f32 {
        super::halves::bf16_to_f32(self.to_bits())
    }
}

/// Rounds an `f32` to the half type, branch-free and bit-identical with `half`'s `from_f32`.
trait Narrow {
    fn narrow(v: f32) -> Self;
}

impl Narrow for f16 {
    #[inline(always)]
    fn narrow(v: f32) -> Self {
        f16::from_bits(super::halves::f16_bits(v))
    }
}

impl Narrow for bf16 {
    #[inline(always)]
    fn narrow(v: f32) -> Self {
        bf16::from_bits(super::halves::bf16_bits(v))
    }
}

macro_rules! cast_to_half {
    ($h:ty: $($from:ty => |$v:ident| $e:expr),* $(,)?) => {
        $(impl Cast<$h> for $from {
            #[inline(always)]
            fn cast(self) -> $h {
                let $v = self;
                <$h as Narrow>::narrow($e)
            }
        })*
    };
}
// Integers to f16: exact in f32 below 2^24; at or above it both roundings give infinity.
cast_to_half!(f16:
    f32 => |v| v,
    f64 => |v| odd_f32(v),
    i32 => |v| v as f32,
    u32 => |v| v as f32,
    i64 => |v| v as f32,
    u64 => |v| v as f32,
);
cast_to_half!(bf16:
    f32 => |v| v,
    f64 => |v| odd_f32(v),
    i32 => |v| odd_f32(v as f64),
    u32 => |v| odd_f32(v as f64),
    i64 => |v| odd_f32_from_i64(v),
    u64 => |v| odd_f32_from_u64(v),
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_round_once_to_bf16() {
        // 2^24 + 2^16 + 1 is just above the midpoint between two bf16 values; rounding to f32
        // first makes it an exact tie, which would round down to even.
        let v = (1u64 << 24) + (1 << 16) + 1;
        let b: bf16 = v.cast();
        assert_eq!(b.to_f64(), ((1u64 << 24) + (1 << 17)) as f64);
        let b: bf16 = (v as i64).cast();
        assert_eq!(b.to_f64(), ((1u64 << 24) + (1 << 17)) as f64);
        let b: bf16 = (-(v as i64)).cast();
        assert_eq!(b.to_f64(), -(((1u64 << 24) + (1 << 17)) as f64));
        let b: bf16 = u64::MAX.cast();
        assert_eq!(b.to_f64(), 2f64.powi(64));
    }

    #[test]
    fn f64_rounds_once_to_halves() {
        // Just above the midpoint between 1.0 and the next f16 (1 + 2^-10).
        let v = 1.0 + 2f64.powi(-11) + 2f64.powi(-40);
        let h: f16 = v.cast();
        assert_eq!(h.to_f64(), 1.0 + 2f64.powi(-10));
        let v = 1.0 + 2f64.powi(-8) + 2f64.powi(-40);
        let b: bf16 = v.cast();
        assert_eq!(b.to_f64(), 1.0 + 2f64.powi(-7));
        let h: f16 = f64::NAN.cast();
        assert!(h.is_nan());
        let h: f16 = 1e10f64.cast();
        assert!(h.is_infinite());
    }

    #[test]
    fn halves_to_integers_saturate() {
        let v: i32 = f16::INFINITY.cast();
        assert_eq!(v, i32::MAX);
        let v: u32 = f16::from_f32(-3.5).cast();
        assert_eq!(v, 0);
        let v: i64 = bf16::NAN.cast();
        assert_eq!(v, 0);
        let v: f16 = bf16::from_f32(3.0).cast();
        assert_eq!(v.to_f32(), 3.0);
    }
}
