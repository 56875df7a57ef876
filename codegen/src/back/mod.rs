//! Back ends: IR -> target source. Each has the same shape: `Options`, `Error`, a `Writer` and
//! `write_string` (or `write_tokens` for the CPU back end). They share only what is here.
//!
//! # The launch ABI
//!
//! Every back end receives a launch's arguments in one order, which the runtime reproduces
//! from the kernel's parameter list (it never sees the IR):
//!
//! 1. the grid's size in workgroups, `groups_x`, `groups_y`, `groups_z` (`u32`), which may be
//!    smaller than the dispatched grid when the runtime folded a large grid into more
//!    dimensions: the generated code linearises the dispatched workgroup id, returns early for
//!    the padding workgroups, and recomputes the logical `group_id()`;
//! 2. then for each parameter in order: a scalar's value (`bool` as a `u32` 0 or 1, `f16` and
//!    `bf16` as their 16 bits), or for a slice its buffer followed by its length in elements
//!    (`u32`). A view (`buf.slice(a..b)`) is passed as its first element: CUDA and the CPU
//!    receive a pointer to it; wgpu binds from the adapter's storage offset alignment at or
//!    below it, and the WGSL module's override constant `kf_off_<k>` (parameter `k`) holds the
//!    elements from there, 0 unless the view starts off the alignment (then the runtime
//!    creates a pipeline with that value, cached): whole buffers and aligned views run code in
//!    which the offset is the constant 0, folded away.
//!
//! On wgpu the values live as `u32` words in one uniform struct (binding 0): a 16-bit float in
//! the low half of a word, a 64-bit scalar in two words, low first, starting at an even word
//! (a `kf_pad_<name>` word before it when needed, so an `f64` field is 8-byte aligned). Slice
//! `k` (counting slices only) is binding `k + 1`. On CUDA they are the kernel's parameters in
//! that order, each scalar at its own width (`__half`, `unsigned long long`, ...).
//!
//! Each back end spells the types in its `types.rs`: type names, values, casts.
//!
//! # Loops over inclusive and reversed ranges
//!
//! `for i in a..b` is the target's plain counting loop. `a..=b` and `.rev()` ranges use one
//! general form in every back end, so that no bound overflows (`a..=u32::MAX`,
//! `(0..b).rev()`): a flag says whether the range is non-empty (`a <= b`, or `a < b`); each
//! iteration binds the value, then decides on unsigned distances whether a next value exists
//! (`b - i >= step` going up, `i - a >= step` going down) before stepping the counter
//! (wrapping) and running the body, so `continue` needs no increment of its own.

pub mod cpu;
pub mod cuda;
pub mod wgsl;

use crate::ir::{AtomicOp, Scalar};

/// Reserved in at least one target language (WGSL, CUDA C++, Rust) or by kernelforge itself.
const RESERVED: &[&str] = &[
    // WGSL keywords and reserved words that are plausible identifiers.
    "alias",
    "array",
    "atomic",
    "bitcast",
    "break",
    "case",
    "const",
    "const_assert",
    "continue",
    "continuing",
    "default",
    "diagnostic",
    "discard",
    "else",
    "enable",
    "f16",
    "fn",
    "for",
    "if",
    "let",
    "loop",
    "mat2x2",
    "override",
    "ptr",
    "requires",
    "return",
    "sampler",
    "struct",
    "switch",
    "var",
    "vec2",
    "vec3",
    "vec4",
    "while",
    "uniform",
    "storage",
    "workgroup",
    "private",
    "function",
    "read",
    "write",
    "read_write",
    "texture",
    "target",
    "module",
    "layout",
    "handle",
    "buffer",
    "shared",
    "in",
    "out",
    "inout",
    "input",
    "output",
    "select",
    "min",
    "max",
    "abs",
    "clamp",
    "sqrt",
    "exp",
    "exp2",
    "log",
    "log2",
    "tanh",
    "sin",
    "cos",
    "pow",
    "floor",
    "ceil",
    "round",
    "fma",
    "all",
    "any",
    "arrayLength",
    "i32",
    "u32",
    "f32",
    "bool",
    "true",
    "false",
    "mat",
    "vec",
    // CUDA C++ keywords and common macros.
    "auto",
    "char",
    "class",
    "delete",
    "do",
    "double",
    "enum",
    "extern",
    "float",
    "goto",
    "inline",
    "int",
    "long",
    "namespace",
    "new",
    "operator",
    "register",
    "short",
    "signed",
    "sizeof",
    "static",
    "template",
    "this",
    "throw",
    "try",
    "typedef",
    "typename",
    "union",
    "unsigned",
    "using",
    "virtual",
    "void",
    "volatile",
    "asm",
    "threadIdx",
    "blockIdx",
    "blockDim",
    "gridDim",
    "warpSize",
    "NULL",
    "errno",
    "fabsf",
    "expf",
];

/// The name a parameter or local gets in generated code: the source name, unless a target
/// reserves it (our list plus naga's list of WGSL reserved words) or it could clash with
/// kernelforge's own `kf_` names; then `u_` is prefixed. Names that already start with `u_`
/// are prefixed too, which keeps the mapping one-to-one (`int` -> `u_int`, `u_int` -> `u_u_int`).
pub fn target_name(name: &str) -> String {
    let name = name.strip_prefix("r#").unwrap_or(name);
    if RESERVED.contains(&name)
        || naga::keywords::wgsl::RESERVED.contains(&name)
        || name.starts_with("kf_")
        || name.starts_with("u_")
        || name.starts_with("__")
    {
        format!("u_{name}")
    } else {
        name.to_string()
    }
}

/// Shortest text that reads back as the same `f32` (`1.0`, `0.7978846`, `1e-5`); always
/// contains `.` or `e`, so it is a float literal in C, WGSL and Rust.
pub fn float_text(v: f64) -> String {
    let s = format!("{:?}", v as f32);
    if s.contains(['.', 'e', 'i', 'N']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// `v` rounded to the float type `t` (nearest, ties to even, correctly rounded from the
/// `f64`: half's own `from_f64` drops the low mantissa bits first), as an `f64`. Literals are rounded here, once, so that every
/// back end writes the same value.
pub fn rounded(t: Scalar, v: f64) -> f64 {
    match t {
        Scalar::F16 => half::f16::from_f32(odd_f32(v)).to_f64(),
        Scalar::BF16 => half::bf16::from_f32(odd_f32(v)).to_f64(),
        Scalar::F64 => v,
        _ => v as f32 as f64,
    }
}

/// The bits of `v` rounded to `f16` or `bf16` (see [`rounded`]).
pub fn half_bits(t: Scalar, v: f64) -> u16 {
    match t {
        Scalar::BF16 => half::bf16::from_f32(odd_f32(v)).to_bits(),
        _ => half::f16::from_f32(odd_f32(v)).to_bits(),
    }
}

/// `v` rounded to `f32` with round-to-odd (truncate, then set the last bit if inexact): a
/// second rounding to a type at least two bits narrower (`f16`, `bf16`) is then correctly
/// rounded (Boldo and Melquiond, "When double rounding is odd", 2005). The runtime's CPU
/// support has the same function for run-time conversions (it cannot depend on codegen).
pub fn odd_f32(v: f64) -> f32 {
    let r = v as f32;
    if v.is_nan() || r as f64 == v {
        return r;
    }
    // Step back toward zero if nearest rounded away from it, then mark the result inexact.
    let t = if (r as f64).abs() > v.abs() {
        f32::from_bits(r.to_bits() - 1)
    } else {
        r
    };
    f32::from_bits(t.to_bits() | 1)
}

/// An `f64` as a decimal that reads back as the same `f64` (always with a `.` or exponent).
pub fn float64_text(v: f64) -> String {
    let s = format!("{v:?}");
    if s.contains(['.', 'e', 'i', 'N']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// Size in bytes of one element of `ty` in a buffer.
pub fn elem_size(ty: Scalar) -> u32 {
    ty.size()
}

/// The FNV-1a 64-bit hash of `bytes`: stable across runs, platforms and Rust versions, used to
/// name build outputs after the source they were made from.
pub fn stable_hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The name of the helper function that CUDA and WGSL both define for a rotation, a carry or a
/// borrow ([`IntOp`]) on 64-bit (`wide`) or 32-bit operands, `kf_<op>_u64` / `kf_<op>_u32`
/// (each back end writes its own body); `None` for the other operations.
pub(crate) fn int_helper(op: crate::ir::IntOp, wide: bool) -> Option<&'static str> {
    use crate::ir::IntOp::*;
    Some(match (op, wide) {
        (RotateLeft, true) => "kf_rotl_u64",
        (RotateLeft, false) => "kf_rotl_u32",
        (RotateRight, true) => "kf_rotr_u64",
        (RotateRight, false) => "kf_rotr_u32",
        (AddCarry, true) => "kf_add_carry_u64",
        (AddCarry, false) => "kf_add_carry_u32",
        (SubBorrow, true) => "kf_sub_borrow_u64",
        (SubBorrow, false) => "kf_sub_borrow_u32",
        _ => return None,
    })
}

/// The function CUDA and WGSL both call for a read-modify-write atomic (`atomicAdd(&p, v)`,
/// ...), for the operations the two languages spell alike; `None` for load, store, exchange
/// and compare-exchange, which each back end writes its own way.
pub(crate) fn atomic_rmw_fn(op: AtomicOp) -> Option<&'static str> {
    Some(match op {
        AtomicOp::Add => "atomicAdd",
        AtomicOp::Sub => "atomicSub",
        AtomicOp::Min => "atomicMin",
        AtomicOp::Max => "atomicMax",
        AtomicOp::And => "atomicAnd",
        AtomicOp::Or => "atomicOr",
        AtomicOp::Xor => "atomicXor",
        AtomicOp::Load | AtomicOp::Store | AtomicOp::Exchange | AtomicOp::CompareExchange => {
            return None
        }
    })
}
