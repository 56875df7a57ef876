//! Interop with a program that owns its CUDA stream (cudarc, which candle uses): a [`Device`]
//! over the caller's `CudaStream`, and [`Buffer`]s moved in from and out to `CudaSlice<T>`
//! without a copy (`kernelforge::cudarc` re-exports the version).

use super::{CudaBuffer, CudaDevice};
use crate::backend::{DeviceImpl, Storage};
use crate::buffer::Buffer;
use crate::device::Device;
use crate::error::{Error, Result};
use bytemuck::Pod;

impl Device {
    /// A device that runs kernels and copies on a caller's cudarc `stream`, in its context
    /// (candle's and other cudarc users' streams): launches are ordered with the caller's
    /// work on that stream.
    ///
    /// # Errors
    /// `Error::Unavailable` when the CUDA driver cannot be queried.
    pub fn from_cuda_stream(stream: std::sync::Arc<cudarc::driver::CudaStream>) -> Result<Device> {
        let c = CudaDevice::open_stream(stream)?;
        let report = format!(
            "{} (the caller's stream, Device::from_cuda_stream)",
            c.name()
        );
        Ok(Device::new(DeviceImpl::Cuda(c), report))
    }

    /// The cudarc stream kernels run on; `None` on other backends.
    pub fn cuda_stream(&self) -> Option<&std::sync::Arc<cudarc::driver::CudaStream>> {
        match self.imp() {
            DeviceImpl::Cuda(c) => Some(c.stream()),
            _ => None,
        }
    }
}

impl<T: Pod> Buffer<T> {
    /// A caller's `slice` as a buffer of `dev`, without a copy: kernels read and write its
    /// memory, which the buffer frees when dropped (or hands back with
    /// [`into_cuda`](Self::into_cuda)).
    ///
    /// # Errors
    /// [`Error::Buffer`] when `dev` is not a CUDA device or `slice` lives in another context.
    pub fn from_cuda(dev: &Device, slice: cudarc::driver::CudaSlice<T>) -> Result<Buffer<T>> {
        let err = |message: String| Error::Buffer {
            op: "Buffer::from_cuda",
            message,
        };
        let DeviceImpl::Cuda(c) = dev.imp() else {
            return Err(err(format!(
                "{} is not a CUDA device; open one with Device::from_cuda_stream or Device::cuda",
                dev.name()
            )));
        };
        if !std::sync::Arc::ptr_eq(slice.context(), c.stream().context()) {
            return Err(err(
                "the slice belongs to another CUDA context than the device's stream; create \
                 both from one context"
                    .into(),
            ));
        }
        let len = slice.len();
        let bytes = len * size_of::<T>();
        let ptr = slice.leak();
        // SAFETY: `ptr` is the live allocation the slice owned, of `bytes` bytes, in the
        // stream's context; the new slice owns (and frees) it.
        let bytes_slice = unsafe { c.stream().upgrade_device_ptr::<u8>(ptr, bytes) };
        let storage = Storage::Cuda(CudaBuffer::from_slice(bytes_slice));
        Ok(Buffer::from_raw(dev.raw(storage, len, size_of::<T>())))
    }

    /// The buffer's memory as a cudarc slice of its length, without a copy, for the caller's
    /// own kernels and copies.
    ///
    /// # Errors
    /// [`Error::Buffer`] (and the buffer back, dropped) when the buffer is not a CUDA buffer.
    pub fn into_cuda(self) -> Result<cudarc::driver::CudaSlice<T>> {
        let len = self.len();
        let mut raw = self.into_raw();
        let storage = std::mem::replace(&mut raw.storage, Storage::Cpu(Vec::new()));
        let stream = match raw.device.imp() {
            DeviceImpl::Cuda(c) => c.stream().clone(),
            _ => {
                return Err(Error::Buffer {
                    op: "Buffer::into_cuda",
                    message: format!("{} is not a CUDA device", raw.device.name()),
                })
            }
        };
        let Storage::Cuda(buf) = storage else {
            return Err(Error::Buffer {
                op: "Buffer::into_cuda",
                message: "the buffer is not in CUDA memory".into(),
            });
        };
        let ptr = buf.into_slice().leak();
        // SAFETY: `ptr` is the live allocation of at least `len` elements the buffer owned, in
        // the stream's context; the returned slice owns (and frees) it.
        Ok(unsafe { stream.upgrade_device_ptr::<T>(ptr, len) })
    }
}
