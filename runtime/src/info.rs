//! What this machine offers each backend, for `kernelforge info`: structured facts that the CLI
//! renders as text or JSON. Gathering them opens each backend once and never fails: what is
//! missing is recorded with the reason.

pub use crate::ptx::{
    cuda_version_name, max_ptx_isa, min_driver_for_isa, ptx_isa, ptx_verdict, CudaVersion, PtxPlan,
    PtxVerdict,
};

/// The host and its CPU backend.
#[derive(Clone, Debug)]
pub struct HostInfo {
    /// `linux`, `macos`, `windows`, ...
    pub os: &'static str,
    /// `x86_64`, `aarch64`, ...
    pub arch: &'static str,
    /// Logical cores the process may use.
    pub cores: usize,
    /// Threads in rayon's global pool (the CPU backend's workers).
    pub rayon_threads: usize,
    /// The SIMD level the CPU backend's generated code runs at (`Avx512`, `Avx2`, `Baseline`).
    pub simd: String,
}

/// One CUDA GPU.
#[derive(Clone, Debug)]
pub struct GpuInfo {
    /// Its CUDA ordinal.
    pub ordinal: usize,
    /// The name the driver reports.
    pub name: String,
    /// Compute capability (major, minor): (9, 0) for H100.
    pub compute_capability: (i32, i32),
    /// Streaming multiprocessors.
    pub sm_count: i32,
    /// Device memory, bytes.
    pub memory_total: u64,
    /// Device memory free now, bytes.
    pub memory_free: u64,
}

/// The CUDA driver, its GPUs and NVRTC.
#[derive(Clone, Debug, Default)]
pub struct CudaInfo {
    /// Whether this build has the `cuda` feature.
    pub compiled: bool,
    /// Where libcuda was loaded from (Linux: read from the process's mappings), when loaded.
    pub driver_library: Option<String>,
    /// The driver's CUDA version, when a driver was found.
    pub driver_version: Option<CudaVersion>,
    /// Why CUDA cannot be used, when it cannot.
    pub error: Option<String>,
    /// Every GPU the driver reports.
    pub gpus: Vec<GpuInfo>,
    /// NVRTC's version (major, minor), when libnvrtc loads.
    pub nvrtc_version: Option<(i32, i32)>,
    /// Where libnvrtc was loaded from, when loaded.
    pub nvrtc_library: Option<String>,
}

/// One wgpu adapter.
#[derive(Clone, Debug)]
pub struct AdapterInfo {
    /// The adapter's name (`llvmpipe (LLVM 15.0.6, 256 bits)`, `NVIDIA H100 80GB HBM3`).
    pub name: String,
    /// The graphics API under wgpu: `Vulkan`, `Metal`, `Dx12`.
    pub backend: String,
    /// `DiscreteGpu`, `IntegratedGpu`, `VirtualGpu`, `Cpu` or `Other`.
    pub device_type: String,
    /// The driver's name and version.
    pub driver: String,
    /// Workgroup memory per workgroup, bytes.
    pub max_workgroup_storage: u32,
    /// Invocations per workgroup.
    pub max_invocations_per_workgroup: u32,
    /// Bytes one storage buffer binding may span.
    pub max_storage_binding: u64,
    /// Workgroups per dispatch dimension.
    pub max_workgroups_per_dimension: u32,
    /// `SHADER_F16` (kernels using `f16` need it).
    pub f16: bool,
    /// `SHADER_F64` (kernels using `f64` need it).
    pub f64: bool,
    /// Subgroup sizes (min, max) when the adapter has `SUBGROUP`.
    pub subgroups: Option<(u32, u32)>,
    /// `SHADER_INT64`.
    pub int64: bool,
    /// `TIMESTAMP_QUERY`.
    pub timestamp_queries: bool,
    /// `PIPELINE_CACHE` (compiled pipelines can be kept on disk).
    pub pipeline_cache: bool,
}

/// The wgpu adapters, best first.
#[derive(Clone, Debug, Default)]
pub struct WgpuInfo {
    /// Whether this build has the `wgpu` feature.
    pub compiled: bool,
    /// Every adapter wgpu enumerates, best first (discrete, integrated, virtual, other, CPU).
    pub adapters: Vec<AdapterInfo>,
}

/// The host's facts.
pub fn host() -> HostInfo {
    HostInfo {
        os: std::env::consts::OS,
        arch: std::env::consts::ARCH,
        cores: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        rayon_threads: rayon::current_num_threads(),
        simd: format!("{:?}", crate::cpu_rt::simd_level()),
    }
}

/// The CUDA driver's facts (opens each GPU once).
pub fn cuda() -> CudaInfo {
    crate::backend::cuda_info()
}

/// The wgpu adapters' facts.
pub fn wgpu() -> WgpuInfo {
    crate::backend::wgpu_info()
}

/// Where a shared library whose file name starts with `lib<stem>.so` is mapped into this
/// process (Linux; `None` elsewhere or when it is not loaded).
pub fn loaded_library(stem: &str) -> Option<String> {
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    let prefix = format!("lib{stem}.so");
    maps.lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .find(|p| {
            std::path::Path::new(p)
                .file_name()
                .and_then(|f| f.to_str())
                .is_some_and(|f| f.starts_with(&prefix))
        })
        .map(str::to_string)
}
