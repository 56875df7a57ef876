//! Vector accesses ([`VectorOp`]) in CUDA C: `width` elements moved as one aligned struct, so
//! that nvcc emits one 64- or 128-bit access (`ld.global.v4.f32`, `ld.shared.v2.b32`, ...),
//! as `float4` and `__half2` loads do. A struct `kf_<T>x<N>` is declared per element type and
//! width used, aligned to its size up to 16 bytes (the widest access); buffers are 256-byte
//! aligned and workgroup arrays that vectors access are declared `__align__(16)`.

use super::types::ty;
use super::writer::Writer;
use crate::back::target_name;
use crate::ir::*;
use std::collections::BTreeSet;

/// The bounds check of a vector access (`bounds.rs`): vector `i` of `n` lanes lies within
/// `len` elements when `i < len / n`; a fault records the first element past the end.
const CHECKED: &str = "\
__device__ __forceinline__ bool kf_in_vec(unsigned int i, unsigned int n, unsigned int len, unsigned int slot, unsigned int* f) { if (i < len / n) return true; if (atomicOr(f, 1u) == 0u) { const unsigned long long e = (unsigned long long)i * n; f[1] = slot; f[2] = e > 0xffffffffull ? 0xffffffffu : (e > len ? (unsigned int)e : len); f[3] = len; } return false; }
";

/// The struct a vector of `width` elements of `elem` moves as.
fn struct_name(elem: Scalar, width: u32) -> String {
    format!("kf_{}x{width}", elem.rust_name())
}

impl Writer<'_> {
    /// The structs of the vector accesses, and their bounds check when checked.
    pub(super) fn vector_helpers(&self) -> String {
        let k = self.kernel;
        let ops = k.vector_ops();
        if ops.is_empty() {
            return String::new();
        }
        let types: BTreeSet<(Scalar, u32)> = ops
            .iter()
            .filter_map(|op| Some((k.mem_elem(op.mem())?, op.width())))
            .collect();
        let mut o = String::new();
        for (elem, width) in types {
            let align = (elem.size() * width).min(16);
            o.push_str(&format!(
                "struct __align__({align}) {} {{ {} v[{width}]; }};\n",
                struct_name(elem, width),
                ty(elem)
            ));
        }
        if self.bounds {
            o.push_str(CHECKED);
        }
        o
    }

    /// Whether vectors access workgroup array `a` (declared `__align__(16)` then).
    pub(super) fn vector_array(&self, a: ArrayId) -> bool {
        self.kernel
            .vector_ops()
            .iter()
            .any(|op| op.mem() == Memory::Array(a))
    }

    /// The lines of `op`.
    pub(super) fn vector_stmt(&mut self, op: &VectorOp) {
        let k = self.kernel;
        let Some(elem) = k.mem_elem(op.mem()) else {
            return;
        };
        let width = op.width();
        let s = struct_name(elem, width);
        let (n, len, slot) = self.bound(op.mem().into());
        let i = self.expr(op.index());
        let check = format!("kf_in_vec(kf_ix, {width}u, {len}, {slot}u, kf_fault)");
        self.line("{");
        self.indent += 1;
        self.line(&format!("const unsigned int kf_ix = {i};"));
        match op {
            VectorOp::Load { lanes, .. } => {
                let load = format!("reinterpret_cast<const {s}*>({n})[kf_ix]");
                if self.bounds {
                    self.line(&format!("{s} kf_vec = {{}};"));
                    self.line(&format!("if ({check}) {{ kf_vec = {load}; }}"));
                } else {
                    self.line(&format!("const {s} kf_vec = {load};"));
                }
                for (e, &l) in lanes.iter().enumerate() {
                    let name = target_name(&k.local(l).name);
                    self.line(&format!("{name} = kf_vec.v[{e}];"));
                }
            }
            VectorOp::Store { values, .. } => {
                self.line(&format!("{s} kf_vec;"));
                for (e, &v) in values.iter().enumerate() {
                    let v = self.expr(v);
                    self.line(&format!("kf_vec.v[{e}] = {v};"));
                }
                let store = format!("reinterpret_cast<{s}*>({n})[kf_ix] = kf_vec;");
                if self.bounds {
                    self.line(&format!("if ({check}) {{ {store} }}"));
                } else {
                    self.line(&store);
                }
            }
        }
        self.indent -= 1;
        self.line("}");
    }
}
