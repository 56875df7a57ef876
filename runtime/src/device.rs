//! [`Device`], the public face of a backend: choosing one, buffers, launches, fallback,
//! profiling and memory. Device selection lives in `select.rs`, the checks of a launch's
//! arguments in `launch.rs`, per-launch CPU fallback in `fallback.rs`, and everything that
//! differs per backend behind `backend::DeviceImpl`.

use crate::backend::{Backend, DeviceImpl, Storage};
use crate::buffer::{Buffer, RawBuffer};
use crate::error::{Error, Result};
use crate::fallback::FallbackState;
use crate::grid::Grid;
use crate::kernel::{KernelArg, KernelDesc};
use crate::profile::{LaunchRecord, Profile, Profiler, Sink};
use bytemuck::Pod;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

struct Inner {
    id: u64,
    imp: DeviceImpl,
    report: String,
    /// Bytes of the buffers alive on this device (for `memory_info`).
    allocated: AtomicU64,
    /// Which failed launches rerun on the CPU, and which kernels have.
    fallback: FallbackState,
    /// Compile times always; launches and device times while profiling.
    profiler: Arc<Profiler>,
    /// The CPU backend's race check is on (`Device::cpu_checked`).
    races: bool,
    /// Launches run the kernels' bounds-checked GPU versions (`Device::set_bounds_check`).
    bounds: AtomicBool,
}

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

impl Device {
    pub(crate) fn new(imp: DeviceImpl, report: String) -> Device {
        Device {
            inner: Arc::new(Inner {
                profiler: Profiler::new(imp.name(), imp.backend(), imp.clock()),
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                imp,
                report,
                fallback: FallbackState::default(),
                allocated: AtomicU64::new(0),
                races: false,
                bounds: AtomicBool::new(crate::policy::bounds_check()),
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
        crate::select::best()
    }

    /// Like [`best`](Self::best), but a forced backend (`KERNELFORGE_BACKEND`) that is
    /// unavailable, or with `KERNELFORGE_FALLBACK=0` a backend that is present but fails to
    /// open, is an error. A successful choice is cached for the process; an error is not.
    ///
    /// # Errors
    /// [`Error::BadEnv`](crate::Error::BadEnv) for an unknown `KERNELFORGE_BACKEND`;
    /// [`Error::Unavailable`](crate::Error::Unavailable) for a forced backend that cannot be
    /// opened, or a present one under `KERNELFORGE_FALLBACK=0`.
    pub fn try_best() -> Result<Device> {
        crate::select::try_best()
    }

    /// The device `KERNELFORGE_BACKEND` forces, or `None` when the variable is unset, empty or
    /// `auto`. Tools that run every backend (`kernelforge bench`) run only this one when it is
    /// set, and stop when it cannot be opened. Not cached: each call opens the device again.
    ///
    /// # Errors
    /// [`Error::BadEnv`](crate::Error::BadEnv) for a value other than `cuda`, `wgpu`, `cpu` or
    /// `auto`; [`Error::Unavailable`](crate::Error::Unavailable) when the forced backend
    /// cannot be opened, with the reason and that the variable forces it.
    pub fn forced() -> Result<Option<Device>> {
        crate::select::forced()
    }

    /// The CPU device (rayon over the machine's cores); with `KERNELFORGE_CHECK=races`, the
    /// race-checked one ([`Device::cpu_checked`]).
    pub fn cpu() -> Device {
        Device::cpu_reporting("the CPU backend was asked for".into())
    }

    /// The CPU device with selection report `report`, race-checked under
    /// `KERNELFORGE_CHECK=races` (`Device::cpu`, and `best()`'s choice of the CPU).
    pub(crate) fn cpu_reporting(report: String) -> Device {
        Device::cpu_with(report, crate::policy::race_check())
    }

    /// The CPU device with selection report `report`, its race check on with `races`.
    fn cpu_with(report: String, races: bool) -> Device {
        let mut d = Device::new(DeviceImpl::Cpu, report);
        Arc::get_mut(&mut d.inner).expect("a new device").races = races;
        d
    }

    /// The CPU device with the race and initialisation check on: each kernel runs its checked
    /// CPU version, which records, between consecutive barriers, which invocation read and
    /// wrote each element of every storage buffer and workgroup array, and a launch in which two
    /// invocations touch one element, at least one writing, with no barrier (or, within a
    /// subgroup, no subgroup operation) ordering them returns
    /// [`Error::DataRace`](crate::Error::DataRace) naming the kernel, the buffer or array, the
    /// element and both accesses with their invocations and source lines. Atomics are not
    /// checked (they do not race). A read of a workgroup array element that nothing in the
    /// workgroup wrote is [`Error::UninitializedRead`](crate::Error::UninitializedRead). This is
    /// compute-sanitizer's racecheck and initcheck for every backend's semantics, without a
    /// GPU; launches run one invocation at a time through a shared map, tens of times slower.
    ///
    /// Kernels have a checked version when kernelforge is built with its `check` feature (the
    /// tests turn it on); a launch of one without it returns
    /// [`Error::Unsupported`](crate::Error::Unsupported).
    pub fn cpu_checked() -> Device {
        Device::cpu_with(
            "the CPU backend with the race check was asked for".into(),
            true,
        )
    }

    /// The best wgpu adapter, a CPU implementation such as lavapipe included.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) with wgpu's reason (no adapter, not
    /// compiled in).
    pub fn wgpu() -> Result<Device> {
        let imp = DeviceImpl::wgpu(false)?;
        let report = format!("wgpu was asked for\nchose: {}", imp.name());
        Ok(Device::new(imp, report))
    }

    /// CUDA GPU number `ordinal`.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when libcuda is missing, no GPU has
    /// that ordinal, or the build lacks the `cuda` feature.
    pub fn cuda(ordinal: usize) -> Result<Device> {
        let imp = DeviceImpl::cuda(ordinal)?;
        let report = format!("CUDA device {ordinal} was asked for\nchose: {}", imp.name());
        Ok(Device::new(imp, report))
    }

    /// The CUDA back end's code run on the host: each kernel's generated CUDA C is compiled
    /// with the system C++ compiler (`KERNELFORGE_CXX`, `CXX`, else `g++`, `c++`, `clang++`)
    /// against a header that implements CUDA's execution model on the CPU (a block's threads
    /// as fibers meeting at `__syncthreads()`, 32-lane warps and their shuffles, atomics,
    /// `__half` and `__nv_bfloat16` with CUDA's rounding), and its blocks run on rayon's
    /// threads. The device reports [`Backend::Cuda`]; its buffers live in host memory.
    ///
    /// A verification tool: it shows what the generated CUDA C computes without a GPU. It
    /// cannot show the driver, PTX and its JIT, a GPU's memory ordering or timing, or the
    /// precision of CUDA's math library (the C library's functions run instead). Compiled
    /// kernels are cached beside NVRTC's (see [`cache`](crate::cache)), one shared library
    /// per kernel.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when no C++20 compiler runs or the
    /// build lacks the `cuda-host` feature. Launches return
    /// [`Error::Compile`](crate::Error::Compile) when the compiler rejects the source, and
    /// [`Error::Cuda`](crate::Error::Cuda) when a block's threads wait at barriers that can
    /// never complete.
    pub fn cuda_host() -> Result<Device> {
        let imp = DeviceImpl::cuda_host()?;
        let report = format!("CUDA C on the host was asked for\nchose: {}", imp.name());
        Ok(Device::new(imp, report))
    }

    /// Turns per-launch CPU fallback on or off for this device (and its clones). When on, a
    /// launch that fails on the GPU because the kernel cannot be compiled or loaded, the device
    /// was lost, or memory ran out ([`Error::is_device_failure`](crate::Error::is_device_failure))
    /// is run again on the CPU: the buffer arguments are copied to host memory, the kernel's CPU
    /// version runs, and the written buffers are copied back. Each kernel's first fallback is
    /// logged (`tracing`, warn). A lost device whose buffers cannot be read back returns the
    /// original error. `KERNELFORGE_FALLBACK=0` overrides this: failures are returned.
    ///
    /// Off by default, except that a device from [`best`](Self::best) covers compile and load
    /// failures; off here turns that off too.
    pub fn set_cpu_fallback(&self, enabled: bool) {
        self.inner.fallback.set(enabled);
    }

    /// Turns the bounds check on or off for this device (and its clones); on from the start
    /// on every device under `KERNELFORGE_CHECK=bounds`. While on, CUDA and wgpu devices run
    /// each kernel's bounds-checked version: every access to a buffer, workgroup array or
    /// private array checks its index, an access out of bounds is not made (a load reads zero
    /// on CUDA, element 0 on wgpu; a store or atomic is skipped), and the first one is recorded
    /// on the device. The launch then waits for the kernel and returns the error the CPU
    /// backend gives for the same access, [`Error::OutOfBounds`](crate::Error::OutOfBounds) or
    /// [`Error::ArrayOutOfBounds`](crate::Error::ArrayOutOfBounds), naming the kernel, the
    /// buffer or array, the index and the length (which access is first among invocations that
    /// run at once is not defined, as on the CPU). compute-sanitizer's memcheck reports such an
    /// access only when it leaves the allocation; this reports any index past the slice.
    ///
    /// The CPU backend checks every access always, so this changes nothing there. Checked
    /// versions exist when kernelforge is built with its `check` feature (launches without it
    /// return [`Error::Unsupported`](crate::Error::Unsupported)); on CUDA they are compiled by
    /// NVRTC at first use (no build-time PTX), and each launch waits for the GPU.
    pub fn set_bounds_check(&self, enabled: bool) {
        self.inner.bounds.store(enabled, Ordering::Relaxed);
    }

    /// Whether the bounds check is on ([`set_bounds_check`](Self::set_bounds_check)).
    pub fn bounds_check(&self) -> bool {
        self.inner.bounds.load(Ordering::Relaxed)
    }

    /// Compiles and loads `kernels` now, so that their first launches do not pay for it (wgpu
    /// pipelines, CUDA modules: PTX load or NVRTC, disk-cached; nothing to do on the CPU).
    /// Pass the generated descriptions: `dev.warm_up(&[&saxpy::saxpy_f32::KERNEL, &softmax::softmax_f32_256::KERNEL])`.
    ///
    /// # Errors
    /// The first kernel that cannot be compiled or loaded ([`Error::Compile`](crate::Error::Compile),
    /// [`Error::Unsupported`](crate::Error::Unsupported), [`Error::TooLarge`](crate::Error::TooLarge)),
    /// after trying them all.
    pub fn warm_up(&self, kernels: &[&KernelDesc]) -> Result<()> {
        let mut first = None;
        for desc in kernels {
            let mut rec = LaunchRecord::default();
            let r = self.inner.imp.warm_up(desc, &mut rec, self.checks());
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
        self.inner.imp.pipeline_cache_loaded()
    }

    /// The kernels (and operations) this device has rerun on the CPU, by name.
    pub fn fallen_back_kernels(&self) -> Vec<&'static str> {
        self.inner.fallback.kernels()
    }

    /// For an operation made of several launches (`kernelforge::zk::bn254::msm`, ...) that
    /// failed on this device with `error`: the CPU device to run the whole operation on
    /// instead, when this device's CPU fallback is on ([`set_cpu_fallback`](Self::set_cpu_fallback))
    /// and covers the error: a device failure, or [`Error::Unsupported`](crate::Error::Unsupported)
    /// (a limit of the adapter or driver that the operation checks before launching, such as
    /// llvmpipe's loop limit). The operation's first fallback on this device is logged
    /// (`tracing`, warn) and listed by [`fallen_back_kernels`](Self::fallen_back_kernels) under
    /// `operation`. `None` on a CPU device, with fallback off, under `KERNELFORGE_FALLBACK=0`,
    /// or for other errors (bad arguments), which the operation then returns.
    ///
    /// The caller copies its inputs to the returned device (`Buffer::to_vec`, then
    /// [`upload`](Self::upload)) and reruns there.
    pub fn cpu_fallback_for(
        &self,
        operation: &'static str,
        error: &Error,
    ) -> Option<&'static Device> {
        if !self.inner.fallback.covers_operation(error, self.backend()) {
            return None;
        }
        if self.inner.fallback.record(operation) {
            tracing::warn!(
                operation,
                device = %self.name(),
                "runs on the CPU instead: {error}"
            );
        }
        Some(crate::fallback::cpu_device())
    }

    /// The memory this device reports.
    ///
    /// # Errors
    /// A driver error while asking (CUDA).
    pub fn memory_info(&self) -> Result<MemoryInfo> {
        self.inner
            .imp
            .memory(self.inner.allocated.load(Ordering::Relaxed))
    }

    /// Which backend this device uses.
    pub fn backend(&self) -> Backend {
        self.inner.imp.backend()
    }

    /// Whether this is the race-checked CPU device (`Device::cpu_checked`).
    pub(crate) fn race_checked(&self) -> bool {
        self.inner.races
    }

    /// A human-readable name: the GPU or adapter and its driver, or the CPU's threads and SIMD.
    pub fn name(&self) -> String {
        let name = self.inner.imp.name();
        if self.inner.races {
            format!("{name}, race check on")
        } else if self.bounds_check() && self.backend() != Backend::Cpu {
            format!("{name}, bounds check on")
        } else {
            name
        }
    }

    /// What was tried when this device was chosen, what was chosen, and why.
    pub fn selection_report(&self) -> String {
        self.inner.report.clone()
    }

    /// Copies `data` into a new buffer on this device.
    ///
    /// # Errors
    /// [`Error::OutOfMemory`](crate::Error::OutOfMemory) (naming the bytes asked and, where
    /// known, free) when it does not fit; [`Error::TooLarge`](crate::Error::TooLarge) beyond
    /// what the backend can bind; device errors.
    pub fn upload<T: Pod>(&self, data: &[T]) -> Result<Buffer<T>> {
        let storage = self.inner.imp.upload(bytemuck::cast_slice(data))?;
        Ok(Buffer::from_raw(self.raw(
            storage,
            data.len(),
            size_of::<T>(),
        )))
    }

    /// A new buffer of `len` zeroed elements.
    ///
    /// # Errors
    /// As [`upload`](Self::upload); [`Error::TooLarge`] when `len` elements of `T` are more
    /// bytes than any allocation can hold.
    pub fn zeros<T: Pod>(&self, len: usize) -> Result<Buffer<T>> {
        let bytes = len
            .checked_mul(size_of::<T>())
            .filter(|&b| b <= isize::MAX as usize)
            .ok_or(Error::TooLarge {
                what: "the buffer (bytes)",
                value: (len as u64).saturating_mul(size_of::<T>() as u64),
                limit: isize::MAX as u64,
                fix: "allocate fewer elements; no memory holds this many",
            })?;
        let storage = self.inner.imp.alloc(bytes)?;
        Ok(Buffer::from_raw(self.raw(storage, len, size_of::<T>())))
    }

    /// Invocations per subgroup in this device's kernels, as `subgroup_size()` reads inside a
    /// kernel: 32 on the CPU backend (it runs subgroups of 32 consecutive invocations) and on
    /// CUDA (the warp size the GPU reports), the adapter's size on wgpu (lavapipe: 8). For a
    /// host that sizes grids or shared memory per subgroup (a warp per row).
    ///
    /// # Errors
    /// [`Error::Unsupported`](crate::Error::Unsupported) on a wgpu adapter without subgroups, or
    /// whose subgroup size varies between pipelines (read `subgroup_size()` in the kernel then).
    pub fn subgroup_size(&self) -> Result<u32> {
        self.inner.imp.subgroup_size()
    }

    /// Waits until every launch submitted to this device, and every upload and write queued
    /// before the call, has finished (so that a timer started after it times only what follows;
    /// on wgpu, writes are otherwise staged until the next launch).
    ///
    /// # Errors
    /// A device error reported while waiting.
    pub fn synchronize(&self) -> Result<()> {
        self.inner.imp.synchronize()
    }

    /// Runs `desc` over `grid` with `args`; what generated `launch` functions call.
    ///
    /// # Errors
    /// Arguments that do not match the kernel, buffers of another device, sizes beyond the
    /// backend's limits, out-of-bounds accesses (CPU) and device errors.
    #[doc(hidden)]
    pub fn launch(&self, desc: &KernelDesc, grid: Grid, args: &mut [KernelArg<'_>]) -> Result<()> {
        let Some(groups) = crate::launch::checked_groups(self, desc, grid, args)? else {
            return Ok(());
        };
        let profiler = &self.inner.profiler;
        let profiling = profiler.enabled();
        let mut rec = LaunchRecord {
            sink: profiling.then(|| Sink::new(profiler, desc.name)),
            ..Default::default()
        };
        let start = Instant::now();
        let result = self
            .inner
            .imp
            .launch(desc, groups, args, &mut rec, self.checks());
        if !rec.compile.is_zero() {
            profiler.compiled(desc.name, rec.compile);
        }
        // The CPU backend runs synchronously: its wall time is its device time.
        if let (Ok(()), Backend::Cpu, Some(sink)) = (&result, self.backend(), rec.sink.take()) {
            sink.record(start.elapsed());
        }
        let result = match result {
            Err(e) if self.inner.fallback.covers(&e, self.backend()) => {
                crate::fallback::launch_on_cpu(self, desc, groups, args, e)
            }
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
}

/// What the other modules of the runtime reach inside a device.
impl Device {
    /// This device with another selection report (the same device, profiler included: it may
    /// be registered for the exit table).
    pub(crate) fn with_report(self, report: String) -> Device {
        match Arc::try_unwrap(self.inner) {
            Ok(mut inner) => {
                inner.report = report;
                Device {
                    inner: Arc::new(inner),
                }
            }
            Err(inner) => Device { inner },
        }
    }

    /// The checks this device's launches run under.
    fn checks(&self) -> crate::backend::Checks {
        crate::backend::Checks {
            races: self.inner.races,
            bounds: self.bounds_check(),
        }
    }

    /// Whether `other` is this device (or a clone of it).
    pub(crate) fn same(&self, other: &Device) -> bool {
        self.inner.id == other.inner.id
    }

    pub(crate) fn imp(&self) -> &DeviceImpl {
        &self.inner.imp
    }

    pub(crate) fn fallback(&self) -> &FallbackState {
        &self.inner.fallback
    }

    /// A buffer of this device around `storage`, counted in `memory_info`.
    pub(crate) fn raw(&self, storage: Storage, len: usize, elem_size: usize) -> RawBuffer {
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

    /// Uncounts a dropped buffer of `bytes` bytes.
    pub(crate) fn release(&self, bytes: usize) {
        self.inner
            .allocated
            .fetch_sub(bytes as u64, Ordering::Relaxed);
    }

    /// The bytes of `buf`, a buffer of this device.
    pub(crate) fn read_bytes(&self, buf: &RawBuffer) -> Result<Vec<u8>> {
        self.inner.imp.read(buf)
    }
}

/// Devices are equal when they are the same device (a clone, or `best()`'s cached choice).
impl PartialEq for Device {
    fn eq(&self, other: &Device) -> bool {
        self.same(other)
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
