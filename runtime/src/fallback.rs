//! Per-launch CPU fallback: a launch that failed on a GPU (its code could not be compiled or
//! loaded, the device was lost, memory ran out) reruns on the CPU with host copies of its
//! buffers, and the written ones are copied back. Which failures are covered is a device's
//! setting (`Device::set_cpu_fallback`; devices from `best()` cover compile failures), and
//! `KERNELFORGE_FALLBACK=0` (`policy.rs`) turns every fallback off.

use crate::backend::{Backend, DeviceImpl};
use crate::device::Device;
use crate::error::{Error, Result};
use crate::kernel::{KernelArg, KernelDesc};
use crate::profile::LaunchRecord;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, OnceLock};

/// `FallbackState::mode` values.
const OFF: u8 = 0;
const COMPILE: u8 = 1;
const ALL: u8 = 2;

/// A device's fallback setting and record.
#[derive(Default)]
pub(crate) struct FallbackState {
    /// `OFF`, `COMPILE` (compile and load failures) or `ALL` (every device failure).
    mode: AtomicU8,
    /// Kernels that have fallen back, so each is logged once.
    fallen_back: Mutex<HashSet<&'static str>>,
}

impl FallbackState {
    /// `Device::set_cpu_fallback`.
    pub(crate) fn set(&self, enabled: bool) {
        let v = if enabled { ALL } else { OFF };
        self.mode.store(v, Ordering::Relaxed);
    }

    /// What devices from `best()` start with: compile and load failures rerun on the CPU.
    pub(crate) fn cover_compile_failures(&self) {
        self.mode.store(COMPILE, Ordering::Relaxed);
    }

    /// Whether `e`, from a launch on a device of `backend`, is rerun on the CPU.
    pub(crate) fn covers(&self, e: &Error, backend: Backend) -> bool {
        let covered = match self.mode.load(Ordering::Relaxed) {
            ALL => e.is_device_failure(),
            COMPILE => matches!(e, Error::Compile { .. }),
            _ => false,
        };
        covered && reruns_on(backend)
    }

    /// Whether `e`, an operation's refusal or failure on a device of `backend`, has the
    /// operation rerun on the CPU: with fallback on (`ALL`), device failures and
    /// `Error::Unsupported` (an adapter or driver limit the operation checked before
    /// launching).
    pub(crate) fn covers_operation(&self, e: &Error, backend: Backend) -> bool {
        let covered = self.mode.load(Ordering::Relaxed) == ALL
            && (e.is_device_failure() || matches!(e, Error::Unsupported { .. }));
        covered && reruns_on(backend)
    }

    /// The kernels that have fallen back, by name, sorted.
    pub(crate) fn kernels(&self) -> Vec<&'static str> {
        let mut v: Vec<_> = self
            .fallen_back
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .copied()
            .collect();
        v.sort_unstable();
        v
    }

    /// Records that `kernel` fell back; whether it is the first time.
    pub(crate) fn record(&self, kernel: &'static str) -> bool {
        self.fallen_back
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(kernel)
    }
}

/// Whether a covered failure on `backend` is rerun on the CPU: not on the CPU itself, and not
/// under `KERNELFORGE_FALLBACK=0`.
fn reruns_on(backend: Backend) -> bool {
    backend != Backend::Cpu && crate::policy::fallback_enabled()
}

/// The CPU device that holds host copies during per-launch CPU fallback.
pub(crate) fn cpu_device() -> &'static Device {
    static CPU: OnceLock<Device> = OnceLock::new();
    CPU.get_or_init(|| Device::new(DeviceImpl::Cpu, "per-launch CPU fallback".into()))
}

/// Copies the buffer arguments of a launch that failed on `dev` to host memory, runs the
/// kernel's CPU version, and copies the writable ones back. `failure` is the device's error,
/// logged on the kernel's first fallback and returned when the buffers cannot be read back.
pub(crate) fn launch_on_cpu(
    dev: &Device,
    desc: &KernelDesc,
    groups: [u32; 3],
    args: &mut [KernelArg<'_>],
    failure: Error,
) -> Result<()> {
    let host = cpu_device();
    let mut copies = Vec::new();
    // Whole buffers are copied (a view passes the same extent of the copy).
    for a in args.iter() {
        let Some((b, _, _)) = a.extent() else {
            continue;
        };
        let bytes = match dev.read_bytes(b) {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::error!(
                    kernel = desc.name,
                    "CPU fallback impossible: the buffers cannot be read back: {e}"
                );
                return Err(failure);
            }
        };
        copies.push(host.raw(host.imp().upload(&bytes)?, b.len, b.elem_size));
    }
    {
        let mut next = copies.iter_mut();
        let mut cpu_args: Vec<KernelArg<'_>> = Vec::with_capacity(args.len());
        for a in args.iter() {
            cpu_args.push(match a {
                KernelArg::Scalar(bits) => KernelArg::Scalar(*bits),
                KernelArg::Slice { offset, len, .. } => KernelArg::Slice {
                    buf: &*next.next().expect("one copy each"),
                    offset: *offset,
                    len: *len,
                },
                KernelArg::SliceMut { offset, len, .. } => KernelArg::SliceMut {
                    buf: next.next().expect("one copy each"),
                    offset: *offset,
                    len: *len,
                },
            });
        }
        host.imp().launch(
            desc,
            groups,
            &mut cpu_args,
            &mut LaunchRecord::default(),
            Default::default(),
        )?;
    }
    // Recorded (and logged, once per kernel) only once the CPU run happened, so that
    // `fallen_back_kernels` lists kernels that really ran there.
    if dev.fallback().record(desc.name) {
        tracing::warn!(
            kernel = desc.name,
            device = %dev.name(),
            "ran on the CPU instead: {failure}"
        );
    }
    let mut next = copies.iter();
    for a in args.iter_mut() {
        match a {
            KernelArg::Scalar(_) => {}
            KernelArg::Slice { .. } => {
                next.next();
            }
            KernelArg::SliceMut { buf, .. } => {
                let copy = next.next().expect("one copy each");
                let bytes = host.read_bytes(copy)?;
                dev.imp().write(buf, &bytes)?;
            }
        }
    }
    Ok(())
}
