//! The driver: whether libcuda loads, its version, and its facts for `kernelforge info`.

use super::cuda_err;
use super::nvrtc::nvrtc_version;
use crate::error::Result;
use crate::info::{loaded_library, CudaInfo, GpuInfo};
use cudarc::driver::CudaContext;

/// Whether libcuda can be loaded (cudarc would panic otherwise).
pub fn driver_present() -> bool {
    // SAFETY: only tries to dlopen the library under cudarc's candidate names.
    unsafe { cudarc::driver::sys::is_culib_present() }
}

/// The driver's CUDA version as `major * 1000 + minor * 10` (13000 for CUDA 13.0).
pub(super) fn driver_version() -> Result<i32> {
    let mut v = 0;
    // SAFETY: libcuda is loaded (checked by the caller); the out-pointer is valid.
    let r = unsafe { cudarc::driver::sys::cuDriverGetVersion(&mut v) };
    if r != cudarc::driver::sys::CUresult::CUDA_SUCCESS {
        return Err(cuda_err("reading the driver version", r));
    }
    Ok(v)
}

/// The driver's facts for `kernelforge info`: version, library, every GPU, NVRTC.
pub(crate) fn info() -> CudaInfo {
    let mut out = CudaInfo {
        compiled: true,
        nvrtc_version: nvrtc_version(),
        ..Default::default()
    };
    if out.nvrtc_version.is_some() {
        out.nvrtc_library = loaded_library("nvrtc");
    }
    if !driver_present() {
        out.error = Some(NO_DRIVER.into());
        return out;
    }
    match driver_version() {
        Ok(v) => out.driver_version = Some(v),
        Err(e) => {
            out.error = Some(e.to_string());
            return out;
        }
    }
    out.driver_library = loaded_library("cuda");
    let count = match CudaContext::device_count() {
        Ok(n) => n.max(0) as usize,
        Err(e) => {
            out.error = Some(format!("the driver lists no GPU: {e:?}"));
            return out;
        }
    };
    for ordinal in 0..count {
        match CudaContext::new(ordinal) {
            Ok(ctx) => {
                let (free, total) = ctx.mem_get_info().unwrap_or((0, 0));
                out.gpus.push(GpuInfo {
                    ordinal,
                    name: ctx.name().unwrap_or_else(|_| "unknown GPU".into()),
                    compute_capability: ctx.compute_capability().unwrap_or((0, 0)),
                    sm_count: ctx
                        .attribute(
                            cudarc::driver::sys::CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT,
                        )
                        .unwrap_or(0),
                    memory_total: total as u64,
                    memory_free: free as u64,
                });
            }
            Err(e) => {
                out.error = Some(format!("cannot open CUDA device {ordinal}: {e:?}"));
            }
        }
    }
    if count == 0 {
        out.error = Some("the driver is installed but reports no GPU".into());
    }
    out
}

/// Whether a driver is installed and reports at least one GPU (so that failing to open one is
/// a failure, not an absence).
pub(crate) fn present() -> bool {
    driver_present() && CudaContext::device_count().is_ok_and(|n| n > 0)
}

pub(super) const NO_DRIVER: &str =
    "libcuda (the NVIDIA driver) was not found; install the NVIDIA driver, \
                         or use the wgpu or CPU backend";
