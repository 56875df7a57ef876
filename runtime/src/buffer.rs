//! Buffers: a typed [`Buffer`] over an untyped [`RawBuffer`], which holds its backend's
//! storage and the device that owns it.

use crate::backend::Storage;
use crate::device::Device;
use crate::error::{Error, Result};
use bytemuck::Pod;
use std::marker::PhantomData;

/// A buffer without its element type, as launches see it.
pub struct RawBuffer {
    pub(crate) storage: Storage,
    /// Length in elements.
    pub(crate) len: usize,
    /// Size of one element in bytes.
    pub(crate) elem_size: usize,
    pub(crate) device: Device,
}

impl RawBuffer {
    pub(crate) fn bytes(&self) -> usize {
        self.len * self.elem_size
    }
}

impl Drop for RawBuffer {
    fn drop(&mut self) {
        self.device.release(self.bytes());
    }
}

/// `len` elements of `T` in a device's memory. Created by [`Device::upload`] and
/// [`Device::zeros`]; read back with [`Buffer::to_vec`].
pub struct Buffer<T> {
    raw: RawBuffer,
    _t: PhantomData<T>,
}

impl<T: Pod> Buffer<T> {
    pub(crate) fn from_raw(raw: RawBuffer) -> Self {
        Buffer {
            raw,
            _t: PhantomData,
        }
    }

    /// Length in elements.
    pub fn len(&self) -> usize {
        self.raw.len
    }

    /// Whether the buffer holds no elements.
    pub fn is_empty(&self) -> bool {
        self.raw.len == 0
    }

    /// The device the buffer lives on.
    pub fn device(&self) -> &Device {
        &self.raw.device
    }

    /// Copies the buffer to host memory, waiting for launches that write it.
    ///
    /// # Errors
    /// A device error during the copy (wgpu: mapping failed; CUDA: driver error).
    pub fn to_vec(&self) -> Result<Vec<T>> {
        let bytes = self.raw.device.read_bytes(&self.raw)?;
        if bytes.len() < self.raw.bytes() {
            return Err(Error::BadArguments {
                kernel: "to_vec",
                message: "the device returned fewer bytes than the buffer holds".into(),
            });
        }
        Ok(bytemuck::pod_collect_to_vec(&bytes[..self.raw.bytes()]))
    }

    /// The untyped buffer, for generated `launch` functions.
    #[doc(hidden)]
    pub fn raw(&self) -> &RawBuffer {
        &self.raw
    }

    /// The untyped buffer, writable, for generated `launch` functions.
    #[doc(hidden)]
    pub fn raw_mut(&mut self) -> &mut RawBuffer {
        &mut self.raw
    }
}

impl<T> std::fmt::Debug for Buffer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Buffer")
            .field("len", &self.raw.len)
            .field("device", &self.raw.device.name())
            .finish()
    }
}
