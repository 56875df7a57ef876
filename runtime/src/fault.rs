//! Test-only fault injection into the real backends: a test arms a fault for a backend (and,
//! optionally, one kernel), and the backend's own code path fails at the point where the real
//! failure would surface, with the error the real failure gives. Nothing is mocked: buffers,
//! pipelines and fallbacks are the real ones.
//!
//! Disarmed, the cost is one relaxed atomic load per allocation, compilation and launch.

use crate::backend::Backend;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// What to make fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Compiling or loading a kernel's code (WGSL pipeline creation, NVRTC/PTX loading):
    /// `Error::Compile`. Pipelines and modules are cached per device, so this fires for a
    /// kernel the device has not compiled yet.
    Compile,
    /// The device is lost at launch: `Error::DeviceLost`.
    DeviceLost,
    /// An allocation does not fit: `Error::OutOfMemory`. Fires in `upload` and `zeros` (arm it
    /// with no kernel).
    OutOfMemory,
}

struct Armed {
    backend: Backend,
    fault: Fault,
    kernel: Option<&'static str>,
    remaining: u32,
}

static ANY: AtomicBool = AtomicBool::new(false);
static ARMED: Mutex<Vec<Armed>> = Mutex::new(Vec::new());

/// Arms `fault` on `backend` for the next `times` occasions, for `kernel` only when given
/// (allocations have no kernel: arm `OutOfMemory` with `None` to fail them).
pub fn inject(backend: Backend, fault: Fault, kernel: Option<&'static str>, times: u32) {
    let mut armed = ARMED.lock().unwrap_or_else(|e| e.into_inner());
    armed.push(Armed {
        backend,
        fault,
        kernel,
        remaining: times,
    });
    ANY.store(true, Ordering::Release);
}

/// Disarms every fault.
pub fn clear() {
    let mut armed = ARMED.lock().unwrap_or_else(|e| e.into_inner());
    armed.clear();
    ANY.store(false, Ordering::Release);
}

/// Whether `fault` fires now on `backend` for `kernel` (consuming one occasion).
pub(crate) fn fires(backend: Backend, fault: Fault, kernel: Option<&str>) -> bool {
    if !ANY.load(Ordering::Relaxed) {
        return false;
    }
    let mut armed = ARMED.lock().unwrap_or_else(|e| e.into_inner());
    let hit = armed.iter_mut().find(|a| {
        a.backend == backend
            && a.fault == fault
            && a.remaining > 0
            && (a.kernel.is_none() || a.kernel == kernel)
    });
    match hit {
        Some(a) => {
            a.remaining -= 1;
            armed.retain(|a| a.remaining > 0);
            if armed.is_empty() {
                ANY.store(false, Ordering::Release);
            }
            true
        }
        None => false,
    }
}
