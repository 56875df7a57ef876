//! Bounds-checked GPU code (`KERNELFORGE_CHECK=bounds`): the fault record the CUDA and WGSL
//! back ends write when `Options::bounds_checked` is on, and how it names what was indexed.
//!
//! A checked kernel takes one more buffer, the fault record: [`RECORD_WORDS`] `u32`s, zeroed
//! before the launch. An access out of bounds does not happen (a load gives zero, or on WGSL an
//! element of the binding; a store or atomic is skipped), and the first invocation to claim
//! word 0 (an atomic OR of 1) writes what it indexed into words 1 to 3:
//!
//! | word | holds |
//! |------|-------|
//! | 0 | 1 once an access was out of bounds |
//! | 1 | the slot: a slice parameter's position among the parameters, or the number of parameters plus an array's position in [`array_names`] |
//! | 2 | the index used |
//! | 3 | the length it exceeded (a slice's elements, an array's length) |
//!
//! The runtime turns the record into the error the CPU backend gives for the same access.

use crate::ir::{index, ArrayId, AtomicTarget, Kernel, ParamId};

/// `u32` words of the fault record.
pub const RECORD_WORDS: u32 = 4;

/// The slot that names slice parameter `p` in the fault record.
pub fn slice_slot(kernel: &Kernel, p: ParamId) -> u32 {
    kernel
        .params
        .iter()
        .position(|(id, _)| id == p)
        .unwrap_or(0) as u32
}

/// The slot that names array `a` (workgroup or private) in the fault record.
pub fn array_slot(kernel: &Kernel, a: ArrayId) -> u32 {
    kernel.params.len() as u32 + index(a)
}

/// The slot that names an atomic operation's target.
pub fn atomic_slot(kernel: &Kernel, t: AtomicTarget) -> u32 {
    match t {
        AtomicTarget::Slice(p) => slice_slot(kernel, p),
        AtomicTarget::Array(a) => array_slot(kernel, a),
    }
}

/// The kernel's arrays by slot (less the number of parameters), as the CPU backend names them
/// in its errors.
pub fn array_names(kernel: &Kernel) -> Vec<String> {
    kernel.arrays.values().map(|a| a.name.clone()).collect()
}
