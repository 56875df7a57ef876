//! Views: a range of a buffer's elements passed to a kernel where a whole buffer would be
//! (`buf.slice(10..20)?`, `buf.slice_mut(..n)?`), and the traits generated `launch`
//! functions take for slice parameters, which buffers and views implement.

use crate::buffer::{Buffer, RawBuffer};
use crate::error::{Error, Result};
use crate::kernel::KernelArg;
use bytemuck::Pod;
use std::marker::PhantomData;
use std::ops::{Bound, RangeBounds};

/// A read-only range of a [`Buffer`]'s elements, made by [`Buffer::slice`]: a kernel's `&[T]`
/// argument sees a slice of its length. It borrows the buffer, so the buffer cannot be
/// written while the view lives.
pub struct BufferView<'a, T> {
    raw: &'a RawBuffer,
    offset: usize,
    len: usize,
    _t: PhantomData<T>,
}

/// A writable range of a [`Buffer`]'s elements, made by [`Buffer::slice_mut`]: a kernel's
/// `&mut [T]` (or `&[T]`) argument sees a slice of its length, and writes land in the range.
pub struct BufferViewMut<'a, T> {
    raw: &'a mut RawBuffer,
    offset: usize,
    len: usize,
    _t: PhantomData<T>,
}

/// `range` as Rust writes it (`2..9`, `..=4`, `3..`); a start excluded, which only a pair
/// of bounds can say, as the next element.
fn written(range: &impl RangeBounds<usize>) -> String {
    let start = match range.start_bound() {
        Bound::Included(s) => s.to_string(),
        Bound::Excluded(s) => format!("{}", *s as u128 + 1),
        Bound::Unbounded => String::new(),
    };
    let end = match range.end_bound() {
        Bound::Included(e) => format!("..={e}"),
        Bound::Excluded(e) => format!("..{e}"),
        Bound::Unbounded => "..".into(),
    };
    start + &end
}

/// The elements `range` selects of a buffer of `len`, or the error naming both.
fn bounds(op: &'static str, range: impl RangeBounds<usize>, len: usize) -> Result<(usize, usize)> {
    let start = match range.start_bound() {
        Bound::Included(&s) => Some(s),
        Bound::Excluded(&s) => s.checked_add(1),
        Bound::Unbounded => Some(0),
    };
    let end = match range.end_bound() {
        Bound::Included(&e) => e.checked_add(1),
        Bound::Excluded(&e) => Some(e),
        Bound::Unbounded => Some(len),
    };
    match (start, end) {
        (Some(s), Some(e)) if s <= e && e <= len => Ok((s, e - s)),
        _ => Err(Error::Buffer {
            op,
            message: format!(
                "the range `{}` is not within the buffer's {len} elements; views take a range \
                 `a..b` with a <= b <= len",
                written(&range)
            ),
        }),
    }
}

impl<T: Pod> Buffer<T> {
    /// Elements `range` (any Rust range: `a..b`, `a..`, `..b`, `a..=b`, `..`) as a read-only
    /// kernel argument. Offsets need no alignment: the wgpu backend binds from the adapter's
    /// offset alignment below the view and the kernel adds the rest; CUDA and the CPU pass a
    /// pointer to the first element.
    ///
    /// # Errors
    /// [`Error::Buffer`] when the range is not within the buffer.
    pub fn slice(&self, range: impl RangeBounds<usize>) -> Result<BufferView<'_, T>> {
        let (offset, len) = bounds("Buffer::slice", range, self.len())?;
        Ok(BufferView {
            raw: self.raw(),
            offset,
            len,
            _t: PhantomData,
        })
    }

    /// Elements `range` as a writable kernel argument (see [`slice`](Self::slice)).
    ///
    /// # Errors
    /// [`Error::Buffer`] when the range is not within the buffer.
    pub fn slice_mut(&mut self, range: impl RangeBounds<usize>) -> Result<BufferViewMut<'_, T>> {
        let (offset, len) = bounds("Buffer::slice_mut", range, self.len())?;
        Ok(BufferViewMut {
            raw: self.raw_mut(),
            offset,
            len,
            _t: PhantomData,
        })
    }
}

macro_rules! view_common {
    ($view:ident) => {
        impl<T: Pod> $view<'_, T> {
            /// Length in elements.
            pub fn len(&self) -> usize {
                self.len
            }

            /// Whether the view holds no elements.
            pub fn is_empty(&self) -> bool {
                self.len == 0
            }

            /// The first element's index in the buffer.
            pub fn offset(&self) -> usize {
                self.offset
            }

            /// Copies the view's elements to host memory, waiting for launches that write
            /// the buffer.
            ///
            /// # Errors
            /// A device error during the copy.
            pub fn to_vec(&self) -> Result<Vec<T>> {
                let bytes = self.raw.device.read_bytes(self.raw)?;
                let size = std::mem::size_of::<T>();
                let range = self.offset * size..(self.offset + self.len) * size;
                Ok(bytemuck::pod_collect_to_vec(&bytes[range]))
            }
        }
    };
}
view_common!(BufferView);
view_common!(BufferViewMut);

/// A value `launch` accepts for a kernel's `&[T]` parameter: a [`Buffer<T>`], a
/// [`BufferView`] or a [`BufferViewMut`].
pub trait SliceArg<T> {
    /// The launch argument.
    #[doc(hidden)]
    fn kernel_arg(&self) -> KernelArg<'_>;
}

/// A value `launch` accepts for a kernel's `&mut [T]` (or atomic) parameter: a [`Buffer<T>`]
/// or a [`BufferViewMut`].
pub trait SliceArgMut<T> {
    /// The launch argument.
    #[doc(hidden)]
    fn kernel_arg_mut(&mut self) -> KernelArg<'_>;
}

impl<T: Pod> SliceArg<T> for Buffer<T> {
    fn kernel_arg(&self) -> KernelArg<'_> {
        KernelArg::whole(self.raw())
    }
}

impl<T: Pod> SliceArgMut<T> for Buffer<T> {
    fn kernel_arg_mut(&mut self) -> KernelArg<'_> {
        KernelArg::whole_mut(self.raw_mut())
    }
}

impl<T: Pod> SliceArg<T> for BufferView<'_, T> {
    fn kernel_arg(&self) -> KernelArg<'_> {
        KernelArg::Slice {
            buf: self.raw,
            offset: self.offset,
            len: self.len,
        }
    }
}

impl<T: Pod> SliceArg<T> for BufferViewMut<'_, T> {
    fn kernel_arg(&self) -> KernelArg<'_> {
        KernelArg::Slice {
            buf: self.raw,
            offset: self.offset,
            len: self.len,
        }
    }
}

impl<T: Pod> SliceArgMut<T> for BufferViewMut<'_, T> {
    fn kernel_arg_mut(&mut self) -> KernelArg<'_> {
        KernelArg::SliceMut {
            buf: self.raw,
            offset: self.offset,
            len: self.len,
        }
    }
}

impl<T> std::fmt::Debug for BufferView<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BufferView")
            .field("offset", &self.offset)
            .field("len", &self.len)
            .finish()
    }
}

impl<T> std::fmt::Debug for BufferViewMut<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BufferViewMut")
            .field("offset", &self.offset)
            .field("len", &self.len)
            .finish()
    }
}
