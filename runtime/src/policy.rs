//! The fallback policy's switch, `KERNELFORGE_FALLBACK`.
//!
//! Fallbacks are: `Device::best()` moving past a backend that is present but fails to open
//! (a driver with GPUs whose device cannot be opened, a hardware wgpu adapter that refuses a
//! device), the CUDA backend recompiling with NVRTC because the driver refuses the embedded
//! PTX, and per-launch CPU fallback (`Device::set_cpu_fallback`, and compile failures on
//! devices from `best()`). `KERNELFORGE_FALLBACK=0` (or `false`, `off`, `no`) turns
//! each into the error it would have recovered from.

/// Whether fallbacks are allowed (the default).
pub(crate) fn fallback_enabled() -> bool {
    !matches!(
        std::env::var("KERNELFORGE_FALLBACK")
            .map(|v| v.trim().to_ascii_lowercase())
            .as_deref(),
        Ok("0" | "false" | "off" | "no")
    )
}
