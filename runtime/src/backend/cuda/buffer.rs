//! Device memory: allocation (out of memory classified), copies both ways, memory figures.

use super::CudaDevice;
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::fault::{self, Fault};
use cudarc::driver::{CudaSlice, CudaStream, DevicePtr};

pub(crate) struct CudaBuffer {
    pub(super) slice: CudaSlice<u8>,
}

impl CudaBuffer {
    /// A buffer over `slice` (interop).
    pub(crate) fn from_slice(slice: CudaSlice<u8>) -> CudaBuffer {
        CudaBuffer { slice }
    }

    /// The slice (interop).
    pub(crate) fn into_slice(self) -> CudaSlice<u8> {
        self.slice
    }

    /// The device address of the first byte, for launches on `stream` (the only stream the
    /// device uses, so no event is needed to order the access).
    pub(super) fn device_ptr(&self, stream: &CudaStream) -> u64 {
        let (ptr, _on_stream) = self.slice.device_ptr(stream);
        ptr
    }
}

impl CudaDevice {
    pub(crate) fn alloc(&self, bytes: usize) -> Result<CudaBuffer> {
        if fault::fires(Backend::Cuda, Fault::OutOfMemory, None) {
            return Err(Error::OutOfMemory {
                device: self.name(),
                requested: bytes as u64,
                free: self.free_memory(),
            });
        }
        let slice = self
            .stream
            .alloc_zeros::<u8>(bytes.max(4))
            .map_err(|e| self.driver_error(format!("allocating {bytes} bytes"), e, bytes as u64))?;
        Ok(CudaBuffer { slice })
    }

    /// Free device memory, bytes, for out-of-memory errors (`None` if the driver cannot say).
    pub(super) fn free_memory(&self) -> Option<u64> {
        self.ctx.mem_get_info().ok().map(|(free, _)| free as u64)
    }

    /// (free, total) device memory, bytes.
    pub(crate) fn memory(&self) -> Result<(u64, u64)> {
        let (free, total) = self
            .ctx
            .mem_get_info()
            .map_err(|e| self.driver_error("reading the memory in use".into(), e, 0))?;
        Ok((free as u64, total as u64))
    }

    /// Overwrites the start of `b` with `bytes` (per-launch CPU fallback writes results back).
    pub(crate) fn write(&self, b: &mut CudaBuffer, bytes: &[u8]) -> Result<()> {
        if !bytes.is_empty() {
            let mut view = b.slice.slice_mut(0..bytes.len());
            self.stream
                .memcpy_htod(bytes, &mut view)
                .map_err(|e| self.driver_error("copying to the GPU".into(), e, 0))?;
        }
        Ok(())
    }

    /// Copies the first `bytes` bytes of `src` over those of `dst` on the GPU (in stream order).
    pub(crate) fn copy(&self, dst: &mut CudaBuffer, src: &CudaBuffer, bytes: usize) -> Result<()> {
        if bytes > 0 {
            let from = src.slice.slice(0..bytes);
            let mut to = dst.slice.slice_mut(0..bytes);
            self.stream
                .memcpy_dtod(&from, &mut to)
                .map_err(|e| self.driver_error("copying between buffers".into(), e, 0))?;
        }
        Ok(())
    }

    pub(crate) fn upload(&self, bytes: &[u8]) -> Result<CudaBuffer> {
        let mut b = self.alloc(bytes.len())?;
        self.write(&mut b, bytes)?;
        Ok(b)
    }

    pub(crate) fn read(&self, b: &CudaBuffer, bytes: usize) -> Result<Vec<u8>> {
        let mut v = self
            .stream
            .clone_dtoh(&b.slice)
            .map_err(|e| self.driver_error("copying from the GPU".into(), e, 0))?;
        v.truncate(bytes);
        // The copy waited for earlier launches on the stream: deliver their timings.
        self.collect_timings();
        Ok(v)
    }
}
