//! `kernelforge info`: what this machine and build can run, and why not, as text or JSON.
//!
//! The runtime's facts ([`host`], [`cuda`], [`wgpu`]) plus this build's: the nvcc that made the
//! embedded PTX, its ISA version, and the verdict of that ISA against the driver.

pub use kernelforge::info::*;

use kernelforge::{build_info, Device};
use serde_json::{json, Value};

/// Everything `kernelforge info` shows, gathered once.
#[derive(Clone, Debug)]
pub struct Machine {
    /// The host.
    pub host: HostInfo,
    /// The CUDA driver, GPUs and NVRTC.
    pub cuda: CudaInfo,
    /// The wgpu adapters.
    pub wgpu: WgpuInfo,
    /// The ISA version of the PTX embedded at build time (`None`: nvcc was not found).
    pub embedded_ptx_isa: Option<(u32, u32)>,
    /// The embedded PTX against this driver.
    pub ptx_verdict: PtxVerdict,
    /// `Device::best()`'s choice: the device's name, or `none: ` and the error when the choice
    /// fails (a forced backend that is unavailable).
    pub best: String,
    /// `Device::best()`'s reasons, one line per backend tried.
    pub best_report: Vec<String>,
}

/// Gathers the facts (opens every backend once; never fails).
pub fn gather() -> Machine {
    let cuda = cuda();
    let embedded_ptx_isa = build_info::embedded_ptx_isa();
    let ptx_verdict = ptx_verdict(embedded_ptx_isa, cuda.driver_version, cuda.nvrtc_version);
    // `try_best`, so that a forced backend that is unavailable shows as such rather than as
    // the CPU device `best()` returns in its place.
    let (best, best_report) = match Device::try_best() {
        Ok(d) => (
            d.name(),
            d.selection_report().lines().map(String::from).collect(),
        ),
        Err(e) => (
            format!("none: {e}"),
            vec![
                "Device::try_best() returns this error; Device::best() logs it and returns the \
                 CPU device"
                    .into(),
            ],
        ),
    };
    Machine {
        host: host(),
        wgpu: wgpu(),
        embedded_ptx_isa,
        ptx_verdict,
        best,
        best_report,
        cuda,
    }
}

fn version_text(v: Option<(impl std::fmt::Display, impl std::fmt::Display)>) -> Value {
    v.map(|(a, b)| Value::String(format!("{a}.{b}")))
        .unwrap_or(Value::Null)
}

fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / (1u64 << 30) as f64)
}

impl Machine {
    /// The facts as one JSON object (`kernelforge info --json`); absent facts are `null`.
    pub fn to_json(&self) -> Value {
        let gpus: Vec<Value> = self
            .cuda
            .gpus
            .iter()
            .map(|g| {
                json!({
                    "ordinal": g.ordinal,
                    "name": g.name,
                    "compute_capability": format!("{}.{}", g.compute_capability.0, g.compute_capability.1),
                    "sm_count": g.sm_count,
                    "memory_total_bytes": g.memory_total,
                    "memory_free_bytes": g.memory_free,
                })
            })
            .collect();
        let adapters: Vec<Value> = self
            .wgpu
            .adapters
            .iter()
            .map(|a| {
                json!({
                    "name": a.name,
                    "backend": a.backend,
                    "device_type": a.device_type,
                    "driver": a.driver,
                    "limits": {
                        "max_workgroup_storage_bytes": a.max_workgroup_storage,
                        "max_invocations_per_workgroup": a.max_invocations_per_workgroup,
                        "max_storage_binding_bytes": a.max_storage_binding,
                        "max_workgroups_per_dimension": a.max_workgroups_per_dimension,
                    },
                    "features": {
                        "f16": a.f16,
                        "f64": a.f64,
                        "subgroups": a.subgroups.is_some(),
                        "subgroup_sizes": a.subgroups.map(|(lo, hi)| json!([lo, hi])),
                        "int64": a.int64,
                        "timestamp_queries": a.timestamp_queries,
                        "pipeline_cache": a.pipeline_cache,
                    },
                })
            })
            .collect();
        json!({
            "host": {
                "os": self.host.os,
                "arch": self.host.arch,
                "cores": self.host.cores,
                "rayon_threads": self.host.rayon_threads,
                "simd": self.host.simd,
            },
            "build": {
                "nvcc_version": build_info::NVCC_VERSION,
                "nvcc_path": (!build_info::NVCC_PATH.is_empty()).then_some(build_info::NVCC_PATH),
                "ptx_arch": build_info::CUDA_ARCH,
                "embedded_ptx_isa": version_text(self.embedded_ptx_isa),
                "embedded_cubins": build_info::embedded_cubins()
                    .iter()
                    .map(|sm| format!("sm_{sm}"))
                    .collect::<Vec<_>>(),
            },
            "cuda": {
                "compiled": self.cuda.compiled,
                "driver_library": self.cuda.driver_library,
                "driver_version": self.cuda.driver_version.map(cuda_version_name),
                "max_ptx_isa": version_text(self.cuda.driver_version.map(max_ptx_isa)),
                "ptx_plan": format!("{:?}", self.ptx_verdict.plan),
                "ptx_verdict": self.ptx_verdict.message,
                "nvrtc_version": version_text(self.cuda.nvrtc_version),
                "nvrtc_library": self.cuda.nvrtc_library,
                "error": self.cuda.error,
                "gpus": gpus,
            },
            "wgpu": {
                "compiled": self.wgpu.compiled,
                "adapters": adapters,
            },
            "best": {
                "device": self.best,
                "report": self.best_report,
            },
        })
    }

    /// The facts as lines of text (`kernelforge info`).
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let mut line = |l: String| {
            s += &l;
            s.push('\n');
        };
        let h = &self.host;
        line(format!(
            "host: {} {}, {} cores, {} rayon threads, {} SIMD",
            h.os, h.arch, h.cores, h.rayon_threads, h.simd
        ));
        line(format!(
            "build: nvcc {}{}; PTX for {}, ISA {}",
            build_info::NVCC_VERSION,
            if build_info::NVCC_PATH.is_empty() {
                String::new()
            } else {
                format!(" ({})", build_info::NVCC_PATH)
            },
            build_info::CUDA_ARCH,
            self.embedded_ptx_isa
                .map(|(a, b)| format!("{a}.{b}"))
                .unwrap_or_else(|| "none embedded".into())
        ));
        let cubins = build_info::embedded_cubins();
        line(if cubins.is_empty() {
            "build: no cubins embedded (list sm_XY in KERNELFORGE_CUDA_ARCH at build time)".into()
        } else {
            let names: Vec<String> = cubins.iter().map(|sm| format!("sm_{sm}")).collect();
            format!("build: cubins embedded for {}", names.join(", "))
        });
        let c = &self.cuda;
        match c.driver_version {
            Some(v) => {
                let (a, b) = max_ptx_isa(v);
                line(format!(
                    "cuda: driver {} ({}), loads PTX ISA up to {a}.{b}",
                    cuda_version_name(v),
                    c.driver_library.as_deref().unwrap_or("libcuda")
                ));
            }
            None => line(format!(
                "cuda: unavailable: {}",
                c.error.as_deref().unwrap_or("no driver")
            )),
        }
        for g in &c.gpus {
            line(format!(
                "    GPU {}: {}, compute capability {}.{}, {} SMs, {} free of {}",
                g.ordinal,
                g.name,
                g.compute_capability.0,
                g.compute_capability.1,
                g.sm_count,
                gib(g.memory_free),
                gib(g.memory_total)
            ));
        }
        if let (Some(_), Some(e)) = (c.driver_version, &c.error) {
            line(format!("    {e}"));
        }
        line(format!(
            "    PTX: {:?}: {}",
            self.ptx_verdict.plan, self.ptx_verdict.message
        ));
        line(match c.nvrtc_version {
            Some((a, b)) => format!(
                "    NVRTC {a}.{b} ({})",
                c.nvrtc_library.as_deref().unwrap_or("libnvrtc")
            ),
            None => "    NVRTC: not found (pip install nvidia-cuda-nvrtc; put its lib folder on \
                     LD_LIBRARY_PATH)"
                .into(),
        });
        if !self.wgpu.compiled {
            line("wgpu: not compiled in (enable the `wgpu` feature)".into());
        } else if self.wgpu.adapters.is_empty() {
            line(
                "wgpu: no adapter (install a Vulkan driver, e.g. Debian's mesa-vulkan-drivers \
                 for lavapipe)"
                    .into(),
            );
        }
        for a in &self.wgpu.adapters {
            line(format!(
                "wgpu: {} ({}, {}, driver {})",
                a.name, a.backend, a.device_type, a.driver
            ));
            line(format!(
                "    limits: workgroup storage {} B, {} invocations/workgroup, storage binding \
                 {} B, {} workgroups/dimension",
                a.max_workgroup_storage,
                a.max_invocations_per_workgroup,
                a.max_storage_binding,
                a.max_workgroups_per_dimension
            ));
            line(format!(
                "    features: f16 {}, f64 {}, subgroups {}, int64 {}, timestamp queries {}, \
                 pipeline cache {}",
                a.f16,
                a.f64,
                match a.subgroups {
                    Some((lo, hi)) => format!("yes (size {lo}..={hi})"),
                    None => "no (kernels with subgroup operations refuse to launch)".into(),
                },
                a.int64,
                a.timestamp_queries,
                a.pipeline_cache
            ));
        }
        line(format!("Device::best() picks: {}", self.best));
        for l in &self.best_report {
            line(format!("    {l}"));
        }
        s
    }
}
