//! CUDA C on the host: the CUDA back end's generated source compiled with the system C++
//! compiler against `cuda_host.h` (CUDA's execution model on the CPU: fibers for the threads
//! of a block, `std::atomic_ref` atomics, 32-lane warps) and run on rayon's threads, so the
//! CUDA back end's code executes, and is compared with the CPU backend, without a GPU.
//!
//! A device of this kind reports [`Backend::Cuda`] (it runs the CUDA C, with CUDA's rules for
//! warps, rounding and conversions) and keeps its buffers in host memory, as the CPU backend
//! does. It is a verification tool ([`Device::cuda_host`](crate::Device::cuda_host)): it shows
//! what the generated C computes, not what the driver, PTX or a GPU's memory ordering do.

mod compile;
mod launch;

use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::kernel::{BoundsChecked, KernelDesc};
use crate::profile::LaunchRecord;
use compile::{Compiler, Module};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// One kernel's module, compiled at most once per device.
type Slot = Arc<Mutex<Option<Arc<Module>>>>;

pub(crate) struct HostCudaDevice {
    compiler: Compiler,
    /// By kernel name and source address (one entry per `KernelDesc`).
    modules: Mutex<HashMap<(&'static str, usize), Slot>>,
}

impl HostCudaDevice {
    /// `Err(Unavailable)` when no C++20 compiler is found.
    pub(crate) fn open() -> Result<HostCudaDevice> {
        let compiler = Compiler::find().map_err(|reason| Error::Unavailable {
            backend: Backend::Cuda,
            reason,
        })?;
        Ok(HostCudaDevice {
            compiler,
            modules: Mutex::default(),
        })
    }

    pub(crate) fn name(&self) -> String {
        format!("CUDA C on the host ({})", self.compiler.version)
    }

    /// The module of `source` (`desc`'s CUDA C or its bounds-checked version), compiling it
    /// (or loading it from the disk cache) at first use.
    fn module(
        &self,
        desc: &KernelDesc,
        source: &'static str,
        rec: &mut LaunchRecord,
    ) -> Result<Arc<Module>> {
        let key = (desc.name, source.as_ptr() as usize);
        let slot = self
            .modules
            .lock()
            .expect("module cache")
            .entry(key)
            .or_default()
            .clone();
        let mut slot = slot.lock().expect("module slot");
        if let Some(m) = &*slot {
            return Ok(m.clone());
        }
        let started = Instant::now();
        let m = Arc::new(self.compiler.module(desc.name, source).map_err(|message| {
            Error::Compile {
                kernel: desc.name,
                device: self.name(),
                message,
            }
        })?);
        rec.compile += started.elapsed();
        *slot = Some(m.clone());
        Ok(m)
    }

    /// Compiles and loads `desc`, or with `bounds` its checked version.
    pub(crate) fn warm_up(
        &self,
        desc: &KernelDesc,
        rec: &mut LaunchRecord,
        bounds: Option<&'static BoundsChecked>,
    ) -> Result<()> {
        let source = bounds.map_or(desc.cuda_source, |b| b.cuda_source);
        self.module(desc, source, rec).map(|_| ())
    }
}
