//! Vector accesses ([`VectorOp`]) in WGSL: one scalar access per lane, at consecutive
//! elements. WGSL cannot view an `array<f32>` binding as `vec4<f32>`, so the widening is left to
//! the driver's compiler, which merges adjacent loads of one binding (Mesa's
//! `nir_opt_load_store_vectorize`, for one). When checked, the vector is checked as a whole, as
//! on the other back ends.

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
}
