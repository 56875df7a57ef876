//! The backends. Each offers: open a device, allocate, upload, read back, launch.

pub(crate) mod cpu;
#[cfg(feature = "cuda")]
pub(crate) mod cuda;
#[cfg(feature = "wgpu")]
pub(crate) mod wgpu;

use crate::device::Backend;

/// What probing one backend found, for `kernelforge info` and the selection report.
#[derive(Clone, Debug)]
pub struct BackendProbe {
    /// The backend.
    pub backend: Backend,
    /// Whether a device of it can be opened.
    pub available: bool,
    /// The device's name when available, else why not.
    pub summary: String,
    /// Further facts (driver, limits, features), one per line.
    pub details: Vec<String>,
}

/// Probes every backend compiled into this build.
pub fn probe_all() -> Vec<BackendProbe> {
    #[cfg(feature = "cuda")]
    let mut out = vec![cuda::probe()];
    #[cfg(not(feature = "cuda"))]
    let mut out = vec![BackendProbe {
        backend: Backend::Cuda,
        available: false,
        summary: "not compiled in (enable the `cuda` feature)".into(),
        details: vec![],
    }];
    #[cfg(feature = "wgpu")]
    out.extend(wgpu::probe());
    #[cfg(not(feature = "wgpu"))]
    out.push(BackendProbe {
        backend: Backend::Wgpu,
        available: false,
        summary: "not compiled in (enable the `wgpu` feature)".into(),
        details: vec![],
    });
    out.push(cpu::probe());
    out
}
