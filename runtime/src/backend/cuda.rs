//! The CUDA backend on cudarc with dynamic loading.
//!
//! cudarc panics when libcuda or libnvrtc cannot be loaded, so every entry point first checks
//! that the library opens and turns its absence into an `Err`. A kernel's module comes from
//! the PTX nvcc made at build time when the driver accepts its ISA version, else from NVRTC
//! compiling the same CUDA C for the GPU's own architecture.

use crate::device::{abi_words, Backend};
use crate::error::{Error, Result};
use crate::info::{loaded_library, CudaInfo, GpuInfo};
use crate::kernel::{KernelArg, KernelDesc};
use crate::ptx::{max_ptx_isa, ptx_isa};
use cudarc::driver::{
    CudaContext, CudaFunction, CudaSlice, CudaStream, LaunchConfig, PushKernelArg,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub(crate) struct CudaDevice {
    ctx: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    name: String,
    cc: (i32, i32),
    driver: i32,
    functions: Mutex<HashMap<(&'static str, usize), CudaFunction>>,
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
        return Err(unavailable(
            "NVRTC (libnvrtc.so) is not on the library path; install it (pip \
             nvidia-cuda-nvrtc) and add its lib folder to LD_LIBRARY_PATH",
        ));
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

    pub(crate) fn alloc(&self, bytes: usize) -> Result<CudaBuffer> {
        let slice = self
            .stream
            .alloc_zeros::<u8>(bytes.max(4))
            .map_err(|e| cuda_err(format!("allocating {bytes} bytes"), e))?;
        Ok(CudaBuffer { slice })
    }

    pub(crate) fn upload(&self, bytes: &[u8]) -> Result<CudaBuffer> {
        let mut b = self.alloc(bytes.len())?;
        if !bytes.is_empty() {
            let mut view = b.slice.slice_mut(0..bytes.len());
            self.stream
                .memcpy_htod(bytes, &mut view)
                .map_err(|e| cuda_err("copying to the GPU", e))?;
        }
        Ok(b)
    }

    pub(crate) fn read(&self, b: &CudaBuffer, bytes: usize) -> Result<Vec<u8>> {
        let mut v = self
            .stream
            .clone_dtoh(&b.slice)
            .map_err(|e| cuda_err("copying from the GPU", e))?;
        v.truncate(bytes);
        Ok(v)
    }

    pub(crate) fn synchronize(&self) -> Result<()> {
        self.stream
            .synchronize()
            .map_err(|e| cuda_err("waiting for the GPU", e))
    }

    fn function(&self, desc: &KernelDesc) -> Result<CudaFunction> {
        let key = (desc.name, desc.cuda_source.as_ptr() as usize);
        if let Some(f) = self.functions.lock().expect("function cache").get(&key) {
            return Ok(f.clone());
        }
        let mut notes = Vec::new();
        let mut module = None;
        if let Some(ptx) = desc.ptx {
            let max = max_ptx_isa(self.driver);
            match ptx_isa(ptx) {
                Some(v) if v > max => notes.push(format!(
                    "the embedded PTX has ISA {}.{} but this driver (CUDA {}.{}) accepts up to \
                     {}.{}; rebuild with an older nvcc (the pinned pip toolkit \
                     nvidia-cuda-nvcc==13.0.88) or update the driver",
                    v.0,
                    v.1,
                    self.driver / 1000,
                    (self.driver % 1000) / 10,
                    max.0,
                    max.1
                )),
                _ => match self.ctx.load_module(cudarc::nvrtc::Ptx::from_src(ptx)) {
                    Ok(m) => module = Some(m),
                    Err(e) => notes.push(format!("the driver rejected the embedded PTX: {e:?}")),
                },
            }
        } else {
            notes.push("no PTX was embedded (nvcc was not found at build time)".into());
        }
        let module = match module {
            Some(m) => m,
            None => {
                // Without libnvrtc the error names the cause and the fix (pip
                // nvidia-cuda-nvrtc, LD_LIBRARY_PATH), after the notes on the PTX.
                let arch = format!("compute_{}{}", self.cc.0, self.cc.1);
                let ptx = compile_with_nvrtc(desc.name, desc.cuda_source, &arch).map_err(|e| {
                    cuda_msg(
                        format!("compiling kernel `{}` with NVRTC", desc.name),
                        format!("{}; {e}", notes.join("; ")),
                    )
                })?;
                let ptx = cudarc::nvrtc::Ptx::from_src(ptx);
                self.ctx
                    .load_module(ptx)
                    .map_err(|e| cuda_err(format!("loading kernel `{}`", desc.name), e))?
            }
        };
        let f = module
            .load_function(desc.name)
            .map_err(|e| cuda_err(format!("finding kernel `{}`", desc.name), e))?;
        self.functions
            .lock()
            .expect("function cache")
            .insert(key, f.clone());
        Ok(f)
    }

    pub(crate) fn launch(
        &self,
        desc: &KernelDesc,
        groups: [u32; 3],
        args: &mut [KernelArg<'_>],
    ) -> Result<()> {
        let f = self.function(desc)?;
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
        // SAFETY: the arguments follow the launch ABI the generated CUDA C declares (checked
        // against the kernel's parameter list by `Device::launch`), and every buffer is at
        // least as long as the length passed beside it.
        unsafe { builder.launch(cfg) }
            .map_err(|e| cuda_err(format!("launching kernel `{}`", desc.name), e))?;
        Ok(())
    }
}
