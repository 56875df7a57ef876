//! The backends, and the one place that dispatches over them.
//!
//! Each backend (`cpu.rs`, `wgpu/`, `cuda/`) offers the same operations on its own device and
//! buffer types: open, allocate, upload, overwrite, read back, synchronize, warm up and launch.
//! [`DeviceImpl`] and [`Storage`] are the enums over them, and this file holds every
//! `#[cfg(feature = ...)]` that chooses among them: the rest of the runtime calls these methods
//! and never matches on a backend. A launch's buffers reach a backend as its own buffer type
//! ([`Arg`]), after `Device::launch` checked that they belong to the launching device.

pub(crate) mod cpu;
#[cfg(feature = "cuda")]
pub(crate) mod cuda;
#[cfg(feature = "cuda-host")]
pub(crate) mod cuda_host;
mod kind;
#[cfg(feature = "wgpu")]
pub(crate) mod wgpu;

pub use kind::Backend;

use crate::buffer::RawBuffer;
use crate::device::MemoryInfo;
use crate::error::{Error, Result};
use crate::info::{CudaInfo, WgpuInfo};
use crate::kernel::{BoundsChecked, KernelArg, KernelDesc};
use crate::profile::{Clock, LaunchRecord};

/// A device of one backend.
#[allow(clippy::large_enum_variant)] // one per device, behind an Arc
pub(crate) enum DeviceImpl {
    Cpu,
    #[cfg(feature = "wgpu")]
    Wgpu(wgpu::WgpuDevice),
    #[cfg(feature = "cuda")]
    Cuda(cuda::CudaDevice),
    /// CUDA C run on the host; its buffers are [`Storage::Cpu`].
    #[cfg(feature = "cuda-host")]
    CudaHost(cuda_host::HostCudaDevice),
}

/// Where a buffer's bytes live.
pub(crate) enum Storage {
    /// Host memory, 8-byte aligned.
    Cpu(cpu::CpuBuffer),
    #[cfg(feature = "wgpu")]
    Wgpu(wgpu::WgpuBuffer),
    #[cfg(feature = "cuda")]
    Cuda(cuda::CudaBuffer),
}

/// The checks a launch runs under: the CPU backend's race check (`Device::cpu_checked`) and
/// the GPU backends' bounds check (`Device::set_bounds_check`).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Checks {
    pub(crate) races: bool,
    pub(crate) bounds: bool,
}

/// A launch argument as one backend takes it: a scalar's bits, or the backend's own buffer
/// with the elements passed.
pub(crate) enum Arg<'a, B> {
    Scalar(u64),
    Slice(&'a B, Extent),
    SliceMut(&'a mut B, Extent),
}

/// The elements of a buffer a slice argument passes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Extent {
    /// First element.
    pub(crate) offset: usize,
    /// Elements.
    pub(crate) len: usize,
    /// Bytes per element.
    pub(crate) elem: usize,
}

impl Extent {
    /// The first byte.
    #[cfg_attr(not(any(feature = "wgpu", feature = "cuda")), allow(dead_code))]
    pub(crate) fn start(&self) -> usize {
        self.offset * self.elem
    }
    /// The byte after the last.
    #[cfg_attr(not(feature = "wgpu"), allow(dead_code))]
    pub(crate) fn end(&self) -> usize {
        (self.offset + self.len) * self.elem
    }
}

/// A backend's buffer type, found in a [`Storage`].
trait Own: Sized {
    fn of(s: &Storage) -> Option<&Self>;
    fn of_mut(s: &mut Storage) -> Option<&mut Self>;

    /// `s` as this backend's buffer, or the error for a foreign one in `kernel`'s call.
    fn get<'a>(s: &'a Storage, kernel: &'static str) -> Result<&'a Self> {
        Self::of(s).ok_or_else(|| foreign(kernel))
    }

    /// As [`get`](Own::get), writable.
    fn get_mut<'a>(s: &'a mut Storage, kernel: &'static str) -> Result<&'a mut Self> {
        Self::of_mut(s).ok_or_else(|| foreign(kernel))
    }
}

/// Defines [`Own`] for a backend's buffer type (one arm: a build may have only the CPU
/// backend, where the pattern is irrefutable).
macro_rules! own {
    ($ty:ty, $variant:ident) => {
        impl Own for $ty {
            fn of(s: &Storage) -> Option<&Self> {
                #[allow(irrefutable_let_patterns)]
                if let Storage::$variant(b) = s {
                    Some(b)
                } else {
                    None
                }
            }
            fn of_mut(s: &mut Storage) -> Option<&mut Self> {
                #[allow(irrefutable_let_patterns)]
                if let Storage::$variant(b) = s {
                    Some(b)
                } else {
                    None
                }
            }
        }
    };
}
own!(cpu::CpuBuffer, Cpu);
#[cfg(feature = "wgpu")]
own!(wgpu::WgpuBuffer, Wgpu);
#[cfg(feature = "cuda")]
own!(cuda::CudaBuffer, Cuda);

/// The error for a buffer whose storage is not the launching backend's: `Device::launch`
/// refuses buffers of other devices first, so this is a bug of kernelforge's, reported rather
/// than panicking.
fn foreign(kernel: &'static str) -> Error {
    Error::BadArguments {
        kernel,
        message: "a buffer of another backend was passed; upload the data with the same Device \
                  that launches"
            .into(),
    }
}

/// `args` with each buffer as backend `B`'s own type.
fn views<'a, B: Own>(
    kernel: &'static str,
    args: &'a mut [KernelArg<'_>],
) -> Result<Vec<Arg<'a, B>>> {
    args.iter_mut()
        .map(|a| {
            Ok(match a {
                KernelArg::Scalar(bits) => Arg::Scalar(*bits),
                KernelArg::Slice { buf, offset, len } => {
                    let e = Extent {
                        offset: *offset,
                        len: *len,
                        elem: buf.elem_size,
                    };
                    Arg::Slice(B::get(&buf.storage, kernel)?, e)
                }
                KernelArg::SliceMut { buf, offset, len } => {
                    let e = Extent {
                        offset: *offset,
                        len: *len,
                        elem: buf.elem_size,
                    };
                    Arg::SliceMut(B::get_mut(&mut buf.storage, kernel)?, e)
                }
            })
        })
        .collect()
}

/// Why a backend not compiled into this build is unavailable.
#[cfg_attr(all(feature = "wgpu", feature = "cuda"), allow(dead_code))]
fn not_compiled_reason(backend: Backend) -> String {
    format!(
        "kernelforge was built without the `{}` feature; enable it",
        backend.as_str()
    )
}

/// The error for opening a backend not compiled into this build.
#[cfg_attr(all(feature = "wgpu", feature = "cuda"), allow(dead_code))]
fn not_compiled(backend: Backend) -> Error {
    Error::Unavailable {
        backend,
        reason: not_compiled_reason(backend),
    }
}

impl DeviceImpl {
    /// The best wgpu adapter's device; with `hardware_only`, adapters that are CPU
    /// implementations (lavapipe) are skipped.
    pub(crate) fn wgpu(hardware_only: bool) -> Result<DeviceImpl> {
        #[cfg(feature = "wgpu")]
        return wgpu::WgpuDevice::open(hardware_only).map(DeviceImpl::Wgpu);
        #[cfg(not(feature = "wgpu"))]
        {
            let _ = hardware_only;
            Err(not_compiled(Backend::Wgpu))
        }
    }

    /// CUDA GPU number `ordinal`.
    pub(crate) fn cuda(ordinal: usize) -> Result<DeviceImpl> {
        #[cfg(feature = "cuda")]
        return cuda::CudaDevice::open(ordinal).map(DeviceImpl::Cuda);
        #[cfg(not(feature = "cuda"))]
        {
            let _ = ordinal;
            Err(not_compiled(Backend::Cuda))
        }
    }

    /// The generated CUDA C compiled with the host's C++ compiler.
    pub(crate) fn cuda_host() -> Result<DeviceImpl> {
        #[cfg(feature = "cuda-host")]
        return cuda_host::HostCudaDevice::open().map(DeviceImpl::CudaHost);
        #[cfg(not(feature = "cuda-host"))]
        Err(Error::Unavailable {
            backend: Backend::Cuda,
            reason: "kernelforge was built without the `cuda-host` feature, which runs CUDA C \
                     on the host; enable it"
                .into(),
        })
    }

    pub(crate) fn backend(&self) -> Backend {
        match self {
            DeviceImpl::Cpu => Backend::Cpu,
            #[cfg(feature = "wgpu")]
            DeviceImpl::Wgpu(_) => Backend::Wgpu,
            #[cfg(feature = "cuda")]
            DeviceImpl::Cuda(_) => Backend::Cuda,
            #[cfg(feature = "cuda-host")]
            DeviceImpl::CudaHost(_) => Backend::Cuda,
        }
    }

    pub(crate) fn name(&self) -> String {
        match self {
            DeviceImpl::Cpu => cpu::name(),
            #[cfg(feature = "wgpu")]
            DeviceImpl::Wgpu(w) => w.name(),
            #[cfg(feature = "cuda")]
            DeviceImpl::Cuda(c) => c.name(),
            #[cfg(feature = "cuda-host")]
            DeviceImpl::CudaHost(h) => h.name(),
        }
    }

    /// How launches on this device are timed when profiling.
    pub(crate) fn clock(&self) -> Clock {
        match self {
            DeviceImpl::Cpu => Clock::Wall,
            #[cfg(feature = "wgpu")]
            DeviceImpl::Wgpu(w) if w.timestamps() => Clock::TimestampQueries,
            #[cfg(feature = "wgpu")]
            DeviceImpl::Wgpu(_) => Clock::Untimed,
            #[cfg(feature = "cuda")]
            DeviceImpl::Cuda(_) => Clock::CudaEvents,
            #[cfg(feature = "cuda-host")]
            DeviceImpl::CudaHost(_) => Clock::Wall,
        }
    }

    /// `bytes` zeroed bytes.
    pub(crate) fn alloc(&self, bytes: usize) -> Result<Storage> {
        Ok(match self {
            DeviceImpl::Cpu => Storage::Cpu(cpu::alloc(bytes)?),
            #[cfg(feature = "wgpu")]
            DeviceImpl::Wgpu(w) => Storage::Wgpu(w.alloc(bytes)?),
            #[cfg(feature = "cuda")]
            DeviceImpl::Cuda(c) => Storage::Cuda(c.alloc(bytes)?),
            #[cfg(feature = "cuda-host")]
            DeviceImpl::CudaHost(_) => Storage::Cpu(cpu::alloc(bytes)?),
        })
    }

    /// A copy of `bytes`.
    pub(crate) fn upload(&self, bytes: &[u8]) -> Result<Storage> {
        Ok(match self {
            DeviceImpl::Cpu => Storage::Cpu(cpu::upload(bytes)?),
            #[cfg(feature = "wgpu")]
            DeviceImpl::Wgpu(w) => Storage::Wgpu(w.upload(bytes)?),
            #[cfg(feature = "cuda")]
            DeviceImpl::Cuda(c) => Storage::Cuda(c.upload(bytes)?),
            #[cfg(feature = "cuda-host")]
            DeviceImpl::CudaHost(_) => Storage::Cpu(cpu::upload(bytes)?),
        })
    }

    /// The bytes of `buf` (of this device), waiting for launches that write it.
    pub(crate) fn read(&self, buf: &RawBuffer) -> Result<Vec<u8>> {
        let bytes = buf.bytes();
        let kernel = "to_vec";
        match self {
            #[cfg(feature = "cuda-host")]
            DeviceImpl::CudaHost(_) => Ok(cpu::read(Own::get(&buf.storage, kernel)?, bytes)),
            DeviceImpl::Cpu => Ok(cpu::read(Own::get(&buf.storage, kernel)?, bytes)),
            #[cfg(feature = "wgpu")]
            DeviceImpl::Wgpu(w) => w.read(Own::get(&buf.storage, kernel)?, bytes),
            #[cfg(feature = "cuda")]
            DeviceImpl::Cuda(c) => c.read(Own::get(&buf.storage, kernel)?, bytes),
        }
    }

    /// Overwrites the start of `buf` (of this device) with `bytes`.
    pub(crate) fn write(&self, buf: &mut RawBuffer, bytes: &[u8]) -> Result<()> {
        let kernel = "write";
        match self {
            DeviceImpl::Cpu => {
                cpu::write(Own::get_mut(&mut buf.storage, kernel)?, bytes);
                Ok(())
            }
            #[cfg(feature = "cuda-host")]
            DeviceImpl::CudaHost(_) => {
                cpu::write(Own::get_mut(&mut buf.storage, kernel)?, bytes);
                Ok(())
            }
            #[cfg(feature = "wgpu")]
            DeviceImpl::Wgpu(w) => w.write(Own::get(&buf.storage, kernel)?, bytes),
            #[cfg(feature = "cuda")]
            DeviceImpl::Cuda(c) => c.write(Own::get_mut(&mut buf.storage, kernel)?, bytes),
        }
    }

    /// Copies `src` over `dst` (both of this device, of equal size) on the device.
    pub(crate) fn copy(&self, dst: &mut RawBuffer, src: &RawBuffer) -> Result<()> {
        let (kernel, bytes) = ("copy_from", dst.bytes());
        match self {
            DeviceImpl::Cpu => {
                let from = Own::get(&src.storage, kernel)?;
                cpu::copy(Own::get_mut(&mut dst.storage, kernel)?, from, bytes);
                Ok(())
            }
            #[cfg(feature = "cuda-host")]
            DeviceImpl::CudaHost(_) => {
                let from = Own::get(&src.storage, kernel)?;
                cpu::copy(Own::get_mut(&mut dst.storage, kernel)?, from, bytes);
                Ok(())
            }
            #[cfg(feature = "wgpu")]
            DeviceImpl::Wgpu(w) => w.copy(
                Own::get(&dst.storage, kernel)?,
                Own::get(&src.storage, kernel)?,
                bytes,
            ),
            #[cfg(feature = "cuda")]
            DeviceImpl::Cuda(c) => {
                let from = Own::get(&src.storage, kernel)?;
                c.copy(Own::get_mut(&mut dst.storage, kernel)?, from, bytes)
            }
        }
    }

    /// Invocations per subgroup (see `Device::subgroup_size`).
    pub(crate) fn subgroup_size(&self) -> Result<u32> {
        match self {
            // The generated CPU code runs subgroups of 32 consecutive invocations, as warps.
            DeviceImpl::Cpu => Ok(32),
            #[cfg(feature = "wgpu")]
            DeviceImpl::Wgpu(w) => w.subgroup_size(),
            #[cfg(feature = "cuda")]
            DeviceImpl::Cuda(c) => c.subgroup_size(),
            #[cfg(feature = "cuda-host")]
            DeviceImpl::CudaHost(_) => Ok(32),
        }
    }

    /// Waits until every launch submitted to this device has finished.
    pub(crate) fn synchronize(&self) -> Result<()> {
        match self {
            DeviceImpl::Cpu => Ok(()),
            #[cfg(feature = "wgpu")]
            DeviceImpl::Wgpu(w) => w.synchronize(),
            #[cfg(feature = "cuda")]
            DeviceImpl::Cuda(c) => c.synchronize(),
            // Launches return when their blocks have run.
            #[cfg(feature = "cuda-host")]
            DeviceImpl::CudaHost(_) => Ok(()),
        }
    }

    /// The memory this device reports; `ours` is what its buffers hold now.
    pub(crate) fn memory(&self, ours: u64) -> Result<MemoryInfo> {
        Ok(match self {
            #[cfg(feature = "cuda-host")]
            DeviceImpl::CudaHost(_) => MemoryInfo {
                used: ours,
                free: cpu::available_memory(),
                total: cpu::total_memory(),
            },
            DeviceImpl::Cpu => MemoryInfo {
                used: ours,
                free: cpu::available_memory(),
                total: cpu::total_memory(),
            },
            #[cfg(feature = "wgpu")]
            DeviceImpl::Wgpu(_) => MemoryInfo {
                used: ours,
                free: None,
                total: None,
            },
            #[cfg(feature = "cuda")]
            DeviceImpl::Cuda(c) => {
                let (free, total) = c.memory()?;
                MemoryInfo {
                    used: total.saturating_sub(free),
                    free: Some(free),
                    total: Some(total),
                }
            }
        })
    }

    /// Compiles and loads `desc` (nothing to do on the CPU).
    pub(crate) fn warm_up(
        &self,
        desc: &KernelDesc,
        rec: &mut LaunchRecord,
        checks: Checks,
    ) -> Result<()> {
        let bounds = self.bounds_checked(desc, checks)?;
        match self {
            DeviceImpl::Cpu => {
                let _ = (desc, rec, bounds);
                Ok(())
            }
            #[cfg(feature = "wgpu")]
            DeviceImpl::Wgpu(w) => w.warm_up(desc, rec, bounds),
            #[cfg(feature = "cuda")]
            DeviceImpl::Cuda(c) => c.warm_up(desc, rec, bounds),
            #[cfg(feature = "cuda-host")]
            DeviceImpl::CudaHost(h) => h.warm_up(desc, rec, bounds),
        }
    }

    /// The bounds-checked versions of `desc` that launches under `checks` run on this device
    /// (`None` on the CPU, which checks every access always).
    fn bounds_checked(
        &self,
        desc: &KernelDesc,
        checks: Checks,
    ) -> Result<Option<&'static BoundsChecked>> {
        (checks.bounds && !matches!(self, DeviceImpl::Cpu))
            .then(|| crate::bounds::checked(desc, self.name()))
            .transpose()
    }

    /// Bytes of wgpu pipeline cache loaded from disk when the device was opened.
    pub(crate) fn pipeline_cache_loaded(&self) -> usize {
        match self {
            #[cfg(feature = "wgpu")]
            DeviceImpl::Wgpu(w) => w.pipeline_cache_loaded(),
            _ => 0,
        }
    }

    /// Runs `desc` over `groups` workgroups with `args`, checked by `Device::launch`; on the
    /// CPU with `checks.races`, the kernel's race-checked version, on the GPU backends with
    /// `checks.bounds`, its bounds-checked version.
    pub(crate) fn launch(
        &self,
        desc: &KernelDesc,
        groups: [u32; 3],
        args: &mut [KernelArg<'_>],
        rec: &mut LaunchRecord,
        checks: Checks,
    ) -> Result<()> {
        // The length of a launch-sized workgroup array, which each backend checks against its
        // limit.
        let shared = desc.shared_len.map(|s| (s, s.len(args)));
        let bounds = self.bounds_checked(desc, checks)?;
        // The GPU backends pass the launch ABI's words; the CPU reads the arguments directly.
        match self {
            DeviceImpl::Cpu => {
                let _ = (rec, bounds);
                if let Some((s, len)) = shared {
                    cpu::check_shared(desc, len * s.elem_bytes as u64)?;
                }
                cpu::launch(desc, groups, &mut views(desc.name, args)?, checks.races)
            }
            #[cfg(feature = "wgpu")]
            DeviceImpl::Wgpu(w) => {
                let words = crate::kernel::abi_words(groups, desc.params, args);
                let len = shared.map_or(0, |(_, len)| len as u32);
                w.launch(
                    desc,
                    groups,
                    words,
                    &views(desc.name, args)?,
                    len,
                    rec,
                    bounds,
                )
            }
            #[cfg(feature = "cuda")]
            DeviceImpl::Cuda(c) => {
                let words = crate::kernel::abi_words(groups, desc.params, args);
                let bytes = shared.map_or(0, |(s, len)| len * s.elem_bytes as u64);
                c.launch(
                    desc,
                    groups,
                    &words,
                    &views(desc.name, args)?,
                    bytes,
                    rec,
                    bounds,
                )
            }
            #[cfg(feature = "cuda-host")]
            DeviceImpl::CudaHost(h) => {
                let bytes = shared.map_or(0, |(s, len)| len * s.elem_bytes as u64);
                h.launch(
                    desc,
                    groups,
                    &mut views(desc.name, args)?,
                    bytes,
                    rec,
                    bounds,
                )
            }
        }
    }
}

/// Whether a CUDA driver with at least one GPU is installed (so that failing to open one is a
/// failure, not an absence).
pub(crate) fn cuda_present() -> bool {
    #[cfg(feature = "cuda")]
    return cuda::present();
    #[cfg(not(feature = "cuda"))]
    false
}

/// Whether a wgpu adapter that is not a CPU implementation exists.
pub(crate) fn wgpu_hardware_present() -> bool {
    #[cfg(feature = "wgpu")]
    return wgpu::hardware_present();
    #[cfg(not(feature = "wgpu"))]
    false
}

/// The CUDA driver's facts for `kernelforge info` (opens each GPU once).
pub(crate) fn cuda_info() -> CudaInfo {
    #[cfg(feature = "cuda")]
    return cuda::info();
    #[cfg(not(feature = "cuda"))]
    CudaInfo {
        error: Some(not_compiled_reason(Backend::Cuda)),
        ..Default::default()
    }
}

/// The wgpu adapters' facts for `kernelforge info`.
pub(crate) fn wgpu_info() -> WgpuInfo {
    #[cfg(feature = "wgpu")]
    return WgpuInfo {
        compiled: true,
        adapters: wgpu::info(),
    };
    #[cfg(not(feature = "wgpu"))]
    WgpuInfo::default()
}
