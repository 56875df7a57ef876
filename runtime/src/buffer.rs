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
/// [`Device::zeros`]; read back with [`Buffer::to_vec`] or [`Buffer::read_into`], rewritten
/// in place with [`Buffer::write`], [`Buffer::fill`] and [`Buffer::copy_from`], so that a
/// loop (a training step, a time step) reuses its buffers.
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

    /// The untyped buffer, given up (interop).
    #[cfg_attr(not(feature = "cuda"), allow(dead_code))]
    pub(crate) fn into_raw(self) -> RawBuffer {
        self.raw
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
        let mut out = vec![T::zeroed(); self.raw.len];
        self.copy_out("Buffer::to_vec", &mut out)?;
        Ok(out)
    }

    /// Overwrites the buffer with `data`, which must hold exactly [`len`](Self::len)
    /// elements. On GPU backends the copy is queued: later launches and reads see it, and
    /// `data` may be reused as soon as this returns.
    ///
    /// # Errors
    /// [`Error::Buffer`] when `data.len() != self.len()`; a device error during the copy.
    pub fn write(&mut self, data: &[T]) -> Result<()> {
        self.check_len(
            "Buffer::write",
            data.len(),
            "pass a slice of the buffer's length",
        )?;
        let device = self.raw.device.clone();
        device
            .imp()
            .write(&mut self.raw, bytemuck::cast_slice(data))
    }

    /// Copies the buffer into `out`, which must hold exactly [`len`](Self::len) elements,
    /// waiting for launches that write the buffer ([`to_vec`](Self::to_vec) without the
    /// allocation of the result).
    ///
    /// # Errors
    /// [`Error::Buffer`] when `out.len() != self.len()`; a device error during the copy.
    pub fn read_into(&self, out: &mut [T]) -> Result<()> {
        self.check_len(
            "Buffer::read_into",
            out.len(),
            "pass a slice of the buffer's length",
        )?;
        self.copy_out("Buffer::read_into", out)
    }

    /// The buffer's contents into `out`, of the buffer's length; `op` names the caller in the
    /// error for a device that returned too few bytes (a backend bug, reported).
    fn copy_out(&self, op: &'static str, out: &mut [T]) -> Result<()> {
        let bytes = self.raw.device.read_bytes(&self.raw)?;
        let n = self.raw.bytes();
        if bytes.len() < n {
            return Err(Error::Buffer {
                op,
                message: "the device returned fewer bytes than the buffer holds; this is a bug \
                          of kernelforge's, please report it"
                    .into(),
            });
        }
        bytemuck::cast_slice_mut::<T, u8>(out).copy_from_slice(&bytes[..n]);
        Ok(())
    }

    /// Sets every element to `value`. (The pattern is built in host memory and copied, one
    /// write of [`len`](Self::len) elements.)
    ///
    /// # Errors
    /// A device error during the copy.
    pub fn fill(&mut self, value: T) -> Result<()> {
        let data = vec![value; self.raw.len];
        self.write(&data)
    }

    /// Copies `src` over this buffer on the device, without a trip through host memory
    /// (CUDA: `cuMemcpyDtoDAsync` on the device's stream; wgpu: a queued
    /// `copy_buffer_to_buffer`; CPU: `memcpy`). Ordered after earlier launches, before later
    /// ones.
    ///
    /// # Errors
    /// [`Error::Buffer`] when the lengths differ or `src` belongs to another device (copy
    /// through the host with `to_vec` and `write` to move data between devices); a device
    /// error during the copy.
    pub fn copy_from(&mut self, src: &Buffer<T>) -> Result<()> {
        self.check_len(
            "Buffer::copy_from",
            src.len(),
            "copy between buffers of one length",
        )?;
        if !self.raw.device.same(&src.raw.device) {
            return Err(Error::Buffer {
                op: "Buffer::copy_from",
                message: format!(
                    "the source is a buffer of {} and this one of {}; copy between devices \
                     through the host (`to_vec`, then `write`)",
                    src.raw.device.name(),
                    self.raw.device.name()
                ),
            });
        }
        let device = self.raw.device.clone();
        device.imp().copy(&mut self.raw, &src.raw)
    }

    /// `Err` unless `other` elements match this buffer's length.
    fn check_len(&self, op: &'static str, other: usize, fix: &str) -> Result<()> {
        if other == self.raw.len {
            return Ok(());
        }
        Err(Error::Buffer {
            op,
            message: format!(
                "{other} elements given for a buffer of {} elements; {fix}",
                self.raw.len
            ),
        })
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
