//! kernelforge-runtime: devices, buffers, grids and the three backends (CPU on rayon, wgpu,
//! CUDA through cudarc) behind one dispatcher.
//!
//! This crate never depends on the compiler: a user's binary carries the generated sources and
//! PTX, not syn or naga. Generated code reaches it through `kernelforge::__private`.

mod atomic_f32;
pub mod autotune;
mod backend;
mod bounds;
mod buffer;
pub mod cache;
pub mod cpu_rt;
mod device;
mod error;
mod fallback;
#[doc(hidden)]
pub mod fault;
mod grid;
mod kernel;
mod launch;
mod policy;
pub mod profile;
mod select;
mod view;

pub use atomic_f32::AtomicF32;
pub use backend::Backend;
pub use buffer::Buffer;
/// The cudarc crate kernelforge is built with, for [`Device::from_cuda_stream`] and
/// [`Buffer::from_cuda`].
#[cfg(feature = "cuda")]
pub use cudarc;
pub use device::{Device, MemoryInfo};
pub use error::{Error, Result};
pub use grid::Grid;
/// The 16-bit float types of kernels and buffers, and the crate that defines them.
pub use half::{self, bf16, f16};
pub use kernel::{
    BoundsChecked, KernelArg, KernelDesc, KernelScalar, ParamDesc, ScalarType, SharedLen,
};
pub use profile::{Clock, KernelProfile, Profile};
pub use view::{BufferView, BufferViewMut, SliceArg, SliceArgMut};
/// The wgpu crate kernelforge is built with, for [`Device::from_wgpu`] and
/// [`Buffer::from_wgpu`] (its types must be this version's).
#[cfg(feature = "wgpu")]
pub use wgpu;

pub mod info;
mod ptx;

/// The race-checked CPU version of each kernel (`Device::cpu_checked`), compiled with the
/// `check` feature: the tokens given, or nothing.
#[cfg(feature = "check")]
#[doc(hidden)]
#[macro_export]
macro_rules! __kf_if_race_check {
    ($($t:tt)*) => { $($t)* };
}
#[cfg(not(feature = "check"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __kf_if_race_check {
    ($($t:tt)*) => {};
}

/// `Some(entry)` with the `check` feature, else `None`.
#[cfg(feature = "check")]
#[doc(hidden)]
#[macro_export]
macro_rules! __kf_race_check_entry {
    ($e:path) => {
        ::core::option::Option::Some($e)
    };
}
#[cfg(not(feature = "check"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __kf_race_check_entry {
    ($e:path) => {
        ::core::option::Option::None
    };
}

/// `Some(checked)` with the `check` feature, else `None`: a kernel's bounds-checked GPU
/// versions ([`BoundsChecked`]).
#[cfg(feature = "check")]
#[doc(hidden)]
#[macro_export]
macro_rules! __kf_bounds_checked {
    ($e:expr) => {
        ::core::option::Option::Some($e)
    };
}
#[cfg(not(feature = "check"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __kf_bounds_checked {
    ($e:expr) => {
        ::core::option::Option::None
    };
}

/// CUDA tooling that needs no GPU: NVRTC compilation and the PTX ISA version rules.
#[cfg(feature = "cuda")]
pub mod cuda {
    pub use crate::backend::cuda::{
        compile_cubin_cached, compile_cubin_with_nvrtc, compile_with_nvrtc, driver_present,
        nvrtc_present, nvrtc_version,
    };
    pub use crate::ptx::{max_ptx_isa, pick_cubin, ptx_isa};
}
