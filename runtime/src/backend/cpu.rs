//! The CPU backend: buffers in host memory, launches run the generated Rust on rayon.

use super::{Arg, Backend};
use crate::cpu_rt::{self, race, Args, Launch};
use crate::error::{Error, Result};
use crate::fault::{self, Fault};
use crate::kernel::KernelDesc;

/// A CPU buffer: host memory in 8-byte words, so that every element type is aligned.
pub(crate) type CpuBuffer = Vec<u64>;

pub(crate) fn name() -> String {
    format!(
        "CPU ({} rayon threads, {:?} SIMD)",
        rayon::current_num_threads(),
        cpu_rt::simd_level()
    )
}

/// Zeroed host memory for `bytes` bytes, 8-byte aligned; `Error::OutOfMemory` (with the
/// memory the OS reports available) when the allocation fails, rather than Rust's abort.
pub(crate) fn alloc(bytes: usize) -> Result<CpuBuffer> {
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
    Ok(v)
}

/// Most bytes of launch-sized workgroup memory on the CPU: each rayon task allocates its own,
/// and no GPU offers more than a few hundred KiB, so this catches a wrong length, not a
/// real kernel.
const MAX_SHARED_BYTES: u64 = 64 << 20;

/// `Err` when a launch-sized workgroup array of `bytes` is over [`MAX_SHARED_BYTES`].
pub(crate) fn check_shared(desc: &KernelDesc, bytes: u64) -> Result<()> {
    let _ = desc;
    if bytes > MAX_SHARED_BYTES {
        return Err(Error::TooLarge {
            what: "the launch-sized workgroup array (bytes)",
            value: bytes,
            limit: MAX_SHARED_BYTES,
            fix: "pass a smaller length; GPUs offer at most a few hundred KiB of shared memory",
        });
    }
    Ok(())
}

pub(crate) fn upload(bytes: &[u8]) -> Result<CpuBuffer> {
    let mut b = alloc(bytes.len())?;
    write(&mut b, bytes);
    Ok(b)
}

/// Overwrites the start of `b` with `bytes`.
pub(crate) fn write(b: &mut CpuBuffer, bytes: &[u8]) {
    bytemuck::cast_slice_mut::<u64, u8>(b)[..bytes.len()].copy_from_slice(bytes);
}

/// Copies the first `bytes` bytes of `src` over those of `dst`.
pub(crate) fn copy(dst: &mut CpuBuffer, src: &CpuBuffer, bytes: usize) {
    bytemuck::cast_slice_mut::<u64, u8>(dst)[..bytes]
        .copy_from_slice(&bytemuck::cast_slice::<u64, u8>(src)[..bytes]);
}

/// The first `bytes` bytes of `b`.
pub(crate) fn read(b: &CpuBuffer, bytes: usize) -> Vec<u8> {
    bytemuck::cast_slice::<u64, u8>(b)[..bytes].to_vec()
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

pub(crate) fn launch(
    desc: &KernelDesc,
    groups: [u32; 3],
    args: &mut [Arg<'_, CpuBuffer>],
    races: bool,
) -> Result<()> {
    let run = match (races, desc.cpu_checked) {
        (false, _) => desc.cpu,
        (true, Some(checked)) => checked,
        (true, None) => {
            return Err(Error::Unsupported {
                kernel: desc.name,
                what: "a race-checked CPU version",
                device: format!("{}, race check on", name()),
                fix: "build kernelforge with its `check` feature, which compiles each kernel's \
                      checked CPU version (kernelforge's own tests turn it on)",
            })
        }
    };
    let mut scalars = vec![0u64; args.len()];
    let mut slices = vec![(std::ptr::null_mut::<u8>(), 0usize); args.len()];
    for (i, arg) in args.iter_mut().enumerate() {
        match arg {
            Arg::Scalar(bits) => scalars[i] = *bits,
            // Never written through: the front end rejects stores to `&[T]`. The extent is
            // within the buffer (`launch::checked_groups`).
            Arg::Slice(v, e) => {
                slices[i] = (
                    unsafe { (v.as_ptr() as *mut u8).add(e.offset * e.elem) },
                    e.len,
                )
            }
            Arg::SliceMut(v, e) => {
                slices[i] = (
                    unsafe { (v.as_mut_ptr() as *mut u8).add(e.offset * e.elem) },
                    e.len,
                )
            }
        }
    }
    let launch = Launch {
        groups,
        workgroup_size: desc.workgroup_size,
        races: races.then(Default::default),
    };
    let result = run(&launch, &Args { scalars, slices });
    if let Some(found) = launch.races.as_deref().and_then(|r| r.finding()) {
        return Err(race_error(desc, found));
    }
    result.map_err(|f| match f.array {
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

/// The error for what the race check found in `desc`'s launch.
fn race_error(desc: &KernelDesc, found: race::Finding) -> Error {
    let param = |p: u32| desc.params.get(p as usize).map_or("?", |p| p.name);
    let what = |a: &race::Access| {
        let verb = if a.write { "wrote" } else { "read" };
        format!("{} {verb} it at line {}", a.who(), a.line)
    };
    match found {
        race::Finding::Race {
            target,
            index,
            accesses: [first, second],
        } => {
            let target = match target {
                race::Target::Slice(p) => format!("buffer `{}`", param(p)),
                race::Target::Array(a) => format!("workgroup array `{a}`"),
            };
            Error::DataRace {
                kernel: desc.name,
                target,
                index,
                first: what(&first),
                second: what(&second),
            }
        }
        race::Finding::Uninitialized { array, index, read } => Error::UninitializedRead {
            kernel: desc.name,
            array,
            index,
            read: what(&read),
        },
    }
}
