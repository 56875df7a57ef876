//! The CPU backend: buffers in host memory, launches run the generated Rust on rayon.

use crate::buffer::{RawBuffer, Storage};
use crate::cpu::{self, Args, Launch};
use crate::device::Backend;
use crate::error::{Error, Result};
use crate::fault::{self, Fault};
use crate::kernel::{KernelArg, KernelDesc};

pub(crate) fn name() -> String {
    format!(
        "CPU ({} rayon threads, {:?} SIMD)",
        rayon::current_num_threads(),
        cpu::simd_level()
    )
}

/// Zeroed host memory for `bytes` bytes, 8-byte aligned; `Error::OutOfMemory` (with the
/// memory the OS reports available) when the allocation fails, rather than Rust's abort.
pub(crate) fn alloc(bytes: usize) -> Result<Storage> {
    let words = bytes.div_ceil(8);
    let oom = || Error::OutOfMemory {
        device: name(),
        requested: bytes as u64,
        free: available_memory(),
    };
    if fault::fires(Backend::Cpu, Fault::OutOfMemory, None) {
        return Err(oom());
    }
    let mut v: Vec<u64> = Vec::new();
    v.try_reserve_exact(words).map_err(|_| oom())?;
    v.resize(words, 0);
    Ok(Storage::Cpu(v))
}

pub(crate) fn upload(bytes: &[u8]) -> Result<Storage> {
    let mut s = alloc(bytes.len())?;
    write(&mut s, bytes);
    Ok(s)
}

/// Overwrites the start of `storage` with `bytes`.
pub(crate) fn write(storage: &mut Storage, bytes: &[u8]) {
    #[allow(irrefutable_let_patterns)]
    if let Storage::Cpu(v) = storage {
        bytemuck::cast_slice_mut::<u64, u8>(v)[..bytes.len()].copy_from_slice(bytes);
    }
}

/// Memory the OS could give this process now, bytes (Linux: `MemAvailable` of /proc/meminfo).
pub(crate) fn available_memory() -> Option<u64> {
    meminfo("MemAvailable:")
}

/// Physical memory, bytes (Linux: `MemTotal` of /proc/meminfo).
pub(crate) fn total_memory() -> Option<u64> {
    meminfo("MemTotal:")
}

fn meminfo(field: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

pub(crate) fn read(buf: &RawBuffer) -> Vec<u8> {
    match &buf.storage {
        Storage::Cpu(v) => bytemuck::cast_slice::<u64, u8>(v)[..buf.bytes()].to_vec(),
        #[allow(unreachable_patterns)]
        _ => Vec::new(),
    }
}

pub(crate) fn launch(
    desc: &KernelDesc,
    groups: [u32; 3],
    args: &mut [KernelArg<'_>],
) -> Result<()> {
    let mut scalars = vec![0u32; args.len()];
    let mut slices = vec![(std::ptr::null_mut::<u8>(), 0usize); args.len()];
    let foreign = || Error::BadArguments {
        kernel: desc.name,
        message: "a buffer of another backend was passed to a CPU launch; upload the data \
                  with the same Device that launches"
            .into(),
    };
    for (i, arg) in args.iter_mut().enumerate() {
        // Without the GPU features `Storage` has one variant and the `else` arms are dead.
        #[allow(irrefutable_let_patterns)]
        match arg {
            KernelArg::Scalar(bits) => scalars[i] = *bits,
            KernelArg::Slice(buf) => {
                let Storage::Cpu(v) = &buf.storage else {
                    return Err(foreign());
                };
                // Never written through: the front end rejects stores to `&[T]`.
                slices[i] = (v.as_ptr() as *mut u8, buf.len);
            }
            KernelArg::SliceMut(buf) => {
                let len = buf.len;
                let Storage::Cpu(v) = &mut buf.storage else {
                    return Err(foreign());
                };
                slices[i] = (v.as_mut_ptr() as *mut u8, len);
            }
        }
    }
    let launch = Launch {
        groups,
        workgroup_size: desc.workgroup_size,
    };
    (desc.cpu)(&launch, &Args { scalars, slices }).map_err(|f| match f.array {
        Some(array) => Error::ArrayOutOfBounds {
            kernel: desc.name,
            array,
            index: f.index,
            len: f.len,
        },
        None => Error::OutOfBounds {
            kernel: desc.name,
            param: desc
                .params
                .get(f.param as usize)
                .map(|p| p.name)
                .unwrap_or("?"),
            index: f.index,
            len: f.len,
        },
    })
}
