//! Finding and running nvcc.

use std::path::{Path, PathBuf};
use std::process::Command;

/// An nvcc found on this machine.
#[derive(Clone, Debug)]
pub struct Nvcc {
    /// Its path.
    pub path: PathBuf,
    /// Its version line, e.g. "Cuda compilation tools, release 13.0, V13.0.88".
    pub version: String,
}

impl Nvcc {
    fn at(path: PathBuf) -> Option<Nvcc> {
        let out = Command::new(&path).arg("--version").output().ok()?;
        if !out.status.success() {
            return None;
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let version = text
            .lines()
            .find(|l| l.contains("release"))
            .unwrap_or("unknown version")
            .trim()
            .to_string();
        Some(Nvcc { path, version })
    }

    /// Compiles `cuda` to PTX at `out` for the virtual architecture `arch`.
    ///
    /// # Errors
    /// nvcc's output when it fails.
    pub fn compile(&self, cuda: &str, out: &Path, arch: &str) -> Result<PathBuf, String> {
        self.run(cuda, out, "-ptx", arch)
    }

    /// Compiles `cuda` to a cubin (machine code) at `out` for the real architecture `sm`
    /// (`sm_90`).
    ///
    /// # Errors
    /// nvcc's output when it fails.
    pub fn compile_cubin(&self, cuda: &str, out: &Path, sm: &str) -> Result<PathBuf, String> {
        self.run(cuda, out, "-cubin", sm)
    }

    fn run(&self, cuda: &str, out: &Path, mode: &str, arch: &str) -> Result<PathBuf, String> {
        // One source file per output: cubins of several architectures compile in parallel.
        let src = out.with_extension("cu");
        std::fs::write(&src, cuda).map_err(|e| format!("{}: {e}", src.display()))?;
        let res = Command::new(&self.path)
            .arg(mode)
            .arg(format!("-arch={arch}"))
            .args(FLAGS)
            .arg("-o")
            .arg(out)
            .arg(&src)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.path.display()))?;
        if res.status.success() {
            Ok(out.to_path_buf())
        } else {
            Err(format!(
                "{}{}",
                String::from_utf8_lossy(&res.stderr),
                String::from_utf8_lossy(&res.stdout)
            ))
        }
    }
}

/// The code-generation flags of every nvcc compile. `--fmad=false`: nvcc contracts `a * b + c`
/// into a fused multiply-add by default, where the CPU backend (Rust), WGSL on lavapipe and the
/// host harness round twice; contracted, a CUDA result could differ from the CPU backend's in
/// the last bit, and the bounds-checked build (NVRTC) from the unchecked one. A kernel asks
/// for the fused operation with `mul_add` (`fmaf`), as the built-in kernels' inner loops do.
/// The runtime passes NVRTC the same flag.
pub const FLAGS: &[&str] = &["--fmad=false"];

/// Looks for nvcc in `KERNELFORGE_NVCC`, `NVCC`, `CUDA_PATH/bin`, `PATH`, then pip's
/// `nvidia-cuda-nvcc` (`site-packages/nvidia/cu13/bin/nvcc`), and checks that it runs.
pub fn find_nvcc() -> Option<Nvcc> {
    let exe = if cfg!(windows) { "nvcc.exe" } else { "nvcc" };
    let mut candidates = Vec::new();
    for var in ["KERNELFORGE_NVCC", "NVCC"] {
        if let Some(p) = std::env::var_os(var).filter(|v| !v.is_empty()) {
            candidates.push(PathBuf::from(p));
        }
    }
    if let Some(p) = std::env::var_os("CUDA_PATH") {
        candidates.push(PathBuf::from(p).join("bin").join(exe));
    }
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path).map(|d| d.join(exe)));
    }
    if let Ok(out) = Command::new("python3")
        .args([
            "-c",
            "import nvidia, sys; print('\\n'.join(nvidia.__path__))",
        ])
        .output()
    {
        for dir in String::from_utf8_lossy(&out.stdout).lines() {
            candidates.push(Path::new(dir.trim()).join("cu13").join("bin").join(exe));
        }
    }
    candidates
        .into_iter()
        .filter(|p| p.is_file())
        .find_map(Nvcc::at)
}
