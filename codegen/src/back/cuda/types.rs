//! The CUDA C spelling of the kernel language's types: type names, values of each type, casts
//! with Rust's `as` semantics, and the device functions they need.

use crate::back::{float64_text, float_text, half_bits, rounded};
use crate::ir::{ConstValue, Scalar};

/// The CUDA C type of `s` (`__half` and `__nv_bfloat16` from cuda_fp16.h and cuda_bf16.h).
pub(super) fn ty(s: Scalar) -> &'static str {
    match s {
        Scalar::F32 => "float",
        Scalar::I32 => "int",
        Scalar::U32 => "unsigned int",
        Scalar::Bool => "bool",
        Scalar::F16 => "__half",
        Scalar::BF16 => "__nv_bfloat16",
        Scalar::F64 => "double",
        Scalar::I64 => "long long",
        Scalar::U64 => "unsigned long long",
    }
}

/// Zero of type `t`, for declarations without a value (a plain `0` converts implicitly to the
/// built-in types; `__half` and `__nv_bfloat16` are written out).
pub(super) fn zero(t: Scalar) -> String {
    if t.is_half() {
        value(t, ConstValue::Int(0))
    } else {
        "0".into()
    }
}

/// The value `v` as a constant expression of type `t`.
pub(super) fn value(t: Scalar, v: ConstValue) -> String {
    let f = match v {
        ConstValue::Float(f) => f,
        ConstValue::Int(i) => match t {
            Scalar::U32 => return format!("{i}u"),
            Scalar::I32 if i == i32::MIN as i128 => return "(-2147483647 - 1)".into(),
            Scalar::I32 => return format!("{i}"),
            Scalar::U64 => return format!("{i}ull"),
            Scalar::I64 if i == i64::MIN as i128 => return "(-9223372036854775807ll - 1ll)".into(),
            Scalar::I64 => return format!("{i}ll"),
            Scalar::Bool => return (i != 0).to_string(),
            _ => i as f64,
        },
    };
    match t {
        Scalar::F16 => format!(
            "__ushort_as_half((unsigned short){:#06x}u)",
            half_bits(t, f)
        ),
        Scalar::BF16 => format!(
            "__ushort_as_bfloat16((unsigned short){:#06x}u)",
            half_bits(t, f)
        ),
        Scalar::F64 if f.is_finite() => float64_text(f),
        Scalar::F64 => format!("__longlong_as_double({:#018x}ll)", f.to_bits()),
        _ if f.is_finite() => format!("{}f", float_text(f)),
        _ => format!(
            "__int_as_float({}u)",
            (rounded(Scalar::F32, f) as f32).to_bits()
        ),
    }
}

/// `e`, of type `from`, converted to `to` as Rust's `as` does: float to integer truncates and
/// saturates (NaN to 0), which `cvt.rzi` does; conversions to floats round to nearest even,
/// correctly from any source. Inserts the device functions used into `helpers`.
pub(super) fn cast(
    from: Scalar,
    to: Scalar,
    e: &str,
    helpers: &mut std::collections::BTreeSet<&'static str>,
) -> String {
    use Scalar::*;
    let t = ty(to);
    match (from, to) {
        (a, b) if a == b => e.to_string(),
        (Bool, _) => format!("({e} ? ({t})1 : ({t})0)"),
        // f16 and bf16 widen exactly to f32, then convert from there.
        (F16, _) => cast(F32, to, &format!("__half2float({e})"), helpers),
        (BF16, _) => cast(F32, to, &format!("__bfloat162float({e})"), helpers),
        // Through a helper that maps NaN to 0: the intrinsics saturate, but on sm_90 NaN
        // becomes the lowest value (`cvt.rzi.s32.f64`) or 2^63 (`.u64`), not Rust's 0.
        (F32 | F64, I32 | U32 | I64 | U64) => {
            let name = float_to_int_helper(from, to);
            helpers.insert(name);
            format!("{name}({e})")
        }
        (F32, F16) => format!("__float2half_rn({e})"),
        (F32, BF16) => format!("__float2bfloat16_rn({e})"),
        // Through f32 with round-to-odd, so the second rounding is the only one that shows.
        (F64, F16) => {
            helpers.insert("kf_f64_to_odd_f32");
            format!("__float2half_rn(kf_f64_to_odd_f32({e}))")
        }
        (F64, BF16) => {
            helpers.insert("kf_f64_to_odd_f32");
            format!("__float2bfloat16_rn(kf_f64_to_odd_f32({e}))")
        }
        // Exact in f32 below 2^24; at or above it both roundings give infinity.
        (I32 | U32 | I64 | U64, F16) => {
            format!("__float2half_rn({})", cast(from, F32, e, helpers))
        }
        (I32 | I64, BF16) => {
            helpers.insert("kf_i64_to_odd_f32");
            format!("__float2bfloat16_rn(kf_i64_to_odd_f32((long long)({e})))")
        }
        (U32 | U64, BF16) => {
            helpers.insert("kf_u64_to_odd_f32");
            format!("__float2bfloat16_rn(kf_u64_to_odd_f32((unsigned long long)({e})))")
        }
        // Integer to integer: C's conversions truncate or extend as Rust's `as`; to `float`
        // and `double` they round to nearest even, as does `double` to `float`.
        _ => format!("(({t}){e})"),
    }
}

/// Whether `s` is computed in `float` and rounded back (`f16`, `bf16`): `(to float, from
/// float)` conversion functions.
pub(super) fn half_conv(s: Scalar) -> Option<(&'static str, &'static str)> {
    match s {
        Scalar::F16 => Some(("__half2float", "__float2half_rn")),
        Scalar::BF16 => Some(("__bfloat162float", "__float2bfloat16_rn")),
        _ => None,
    }
}

/// The helper that converts `from` (`f32`, `f64`) to the integer `to` as Rust's `as`.
fn float_to_int_helper(from: Scalar, to: Scalar) -> &'static str {
    use Scalar::*;
    match (from, to) {
        (F32, I32) => "kf_f32_to_i32",
        (F32, U32) => "kf_f32_to_u32",
        (F32, I64) => "kf_f32_to_i64",
        (F32, U64) => "kf_f32_to_u64",
        (F64, I32) => "kf_f64_to_i32",
        (F64, U32) => "kf_f64_to_u32",
        (F64, I64) => "kf_f64_to_i64",
        _ => "kf_f64_to_u64",
    }
}

/// The text of a device function named in a writer's helper set, or `None`.
pub(super) fn helper(name: &str) -> Option<&'static str> {
    Some(match name {
        // Rust's `as`: truncate toward zero, saturate, NaN to 0 (`x != x` is the NaN test that
        // needs no header).
        "kf_f32_to_i32" => "__device__ __forceinline__ int kf_f32_to_i32(float x) { return x != x ? 0 : __float2int_rz(x); }\n",
        "kf_f32_to_u32" => "__device__ __forceinline__ unsigned int kf_f32_to_u32(float x) { return x != x ? 0u : __float2uint_rz(x); }\n",
        "kf_f32_to_i64" => "__device__ __forceinline__ long long kf_f32_to_i64(float x) { return x != x ? 0ll : __float2ll_rz(x); }\n",
        "kf_f32_to_u64" => "__device__ __forceinline__ unsigned long long kf_f32_to_u64(float x) { return x != x ? 0ull : __float2ull_rz(x); }\n",
        "kf_f64_to_i32" => "__device__ __forceinline__ int kf_f64_to_i32(double x) { return x != x ? 0 : __double2int_rz(x); }\n",
        "kf_f64_to_u32" => "__device__ __forceinline__ unsigned int kf_f64_to_u32(double x) { return x != x ? 0u : __double2uint_rz(x); }\n",
        "kf_f64_to_i64" => "__device__ __forceinline__ long long kf_f64_to_i64(double x) { return x != x ? 0ll : __double2ll_rz(x); }\n",
        "kf_f64_to_u64" => "__device__ __forceinline__ unsigned long long kf_f64_to_u64(double x) { return x != x ? 0ull : __double2ull_rz(x); }\n",
        "kf_f64_to_odd_f32" => "__device__ __forceinline__ float kf_f64_to_odd_f32(double x) { \
            const float t = __double2float_rz(x); \
            return ((double)t == x || x != x) ? t : __uint_as_float(__float_as_uint(t) | 1u); }\n",
        "kf_u64_to_odd_f32" => "__device__ __forceinline__ float kf_u64_to_odd_f32(unsigned long long x) { \
            const float t = __ull2float_rz(x); \
            return __float2ull_rz(t) == x ? t : __uint_as_float(__float_as_uint(t) | 1u); }\n",
        "kf_i64_to_odd_f32" => "__device__ __forceinline__ float kf_i64_to_odd_f32(long long x) { \
            const float t = __ll2float_rz(x); \
            return __float2ll_rz(t) == x ? t : __uint_as_float(__float_as_uint(t) | 1u); }\n",
        "kf_add_i64" => "__device__ __forceinline__ long long kf_add_i64(long long a, long long b) { return (long long)((unsigned long long)a + (unsigned long long)b); }\n",
        "kf_sub_i64" => "__device__ __forceinline__ long long kf_sub_i64(long long a, long long b) { return (long long)((unsigned long long)a - (unsigned long long)b); }\n",
        "kf_mul_i64" => "__device__ __forceinline__ long long kf_mul_i64(long long a, long long b) { return (long long)((unsigned long long)a * (unsigned long long)b); }\n",
        "kf_neg_i64" => "__device__ __forceinline__ long long kf_neg_i64(long long a) { return (long long)(0ull - (unsigned long long)a); }\n",
        "kf_abs_i64" => "__device__ __forceinline__ long long kf_abs_i64(long long a) { return a < 0 ? (long long)(0ull - (unsigned long long)a) : a; }\n",
        "kf_shl_i64" => "__device__ __forceinline__ long long kf_shl_i64(long long a, unsigned int b) { return (long long)((unsigned long long)a << (b & 63u)); }\n",
        "kf_div_i64" => "__device__ __forceinline__ long long kf_div_i64(long long a, long long b) { return (b == 0 || (a == (-9223372036854775807ll - 1ll) && b == -1)) ? a : a / b; }\n",
        "kf_rem_i64" => "__device__ __forceinline__ long long kf_rem_i64(long long a, long long b) { return (b == 0 || (a == (-9223372036854775807ll - 1ll) && b == -1)) ? 0 : a % b; }\n",
        "kf_div_u64" => "__device__ __forceinline__ unsigned long long kf_div_u64(unsigned long long a, unsigned long long b) { return b == 0ull ? a : a / b; }\n",
        "kf_rem_u64" => "__device__ __forceinline__ unsigned long long kf_rem_u64(unsigned long long a, unsigned long long b) { return b == 0ull ? 0ull : a % b; }\n",
        _ => return None,
    })
}
