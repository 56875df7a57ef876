//! Bounds-checked CUDA C (`Options::bounds_checked`, the runtime's `KERNELFORGE_CHECK=bounds`):
//! every access to a slice parameter, workgroup array or private array checks its index, and
//! the first one out of bounds claims the fault record (`proc::bounds`), which the kernel takes
//! as its last parameter, `kf_fault`. The access itself does not happen: a load gives zero
//! (`T()`), a store or atomic is skipped, and the invocation goes on, so that barriers still
//! meet.

use super::writer::Writer;
use crate::back::target_name;
use crate::ir::{ArrayId, AtomicTarget, ParamId};
use crate::proc::bounds::{array_slot, atomic_slot, slice_slot};

/// The helpers every checked module includes.
pub(super) const HELPERS: &str = "\
__device__ __forceinline__ bool kf_in(unsigned int i, unsigned int len, unsigned int slot, unsigned int* f) { if (i < len) return true; if (atomicOr(f, 1u) == 0u) { f[1] = slot; f[2] = i; f[3] = len; } return false; }
template <class T> __device__ __forceinline__ T kf_ld(const T* p, unsigned int i, unsigned int len, unsigned int slot, unsigned int* f) { return kf_in(i, len, slot, f) ? p[i] : T(); }
template <class T, class V> __device__ __forceinline__ void kf_st(T* p, unsigned int i, V v, unsigned int len, unsigned int slot, unsigned int* f) { if (kf_in(i, len, slot, f)) p[i] = v; }
";

impl Writer<'_> {
    /// The length and slot of slice parameter `p`.
    fn slice_bound(&self, p: ParamId) -> (String, u32) {
        let n = target_name(&self.kernel.param(p).name);
        (format!("kf_len_{n}"), slice_slot(self.kernel, p))
    }

    /// The length (a constant, or the parameter of a launch-sized array) and slot of `a`.
    fn array_bound(&self, a: ArrayId) -> (String, u32) {
        let array = self.kernel.array(a);
        let len = match array.len_param {
            Some(p) => target_name(&self.kernel.param(p).name),
            None => format!("{}u", array.len),
        };
        (len, array_slot(self.kernel, a))
    }

    /// Element `i` of slice `p` as an rvalue.
    pub(super) fn load_slice(&self, p: ParamId, i: &str) -> String {
        let n = target_name(&self.kernel.param(p).name);
        if !self.bounds {
            return format!("{n}[{i}]");
        }
        let (len, slot) = self.slice_bound(p);
        format!("kf_ld({n}, {i}, {len}, {slot}u, kf_fault)")
    }

    /// Element `i` of array `a` as an rvalue.
    pub(super) fn load_array(&self, a: ArrayId, i: &str) -> String {
        let n = target_name(&self.kernel.array(a).name);
        if !self.bounds {
            return format!("{n}[{i}]");
        }
        let (len, slot) = self.array_bound(a);
        format!("kf_ld({n}, {i}, {len}, {slot}u, kf_fault)")
    }

    /// The statement storing `v` into element `i` of slice `p`.
    pub(super) fn store_slice(&self, p: ParamId, i: &str, v: &str) -> String {
        let n = target_name(&self.kernel.param(p).name);
        if !self.bounds {
            return format!("{n}[{i}] = {v};");
        }
        let (len, slot) = self.slice_bound(p);
        format!("kf_st({n}, {i}, {v}, {len}, {slot}u, kf_fault);")
    }

    /// The statement storing `v` into element `i` of array `a`.
    pub(super) fn store_array(&self, a: ArrayId, i: &str, v: &str) -> String {
        let n = target_name(&self.kernel.array(a).name);
        if !self.bounds {
            return format!("{n}[{i}] = {v};");
        }
        let (len, slot) = self.array_bound(a);
        format!("kf_st({n}, {i}, {v}, {len}, {slot}u, kf_fault);")
    }

    /// The condition under which an atomic operation on element `i` (a name: it is read
    /// twice) of `target` runs, when checked.
    pub(super) fn atomic_guard(&self, target: AtomicTarget, i: &str) -> Option<String> {
        if !self.bounds {
            return None;
        }
        let (len, _) = match target {
            AtomicTarget::Slice(p) => self.slice_bound(p),
            AtomicTarget::Array(a) => self.array_bound(a),
        };
        let slot = atomic_slot(self.kernel, target);
        Some(format!("kf_in({i}, {len}, {slot}u, kf_fault)"))
    }
}
