//! The bit and multi-limb operations ([`IntOp`]) as CUDA C: the integer intrinsics `__popc`,
//! `__clz`, `__ffs`, `__brev`, `__funnelshift_l/r` and `__umulhi` (and their 64-bit forms),
//! with device functions where an operand is used twice.

use super::types::ty;
use crate::back::int_helper;
use crate::ir::{IntOp, Scalar};
use std::collections::BTreeSet;

/// `op` on the written arguments `a`, whose first has type `t`; inserts the device functions
/// it calls into `helpers`.
pub(super) fn int_op(
    op: IntOp,
    t: Scalar,
    a: &[String],
    helpers: &mut BTreeSet<&'static str>,
) -> String {
    let wide = t.is_wide();
    let x = &a[0];
    // The intrinsics take unsigned operands; signed values pass through their bits.
    let (u, ll) = if wide {
        ("unsigned long long", "ll")
    } else {
        ("unsigned int", "")
    };
    let mut call = |h: &'static str, args: &str| {
        helpers.insert(h);
        format!("{h}({args})")
    };
    match op {
        IntOp::CountOnes => format!("((unsigned int)__popc{ll}(({u})({x})))"),
        IntOp::LeadingZeros => format!("((unsigned int)__clz{ll}(({u})({x})))"),
        IntOp::TrailingZeros if wide => call("kf_ctz_u64", &format!("({u})({x})")),
        IntOp::TrailingZeros => call("kf_ctz_u32", &format!("({u})({x})")),
        IntOp::RotateLeft | IntOp::RotateRight => {
            let n = &a[1];
            let dir = if op == IntOp::RotateLeft { "l" } else { "r" };
            let r = if let (true, Some(h)) = (wide, int_helper(op, wide)) {
                call(h, &format!("({u})({x}), {n}"))
            } else {
                // The funnel shift of a word with itself is a rotation (shift modulo 32).
                format!("__funnelshift_{dir}(({u})({x}), ({u})({x}), {n})")
            };
            format!("(({})({r}))", ty(t))
        }
        IntOp::ReverseBits => format!("(({})__brev{ll}(({u})({x})))", ty(t)),
        IntOp::MulHi if wide => format!("__umul64hi({x}, {})", a[1]),
        IntOp::MulHi => format!("__umulhi({x}, {})", a[1]),
        IntOp::AddCarry | IntOp::SubBorrow => {
            let h = int_helper(op, wide).unwrap_or_default();
            call(h, &format!("{x}, {}, {}", a[1], a[2]))
        }
        // CUDA's `isnan`/`isfinite` classify on the bits; halves widen exactly first.
        IntOp::IsNan | IntOp::IsFinite => {
            let f = if op == IntOp::IsNan {
                "isnan"
            } else {
                "isfinite"
            };
            match super::types::half_conv(t) {
                Some((to, _)) => format!("{f}({to}({x}))"),
                None => format!("{f}({x})"),
            }
        }
        IntOp::ToBits if t == Scalar::F64 => {
            format!("((unsigned long long)__double_as_longlong({x}))")
        }
        IntOp::ToBits => format!("__float_as_uint({x})"),
        IntOp::FromBits(Scalar::F64) => format!("__longlong_as_double((long long)({x}))"),
        IntOp::FromBits(_) => format!("__uint_as_float({x})"),
    }
}

/// The text of a device function named in a writer's helper set, or `None`.
pub(super) fn helper(name: &str) -> Option<&'static str> {
    Some(match name {
        "kf_ctz_u32" => "__device__ __forceinline__ unsigned int kf_ctz_u32(unsigned int x) { return x == 0u ? 32u : (unsigned int)(__ffs((int)x) - 1); }\n",
        "kf_ctz_u64" => "__device__ __forceinline__ unsigned int kf_ctz_u64(unsigned long long x) { return x == 0ull ? 64u : (unsigned int)(__ffsll((long long)x) - 1); }\n",
        "kf_rotl_u64" => "__device__ __forceinline__ unsigned long long kf_rotl_u64(unsigned long long x, unsigned int n) { n &= 63u; return n == 0u ? x : (x << n) | (x >> (64u - n)); }\n",
        "kf_rotr_u64" => "__device__ __forceinline__ unsigned long long kf_rotr_u64(unsigned long long x, unsigned int n) { n &= 63u; return n == 0u ? x : (x >> n) | (x << (64u - n)); }\n",
        "kf_add_carry_u32" => "__device__ __forceinline__ bool kf_add_carry_u32(unsigned int a, unsigned int b, bool c) { const unsigned int s = a + b; return s < a || s + (unsigned int)c < s; }\n",
        "kf_add_carry_u64" => "__device__ __forceinline__ bool kf_add_carry_u64(unsigned long long a, unsigned long long b, bool c) { const unsigned long long s = a + b; return s < a || s + (unsigned long long)c < s; }\n",
        "kf_sub_borrow_u32" => "__device__ __forceinline__ bool kf_sub_borrow_u32(unsigned int a, unsigned int b, bool c) { return a < b || a - b < (unsigned int)c; }\n",
        "kf_sub_borrow_u64" => "__device__ __forceinline__ bool kf_sub_borrow_u64(unsigned long long a, unsigned long long b, bool c) { return a < b || a - b < (unsigned long long)c; }\n",
        _ => return None,
    })
}
