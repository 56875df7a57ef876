//! `bf16` in WGSL, which has no such type: a value is an `f32` that a `bf16` represents
//! exactly, and every operation that could leave that set rounds back with `kf_bf16` (nearest,
//! ties to even, in integer arithmetic on the bits). Arithmetic is therefore computed in `f32`
//! and rounded once, as on the CPU and CUDA backends.
//!
//! Storage: a `&[bf16]` slice is an `array<u32>` holding the host's bytes, two elements per
//! word, element `i` in the low half of word `i / 2` when `i` is even. A load shifts its half
//! into the top of an `f32`'s bits (exact). A `&mut [bf16]` slice is an `array<atomic<u32>>`:
//! a store replaces its half of the word with a compare-exchange loop, so that two invocations
//! storing the two halves of one word both land, and two storing the same element leave one of
//! the two values, never a mix. Workgroup and private arrays of `bf16` hold `f32` values (four
//! bytes an element). A `bf16` scalar parameter is a uniform `u32` word with the bits in its
//! low half.
//!
//! Precision: `+ - *` in WGSL's `f32` are correctly rounded, so their `bf16` results are too;
//! WGSL allows `/` 2.5 ulp of `f32` error and `sqrt` its inverse-square-root accuracy, which a
//! result within 3 `f32` ulp of a `bf16` rounding tie could show; adapters that flush `f32`
//! subnormals flush `bf16`'s too (the two share an exponent range).

use super::writer::Writer;
use crate::back::target_name;
use crate::ir::{BinaryOp, MathFn, ParamId, Scalar};

/// Each helper: name, the helpers its text calls, the text.
pub(super) const HELPERS: &[(&str, &[&str], &str)] = &[(
    "kf_bf16",
    &[],
    "// f32 to the nearest bf16 (ties to even), kept as an f32; NaN stays NaN (quiet).
fn kf_bf16(x: f32) -> f32 {
    let b = bitcast<u32>(x);
    if (b & 0x7fffffffu) > 0x7f800000u {
        return bitcast<f32>((b | 0x400000u) & 0xffff0000u);
    }
    return bitcast<f32>((b + 0x7fffu + ((b >> 16u) & 1u)) & 0xffff0000u);
}
",
)];

impl Writer<'_> {
    /// `e` rounded to `bf16`.
    pub(super) fn round_bf16(&mut self, e: &str) -> String {
        format!("{}({e})", self.use_helper("kf_bf16"))
    }

    /// Element `i` of `bf16` slice `slice`.
    pub(super) fn load_bf16(&mut self, slice: ParamId, i: &str) -> String {
        let n = target_name(&self.kernel.param(slice).name);
        let name = format!("kf_load_{n}");
        // `kf_` names: the slice's own name (any user name) must not be shadowed.
        let word = if self.is_mutable(slice) {
            format!("atomicLoad(&{n}[kf_i >> 1u])")
        } else {
            format!("{n}[kf_i >> 1u]")
        };
        let text = format!(
            "fn {name}(kf_i: u32) -> f32 {{\n    \
             let kf_w = {word};\n    \
             return bitcast<f32>(select(kf_w << 16u, kf_w & 0xffff0000u, (kf_i & 1u) == 1u));\n}}\n"
        );
        let name = self.add_helper(name, text);
        format!("{name}({} + {i})", self.slice_off(slice))
    }

    /// The statement storing `bf16` value `v` (already rounded) at element `i` of `slice`.
    pub(super) fn store_bf16(&mut self, slice: ParamId, i: &str, v: &str) -> String {
        let n = target_name(&self.kernel.param(slice).name);
        let name = format!("kf_store_{n}");
        let text = format!(
            "// Replaces one half of a word; the other half may be another invocation's.\n\
             fn {name}(kf_i: u32, kf_v: f32) {{\n    \
             let kf_s = (kf_i & 1u) * 16u;\n    \
             let kf_h = (bitcast<u32>(kf_v) >> 16u) << kf_s;\n    \
             var kf_old = atomicLoad(&{n}[kf_i >> 1u]);\n    \
             loop {{\n        \
             let kf_r = atomicCompareExchangeWeak(&{n}[kf_i >> 1u], kf_old, \
             (kf_old & ~(0xffffu << kf_s)) | kf_h);\n        \
             if kf_r.exchanged {{\n            break;\n        }}\n        \
             kf_old = kf_r.old_value;\n    \
             }}\n}}\n"
        );
        let name = self.add_helper(name, text);
        format!("{name}({} + {i}, {v});", self.slice_off(slice))
    }

    fn is_mutable(&self, slice: ParamId) -> bool {
        matches!(
            self.kernel.param(slice).kind,
            crate::ir::ParamKind::Slice { mutable: true, .. }
        )
    }

    /// `l op r` for `bf16` operands: arithmetic rounds, comparisons and logic do not.
    pub(super) fn binary_bf16(&mut self, op: BinaryOp, l: &str, r: &str) -> String {
        let e = format!("({l} {} {r})", op.symbol());
        match op {
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => {
                self.round_bf16(&e)
            }
            _ => e,
        }
    }

    /// `fun` of `bf16` arguments: computed in `f32`, rounded unless exact (`abs`, `min`, `max`,
    /// `clamp`, `floor`, `ceil`, `round` of a `bf16` are `bf16`s).
    pub(super) fn math_bf16(&mut self, fun: MathFn, a: &[String]) -> String {
        use MathFn::*;
        let e = self.math(fun, Scalar::F32, a, super::ops::Width::Scalar);
        match fun {
            Abs | Min | Max | Clamp | Floor | Ceil | Round => e,
            _ => self.round_bf16(&e),
        }
    }

    /// `e`, of type `from`, converted to `to` where one of them is `bf16` and neither is a
    /// 64-bit integer.
    pub(super) fn cast_bf16(&mut self, from: Scalar, to: Scalar, e: &str) -> String {
        use Scalar::*;
        match (from, to) {
            (a, b) if a == b => e.to_string(),
            (BF16, F32) => e.to_string(),
            (BF16, _) => self.cast(F32, to, e.to_string(), super::ops::Width::Scalar),
            (F32, _) => self.round_bf16(e),
            (F16, _) => self.round_bf16(&format!("f32({e})")),
            (Bool, _) => format!("select(0.0f, 1.0f, {e})"),
            // Round to odd in f32 first, so that the rounding to bf16 is the only one.
            (F64, _) => {
                let odd = format!("{}({e})", self.use_helper("kf_f64_to_odd_f32"));
                self.round_bf16(&odd)
            }
            (U32, _) => {
                let odd = format!(
                    "{}(vec2<u32>({e}, 0u))",
                    self.use_helper("kf_u64_to_odd_f32")
                );
                self.round_bf16(&odd)
            }
            // I32.
            _ => {
                let wide = format!("{}({e})", self.use_helper("kf_i32_to_64"));
                let odd = format!("{}({wide})", self.use_helper("kf_i64_to_odd_f32"));
                self.round_bf16(&odd)
            }
        }
    }
}
