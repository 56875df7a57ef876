//! The checks every launch passes before it reaches a backend, made once here: arguments that
//! match the kernel's parameters, buffers of the launching device within the `u32` indices
//! kernels use, and a grid whose ids fit `u32`.

use crate::device::Device;
use crate::error::{Error, Result};
use crate::grid::Grid;
use crate::kernel::{KernelArg, KernelDesc, ScalarType};

/// Most threads in one dimension of a launch: ids are `u32`.
const MAX_THREADS: u64 = u32::MAX as u64;

/// The workgroup counts of launching `desc` over `grid` on `dev` with `args`, or `None` for an
/// empty grid (nothing to run).
///
/// # Errors
/// [`Error::BadArguments`] for a wrong number or kind of arguments or a buffer of another
/// device; [`Error::TooLarge`] for a buffer past `u32` indices or a grid past `u32` ids.
pub(crate) fn checked_groups(
    dev: &Device,
    desc: &KernelDesc,
    grid: Grid,
    args: &[KernelArg<'_>],
) -> Result<Option<[u32; 3]>> {
    let bad = |message: String| Error::BadArguments {
        kernel: desc.name,
        message,
    };
    if args.len() != desc.params.len() {
        return Err(bad(format!(
            "expected {} arguments, got {}; pass one per kernel parameter, in order (as the \
             kernel's generated `launch` does)",
            desc.params.len(),
            args.len()
        )));
    }
    for (arg, p) in args.iter().zip(desc.params) {
        let (buf, offset, len) = match arg {
            KernelArg::Scalar(_) if p.slice.is_none() => continue,
            KernelArg::Slice { buf, offset, len } if p.slice == Some(false) => {
                (&**buf, *offset, *len)
            }
            KernelArg::SliceMut { buf, offset, len } if p.slice.is_some() => {
                (&**buf, *offset, *len)
            }
            _ => {
                return Err(bad(format!(
                    "argument `{}` has the wrong kind; pass a scalar's value for a scalar, \
                     `KernelArg::whole(&buffer)` for `&[T]` and `whole_mut` for `&mut [T]`",
                    p.name
                )))
            }
        };
        // Lengths are in elements: a buffer of narrower elements would be read past its end.
        if p.ty != ScalarType::Bool && buf.elem_size != p.ty.size() {
            return Err(bad(format!(
                "buffer `{}` holds elements of {} bytes, but the kernel's `{}` is {:?} ({} \
                 bytes); pass a Buffer of the parameter's element type",
                p.name,
                buf.elem_size,
                p.name,
                p.ty,
                p.ty.size()
            )));
        }
        if !buf.device.same(dev) {
            return Err(bad(format!(
                "buffer `{}` belongs to another device ({}); upload it to {} first",
                p.name,
                buf.device.name(),
                dev.name()
            )));
        }
        if offset.checked_add(len).is_none_or(|end| end > buf.len) {
            return Err(bad(format!(
                "the view passed as `{}` ends at element {} of a buffer of {}; views are checked \
                 when made, so this is a bug of kernelforge's, please report it",
                p.name,
                offset.saturating_add(len),
                buf.len
            )));
        }
        if p.vector_lanes > 1 && offset % p.vector_lanes as usize != 0 {
            let n = p.vector_lanes;
            return Err(bad(format!(
                "the view passed as `{}` starts at element {offset}, but the kernel accesses \
                 `{}` as `Vec{n}`s, which start at multiples of {n} elements (their alignment \
                 on CUDA); start the view at a multiple of {n}, or copy the range to a buffer \
                 of its own",
                p.name, p.name
            )));
        }
        if len as u64 > u32::MAX as u64 {
            return Err(Error::TooLarge {
                what: "a buffer passed to a kernel",
                value: len as u64,
                limit: u32::MAX as u64,
                fix: "kernel indices are u32; split the data into several launches",
            });
        }
    }
    let counts = grid.group_counts(desc.workgroup_size);
    if counts.contains(&0) {
        return Ok(None);
    }
    for (count, size) in counts.iter().zip(desc.workgroup_size) {
        if count * size as u64 > MAX_THREADS + 1 {
            return Err(Error::TooLarge {
                what: "the grid",
                value: count * size as u64,
                limit: MAX_THREADS + 1,
                fix: "ids are u32; launch fewer threads per dimension",
            });
        }
    }
    let total: u64 = counts.iter().product();
    if total > u32::MAX as u64 {
        return Err(Error::TooLarge {
            what: "the number of workgroups",
            value: total,
            limit: u32::MAX as u64,
            fix: "launch fewer workgroups",
        });
    }
    Ok(Some(counts.map(|c| c as u32)))
}
