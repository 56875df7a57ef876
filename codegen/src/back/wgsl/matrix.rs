//! Matrix tiles in WGSL (`ir::matrix`), without cooperative matrices (wgpu 30 offers them only
//! as an experimental 8 x 8 `f32` feature), so every adapter runs this form. A subgroup here is 32 consecutive linear local ids, whatever
//! the adapter's own subgroups (lavapipe's have 8 lanes, AMD's 32 or 64), and each lane keeps
//! what it needs so that no lane reads another's registers: lane `l` owns row `l / 2`, columns
//! `8 (l % 2) .. 8 (l % 2) + 8` of the accumulator (8 values), holds that row of A (16 values)
//! and those columns of B (128 values), all as `f32`; `matrix_mma` is then 128 `fma`s per lane
//! in order of depth, unrolled by the driver (constant trip counts). The cost is the loads:
//! each lane reads 144 values per A and B pair where a cooperative matrix reads 16.

use super::writer::Writer;
use crate::back::target_name;
use crate::ir::*;

/// Values per lane of a fragment of `role`.
fn lane_values(role: MatrixRole) -> u32 {
    match role {
        MatrixRole::A => 16,
        MatrixRole::B => 128,
        MatrixRole::Acc => 8,
    }
}

/// The row and column (WGSL `u32` expressions) of value `kf_e` of lane `kf_lane` of a
/// fragment of `role`.
fn position(role: MatrixRole) -> (&'static str, &'static str) {
    match role {
        MatrixRole::A => ("(kf_lane >> 1u)", "kf_e"),
        MatrixRole::B => ("(kf_e >> 3u)", "((kf_lane & 1u) * 8u + (kf_e & 7u))"),
        MatrixRole::Acc => ("(kf_lane >> 1u)", "((kf_lane & 1u) * 8u + kf_e)"),
    }
}

impl Writer<'_> {
    /// The declarations at the top of the kernel's body: its lane and its fragments.
    pub(super) fn matrix_decls(&mut self) {
        let k = self.kernel;
        if !k.uses_matrices() {
            return;
        }
        let [wx, wy, _] = k.workgroup_size;
        self.line(&format!(
            "let kf_lane = (kf_lid.x + {wx}u * (kf_lid.y + {wy}u * kf_lid.z)) & 31u;"
        ));
        for m in k.matrices.values() {
            let n = lane_values(m.role);
            self.line(&format!("var {}: array<f32, {n}>;", target_name(&m.name)));
        }
    }

    /// A matrix operation.
    pub(super) fn matrix_stmt(&mut self, op: &MatrixOp) {
        let k = self.kernel;
        let name = |m: MatrixId| target_name(&k.matrix(m).name);
        match op {
            MatrixOp::Fill { matrix, value } => {
                let v = self.expr(*value);
                let n = name(*matrix);
                self.line(&format!(
                    "for (var kf_e = 0u; kf_e < 8u; kf_e++) {{ {n}[kf_e] = {v}; }}"
                ));
            }
            MatrixOp::Mma { acc, a, b } => {
                let (c, a, b) = (name(*acc), name(*a), name(*b));
                self.line("for (var kf_j = 0u; kf_j < 8u; kf_j++) {");
                self.line(&format!("    var kf_c = {c}[kf_j];"));
                self.line("    for (var kf_k = 0u; kf_k < 16u; kf_k++) {");
                self.line(&format!(
                    "        kf_c = fma({a}[kf_k], {b}[kf_k * 8u + kf_j], kf_c);"
                ));
                self.line("    }");
                self.line(&format!("    {c}[kf_j] = kf_c;"));
                self.line("}");
            }
            MatrixOp::Load { matrix, place } => {
                let m = k.matrix(*matrix);
                let (n, count) = (name(*matrix), lane_values(m.role));
                self.matrix_loop(place, m.role, count, |w| {
                    let v = w.matrix_load(place.mem, m.elem);
                    w.line(&format!("{n}[kf_e] = {v};"));
                });
            }
            MatrixOp::Store { matrix, place } => {
                let n = name(*matrix);
                let mem = place.mem;
                self.matrix_loop(place, MatrixRole::Acc, 8, |w| {
                    w.guarded(
                        mem.into(),
                        "kf_ix".into(),
                        Some(format!("{n}[kf_e]")),
                        |w, i, v| {
                            let v = v.unwrap_or_default();
                            let place = match mem {
                                Memory::Slice(p) => w.slice_at(p, i),
                                Memory::Array(a) => {
                                    format!("{}[{i}]", target_name(&w.kernel.array(a).name))
                                }
                            };
                            w.line(&format!("{place} = {v};"));
                        },
                    );
                });
            }
            MatrixOp::ScaleRows {
                matrix,
                mem,
                offset,
            } => {
                // The lane's 8 values lie in one row (`position`), so one factor.
                let (n, o) = (name(*matrix), self.expr(*offset));
                self.line("{");
                self.indent += 1;
                let (r, _) = position(MatrixRole::Acc);
                self.line(&format!("let kf_ix = {o} + {r};"));
                let x = self.matrix_load(*mem, Scalar::F32);
                self.line(&format!("let kf_x = {x};"));
                self.line(&format!(
                    "for (var kf_e = 0u; kf_e < 8u; kf_e++) {{ {n}[kf_e] = {n}[kf_e] * kf_x; }}"
                ));
                self.indent -= 1;
                self.line("}");
            }
        }
    }

    /// `for kf_e in 0..count` with `kf_ix`, the memory index of value `kf_e` of this lane's
    /// part of a fragment of `role`, bound; `body` writes the loop's inside.
    fn matrix_loop(
        &mut self,
        place: &MatrixPlace,
        role: MatrixRole,
        count: u32,
        body: impl FnOnce(&mut Self),
    ) {
        let (o, s) = (self.expr(place.offset), self.expr(place.stride));
        let (r, c) = position(role);
        let (row, col) = (
            format!("kf_o + {r} * kf_s + {c}"),
            format!("kf_o + {c} * kf_s + {r}"),
        );
        let (ix, cm) = match place.layout {
            Layout::RowMajor => (row, None),
            Layout::ColMajor => (col, None),
            Layout::ColMajorIf(e) => (format!("select({row}, {col}, kf_cm)"), Some(self.expr(e))),
        };
        self.line("{");
        self.indent += 1;
        self.line(&format!("let kf_o = {o};"));
        self.line(&format!("let kf_s = {s};"));
        if let Some(cm) = cm {
            self.line(&format!("let kf_cm = {cm};"));
        }
        self.line(&format!("for (var kf_e = 0u; kf_e < {count}u; kf_e++) {{"));
        self.indent += 1;
        self.line(&format!("let kf_ix = {ix};"));
        body(self);
        self.indent -= 1;
        self.line("}");
        self.indent -= 1;
        self.line("}");
    }

    /// Element `kf_ix` of `mem` as an `f32` (its type is `elem`).
    fn matrix_load(&mut self, mem: Memory, elem: Scalar) -> String {
        let i = self.load_index(mem.into(), "kf_ix".into());
        let v = match mem {
            Memory::Slice(p) if elem == Scalar::BF16 => self.load_bf16(p, &i),
            Memory::Slice(p) => self.slice_at(p, &i),
            Memory::Array(a) => format!("{}[{i}]", target_name(&self.kernel.array(a).name)),
        };
        // `bf16` values are already `f32` in WGSL (`bf16.rs`).
        match elem {
            Scalar::F16 => format!("f32({v})"),
            _ => v,
        }
    }
}
