//! Atomic operations ([`Stmt::Atomic`](crate::ir::Stmt::Atomic)) as CUDA C: the `atomic*`
//! functions, which take global and shared pointers alike. On `f32`, `atomicAdd` and
//! `atomicExch` are native; `fetch_sub` adds the negation (exact: negation is), `fetch_min`/
//! `fetch_max` are compare-exchange loops on the bits (CUDA has no float `atomicMin`), and
//! `compare_exchange` is `atomicCAS` on the bits.

use super::types::ty;
use super::writer::Writer;
use crate::back::{atomic_rmw_fn, target_name};
use crate::ir::{AtomicOp, AtomicTarget, ExprId};

impl Writer<'_> {
    /// The call performing `op` on element `i` (written) of `target` with operands `args`;
    /// its value is the operation's result.
    pub(super) fn atomic(
        &mut self,
        target: AtomicTarget,
        i: &str,
        op: AtomicOp,
        args: &[ExprId],
    ) -> String {
        let args: Vec<String> = args.iter().map(|&a| self.expr(a)).collect();
        let n = target_name(self.kernel.atomic_name(target));
        let place = format!("&{n}[{i}]");
        let elem = self.info.atomic_elem(self.kernel, target);
        if elem.is_float() {
            return self.float_atomic(&place, op, &args);
        }
        match (op, atomic_rmw_fn(op)) {
            (_, Some(f)) => format!("{f}({place}, {})", args[0]),
            // A volatile read is a relaxed atomic load of an aligned word.
            (AtomicOp::Load, None) => format!("*((volatile {}*){place})", ty(elem)),
            (AtomicOp::CompareExchange, None) => {
                format!("atomicCAS({place}, {}, {})", args[0], args[1])
            }
            // Store and exchange.
            (_, None) => format!("atomicExch({place}, {})", args[0]),
        }
    }

    /// An `f32` atomic (`AtomicF32`) at `place`.
    fn float_atomic(&mut self, place: &str, op: AtomicOp, args: &[String]) -> String {
        let bits = format!("(unsigned int*)({place})");
        match op {
            AtomicOp::Load => format!("*((volatile float*){place})"),
            AtomicOp::Add => format!("atomicAdd({place}, {})", args[0]),
            AtomicOp::Sub => format!("atomicAdd({place}, -({}))", args[0]),
            AtomicOp::Min | AtomicOp::Max => {
                let h = if op == AtomicOp::Min {
                    "kf_atomic_min_f32"
                } else {
                    "kf_atomic_max_f32"
                };
                self.helpers.insert(h);
                format!("{h}({place}, {})", args[0])
            }
            AtomicOp::CompareExchange => format!(
                "__uint_as_float(atomicCAS({bits}, __float_as_uint({}), __float_as_uint({})))",
                args[0], args[1]
            ),
            // Store and exchange; the bitwise operations are rejected by the front end.
            _ => format!("atomicExch({place}, {})", args[0]),
        }
    }
}

/// The text of device function `name` if it is one of this file's.
pub(super) fn helper(name: &str) -> Option<&'static str> {
    // Replaces the value with `f(old, v)` until no other invocation wrote in between; a value
    // that would not change is not written (so a NaN `v` writes nothing). Returns the old one.
    Some(match name {
        "kf_atomic_min_f32" => "__device__ __forceinline__ float kf_atomic_min_f32(float* p, float v) { unsigned int* q = (unsigned int*)p; unsigned int old = *((volatile unsigned int*)q); for (;;) { const unsigned int want = __float_as_uint(fminf(__uint_as_float(old), v)); if (want == old) return __uint_as_float(old); const unsigned int seen = atomicCAS(q, old, want); if (seen == old) return __uint_as_float(old); old = seen; } }\n",
        "kf_atomic_max_f32" => "__device__ __forceinline__ float kf_atomic_max_f32(float* p, float v) { unsigned int* q = (unsigned int*)p; unsigned int old = *((volatile unsigned int*)q); for (;;) { const unsigned int want = __float_as_uint(fmaxf(__uint_as_float(old), v)); if (want == old) return __uint_as_float(old); const unsigned int seen = atomicCAS(q, old, want); if (seen == old) return __uint_as_float(old); old = seen; } }\n",
        _ => return None,
    })
}
