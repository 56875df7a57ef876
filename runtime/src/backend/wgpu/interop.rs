//! Interop with a program that owns its wgpu device: a [`Device`] over the caller's
//! `wgpu::Device` and queue, and [`Buffer`]s over the caller's `wgpu::Buffer`s, so kernels run
//! on memory the caller owns, without a copy (`kernelforge::wgpu` re-exports the version).

use super::{WgpuBuffer, WgpuDevice};
use crate::backend::{DeviceImpl, Storage};
use crate::buffer::Buffer;
use crate::device::Device;
use crate::error::{Error, Result};
use bytemuck::Pod;

impl Device {
    /// A device that runs kernels on a caller's wgpu `device` and `queue` (clones of the
    /// handles; the caller keeps using its own). Kernels get the features and limits the
    /// device was created with: a kernel that needs `SHADER_F16`, `SUBGROUP`, ... the device
    /// lacks is refused at launch with `Error::Unsupported`. kernelforge sets no device-lost
    /// callback on it (that would replace the caller's).
    pub fn from_wgpu(device: wgpu::Device, queue: wgpu::Queue) -> Device {
        let w = WgpuDevice::from_parts(device, queue);
        let report = format!("{} (the caller's, Device::from_wgpu)", w.name());
        Device::new(DeviceImpl::Wgpu(w), report)
    }

    /// The wgpu device and queue kernels run on, for the caller's own passes; `None` on
    /// other backends. Work the caller submits to the queue is ordered with launches.
    pub fn wgpu_handles(&self) -> Option<(&wgpu::Device, &wgpu::Queue)> {
        match self.imp() {
            DeviceImpl::Wgpu(w) => Some(w.handles()),
            _ => None,
        }
    }
}

impl<T: Pod> Buffer<T> {
    /// `len` elements of `T` in a caller's `buffer`, created by `dev`'s wgpu device (see
    /// [`Device::from_wgpu`]), used in place: kernels read and write the caller's memory.
    ///
    /// # Errors
    /// [`Error::Buffer`] when `dev` is not a wgpu device, the buffer lacks the `STORAGE`,
    /// `COPY_SRC` or `COPY_DST` usage (kernels bind it; reads and writes copy through it), or
    /// its size is not a multiple of 4 bytes or is short of `len` elements.
    pub fn from_wgpu(dev: &Device, buffer: wgpu::Buffer, len: usize) -> Result<Buffer<T>> {
        let err = |message: String| Error::Buffer {
            op: "Buffer::from_wgpu",
            message,
        };
        if !matches!(dev.imp(), DeviceImpl::Wgpu(_)) {
            return Err(err(format!(
                "{} is not a wgpu device; open one with Device::from_wgpu or Device::wgpu",
                dev.name()
            )));
        }
        let need = wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_SRC
            | wgpu::BufferUsages::COPY_DST;
        if !buffer.usage().contains(need) {
            return Err(err(format!(
                "the buffer's usages are {:?}; create it with STORAGE | COPY_SRC | COPY_DST",
                buffer.usage()
            )));
        }
        let bytes = len.saturating_mul(size_of::<T>()) as u64;
        if !buffer.size().is_multiple_of(4) || buffer.size() < bytes {
            return Err(err(format!(
                "the buffer holds {} bytes, and {len} elements need {bytes} in a whole number \
                 of 4-byte words; pass a larger buffer or a smaller length",
                buffer.size()
            )));
        }
        let storage = Storage::Wgpu(WgpuBuffer { buffer });
        Ok(Buffer::from_raw(dev.raw(storage, len, size_of::<T>())))
    }

    /// The `wgpu::Buffer` holding the elements, for the caller's own passes (it may be
    /// longer than [`len`](Self::len) elements); `None` on other backends.
    pub fn as_wgpu(&self) -> Option<&wgpu::Buffer> {
        match &self.raw().storage {
            Storage::Wgpu(w) => Some(&w.buffer),
            _ => None,
        }
    }
}
