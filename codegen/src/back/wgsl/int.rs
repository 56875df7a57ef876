//! The bit and multi-limb operations ([`IntOp`]) as WGSL: `countOneBits`,
//! `countLeadingZeros`, `countTrailingZeros` and `reverseBits` on the bits of 32-bit values,
//! rotations by shifts, and for `u64`/`i64` (`vec2<u32>`, see `wide.rs`) helpers over the two
//! words. The high half of a product multiplies through 16-bit halves (`kf_mul_wide_u32`);
//! carries and borrows compare. `f64` bits, which WGSL cannot bitcast (and whose `frexp`
//! result needs 64-bit integers), are taken apart and put together by scaling with powers of
//! two, each step exact; NaN comes out as the canonical quiet NaN.

use super::writer::Writer;
use crate::back::{float64_text, int_helper};
use crate::ir::{IntOp, Scalar};
use std::fmt::Write;

/// `2^k` as a WGSL `f64` literal (exact: the text reads back as the same `f64`).
fn pow2(k: i32) -> String {
    format!("{}lf", float64_text(2f64.powi(k)))
}

/// The exponent steps of a binary decomposition, largest first.
const STEPS: [i32; 10] = [512, 256, 128, 64, 32, 16, 8, 4, 2, 1];

/// `kf_f64_to_bits`: the sign, the exponent found by scaling a normal value into [1, 2) with
/// the steps (a greedy binary decomposition of the exponent, each multiplication exact), the
/// significand as an integer below 2^52 split into words; subnormals scale by 2^1074.
fn f64_to_bits() -> String {
    let mut o = String::from(
        "// The bits of an f64 without a 64-bit bitcast (see `int.rs`).
fn kf_f64_to_bits(x: f64) -> vec2<u32> {
    if !(x == x) {
        return vec2<u32>(0u, 0x7ff80000u);
    }
    let neg = x < 0.0lf || (x == 0.0lf && 1.0lf / x < 0.0lf);
    let sign = select(0u, 0x80000000u, neg);
    let a = abs(x);
    if a == 0.0lf {
        return vec2<u32>(0u, sign);
    }
    if a > 1.7976931348623157e308lf {
        return vec2<u32>(0u, sign | 0x7ff00000u);
    }
    var m: f64;
    var e = 0i;
",
    );
    let _ = writeln!(
        o,
        "    if a < {} {{
        m = a * {p537} * {p537};
    }} else {{
        var s = a;",
        pow2(-1022),
        p537 = pow2(537)
    );
    for k in STEPS {
        let _ = writeln!(
            o,
            "        if s >= {} {{
            s = s * {};
            e = e + {k}i;
        }}",
            pow2(k),
            pow2(-k)
        );
    }
    for k in STEPS {
        let _ = writeln!(
            o,
            "        if s < {} {{
            s = s * {};
            e = e - {k}i;
        }}",
            pow2(1 - k),
            pow2(k)
        );
    }
    let _ = write!(
        o,
        "        m = (s - 1.0lf) * {};
        e = e + 1023i;
    }}
             let hi = floor(m * {});
             return vec2<u32>(u32(m - hi * 4294967296.0lf), sign | (u32(e) << 20u) | u32(hi));
}}
",
        pow2(52),
        pow2(-32)
    );
    o
}

/// `kf_f64_from_bits`: the significand (with its implicit bit) times `2^n`, applied in exact
/// steps (2^-1024 first, as two normal factors, for subnormals); infinity and NaN through
/// `f32`.
fn f64_from_bits() -> String {
    let mut o = format!(
        "// The f64 with the given bits, without a 64-bit bitcast (see `int.rs`).
fn kf_f64_from_bits(b: vec2<u32>) -> f64 {{
    let e = (b.y >> 20u) & 0x7ffu;
    let m = f64(b.y & 0xfffffu) * 4294967296.0lf + f64(b.x);
    var v: f64;
    if e == 0x7ffu {{
        // Infinity or NaN, through f32 (WGSL has no f64 literal for them).
        v = f64(bitcast<f32>(select(0x7fc00000u, 0x7f800000u, m == 0.0lf)));
    }} else {{
        var n = i32(e) - 1075i;
        v = m + {};
        if e == 0u {{
            n = -1074i;
            v = m;
        }}
        if n <= -1024i {{
            v = v * {p} * {p};
            n = n + 1024i;
        }}
",
        pow2(52),
        p = pow2(-512)
    );
    for k in STEPS {
        let _ = writeln!(
            o,
            "        if n >= {k}i {{
            v = v * {};
            n = n - {k}i;
        }}",
            pow2(k)
        );
    }
    for k in STEPS {
        let _ = writeln!(
            o,
            "        if n <= -{k}i {{
            v = v * {};
            n = n + {k}i;
        }}",
            pow2(-k)
        );
    }
    o.push_str(
        "    }
    return select(v, -v, (b.y >> 31u) == 1u);
}
",
    );
    o
}

/// Each helper: name, the helpers its text calls, the text.
pub(super) const HELPERS: &[(&str, &[&str], &str)] = &[
    (
        "kf_rotl_u32",
        &[],
        "fn kf_rotl_u32(x: u32, n: u32) -> u32 {
    let s = n & 31u;
    return (x << s) | (x >> ((32u - s) & 31u));
}
",
    ),
    (
        "kf_rotr_u32",
        &[],
        "fn kf_rotr_u32(x: u32, n: u32) -> u32 {
    let s = n & 31u;
    return (x >> s) | (x << ((32u - s) & 31u));
}
",
    ),
    (
        "kf_rotl_u64",
        &["kf_shl_u64", "kf_shr_u64"],
        "fn kf_rotl_u64(x: vec2<u32>, n: u32) -> vec2<u32> {
    let s = n & 63u;
    return kf_shl_u64(x, s) | kf_shr_u64(x, (64u - s) & 63u);
}
",
    ),
    (
        "kf_rotr_u64",
        &["kf_shl_u64", "kf_shr_u64"],
        "fn kf_rotr_u64(x: vec2<u32>, n: u32) -> vec2<u32> {
    let s = n & 63u;
    return kf_shr_u64(x, s) | kf_shl_u64(x, (64u - s) & 63u);
}
",
    ),
    (
        "kf_popc_u64",
        &[],
        "fn kf_popc_u64(x: vec2<u32>) -> u32 {
    return countOneBits(x.x) + countOneBits(x.y);
}
",
    ),
    (
        "kf_ctz_u64",
        &[],
        "fn kf_ctz_u64(x: vec2<u32>) -> u32 {
    return select(countTrailingZeros(x.y) + 32u, countTrailingZeros(x.x), x.x != 0u);
}
",
    ),
    (
        "kf_mulhi_u64",
        &["kf_mul_wide_u32", "kf_add_u64", "kf_lt_u64"],
        "// The high 64 bits of the 128-bit product, from four 32x32 -> 64 products.
fn kf_mulhi_u64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let p0 = kf_mul_wide_u32(a.x, b.x);
    let p1 = kf_mul_wide_u32(a.x, b.y);
    let p2 = kf_mul_wide_u32(a.y, b.x);
    let p3 = kf_mul_wide_u32(a.y, b.y);
    // Bits 32 and up of the product: p0.y + p1 + p2 (a carry c out of 64 bits) + p3 * 2^32.
    let m = kf_add_u64(p1, vec2<u32>(p0.y, 0u));
    let m2 = kf_add_u64(m, p2);
    let c = select(0u, 1u, kf_lt_u64(m2, m));
    return kf_add_u64(p3, vec2<u32>(m2.y, c));
}
",
    ),
    (
        "kf_add_carry_u32",
        &[],
        "fn kf_add_carry_u32(a: u32, b: u32, c: bool) -> bool {
    let s = a + b;
    return s < a || s + select(0u, 1u, c) < s;
}
",
    ),
    (
        "kf_sub_borrow_u32",
        &[],
        "fn kf_sub_borrow_u32(a: u32, b: u32, c: bool) -> bool {
    return a < b || a - b < select(0u, 1u, c);
}
",
    ),
    (
        "kf_add_carry_u64",
        &["kf_add_u64", "kf_lt_u64"],
        "fn kf_add_carry_u64(a: vec2<u32>, b: vec2<u32>, c: bool) -> bool {
    let s = kf_add_u64(a, b);
    return kf_lt_u64(s, a) || kf_lt_u64(kf_add_u64(s, vec2<u32>(select(0u, 1u, c), 0u)), s);
}
",
    ),
    (
        "kf_sub_borrow_u64",
        &["kf_sub_u64", "kf_lt_u64"],
        "fn kf_sub_borrow_u64(a: vec2<u32>, b: vec2<u32>, c: bool) -> bool {
    return kf_lt_u64(a, b) || kf_lt_u64(kf_sub_u64(a, b), vec2<u32>(select(0u, 1u, c), 0u));
}
",
    ),
];

impl Writer<'_> {
    /// `op` on the written arguments `a`, whose first has type `t`.
    pub(super) fn int_op(&mut self, op: IntOp, t: Scalar, a: &[String]) -> String {
        let wide = t.is_wide();
        let x = &a[0];
        // 32-bit operations act on the bits as u32; i32 results go back through a bitcast.
        let bits = if t == Scalar::I32 {
            format!("bitcast<u32>({x})")
        } else {
            x.clone()
        };
        let back = |e: String| {
            if t == Scalar::I32 {
                format!("bitcast<i32>({e})")
            } else {
                e
            }
        };
        let call =
            |w: &mut Self, h: &'static str, args: String| format!("{}({args})", w.use_helper(h));
        match op {
            IntOp::CountOnes if wide => call(self, "kf_popc_u64", bits),
            IntOp::CountOnes => format!("countOneBits({bits})"),
            IntOp::LeadingZeros if wide => call(self, "kf_clz_u64", bits),
            IntOp::LeadingZeros => format!("countLeadingZeros({bits})"),
            IntOp::TrailingZeros if wide => call(self, "kf_ctz_u64", bits),
            IntOp::TrailingZeros => format!("countTrailingZeros({bits})"),
            IntOp::RotateLeft | IntOp::RotateRight => {
                let h = int_helper(op, wide).unwrap_or_default();
                back(call(self, h, format!("{bits}, {}", a[1])))
            }
            IntOp::ReverseBits if wide => format!("reverseBits(({x}).yx)"),
            IntOp::ReverseBits => format!("reverseBits({x})"),
            IntOp::MulHi if wide => call(self, "kf_mulhi_u64", format!("{x}, {}", a[1])),
            IntOp::MulHi => format!("{}({x}, {}).y", self.use_helper("kf_mul_wide_u32"), a[1]),
            IntOp::AddCarry | IntOp::SubBorrow => {
                let h = int_helper(op, wide).unwrap_or_default();
                call(self, h, format!("{x}, {}, {}", a[1], a[2]))
            }
            // WGSL has no 64-bit bitcast, and naga's `==` is ordered (false for NaN).
            IntOp::IsNan if t == Scalar::F64 => format!("(!({x} == {x}))"),
            IntOp::IsFinite if t == Scalar::F64 => {
                format!("(abs({x}) <= 1.7976931348623157e308lf)")
            }
            IntOp::IsNan | IntOp::IsFinite => {
                // An `f16` widens exactly; a `bf16` is an `f32` already.
                let f = if t == Scalar::F16 {
                    format!("f32({x})")
                } else {
                    x.clone()
                };
                let cmp = if op == IntOp::IsNan { ">" } else { "<" };
                format!("((bitcast<u32>({f}) & 0x7fffffffu) {cmp} 0x7f800000u)")
            }
            IntOp::ToBits if t == Scalar::F64 => {
                self.helpers
                    .entry("kf_f64_to_bits".into())
                    .or_insert_with(f64_to_bits);
                format!("kf_f64_to_bits({x})")
            }
            IntOp::ToBits => format!("bitcast<u32>({x})"),
            IntOp::FromBits(Scalar::F64) => {
                self.helpers
                    .entry("kf_f64_from_bits".into())
                    .or_insert_with(f64_from_bits);
                format!("kf_f64_from_bits({x})")
            }
            IntOp::FromBits(_) => format!("bitcast<f32>({x})"),
        }
    }
}
