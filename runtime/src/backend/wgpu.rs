//! The wgpu backend: WGSL pipelines cached per device (and on disk through wgpu's pipeline
//! cache where the adapter has `PIPELINE_CACHE`), storage buffers, one uniform buffer of
//! launch-ABI words per launch, grids folded into more dimensions past the per-dimension limit.

use crate::cache::DiskCache;
use crate::device::{abi_words, Backend};
use crate::error::{Error, Result};
use crate::fault::{self, Fault};
use crate::info::AdapterInfo;
use crate::kernel::{KernelArg, KernelDesc};
use crate::profile::{LaunchRecord, PendingTimings, Sink};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A pipeline's kernel name, module (its source's address) and whether it is the `_folded`
/// entry point.
type PipelineKey = (&'static str, usize, bool);

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

/// A pipeline cache loaded from, and saved to, one entry of the disk cache.
struct PipelineDiskCache {
    cache: wgpu::PipelineCache,
    dir: DiskCache,
    /// wgpu's key for the adapter (vendor and device), plus the driver, naming the entry.
    key: String,
    /// Bytes loaded from disk when the device was opened (0: none).
    loaded: usize,
}

/// The disk-cache entry name of wgpu pipeline caches.
const PIPELINE_ENTRY: &str = "wgpu-pipelines";

impl PipelineDiskCache {
    /// The cache of `adapter`'s pipelines, seeded from disk, when the adapter has
    /// `PIPELINE_CACHE` (Vulkan), wgpu can key it, and the kernel cache is on.
    fn open(device: &wgpu::Device, info: &wgpu::AdapterInfo) -> Option<PipelineDiskCache> {
        if !device.features().contains(wgpu::Features::PIPELINE_CACHE) {
            return None;
        }
        let dir = DiskCache::from_env()?;
        let key = format!(
            "{}\ndriver={} {}",
            wgpu::util::pipeline_cache_key(info)?,
            info.driver,
            info.driver_info
        );
        let data = dir.get(PIPELINE_ENTRY, key.as_bytes());
        let loaded = data.as_ref().map_or(0, Vec::len);
        // SAFETY: `data` is only ever bytes that `PipelineCache::get_data` returned for an
        // adapter with this key (written by `save` below into an entry that is read back only
        // whole and with its key matching byte for byte); wgpu checks its own header
        // (adapter, driver, length) too, and `fallback` makes a rejected blob an empty cache.
        let cache = unsafe {
            device.create_pipeline_cache(&wgpu::PipelineCacheDescriptor {
                label: Some("kernelforge"),
                data: data.as_deref(),
                fallback: true,
            })
        };
        tracing::debug!(bytes = loaded, dir = %dir.dir().display(), "wgpu pipeline cache");
        Some(PipelineDiskCache {
            cache,
            dir,
            key,
            loaded,
        })
    }

    /// Writes the cache's current contents to disk (atomically); a failure is logged.
    fn save(&self) {
        let Some(data) = self.cache.get_data() else {
            return;
        };
        if let Err(e) = self.dir.put(PIPELINE_ENTRY, self.key.as_bytes(), &data) {
            tracing::warn!(
                dir = %self.dir.dir().display(),
                "cannot write the wgpu pipeline cache: {e}; set KERNELFORGE_CACHE_DIR to a \
                 writable directory"
            );
        }
    }
}

/// A profiled launch's two timestamps, being copied into `readback`; `state` is set by the
/// map callback.
struct PendingTiming {
    readback: wgpu::Buffer,
    state: Arc<AtomicU8>,
    sink: Sink,
}

const MAP_WAITING: u8 = 0;
const MAP_DONE: u8 = 1;
const MAP_FAILED: u8 = 2;

struct Pipeline {
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
}

pub(crate) struct WgpuBuffer {
    buffer: wgpu::Buffer,
}

fn unavailable(reason: impl Into<String>) -> Error {
    Error::Unavailable {
        backend: Backend::Wgpu,
        reason: reason.into(),
    }
}

fn wgpu_err(context: impl Into<String>, e: impl std::fmt::Display) -> Error {
    Error::Wgpu {
        context: context.into(),
        message: e.to_string(),
    }
}

fn instance() -> wgpu::Instance {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
    desc.backends = wgpu::Backends::PRIMARY;
    wgpu::Instance::new(desc)
}

fn rank(t: wgpu::DeviceType) -> u8 {
    match t {
        wgpu::DeviceType::DiscreteGpu => 4,
        wgpu::DeviceType::IntegratedGpu => 3,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 1,
        wgpu::DeviceType::Cpu => 0,
    }
}

fn adapters() -> Vec<wgpu::Adapter> {
    let mut v = pollster::block_on(instance().enumerate_adapters(wgpu::Backends::PRIMARY));
    v.sort_by_key(|a| std::cmp::Reverse(rank(a.get_info().device_type)));
    v
}

fn describe(info: &wgpu::AdapterInfo) -> String {
    format!(
        "{} ({:?}, {:?}, driver {} {})",
        info.name, info.backend, info.device_type, info.driver, info.driver_info
    )
}

/// Whether an adapter that is not a CPU implementation exists.
pub(crate) fn hardware_present() -> bool {
    adapters()
        .iter()
        .any(|a| a.get_info().device_type != wgpu::DeviceType::Cpu)
}

/// Every adapter's facts for `kernelforge info`, best first.
pub(crate) fn info() -> Vec<AdapterInfo> {
    adapters()
        .iter()
        .map(|a| {
            let info = a.get_info();
            let l = a.limits();
            let f = a.features();
            AdapterInfo {
                name: info.name.clone(),
                backend: format!("{:?}", info.backend),
                device_type: format!("{:?}", info.device_type),
                driver: format!("{} {}", info.driver, info.driver_info),
                max_workgroup_storage: l.max_compute_workgroup_storage_size,
                max_invocations_per_workgroup: l.max_compute_invocations_per_workgroup,
                max_storage_binding: l.max_storage_buffer_binding_size,
                max_workgroups_per_dimension: l.max_compute_workgroups_per_dimension,
                f16: f.contains(wgpu::Features::SHADER_F16),
                subgroups: f
                    .contains(wgpu::Features::SUBGROUP)
                    .then_some((info.subgroup_min_size, info.subgroup_max_size)),
                int64: f.contains(wgpu::Features::SHADER_INT64),
                timestamp_queries: f.contains(wgpu::Features::TIMESTAMP_QUERY),
                pipeline_cache: f.contains(wgpu::Features::PIPELINE_CACHE),
            }
        })
        .collect()
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
        // Subgroup operations where the adapter has them; kernels that need them are refused
        // at launch elsewhere.
        // Timestamp queries where offered, for profiling.
        // The pipeline cache where offered, persisted unless KERNELFORGE_CACHE_DIR=off.
        let features = adapter.features()
            & (wgpu::Features::SUBGROUP
                | wgpu::Features::TIMESTAMP_QUERY
                | wgpu::Features::PIPELINE_CACHE);
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("kernelforge"),
            required_features: features,
            required_limits: limits.clone(),
            ..Default::default()
        }))
        .map_err(|e| unavailable(format!("{}: requesting a device failed: {e}", info.name)))?;
        let lost = Arc::new(Mutex::new(None));
        let flag = lost.clone();
        device.set_device_lost_callback(move |reason, message| {
            *flag.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(format!("{reason:?}: {message}"));
        });
        let disk = PipelineDiskCache::open(&device, &info);
        Ok(WgpuDevice {
            disk,
            device,
            queue,
            info,
            limits,
            pipelines: Mutex::new(HashMap::new()),
            lost,
            scopes: Mutex::new(()),
            timings: PendingTimings::new(),
        })
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

    /// Delivers the timings whose readback has been mapped (after a poll); the rest wait.
    fn collect_timings(&self) {
        self.timings.collect(|t| {
            match t.state.load(Ordering::Acquire) {
                MAP_WAITING => return Some(t),
                MAP_DONE => {
                    if let Ok(view) = t.readback.get_mapped_range(..) {
                        let ticks: &[u64] = bytemuck::cast_slice(&view[..16]);
                        let period = self.queue.get_timestamp_period() as f64;
                        let ns = ticks[1].saturating_sub(ticks[0]) as f64 * period;
                        t.sink.record(Duration::from_nanos(ns as u64));
                    }
                    t.readback.unmap();
                }
                _ => {}
            }
            None
        });
    }

    pub(crate) fn name(&self) -> String {
        format!("wgpu: {}", describe(&self.info))
    }

    fn check_size(&self, bytes: usize) -> Result<u64> {
        let max = self.limits.max_storage_buffer_binding_size;
        // wgpu cannot bind an empty buffer, and `x4` kernels access whole `vec4`s, so every
        // buffer is rounded up to 16 bytes; lengths travel in the uniform, so the padding is
        // invisible to kernels.
        let padded = (bytes as u64).max(16).next_multiple_of(16);
        if padded > max {
            return Err(Error::TooLarge {
                what: "a wgpu buffer (rounded up to 16 bytes)",
                value: padded,
                limit: max,
                fix: "this adapter binds at most that many bytes per storage buffer; split the \
                      data or use the CPU or CUDA backend",
            });
        }
        Ok(padded)
    }

    /// `Error::DeviceLost` once wgpu has reported the device lost.
    fn check_lost(&self, context: &str) -> Result<()> {
        match self.lost.lock().unwrap_or_else(|e| e.into_inner()).clone() {
            Some(message) => Err(Error::DeviceLost {
                device: self.name(),
                context: context.into(),
                message,
            }),
            None => Ok(()),
        }
    }

    pub(crate) fn alloc(&self, bytes: usize) -> Result<WgpuBuffer> {
        let size = self.check_size(bytes)?;
        self.check_lost("allocating a buffer")?;
        let oom = || Error::OutOfMemory {
            device: self.name(),
            requested: size,
            free: None,
        };
        if fault::fires(Backend::Wgpu, Fault::OutOfMemory, None) {
            return Err(oom());
        }
        let _scopes = self.scopes.lock().unwrap_or_else(|e| e.into_inner());
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size,
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        if pollster::block_on(scope.pop()).is_some() {
            return Err(oom());
        }
        Ok(WgpuBuffer { buffer })
    }

    pub(crate) fn upload(&self, bytes: &[u8]) -> Result<WgpuBuffer> {
        let b = self.alloc(bytes.len())?;
        self.write(&b, bytes)?;
        Ok(b)
    }

    /// Overwrites the start of `b` with `bytes` (queued: later launches and reads see it).
    pub(crate) fn write(&self, b: &WgpuBuffer, bytes: &[u8]) -> Result<()> {
        self.check_lost("copying to the device")?;
        // wgpu writes whole 4-byte words: the last partial word is padded with zeros.
        let whole = bytes.len() / 4 * 4;
        if whole > 0 {
            self.queue.write_buffer(&b.buffer, 0, &bytes[..whole]);
        }
        if whole < bytes.len() {
            let mut tail = [0u8; 4];
            tail[..bytes.len() - whole].copy_from_slice(&bytes[whole..]);
            self.queue.write_buffer(&b.buffer, whole as u64, &tail);
        }
        Ok(())
    }

    pub(crate) fn read(&self, b: &WgpuBuffer, bytes: usize) -> Result<Vec<u8>> {
        let size = b.buffer.size();
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("kernelforge readback"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut enc = self.device.create_command_encoder(&Default::default());
        enc.copy_buffer_to_buffer(&b.buffer, 0, &staging, 0, size);
        self.queue.submit([enc.finish()]);
        let (tx, rx) = std::sync::mpsc::channel();
        staging.map_async(wgpu::MapMode::Read, .., move |r| {
            let _ = tx.send(r);
        });
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| wgpu_err("waiting for a readback", e))?;
        rx.recv()
            .map_err(|e| wgpu_err("mapping a readback buffer", e))?
            .map_err(|e| wgpu_err("mapping a readback buffer", e))?;
        let view = staging
            .get_mapped_range(..)
            .map_err(|e| wgpu_err("mapping a readback buffer", e))?;
        let out = view[..bytes].to_vec();
        drop(view);
        staging.unmap();
        // The poll above also completed earlier launches: deliver their timings.
        self.collect_timings();
        Ok(out)
    }

    pub(crate) fn synchronize(&self) -> Result<()> {
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| wgpu_err("waiting for the device", e))?;
        self.collect_timings();
        Ok(())
    }

    /// The compute pipeline of `source`, one of `desc`'s two WGSL modules, at its entry point
    /// `<name>_folded` when `folded` (generated scalar modules have it, for grids folded into
    /// more dimensions), else `<name>`.
    fn pipeline(
        &self,
        desc: &KernelDesc,
        source: &'static str,
        folded: bool,
        compile: &mut Duration,
    ) -> Result<Arc<Pipeline>> {
        let key = (desc.name, source.as_ptr() as usize, folded);
        if let Some(p) = self.pipelines.lock().expect("pipeline cache").get(&key) {
            return Ok(p.clone());
        }
        if desc.subgroups && !self.device.features().contains(wgpu::Features::SUBGROUP) {
            return Err(Error::Unsupported {
                kernel: desc.name,
                what: "subgroup operations",
                device: self.name(),
                fix: "this adapter does not offer wgpu's SUBGROUP feature (`kernelforge info` \
                      lists the features); run it on the CUDA or CPU backend",
            });
        }
        let inv: u32 = desc.workgroup_size.iter().product();
        if inv > self.limits.max_compute_invocations_per_workgroup {
            return Err(Error::TooLarge {
                what: "the workgroup size",
                value: inv as u64,
                limit: self.limits.max_compute_invocations_per_workgroup as u64,
                fix: "use a smaller workgroup_size in #[compute_kernel]",
            });
        }
        if desc.workgroup_bytes > self.limits.max_compute_workgroup_storage_size {
            return Err(Error::TooLarge {
                what: "the kernel's workgroup memory (bytes)",
                value: desc.workgroup_bytes as u64,
                limit: self.limits.max_compute_workgroup_storage_size as u64,
                fix: "this adapter offers less workgroup memory (WebGPU guarantees 16 KiB); use \
                      smaller shared arrays, or run on the CUDA or CPU backend",
            });
        }
        if fault::fires(Backend::Wgpu, Fault::Compile, Some(desc.name)) {
            return Err(Error::Compile {
                kernel: desc.name,
                device: self.name(),
                message: "injected compile failure (test hook)".into(),
            });
        }
        let started = Instant::now();
        let _scopes = self.scopes.lock().unwrap_or_else(|e| e.into_inner());
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(desc.name),
                source: wgpu::ShaderSource::Wgsl(source.into()),
            });
        let mut entries = vec![wgpu::BindGroupLayoutEntry {
            binding: 0,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Uniform,
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        }];
        for p in desc.params {
            if let Some(mutable) = p.slice {
                entries.push(wgpu::BindGroupLayoutEntry {
                    binding: entries.len() as u32,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Storage {
                            read_only: !mutable,
                        },
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                });
            }
        }
        let layout = self
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some(desc.name),
                entries: &entries,
            });
        let pl = self
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some(desc.name),
                bind_group_layouts: &[Some(&layout)],
                immediate_size: 0,
            });
        let entry = if folded {
            format!("{}_folded", desc.name)
        } else {
            desc.name.to_string()
        };
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(desc.name),
                layout: Some(&pl),
                module: &module,
                entry_point: Some(&entry),
                compilation_options: Default::default(),
                cache: self.disk.as_ref().map(|d| &d.cache),
            });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(Error::Compile {
                kernel: desc.name,
                device: self.name(),
                message: format!("wgpu rejected the WGSL pipeline: {e}"),
            });
        }
        *compile += started.elapsed();
        // Other threads may launch while the cache is written.
        drop(_scopes);
        if let Some(d) = &self.disk {
            d.save();
        }
        let p = Arc::new(Pipeline { pipeline, layout });
        self.pipelines
            .lock()
            .expect("pipeline cache")
            .insert(key, p.clone());
        Ok(p)
    }

    /// Builds the pipelines a launch of `desc` uses for grids within the adapter's limits: the
    /// scalar module's direct entry point and, for elementwise kernels, the `x4` module.
    pub(crate) fn warm_up(&self, desc: &KernelDesc, rec: &mut LaunchRecord) -> Result<()> {
        self.pipeline(desc, desc.wgsl_source, false, &mut rec.compile)?;
        if let Some(x4) = desc.wgsl_x4_source {
            self.pipeline(desc, x4, false, &mut rec.compile)?;
        }
        Ok(())
    }

    /// Splits `total` workgroups into a dispatch whose dimensions each fit the adapter's limit.
    fn fold(&self, total: u64) -> Result<[u32; 3]> {
        let max = self.limits.max_compute_workgroups_per_dimension.max(1) as u64;
        let x = total.min(max);
        let rest = total.div_ceil(x);
        let y = rest.min(max);
        let z = rest.div_ceil(y);
        if z > max {
            return Err(Error::TooLarge {
                what: "the number of workgroups",
                value: total,
                limit: max * max * max,
                fix: "launch fewer workgroups",
            });
        }
        Ok([x as u32, y as u32, z as u32])
    }

    pub(crate) fn launch(
        &self,
        desc: &KernelDesc,
        groups: [u32; 3],
        args: &mut [KernelArg<'_>],
        rec: &mut LaunchRecord,
    ) -> Result<()> {
        // The `x4` module serves 1-D grids small enough that its lane ids (4 per invocation)
        // cannot wrap; everything else runs the scalar module.
        let logical = groups.iter().map(|&g| g as u64).product::<u64>();
        let max = self.limits.max_compute_workgroups_per_dimension as u64;
        // The scalar module is dispatched the logical grid itself where every dimension fits
        // the limit, and otherwise the grid folded into more dimensions (its `_folded` entry
        // point); the `x4` module always recovers its lanes from the linear workgroup index.
        let (source, dispatch, folded) = match desc.wgsl_x4_source {
            Some(x4)
                if groups[1] == 1
                    && groups[2] == 1
                    && logical * (desc.workgroup_size[0] as u64) < (1 << 31) =>
            {
                (x4, self.fold(logical.div_ceil(4))?, false)
            }
            _ if groups.iter().all(|&g| g as u64 <= max) => (desc.wgsl_source, groups, false),
            _ => (desc.wgsl_source, self.fold(logical)?, true),
        };
        let pipeline = self.pipeline(desc, source, folded, &mut rec.compile)?;
        self.collect_timings();
        let context = format!("launching kernel `{}`", desc.name);
        self.check_lost(&context)?;
        if fault::fires(Backend::Wgpu, Fault::DeviceLost, Some(desc.name)) {
            return Err(Error::DeviceLost {
                device: self.name(),
                context,
                message: "injected device loss (test hook)".into(),
            });
        }
        let mut words = abi_words(groups, args);
        words.resize(words.len().next_multiple_of(4), 0);
        let uniform = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("kernelforge params"),
            size: (words.len() * 4) as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        self.queue
            .write_buffer(&uniform, 0, bytemuck::cast_slice(&words));
        let mut entries = vec![wgpu::BindGroupEntry {
            binding: 0,
            resource: uniform.as_entire_binding(),
        }];
        for a in args.iter() {
            let buf = match a {
                KernelArg::Scalar(_) => continue,
                KernelArg::Slice(b) => &**b,
                KernelArg::SliceMut(b) => &**b,
            };
            let crate::buffer::Storage::Wgpu(w) = &buf.storage else {
                return Err(Error::BadArguments {
                    kernel: desc.name,
                    message: "a buffer of another backend was passed".into(),
                });
            };
            entries.push(wgpu::BindGroupEntry {
                binding: entries.len() as u32,
                resource: w.buffer.as_entire_binding(),
            });
        }
        let _scopes = self.scopes.lock().unwrap_or_else(|e| e.into_inner());
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(desc.name),
            layout: &pipeline.layout,
            entries: &entries,
        });
        let mut enc = self.device.create_command_encoder(&Default::default());
        let timing = match rec.sink.take() {
            Some(sink) if self.timestamps() => Some((self.timestamp_buffers(), sink)),
            _ => None,
        };
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some(desc.name),
                timestamp_writes: timing.as_ref().map(|((queries, ..), _)| {
                    wgpu::ComputePassTimestampWrites {
                        query_set: queries,
                        beginning_of_pass_write_index: Some(0),
                        end_of_pass_write_index: Some(1),
                    }
                }),
            });
            pass.set_pipeline(&pipeline.pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            pass.dispatch_workgroups(dispatch[0], dispatch[1], dispatch[2]);
        }
        if let Some(((queries, resolve, readback), _)) = &timing {
            enc.resolve_query_set(queries, 0..2, resolve, 0);
            enc.copy_buffer_to_buffer(resolve, 0, readback, 0, 16);
        }
        self.queue.submit([enc.finish()]);
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(wgpu_err(format!("launching kernel `{}`", desc.name), e));
        }
        if let Some(((_, _, readback), sink)) = timing {
            let state = Arc::new(AtomicU8::new(MAP_WAITING));
            let flag = state.clone();
            readback.map_async(wgpu::MapMode::Read, .., move |r| {
                let v = if r.is_ok() { MAP_DONE } else { MAP_FAILED };
                flag.store(v, Ordering::Release);
            });
            self.timings.push(PendingTiming {
                readback,
                state,
                sink,
            });
        }
        Ok(())
    }

    /// A query set of two timestamps, the buffer they resolve into and its readback copy.
    fn timestamp_buffers(&self) -> (wgpu::QuerySet, wgpu::Buffer, wgpu::Buffer) {
        let queries = self.device.create_query_set(&wgpu::QuerySetDescriptor {
            label: Some("kernelforge profile"),
            ty: wgpu::QueryType::Timestamp,
            count: 2,
        });
        let buffer = |usage| {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("kernelforge profile"),
                size: 16,
                usage,
                mapped_at_creation: false,
            })
        };
        let resolve = buffer(wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC);
        let readback = buffer(wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST);
        (queries, resolve, readback)
    }
}
