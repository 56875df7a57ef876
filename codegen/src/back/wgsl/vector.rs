//! The `x4` WGSL module: an elementwise kernel (see [`crate::proc::vector`]) written so that
//! each invocation runs four consecutive logical invocations with `vec4` loads, arithmetic and
//! stores.
//!
//! Why: on lavapipe, and on GPUs to a lesser degree, the cost of an invocation is more than that
//! of its few instructions, and one 16-byte access replaces four 4-byte ones. The runtime uses
//! this module for 1-D grids (it dispatches a quarter of the workgroups) and the scalar module
//! otherwise. Semantics are unchanged:
//! - lane `k` of invocation `j` is logical invocation `i = 4j + k`; a lane beyond the grid or
//!   failing the kernel's guard `i < bound` is masked;
//! - every value is a `vec4`, uniform scalars are splatted;
//! - `if`/`else` become selects under a mask, computing both sides on every lane;
//! - a store writes the whole `vec4` when the live lanes end at or past the slice's length (the
//!   masked lanes are then padding; the usual case, `if i < y.len()` over a grid covering `y`),
//!   and merges with the old value (`select`) otherwise, so elements of masked lanes keep their
//!   contents. Invocation `j` owns elements `4j..4j+4` of every vector slice, so the
//!   read-modify-write races with nobody.
//! - the runtime rounds wgpu buffers up to 16 bytes, so the last, partial `vec4` exists.

use super::ops::{self, Width};
use super::writer::Writer;
use crate::back::target_name;
use crate::ir::*;
use crate::proc::linear::is_uniform;
use crate::proc::vector::Vector;
use std::fmt::Write;

impl Writer<'_> {
    /// The `x4` module of a kernel with the vector shape `shape`.
    pub fn write_x4(&mut self, shape: &Vector<'_>) -> String {
        let k = self.kernel;
        let [wx, _, _] = k.workgroup_size;
        let lin = &shape.linear;
        let end = match lin.bound {
            Some(b) => {
                let b = self.expr(b);
                format!("min(kf_params.groups_x * {wx}u, {b})")
            }
            None => format!("kf_params.groups_x * {wx}u"),
        };
        let index = self.local_name(lin.index);
        for s in lin.body {
            self.stmt_x4(s, shape, None);
        }
        let body = std::mem::take(&mut self.out);
        let slices: Vec<(ParamId, u32)> = shape.vector_slices.iter().map(|&p| (p, 4)).collect();
        let mut o = self.header(&slices);
        let _ = write!(
            o,
            "\n// Four consecutive invocations per invocation: launched with a quarter of the \
             workgroups\n// of a 1-D grid.\n\
             @compute @workgroup_size({wx}, 1, 1)\n\
             fn {}(\n    @builtin(workgroup_id) kf_wid: vec3<u32>,\n    \
             @builtin(num_workgroups) kf_nwg: vec3<u32>,\n    \
             @builtin(local_invocation_id) kf_lid: vec3<u32>,\n) {{\n",
            k.name
        );
        // No overflow: the runtime uses this module for fewer than 2^31 invocations, and a
        // folded dispatch overshoots by less than 65,535 workgroups.
        let _ = write!(
            o,
            "    let kf_lin = kf_wid.x + kf_nwg.x * (kf_wid.y + kf_nwg.y * kf_wid.z);\n    \
             let kf_j = kf_lin * {wx}u + kf_lid.x;\n    \
             let kf_i0 = kf_j * 4u;\n    \
             // Lanes below kf_end are live: inside the grid and inside the kernel's guard.\n    \
             let kf_end = {end};\n    \
             if kf_i0 >= kf_end {{\n        return;\n    }}\n    \
             let kf_i = vec4<u32>(kf_i0) + vec4<u32>(0u, 1u, 2u, 3u);\n    \
             let kf_m = kf_i < vec4<u32>(kf_end);\n    \
             let {index}: vec4<u32> = kf_i;\n"
        );
        o.push_str(&body);
        o.push_str("}\n");
        o
    }

    /// Writes one statement for four lanes; `mask` is the condition of enclosing branches.
    fn stmt_x4(&mut self, stmt: &Stmt, shape: &Vector<'_>, mask: Option<&str>) {
        let k = self.kernel;
        match stmt {
            Stmt::Let { local, init } => {
                let l = k.local(*local);
                let t = Width::X4.ty(self.info.local_ty(*local));
                let name = self.local_name(*local);
                match init {
                    Some(v) => {
                        let v = self.expr_x4(*v, shape);
                        let kw = if l.mutable { "var" } else { "let" };
                        self.line(&format!("{kw} {name}: {t} = {v};"));
                    }
                    None => self.line(&format!("var {name}: {t};")),
                }
            }
            Stmt::Assign { local, value } => {
                let v = self.expr_x4(*value, shape);
                let name = self.local_name(*local);
                match mask {
                    None => self.line(&format!("{name} = {v};")),
                    Some(m) => self.line(&format!("{name} = select({name}, {v}, {m});")),
                }
            }
            Stmt::Store { slice, value, .. } => {
                let v = self.expr_x4(*value, shape);
                let t = Width::X4.ty(self.info.ty(*value));
                let n = target_name(&k.param(*slice).name);
                let off = self.slice_off(*slice);
                let id = index(*value);
                self.line(&format!("let kf_v{id}: {t} = {v};"));
                let v = format!("kf_v{id}");
                match mask {
                    // When the live lanes end at or past the slice's length, the masked
                    // lanes are padding and a whole-vec4 store is safe; otherwise the old
                    // values are merged in. The test is uniform, but llvmpipe (lavapipe)
                    // runs both sides of an `if` under a lane mask, paying for the merge's
                    // load on every invocation (10% of a 16M-element scale); it leaves a
                    // loop as soon as no lane is active, so the merge sits in a loop that
                    // exits at once. Hardware GPUs branch on either form.
                    None => {
                        self.line(&format!("var kf_o{id} = {v};"));
                        self.line("loop {");
                        self.indent += 1;
                        self.line(&format!("if kf_end >= kf_params.len_{n} {{ break; }}"));
                        self.line(&format!(
                            "kf_o{id} = select({n}[{off} / 4u + kf_j], {v}, kf_m);"
                        ));
                        self.line("break;");
                        self.indent -= 1;
                        self.line("}");
                        self.line(&format!("{n}[{off} / 4u + kf_j] = kf_o{id};"));
                    }
                    Some(m) => self.line(&format!(
                        "{n}[{off} / 4u + kf_j] = select({n}[{off} / 4u + kf_j], {v}, kf_m & {m});"
                    )),
                }
            }
            Stmt::If {
                cond,
                accept,
                reject,
            } => {
                let c = self.expr_x4(*cond, shape);
                let id = index(*cond);
                self.line(&format!("let kf_c{id}: vec4<bool> = {c};"));
                let (yes, no) = match mask {
                    None => (format!("kf_c{id}"), format!("!kf_c{id}")),
                    Some(m) => (format!("({m} & kf_c{id})"), format!("({m} & !kf_c{id})")),
                };
                for s in accept {
                    self.stmt_x4(s, shape, Some(&yes));
                }
                for s in reject {
                    self.stmt_x4(s, shape, Some(&no));
                }
            }
            // Excluded by `proc::vector::analyse`.
            _ => self.line("// unreachable: not in the vector shape"),
        }
    }

    /// An expression as a `vec4`.
    fn expr_x4(&mut self, id: ExprId, shape: &Vector<'_>) -> String {
        let k = self.kernel;
        let t = self.info.ty(id);
        if is_uniform(k, id) {
            let s = self.expr(id);
            return Width::X4.splat(t, &s);
        }
        match k.expr(id).clone() {
            Expr::Local(l) => self.local_name(l),
            Expr::ArrayLoad { .. } | Expr::SubgroupId(_) => {
                unreachable!("the vector shape has no arrays or subgroups")
            }
            Expr::Load { slice, index } => {
                let n = target_name(&k.param(slice).name);
                if shape.vector_slices.contains(&slice) {
                    let off = self.slice_off(slice);
                    format!("{n}[{off} / 4u + kf_j]")
                } else {
                    let i = self.expr(index);
                    let at = self.slice_at(slice, &i);
                    Width::X4.splat(t, &at)
                }
            }
            Expr::Unary { op, arg } => {
                let a = self.expr_x4(arg, shape);
                ops::unary(op, t, &a)
            }
            Expr::Binary { op, left, right } => {
                let lt = self.info.ty(left);
                let l = self.expr_x4(left, shape);
                // A uniform shift amount is masked once, as a scalar.
                if matches!(op, BinaryOp::Shl | BinaryOp::Shr) && is_uniform(k, right) {
                    let r = self.expr(right);
                    return format!("({l} {} vec4<u32>({r} & 31u))", op.symbol());
                }
                let r = self.expr_x4(right, shape);
                self.binary(op, lt, (&l, &r), right, Width::X4)
            }
            Expr::Cast { expr, to } => {
                let from = self.info.ty(expr);
                let e = self.expr_x4(expr, shape);
                self.cast(from, to, e, Width::X4)
            }
            Expr::Math { fun, args } => {
                let a: Vec<String> = args.iter().map(|&x| self.expr_x4(x, shape)).collect();
                self.math(fun, t, &a, Width::X4)
            }
            // Excluded by the analysis.
            Expr::Int { .. } => unreachable!("bit operations are not in the vector shape"),
            // Uniform (handled above) or excluded by the analysis.
            Expr::Literal(_)
            | Expr::Constant(_)
            | Expr::Param(_)
            | Expr::Len(_)
            | Expr::Builtin(..)
            | Expr::Error => {
                let s = self.expr(id);
                Width::X4.splat(t, &s)
            }
        }
    }
}
