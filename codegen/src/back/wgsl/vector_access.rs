//! Vector accesses ([`VectorOp`]) in WGSL. A slice of 32-bit elements (or `f16`) that the
//! kernel accesses only as vectors of one width is bound as `array<vec4<T>>` (`vec2`), and
//! each access is one `vec4` load or store; its views start at whole vectors (the launch checks
//! it), so the element offset within the binding, `kf_off_<k>`, is a multiple of the width.
//! A workgroup array of those types that the kernel accesses only as vectors of one width
//! (no scalar index, atomic or matrix tile) is declared `array<vec4<T>, N / 4>` in the same
//! way, one access per vector: llvmpipe runs each access of workgroup memory as a gather over
//! the invocations of its SIMD loop, so four scalar accesses cost about four times one `vec4`
//! (`matmul_v4`'s tiles). Other vector accesses (arrays and slices also indexed as scalars,
//! `bf16` and 64-bit elements, which WGSL stores as words) are one scalar access per lane, at
//! consecutive elements, which drivers may merge (Mesa's `nir_opt_load_store_vectorize`). When
//! checked, the vector is checked as a whole, as on the other back ends.

use super::writer::Writer;
use crate::back::target_name;
use crate::ir::*;

/// The bounds check of a vector access: vector `i` of `n` lanes lies within `len` elements
/// when `i < len / n`; a fault records the first element past the end, `max(n i, len)`.
pub(super) const CHECKED: &str = "
fn kf_in_vec(i: u32, n: u32, len: u32, slot: u32) -> bool {
    if i < len / n {
        return true;
    }
    if atomicOr(&kf_fault[0], 1u) == 0u {
        atomicStore(&kf_fault[1], slot);
        atomicStore(&kf_fault[2], select(max(i * n, len), 0xffffffffu, i > 0xffffffffu / n));
        atomicStore(&kf_fault[3], len);
    }
    return false;
}
";

/// The memory of `k` reached only by vector accesses, all of one width, with that width: no
/// scalar index and no matrix tile reaches it (atomic memory has no vector accesses).
fn vector_only(k: &Kernel) -> Vec<(Memory, u32)> {
    let mut widths: Vec<(Memory, u32)> = Vec::new();
    for op in k.vector_ops() {
        if !widths.contains(&(op.mem(), op.width())) {
            widths.push((op.mem(), op.width()));
        }
    }
    let mut other: Vec<Memory> = Vec::new();
    walk_slice_accesses(k, &k.body, &mut |p, _| other.push(Memory::Slice(p)));
    walk_array_accesses(k, &k.body, &mut |a, _| other.push(Memory::Array(a)));
    walk_stmts(&k.body, &mut |s| match s {
        Stmt::Matrix(MatrixOp::Load { place, .. } | MatrixOp::Store { place, .. }) => {
            other.push(place.mem)
        }
        Stmt::Matrix(MatrixOp::ScaleRows { mem, .. }) => other.push(*mem),
        _ => {}
    });
    widths
        .iter()
        .filter(|&&(m, _)| {
            !other.contains(&m) && widths.iter().filter(|(o, _)| *o == m).count() == 1
        })
        .copied()
        .collect()
}

/// Whether WGSL holds `elem` as itself, so that `vec4<elem>` exists (`bf16` and the 64-bit
/// types are words).
fn vector_elem(elem: Option<Scalar>) -> bool {
    matches!(
        elem,
        Some(Scalar::F32 | Scalar::I32 | Scalar::U32 | Scalar::F16)
    )
}

/// The slices of `k` bound as arrays of vectors, with their widths (see the module docs).
pub(super) fn vector_bindings(k: &Kernel) -> Vec<(ParamId, u32)> {
    vector_only(k)
        .into_iter()
        .filter_map(|(m, n)| match m {
            Memory::Slice(p) => Some((p, n)),
            Memory::Array(_) => None,
        })
        .filter(|&(p, _)| {
            matches!(k.param(p).kind, ParamKind::Slice { atomic: false, .. })
                && vector_elem(k.mem_elem(Memory::Slice(p)))
        })
        .collect()
}

/// The workgroup arrays of `k` declared as arrays of vectors, with their widths (see the
/// module docs).
pub(super) fn vector_arrays(k: &Kernel) -> Vec<(ArrayId, u32)> {
    vector_only(k)
        .into_iter()
        .filter_map(|(m, n)| match m {
            Memory::Array(a) => Some((a, n)),
            Memory::Slice(_) => None,
        })
        .filter(|&(a, n)| {
            let arr = k.array(a);
            arr.space == Space::Workgroup
                && !arr.atomic
                && arr.len_param.is_none()
                && arr.len.is_multiple_of(n)
                && vector_elem(k.mem_elem(Memory::Array(a)))
        })
        .collect()
}

impl Writer<'_> {
    /// The statements of `op`.
    pub(super) fn vector_stmt(&mut self, op: &VectorOp) {
        let k = self.kernel;
        let Some(elem) = k.mem_elem(op.mem()) else {
            return;
        };
        let n = op.width();
        let i = self.expr(op.index());
        self.line("{");
        self.indent += 1;
        self.line(&format!("let kf_ix = {i};"));
        let check = self.bounds.then(|| {
            let (len, slot) = self.bound(op.mem().into());
            format!("kf_in_vec(kf_ix, {n}u, {len}, {slot}u)")
        });
        let at = |e: usize| format!("{n}u * kf_ix + {e}u");
        let bound = match op.mem() {
            Memory::Slice(p) if self.vector_slices.contains(&(p, n)) => Some(p),
            _ => None,
        };
        if let Some(p) = bound {
            self.whole_vector(op, p, check);
            self.indent -= 1;
            self.line("}");
            return;
        }
        if let Memory::Array(a) = op.mem() {
            if self.vector_arrays.contains(&(a, n)) {
                let name = target_name(&k.array(a).name);
                self.vector_at(op, &name, "kf_ix".into(), check);
                self.indent -= 1;
                self.line("}");
                return;
            }
        }
        match op {
            VectorOp::Load { lanes, .. } => {
                let at = |e: usize| match &check {
                    // Element 0 when out of bounds, as for a scalar load.
                    Some(_) => format!("select(0u, {}, kf_ok)", at(e)),
                    None => at(e),
                };
                if let Some(c) = &check {
                    self.line(&format!("let kf_ok = {c};"));
                }
                for (e, &l) in lanes.iter().enumerate() {
                    let idx = at(e);
                    let v = match op.mem() {
                        Memory::Slice(p) if elem == Scalar::BF16 => self.load_bf16(p, &idx),
                        Memory::Slice(p) => self.slice_at(p, &idx),
                        Memory::Array(a) => format!("{}[{idx}]", target_name(&k.array(a).name)),
                    };
                    self.line(&format!("{} = {v};", self.local_name(l)));
                }
            }
            VectorOp::Store { values, .. } => {
                // Every value before any element is written.
                for (e, &v) in values.iter().enumerate() {
                    let v = self.expr(v);
                    self.line(&format!("let kf_v{e} = {v};"));
                }
                if let Some(c) = &check {
                    self.line(&format!("if {c} {{"));
                    self.indent += 1;
                }
                for e in 0..values.len() {
                    let (idx, v) = (at(e), format!("kf_v{e}"));
                    let text = match op.mem() {
                        Memory::Slice(p) if elem == Scalar::BF16 => self.store_bf16(p, &idx, &v),
                        Memory::Slice(p) => format!("{} = {v};", self.slice_at(p, &idx)),
                        Memory::Array(a) => {
                            format!("{}[{idx}] = {v};", target_name(&k.array(a).name))
                        }
                    };
                    self.line(&text);
                }
                if check.is_some() {
                    self.indent -= 1;
                    self.line("}");
                }
            }
        }
        self.indent -= 1;
        self.line("}");
    }

    /// `op` on slice `p`, bound as an array of vectors: one access (inside the block that
    /// binds `kf_ix`; `check`, the bounds check when checked).
    fn whole_vector(&mut self, op: &VectorOp, p: ParamId, check: Option<String>) {
        let n = op.width();
        let name = target_name(&self.kernel.param(p).name);
        let off = self.slice_off(p);
        self.vector_at(op, &name, format!("{off} / {n}u + kf_ix"), check);
    }

    /// `op` as one access of vector `at` of `name`, an array of vectors.
    fn vector_at(&mut self, op: &VectorOp, name: &str, at: String, check: Option<String>) {
        let n = op.width();
        const LANES: [&str; 4] = ["x", "y", "z", "w"];
        match op {
            VectorOp::Load { lanes, .. } => {
                let at = match &check {
                    // Vector 0 when out of bounds, as a scalar load reads element 0.
                    Some(c) => format!("select(0u, {at}, {c})"),
                    None => at,
                };
                self.line(&format!("let kf_vec = {name}[{at}];"));
                for (e, &l) in lanes.iter().enumerate() {
                    self.line(&format!("{} = kf_vec.{};", self.local_name(l), LANES[e]));
                }
            }
            VectorOp::Store { values, .. } => {
                let elem = self.info.ty(values[0]);
                let vs: Vec<String> = values.iter().map(|&v| self.expr(v)).collect();
                let v = format!("vec{n}<{}>({})", super::types::ty(elem), vs.join(", "));
                match &check {
                    Some(c) => {
                        self.line(&format!("let kf_v = {v};"));
                        self.line(&format!("if {c} {{"));
                        self.line(&format!("    {name}[{at}] = kf_v;"));
                        self.line("}");
                    }
                    None => self.line(&format!("{name}[{at}] = {v};")),
                }
            }
        }
    }
}
