use crate::backend;
use crate::buffer::{Buffer, RawBuffer, Storage};
use crate::error::{Error, Result};
use crate::grid::Grid;
use crate::kernel::{KernelArg, KernelDesc};
use crate::profile::{Clock, LaunchRecord, Profile, Profiler, Sink};
use bytemuck::Pod;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// A kind of backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// NVIDIA GPUs through the CUDA driver (PTX from nvcc at build time, or NVRTC).
    Cuda,
    /// Vulkan, Metal and DX12 GPUs through wgpu and WGSL.
    Wgpu,
    /// The host CPU through rayon.
    Cpu,
}

impl Backend {
    /// `cuda`, `wgpu` or `cpu`, as `KERNELFORGE_BACKEND` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Cuda => "cuda",
            Backend::Wgpu => "wgpu",
            Backend::Cpu => "cpu",
        }
    }
}

impl std::fmt::Display for Backend {
    /// `CUDA`, `wgpu` or `CPU`, as messages spell it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Cuda => "CUDA",
            Backend::Wgpu => "wgpu",
            Backend::Cpu => "CPU",
        })
    }
}

#[allow(clippy::large_enum_variant)] // one per device, behind an Arc
pub(crate) enum Kind {
    Cpu,
    #[cfg(feature = "wgpu")]
    Wgpu(backend::wgpu::WgpuDevice),
    #[cfg(feature = "cuda")]
    Cuda(backend::cuda::CudaDevice),
}

impl Kind {
    fn backend(&self) -> Backend {
        match self {
            Kind::Cpu => Backend::Cpu,
            #[cfg(feature = "wgpu")]
            Kind::Wgpu(_) => Backend::Wgpu,
            #[cfg(feature = "cuda")]
            Kind::Cuda(_) => Backend::Cuda,
        }
    }

    fn name(&self) -> String {
        match self {
            Kind::Cpu => backend::cpu::name(),
            #[cfg(feature = "wgpu")]
            Kind::Wgpu(w) => w.name(),
            #[cfg(feature = "cuda")]
            Kind::Cuda(c) => c.name(),
        }
    }

    /// How launches on this device are timed when profiling.
    fn clock(&self) -> Clock {
        match self {
            Kind::Cpu => Clock::Wall,
            #[cfg(feature = "wgpu")]
            Kind::Wgpu(w) if w.timestamps() => Clock::TimestampQueries,
            #[cfg(feature = "wgpu")]
            Kind::Wgpu(_) => Clock::Untimed,
            #[cfg(feature = "cuda")]
            Kind::Cuda(_) => Clock::CudaEvents,
        }
    }
}

struct Inner {
    id: u64,
    kind: Kind,
    report: String,
    /// Bytes of the buffers alive on this device (for `memory_info`).
    allocated: AtomicU64,
    /// Rerun launches that fail on the device (compile/load failure, device lost, out of
    /// memory) on the CPU. Devices from `best()` start with compile failures covered.
    cpu_fallback: AtomicU8,
    /// Kernels that have fallen back, so each is logged once.
    fallen_back: Mutex<HashSet<&'static str>>,
    /// Compile times always; launches and device times while profiling.
    profiler: Arc<Profiler>,
}

/// `Inner::cpu_fallback` values.
const FALLBACK_OFF: u8 = 0;
const FALLBACK_COMPILE: u8 = 1;
const FALLBACK_ALL: u8 = 2;

/// Memory a device reports, in bytes; `None` where the backend does not know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryInfo {
    /// Bytes in use: on the CPU and wgpu, the buffers this device holds now (kernelforge's
    /// own count); on CUDA, the whole GPU's used memory (total - free, every process).
    pub used: u64,
    /// Bytes free (CUDA: the driver's figure; CPU: the OS's available memory; wgpu: unknown).
    pub free: Option<u64>,
    /// Bytes in all (CUDA: device memory; CPU: physical memory; wgpu: unknown).
    pub total: Option<u64>,
}

/// A device that runs kernels: a CUDA GPU, a wgpu adapter or the CPU. Cheap to clone; `Send`
/// and `Sync`, so one device can serve many threads.
#[derive(Clone)]
pub struct Device {
    inner: Arc<Inner>,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// The CPU device that holds host copies during per-launch CPU fallback.
fn cpu_device() -> &'static Device {
    static CPU: std::sync::OnceLock<Device> = std::sync::OnceLock::new();
    CPU.get_or_init(|| Device::new(Kind::Cpu, "per-launch CPU fallback".into()))
}

/// Most threads in one dimension of a launch: ids are `u32`.
const MAX_THREADS: u64 = u32::MAX as u64;

impl Device {
    fn new(kind: Kind, report: String) -> Device {
        Device {
            inner: Arc::new(Inner {
                profiler: Profiler::new(kind.name(), kind.backend(), kind.clock()),
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                kind,
                report,
                cpu_fallback: AtomicU8::new(FALLBACK_OFF),
                fallen_back: Mutex::new(HashSet::new()),
                allocated: AtomicU64::new(0),
            }),
        }
    }

    /// The best device on this machine: CUDA GPU 0, else a hardware wgpu adapter, else the CPU
    /// (a wgpu adapter that is itself a CPU implementation, such as lavapipe, ranks below the
    /// native CPU backend). Never fails; [`selection_report`](Self::selection_report) says what
    /// was tried. The choice is made once per process and cached (environment variables are
    /// read then).
    ///
    /// `KERNELFORGE_BACKEND=cuda|wgpu|cpu` forces a backend. `KERNELFORGE_FALLBACK=0` makes
    /// moving past a backend that is present but unusable an error. In both cases, when the
    /// choice fails, this returns the CPU device with the error in its report (and logs it),
    /// while [`try_best`](Self::try_best) returns the error itself.
    ///
    /// A device from `best()` reruns on the CPU a kernel whose code cannot be compiled or
    /// loaded on it (PTX the driver refuses and no NVRTC, say), logging once per kernel; see
    /// [`set_cpu_fallback`](Self::set_cpu_fallback) for the other failures.
    pub fn best() -> Device {
        match Self::try_best() {
            Ok(d) => d,
            Err(e) => {
                tracing::error!("Device::best(): {e}; using the CPU backend");
                Device::new(
                    Kind::Cpu,
                    format!("no device chosen: {e}\nusing the CPU backend instead"),
                )
            }
        }
    }

    /// Like [`best`](Self::best), but a forced backend (`KERNELFORGE_BACKEND`) that is
    /// unavailable, or with `KERNELFORGE_FALLBACK=0` a backend that is present but fails to
    /// open, is an error. A successful choice is cached for the process; an error is not.
    ///
    /// # Errors
    /// [`Error::BadEnv`] for an unknown `KERNELFORGE_BACKEND`; [`Error::Unavailable`] for a
    /// forced backend that cannot be opened, or a present one under `KERNELFORGE_FALLBACK=0`.
    pub fn try_best() -> Result<Device> {
        static BEST: Mutex<Option<Device>> = Mutex::new(None);
        let mut best = BEST.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(d) = &*best {
            return Ok(d.clone());
        }
        let d = Self::choose()?;
        d.inner
            .cpu_fallback
            .store(FALLBACK_COMPILE, Ordering::Relaxed);
        *best = Some(d.clone());
        Ok(d)
    }

    fn choose() -> Result<Device> {
        let forced = match std::env::var("KERNELFORGE_BACKEND") {
            Ok(v) if v.is_empty() || v == "auto" => None,
            Ok(v) => Some(match v.as_str() {
                "cuda" => Backend::Cuda,
                "wgpu" => Backend::Wgpu,
                "cpu" => Backend::Cpu,
                _ => {
                    return Err(Error::BadEnv {
                        var: "KERNELFORGE_BACKEND",
                        value: v,
                        expected: "use cuda, wgpu, cpu or auto",
                    })
                }
            }),
            Err(_) => None,
        };
        if let Some(b) = forced {
            let dev = match b {
                Backend::Cuda => Self::cuda(0),
                Backend::Wgpu => Self::wgpu(),
                Backend::Cpu => Ok(Self::cpu()),
            }?;
            let report = format!(
                "KERNELFORGE_BACKEND={} forces this backend\nchose: {}",
                b.as_str(),
                dev.name()
            );
            return Ok(dev.with_report(report));
        }
        let strict = !crate::policy::fallback_enabled();
        let mut lines = Vec::new();
        match Self::cuda(0) {
            Ok(d) => {
                lines.push(format!("cuda: chosen, {}", d.name()));
                return Ok(d.with_report(lines.join("\n")));
            }
            #[cfg(feature = "cuda")]
            Err(e) if strict && backend::cuda::present() => return Err(Self::strict_error(e)),
            Err(e) => lines.push(format!("cuda: skipped: {e}")),
        }
        #[cfg(feature = "wgpu")]
        match backend::wgpu::WgpuDevice::open(true) {
            Ok(w) => {
                let name = w.name();
                lines.push(format!("wgpu: chosen, {name}"));
                return Ok(Device::new(Kind::Wgpu(w), lines.join("\n")));
            }
            Err(e) if strict && backend::wgpu::hardware_present() => {
                return Err(Self::strict_error(e))
            }
            Err(e) => lines.push(format!("wgpu: skipped: {e}")),
        }
        #[cfg(not(feature = "wgpu"))]
        lines.push("wgpu: skipped: not compiled in (enable the `wgpu` feature)".into());
        let _ = strict;
        lines.push(format!("cpu: chosen, {}", backend::cpu::name()));
        Ok(Device::new(Kind::Cpu, lines.join("\n")))
    }

    #[cfg(any(feature = "cuda", feature = "wgpu"))]
    fn strict_error(e: Error) -> Error {
        match e {
            Error::Unavailable { backend, reason } => Error::Unavailable {
                backend,
                reason: format!(
                    "{reason} (it is present, and KERNELFORGE_FALLBACK=0 forbids moving on to \
                     the next backend)"
                ),
            },
            e => e,
        }
    }

    /// The CPU device (rayon over the machine's cores).
    pub fn cpu() -> Device {
        Device::new(Kind::Cpu, "the CPU backend was asked for".into())
    }

    /// The best wgpu adapter, a CPU implementation such as lavapipe included.
    ///
    /// # Errors
    /// [`Error::Unavailable`] with wgpu's reason (no adapter, not compiled in).
    pub fn wgpu() -> Result<Device> {
        #[cfg(feature = "wgpu")]
        {
            let w = backend::wgpu::WgpuDevice::open(false)?;
            let report = format!("wgpu was asked for\nchose: {}", w.name());
            Ok(Device::new(Kind::Wgpu(w), report))
        }
        #[cfg(not(feature = "wgpu"))]
        Err(Error::Unavailable {
            backend: Backend::Wgpu,
            reason: "kernelforge was built without the `wgpu` feature; enable it".into(),
        })
    }

    /// CUDA GPU number `ordinal`.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when libcuda is missing, no GPU has that ordinal, or the build
    /// lacks the `cuda` feature.
    pub fn cuda(ordinal: usize) -> Result<Device> {
        #[cfg(feature = "cuda")]
        {
            let c = backend::cuda::CudaDevice::open(ordinal)?;
            let report = format!("CUDA device {ordinal} was asked for\nchose: {}", c.name());
            Ok(Device::new(Kind::Cuda(c), report))
        }
        #[cfg(not(feature = "cuda"))]
        {
            let _ = ordinal;
            Err(Error::Unavailable {
                backend: Backend::Cuda,
                reason: "kernelforge was built without the `cuda` feature; enable it".into(),
            })
        }
    }

    fn with_report(self, report: String) -> Device {
        match Arc::try_unwrap(self.inner) {
            // The same device, profiler included (it may be registered for the exit table).
            Ok(mut inner) => {
                inner.report = report;
                Device {
                    inner: Arc::new(inner),
                }
            }
            Err(inner) => Device { inner },
        }
    }

    /// Turns per-launch CPU fallback on or off for this device (and its clones). When on, a
    /// launch that fails on the GPU because the kernel cannot be compiled or loaded, the device
    /// was lost, or memory ran out ([`Error::is_device_failure`]) is run again on the CPU: the
    /// buffer arguments are copied to host memory, the kernel's CPU version runs, and the
    /// written buffers are copied back. Each kernel's first fallback is logged (`tracing`,
    /// warn). A lost device whose buffers cannot be read back returns the original error.
    /// `KERNELFORGE_FALLBACK=0` overrides this: failures are returned.
    ///
    /// Off by default, except that a device from [`best`](Self::best) covers compile and load
    /// failures; off here turns that off too.
    pub fn set_cpu_fallback(&self, enabled: bool) {
        let v = if enabled { FALLBACK_ALL } else { FALLBACK_OFF };
        self.inner.cpu_fallback.store(v, Ordering::Relaxed);
    }

    /// Compiles and loads `kernels` now, so that their first launches do not pay for it (wgpu
    /// pipelines, CUDA modules: PTX load or NVRTC, disk-cached; nothing to do on the CPU).
    /// Pass the generated descriptions: `dev.warm_up(&[&saxpy::KERNEL, &softmax::KERNEL])`.
    ///
    /// # Errors
    /// The first kernel that cannot be compiled or loaded ([`Error::Compile`],
    /// [`Error::Unsupported`], [`Error::TooLarge`]), after trying them all.
    pub fn warm_up(&self, kernels: &[&KernelDesc]) -> Result<()> {
        let mut first = None;
        for desc in kernels {
            #[cfg_attr(not(any(feature = "wgpu", feature = "cuda")), allow(unused_mut))]
            let mut rec = LaunchRecord::default();
            let r = match &self.inner.kind {
                Kind::Cpu => Ok(()),
                #[cfg(feature = "wgpu")]
                Kind::Wgpu(w) => w.warm_up(desc, &mut rec),
                #[cfg(feature = "cuda")]
                Kind::Cuda(c) => c.warm_up(desc, &mut rec),
            };
            if !rec.compile.is_zero() {
                self.inner.profiler.compiled(desc.name, rec.compile);
            }
            if let Err(e) = r {
                tracing::warn!(kernel = desc.name, "warm-up failed: {e}");
                first.get_or_insert(e);
            }
        }
        first.map_or(Ok(()), Err)
    }

    /// Bytes of wgpu pipeline cache this device loaded from the disk cache when it was opened
    /// (0 on other backends, without `PIPELINE_CACHE`, or with nothing cached yet).
    #[doc(hidden)]
    pub fn pipeline_cache_loaded(&self) -> usize {
        match &self.inner.kind {
            #[cfg(feature = "wgpu")]
            Kind::Wgpu(w) => w.pipeline_cache_loaded(),
            _ => 0,
        }
    }

    /// The kernels this device has rerun on the CPU, by name.
    pub fn fallen_back_kernels(&self) -> Vec<&'static str> {
        let mut v: Vec<_> = self
            .inner
            .fallen_back
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .copied()
            .collect();
        v.sort_unstable();
        v
    }

    /// The memory this device reports.
    ///
    /// # Errors
    /// A driver error while asking (CUDA).
    pub fn memory_info(&self) -> Result<MemoryInfo> {
        let ours = self.inner.allocated.load(Ordering::Relaxed);
        Ok(match &self.inner.kind {
            Kind::Cpu => MemoryInfo {
                used: ours,
                free: backend::cpu::available_memory(),
                total: backend::cpu::total_memory(),
            },
            #[cfg(feature = "wgpu")]
            Kind::Wgpu(_) => MemoryInfo {
                used: ours,
                free: None,
                total: None,
            },
            #[cfg(feature = "cuda")]
            Kind::Cuda(c) => {
                let (free, total) = c.memory()?;
                MemoryInfo {
                    used: total.saturating_sub(free),
                    free: Some(free),
                    total: Some(total),
                }
            }
        })
    }

    /// Which backend this device uses.
    pub fn backend(&self) -> Backend {
        self.inner.kind.backend()
    }

    /// A human-readable name: the GPU or adapter and its driver, or the CPU's threads and SIMD.
    pub fn name(&self) -> String {
        self.inner.kind.name()
    }

    /// What was tried when this device was chosen, what was chosen, and why.
    pub fn selection_report(&self) -> String {
        self.inner.report.clone()
    }

    /// Copies `data` into a new buffer on this device.
    ///
    /// # Errors
    /// [`Error::OutOfMemory`] (naming the bytes asked and, where known, free) when it does not
    /// fit; [`Error::TooLarge`] beyond what the backend can bind; device errors.
    pub fn upload<T: Pod>(&self, data: &[T]) -> Result<Buffer<T>> {
        let bytes: &[u8] = bytemuck::cast_slice(data);
        let storage = match &self.inner.kind {
            Kind::Cpu => backend::cpu::upload(bytes)?,
            #[cfg(feature = "wgpu")]
            Kind::Wgpu(w) => Storage::Wgpu(w.upload(bytes)?),
            #[cfg(feature = "cuda")]
            Kind::Cuda(c) => Storage::Cuda(c.upload(bytes)?),
        };
        Ok(Buffer::from_raw(self.raw(
            storage,
            data.len(),
            size_of::<T>(),
        )))
    }

    /// A new buffer of `len` zeroed elements.
    ///
    /// # Errors
    /// As [`upload`](Self::upload).
    pub fn zeros<T: Pod>(&self, len: usize) -> Result<Buffer<T>> {
        let bytes = len * size_of::<T>();
        let storage = match &self.inner.kind {
            Kind::Cpu => backend::cpu::alloc(bytes)?,
            #[cfg(feature = "wgpu")]
            Kind::Wgpu(w) => Storage::Wgpu(w.alloc(bytes)?),
            #[cfg(feature = "cuda")]
            Kind::Cuda(c) => Storage::Cuda(c.alloc(bytes)?),
        };
        Ok(Buffer::from_raw(self.raw(storage, len, size_of::<T>())))
    }

    fn raw(&self, storage: Storage, len: usize, elem_size: usize) -> RawBuffer {
        self.inner
            .allocated
            .fetch_add((len * elem_size) as u64, Ordering::Relaxed);
        RawBuffer {
            storage,
            len,
            elem_size,
            device: self.clone(),
        }
    }

    /// Waits until every launch submitted to this device has finished.
    ///
    /// # Errors
    /// A device error reported while waiting.
    pub fn synchronize(&self) -> Result<()> {
        match &self.inner.kind {
            Kind::Cpu => Ok(()),
            #[cfg(feature = "wgpu")]
            Kind::Wgpu(w) => w.synchronize(),
            #[cfg(feature = "cuda")]
            Kind::Cuda(c) => c.synchronize(),
        }
    }

    pub(crate) fn read_bytes(&self, buf: &RawBuffer) -> Result<Vec<u8>> {
        match (&self.inner.kind, &buf.storage) {
            (Kind::Cpu, Storage::Cpu(_)) => Ok(backend::cpu::read(buf)),
            #[cfg(feature = "wgpu")]
            (Kind::Wgpu(w), Storage::Wgpu(b)) => w.read(b, buf.bytes()),
            #[cfg(feature = "cuda")]
            (Kind::Cuda(c), Storage::Cuda(b)) => c.read(b, buf.bytes()),
            #[allow(unreachable_patterns)]
            _ => Err(Error::BadArguments {
                kernel: "to_vec",
                message: "the buffer's storage does not belong to its device".into(),
            }),
        }
    }

    /// Overwrites `buf` (of this device) with `bytes` (its whole length).
    fn write_bytes(&self, buf: &mut RawBuffer, bytes: &[u8]) -> Result<()> {
        match (&self.inner.kind, &mut buf.storage) {
            (Kind::Cpu, s @ Storage::Cpu(_)) => {
                backend::cpu::write(s, bytes);
                Ok(())
            }
            #[cfg(feature = "wgpu")]
            (Kind::Wgpu(w), Storage::Wgpu(b)) => w.write(b, bytes),
            #[cfg(feature = "cuda")]
            (Kind::Cuda(c), Storage::Cuda(b)) => c.write(b, bytes),
            #[allow(unreachable_patterns)]
            _ => Err(Error::BadArguments {
                kernel: "write",
                message: "the buffer's storage does not belong to its device".into(),
            }),
        }
    }

    pub(crate) fn release(&self, bytes: usize) {
        self.inner
            .allocated
            .fetch_sub(bytes as u64, Ordering::Relaxed);
    }

    /// Runs `desc` over `grid` with `args`; what generated `launch` functions call.
    ///
    /// # Errors
    /// Arguments that do not match the kernel, buffers of another device, sizes beyond the
    /// backend's limits, out-of-bounds accesses (CPU) and device errors.
    #[doc(hidden)]
    pub fn launch(&self, desc: &KernelDesc, grid: Grid, args: &mut [KernelArg<'_>]) -> Result<()> {
        let bad = |message: String| Error::BadArguments {
            kernel: desc.name,
            message,
        };
        if args.len() != desc.params.len() {
            return Err(bad(format!(
                "expected {} arguments, got {}",
                desc.params.len(),
                args.len()
            )));
        }
        for (arg, p) in args.iter().zip(desc.params) {
            let (buf, want_mut) = match arg {
                KernelArg::Scalar(_) if p.slice.is_none() => continue,
                KernelArg::Slice(b) if p.slice == Some(false) => (&**b, false),
                KernelArg::SliceMut(b) if p.slice.is_some() => (&**b, p.slice == Some(true)),
                _ => {
                    return Err(bad(format!(
                        "argument `{}` has the wrong kind (scalar, &Buffer or &mut Buffer)",
                        p.name
                    )))
                }
            };
            let _ = want_mut;
            if buf.device.inner.id != self.inner.id {
                return Err(bad(format!(
                    "buffer `{}` belongs to another device ({}); upload it to {} first",
                    p.name,
                    buf.device.name(),
                    self.name()
                )));
            }
            if buf.len as u64 > u32::MAX as u64 {
                return Err(Error::TooLarge {
                    what: "a buffer passed to a kernel",
                    value: buf.len as u64,
                    limit: u32::MAX as u64,
                    fix: "kernel indices are u32; split the data into several launches",
                });
            }
        }
        let counts = grid.group_counts(desc.workgroup_size);
        if counts.contains(&0) {
            return Ok(());
        }
        for (count, size) in counts.iter().zip(desc.workgroup_size) {
            if count * size as u64 > MAX_THREADS + 1 {
                return Err(Error::TooLarge {
                    what: "the grid",
                    value: count * size as u64,
                    limit: MAX_THREADS + 1,
                    fix: "ids are u32; launch fewer threads per dimension",
                });
            }
        }
        let total: u64 = counts.iter().product();
        if total > u32::MAX as u64 {
            return Err(Error::TooLarge {
                what: "the number of workgroups",
                value: total,
                limit: u32::MAX as u64,
                fix: "launch fewer workgroups",
            });
        }
        let groups = counts.map(|c| c as u32);
        let profiler = &self.inner.profiler;
        let profiling = profiler.enabled();
        let mut rec = LaunchRecord {
            sink: profiling.then(|| Sink::new(profiler, desc.name)),
            ..Default::default()
        };
        let start = Instant::now();
        let result = match &self.inner.kind {
            Kind::Cpu => backend::cpu::launch(desc, groups, args),
            #[cfg(feature = "wgpu")]
            Kind::Wgpu(w) => w.launch(desc, groups, args, &mut rec),
            #[cfg(feature = "cuda")]
            Kind::Cuda(c) => c.launch(desc, groups, args, &mut rec),
        };
        if !rec.compile.is_zero() {
            profiler.compiled(desc.name, rec.compile);
        }
        // The CPU backend runs synchronously: its wall time is its device time.
        if let (Ok(()), Backend::Cpu, Some(sink)) = (&result, self.backend(), rec.sink.take()) {
            sink.record(start.elapsed());
        }
        let result = match result {
            Err(e) if self.falls_back(&e) => self.launch_on_cpu(desc, groups, args, e),
            r => r,
        };
        if profiling && result.is_ok() {
            profiler.launched(desc.name);
        }
        result
    }

    /// Turns profiling on or off for this device (and its clones): while on, each launch is
    /// counted and timed on the device's clock ([`Profile::clock`]: CUDA events, wgpu
    /// timestamp queries, wall time on the CPU). Compile and load times are recorded always.
    /// `KERNELFORGE_PROFILE=1` turns it on for every device and prints every device's table
    /// to stderr at exit. Timing costs a little per launch (two events; a query set and a
    /// readback buffer on wgpu), so leave it off when measuring throughput.
    pub fn set_profiling(&self, enabled: bool) {
        self.inner.profiler.set_enabled(enabled);
    }

    /// This device's profile so far, one entry per kernel compiled or launched; `Display`
    /// prints it as a table. Waits for the device first, so that every launch so far is
    /// timed.
    ///
    /// # Errors
    /// A device error reported while waiting.
    pub fn profile(&self) -> Result<Profile> {
        self.synchronize()?;
        Ok(self.inner.profiler.snapshot())
    }

    /// Whether `e`, from a launch on this device, is rerun on the CPU.
    fn falls_back(&self, e: &Error) -> bool {
        let covered = match self.inner.cpu_fallback.load(Ordering::Relaxed) {
            FALLBACK_ALL => e.is_device_failure(),
            FALLBACK_COMPILE => matches!(e, Error::Compile { .. }),
            _ => false,
        };
        covered && self.backend() != Backend::Cpu && crate::policy::fallback_enabled()
    }

    /// Per-launch CPU fallback: copies the buffer arguments to host memory, runs the kernel's
    /// CPU version, and copies the writable ones back. `failure` is the device's error, logged
    /// on the kernel's first fallback and returned when the buffers cannot be read back.
    fn launch_on_cpu(
        &self,
        desc: &KernelDesc,
        groups: [u32; 3],
        args: &mut [KernelArg<'_>],
        failure: Error,
    ) -> Result<()> {
        let host = cpu_device();
        let mut copies = Vec::new();
        for a in args.iter() {
            let b = match a {
                KernelArg::Scalar(_) => continue,
                KernelArg::Slice(b) => &**b,
                KernelArg::SliceMut(b) => &**b,
            };
            let bytes = match self.read_bytes(b) {
                Ok(bytes) => bytes,
                Err(e) => {
                    tracing::error!(
                        kernel = desc.name,
                        "CPU fallback impossible: the buffers cannot be read back: {e}"
                    );
                    return Err(failure);
                }
            };
            copies.push(host.raw(backend::cpu::upload(&bytes)?, b.len, b.elem_size));
        }
        {
            let mut next = copies.iter_mut();
            let mut cpu_args: Vec<KernelArg<'_>> = Vec::with_capacity(args.len());
            for a in args.iter() {
                cpu_args.push(match a {
                    KernelArg::Scalar(bits) => KernelArg::Scalar(*bits),
                    KernelArg::Slice(_) => KernelArg::Slice(&*next.next().expect("one copy each")),
                    KernelArg::SliceMut(_) => {
                        KernelArg::SliceMut(next.next().expect("one copy each"))
                    }
                });
            }
            backend::cpu::launch(desc, groups, &mut cpu_args)?;
        }
        // Recorded (and logged, once per kernel) only once the CPU run happened, so that
        // `fallen_back_kernels` lists kernels that really ran there.
        let first = self
            .inner
            .fallen_back
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(desc.name);
        if first {
            tracing::warn!(
                kernel = desc.name,
                device = %self.name(),
                "ran on the CPU instead: {failure}"
            );
        }
        let mut next = copies.iter();
        for a in args.iter_mut() {
            match a {
                KernelArg::Scalar(_) => {}
                KernelArg::Slice(_) => {
                    next.next();
                }
                KernelArg::SliceMut(b) => {
                    let copy = next.next().expect("one copy each");
                    self.write_bytes(b, &backend::cpu::read(copy))?;
                }
            }
        }
        Ok(())
    }
}

/// Devices are equal when they are the same device (a clone, or `best()`'s cached choice).
impl PartialEq for Device {
    fn eq(&self, other: &Device) -> bool {
        self.inner.id == other.inner.id
    }
}

impl Eq for Device {}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("backend", &self.backend())
            .field("name", &self.name())
            .finish()
    }
}

/// The launch ABI's `u32` words (see kernelforge-codegen's `back` module): the group counts,
/// then per parameter its scalar bits or, for a slice, its length.
#[cfg_attr(not(any(feature = "wgpu", feature = "cuda")), allow(dead_code))]
pub(crate) fn abi_words(groups: [u32; 3], args: &[KernelArg<'_>]) -> Vec<u32> {
    let mut words = groups.to_vec();
    for a in args {
        words.push(match a {
            KernelArg::Scalar(bits) => *bits,
            KernelArg::Slice(b) => b.len as u32,
            KernelArg::SliceMut(b) => b.len as u32,
        });
    }
    words
}
