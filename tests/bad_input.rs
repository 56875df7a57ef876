//! The catalogue of bad input at run time: each case is a mistake a user can make through the
//! public API, and each must come back as an `Err` whose message names the cause and the fix,
//! on every backend present, never a panic. A case that cannot arise on a backend (a GPU
//! limit on the CPU) is skipped there. A grid of no workgroups is not among them: it launches
//! nothing, as a wgpu dispatch of 0 and a rayon loop over an empty range do (CUDA would refuse
//! it), so that an empty batch needs no guard; tests/bad_input.rs checks that too.

mod common;

use common::each_backend;
use kernelforge::__private::KernelArg;
use kernelforge::kernels::saxpy;
use kernelforge::prelude::*;
use kernelforge::Result;
use std::sync::Mutex;

/// Held by the cases that set environment variables (the instances run in parallel).
static ENV: Mutex<()> = Mutex::new(());

/// `f` with `var` set to `value`, restored after.
fn with_env<T>(var: &str, value: &str, f: impl FnOnce() -> T) -> T {
    let _g = ENV.lock().unwrap_or_else(|e| e.into_inner());
    let old = std::env::var_os(var);
    std::env::set_var(var, value);
    let r = f();
    match old {
        Some(v) => std::env::set_var(var, v),
        None => std::env::remove_var(var),
    }
    r
}

/// Launches saxpy (`a: f32, x: &[f32], y: &mut [f32]`) through `Device::launch` with `args`.
fn saxpy_raw(dev: &Device, args: &mut [KernelArg<'_>]) -> Result<()> {
    dev.launch(&saxpy::saxpy_f32::KERNEL, Grid::linear(4), args)
}

/// A kernel sized at launch, for the shared-memory cases.
#[compute_kernel(workgroup_size = 64)]
pub fn staged_copy(len: u32, x: &[f32], y: &mut [f32]) {
    let stage = shared_array::<f32>(len);
    let i = global_id().x;
    let l = local_id().x;
    if l < len {
        stage[l] = x[i];
    }
    workgroup_barrier();
    if l < len {
        y[i] = stage[l];
    }
}

/// One mistake: what it does on `dev` (`None` where it cannot arise), and two fragments the
/// message must hold: the cause, and the fix (one of several, `|`-separated, where the
/// message differs between machines).
struct Case {
    name: &'static str,
    run: fn(&Device) -> Option<Result<()>>,
    cause: &'static str,
    fix: &'static str,
}

fn buffers(dev: &Device, n: usize) -> (Buffer<f32>, Buffer<f32>) {
    (
        dev.upload(&vec![1.0f32; n]).unwrap(),
        dev.upload(&vec![2.0f32; n]).unwrap(),
    )
}

/// Another device than `dev`: the CPU, or wgpu where `dev` is the CPU.
fn other(dev: &Device) -> Option<Device> {
    if dev.backend() == Backend::Cpu {
        Device::wgpu().ok()
    } else {
        Some(Device::cpu())
    }
}

const CASES: &[Case] = &[
    Case {
        name: "write of the wrong length",
        run: |d| Some(buffers(d, 4).0.write(&[1.0; 3])),
        cause: "3 elements given for a buffer of 4",
        fix: "pass a slice of the buffer's length",
    },
    Case {
        name: "read_into a slice of the wrong length",
        run: |d| Some(buffers(d, 4).0.read_into(&mut [0.0; 5])),
        cause: "5 elements given for a buffer of 4",
        fix: "pass a slice of the buffer's length",
    },
    Case {
        name: "copy_from a buffer of another length",
        run: |d| {
            let (mut a, _) = buffers(d, 4);
            let b = d.zeros::<f32>(5).unwrap();
            Some(a.copy_from(&b))
        },
        cause: "5 elements given for a buffer of 4",
        fix: "copy between buffers of one length",
    },
    Case {
        name: "copy_from a buffer of another device",
        run: |d| {
            let o = other(d)?;
            let (mut a, _) = buffers(d, 4);
            let b = o.zeros::<f32>(4).unwrap();
            Some(a.copy_from(&b))
        },
        cause: "the source is a buffer of",
        fix: "copy between devices through the host",
    },
    Case {
        name: "an input buffer of another device",
        run: |d| {
            let x = other(d)?.upload(&[1.0f32; 4]).unwrap();
            let (_, mut y) = buffers(d, 4);
            Some(saxpy::launch(d, Grid::linear(4), 1.0, &x, &mut y))
        },
        cause: "buffer `x` belongs to another device",
        fix: "upload it to",
    },
    Case {
        name: "an output buffer of another device",
        run: |d| {
            let (x, _) = buffers(d, 4);
            let mut y = other(d)?.upload(&[1.0f32; 4]).unwrap();
            Some(saxpy::launch(d, Grid::linear(4), 1.0, &x, &mut y))
        },
        cause: "buffer `y` belongs to another device",
        fix: "upload it to",
    },
    Case {
        name: "a view past the buffer's end",
        run: |d| Some(buffers(d, 4).0.slice(2..9).map(|_| ())),
        cause: "the range `2..9` is not within the buffer's 4 elements",
        fix: "a <= b <= len",
    },
    Case {
        name: "a view that starts after it ends",
        run: |d| {
            // As a program computes it (a literal `3..2` is a lint).
            let (start, end) = (3, 2);
            Some(buffers(d, 4).0.slice(start..end).map(|_| ()))
        },
        cause: "the range `3..2`",
        fix: "a <= b <= len",
    },
    Case {
        name: "a mutable view past the buffer's end",
        run: |d| Some(buffers(d, 4).0.slice_mut(..5).map(|_| ())),
        cause: "the range `..5`",
        fix: "a <= b <= len",
    },
    Case {
        name: "a view of another device's buffer as an argument",
        run: |d| {
            let x = other(d)?.upload(&[1.0f32; 8]).unwrap();
            let (_, mut y) = buffers(d, 4);
            Some(saxpy::launch(
                d,
                Grid::linear(4),
                1.0,
                &x.slice(4..).unwrap(),
                &mut y,
            ))
        },
        cause: "buffer `x` belongs to another device",
        fix: "upload it to",
    },
    Case {
        name: "a view whose inclusive end overflows",
        run: |d| Some(buffers(d, 4).0.slice(..=usize::MAX).map(|_| ())),
        cause: "the range `..=18446744073709551615`",
        fix: "a <= b <= len",
    },
    Case {
        name: "a view whose excluded start overflows",
        run: |d| {
            use std::ops::Bound::{Excluded, Unbounded};
            Some(
                buffers(d, 4)
                    .0
                    .slice((Excluded(usize::MAX), Unbounded))
                    .map(|_| ()),
            )
        },
        cause: "the range `18446744073709551616..`",
        fix: "a <= b <= len",
    },
    Case {
        name: "a grid whose ids pass u32",
        run: |d| {
            let (x, mut y) = buffers(d, 4);
            Some(saxpy::launch(
                d,
                Grid::groups([u32::MAX, 4, 1]),
                1.0,
                &x,
                &mut y,
            ))
        },
        cause: "the grid is too large",
        fix: "launch fewer threads per dimension",
    },
    Case {
        name: "shared memory past the device's limit",
        run: |d| {
            let (x, mut y) = buffers(d, 64);
            Some(staged_copy::launch(
                d,
                Grid::groups([1, 1, 1]),
                1 << 30,
                &x,
                &mut y,
            ))
        },
        cause: "4294967296 exceeds the limit",
        fix: "smaller",
    },
    Case {
        name: "an allocation larger than memory",
        run: |d| Some(d.zeros::<f32>(1 << 45).map(|_| ())),
        cause: "140737488355328",
        fix: "or use",
    },
    Case {
        name: "an allocation whose size overflows",
        run: |d| Some(d.zeros::<f32>(usize::MAX / 2).map(|_| ())),
        cause: "the buffer (bytes) is too large",
        fix: "allocate fewer elements",
    },
    Case {
        name: "a CUDA GPU that does not exist",
        run: |_| Some(Device::cuda(99).map(|_| ())),
        cause: "the CUDA backend is unavailable",
        fix: "install the NVIDIA driver|lists the GPUs by ordinal",
    },
    Case {
        name: "histc with lo above hi",
        run: |d| Some(kernelforge::histogram::histc(d, &buffers(d, 4).0, 8, 2.0, 1.0).map(|_| ())),
        cause: "lo = 2, hi = 1",
        fix: "pass the range",
    },
    Case {
        name: "histc with a NaN bound",
        run: |d| {
            let x = buffers(d, 4).0;
            Some(kernelforge::histogram::histc(d, &x, 8, f32::NAN, 1.0).map(|_| ()))
        },
        cause: "lo = NaN",
        fix: "pass the range",
    },
    Case {
        name: "a grid of more than 2^32 workgroups",
        run: |d| {
            let (x, mut y) = buffers(d, 4);
            Some(saxpy::launch(
                d,
                Grid::groups([65_536, 65_536, 2]),
                1.0,
                &x,
                &mut y,
            ))
        },
        cause: "the number of workgroups is too large: 8589934592",
        fix: "launch fewer workgroups",
    },
    Case {
        name: "a launch with too few arguments",
        run: |d| {
            let (x, _) = buffers(d, 4);
            Some(saxpy_raw(
                d,
                &mut [KernelArg::Scalar(0), KernelArg::whole(x.raw())],
            ))
        },
        cause: "expected 3 arguments, got 2",
        fix: "pass one per kernel parameter",
    },
    Case {
        name: "a scalar where the kernel takes a slice",
        run: |d| {
            let (_, mut y) = buffers(d, 4);
            let mut args = [
                KernelArg::Scalar(0),
                KernelArg::Scalar(0),
                KernelArg::whole_mut(y.raw_mut()),
            ];
            Some(saxpy_raw(d, &mut args))
        },
        cause: "argument `x` has the wrong kind",
        fix: "`KernelArg::whole(&buffer)` for `&[T]`",
    },
    Case {
        name: "a buffer of another element type",
        run: |d| {
            let x = d.upload(&[1u8; 4]).unwrap();
            let (_, mut y) = buffers(d, 4);
            let mut args = [
                KernelArg::Scalar(0),
                KernelArg::whole(x.raw()),
                KernelArg::whole_mut(y.raw_mut()),
            ];
            Some(saxpy_raw(d, &mut args))
        },
        cause: "buffer `x` holds elements of 1 bytes, but the kernel's `x` is F32 (4 bytes)",
        fix: "pass a Buffer of the parameter's element type",
    },
    Case {
        name: "KERNELFORGE_BACKEND naming no backend",
        run: |_| Some(with_env("KERNELFORGE_BACKEND", "tpu", Device::forced).map(|_| ())),
        cause: "KERNELFORGE_BACKEND=\"tpu\" is not understood",
        fix: "use cuda, wgpu, cpu or auto",
    },
    Case {
        name: "KERNELFORGE_BACKEND forcing a backend that is unavailable",
        run: |_| match with_env("KERNELFORGE_BACKEND", "cuda", Device::forced) {
            // A machine with a GPU: the mistake does not arise.
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        },
        cause: "KERNELFORGE_BACKEND=cuda forces it",
        fix: "unset the variable, or set it to auto",
    },
    Case {
        name: "KERNELFORGE_CXX naming no compiler",
        run: |_| {
            let r = with_env("KERNELFORGE_CXX", "/nonexistent/g++", Device::cuda_host);
            Some(r.map(|_| ()))
        },
        cause: "KERNELFORGE_CXX=/nonexistent/g++ does not run",
        fix: "point it at a C++20 compiler",
    },
    Case {
        name: "a cache directory that cannot be written",
        run: |d| {
            // Only the CUDA C on the host compiles into the cache at its first launch here.
            if !common::is_cuda_host(d) {
                return None;
            }
            let file = std::env::temp_dir().join(format!("kf-not-a-dir-{}", std::process::id()));
            std::fs::write(&file, b"").unwrap();
            let dir = file.join("cache");
            let host = with_env(
                "KERNELFORGE_CACHE_DIR",
                dir.to_str().unwrap(),
                Device::cuda_host,
            );
            let host = host.unwrap();
            let (x, mut y) = buffers(&host, 4);
            let r = saxpy::launch(&host, Grid::linear(4), 1.0, &x, &mut y);
            let _ = std::fs::remove_file(&file);
            Some(r)
        },
        cause: "could not be compiled or loaded",
        fix: "set KERNELFORGE_CACHE_DIR to a writable directory",
    },
];

/// The import of a caller's wgpu buffers (`Buffer::from_wgpu`), in builds with wgpu.
#[cfg(feature = "wgpu")]
mod wgpu_import {
    use super::*;

    pub(super) const CASES: &[Case] = &[
        Case {
            name: "a wgpu buffer imported into a device that is not wgpu",
            run: |d| {
                if d.backend() == Backend::Wgpu {
                    return None;
                }
                let w = Device::wgpu().ok()?;
                Some(Buffer::<f32>::from_wgpu(d, wgpu_buffer(&w, 16, true), 4).map(|_| ()))
            },
            cause: "is not a wgpu device",
            fix: "open one with Device::from_wgpu or Device::wgpu",
        },
        Case {
            name: "a wgpu buffer without storage usage",
            run: |d| {
                d.wgpu_handles()?;
                Some(Buffer::<f32>::from_wgpu(d, wgpu_buffer(d, 16, false), 4).map(|_| ()))
            },
            cause: "the buffer's usages are",
            fix: "create it with STORAGE | COPY_SRC | COPY_DST",
        },
        Case {
            name: "a wgpu buffer shorter than the length given",
            run: |d| {
                d.wgpu_handles()?;
                Some(Buffer::<f32>::from_wgpu(d, wgpu_buffer(d, 16, true), 5).map(|_| ()))
            },
            cause: "the buffer holds 16 bytes, and 5 elements need 20",
            fix: "pass a larger buffer or a smaller length",
        },
    ];

    /// A buffer of `bytes` made by `dev`'s own wgpu device, usable by kernels or not.
    fn wgpu_buffer(dev: &Device, bytes: u64, storage: bool) -> kernelforge::wgpu::Buffer {
        use kernelforge::wgpu::{BufferDescriptor, BufferUsages};
        let (device, _) = dev.wgpu_handles().expect("a wgpu device");
        let usage = BufferUsages::COPY_SRC
            | BufferUsages::COPY_DST
            | if storage {
                BufferUsages::STORAGE
            } else {
                BufferUsages::empty()
            };
        device.create_buffer(&BufferDescriptor {
            label: None,
            size: bytes,
            usage,
            mapped_at_creation: false,
        })
    }
}

/// Every case this build can run.
fn cases() -> impl Iterator<Item = &'static Case> {
    #[cfg(feature = "wgpu")]
    let more = wgpu_import::CASES;
    #[cfg(not(feature = "wgpu"))]
    let more: &[Case] = &[];
    CASES.iter().chain(more)
}

#[each_backend]
fn an_empty_grid_launches_nothing(dev: &Device) {
    let (x, mut y) = buffers(dev, 4);
    saxpy::launch(dev, Grid::groups([0, 1, 1]), 1.0, &x, &mut y).unwrap();
    saxpy::launch(dev, Grid::linear(0), 1.0, &x, &mut y).unwrap();
    assert_eq!(y.to_vec().unwrap(), [2.0; 4], "on {}", dev.name());
}

#[each_backend]
fn every_bad_input_is_an_error_naming_cause_and_fix(dev: &Device) {
    let mut failures = Vec::new();
    let mut ran = 0;
    for case in cases() {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (case.run)(dev)));
        match r {
            Err(_) => failures.push(format!("{}: panicked", case.name)),
            Ok(None) => eprintln!("{}: does not arise on {}", case.name, dev.name()),
            Ok(Some(Ok(()))) => failures.push(format!("{}: returned Ok", case.name)),
            Ok(Some(Err(e))) => {
                ran += 1;
                let msg = e.to_string();
                eprintln!("{}: {msg}", case.name);
                let fixed = case.fix.split('|').any(|f| msg.contains(f));
                if !msg.contains(case.cause) || !fixed {
                    failures.push(format!(
                        "{}: {msg:?} lacks {:?} or {:?}",
                        case.name, case.cause, case.fix
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "on {}:\n{}",
        dev.name(),
        failures.join("\n")
    );
    eprintln!(
        "{ran} of {} cases are errors on {}",
        cases().count(),
        dev.name()
    );
}
