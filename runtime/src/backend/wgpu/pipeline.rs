//! Compute pipelines: one per kernel, module and entry point, cached per device (and on disk
//! through the pipeline cache), after the checks of what the adapter offers.

use super::WgpuDevice;
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::fault::{self, Fault};
use crate::kernel::{BoundsChecked, KernelDesc};
use crate::profile::LaunchRecord;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A pipeline's kernel name, module (its source's address), whether it is the `_folded`
/// entry point, the length of its launch-sized workgroup array (0 without one), and the
/// offsets of its views in their bindings where not 0 (parameter index, elements).
pub(super) type PipelineKey = (&'static str, usize, bool, u32, Vec<(usize, u32)>);

pub(super) struct Pipeline {
    pub(super) pipeline: wgpu::ComputePipeline,
    pub(super) layout: wgpu::BindGroupLayout,
}

/// The remedy for a workgroup size over the adapter's limits.
const WORKGROUP_FIX: &str = "this adapter allows fewer invocations per workgroup than CUDA's \
                             1024 (WebGPU guarantees 256); use a smaller workgroup_size in \
                             #[compute_kernel], or run on the CUDA or CPU backend";

impl WgpuDevice {
    /// The compute pipeline of `source`, one of `desc`'s two WGSL modules, at its entry point
    /// `<name>_folded` when `folded` (generated scalar modules have it, for grids folded into
    /// more dimensions), else `<name>`; its launch-sized workgroup array (if any) holds
    /// `shared_len` elements (the `kf_shared_len` override: one pipeline per length), and
    /// slice parameter `k` of `offsets` starts that many elements into its binding (the
    /// `kf_off_<k>` overrides: one pipeline per set of offsets; whole buffers and views on the
    /// alignment use the default of 0, which the compiler folds away).
    pub(super) fn pipeline(
        &self,
        desc: &KernelDesc,
        source: &'static str,
        folded: bool,
        shared_len: u32,
        offsets: &[(usize, u32)],
        compile: &mut Duration,
    ) -> Result<Arc<Pipeline>> {
        let key = (
            desc.name,
            source.as_ptr() as usize,
            folded,
            shared_len,
            offsets.to_vec(),
        );
        if let Some(p) = self.pipelines.lock().expect("pipeline cache").get(&key) {
            return Ok(p.clone());
        }
        for (needed, feature, what) in [
            (
                desc.shader_f16,
                wgpu::Features::SHADER_F16,
                "`f16` in shaders (SHADER_F16)",
            ),
            (
                desc.shader_f64,
                wgpu::Features::SHADER_F64,
                "`f64` in shaders (SHADER_F64)",
            ),
            (
                desc.subgroup_barrier,
                wgpu::Features::SUBGROUP_BARRIER,
                "`subgroup_barrier()` (SUBGROUP_BARRIER)",
            ),
        ] {
            if needed && !self.device.features().contains(feature) {
                return Err(Error::Unsupported {
                    kernel: desc.name,
                    what,
                    device: self.name(),
                    fix: "this adapter does not offer the feature (`kernelforge info` lists \
                          the features); run the kernel on the CUDA or CPU backend",
                });
            }
        }
        if desc.subgroups && !self.device.features().contains(wgpu::Features::SUBGROUP) {
            return Err(Error::Unsupported {
                kernel: desc.name,
                what: "subgroup operations",
                device: self.name(),
                fix: "this adapter does not offer wgpu's SUBGROUP feature (`kernelforge info` \
                      lists the features); run it on the CUDA or CPU backend",
            });
        }
        let l = &self.limits;
        let dims = [
            ("the workgroup size in x", l.max_compute_workgroup_size_x),
            ("the workgroup size in y", l.max_compute_workgroup_size_y),
            ("the workgroup size in z", l.max_compute_workgroup_size_z),
        ];
        for ((what, limit), &size) in dims.into_iter().zip(&desc.workgroup_size) {
            if size > limit {
                return Err(Error::TooLarge {
                    what,
                    value: size as u64,
                    limit: limit as u64,
                    fix: WORKGROUP_FIX,
                });
            }
        }
        let inv: u32 = desc.workgroup_size.iter().product();
        if inv > self.limits.max_compute_invocations_per_workgroup {
            return Err(Error::TooLarge {
                what: "the workgroup size",
                value: inv as u64,
                limit: self.limits.max_compute_invocations_per_workgroup as u64,
                fix: WORKGROUP_FIX,
            });
        }
        let shared = desc
            .shared_len
            .map_or(0, |s| shared_len as u64 * s.wgsl_elem_bytes as u64);
        let bytes = desc.workgroup_bytes as u64 + shared;
        if bytes > self.limits.max_compute_workgroup_storage_size as u64 {
            return Err(Error::TooLarge {
                what: "the kernel's workgroup memory (bytes, launch-sized array included)",
                value: bytes,
                limit: self.limits.max_compute_workgroup_storage_size as u64,
                fix: "this adapter offers less workgroup memory (WebGPU guarantees 16 KiB); use \
                      smaller shared arrays, or run on the CUDA or CPU backend",
            });
        }
        if fault::fires(Backend::Wgpu, Fault::Compile, Some(desc.name)) {
            return Err(Error::Compile {
                kernel: desc.name,
                device: self.name(),
                message: "injected compile failure (test hook)".into(),
            });
        }
        let started = Instant::now();
        let _scopes = self.scopes.lock().unwrap_or_else(|e| e.into_inner());
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(desc.name),
                source: wgpu::ShaderSource::Wgsl(source.into()),
            });
        let mut entries = vec![wgpu::BindGroupLayoutEntry {
            binding: 0,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Uniform,
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        }];
        // A bounds-checked module's fault record follows the slices.
        let fault = desc
            .bounds_checked
            .is_some_and(|b| b.wgsl_source.as_ptr() == source.as_ptr());
        let storage = desc.params.iter().filter_map(|p| p.slice);
        for mutable in storage.chain(fault.then_some(true)) {
            entries.push(wgpu::BindGroupLayoutEntry {
                binding: entries.len() as u32,
                visibility: wgpu::ShaderStages::COMPUTE,
                ty: wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Storage {
                        read_only: !mutable,
                    },
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
                count: None,
            });
        }
        let layout = self
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some(desc.name),
                entries: &entries,
            });
        let pl = self
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some(desc.name),
                bind_group_layouts: &[Some(&layout)],
                immediate_size: 0,
            });
        // An override-sized array needs at least one element; modules without one take no
        // such constant.
        let names: Vec<String> = offsets.iter().map(|(k, _)| format!("kf_off_{k}")).collect();
        let mut constants: Vec<(&str, f64)> = names
            .iter()
            .zip(offsets)
            .map(|(n, &(_, v))| (n.as_str(), v as f64))
            .collect();
        if desc.shared_len.is_some() {
            constants.push(("kf_shared_len", shared_len.max(1) as f64));
        }
        let entry = if folded {
            format!("{}_folded", desc.name)
        } else {
            desc.name.to_string()
        };
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(desc.name),
                layout: Some(&pl),
                module: &module,
                entry_point: Some(&entry),
                compilation_options: wgpu::PipelineCompilationOptions {
                    constants: &constants,
                    ..Default::default()
                },
                cache: self.disk.as_ref().map(|d| &d.cache),
            });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(Error::Compile {
                kernel: desc.name,
                device: self.name(),
                message: format!("wgpu rejected the WGSL pipeline: {e}"),
            });
        }
        *compile += started.elapsed();
        // Other threads may launch while the cache is written.
        drop(_scopes);
        if let Some(d) = &self.disk {
            d.save();
        }
        let p = Arc::new(Pipeline { pipeline, layout });
        self.pipelines
            .lock()
            .expect("pipeline cache")
            .insert(key, p.clone());
        Ok(p)
    }

    /// Builds the pipelines a launch of `desc` uses for grids within the adapter's limits: the
    /// scalar module's direct entry point and, for elementwise kernels, the `x4` module; with
    /// `bounds`, the checked scalar module alone.
    pub(crate) fn warm_up(
        &self,
        desc: &KernelDesc,
        rec: &mut LaunchRecord,
        bounds: Option<&'static BoundsChecked>,
    ) -> Result<()> {
        // A launch-sized array's length is known at launch only.
        if desc.shared_len.is_some() {
            return Ok(());
        }
        if let Some(b) = bounds {
            return self
                .pipeline(desc, b.wgsl_source, false, 0, &[], &mut rec.compile)
                .map(|_| ());
        }
        self.pipeline(desc, desc.wgsl_source, false, 0, &[], &mut rec.compile)?;
        if let Some(x4) = desc.wgsl_x4_source {
            self.pipeline(desc, x4, false, 0, &[], &mut rec.compile)?;
        }
        Ok(())
    }
}
