//! The wgpu backend: WGSL pipelines cached per device (and on disk through wgpu's pipeline
//! cache where the adapter has `PIPELINE_CACHE`), storage buffers, one uniform buffer of
//! launch-ABI words per launch, grids folded into more dimensions past the per-dimension limit.

mod adapter;
mod buffer;
mod cache;
mod interop;
mod launch;
mod pipeline;

use adapter::{adapters, describe};
pub(crate) use adapter::{hardware_present, info};
pub(crate) use buffer::WgpuBuffer;

use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::profile::PendingTimings;
use cache::PipelineDiskCache;
use launch::PendingTiming;
use pipeline::{Pipeline, PipelineKey};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub(crate) struct WgpuDevice {
    device: wgpu::Device,
    queue: wgpu::Queue,
    info: wgpu::AdapterInfo,
    limits: wgpu::Limits,
    pipelines: Mutex<HashMap<PipelineKey, Arc<Pipeline>>>,
    /// Set by wgpu's device-lost callback: the reason.
    lost: Arc<Mutex<Option<String>>>,
    /// Held from each `push_error_scope` to its `pop`: wgpu 30 keeps one scope stack per
    /// device, shared by all threads, and panics when pops interleave ("Mismatched
    /// pop_error_scope call"), which 8 threads launching on one device did (tests/soak.rs).
    scopes: Mutex<()>,
    /// Profiled launches whose timestamps are still on their way back.
    timings: PendingTimings<PendingTiming>,
    /// wgpu's pipeline cache, persisted in the kernel cache directory.
    disk: Option<PipelineDiskCache>,
}

fn unavailable(reason: impl Into<String>) -> Error {
    Error::Unavailable {
        backend: Backend::Wgpu,
        reason: reason.into(),
    }
}

pub(super) fn wgpu_err(context: impl Into<String>, e: impl std::fmt::Display) -> Error {
    Error::Wgpu {
        context: context.into(),
        message: e.to_string(),
    }
}

impl WgpuDevice {
    /// Opens the best adapter; with `hardware_only`, adapters that are CPU implementations
    /// are skipped (the native CPU backend beats them).
    pub(crate) fn open(hardware_only: bool) -> Result<WgpuDevice> {
        let list = adapters();
        let Some(adapter) = list
            .into_iter()
            .find(|a| !hardware_only || a.get_info().device_type != wgpu::DeviceType::Cpu)
        else {
            return Err(unavailable(if hardware_only {
                "no hardware adapter (only CPU implementations such as lavapipe, which rank \
                 below the native CPU backend; force one with KERNELFORGE_BACKEND=wgpu)"
            } else {
                "no adapter found; install a Vulkan driver (Debian: mesa-vulkan-drivers for \
                 lavapipe) or a GPU driver"
            }));
        };
        let info = adapter.get_info();
        let limits = adapter.limits();
        // Subgroup operations and barriers where the adapter has them; kernels that need them
        // are refused at launch elsewhere.
        // Timestamp queries where offered, for profiling.
        // The pipeline cache where offered, persisted unless KERNELFORGE_CACHE_DIR=off.
        // f16 and f64 in shaders where offered; kernels that use them are refused otherwise.
        let features = adapter.features()
            & (wgpu::Features::SUBGROUP
                | wgpu::Features::SUBGROUP_BARRIER
                | wgpu::Features::TIMESTAMP_QUERY
                | wgpu::Features::PIPELINE_CACHE
                | wgpu::Features::SHADER_F16
                | wgpu::Features::SHADER_F64);
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("kernelforge"),
            required_features: features,
            required_limits: limits.clone(),
            ..Default::default()
        }))
        .map_err(|e| unavailable(format!("{}: requesting a device failed: {e}", info.name)))?;
        let dev = WgpuDevice::from_parts(device, queue);
        let flag = dev.lost.clone();
        dev.device.set_device_lost_callback(move |reason, message| {
            *flag.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(format!("{reason:?}: {message}"));
        });
        Ok(dev)
    }

    /// A device over a `wgpu::Device` and its queue, with the features and limits it was
    /// created with. (Only a device kernelforge opened gets a device-lost callback: one set
    /// here would replace the owner's.)
    pub(crate) fn from_parts(device: wgpu::Device, queue: wgpu::Queue) -> WgpuDevice {
        let info = device.adapter_info();
        let limits = device.limits();
        let disk = PipelineDiskCache::open(&device, &info);
        WgpuDevice {
            disk,
            device,
            queue,
            info,
            limits,
            pipelines: Mutex::new(HashMap::new()),
            lost: Arc::new(Mutex::new(None)),
            scopes: Mutex::new(()),
            timings: PendingTimings::new(),
        }
    }

    /// The `wgpu::Device` and queue kernels run on.
    pub(crate) fn handles(&self) -> (&wgpu::Device, &wgpu::Queue) {
        (&self.device, &self.queue)
    }

    /// Bytes of pipeline cache loaded from disk when the device was opened.
    pub(crate) fn pipeline_cache_loaded(&self) -> usize {
        self.disk.as_ref().map_or(0, |d| d.loaded)
    }

    /// Whether launches can be timed with timestamp queries.
    pub(crate) fn timestamps(&self) -> bool {
        self.device
            .features()
            .contains(wgpu::Features::TIMESTAMP_QUERY)
    }

    pub(crate) fn name(&self) -> String {
        format!("wgpu: {}", describe(&self.info))
    }

    /// The number of invocations in a subgroup, when the adapter reports one fixed size.
    pub(crate) fn subgroup_size(&self) -> Result<u32> {
        let unsupported = |what, fix| Error::Unsupported {
            kernel: "Device::subgroup_size",
            what,
            device: self.name(),
            fix,
        };
        if !self.device.features().contains(wgpu::Features::SUBGROUP) {
            return Err(unsupported(
                "subgroup operations (wgpu's SUBGROUP feature)",
                "run subgroup kernels on the CPU or CUDA backend",
            ));
        }
        let (lo, hi) = (self.info.subgroup_min_size, self.info.subgroup_max_size);
        if lo != hi {
            return Err(unsupported(
                "one fixed subgroup size (it runs between subgroup_min_size and \
                 subgroup_max_size, chosen per pipeline; `kernelforge info` shows both)",
                "read `subgroup_size()` inside the kernel instead",
            ));
        }
        Ok(lo)
    }

    /// `Error::DeviceLost` once wgpu has reported the device lost.
    pub(super) fn check_lost(&self, context: &str) -> Result<()> {
        match self.lost.lock().unwrap_or_else(|e| e.into_inner()).clone() {
            Some(message) => Err(Error::DeviceLost {
                device: self.name(),
                context: context.into(),
                message,
            }),
            None => Ok(()),
        }
    }

    pub(crate) fn synchronize(&self) -> Result<()> {
        // `write_buffer` only stages a write until the next submission: an empty one runs the
        // staged uploads now, as `cudaDeviceSynchronize` waits for earlier copies too.
        self.queue.submit([]);
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| wgpu_err("waiting for the device", e))?;
        self.collect_timings();
        Ok(())
    }
}
