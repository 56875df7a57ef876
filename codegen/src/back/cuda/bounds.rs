//! Bounds-checked CUDA C (`Options::bounds_checked`, the runtime's `KERNELFORGE_CHECK=bounds`):
//! every access to a slice parameter, workgroup array or private array checks its index, and
//! the first one out of bounds claims the fault record (`proc::bounds`), which the kernel takes
//! as its last parameter, `kf_fault`. The access itself does not happen: a load gives zero
//! (`T()`), a store or atomic is skipped, and the invocation goes on, so that barriers still
//! meet.

use super::writer::Writer;
use crate::back::target_name;
use crate::ir::AtomicTarget;
use crate::proc::bounds::atomic_slot;

/// The helpers every checked module includes.
pub(super) const HELPERS: &str = "\
__device__ __forceinline__ bool kf_in(unsigned int i, unsigned int len, unsigned int slot, unsigned int* f) { if (i < len) return true; if (atomicOr(f, 1u) == 0u) { f[1] = slot; f[2] = i; f[3] = len; } return false; }
template <class T> __device__ __forceinline__ T kf_ld(const T* p, unsigned int i, unsigned int len, unsigned int slot, unsigned int* f) { return kf_in(i, len, slot, f) ? p[i] : T(); }
template <class T, class V> __device__ __forceinline__ void kf_st(T* p, unsigned int i, V v, unsigned int len, unsigned int slot, unsigned int* f) { if (kf_in(i, len, slot, f)) p[i] = v; }
";

impl Writer<'_> {
    /// The name, length (a slice's `kf_len_*`, an array's constant or launch-sized length
    /// parameter) and fault-record slot of `target`, a slice or an array (atomic or not).
    pub(super) fn bound(&self, target: AtomicTarget) -> (String, String, u32) {
        let k = self.kernel;
        let slot = atomic_slot(k, target);
        match target {
            AtomicTarget::Slice(p) => {
                let n = target_name(&k.param(p).name);
                (n.clone(), format!("kf_len_{n}"), slot)
            }
            AtomicTarget::Array(a) => {
                let array = k.array(a);
                let len = match array.len_param {
                    Some(p) => target_name(&k.param(p).name),
                    None => format!("{}u", array.len),
                };
                (target_name(&array.name), len, slot)
            }
        }
    }

    /// Element `i` of `target` (a slice or array) as an rvalue.
    pub(super) fn load_at(&self, target: AtomicTarget, i: &str) -> String {
        let (n, len, slot) = self.bound(target);
        match self.bounds {
            false => format!("{n}[{i}]"),
            true => format!("kf_ld({n}, {i}, {len}, {slot}u, kf_fault)"),
        }
    }

    /// The statement storing `v` into element `i` of `target` (a slice or array).
    pub(super) fn store_at(&self, target: AtomicTarget, i: &str, v: &str) -> String {
        let (n, len, slot) = self.bound(target);
        match self.bounds {
            false => format!("{n}[{i}] = {v};"),
            true => format!("kf_st({n}, {i}, {v}, {len}, {slot}u, kf_fault);"),
        }
    }

    /// The condition under which an atomic operation on element `i` (a name: it is read
    /// twice) of `target` runs, when checked.
    pub(super) fn atomic_guard(&self, target: AtomicTarget, i: &str) -> Option<String> {
        let (_, len, slot) = self.bound(target);
        self.bounds
            .then(|| format!("kf_in({i}, {len}, {slot}u, kf_fault)"))
    }
}
