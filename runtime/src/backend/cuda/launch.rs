//! Launches: the launch-ABI words as kernel parameters, the grid folded past `gridDim.x`'s
//! limit, and CUDA events while profiling.

use super::{CudaBuffer, CudaDevice};
use crate::backend::{Arg, Backend};
use crate::error::{Error, Result};
use crate::fault::{self, Fault};
use crate::kernel::{BoundsChecked, KernelDesc, ScalarType};
use crate::profile::LaunchRecord;
use cudarc::driver::{CudaFunction, LaunchConfig, PushKernelArg};
use std::time::Duration;

impl CudaDevice {
    /// Delivers the timings of profiled launches that have completed; the rest wait.
    pub(super) fn collect_timings(&self) {
        self.timings.collect(|(start, end, sink)| {
            if !end.is_complete() {
                return Some((start, end, sink));
            }
            if let Ok(ms) = start.elapsed_ms(&end) {
                sink.record(Duration::from_secs_f64(ms.max(0.0) as f64 * 1e-3));
            }
            None
        });
    }

    /// Runs `desc`, or with `bounds` its bounds-checked version, and then waits for it and
    /// reads its fault record.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn launch(
        &self,
        desc: &KernelDesc,
        groups: [u32; 3],
        words: &[u32],
        args: &[Arg<'_, CudaBuffer>],
        shared_bytes: u64,
        rec: &mut LaunchRecord,
        bounds: Option<&'static BoundsChecked>,
    ) -> Result<()> {
        let source = bounds.map_or(desc.cuda_source, |b| b.cuda_source);
        let f = self.function(desc, source, &mut rec.compile)?;
        self.size_dynamic_shared(desc, &f, shared_bytes)?;
        self.collect_timings();
        let context = || format!("launching kernel `{}`", desc.name);
        if fault::fires(Backend::Cuda, Fault::DeviceLost, Some(desc.name)) {
            return Err(Error::DeviceLost {
                device: self.name(),
                context: context(),
                message: "injected device loss (test hook)".into(),
            });
        }
        let total: u64 = groups.iter().map(|&g| g as u64).product();
        // gridDim.x reaches 2^31 - 1; fold past it (the kernel recomputes the logical ids).
        let max_x = i32::MAX as u64;
        let x = total.min(max_x);
        let y = total.div_ceil(x);
        let mut builder = self.stream.launch_builder(&f);
        builder.arg(&words[0]).arg(&words[1]).arg(&words[2]);
        // Each parameter as the generated CUDA C declares it: a scalar at its own width
        // (`__half` as its 16 bits, 64-bit types whole), a slice as pointer and `u32` length.
        // Collected first so the references handed to the builder stay put.
        let (mut narrow, mut word, mut wide, mut lens) = (vec![], vec![], vec![], vec![]);
        for (a, p) in args.iter().zip(desc.params) {
            match a {
                Arg::Scalar(bits) => match p.ty {
                    ScalarType::F16 | ScalarType::BF16 => narrow.push(*bits as u16),
                    t if t.is_wide() => wide.push(*bits),
                    _ => word.push(*bits as u32),
                },
                Arg::Slice(_, e) | Arg::SliceMut(_, e) => lens.push(e.len as u32),
            }
        }
        // Slices as device pointers to their first element (a view's offset applied here).
        let ptrs: Vec<u64> = args
            .iter()
            .filter_map(|a| match a {
                Arg::Slice(b, e) => Some(b.device_ptr(&self.stream) + e.start() as u64),
                Arg::SliceMut(b, e) => Some(b.device_ptr(&self.stream) + e.start() as u64),
                Arg::Scalar(_) => None,
            })
            .collect();
        let mut ptrs = ptrs.iter();
        let (mut narrow, mut word, mut wide, mut lens) =
            (narrow.iter(), word.iter(), wide.iter(), lens.iter());
        for (a, p) in args.iter().zip(desc.params) {
            match a {
                Arg::Scalar(_) => match p.ty {
                    ScalarType::F16 | ScalarType::BF16 => builder.arg(narrow.next().unwrap_or(&0)),
                    t if t.is_wide() => builder.arg(wide.next().unwrap_or(&0)),
                    _ => builder.arg(word.next().unwrap_or(&0)),
                },
                Arg::Slice(_, _) | Arg::SliceMut(_, _) => builder
                    .arg(ptrs.next().unwrap_or(&0))
                    .arg(lens.next().unwrap_or(&0)),
            };
        }
        // The fault record, zeroed, as the checked kernel's last parameter.
        let fault = bounds
            .map(|_| self.alloc(crate::bounds::RECORD_BYTES))
            .transpose()?;
        let fault_ptr = fault.as_ref().map(|f| f.device_ptr(&self.stream));
        if let Some(p) = &fault_ptr {
            builder.arg(p);
        }
        let [wx, wy, wz] = desc.workgroup_size;
        let cfg = LaunchConfig {
            grid_dim: (x as u32, y as u32, 1),
            block_dim: (wx, wy, wz),
            shared_mem_bytes: shared_bytes as u32,
        };
        let sink = rec.sink.take();
        if sink.is_some() {
            builder.record_kernel_launch(cudarc::driver::sys::CUevent_flags::CU_EVENT_DEFAULT);
        }
        // SAFETY: the arguments follow the launch ABI the generated CUDA C declares (checked
        // against the kernel's parameter list by `Device::launch`), and every buffer is at
        // least as long as the length passed beside it.
        let events =
            unsafe { builder.launch(cfg) }.map_err(|e| self.driver_error(context(), e, 0))?;
        if let (Some((start, end)), Some(sink)) = (events, sink) {
            self.timings.push((start, end, sink));
        }
        if let (Some(f), Some(b)) = (&fault, bounds) {
            let record = self.read(f, crate::bounds::RECORD_BYTES)?;
            crate::bounds::outcome(desc, b, &record)?;
        }
        Ok(())
    }

    /// Checks a launch-sized workgroup array of `bytes` against the device's limit and, past
    /// the 48 KiB every block may use, opts the function in to that much.
    fn size_dynamic_shared(&self, desc: &KernelDesc, f: &CudaFunction, bytes: u64) -> Result<()> {
        const DEFAULT: u64 = 48 << 10;
        let total = bytes + desc.workgroup_bytes as u64;
        if desc.shared_len.is_none() || total <= DEFAULT {
            return Ok(());
        }
        let limit = self.max_shared_optin()?;
        if total > limit {
            return Err(Error::TooLarge {
                what: "the kernel's shared memory (bytes, launch-sized array included)",
                value: total,
                limit,
                fix: "pass a smaller length for the launch-sized array; this GPU lets a block \
                      opt in to no more",
            });
        }
        use cudarc::driver::sys::CUfunction_attribute::CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES;
        f.set_attribute(
            CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
            bytes as i32,
        )
        .map_err(|e| self.driver_error(format!("raising `{}`'s shared memory", desc.name), e, 0))
    }
}
