//! Bounds-checked WGSL (`Options::bounds_checked`, the runtime's `KERNELFORGE_CHECK=bounds`):
//! every access to a slice parameter, workgroup array or private array checks its index, and
//! the first one out of bounds claims the fault record (`proc::bounds`), bound after the
//! slices as `kf_fault`. A load out of bounds reads element 0 instead (WGSL has no pointer to
//! return a zero through, and element 0 is inside every binding and array); a store or atomic
//! is skipped. The invocation goes on, so that barriers still meet.

use super::writer::Writer;
use crate::back::target_name;
use crate::ir::AtomicTarget;
use crate::proc::bounds::{atomic_slot, RECORD_WORDS};

/// The helpers every checked module includes: `kf_in` says whether an index is in bounds and
/// records the fault when not; `kf_bound` is the index to load from.
const HELPERS: &str = "\
fn kf_in(i: u32, len: u32, slot: u32) -> bool {
    if i < len {
        return true;
    }
    if atomicOr(&kf_fault[0], 1u) == 0u {
        atomicStore(&kf_fault[1], slot);
        atomicStore(&kf_fault[2], i);
        atomicStore(&kf_fault[3], len);
    }
    return false;
}

fn kf_bound(i: u32, len: u32, slot: u32) -> u32 {
    return select(0u, i, kf_in(i, len, slot));
}
";

impl Writer<'_> {
    /// The fault record's binding and the helpers, after the slices' bindings (`binding` is
    /// the next free one).
    pub(super) fn bounds_header(&self, binding: u32) -> String {
        let vector = if self.kernel.vector_ops().is_empty() {
            ""
        } else {
            super::vector_access::CHECKED
        };
        format!(
            "@group(0) @binding({binding}) var<storage, read_write> kf_fault: array<atomic<u32>, {RECORD_WORDS}>;\n\n{HELPERS}{vector}"
        )
    }

    /// The length (a slice's from the uniform, an array's constant or launch-sized length
    /// parameter) and fault-record slot of `target`, a slice or an array (atomic or not).
    pub(super) fn bound(&self, target: AtomicTarget) -> (String, u32) {
        let k = self.kernel;
        let len = match target {
            AtomicTarget::Slice(p) => format!("kf_params.len_{}", target_name(&k.param(p).name)),
            AtomicTarget::Array(a) => match k.array(a).len_param {
                Some(p) => format!("kf_params.{}", target_name(&k.param(p).name)),
                None => format!("{}u", k.array(a).len),
            },
        };
        (len, atomic_slot(k, target))
    }

    /// The index to load element `i` of `target` (a slice or array) at.
    pub(super) fn load_index(&self, target: AtomicTarget, i: String) -> String {
        if !self.bounds {
            return i;
        }
        let (len, slot) = self.bound(target);
        format!("kf_bound({i}, {len}, {slot}u)")
    }

    /// Writes the statements of an access to element `i` of `target` (a slice or array) that
    /// `body` writes given the index's name: as they are, or when checked behind `kf_in`, with
    /// the index (and the value `v`, when given, as `kf_v`: both are evaluated before the
    /// check, as on the CPU) in a `let`.
    pub(super) fn guarded(
        &mut self,
        target: AtomicTarget,
        i: String,
        v: Option<String>,
        body: impl FnOnce(&mut Self, &str, Option<&str>),
    ) {
        if !self.bounds {
            return body(self, &i, v.as_deref());
        }
        let (len, slot) = self.bound(target);
        self.line("{");
        self.indent += 1;
        self.line(&format!("let kf_ix = {i};"));
        if let Some(v) = &v {
            self.line(&format!("let kf_v = {v};"));
        }
        self.line(&format!("if kf_in(kf_ix, {len}, {slot}u) {{"));
        self.indent += 1;
        body(self, "kf_ix", v.as_ref().map(|_| "kf_v"));
        self.indent -= 1;
        self.line("}");
        self.indent -= 1;
        self.line("}");
    }
}
