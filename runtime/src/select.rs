//! Device selection: what `Device::best()` tries, in which order, and the report of why each
//! backend was chosen or skipped. The choice is made once per process.

use crate::backend::{cuda_present, wgpu_hardware_present, Backend, DeviceImpl};
use crate::device::Device;
use crate::error::{Error, Result};
use std::sync::Mutex;

/// `Device::best()`: the choice, or the CPU device with the error in its report.
pub(crate) fn best() -> Device {
    match try_best() {
        Ok(d) => d,
        Err(e) => {
            tracing::error!("Device::best(): {e}; using the CPU backend");
            Device::cpu_reporting(format!(
                "no device chosen: {e}\nusing the CPU backend instead"
            ))
        }
    }
}

/// `Device::try_best()`: the cached choice, or a new one (cached when it succeeds). The chosen
/// device reruns on the CPU the kernels it cannot compile or load.
pub(crate) fn try_best() -> Result<Device> {
    static BEST: Mutex<Option<Device>> = Mutex::new(None);
    let mut best = BEST.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(d) = &*best {
        return Ok(d.clone());
    }
    let d = choose()?;
    d.fallback().cover_compile_failures();
    *best = Some(d.clone());
    Ok(d)
}

/// The backend `KERNELFORGE_BACKEND` forces (`cuda`, `wgpu` or `cpu`), or `None` when it is
/// unset, empty or `auto`; [`Error::BadEnv`] for any other value.
fn forced_backend() -> Result<Option<Backend>> {
    match std::env::var("KERNELFORGE_BACKEND") {
        Ok(v) if v.is_empty() || v == "auto" => Ok(None),
        Ok(v) => Ok(Some(match v.as_str() {
            "cuda" => Backend::Cuda,
            "wgpu" => Backend::Wgpu,
            "cpu" => Backend::Cpu,
            _ => {
                return Err(Error::BadEnv {
                    var: "KERNELFORGE_BACKEND",
                    value: v,
                    expected: "use cuda, wgpu, cpu or auto",
                })
            }
        })),
        Err(_) => Ok(None),
    }
}

/// `Device::forced()`: the device `KERNELFORGE_BACKEND` forces, if any.
pub(crate) fn forced() -> Result<Option<Device>> {
    forced_backend()?.map(open_forced).transpose()
}

/// CUDA GPU 0, else a hardware wgpu adapter, else the CPU; or the forced backend.
fn choose() -> Result<Device> {
    if let Some(b) = forced_backend()? {
        let dev = open_forced(b)?;
        let report = format!(
            "KERNELFORGE_BACKEND={} forces this backend\nchose: {}",
            b.as_str(),
            dev.name()
        );
        return Ok(dev.with_report(report));
    }
    let strict = !crate::policy::fallback_enabled();
    let mut lines = Vec::new();
    match Device::cuda(0) {
        Ok(d) => {
            lines.push(format!("cuda: chosen, {}", d.name()));
            return Ok(d.with_report(lines.join("\n")));
        }
        Err(e) if strict && cuda_present() => return Err(strict_error(e)),
        Err(e) => lines.push(format!("cuda: skipped: {e}")),
    }
    match DeviceImpl::wgpu(true) {
        Ok(w) => {
            lines.push(format!("wgpu: chosen, {}", w.name()));
            return Ok(Device::new(w, lines.join("\n")));
        }
        Err(e) if strict && wgpu_hardware_present() => return Err(strict_error(e)),
        Err(e) => lines.push(format!("wgpu: skipped: {e}")),
    }
    lines.push(format!("cpu: chosen, {}", DeviceImpl::Cpu.name()));
    Ok(Device::cpu_reporting(lines.join("\n")))
}

/// The device of backend `b`, which `KERNELFORGE_BACKEND` forces: CUDA GPU 0, the best wgpu
/// adapter, or the CPU; [`Error::Unavailable`] saying that the variable forces it when it
/// cannot be opened.
fn open_forced(b: Backend) -> Result<Device> {
    let dev = match b {
        Backend::Cuda => Device::cuda(0),
        Backend::Wgpu => Device::wgpu(),
        Backend::Cpu => Ok(Device::cpu()),
    };
    dev.map_err(|e| match e {
        Error::Unavailable { backend, reason } => Error::Unavailable {
            backend,
            reason: format!(
                "{reason} (KERNELFORGE_BACKEND={} forces it: unset the variable, or set it to \
                 auto, to let Device::best() choose)",
                b.as_str()
            ),
        },
        e => e,
    })
}

/// `e`, saying that `KERNELFORGE_FALLBACK=0` is why it is not skipped.
fn strict_error(e: Error) -> Error {
    match e {
        Error::Unavailable { backend, reason } => Error::Unavailable {
            backend,
            reason: format!(
                "{reason} (it is present, and KERNELFORGE_FALLBACK=0 forbids moving on to the \
                 next backend)"
            ),
        },
        e => e,
    }
}
