//! The CUDA backend on cudarc with dynamic loading.
//!
//! cudarc panics when libcuda or libnvrtc cannot be loaded, so every entry point first checks
//! that the library opens and turns its absence into an `Err`. A kernel's module comes from
//! the PTX nvcc made at build time when the driver accepts its ISA version, else from NVRTC
//! compiling the same CUDA C for the GPU's own architecture.

use crate::cache::DiskCache;
use crate::device::{abi_words, Backend};
use crate::error::{Error, Result};
use crate::fault::{self, Fault};
use crate::info::{loaded_library, CudaInfo, GpuInfo};
use crate::kernel::{KernelArg, KernelDesc};
use crate::profile::{LaunchRecord, PendingTimings, Sink};
use crate::ptx::{cuda_version_name, pick_cubin, ptx_isa, ptx_verdict, PtxPlan};
use cudarc::driver::{
    CudaContext, CudaEvent, CudaFunction, CudaSlice, CudaStream, DriverError, LaunchConfig,
    PushKernelArg,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

pub(crate) struct CudaBuffer {
    slice: CudaSlice<u8>,
}

fn unavailable(reason: impl Into<String>) -> Error {
    Error::Unavailable {
        backend: Backend::Cuda,
        reason: reason.into(),
    }
}

/// An error whose message is already text (not a value to show with `Debug`).
fn cuda_msg(context: impl Into<String>, message: String) -> Error {
    Error::Cuda {
        context: context.into(),
        message,
    }
}

fn cuda_err(context: impl Into<String>, e: impl std::fmt::Debug) -> Error {
    Error::Cuda {
        context: context.into(),
        message: format!("{e:?}"),
    }
}

/// Whether libcuda can be loaded (cudarc would panic otherwise).
pub fn driver_present() -> bool {
    // SAFETY: only tries to dlopen the library under cudarc's candidate names.
    unsafe { cudarc::driver::sys::is_culib_present() }
}

/// Whether libnvrtc can be loaded.
pub fn nvrtc_present() -> bool {
    // SAFETY: as above.
    unsafe { cudarc::nvrtc::sys::is_culib_present() }
}

/// The driver's CUDA version as `major * 1000 + minor * 10` (13000 for CUDA 13.0).
fn driver_version() -> Result<i32> {
    let mut v = 0;
    // SAFETY: libcuda is loaded (checked by the caller); the out-pointer is valid.
    let r = unsafe { cudarc::driver::sys::cuDriverGetVersion(&mut v) };
    if r != cudarc::driver::sys::CUresult::CUDA_SUCCESS {
        return Err(cuda_err("reading the driver version", r));
    }
    Ok(v)
}

/// NVRTC's version as (major, minor).
pub fn nvrtc_version() -> Option<(i32, i32)> {
    if !nvrtc_present() {
        return None;
    }
    let (mut major, mut minor) = (0, 0);
    // SAFETY: libnvrtc is loaded; the out-pointers are valid.
    let r = unsafe { cudarc::nvrtc::sys::nvrtcVersion(&mut major, &mut minor) };
    (r == cudarc::nvrtc::sys::nvrtcResult::NVRTC_SUCCESS).then_some((major, minor))
}

/// Compiles a kernel's CUDA C (`cuda_source`, with entry point `name`) to PTX with NVRTC for
/// the virtual architecture `arch` (`compute_75`, `compute_90`, ...). This is what the CUDA
/// backend does when no usable PTX was embedded; it needs libnvrtc but no GPU or driver.
///
/// # Errors
/// [`Error::Unavailable`] when libnvrtc cannot be loaded; [`Error::Cuda`] with NVRTC's log
/// when the source does not compile.
pub fn compile_with_nvrtc(name: &str, cuda_source: &str, arch: &str) -> Result<String> {
    if !nvrtc_present() {
        return Err(unavailable(NO_NVRTC));
    }
    let opts = cudarc::nvrtc::CompileOptions {
        options: vec![format!("--gpu-architecture={arch}")],
        name: Some(format!("{name}.cu")),
        ..Default::default()
    };
    let context = || format!("compiling kernel `{name}` for {arch} with NVRTC");
    match cudarc::nvrtc::compile_ptx_with_opts(cuda_source, opts) {
        Ok(ptx) => Ok(ptx.to_src()),
        Err(cudarc::nvrtc::CompileError::CompileError { nvrtc, log, .. }) => Err(cuda_msg(
            context(),
            format!("{nvrtc:?}: {}", log.to_string_lossy().trim()),
        )),
        Err(e) => Err(cuda_err(context(), e)),
    }
}

const NO_NVRTC: &str = "NVRTC (libnvrtc.so) is not on the library path; install it (pip \
                        nvidia-cuda-nvrtc) and add its lib folder to LD_LIBRARY_PATH";

/// Compiles a kernel's CUDA C (`cuda_source`, entry point `name`) with NVRTC to a cubin for the
/// real architecture `sm` ((9, 0): `sm_90`). A cubin holds machine code, so the driver loads it
/// whatever PTX ISA it accepts; it needs libnvrtc but no GPU or driver.
///
/// # Errors
/// [`Error::Unavailable`] when libnvrtc cannot be loaded; [`Error::Cuda`] with NVRTC's log
/// when the source does not compile or NVRTC does not know the architecture.
pub fn compile_cubin_with_nvrtc(name: &str, cuda_source: &str, sm: (i32, i32)) -> Result<Vec<u8>> {
    use cudarc::nvrtc::{result, sys};
    if !nvrtc_present() {
        return Err(unavailable(NO_NVRTC));
    }
    let arch = format!("sm_{}{}", sm.0, sm.1);
    let context = || format!("compiling kernel `{name}` for {arch} with NVRTC");
    let src = std::ffi::CString::new(cuda_source)
        .map_err(|_| cuda_msg(context(), "the CUDA C contains a NUL byte".into()))?;
    let file = std::ffi::CString::new(format!("{name}.cu"))
        .map_err(|_| cuda_msg(context(), "the kernel name contains a NUL byte".into()))?;
    let prog = result::create_program(&src, Some(&file)).map_err(|e| cuda_err(context(), e))?;
    // SAFETY: `prog` was created above and is destroyed once, below; `src` and `file` outlive
    // it; the size and buffer calls follow NVRTC's contract (size first, then a buffer of it).
    let out = unsafe {
        let compiled = result::compile_program(prog, &[format!("--gpu-architecture={arch}")]);
        let out = match compiled {
            Err(e) => {
                let log = result::get_program_log(prog)
                    .map(|l| {
                        let bytes: Vec<u8> = l.iter().map(|&c| c as u8).collect();
                        String::from_utf8_lossy(&bytes)
                            .trim_end_matches('\0')
                            .trim()
                            .to_string()
                    })
                    .unwrap_or_default();
                Err(cuda_msg(context(), format!("{e:?}: {log}")))
            }
            Ok(()) => {
                let mut size = 0usize;
                match sys::nvrtcGetCUBINSize(prog, &mut size).result() {
                    Err(e) => Err(cuda_err(context(), e)),
                    Ok(()) => {
                        let mut bin = vec![0u8; size];
                        sys::nvrtcGetCUBIN(prog, bin.as_mut_ptr() as *mut std::ffi::c_char)
                            .result()
                            .map(|_| bin)
                            .map_err(|e| cuda_err(context(), e))
                    }
                }
            }
        };
        let _ = result::destroy_program(prog);
        out
    };
    out
}

/// [`compile_cubin_with_nvrtc`] through the disk cache `cache` (none: no caching). The key
/// is the CUDA C, the architecture, the driver version `driver` and NVRTC's version; the flag
/// says whether the cubin came from the cache.
///
/// # Errors
/// As [`compile_cubin_with_nvrtc`]. A cache that cannot be written is not an error (the
/// cubin is returned; the failure is logged).
pub fn compile_cubin_cached(
    name: &str,
    cuda_source: &str,
    sm: (i32, i32),
    driver: i32,
    cache: Option<&DiskCache>,
) -> Result<(Vec<u8>, bool)> {
    let (na, nb) = nvrtc_version().ok_or_else(|| unavailable(NO_NVRTC))?;
    let key = format!(
        "kernelforge cubin\narch=sm_{}{}\ndriver={driver}\nnvrtc={na}.{nb}\n\n{cuda_source}",
        sm.0, sm.1
    );
    if let Some(bin) = cache.and_then(|c| c.get(name, key.as_bytes())) {
        tracing::debug!(kernel = name, "cubin from the disk cache");
        return Ok((bin, true));
    }
    let bin = compile_cubin_with_nvrtc(name, cuda_source, sm)?;
    if let Some(c) = cache {
        if let Err(e) = c.put(name, key.as_bytes(), &bin) {
            tracing::warn!(
                kernel = name,
                dir = %c.dir().display(),
                "cannot write the kernel cache: {e}; set KERNELFORGE_CACHE_DIR to a writable \
                 directory"
            );
        }
    }
    Ok((bin, false))
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

const NO_DRIVER: &str = "libcuda (the NVIDIA driver) was not found; install the NVIDIA driver, \
                         or use the wgpu or CPU backend";

impl CudaDevice {
    pub(crate) fn open(ordinal: usize) -> Result<CudaDevice> {
        if !driver_present() {
            return Err(unavailable(NO_DRIVER));
        }
        let driver = driver_version()?;
        let ctx = CudaContext::new(ordinal).map_err(|e| {
            unavailable(format!(
                "cannot open CUDA device {ordinal}: {e:?} (no such GPU, or the driver is not \
                 loaded)"
            ))
        })?;
        let name = ctx.name().unwrap_or_else(|_| "unknown GPU".into());
        let cc = ctx.compute_capability().unwrap_or((0, 0));
        let stream = ctx.default_stream();
        Ok(CudaDevice {
            ctx,
            stream,
            name,
            cc,
            driver,
            functions: Mutex::new(HashMap::new()),
            timings: PendingTimings::new(),
        })
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
    fn driver_error(&self, context: String, e: DriverError, requested: u64) -> Error {
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

    pub(crate) fn alloc(&self, bytes: usize) -> Result<CudaBuffer> {
        if fault::fires(Backend::Cuda, Fault::OutOfMemory, None) {
            return Err(Error::OutOfMemory {
                device: self.name(),
                requested: bytes as u64,
                free: self.free_memory(),
            });
        }
        let slice = self
            .stream
            .alloc_zeros::<u8>(bytes.max(4))
            .map_err(|e| self.driver_error(format!("allocating {bytes} bytes"), e, bytes as u64))?;
        Ok(CudaBuffer { slice })
    }

    /// Free device memory, bytes, for out-of-memory errors (`None` if the driver cannot say).
    fn free_memory(&self) -> Option<u64> {
        self.ctx.mem_get_info().ok().map(|(free, _)| free as u64)
    }

    /// (free, total) device memory, bytes.
    pub(crate) fn memory(&self) -> Result<(u64, u64)> {
        let (free, total) = self
            .ctx
            .mem_get_info()
            .map_err(|e| self.driver_error("reading the memory in use".into(), e, 0))?;
        Ok((free as u64, total as u64))
    }

    /// Overwrites the start of `b` with `bytes` (per-launch CPU fallback writes results back).
    pub(crate) fn write(&self, b: &mut CudaBuffer, bytes: &[u8]) -> Result<()> {
        if !bytes.is_empty() {
            let mut view = b.slice.slice_mut(0..bytes.len());
            self.stream
                .memcpy_htod(bytes, &mut view)
                .map_err(|e| self.driver_error("copying to the GPU".into(), e, 0))?;
        }
        Ok(())
    }

    pub(crate) fn upload(&self, bytes: &[u8]) -> Result<CudaBuffer> {
        let mut b = self.alloc(bytes.len())?;
        self.write(&mut b, bytes)?;
        Ok(b)
    }

    pub(crate) fn read(&self, b: &CudaBuffer, bytes: usize) -> Result<Vec<u8>> {
        let mut v = self
            .stream
            .clone_dtoh(&b.slice)
            .map_err(|e| self.driver_error("copying from the GPU".into(), e, 0))?;
        v.truncate(bytes);
        // The copy waited for earlier launches on the stream: deliver their timings.
        self.collect_timings();
        Ok(v)
    }

    pub(crate) fn synchronize(&self) -> Result<()> {
        self.stream
            .synchronize()
            .map_err(|e| self.driver_error("waiting for the GPU".into(), e, 0))?;
        self.collect_timings();
        Ok(())
    }

    /// Delivers the timings of profiled launches that have completed; the rest wait.
    fn collect_timings(&self) {
        self.timings.collect(|(start, end, sink)| {
            if !end.is_complete() {
                return Some((start, end, sink));
            }
            if let Ok(ms) = start.elapsed_ms(&end) {
                sink.record(Duration::from_secs_f64(ms.max(0.0) as f64 * 1e-3));
            }
            None
        });
    }

    /// Loads `desc`'s module and function (PTX, or NVRTC's cubin).
    pub(crate) fn warm_up(&self, desc: &KernelDesc, rec: &mut LaunchRecord) -> Result<()> {
        self.function(desc, &mut rec.compile).map(|_| ())
    }

    fn function(&self, desc: &KernelDesc, compile: &mut Duration) -> Result<CudaFunction> {
        let key = (desc.name, desc.cuda_source.as_ptr() as usize);
        if let Some(f) = self.functions.lock().expect("function cache").get(&key) {
            return Ok(f.clone());
        }
        let started = Instant::now();
        let module = self.module(desc)?;
        let f = module
            .load_function(desc.name)
            .map_err(|e| Error::Compile {
                kernel: desc.name,
                device: self.name(),
                message: format!("the module has no entry point `{}`: {e:?}", desc.name),
            })?;
        *compile += started.elapsed();
        self.functions
            .lock()
            .expect("function cache")
            .insert(key, f.clone());
        Ok(f)
    }

    /// The kernel's module: the embedded cubin for this GPU when there is one, else the
    /// embedded PTX when the driver takes its ISA, else a cubin NVRTC
    /// compiles for this GPU (disk-cached), else NVRTC's PTX for its virtual architecture.
    /// The error lists every step tried, with the version numbers and the remedy.
    fn module(&self, desc: &KernelDesc) -> Result<Arc<cudarc::driver::CudaModule>> {
        let fail = |steps: &[String]| Error::Compile {
            kernel: desc.name,
            device: self.name(),
            message: steps.join("; "),
        };
        if fault::fires(Backend::Cuda, Fault::Compile, Some(desc.name)) {
            return Err(fail(&["injected compile failure (test hook)".into()]));
        }
        let mut steps = Vec::new();
        if let Some((sm, bin)) = pick_cubin(desc.cubins, self.cc) {
            match self
                .ctx
                .load_module(cudarc::nvrtc::Ptx::from_binary(bin.to_vec()))
            {
                Ok(m) => return Ok(m),
                Err(e) => {
                    steps.push(format!(
                        "the driver refused the embedded sm_{sm} cubin: {e:?}"
                    ));
                    tracing::warn!(kernel = desc.name, "{}; trying the PTX", steps[0]);
                }
            }
        }
        let nvrtc = nvrtc_version();
        match desc.ptx {
            Some(ptx) => {
                let verdict = ptx_verdict(ptx_isa(ptx), Some(self.driver), nvrtc);
                if verdict.plan == PtxPlan::Embedded {
                    match self.ctx.load_module(cudarc::nvrtc::Ptx::from_src(ptx)) {
                        Ok(m) => return Ok(m),
                        Err(e) => steps.push(format!(
                            "the driver ({}) refused the embedded PTX: {e:?}",
                            cuda_version_name(self.driver)
                        )),
                    }
                } else {
                    steps.push(verdict.message);
                }
                if !crate::policy::fallback_enabled() {
                    steps.push("KERNELFORGE_FALLBACK=0 forbids recompiling with NVRTC".into());
                    return Err(fail(&steps));
                }
                if let Some(why) = steps.last() {
                    tracing::warn!(kernel = desc.name, "{why}; recompiling with NVRTC");
                }
            }
            None => steps.push("no PTX was embedded (nvcc was not found at build time)".into()),
        }
        let cache = DiskCache::from_env();
        match compile_cubin_cached(
            desc.name,
            desc.cuda_source,
            self.cc,
            self.driver,
            cache.as_ref(),
        ) {
            Ok((bin, _)) => match self.ctx.load_module(cudarc::nvrtc::Ptx::from_binary(bin)) {
                Ok(m) => return Ok(m),
                Err(e) => steps.push(format!(
                    "the driver refused NVRTC's cubin for sm_{}{}: {e:?}",
                    self.cc.0, self.cc.1
                )),
            },
            Err(e) => steps.push(e.to_string()),
        }
        if nvrtc.is_some() {
            let arch = format!("compute_{}{}", self.cc.0, self.cc.1);
            match compile_with_nvrtc(desc.name, desc.cuda_source, &arch) {
                Ok(ptx) => match self.ctx.load_module(cudarc::nvrtc::Ptx::from_src(ptx)) {
                    Ok(m) => return Ok(m),
                    Err(e) => {
                        steps.push(format!("the driver refused NVRTC's PTX for {arch}: {e:?}"))
                    }
                },
                Err(e) => steps.push(e.to_string()),
            }
        }
        Err(fail(&steps))
    }

    pub(crate) fn launch(
        &self,
        desc: &KernelDesc,
        groups: [u32; 3],
        args: &mut [KernelArg<'_>],
        rec: &mut LaunchRecord,
    ) -> Result<()> {
        let f = self.function(desc, &mut rec.compile)?;
        self.collect_timings();
        let context = || format!("launching kernel `{}`", desc.name);
        if fault::fires(Backend::Cuda, Fault::DeviceLost, Some(desc.name)) {
            return Err(Error::DeviceLost {
                device: self.name(),
                context: context(),
                message: "injected device loss (test hook)".into(),
            });
        }
        let words = abi_words(groups, args);
        let total: u64 = groups.iter().map(|&g| g as u64).product();
        // gridDim.x reaches 2^31 - 1; fold past it (the kernel recomputes the logical ids).
        let max_x = i32::MAX as u64;
        let x = total.min(max_x);
        let y = total.div_ceil(x);
        let mut slices = Vec::new();
        for a in args.iter() {
            let buf = match a {
                KernelArg::Scalar(_) => continue,
                KernelArg::Slice(b) => &**b,
                KernelArg::SliceMut(b) => &**b,
            };
            let crate::buffer::Storage::Cuda(c) = &buf.storage else {
                return Err(Error::BadArguments {
                    kernel: desc.name,
                    message: "a buffer of another backend was passed".into(),
                });
            };
            slices.push(&c.slice);
        }
        let mut builder = self.stream.launch_builder(&f);
        builder.arg(&words[0]).arg(&words[1]).arg(&words[2]);
        let mut next_slice = 0;
        for (i, a) in args.iter().enumerate() {
            match a {
                KernelArg::Scalar(_) => {
                    builder.arg(&words[3 + i]);
                }
                _ => {
                    builder.arg(slices[next_slice]);
                    next_slice += 1;
                    builder.arg(&words[3 + i]);
                }
            }
        }
        let [wx, wy, wz] = desc.workgroup_size;
        let cfg = LaunchConfig {
            grid_dim: (x as u32, y as u32, 1),
            block_dim: (wx, wy, wz),
            shared_mem_bytes: 0,
        };
        let sink = rec.sink.take();
        if sink.is_some() {
            builder.record_kernel_launch(cudarc::driver::sys::CUevent_flags::CU_EVENT_DEFAULT);
        }
        // SAFETY: the arguments follow the launch ABI the generated CUDA C declares (checked
        // against the kernel's parameter list by `Device::launch`), and every buffer is at
        // least as long as the length passed beside it.
        let events =
            unsafe { builder.launch(cfg) }.map_err(|e| self.driver_error(context(), e, 0))?;
        if let (Some((start, end)), Some(sink)) = (events, sink) {
            self.timings.push((start, end, sink));
        }
        Ok(())
    }
}
