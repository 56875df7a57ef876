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
    !std::env::var("KERNELFORGE_FALLBACK").is_ok_and(|v| switched_off(&v))
}

/// Whether an on/off environment variable's value says off: `0`, `false`, `off` or `no`, in
/// any case, surrounding spaces ignored.
pub(crate) fn switched_off(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "0" | "false" | "off" | "no"
    )
}

/// Whether `KERNELFORGE_CHECK` asks for the CPU backend's race check (`races`, among
/// comma-separated checks).
pub(crate) fn race_check() -> bool {
    check_asked("races")
}

/// Whether `KERNELFORGE_CHECK` asks for the GPU backends' bounds check (`bounds`, among
/// comma-separated checks).
pub(crate) fn bounds_check() -> bool {
    check_asked("bounds")
}

fn check_asked(check: &str) -> bool {
    std::env::var("KERNELFORGE_CHECK").is_ok_and(|v| v.split(',').any(|c| c.trim() == check))
}
