//! The CUDA backend on cudarc with dynamic loading.
//!
//! cudarc panics when libcuda or libnvrtc cannot be loaded, so every entry point first checks
//! that the library opens and turns its absence into an `Err`. A kernel's module comes from
//! the PTX nvcc made at build time when the driver accepts its ISA version, else from NVRTC
//! compiling the same CUDA C for the GPU's own architecture.

mod buffer;
mod driver;
mod interop;
mod launch;
mod module;
mod nvrtc;

pub(crate) use buffer::CudaBuffer;
pub use driver::driver_present;
pub(crate) use driver::{info, present};
pub use nvrtc::{
    compile_cubin_cached, compile_cubin_with_nvrtc, compile_with_nvrtc, nvrtc_present,
    nvrtc_version,
};

use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::profile::{PendingTimings, Sink};
use cudarc::driver::{CudaContext, CudaEvent, CudaFunction, CudaStream, DriverError};
use driver::{driver_version, NO_DRIVER};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub(crate) struct CudaDevice {
    ctx: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    name: String,
    cc: (i32, i32),
    driver: i32,
    functions: Mutex<HashMap<(&'static str, usize), CudaFunction>>,
    /// Profiled launches' start and end events, until both have completed.
    timings: PendingTimings<(CudaEvent, CudaEvent, Sink)>,
}

pub(super) fn unavailable(reason: impl Into<String>) -> Error {
    Error::Unavailable {
        backend: Backend::Cuda,
        reason: reason.into(),
    }
}

/// An error whose message is already text (not a value to show with `Debug`).
pub(super) fn cuda_msg(context: impl Into<String>, message: String) -> Error {
    Error::Cuda {
        context: context.into(),
        message,
    }
}

pub(super) fn cuda_err(context: impl Into<String>, e: impl std::fmt::Debug) -> Error {
    Error::Cuda {
        context: context.into(),
        message: format!("{e:?}"),
    }
}

impl CudaDevice {
    pub(crate) fn open(ordinal: usize) -> Result<CudaDevice> {
        if !driver_present() {
            return Err(unavailable(NO_DRIVER));
        }
        let driver = driver_version()?;
        let ctx = CudaContext::new(ordinal).map_err(|e| {
            unavailable(format!(
                "cannot open CUDA device {ordinal}: {e:?} (no such GPU, or the driver is not \
                 loaded); `kernelforge info` lists the GPUs by ordinal"
            ))
        })?;
        let stream = ctx.default_stream();
        Ok(CudaDevice::from_stream(stream, driver))
    }

    /// A device over a caller's `stream`, for interop.
    pub(crate) fn open_stream(stream: Arc<CudaStream>) -> Result<CudaDevice> {
        Ok(CudaDevice::from_stream(stream, driver_version()?))
    }

    /// A device whose launches and copies go to `stream`, in its context.
    fn from_stream(stream: Arc<CudaStream>, driver: i32) -> CudaDevice {
        let ctx = stream.context().clone();
        let name = ctx.name().unwrap_or_else(|_| "unknown GPU".into());
        let cc = ctx.compute_capability().unwrap_or((0, 0));
        CudaDevice {
            ctx,
            stream,
            name,
            cc,
            driver,
            functions: Mutex::new(HashMap::new()),
            timings: PendingTimings::new(),
        }
    }

    /// The stream kernels run on.
    pub(crate) fn stream(&self) -> &Arc<CudaStream> {
        &self.stream
    }

    /// Most bytes of shared memory a block may opt in to (`cudaFuncSetAttribute`'s limit:
    /// 227 KiB on sm_90, 48 KiB on older GPUs).
    pub(super) fn max_shared_optin(&self) -> Result<u64> {
        use cudarc::driver::sys::CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN;
        self.ctx
            .attribute(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN)
            .map(|b| b as u64)
            .map_err(|e| self.driver_error("reading the shared memory limit".into(), e, 0))
    }

    /// The warp size the device reports (32 on every NVIDIA GPU so far).
    pub(crate) fn subgroup_size(&self) -> Result<u32> {
        use cudarc::driver::sys::CUdevice_attribute::CU_DEVICE_ATTRIBUTE_WARP_SIZE;
        self.ctx
            .attribute(CU_DEVICE_ATTRIBUTE_WARP_SIZE)
            .map(|w| w as u32)
            .map_err(|e| self.driver_error("reading the warp size".into(), e, 0))
    }

    pub(crate) fn name(&self) -> String {
        format!(
            "CUDA: {} (sm_{}{}, driver CUDA {}.{})",
            self.name,
            self.cc.0,
            self.cc.1,
            self.driver / 1000,
            (self.driver % 1000) / 10
        )
    }

    /// A driver error, classified: sticky errors that leave the context unusable are
    /// `DeviceLost`, exhausted memory is `OutOfMemory`, the rest `Error::Cuda`.
    pub(super) fn driver_error(&self, context: String, e: DriverError, requested: u64) -> Error {
        use cudarc::driver::sys::CUresult as R;
        match e.0 {
            R::CUDA_ERROR_OUT_OF_MEMORY => Error::OutOfMemory {
                device: self.name(),
                requested,
                free: self.free_memory(),
            },
            R::CUDA_ERROR_ILLEGAL_ADDRESS
            | R::CUDA_ERROR_LAUNCH_FAILED
            | R::CUDA_ERROR_ILLEGAL_INSTRUCTION
            | R::CUDA_ERROR_MISALIGNED_ADDRESS
            | R::CUDA_ERROR_INVALID_PC
            | R::CUDA_ERROR_HARDWARE_STACK_ERROR
            | R::CUDA_ERROR_ECC_UNCORRECTABLE
            | R::CUDA_ERROR_CONTEXT_IS_DESTROYED
            | R::CUDA_ERROR_DEVICE_UNAVAILABLE => Error::DeviceLost {
                device: self.name(),
                context,
                message: format!("{e:?}"),
            },
            _ => cuda_err(context, e),
        }
    }

    pub(crate) fn synchronize(&self) -> Result<()> {
        self.stream
            .synchronize()
            .map_err(|e| self.driver_error("waiting for the GPU".into(), e, 0))?;
        self.collect_timings();
        Ok(())
    }
}
