//! Modules: a kernel's code loaded as the embedded cubin for this GPU, else the embedded PTX
//! the driver accepts, else NVRTC's cubin (disk-cached), else NVRTC's PTX; functions cached
//! per device.

use super::nvrtc::{compile_cubin_cached, compile_with_nvrtc, nvrtc_version};
use super::CudaDevice;
use crate::backend::Backend;
use crate::cache::DiskCache;
use crate::error::{Error, Result};
use crate::fault::{self, Fault};
use crate::kernel::{BoundsChecked, KernelDesc};
use crate::profile::LaunchRecord;
use crate::ptx::{cuda_version_name, pick_cubin, ptx_isa, ptx_verdict, PtxPlan};
use cudarc::driver::CudaFunction;
use std::sync::Arc;
use std::time::{Duration, Instant};

impl CudaDevice {
    /// Loads `desc`'s module and function (PTX, or NVRTC's cubin), or with `bounds` its
    /// checked version's.
    pub(crate) fn warm_up(
        &self,
        desc: &KernelDesc,
        rec: &mut LaunchRecord,
        bounds: Option<&'static BoundsChecked>,
    ) -> Result<()> {
        let source = bounds.map_or(desc.cuda_source, |b| b.cuda_source);
        self.function(desc, source, &mut rec.compile).map(|_| ())
    }

    /// The function of `source`: `desc`'s CUDA C, or its bounds-checked version (compiled by
    /// NVRTC: nvcc builds only the unchecked one).
    pub(super) fn function(
        &self,
        desc: &KernelDesc,
        source: &'static str,
        compile: &mut Duration,
    ) -> Result<CudaFunction> {
        let key = (desc.name, source.as_ptr() as usize);
        if let Some(f) = self.functions.lock().expect("function cache").get(&key) {
            return Ok(f.clone());
        }
        let started = Instant::now();
        let module = self.module(desc, source)?;
        let f = module
            .load_function(desc.name)
            .map_err(|e| Error::Compile {
                kernel: desc.name,
                device: self.name(),
                message: format!("the module has no entry point `{}`: {e:?}", desc.name),
            })?;
        *compile += started.elapsed();
        self.functions
            .lock()
            .expect("function cache")
            .insert(key, f.clone());
        Ok(f)
    }

    /// The kernel's module: the embedded cubin for this GPU when there is one, else the
    /// embedded PTX when the driver takes its ISA, else a cubin NVRTC
    /// compiles for this GPU (disk-cached), else NVRTC's PTX for its virtual architecture.
    /// The error lists every step tried, with the version numbers and the remedy.
    fn module(
        &self,
        desc: &KernelDesc,
        source: &'static str,
    ) -> Result<Arc<cudarc::driver::CudaModule>> {
        let fail = |steps: &[String]| Error::Compile {
            kernel: desc.name,
            device: self.name(),
            message: steps.join("; "),
        };
        if fault::fires(Backend::Cuda, Fault::Compile, Some(desc.name)) {
            return Err(fail(&["injected compile failure (test hook)".into()]));
        }
        let mut steps = Vec::new();
        // The embedded cubins and PTX are of `desc.cuda_source` alone.
        let embedded = source.as_ptr() == desc.cuda_source.as_ptr();
        let (cubins, ptx) = match embedded {
            true => (desc.cubins, desc.ptx),
            false => (&[][..], None),
        };
        if let Some((sm, bin)) = pick_cubin(cubins, self.cc) {
            match self
                .ctx
                .load_module(cudarc::nvrtc::Ptx::from_binary(bin.to_vec()))
            {
                Ok(m) => return Ok(m),
                Err(e) => {
                    steps.push(format!(
                        "the driver refused the embedded sm_{sm} cubin: {e:?}"
                    ));
                    tracing::warn!(kernel = desc.name, "{}; trying the PTX", steps[0]);
                }
            }
        }
        let nvrtc = nvrtc_version();
        match ptx {
            Some(ptx) => {
                let verdict = ptx_verdict(ptx_isa(ptx), Some(self.driver), nvrtc);
                if verdict.plan == PtxPlan::Embedded {
                    match self.ctx.load_module(cudarc::nvrtc::Ptx::from_src(ptx)) {
                        Ok(m) => return Ok(m),
                        Err(e) => steps.push(format!(
                            "the driver ({}) refused the embedded PTX: {e:?}",
                            cuda_version_name(self.driver)
                        )),
                    }
                } else {
                    steps.push(verdict.message);
                }
                if !crate::policy::fallback_enabled() {
                    steps.push("KERNELFORGE_FALLBACK=0 forbids recompiling with NVRTC".into());
                    return Err(fail(&steps));
                }
                if let Some(why) = steps.last() {
                    tracing::warn!(kernel = desc.name, "{why}; recompiling with NVRTC");
                }
            }
            None if !embedded => {
                steps.push("checked versions have no embedded PTX (nvcc builds none)".into())
            }
            None => steps.push("no PTX was embedded (nvcc was not found at build time)".into()),
        }
        let cache = DiskCache::from_env();
        match compile_cubin_cached(desc.name, source, self.cc, self.driver, cache.as_ref()) {
            Ok((bin, _)) => match self.ctx.load_module(cudarc::nvrtc::Ptx::from_binary(bin)) {
                Ok(m) => return Ok(m),
                Err(e) => steps.push(format!(
                    "the driver refused NVRTC's cubin for sm_{}{}: {e:?}",
                    self.cc.0, self.cc.1
                )),
            },
            Err(e) => steps.push(e.to_string()),
        }
        if nvrtc.is_some() {
            let arch = format!("compute_{}{}", self.cc.0, self.cc.1);
            match compile_with_nvrtc(desc.name, source, &arch) {
                Ok(ptx) => match self.ctx.load_module(cudarc::nvrtc::Ptx::from_src(ptx)) {
                    Ok(m) => return Ok(m),
                    Err(e) => {
                        steps.push(format!("the driver refused NVRTC's PTX for {arch}: {e:?}"))
                    }
                },
                Err(e) => steps.push(e.to_string()),
            }
        }
        Err(fail(&steps))
    }
}
