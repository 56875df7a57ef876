//! Buffers: storage buffers rounded up to 16 bytes, uploads and overwrites through the queue,
//! reads through a mapped staging copy.

use super::{wgpu_err, WgpuDevice};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::fault::{self, Fault};

pub(crate) struct WgpuBuffer {
    pub(crate) buffer: wgpu::Buffer,
}

impl WgpuDevice {
    fn check_size(&self, bytes: usize) -> Result<u64> {
        let max = self.limits.max_storage_buffer_binding_size;
        // wgpu cannot bind an empty buffer, and `x4` kernels access whole `vec4`s, so every
        // buffer is rounded up to 16 bytes; lengths travel in the uniform, so the padding is
        // invisible to kernels.
        let padded = (bytes as u64).max(16).next_multiple_of(16);
        if padded > max {
            return Err(Error::TooLarge {
                what: "a wgpu buffer (rounded up to 16 bytes)",
                value: padded,
                limit: max,
                fix: "this adapter binds at most that many bytes per storage buffer; split the \
                      data or use the CPU or CUDA backend",
            });
        }
        Ok(padded)
    }

    pub(crate) fn alloc(&self, bytes: usize) -> Result<WgpuBuffer> {
        let size = self.check_size(bytes)?;
        self.check_lost("allocating a buffer")?;
        let oom = || Error::OutOfMemory {
            device: self.name(),
            requested: size,
            free: None,
        };
        if fault::fires(Backend::Wgpu, Fault::OutOfMemory, None) {
            return Err(oom());
        }
        let _scopes = self.scopes.lock().unwrap_or_else(|e| e.into_inner());
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size,
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        if pollster::block_on(scope.pop()).is_some() {
            return Err(oom());
        }
        Ok(WgpuBuffer { buffer })
    }

    pub(crate) fn upload(&self, bytes: &[u8]) -> Result<WgpuBuffer> {
        let b = self.alloc(bytes.len())?;
        self.write(&b, bytes)?;
        Ok(b)
    }

    /// Overwrites the start of `b` with `bytes` (queued: later launches and reads see it).
    pub(crate) fn write(&self, b: &WgpuBuffer, bytes: &[u8]) -> Result<()> {
        self.check_lost("copying to the device")?;
        // wgpu writes whole 4-byte words: the last partial word is padded with zeros.
        let whole = bytes.len() / 4 * 4;
        if whole > 0 {
            self.queue.write_buffer(&b.buffer, 0, &bytes[..whole]);
        }
        if whole < bytes.len() {
            let mut tail = [0u8; 4];
            tail[..bytes.len() - whole].copy_from_slice(&bytes[whole..]);
            self.queue.write_buffer(&b.buffer, whole as u64, &tail);
        }
        Ok(())
    }

    /// Copies the first `bytes` bytes of `src` over those of `dst` on the device (queued).
    pub(crate) fn copy(&self, dst: &WgpuBuffer, src: &WgpuBuffer, bytes: usize) -> Result<()> {
        self.check_lost("copying between buffers")?;
        // Copies are of whole 4-byte words; both buffers are padded to 16 bytes, so the word
        // holding the last element exists in both and what follows it is padding.
        let size = (bytes as u64).next_multiple_of(4);
        if size > 0 {
            let mut enc = self.device.create_command_encoder(&Default::default());
            enc.copy_buffer_to_buffer(&src.buffer, 0, &dst.buffer, 0, size);
            self.queue.submit([enc.finish()]);
        }
        Ok(())
    }

    pub(crate) fn read(&self, b: &WgpuBuffer, bytes: usize) -> Result<Vec<u8>> {
        let size = b.buffer.size();
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("kernelforge readback"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut enc = self.device.create_command_encoder(&Default::default());
        enc.copy_buffer_to_buffer(&b.buffer, 0, &staging, 0, size);
        self.queue.submit([enc.finish()]);
        let (tx, rx) = std::sync::mpsc::channel();
        staging.map_async(wgpu::MapMode::Read, .., move |r| {
            let _ = tx.send(r);
        });
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| wgpu_err("waiting for a readback", e))?;
        rx.recv()
            .map_err(|e| wgpu_err("mapping a readback buffer", e))?
            .map_err(|e| wgpu_err("mapping a readback buffer", e))?;
        let view = staging
            .get_mapped_range(..)
            .map_err(|e| wgpu_err("mapping a readback buffer", e))?;
        let out = view[..bytes].to_vec();
        drop(view);
        staging.unmap();
        // The poll above also completed earlier launches: deliver their timings.
        self.collect_timings();
        Ok(out)
    }
}
