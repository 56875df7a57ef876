//! Compiling a kernel's CUDA C for the host: the system C++ compiler, `cuda_host.h` forced in,
//! one shared library per kernel, cached on disk beside the other compiled kernels.

use crate::cache::{temp_path, DiskCache};
use std::path::{Path, PathBuf};
use std::process::Command;

/// CUDA's execution model on the CPU (see the file's own comments).
const HEADER: &str = include_str!("cuda_host.h");

/// Bytes of the launch-sized shared array the header reserves per thread (`kf::kDynShared`:
/// an H100's opt-in limit).
pub(super) const DYNAMIC_SHARED_LIMIT: u64 = 227 << 10;

/// The entry point every module exports: runs a range of the launch's blocks.
pub(super) const ENTRY: &str = "kf_host_launch";

/// Flags: C++20 for `std::atomic_ref`; no contraction into FMA and no strict aliasing, so the
/// result does not depend on the optimiser (nvcc contracts by default; the CPU backend does
/// not, and that is the reference); hidden symbols and no `STB_GNU_UNIQUE`, so that the
/// header's `inline` thread-locals stay private to each kernel's library (unique symbols are
/// merged across every library in the process, `RTLD_LOCAL` or not); no warnings (the source
/// is generated).
const FLAGS: &[&str] = &[
    "-std=c++20",
    "-O1",
    "-fPIC",
    "-shared",
    "-fvisibility=hidden",
    "-fno-gnu-unique",
    "-fno-strict-aliasing",
    "-ffp-contract=off",
    "-w",
];

/// The C++ compiler and where its output goes.
pub(super) struct Compiler {
    path: PathBuf,
    /// The first line of `--version`.
    pub(super) version: String,
    dir: PathBuf,
}

/// A kernel compiled for the host and loaded.
pub(super) struct Module {
    /// Keeps `entry` valid.
    _lib: libloading::Library,
    pub(super) entry: unsafe extern "C" fn(*const super::launch::RawLaunch) -> i32,
    /// Whether the kernel has barriers or warp operations (its threads then run as fibers).
    pub(super) fibers: bool,
}

impl Compiler {
    /// `KERNELFORGE_CXX`, else `CXX`, else `g++`, `c++` or `clang++` on `PATH`; `Err` with the
    /// remedy when none runs, or when the variable that names one does not run (a compiler
    /// asked for by name is never replaced by another).
    pub(super) fn find() -> Result<Compiler, String> {
        let named = ["KERNELFORGE_CXX", "CXX"]
            .into_iter()
            .find_map(|v| Some((v, std::env::var_os(v).filter(|s| !s.is_empty())?)));
        let candidates: Vec<PathBuf> = match &named {
            Some((_, path)) => vec![PathBuf::from(path)],
            None => ["g++", "c++", "clang++"].map(PathBuf::from).to_vec(),
        };
        for path in &candidates {
            let ran = Command::new(path).arg("--version").output();
            let out = match (ran, &named) {
                (Ok(out), _) if out.status.success() => out,
                (r, Some((var, _))) => {
                    let why = match r {
                        Ok(out) => format!("it exited with {}", out.status),
                        Err(e) => e.to_string(),
                    };
                    return Err(format!(
                        "{var}={} does not run ({why}); point it at a C++20 compiler such as \
                         g++, or unset it",
                        path.display()
                    ));
                }
                _ => continue,
            };
            let version = String::from_utf8_lossy(&out.stdout)
                .lines()
                .next()
                .unwrap_or("a C++ compiler")
                .trim()
                .to_string();
            let dir = match DiskCache::from_env() {
                Some(c) => c.dir().join("cuda-host"),
                None => std::env::temp_dir()
                    .join(format!("kernelforge-cuda-host-{}", std::process::id())),
            };
            return Ok(Compiler {
                path: path.clone(),
                version,
                dir,
            });
        }
        Err(format!(
            "running CUDA C on the host needs a C++20 compiler, and none of {} runs; install g++ \
             (scripts/setup.sh does) or set KERNELFORGE_CXX",
            candidates
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }

    /// `desc`'s CUDA C as a loaded module: the shared library in the cache directory when its
    /// recorded source matches byte for byte, else compiled now.
    pub(super) fn module(&self, name: &str, cuda: &str) -> Result<Module, String> {
        let source = self.translation_unit(name, cuda);
        let stem = format!("{name}-{:016x}", fnv1a(source.as_bytes()));
        let (cpp, lib) = (
            self.dir.join(format!("{stem}.cpp")),
            self.dir.join(format!("{stem}.so")),
        );
        let cached = lib.is_file() && std::fs::read(&cpp).is_ok_and(|s| s == source.as_bytes());
        if !cached {
            self.compile(&source, &stem, &cpp, &lib)?;
        }
        // SAFETY: the library is ours, compiled from the generated source and the header; its
        // initialisers define thread-local storage and nothing else.
        let lib = unsafe { libloading::Library::new(&lib) }
            .map_err(|e| format!("loading {}: {e}", lib.display()))?;
        // SAFETY: the header's `kf::run` instantiation has exactly this signature.
        let entry = unsafe {
            *lib.get::<unsafe extern "C" fn(*const super::launch::RawLaunch) -> i32>(
                ENTRY.as_bytes(),
            )
            .map_err(|e| format!("the library has no `{ENTRY}`: {e}"))?
        };
        let fibers = ["__syncthreads", "__syncwarp", "__shfl"]
            .iter()
            .any(|f| cuda.contains(f));
        Ok(Module {
            _lib: lib,
            entry,
            fibers,
        })
    }

    /// The file the compiler sees: a first line that makes the compiler, its flags and the
    /// header part of the cache key, the generated source as it is, and the exported entry.
    fn translation_unit(&self, name: &str, cuda: &str) -> String {
        format!(
            "// {} {} cuda_host.h:{:016x}\n{}\nextern \"C\" __attribute__((visibility(\"default\"))) int {ENTRY}(const kf::Launch* l) {{ return kf::run(&{}, l); }}\n",
            self.version,
            FLAGS.join(" "),
            fnv1a(HEADER.as_bytes()),
            cuda,
            name
        )
    }

    /// Compiles `source` into `lib`, through temporary names renamed into place so that
    /// concurrent processes see a whole file or none.
    fn compile(&self, source: &str, stem: &str, cpp: &Path, lib: &Path) -> Result<(), String> {
        let include = self.dir.join("include");
        std::fs::create_dir_all(&include).map_err(|e| {
            format!(
                "creating {}: {e}; set KERNELFORGE_CACHE_DIR to a writable directory, or to \
                 `off` for a temporary one",
                include.display()
            )
        })?;
        // `cuda_fp16.h` and `cuda_bf16.h` are what the source includes; the header forced in
        // defines their types.
        for (name, text) in [
            ("cuda_host.h", HEADER),
            ("cuda_fp16.h", ""),
            ("cuda_bf16.h", ""),
        ] {
            let p = include.join(name);
            if std::fs::read_to_string(&p).ok().as_deref() != Some(text) {
                write_atomically(&p, text.as_bytes())?;
            }
        }
        let tmp_cpp = temp_path(&self.dir, &format!("{stem}.cpp"));
        let tmp_lib = temp_path(&self.dir, &format!("{stem}.so"));
        std::fs::write(&tmp_cpp, source)
            .map_err(|e| format!("writing {}: {e}", tmp_cpp.display()))?;
        let out = Command::new(&self.path)
            .args(FLAGS)
            .arg("-I")
            .arg(&include)
            .args(["-include", "cuda_host.h", "-x", "c++"])
            .arg(&tmp_cpp)
            .arg("-o")
            .arg(&tmp_lib)
            .output()
            .map_err(|e| format!("running {}: {e}", self.path.display()))?;
        if !out.status.success() {
            let _ = std::fs::remove_file(&tmp_cpp);
            let stderr = String::from_utf8_lossy(&out.stderr);
            let head: Vec<&str> = stderr.lines().take(30).collect();
            return Err(format!(
                "{} rejected the generated CUDA C (a gap in cuda_host.h or a back-end bug):\n{}",
                self.version,
                head.join("\n")
            ));
        }
        std::fs::rename(&tmp_lib, lib)
            .map_err(|e| format!("renaming to {}: {e}", lib.display()))?;
        std::fs::rename(&tmp_cpp, cpp).map_err(|e| format!("renaming to {}: {e}", cpp.display()))
    }
}

/// `bytes` at `path`, through a temporary file renamed into place.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|f| f.to_str()).unwrap_or("file");
    let tmp = temp_path(dir, name);
    std::fs::write(&tmp, bytes).map_err(|e| format!("writing {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("renaming to {}: {e}", path.display()))
}

/// FNV-1a, 64 bits: a file name for the cache, stable across Rust versions (the match is
/// checked on the whole source, so a collision only costs a compile).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
