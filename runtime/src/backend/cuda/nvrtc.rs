//! NVRTC: CUDA C to PTX or to a cubin at run time, with no GPU needed, and its disk cache.

use super::{cuda_err, cuda_msg, unavailable};
use crate::cache::DiskCache;
use crate::error::Result;

/// Whether libnvrtc can be loaded.
pub fn nvrtc_present() -> bool {
    // SAFETY: as above.
    unsafe { cudarc::nvrtc::sys::is_culib_present() }
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

/// NVRTC's code-generation flags, as nvcc's at build time (kernelforge-build's `FLAGS`):
/// `--fmad=false`, so `a * b + c` rounds twice as on the CPU backend, and a bounds-checked
/// kernel computes the unchecked one's bits; `mul_add` is the fused operation.
const FLAGS: &[&str] = &["--fmad=false"];

/// Compiles a kernel's CUDA C (`cuda_source`, with entry point `name`) to PTX with NVRTC for
/// the virtual architecture `arch` (`compute_75`, `compute_90`, ...). This is what the CUDA
/// backend does when no usable PTX was embedded; it needs libnvrtc but no GPU or driver.
///
/// # Errors
/// [`Error::Unavailable`](crate::Error::Unavailable) when libnvrtc cannot be loaded; [`Error::Cuda`](crate::Error::Cuda) with NVRTC's log
/// when the source does not compile.
pub fn compile_with_nvrtc(name: &str, cuda_source: &str, arch: &str) -> Result<String> {
    if !nvrtc_present() {
        return Err(unavailable(NO_NVRTC));
    }
    let opts = cudarc::nvrtc::CompileOptions {
        options: options(arch),
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

/// NVRTC's options for the virtual or real architecture `arch` (`compute_75`, `sm_90`): the
/// architecture, [`FLAGS`] and the include folders.
fn options(arch: &str) -> Vec<String> {
    let mut options = vec![format!("--gpu-architecture={arch}")];
    options.extend(FLAGS.iter().map(|f| f.to_string()));
    options.extend(include_options());
    options
}

/// `-I` options for the toolkit's include folders, which hold cuda_fp16.h and cuda_bf16.h
/// (kernels with `f16` or `bf16` include them; NVRTC has no search path of its own). Found
/// from `KERNELFORGE_CUDA_INCLUDE`, `CUDA_PATH`/`CUDA_HOME`, the `include` folder beside each
/// `LD_LIBRARY_PATH` entry that holds libnvrtc (pip's `nvidia/cu13/{lib,include}`), and
/// `/usr/local/cuda/include`; only folders that hold cuda_fp16.h are passed.
fn include_options() -> Vec<String> {
    let env = |k: &str| std::env::var_os(k).map(std::path::PathBuf::from);
    let mut dirs: Vec<std::path::PathBuf> = Vec::new();
    dirs.extend(env("KERNELFORGE_CUDA_INCLUDE"));
    for k in ["CUDA_PATH", "CUDA_HOME"] {
        dirs.extend(env(k).map(|p| p.join("include")));
    }
    if let Some(paths) = std::env::var_os("LD_LIBRARY_PATH") {
        for lib in std::env::split_paths(&paths) {
            if lib.join("libnvrtc.so.13").exists() || lib.join("libnvrtc.so").exists() {
                dirs.extend(lib.parent().map(|p| p.join("include")));
            }
        }
    }
    dirs.push("/usr/local/cuda/include".into());
    let mut options = Vec::new();
    for d in dirs {
        let o = format!("-I{}", d.display());
        if d.join("cuda_fp16.h").exists() && !options.contains(&o) {
            options.push(o);
        }
    }
    options
}

const NO_NVRTC: &str = "NVRTC (libnvrtc.so) is not on the library path; install it (pip \
                        nvidia-cuda-nvrtc) and add its lib folder to LD_LIBRARY_PATH";

/// Compiles a kernel's CUDA C (`cuda_source`, entry point `name`) with NVRTC to a cubin for the
/// real architecture `sm` ((9, 0): `sm_90`). A cubin holds machine code, so the driver loads it
/// whatever PTX ISA it accepts; it needs libnvrtc but no GPU or driver.
///
/// # Errors
/// [`Error::Unavailable`](crate::Error::Unavailable) when libnvrtc cannot be loaded; [`Error::Cuda`](crate::Error::Cuda) with NVRTC's log
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
        let compiled = result::compile_program(prog, &options(&arch));
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
        "kernelforge cubin\narch=sm_{}{}\ndriver={driver}\nnvrtc={na}.{nb}\nflags={}\n\n{cuda_source}",
        sm.0,
        sm.1,
        FLAGS.join(" ")
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
