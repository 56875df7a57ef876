//! Launches on the host: the parameters the generated CUDA C declares, the grid folded as the
//! CUDA backend folds it, and the blocks split over rayon's threads.

use super::HostCudaDevice;
use crate::backend::cpu::CpuBuffer;
use crate::backend::Arg;
use crate::error::{Error, Result};
use crate::kernel::{BoundsChecked, KernelDesc};
use crate::profile::LaunchRecord;
use rayon::prelude::*;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

/// `kf::Launch` in cuda_host.h.
#[repr(C)]
pub(crate) struct RawLaunch {
    args: *const usize,
    nargs: u32,
    grid: [u32; 3],
    block: [u32; 3],
    first: u64,
    last: u64,
    fibers: i32,
    err: *mut u8,
    errlen: u32,
}

/// Bytes of a message from the module.
const ERR_LEN: usize = 512;

impl HostCudaDevice {
    /// Runs `desc`, or with `bounds` its bounds-checked version and then reads its fault
    /// record.
    pub(crate) fn launch(
        &self,
        desc: &KernelDesc,
        groups: [u32; 3],
        args: &mut [Arg<'_, CpuBuffer>],
        shared_bytes: u64,
        rec: &mut LaunchRecord,
        bounds: Option<&'static BoundsChecked>,
    ) -> Result<()> {
        let source = bounds.map_or(desc.cuda_source, |b| b.cuda_source);
        let module = self.module(desc, source, rec)?;
        let limit = super::compile::DYNAMIC_SHARED_LIMIT;
        if shared_bytes > limit {
            return Err(Error::TooLarge {
                what: "the kernel's launch-sized shared array (bytes)",
                value: shared_bytes,
                limit,
                fix: "pass a smaller length for the launch-sized array; no GPU lets a block opt \
                      in to more",
            });
        }
        let started = Instant::now();
        // One 8-byte slot per parameter of the CUDA C, in its order: the group counts, then a
        // scalar's zero-extended bits (the C reads its own width from the low bytes; hosts are
        // little-endian) or a slice's pointer and `u32` length.
        let mut slots: Vec<u64> = groups.iter().map(|&g| g as u64).collect();
        for a in args.iter_mut() {
            match a {
                Arg::Scalar(bits) => slots.push(*bits),
                Arg::Slice(b, e) => {
                    slots.push(b.as_ptr() as u64 + e.start() as u64);
                    slots.push(e.len as u64);
                }
                Arg::SliceMut(b, e) => {
                    slots.push(b.as_mut_ptr() as u64 + e.start() as u64);
                    slots.push(e.len as u64);
                }
            }
        }
        // The fault record, the checked kernel's last parameter: its atomics and the winner's
        // plain stores happen before the blocks' tasks join.
        let fault: [AtomicU32; 4] = Default::default();
        if bounds.is_some() {
            slots.push(fault.as_ptr() as u64);
        }
        let addrs: Vec<usize> = slots.iter().map(|s| s as *const u64 as usize).collect();
        // The CUDA backend's fold: gridDim.x up to 2^31 - 1, the rest in gridDim.y.
        let total: u64 = groups.iter().map(|&g| g as u64).product();
        let x = total.min(i32::MAX as u64).max(1);
        let y = total.div_ceil(x).max(1);
        let blocks = x * y;
        let tasks = blocks.min(4 * rayon::current_num_threads() as u64).max(1);
        let run = |task: u64| -> std::result::Result<(), String> {
            let mut err = [0u8; ERR_LEN];
            let raw = RawLaunch {
                args: addrs.as_ptr(),
                nargs: addrs.len() as u32,
                grid: [x as u32, y as u32, 1],
                block: desc.workgroup_size,
                first: blocks * task / tasks,
                last: blocks * (task + 1) / tasks,
                fibers: module.fibers as i32,
                err: err.as_mut_ptr(),
                errlen: ERR_LEN as u32,
            };
            // SAFETY: `raw` follows the layout of `kf::Launch`; `addrs` points at one slot per
            // parameter of the kernel (the module checks the count), each pointer slot at
            // a buffer at least as long as the length beside it (`Device::launch` checked
            // the extents), and the slots outlive the call.
            let rc = unsafe { (module.entry)(&raw) };
            if rc == 0 {
                return Ok(());
            }
            let end = err.iter().position(|&b| b == 0).unwrap_or(ERR_LEN);
            Err(String::from_utf8_lossy(&err[..end]).into_owned())
        };
        (0..tasks)
            .into_par_iter()
            .try_for_each(run)
            .map_err(|message| Error::Cuda {
                context: format!("running kernel `{}` as CUDA C on the host", desc.name),
                message,
            })?;
        if let Some(sink) = rec.sink.take() {
            sink.record(started.elapsed());
        }
        if let Some(b) = bounds {
            let record: Vec<u8> = fault
                .iter()
                .flat_map(|w| w.load(Ordering::Acquire).to_le_bytes())
                .collect();
            crate::bounds::outcome(desc, b, &record)?;
        }
        Ok(())
    }
}
