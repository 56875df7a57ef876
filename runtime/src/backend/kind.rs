//! Which backend: the one name every part of the runtime (errors, fault injection, profiles,
//! device selection) uses for it. A leaf: it imports nothing from the crate.

/// A kind of backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// NVIDIA GPUs through the CUDA driver (PTX from nvcc at build time, or NVRTC).
    Cuda,
    /// Vulkan, Metal and DX12 GPUs through wgpu and WGSL.
    Wgpu,
    /// The host CPU through rayon.
    Cpu,
}

impl Backend {
    /// `cuda`, `wgpu` or `cpu`, as `KERNELFORGE_BACKEND` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Cuda => "cuda",
            Backend::Wgpu => "wgpu",
            Backend::Cpu => "cpu",
        }
    }
}

impl std::fmt::Display for Backend {
    /// `CUDA`, `wgpu` or `CPU`, as messages spell it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Cuda => "CUDA",
            Backend::Wgpu => "wgpu",
            Backend::Cpu => "CPU",
        })
    }
}
