//! kernelforge-build: call [`compile_kernels`] from `build.rs` to compile every
//! `#[compute_kernel]` function's CUDA C to PTX with nvcc at build time.
//!
//! Kernels are lowered by kernelforge-codegen, exactly as the macro lowers them, and the PTX is
//! written to `OUT_DIR/kernelforge-ptx/<kernel>-<hash of the CUDA C>.ptx`, where the macro
//! finds and embeds it. Without nvcc the build prints one `cargo:warning` and succeeds; the
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
/// of `nvidia-cuda-nvcc`. The target is `compute_75` unless `KERNELFORGE_CUDA_ARCH` names
/// another (`compute_XY` or `sm_XY`; PTX is always for the virtual architecture).
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
    let arch = cuda_arch();
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = sources
            .iter()
            .map(|(name, file, cuda)| {
                let (nvcc, arch, ptx_dir) = (&nvcc, &arch, &ptx_dir);
                s.spawn(move || (name.clone(), nvcc.compile(cuda, &ptx_dir.join(file), arch)))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("nvcc thread"))
            .collect()
    });
    for (name, res) in results {
        match res {
            Ok(path) => report.ptx.push(path),
            Err(msg) => {
                println!(
                    "cargo:warning=kernelforge: nvcc failed on `{name}`; it will use NVRTC at \
                     run time: {}",
                    msg.lines().next().unwrap_or("")
                );
                report.failures.push((name, msg));
            }
        }
    }
    report.nvcc = Some(nvcc);
    Ok(report)
}

/// The virtual architecture to compile for, from `KERNELFORGE_CUDA_ARCH` (default
/// `compute_75`, the lowest nvcc 13 accepts).
pub fn cuda_arch() -> String {
    match std::env::var("KERNELFORGE_CUDA_ARCH") {
        Ok(v) if !v.trim().is_empty() => {
            let v = v.split(',').next().unwrap_or("").trim();
            match v.strip_prefix("sm_") {
                Some(n) => format!("compute_{n}"),
                None => v.to_string(),
            }
        }
        _ => "compute_75".into(),
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
