//! Atomic operations ([`Stmt::Atomic`](crate::ir::Stmt::Atomic)) as WGSL. WGSL's atomics are
//! `atomic<u32>`/`atomic<i32>` only, so an `f32` atomic (`AtomicF32`) is an `atomic<u32>`
//! holding the float's bits: loads, stores and exchanges bitcast, and the arithmetic is a
//! compare-exchange loop on the bits. `atomicCompareExchangeWeak` may fail spuriously, so
//! every loop retries until it exchanges or sees another value.

use super::types::ty;
use super::writer::Writer;
use crate::back::{atomic_rmw_fn, target_name};
use crate::ir::{AtomicOp, AtomicTarget, ExprId, LocalId, Scalar};

/// The WGSL type of an atomic element of type `elem`.
pub(super) fn atomic_ty(elem: Scalar) -> String {
    let word = if elem == Scalar::F32 {
        Scalar::U32
    } else {
        elem
    };
    format!("atomic<{}>", ty(word))
}

impl Writer<'_> {
    /// Writes `op` on element `index` of `target` with operands `args`, its value (if any)
    /// assigned to `result`.
    pub(super) fn atomic(
        &mut self,
        target: AtomicTarget,
        index: ExprId,
        op: AtomicOp,
        args: &[ExprId],
        result: Option<LocalId>,
    ) {
        let i = self.expr(index);
        let args: Vec<String> = args.iter().map(|&a| self.expr(a)).collect();
        self.guarded(target, i, None, |w, i, _| {
            w.atomic_at(target, i, op, &args, result)
        });
    }

    /// Writes `op` on element `i` (written) of `target` with the written operands `args`.
    fn atomic_at(
        &mut self,
        target: AtomicTarget,
        i: &str,
        op: AtomicOp,
        args: &[String],
        result: Option<LocalId>,
    ) {
        let place = match target {
            AtomicTarget::Slice(p) => format!("&{}", self.slice_at(p, i)),
            AtomicTarget::Array(_) => {
                format!("&{}[{i}]", target_name(self.kernel.atomic_name(target)))
            }
        };
        let result = result.map(|l| self.local_name(l));
        if self.info.atomic_elem(self.kernel, target).is_float() {
            return self.float_atomic(&place, op, args, result.as_deref());
        }
        let set = |call: &str| match &result {
            Some(l) => format!("{l} = {call};"),
            None => format!("_ = {call};"),
        };
        let text = match (op, atomic_rmw_fn(op)) {
            (_, Some(f)) => set(&format!("{f}({place}, {})", args[0])),
            (AtomicOp::Load, None) => set(&format!("atomicLoad({place})")),
            (AtomicOp::Store, None) => format!("atomicStore({place}, {});", args[0]),
            (AtomicOp::CompareExchange, None) => {
                let (cur, new) = (&args[0], &args[1]);
                self.cas_loop(&place, cur, new, result.as_deref(), "kf_cas.old_value");
                return;
            }
            // Exchange.
            (_, None) => set(&format!("atomicExchange({place}, {})", args[0])),
        };
        self.line(&text);
    }

    /// A strong compare-exchange of `cur` for `new` at `place`, from the weak one; `result`
    /// gets `old` (written in terms of `kf_cas.old_value`).
    fn cas_loop(&mut self, place: &str, cur: &str, new: &str, result: Option<&str>, old: &str) {
        self.line("loop {");
        self.indent += 1;
        self.line(&format!(
            "let kf_cas = atomicCompareExchangeWeak({place}, {cur}, {new});"
        ));
        self.line(&format!(
            "if kf_cas.exchanged || kf_cas.old_value != {cur} {{"
        ));
        self.indent += 1;
        if let Some(l) = result {
            self.line(&format!("{l} = {old};"));
        }
        self.line("break;");
        self.indent -= 1;
        self.line("}");
        self.indent -= 1;
        self.line("}");
    }

    /// An `f32` atomic at `place`, an `atomic<u32>` of the float's bits.
    fn float_atomic(&mut self, place: &str, op: AtomicOp, args: &[String], result: Option<&str>) {
        let set = |call: &str| match result {
            Some(l) => format!("{l} = bitcast<f32>({call});"),
            None => format!("_ = {call};"),
        };
        let combine = match op {
            AtomicOp::Load => return self.line(&set(&format!("atomicLoad({place})"))),
            AtomicOp::Store => {
                let v = &args[0];
                return self.line(&format!("atomicStore({place}, bitcast<u32>({v}));"));
            }
            AtomicOp::Exchange => {
                let call = format!("atomicExchange({place}, bitcast<u32>({}))", args[0]);
                return self.line(&set(&call));
            }
            AtomicOp::CompareExchange => {
                self.line("{");
                self.indent += 1;
                self.line(&format!("let kf_c = bitcast<u32>({});", args[0]));
                self.line(&format!("let kf_n = bitcast<u32>({});", args[1]));
                self.cas_loop(
                    place,
                    "kf_c",
                    "kf_n",
                    result,
                    "bitcast<f32>(kf_cas.old_value)",
                );
                self.indent -= 1;
                self.line("}");
                return;
            }
            AtomicOp::Add => "kf_x + kf_v",
            AtomicOp::Sub => "kf_x - kf_v",
            AtomicOp::Min => "min(kf_x, kf_v)",
            // Max; the bitwise operations are rejected by the front end.
            _ => "max(kf_x, kf_v)",
        };
        // Replace the bits `kf_old` with those of `combine` until no other invocation wrote
        // in between; a value that would not change is not written.
        self.line("{");
        self.indent += 1;
        self.line(&format!("let kf_v = {};", args[0]));
        self.line(&format!("var kf_old = atomicLoad({place});"));
        self.line("loop {");
        self.indent += 1;
        self.line("let kf_x = bitcast<f32>(kf_old);");
        self.line(&format!("let kf_new = bitcast<u32>({combine});"));
        self.line("if kf_new == kf_old { break; }");
        self.line(&format!(
            "let kf_r = atomicCompareExchangeWeak({place}, kf_old, kf_new);"
        ));
        self.line("if kf_r.exchanged { break; }");
        self.line("kf_old = kf_r.old_value;");
        self.indent -= 1;
        self.line("}");
        if let Some(l) = result {
            self.line(&format!("{l} = bitcast<f32>(kf_old);"));
        }
        self.indent -= 1;
        self.line("}");
    }
}
