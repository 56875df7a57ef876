//! `u64` and `i64` in WGSL, which has no 64-bit integers: a value is a `vec2<u32>` with the low
//! word in `x` and the high word in `y`. That is a `u64`'s little-endian layout, so a slice of
//! them is an `array<vec2<u32>>` holding the host's bytes, and a scalar parameter is a
//! `vec2<u32>` uniform field on an even word (the launch ABI, `back/mod.rs`).
//!
//! The lowering, bit-identical with Rust's wrapping operators and `as` casts:
//! - `& | ^ !` and `==`/`!=` act on both words at once (`all`/`any` for the comparisons);
//! - `+ -` carry or borrow between the words (`lo < a.x` detects the carry), and serve both
//!   signednesses, as in two's complement; unary `-` is `0 - a`;
//! - `*` multiplies the low words to 64 bits through 16-bit halves (every partial product fits a
//!   `u32`) and adds the two cross products to the high word;
//! - `/ %` are restoring division, one quotient bit per step over the dividend's bits, after a
//!   fast path for operands that both fit 32 bits; signed division divides the magnitudes and
//!   fixes the signs (the quotient truncates toward zero, the remainder has the dividend's
//!   sign; `MIN / -1` wraps to `MIN`); a zero divisor gives the dividend and remainder 0, as
//!   for 32-bit integers;
//! - shifts take the amount modulo 64 and move bits across the words; `>>` is arithmetic for
//!   `i64`;
//! - `< <= > >=` compare the high words (signed for `i64`), then the low words;
//! - to `f32`: the magnitude is normalised, its top 24 bits are the significand and the rest
//!   rounds to nearest even, all in integer arithmetic, so no driver's conversion is relied on;
//!   to `f16`/`bf16` the same with round-to-odd, then the single rounding to the narrow type (see
//!   `back::odd_f32`); to `f64`: `hi * 2^32 + lo` in `f64`, whose one rounding is the correctly
//!   rounded result;
//! - from floats: the bits of `f32` (or `f16`/`bf16` widened exactly) are decoded, truncating
//!   toward zero and saturating, NaN to 0; `f64` splits into words by exact scaling.

use super::writer::Writer;
use crate::ir::{BinaryOp, MathFn, Scalar};

/// Each helper: name, the helpers its text calls, the text.
pub(super) const HELPERS: &[(&str, &[&str], &str)] = &[
    (
        "kf_add_u64",
        &[],
        "fn kf_add_u64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let lo = a.x + b.x;
    return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}
",
    ),
    (
        "kf_sub_u64",
        &[],
        "fn kf_sub_u64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    return vec2<u32>(a.x - b.x, a.y - b.y - select(0u, 1u, a.x < b.x));
}
",
    ),
    (
        "kf_neg_u64",
        &["kf_sub_u64"],
        "fn kf_neg_u64(a: vec2<u32>) -> vec2<u32> {
    return kf_sub_u64(vec2<u32>(0u), a);
}
",
    ),
    (
        "kf_mul_wide_u32",
        &[],
        "fn kf_mul_wide_u32(a: u32, b: u32) -> vec2<u32> {
    // 16-bit halves: each partial product fits a u32.
    let ll = (a & 0xffffu) * (b & 0xffffu);
    let lh = (a & 0xffffu) * (b >> 16u);
    let hl = (a >> 16u) * (b & 0xffffu);
    let hh = (a >> 16u) * (b >> 16u);
    let mid = (ll >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
    return vec2<u32>((ll & 0xffffu) | (mid << 16u), hh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u));
}
",
    ),
    (
        "kf_mul_u64",
        &["kf_mul_wide_u32"],
        "fn kf_mul_u64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let p = kf_mul_wide_u32(a.x, b.x);
    return vec2<u32>(p.x, p.y + a.x * b.y + a.y * b.x);
}
",
    ),
    (
        "kf_shl_u64",
        &[],
        "fn kf_shl_u64(a: vec2<u32>, n: u32) -> vec2<u32> {
    let s = n & 63u;
    if s == 0u {
        return a;
    }
    if s >= 32u {
        return vec2<u32>(0u, a.x << (s - 32u));
    }
    return vec2<u32>(a.x << s, (a.y << s) | (a.x >> (32u - s)));
}
",
    ),
    (
        "kf_shr_u64",
        &[],
        "fn kf_shr_u64(a: vec2<u32>, n: u32) -> vec2<u32> {
    let s = n & 63u;
    if s == 0u {
        return a;
    }
    if s >= 32u {
        return vec2<u32>(a.y >> (s - 32u), 0u);
    }
    return vec2<u32>((a.x >> s) | (a.y << (32u - s)), a.y >> s);
}
",
    ),
    (
        "kf_shr_i64",
        &[],
        "fn kf_shr_i64(a: vec2<u32>, n: u32) -> vec2<u32> {
    let s = n & 63u;
    let h = bitcast<i32>(a.y);
    if s == 0u {
        return a;
    }
    if s >= 32u {
        return vec2<u32>(bitcast<u32>(h >> (s - 32u)), bitcast<u32>(h >> 31u));
    }
    return vec2<u32>((a.x >> s) | (a.y << (32u - s)), bitcast<u32>(h >> s));
}
",
    ),
    (
        "kf_lt_u64",
        &[],
        "fn kf_lt_u64(a: vec2<u32>, b: vec2<u32>) -> bool {
    return a.y < b.y || (a.y == b.y && a.x < b.x);
}
",
    ),
    (
        "kf_lt_i64",
        &[],
        "fn kf_lt_i64(a: vec2<u32>, b: vec2<u32>) -> bool {
    let ah = bitcast<i32>(a.y);
    let bh = bitcast<i32>(b.y);
    return ah < bh || (ah == bh && a.x < b.x);
}
",
    ),
    (
        "kf_divmod_u64",
        &["kf_lt_u64", "kf_sub_u64"],
        "// Quotient in .xy, remainder in .zw; a zero divisor gives (a, 0).
fn kf_divmod_u64(a: vec2<u32>, b: vec2<u32>) -> vec4<u32> {
    if b.x == 0u && b.y == 0u {
        return vec4<u32>(a, 0u, 0u);
    }
    if a.y == 0u && b.y == 0u {
        return vec4<u32>(a.x / b.x, 0u, a.x % b.x, 0u);
    }
    // Restoring division from the top bit of a; r < b before each step, so 2r + 1 may carry
    // out of 64 bits only when b > 2^63, and then r - b fits.
    var q = vec2<u32>(0u);
    var r = vec2<u32>(0u);
    for (var i = 0u; i < 64u; i++) {
        let bit = (select(a.x, a.y, i < 32u) >> (31u - (i & 31u))) & 1u;
        let out = r.y >> 31u;
        r = vec2<u32>((r.x << 1u) | bit, (r.y << 1u) | (r.x >> 31u));
        q = vec2<u32>(q.x << 1u, (q.y << 1u) | (q.x >> 31u));
        if out == 1u || !kf_lt_u64(r, b) {
            r = kf_sub_u64(r, b);
            q.x = q.x | 1u;
        }
    }
    return vec4<u32>(q, r);
}
",
    ),
    (
        "kf_divmod_i64",
        &["kf_divmod_u64", "kf_neg_u64"],
        "// Truncating division of the magnitudes, then the signs: the quotient's from both operands,
// the remainder's from the dividend. MIN / -1 wraps to MIN.
fn kf_divmod_i64(a: vec2<u32>, b: vec2<u32>) -> vec4<u32> {
    let an = (a.y >> 31u) == 1u;
    let bn = (b.y >> 31u) == 1u;
    let m = kf_divmod_u64(select(a, kf_neg_u64(a), an), select(b, kf_neg_u64(b), bn));
    return vec4<u32>(select(m.xy, kf_neg_u64(m.xy), an != bn), select(m.zw, kf_neg_u64(m.zw), an));
}
",
    ),
    (
        "kf_div_u64",
        &["kf_divmod_u64"],
        "fn kf_div_u64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    return kf_divmod_u64(a, b).xy;
}
",
    ),
    (
        "kf_rem_u64",
        &["kf_divmod_u64"],
        "fn kf_rem_u64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    return kf_divmod_u64(a, b).zw;
}
",
    ),
    (
        "kf_div_i64",
        &["kf_divmod_i64"],
        "fn kf_div_i64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    return kf_divmod_i64(a, b).xy;
}
",
    ),
    (
        "kf_rem_i64",
        &["kf_divmod_i64"],
        "fn kf_rem_i64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    return kf_divmod_i64(a, b).zw;
}
",
    ),
    (
        "kf_abs_i64",
        &["kf_neg_u64"],
        "fn kf_abs_i64(a: vec2<u32>) -> vec2<u32> {
    return select(a, kf_neg_u64(a), (a.y >> 31u) == 1u);
}
",
    ),
    (
        "kf_i32_to_64",
        &[],
        "fn kf_i32_to_64(a: i32) -> vec2<u32> {
    return vec2<u32>(bitcast<u32>(a), select(0u, 0xffffffffu, a < 0i));
}
",
    ),
    (
        "kf_clz_u64",
        &[],
        "fn kf_clz_u64(a: vec2<u32>) -> u32 {
    return select(countLeadingZeros(a.x) + 32u, countLeadingZeros(a.y), a.y != 0u);
}
",
    ),
    (
        "kf_u64_to_f32",
        &["kf_clz_u64", "kf_shl_u64"],
        "// Round to nearest even in integers: after normalising, the top 24 bits are the significand,
// the next bit the half and the rest the sticky bits.
fn kf_u64_to_f32(a: vec2<u32>) -> f32 {
    if a.y == 0u && a.x == 0u {
        return 0.0f;
    }
    let n = kf_clz_u64(a);
    let m = kf_shl_u64(a, n);
    var bits = ((190u - n) << 23u) + ((m.y >> 8u) & 0x7fffffu);
    let half = (m.y >> 7u) & 1u;
    let sticky = (m.y & 0x7fu) | m.x;
    if half == 1u && (sticky != 0u || (bits & 1u) == 1u) {
        // A carry out of the significand moves into the exponent, as it should.
        bits = bits + 1u;
    }
    return bitcast<f32>(bits);
}
",
    ),
    (
        "kf_u64_to_odd_f32",
        &["kf_clz_u64", "kf_shl_u64"],
        "// Round to odd (truncate, set the last bit if inexact), for one more rounding to f16/bf16.
fn kf_u64_to_odd_f32(a: vec2<u32>) -> f32 {
    if a.y == 0u && a.x == 0u {
        return 0.0f;
    }
    let n = kf_clz_u64(a);
    let m = kf_shl_u64(a, n);
    let bits = ((190u - n) << 23u) + ((m.y >> 8u) & 0x7fffffu);
    return bitcast<f32>(bits | select(0u, 1u, ((m.y & 0xffu) | m.x) != 0u));
}
",
    ),
    (
        "kf_i64_to_f32",
        &["kf_u64_to_f32", "kf_neg_u64"],
        "fn kf_i64_to_f32(a: vec2<u32>) -> f32 {
    let neg = (a.y >> 31u) == 1u;
    let m = kf_u64_to_f32(select(a, kf_neg_u64(a), neg));
    return select(m, -m, neg);
}
",
    ),
    (
        "kf_i64_to_odd_f32",
        &["kf_u64_to_odd_f32", "kf_neg_u64"],
        "fn kf_i64_to_odd_f32(a: vec2<u32>) -> f32 {
    let neg = (a.y >> 31u) == 1u;
    let m = kf_u64_to_odd_f32(select(a, kf_neg_u64(a), neg));
    return select(m, -m, neg);
}
",
    ),
    (
        "kf_f32_bits_to_u64",
        &["kf_shl_u64"],
        "// The integer part of the f32 with magnitude bits b, 1 <= value < 2^64.
fn kf_f32_bits_to_u64(b: u32) -> vec2<u32> {
    let e = (b >> 23u) - 127u;
    let m = (b & 0x7fffffu) | 0x800000u;
    if e >= 23u {
        return kf_shl_u64(vec2<u32>(m, 0u), e - 23u);
    }
    return vec2<u32>(m >> (23u - e), 0u);
}
",
    ),
    (
        "kf_f32_to_u64",
        &["kf_f32_bits_to_u64"],
        "// Truncate and saturate on the bits: negative, NaN and below 1 give 0.
fn kf_f32_to_u64(x: f32) -> vec2<u32> {
    let b = bitcast<u32>(x);
    if b >= 0x80000000u || b > 0x7f800000u || b < 0x3f800000u {
        return vec2<u32>(0u);
    }
    if b >= 0x5f800000u {
        return vec2<u32>(0xffffffffu);
    }
    return kf_f32_bits_to_u64(b);
}
",
    ),
    (
        "kf_f32_to_i64",
        &["kf_f32_bits_to_u64", "kf_neg_u64"],
        "// Truncate and saturate on the bits: NaN and magnitudes below 1 give 0.
fn kf_f32_to_i64(x: f32) -> vec2<u32> {
    let b = bitcast<u32>(x);
    let mag = b & 0x7fffffffu;
    let neg = b >= 0x80000000u;
    if mag > 0x7f800000u || mag < 0x3f800000u {
        return vec2<u32>(0u);
    }
    if mag >= 0x5f000000u {
        return select(vec2<u32>(0xffffffffu, 0x7fffffffu), vec2<u32>(0u, 0x80000000u), neg);
    }
    let m = kf_f32_bits_to_u64(mag);
    return select(m, kf_neg_u64(m), neg);
}
",
    ),
    (
        "kf_u64_to_f64",
        &[],
        "fn kf_u64_to_f64(a: vec2<u32>) -> f64 {
    return f64(a.y) * 4294967296.0lf + f64(a.x);
}
",
    ),
    (
        "kf_i64_to_f64",
        &["kf_u64_to_f64", "kf_neg_u64"],
        "fn kf_i64_to_f64(a: vec2<u32>) -> f64 {
    let neg = (a.y >> 31u) == 1u;
    let m = kf_u64_to_f64(select(a, kf_neg_u64(a), neg));
    return select(m, -m, neg);
}
",
    ),
    (
        "kf_f64_to_u64",
        &[],
        "fn kf_f64_to_u64(x: f64) -> vec2<u32> {
    if !(x >= 1.0lf) {
        return vec2<u32>(0u);
    }
    if x >= 18446744073709551616.0lf {
        return vec2<u32>(0xffffffffu);
    }
    // Exact: scaling by 2^-32, and x - hi * 2^32, which lies in [0, 2^32).
    let hi = floor(x * 2.3283064365386963e-10lf);
    return vec2<u32>(u32(x - hi * 4294967296.0lf), u32(hi));
}
",
    ),
    (
        "kf_f64_to_i64",
        &["kf_f64_to_u64", "kf_neg_u64"],
        "fn kf_f64_to_i64(x: f64) -> vec2<u32> {
    if x >= 9223372036854775808.0lf {
        return vec2<u32>(0xffffffffu, 0x7fffffffu);
    }
    if x <= -9223372036854775808.0lf {
        return vec2<u32>(0u, 0x80000000u);
    }
    let m = kf_f64_to_u64(abs(x));
    return select(m, kf_neg_u64(m), x < 0.0lf);
}
",
    ),
    (
        "kf_f64_to_odd_f32",
        &[],
        "// Round to odd (truncate, set the last bit if inexact), for one more rounding to f16/bf16.
fn kf_f64_to_odd_f32(x: f64) -> f32 {
    let r = f32(x);
    if f64(r) == x || !(x == x) {
        return r;
    }
    var b = bitcast<u32>(r);
    if abs(f64(r)) > abs(x) {
        b = b - 1u;
    }
    return bitcast<f32>(b | 1u);
}
",
    ),
];

impl Writer<'_> {
    /// `l op r` for 64-bit integer operands of type `t` (`Shl`/`Shr` take a `u32` `r`).
    pub(super) fn binary64(&mut self, op: BinaryOp, t: Scalar, l: &str, r: &str) -> String {
        use BinaryOp::*;
        let signed = t == Scalar::I64;
        let call = |w: &mut Self, h: &'static str, a: &str, b: &str| {
            let h = w.use_helper(h);
            format!("{h}({a}, {b})")
        };
        let lt = if signed { "kf_lt_i64" } else { "kf_lt_u64" };
        match op {
            Add => call(self, "kf_add_u64", l, r),
            Sub => call(self, "kf_sub_u64", l, r),
            Mul => call(self, "kf_mul_u64", l, r),
            Div if signed => call(self, "kf_div_i64", l, r),
            Div => call(self, "kf_div_u64", l, r),
            Rem if signed => call(self, "kf_rem_i64", l, r),
            Rem => call(self, "kf_rem_u64", l, r),
            Shl => call(self, "kf_shl_u64", l, r),
            Shr if signed => call(self, "kf_shr_i64", l, r),
            Shr => call(self, "kf_shr_u64", l, r),
            BitAnd | BitOr | BitXor => format!("({l} {} {r})", op.symbol()),
            Eq => format!("all({l} == {r})"),
            Ne => format!("any({l} != {r})"),
            Lt => call(self, lt, l, r),
            Gt => call(self, lt, r, l),
            Le => format!("!{}", call(self, lt, r, l)),
            Ge => format!("!{}", call(self, lt, l, r)),
            // Typing gives `&&`/`||` bool operands.
            And | Or => format!("({l} {} {r})", op.symbol()),
        }
    }

    /// `-a` for a 64-bit integer `a`.
    pub(super) fn neg64(&mut self, a: &str) -> String {
        format!("{}({a})", self.use_helper("kf_neg_u64"))
    }

    /// `abs`, `min`, `max` or `clamp` of 64-bit integers of type `t`.
    pub(super) fn math64(&mut self, fun: MathFn, t: Scalar, a: &[String]) -> String {
        let lt = self.use_helper(if t == Scalar::I64 {
            "kf_lt_i64"
        } else {
            "kf_lt_u64"
        });
        // min/max as selects; the operands are plain expressions without side effects, but a
        // helper evaluates each once.
        let minmax = |w: &mut Self, max: bool, x: &str, y: &str| {
            let name = format!("kf_{}_{}", if max { "max" } else { "min" }, t.rust_name());
            let pick = if max {
                "select(a, b, "
            } else {
                "select(b, a, "
            };
            let text = format!(
                "fn {name}(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {{\n    \
                 return {pick}{lt}(a, b));\n}}\n"
            );
            let name = w.add_helper(name, text);
            format!("{name}({x}, {y})")
        };
        match fun {
            MathFn::Abs => format!("{}({})", self.use_helper("kf_abs_i64"), a[0]),
            MathFn::Min => minmax(self, false, &a[0], &a[1]),
            MathFn::Max => minmax(self, true, &a[0], &a[1]),
            // clamp(x, lo, hi) = min(max(x, lo), hi), as CUDA and WGSL define it.
            _ => {
                let m = minmax(self, true, &a[0], &a[1]);
                minmax(self, false, &m, &a[2])
            }
        }
    }

    /// `e`, of type `from`, converted to `to` where either is `u64` or `i64`.
    pub(super) fn cast64(&mut self, from: Scalar, to: Scalar, e: &str) -> String {
        use Scalar::*;
        let call = |w: &mut Self, h: &'static str, e: &str| format!("{}({e})", w.use_helper(h));
        match (from, to) {
            (a, b) if a == b => e.to_string(),
            (U64 | I64, U64 | I64) => e.to_string(),
            (U32, _) => format!("vec2<u32>({e}, 0u)"),
            (I32, _) => call(self, "kf_i32_to_64", e),
            (Bool, _) => format!("vec2<u32>(select(0u, 1u, {e}), 0u)"),
            (F32 | BF16, U64) => call(self, "kf_f32_to_u64", e),
            (F32 | BF16, I64) => call(self, "kf_f32_to_i64", e),
            (F16, U64) => call(self, "kf_f32_to_u64", &format!("f32({e})")),
            (F16, I64) => call(self, "kf_f32_to_i64", &format!("f32({e})")),
            (F64, U64) => call(self, "kf_f64_to_u64", e),
            (F64, I64) => call(self, "kf_f64_to_i64", e),
            (_, U32) => format!("({e}).x"),
            (_, I32) => format!("bitcast<i32>(({e}).x)"),
            (U64, F32) => call(self, "kf_u64_to_f32", e),
            (I64, F32) => call(self, "kf_i64_to_f32", e),
            (U64, F64) => call(self, "kf_u64_to_f64", e),
            (I64, F64) => call(self, "kf_i64_to_f64", e),
            (U64, F16) => format!("f16({})", call(self, "kf_u64_to_odd_f32", e)),
            (I64, F16) => format!("f16({})", call(self, "kf_i64_to_odd_f32", e)),
            (U64, _) => {
                let odd = call(self, "kf_u64_to_odd_f32", e);
                call(self, "kf_bf16", &odd)
            }
            // I64 to BF16; bool is not a cast target.
            _ => {
                let odd = call(self, "kf_i64_to_odd_f32", e);
                call(self, "kf_bf16", &odd)
            }
        }
    }
}
