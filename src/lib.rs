//! kernelforge: write a compute kernel once, as a Rust function under `#[compute_kernel]`,
//! and run it as CUDA/PTX, WGSL (wgpu) or rayon CPU code behind one dispatcher.
//!
//! ```no_run
//! use kernelforge::prelude::*;
//!
//! #[compute_kernel(workgroup_size = 256)]
//! pub fn saxpy(a: f32, x: &[f32], y: &mut [f32]) {
//!     let i = global_id().x;
//!     if i < y.len() {
//!         y[i] = a * x[i] + y[i];
//!     }
//! }
//!
//! fn main() -> Result<(), kernelforge::Error> {
//!     let dev = Device::best();
//!     let x = dev.upload(&vec![1.0f32; 1 << 20])?;
//!     let mut y = dev.upload(&vec![2.0f32; 1 << 20])?;
//!     saxpy::launch(&dev, Grid::linear(1 << 20), 3.0, &x, &mut y)?;
//!     assert_eq!(y.to_vec()?[0], 5.0);
//!     Ok(())
//! }
//! ```

// Generated code names `::kernelforge`, which must resolve inside this crate too.
extern crate self as kernelforge;

pub use kernelforge_macros::{compute_kernel, kernel_fn};
#[cfg(feature = "cuda")]
pub use kernelforge_runtime::cuda;
/// The cudarc crate kernelforge is built with (for `Device::from_cuda_stream` and
/// `Buffer::from_cuda`).
#[cfg(feature = "cuda")]
pub use kernelforge_runtime::cudarc;
/// The wgpu crate kernelforge is built with (for `Device::from_wgpu` and
/// `Buffer::from_wgpu`).
#[cfg(feature = "wgpu")]
pub use kernelforge_runtime::wgpu;
pub use kernelforge_runtime::{
    autotune, cache, profile, AtomicF32, Backend, Buffer, BufferView, BufferViewMut, Device, Error,
    Grid, MemoryInfo, Result, SliceArg, SliceArgMut,
};
/// `f16` (IEEE binary16) and `bf16` (bfloat16), the `half` crate's types: kernel parameters,
/// buffer elements and kernel values; `half` itself for its slice conversions.
pub use kernelforge_runtime::{bf16, f16, half};

pub mod bounds;
pub mod histogram;
pub mod intrinsics;
pub mod kernels;
pub mod matrix_tiles;
pub mod ops;
pub mod reduce;
pub mod vector;
pub mod zk;

/// The facts of this machine that the runtime gathers (host, CUDA driver and GPUs, wgpu
/// adapters) and the PTX version rules; `kernelforge info` shows them.
pub mod info {
    pub use kernelforge_runtime::info::*;
}

/// Everything a kernel or its host code needs: `use kernelforge::prelude::*;`.
pub mod prelude {
    pub use crate::bounds::{Float, Int};
    pub use crate::intrinsics::{
        barrier, global_id, group_id, group_size, local_id, num_groups, num_subgroups,
        shared_array, subgroup_add, subgroup_barrier, subgroup_broadcast, subgroup_id,
        subgroup_invocation_id, subgroup_max, subgroup_min, subgroup_shuffle_xor, subgroup_size,
        workgroup_barrier, UVec3,
    };
    pub use crate::matrix_tiles::{
        matrix_fill, matrix_load_a, matrix_load_acc, matrix_load_b, matrix_mma, matrix_scale_rows,
        matrix_store, Layout, MatrixA, MatrixAcc, MatrixB,
    };
    pub use crate::vector::{Vec2, Vec4};
    /// The element types of atomic slices (`&[AtomicU32]`) and workgroup arrays, and the
    /// ordering of kernel atomics.
    pub use crate::AtomicF32;
    pub use crate::{bf16, compute_kernel, f16, kernel_fn, Backend, Buffer, Device, Grid};
    pub use std::sync::atomic::{AtomicI32, AtomicU32, Ordering::Relaxed};
}

/// How this build was made: the nvcc used and the CUDA architecture targeted.
pub mod build_info {
    /// The version line of the nvcc that compiled the built-in kernels' PTX, or why there was
    /// none.
    pub const NVCC_VERSION: &str = env!("KERNELFORGE_BUILD_NVCC_VERSION");
    /// That nvcc's path; empty when there was none.
    pub const NVCC_PATH: &str = env!("KERNELFORGE_BUILD_NVCC_PATH");
    /// The virtual architecture of the embedded PTX.
    pub const CUDA_ARCH: &str = env!("KERNELFORGE_BUILD_ARCH");

    /// The highest PTX ISA version among the built-in kernels' embedded PTX (`None` when nvcc
    /// was not found at build time).
    pub fn embedded_ptx_isa() -> Option<(u32, u32)> {
        crate::kernels::all()
            .iter()
            .filter_map(|k| k.ptx.and_then(crate::info::ptx_isa))
            .max()
    }

    /// The architectures (10 x major + minor) for which every built-in kernel carries an
    /// embedded cubin, sorted (empty unless `KERNELFORGE_CUDA_ARCH` listed `sm_XY`).
    pub fn embedded_cubins() -> Vec<u32> {
        let all = crate::kernels::all();
        let mut out: Vec<u32> = all
            .first()
            .map(|k| k.cubins.iter().map(|c| c.0).collect())
            .unwrap_or_default();
        out.retain(|sm| all.iter().all(|k| k.cubins.iter().any(|c| c.0 == *sm)));
        out
    }
}

#[doc(hidden)]
pub mod __private {
    /// What `#[kernel_fn] fn h` defines as `h` in the value namespace.
    pub struct KernelFn;

    /// Implemented by [`KernelFn`] alone: the chain of `#[compute_kernel]` checks each called
    /// name with it, so that calling a plain function says so at the call.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not a `#[kernel_fn]`: a kernel can call only `#[kernel_fn]` functions and the intrinsics",
        label = "called by a kernel, but not a `#[kernel_fn]`",
        note = "add `#[kernel_fn]` to the function's definition (its body must be kernel code)"
    )]
    pub trait IsKernelFn {}
    impl IsKernelFn for KernelFn {}

    /// Compiles only for a `#[kernel_fn]`'s name.
    pub const fn is_kernel_fn<T: IsKernelFn>(_: &T) {}

    pub use kernelforge_macros::compute_kernel_chain;
    pub use kernelforge_runtime::cpu_rt as cpu;
    pub use kernelforge_runtime::fault;
    pub use kernelforge_runtime::{
        __kf_bounds_checked as bounds_checked, __kf_if_race_check as if_race_check,
        __kf_race_check_entry as race_check_entry,
    };
    pub use kernelforge_runtime::{
        BoundsChecked, KernelArg, KernelDesc, KernelScalar, ParamDesc, ScalarType, SharedLen,
    };
}
