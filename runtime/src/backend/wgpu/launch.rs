//! Launches: the grid folded into the adapter's per-dimension limit, the launch-ABI words in a
//! uniform buffer, one compute pass, and timestamp queries while profiling.

use super::WgpuDevice;
use super::{wgpu_err, WgpuBuffer};
use crate::backend::{Arg, Backend, Extent};
use crate::error::{Error, Result};
use crate::fault::{self, Fault};
use crate::kernel::{BoundsChecked, KernelDesc};
use crate::profile::{LaunchRecord, Sink};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A profiled launch's two timestamps, being copied into `readback`; `state` is set by the
/// map callback.
pub(super) struct PendingTiming {
    readback: wgpu::Buffer,
    state: Arc<AtomicU8>,
    sink: Sink,
}

const MAP_WAITING: u8 = 0;

const MAP_DONE: u8 = 1;

const MAP_FAILED: u8 = 2;

impl WgpuDevice {
    /// Delivers the timings whose readback has been mapped (after a poll); the rest wait.
    pub(super) fn collect_timings(&self) {
        self.timings.collect(|t| {
            match t.state.load(Ordering::Acquire) {
                MAP_WAITING => return Some(t),
                MAP_DONE => {
                    if let Ok(view) = t.readback.get_mapped_range(..) {
                        let ticks: &[u64] = bytemuck::cast_slice(&view[..16]);
                        let period = self.queue.get_timestamp_period() as f64;
                        let ns = ticks[1].saturating_sub(ticks[0]) as f64 * period;
                        t.sink.record(Duration::from_nanos(ns as u64));
                    }
                    t.readback.unmap();
                }
                _ => {}
            }
            None
        });
    }

    /// Splits `total` workgroups into a dispatch whose dimensions each fit the adapter's limit.
    fn fold(&self, total: u64) -> Result<[u32; 3]> {
        let max = self.limits.max_compute_workgroups_per_dimension.max(1) as u64;
        let x = total.min(max);
        let rest = total.div_ceil(x);
        let y = rest.min(max);
        let z = rest.div_ceil(y);
        if z > max {
            return Err(Error::TooLarge {
                what: "the number of workgroups",
                value: total,
                limit: max * max * max,
                fix: "launch fewer workgroups",
            });
        }
        Ok([x as u32, y as u32, z as u32])
    }

    /// Where the binding of the elements `e` starts, in bytes: `e`'s first byte rounded down
    /// to the storage offset alignment (a power of two of at least the element size, so the
    /// difference is whole elements); and the elements from there to `e`'s first, which the
    /// kernel adds (its `kf_off_<k>` override). An empty view, which reads nothing, binds
    /// from the buffer's start.
    fn bind_start(&self, e: &Extent) -> (u64, u32) {
        if e.len == 0 {
            return (0, 0);
        }
        let align = self.storage_align();
        let bytes = e.start() as u64;
        let at = bytes / align * align;
        (at, ((bytes - at) / e.elem as u64) as u32)
    }

    /// The binding of the elements `e` of `w`: from [`bind_start`](Self::bind_start) to `e`'s
    /// end rounded up to 16 bytes (a `vec4`, the largest element a module declares), at least
    /// 16 bytes (buffers have at least one `vec4`), within the buffer.
    fn binding<'b>(&self, w: &'b WgpuBuffer, e: &Extent) -> wgpu::BufferBinding<'b> {
        let (at, _) = self.bind_start(e);
        let end = (e.end() as u64).next_multiple_of(16).max(at + 16);
        let end = end.min(w.buffer.size());
        wgpu::BufferBinding {
            buffer: &w.buffer,
            offset: at,
            size: std::num::NonZeroU64::new(end - at),
        }
    }

    /// The alignment of storage-buffer binding offsets, in bytes.
    pub(crate) fn storage_align(&self) -> u64 {
        self.limits.min_storage_buffer_offset_alignment as u64
    }

    /// Runs `desc`, or with `bounds` its bounds-checked scalar module, and then waits for it
    /// and reads its fault record.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn launch(
        &self,
        desc: &KernelDesc,
        groups: [u32; 3],
        mut words: Vec<u32>,
        args: &[Arg<'_, WgpuBuffer>],
        shared_len: u32,
        rec: &mut LaunchRecord,
        bounds: Option<&'static BoundsChecked>,
    ) -> Result<()> {
        // Views whose start is not on the storage offset alignment: the offsets in their
        // bindings, as (parameter index, elements), for the pipeline's override constants.
        // The `x4` module needs every slice to start on a `vec4` of its binding and to end
        // within whole `vec4`s (a caller's buffer, `Buffer::from_wgpu`, may not).
        let mut offsets = Vec::new();
        let mut quads = true;
        for (i, a) in args.iter().enumerate() {
            let (b, e) = match a {
                Arg::Scalar(_) => continue,
                Arg::Slice(b, e) => (&**b, e),
                Arg::SliceMut(b, e) => (&**b, e),
            };
            let (_, skip) = self.bind_start(e);
            quads &=
                skip.is_multiple_of(4) && b.buffer.size() >= (e.end() as u64).next_multiple_of(16);
            if skip != 0 {
                offsets.push((i, skip));
            }
        }
        // The `x4` module serves 1-D grids small enough that its lane ids (4 per invocation)
        // cannot wrap, with `quads`; everything else runs the scalar module.
        let logical = groups.iter().map(|&g| g as u64).product::<u64>();
        let max = self.limits.max_compute_workgroups_per_dimension as u64;
        // The scalar module is dispatched the logical grid itself where every dimension fits
        // the limit, and otherwise the grid folded into more dimensions (its `_folded` entry
        // point); the `x4` module always recovers its lanes from the linear workgroup index.
        let scalar = bounds.map_or(desc.wgsl_source, |b| b.wgsl_source);
        let (source, dispatch, folded) = match desc.wgsl_x4_source {
            Some(x4)
                if bounds.is_none()
                    && quads
                    && groups[1] == 1
                    && groups[2] == 1
                    && logical * (desc.workgroup_size[0] as u64) < (1 << 31) =>
            {
                (x4, self.fold(logical.div_ceil(4))?, false)
            }
            _ if groups.iter().all(|&g| g as u64 <= max) => (scalar, groups, false),
            _ => (scalar, self.fold(logical)?, true),
        };
        let pipeline =
            self.pipeline(desc, source, folded, shared_len, &offsets, &mut rec.compile)?;
        self.collect_timings();
        let context = format!("launching kernel `{}`", desc.name);
        self.check_lost(&context)?;
        if fault::fires(Backend::Wgpu, Fault::DeviceLost, Some(desc.name)) {
            return Err(Error::DeviceLost {
                device: self.name(),
                context,
                message: "injected device loss (test hook)".into(),
            });
        }
        words.resize(words.len().next_multiple_of(4), 0);
        let uniform = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("kernelforge params"),
            size: (words.len() * 4) as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        self.queue
            .write_buffer(&uniform, 0, bytemuck::cast_slice(&words));
        let mut entries = vec![wgpu::BindGroupEntry {
            binding: 0,
            resource: uniform.as_entire_binding(),
        }];
        for a in args {
            let (w, e) = match a {
                Arg::Scalar(_) => continue,
                Arg::Slice(b, e) => (&**b, e),
                Arg::SliceMut(b, e) => (&**b, e),
            };
            entries.push(wgpu::BindGroupEntry {
                binding: entries.len() as u32,
                resource: wgpu::BindingResource::Buffer(self.binding(w, e)),
            });
        }
        // The fault record, zeroed at creation, bound after the slices.
        let fault = bounds
            .map(|_| self.alloc(crate::bounds::RECORD_BYTES))
            .transpose()?;
        if let Some(f) = &fault {
            entries.push(wgpu::BindGroupEntry {
                binding: entries.len() as u32,
                resource: f.buffer.as_entire_binding(),
            });
        }
        let _scopes = self.scopes.lock().unwrap_or_else(|e| e.into_inner());
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(desc.name),
            layout: &pipeline.layout,
            entries: &entries,
        });
        let mut enc = self.device.create_command_encoder(&Default::default());
        let timing = match rec.sink.take() {
            Some(sink) if self.timestamps() => Some((self.timestamp_buffers(), sink)),
            _ => None,
        };
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some(desc.name),
                timestamp_writes: timing.as_ref().map(|((queries, ..), _)| {
                    wgpu::ComputePassTimestampWrites {
                        query_set: queries,
                        beginning_of_pass_write_index: Some(0),
                        end_of_pass_write_index: Some(1),
                    }
                }),
            });
            pass.set_pipeline(&pipeline.pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            pass.dispatch_workgroups(dispatch[0], dispatch[1], dispatch[2]);
        }
        if let Some(((queries, resolve, readback), _)) = &timing {
            enc.resolve_query_set(queries, 0..2, resolve, 0);
            enc.copy_buffer_to_buffer(resolve, 0, readback, 0, 16);
        }
        self.queue.submit([enc.finish()]);
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(wgpu_err(format!("launching kernel `{}`", desc.name), e));
        }
        if let (Some(f), Some(b)) = (&fault, bounds) {
            let record = self.read(f, crate::bounds::RECORD_BYTES)?;
            crate::bounds::outcome(desc, b, &record)?;
        }
        if let Some(((_, _, readback), sink)) = timing {
            let state = Arc::new(AtomicU8::new(MAP_WAITING));
            let flag = state.clone();
            readback.map_async(wgpu::MapMode::Read, .., move |r| {
                let v = if r.is_ok() { MAP_DONE } else { MAP_FAILED };
                flag.store(v, Ordering::Release);
            });
            self.timings.push(PendingTiming {
                readback,
                state,
                sink,
            });
        }
        Ok(())
    }

    /// A query set of two timestamps, the buffer they resolve into and its readback copy.
    fn timestamp_buffers(&self) -> (wgpu::QuerySet, wgpu::Buffer, wgpu::Buffer) {
        let queries = self.device.create_query_set(&wgpu::QuerySetDescriptor {
            label: Some("kernelforge profile"),
            ty: wgpu::QueryType::Timestamp,
            count: 2,
        });
        let buffer = |usage| {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("kernelforge profile"),
                size: 16,
                usage,
                mapped_at_creation: false,
            })
        };
        let resolve = buffer(wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC);
        let readback = buffer(wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST);
        (queries, resolve, readback)
    }
}
