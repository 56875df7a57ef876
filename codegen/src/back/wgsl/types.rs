//! The WGSL spelling of the kernel language's types: type names, values of each type and the
//! uniform fields of scalar parameters. `f16` needs `enable f16;` (the adapter's SHADER_F16),
//! `f64` the adapter's SHADER_F64 (naga's extension of WGSL). `u64`/`i64` are `vec2<u32>`
//! (`wide.rs`) and `bf16` an `f32` holding a `bf16` value (`bf16.rs`).

use crate::back::{float64_text, float_text, half_bits, rounded};
use crate::ir::{ConstValue, Scalar};

/// The WGSL type of a value of `s`.
pub(super) fn ty(s: Scalar) -> &'static str {
    match s {
        Scalar::F32 => "f32",
        Scalar::I32 => "i32",
        Scalar::U32 => "u32",
        Scalar::Bool => "bool",
        Scalar::F16 => "f16",
        Scalar::F64 => "f64",
        Scalar::BF16 => "f32",
        Scalar::I64 | Scalar::U64 => "vec2<u32>",
    }
}

/// The value `v` as a constant expression of type `t`.
pub(super) fn value(t: Scalar, v: ConstValue) -> String {
    let f = match v {
        ConstValue::Int(i) => match t {
            Scalar::U32 => return format!("{i}u"),
            Scalar::I32 if i == i32::MIN as i128 => return "i32(-2147483648)".into(),
            Scalar::I32 => return format!("{i}i"),
            Scalar::Bool => return (i != 0).to_string(),
            Scalar::U64 | Scalar::I64 => {
                let bits = i as u64;
                return format!("vec2<u32>({}u, {}u)", bits as u32, (bits >> 32) as u32);
            }
            _ => i as f64,
        },
        ConstValue::Float(f) => f,
    };
    match t {
        // Non-finite values have no literal; a bitcast of their bits is a constant.
        // Rounded here, once: every f16 and bf16 is an f32, whose text reads back exactly.
        Scalar::F16 if f.is_finite() => format!("{}h", float_text(rounded(t, f))),
        Scalar::F16 => format!("bitcast<vec2<f16>>({}u).x", half_bits(t, f)),
        Scalar::F64 if f.is_finite() => format!("{}lf", float64_text(f)),
        Scalar::F64 => format!("f64(bitcast<f32>({}u))", (f as f32).to_bits()),
        Scalar::BF16 if f.is_finite() => format!("{}f", float_text(rounded(t, f))),
        Scalar::BF16 => format!("bitcast<f32>({}u)", (half_bits(t, f) as u32) << 16),
        _ if f.is_finite() => format!("{}f", float_text(f)),
        _ => format!("bitcast<f32>({}u)", (f as f32).to_bits()),
    }
}

/// The WGSL type of scalar parameter of type `s` in the uniform `KfParams`: `bool`, `f16` and
/// `bf16` travel as a `u32` word (0 or 1; the half's bits in the low 16), the rest as
/// themselves (`u64`/`i64` as `vec2<u32>`).
pub(super) fn uniform_ty(s: Scalar) -> &'static str {
    match s {
        Scalar::Bool | Scalar::F16 | Scalar::BF16 => "u32",
        _ => ty(s),
    }
}

/// Reads uniform field `field` of a scalar parameter of type `s` as a value of `s`.
pub(super) fn uniform_value(s: Scalar, field: &str) -> String {
    match s {
        Scalar::Bool => format!("({field} != 0u)"),
        // Exact: every f16 is an f32.
        Scalar::F16 => format!("f16(unpack2x16float({field}).x)"),
        Scalar::BF16 => format!("bitcast<f32>({field} << 16u)"),
        _ => field.to_string(),
    }
}
