//! kernelforge-build: call [`compile_kernels`] from `build.rs` to compile every
//! `#[compute_kernel]` function's CUDA C to PTX with nvcc at build time, and to cubins for the
//! `sm_XY` listed in `KERNELFORGE_CUDA_ARCH`.
//!
//! Kernels are lowered by kernelforge-codegen, exactly as the macro lowers them, and the PTX is
//! written to `OUT_DIR/kernelforge-ptx/<kernel>-<hash of the CUDA C>.ptx` (cubins beside it as
//! `<same stem>.sm_XY.cubin`), where the macro finds and embeds them. Without nvcc the build prints one `cargo:warning` and succeeds; the
//! CUDA backend then compiles the same CUDA C with NVRTC at run time. Kernels with errors are
//! skipped here: the macro reports them at their spans.

mod nvcc;

pub use nvcc::{find_nvcc, Nvcc};

use std::path::{Path, PathBuf};

/// What [`compile_kernels`] did.
#[derive(Debug, Default)]
pub struct Report {
    /// The nvcc used, if one was found.
    pub nvcc: Option<Nvcc>,
    /// Kernels found, by name.
    pub kernels: Vec<String>,
    /// PTX files written.
    pub ptx: Vec<PathBuf>,
    /// Cubin files written.
    pub cubins: Vec<PathBuf>,
    /// Kernels nvcc failed on, with its message (also printed as `cargo:warning`).
    pub failures: Vec<(String, String)>,
}

/// Errors that stop the build script.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `OUT_DIR` is not set: not running under cargo's build script.
    #[error("OUT_DIR is not set; call compile_kernels from build.rs")]
    NoOutDir,
    /// Reading a source file or writing an output failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Finds the `#[compute_kernel]` functions in the `.rs` files under `dir` (relative to the
/// crate root), compiles their CUDA C to PTX with nvcc, and prints `rerun-if-changed` lines.
///
/// nvcc is searched in `KERNELFORGE_NVCC`, `NVCC`, `CUDA_PATH/bin`, `PATH`, then a pip install
/// of `nvidia-cuda-nvcc`. `KERNELFORGE_CUDA_ARCH` is a comma-separated list ([`CudaArch`]):
/// the first `compute_XY` is the PTX's virtual architecture (default `compute_75`), and each
/// `sm_XY` adds a cubin, which the runtime loads in preference to the PTX on a GPU it runs on.
///
/// # Errors
/// [`Error::NoOutDir`] outside a build script, [`Error::Io`] when a file cannot be read or
/// written. A missing nvcc or a failing kernel is not an error.
pub fn compile_kernels(dir: impl AsRef<Path>) -> Result<Report, Error> {
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").ok_or(Error::NoOutDir)?);
    let dir = dir.as_ref();
    println!("cargo:rerun-if-changed={}", dir.display());
    for var in [
        "KERNELFORGE_NVCC",
        "NVCC",
        "CUDA_PATH",
        "PATH",
        "KERNELFORGE_CUDA_ARCH",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    let mut files = Vec::new();
    collect_rs(dir, &mut files)?;
    files.sort();
    let mut sources = Vec::new();
    let mut report = Report::default();
    let mut parsed_files = Vec::new();
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let text = std::fs::read_to_string(file).map_err(|source| Error::Io {
            path: file.clone(),
            source,
        })?;
        if let Ok(parsed) = syn::parse_file(&text) {
            parsed_files.push(parsed);
        }
    }
    // Helpers are found by name across the directory, as the macro finds them by path. Where
    // two share a name, a kernel may get the other one here: its CUDA C, and so the hash in
    // its PTX file name, then differ from the macro's, which falls back to NVRTC.
    let helpers = kernelforge_codegen::collect_helpers(&parsed_files);
    for parsed in &parsed_files {
        for (attr, func) in kernelforge_codegen::find_kernels(parsed) {
            report.kernels.push(func.sig.ident.to_string());
            // One PTX per instance of a kernel with const generic parameters.
            let all = kernelforge_codegen::compile_all(attr, &func, &helpers).unwrap_or_default();
            for (_, g) in all {
                sources.push((g.kernel.name.clone(), g.ptx_file_name(), g.cuda));
            }
        }
    }
    let ptx_dir = out_dir.join(kernelforge_codegen::PTX_DIR);
    std::fs::create_dir_all(&ptx_dir).map_err(|source| Error::Io {
        path: ptx_dir.clone(),
        source,
    })?;
    let Some(nvcc) = find_nvcc() else {
        if !sources.is_empty() {
            println!(
                "cargo:warning=kernelforge: nvcc not found (searched KERNELFORGE_NVCC, NVCC, \
                 CUDA_PATH, PATH and pip's nvidia-cuda-nvcc); no PTX embedded, the CUDA \
                 backend will compile with NVRTC at run time"
            );
        }
        return Ok(report);
    };
    let arch = CudaArch::from_env();
    for bad in &arch.ignored {
        println!(
            "cargo:warning=kernelforge: KERNELFORGE_CUDA_ARCH entry `{bad}` ignored; use \
             compute_XY (the PTX's architecture) or sm_XY (a cubin), e.g. compute_75,sm_90"
        );
    }
    // Cubins of architectures no longer listed must not be embedded.
    for e in std::fs::read_dir(&ptx_dir).into_iter().flatten().flatten() {
        if e.path().extension().is_some_and(|x| x == "cubin") {
            let _ = std::fs::remove_file(e.path());
        }
    }
    // (kernel, cubin's sm or None for PTX, output path, CUDA C)
    let mut jobs = Vec::new();
    for (name, file, cuda) in &sources {
        jobs.push((name, None, ptx_dir.join(file), cuda));
        for &sm in &arch.cubins {
            let cubin = kernelforge_codegen::cubin_file_name(name, cuda, sm);
            jobs.push((name, Some(sm), ptx_dir.join(cubin), cuda));
        }
    }
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .iter()
            .map(|(name, sm, out, cuda)| {
                let (nvcc, ptx) = (&nvcc, &arch.ptx);
                s.spawn(move || {
                    let r = match sm {
                        None => nvcc.compile(cuda, out, ptx),
                        Some(sm) => nvcc.compile_cubin(cuda, out, &format!("sm_{sm}")),
                    };
                    (name.to_string(), *sm, r)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("nvcc thread"))
            .collect()
    });
    for (name, sm, res) in results {
        match (res, sm) {
            (Ok(path), None) => report.ptx.push(path),
            (Ok(path), Some(_)) => report.cubins.push(path),
            (Err(msg), sm) => {
                let what = match sm {
                    None => "it will use NVRTC at run time".to_string(),
                    Some(sm) => format!("no sm_{sm} cubin is embedded"),
                };
                println!(
                    "cargo:warning=kernelforge: nvcc failed on `{name}`; {what}: {}",
                    msg.lines().next().unwrap_or("")
                );
                report.failures.push((name, msg));
            }
        }
    }
    report.nvcc = Some(nvcc);
    Ok(report)
}

/// The virtual architecture of the PTX, from `KERNELFORGE_CUDA_ARCH` (default `compute_75`,
/// the lowest nvcc 13 accepts).
pub fn cuda_arch() -> String {
    CudaArch::from_env().ptx
}

/// What `KERNELFORGE_CUDA_ARCH` asks for: a comma-separated list of `compute_XY` (the first
/// is the PTX's virtual architecture) and `sm_XY` (a cubin each; XY is major and minor, as
/// nvcc spells them: `sm_90`, `sm_120`), like nvcc's `-gencode` pairs. Unset or empty:
/// PTX for `compute_75` and no cubins. Architecture-specific variants (`sm_90a`) are not
/// accepted: their cubins run on one architecture only, and the runtime's rule ("same major,
/// minor at most the GPU's") would misplace them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CudaArch {
    /// The PTX's virtual architecture, `compute_XY`.
    pub ptx: String,
    /// The cubins' architectures as 10 x major + minor (90 for `sm_90`), sorted, distinct.
    pub cubins: Vec<u32>,
    /// Entries that are neither, kept for a warning.
    pub ignored: Vec<String>,
}

impl CudaArch {
    /// Reads `KERNELFORGE_CUDA_ARCH`.
    pub fn from_env() -> CudaArch {
        CudaArch::parse(&std::env::var("KERNELFORGE_CUDA_ARCH").unwrap_or_default())
    }

    /// Parses a `KERNELFORGE_CUDA_ARCH` value.
    pub fn parse(value: &str) -> CudaArch {
        let number = |s: &str| {
            (s.len() >= 2 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<u32>().ok())
                .flatten()
        };
        let mut out = CudaArch {
            ptx: String::new(),
            cubins: Vec::new(),
            ignored: Vec::new(),
        };
        for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if let Some(n) = entry.strip_prefix("compute_").and_then(number) {
                if out.ptx.is_empty() {
                    out.ptx = format!("compute_{n}");
                }
            } else if let Some(n) = entry.strip_prefix("sm_").and_then(number) {
                out.cubins.push(n);
            } else {
                out.ignored.push(entry.to_string());
            }
        }
        if out.ptx.is_empty() {
            out.ptx = "compute_75".into();
        }
        out.cubins.sort_unstable();
        out.cubins.dedup();
        out
    }
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_rs(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::CudaArch;

    #[test]
    fn cuda_arch_lists() {
        let a = CudaArch::parse("");
        assert_eq!((a.ptx.as_str(), a.cubins.len()), ("compute_75", 0));
        let a = CudaArch::parse("sm_90, compute_80,sm_80,sm_90,compute_86,sm_120,sm_90a,x");
        assert_eq!(a.ptx, "compute_80");
        assert_eq!(a.cubins, vec![80, 90, 120]);
        assert_eq!(a.ignored, vec!["sm_90a", "x"]);
    }
}
