//! Failure paths through the real backends, driven by the test-only fault-injection hook
//! (`kernelforge::__private::fault`): compile failures, lost devices and exhausted memory give
//! the documented errors, per-launch CPU fallback reruns the launch on the CPU with the buffers
//! copied back and the results right, and `KERNELFORGE_FALLBACK=0` turns fallback into the
//! error. Also: real out-of-memory on the CPU, `best()`'s cache and `memory_info`.
//!
//! Faults and environment variables are process-wide, so the tests here take a lock.

mod common;

use common::each_backend;

use kernelforge::__private::fault::{self, Fault};
use kernelforge::kernels::{histogram, saxpy, softmax};
use kernelforge::prelude::*;
use kernelforge::Error;
use std::sync::Mutex;

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    let g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    fault::clear();
    std::env::remove_var("KERNELFORGE_FALLBACK");
    g
}

/// Runs saxpy, softmax (workgroup memory, barriers) and histogram (atomics) on `dev`, checks
/// each against the CPU backend exactly (the same program on both), and returns the first
/// error.
fn run_three(dev: &Device) -> Result<(), Error> {
    let cpu = Device::cpu();
    let n = 3000usize;
    let x: Vec<f32> = (0..n)
        .map(|i| ((i * 37) % 101) as f32 / 13.0 - 3.0)
        .collect();
    let y0: Vec<f32> = (0..n).map(|i| (i % 7) as f32).collect();

    let run_saxpy = |d: &Device| -> Result<Vec<f32>, Error> {
        let xb = d.upload(&x)?;
        let mut yb = d.upload(&y0)?;
        saxpy::launch(d, Grid::linear(n), 2.5, &xb, &mut yb)?;
        yb.to_vec()
    };
    let (rows, cols) = (3usize, 1000usize);
    let run_softmax = |d: &Device| -> Result<Vec<f32>, Error> {
        let xb = d.upload(&x)?;
        let mut yb = d.zeros::<f32>(rows * cols)?;
        softmax::launch::<_, 256>(
            d,
            Grid::groups([rows as u32, 1, 1]),
            cols as u32,
            &xb,
            &mut yb,
        )?;
        yb.to_vec()
    };
    let run_hist = |d: &Device| -> Result<Vec<u32>, Error> {
        let xb = d.upload(&x)?;
        let mut bins = d.zeros::<u32>(64)?;
        histogram::launch(d, Grid::linear(n), -3.0, 5.0, &xb, &mut bins)?;
        bins.to_vec()
    };
    let got = run_saxpy(dev)?;
    assert_eq!(got, run_saxpy(&cpu).unwrap(), "saxpy on {}", dev.name());
    let got = run_softmax(dev)?;
    let want = run_softmax(&cpu).unwrap();
    for (g, w) in got.iter().zip(&want) {
        assert!(
            (g - w).abs() <= 1e-6,
            "softmax on {}: {g} vs {w}",
            dev.name()
        );
    }
    let got = run_hist(dev)?;
    assert_eq!(got, run_hist(&cpu).unwrap(), "histogram on {}", dev.name());
    assert_eq!(got.iter().sum::<u32>(), n as u32);
    Ok(())
}

#[each_backend(wgpu, cuda)]
fn compile_failure_is_an_error_without_fallback(dev: &Device) {
    let _g = serial();
    fault::inject(dev.backend(), Fault::Compile, Some("saxpy_f32"), 1);
    let e = run_three(dev).expect_err("the injected compile failure");
    assert!(
        matches!(
            e,
            Error::Compile {
                kernel: "saxpy_f32",
                ..
            }
        ),
        "{e}"
    );
    assert!(e.is_device_failure());
    let msg = e.to_string();
    assert!(msg.contains("saxpy") && msg.contains("injected"), "{msg}");
    fault::clear();
    // The failure was not cached: the next launch compiles and runs.
    run_three(dev).unwrap();
}

#[each_backend(wgpu, cuda)]
fn cpu_fallback_reruns_failed_launches_on_the_cpu(dev: &Device) {
    let _g = serial();
    dev.set_cpu_fallback(true);
    fault::inject(dev.backend(), Fault::Compile, Some("softmax_f32_256"), 1);
    fault::inject(dev.backend(), Fault::DeviceLost, Some("histogram"), 2);
    run_three(dev).unwrap();
    assert_eq!(dev.fallen_back_kernels(), ["histogram", "softmax_f32_256"]);
    // The device itself still works for the kernels that did not fail.
    fault::clear();
    run_three(dev).unwrap();
}

/// `zk::bn254::fr_mul` on a wgpu device whose 13-bit-limb shader (`bn254_fr_mul_u32`) fails
/// to compile: the first call reruns that kernel on the CPU, and later calls launch the 64-bit
/// kernel on the device rather than compiling the failed shader again. Every result is the CPU
/// backend's (tests/bn254.rs checks those against arkworks).
#[each_backend(wgpu)]
fn fr_mul_drops_a_shader_that_fell_back(dev: &Device) {
    use kernelforge::zk::bn254;
    let _g = serial();
    dev.set_cpu_fallback(true);
    dev.set_profiling(true);
    // Two failures armed: a second compile of the 13-bit shader would fall back again.
    fault::inject(dev.backend(), Fault::Compile, Some("bn254_fr_mul_u32"), 2);
    let limbs: Vec<u64> = (0..4 * 300u64)
        .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (i << 40))
        .collect();
    let (a, b) = limbs.split_at(limbs.len() / 2);
    let mul = |d: &Device| {
        let (ab, bb) = (d.upload(a).unwrap(), d.upload(b).unwrap());
        let mut out = d.zeros::<u64>(a.len()).unwrap();
        bn254::fr_mul(d, &ab, &bb, &mut out).unwrap();
        out.to_vec().unwrap()
    };
    let want = mul(&Device::cpu());
    assert_eq!(mul(dev), want, "first call on {}", dev.name());
    assert_eq!(dev.fallen_back_kernels(), ["bn254_fr_mul_u32"]);
    assert_eq!(mul(dev), want, "second call on {}", dev.name());
    assert_eq!(dev.fallen_back_kernels(), ["bn254_fr_mul_u32"]);
    let profile = dev.profile().unwrap();
    let launches = |k: &str| profile.kernel(k).map_or(0, |p| p.launches);
    assert_eq!(launches("bn254_fr_mul_u32"), 1, "{profile}");
    assert_eq!(launches("bn254_fr_mul"), 1, "{profile}");
    dev.set_profiling(false);
}

#[each_backend(wgpu, cuda)]
fn fallback_zero_turns_fallback_into_the_error(dev: &Device) {
    let _g = serial();
    dev.set_cpu_fallback(true);
    std::env::set_var("KERNELFORGE_FALLBACK", "0");
    fault::inject(dev.backend(), Fault::DeviceLost, Some("saxpy_f32"), 1);
    let e = run_three(dev).expect_err("no fallback under KERNELFORGE_FALLBACK=0");
    assert!(matches!(e, Error::DeviceLost { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("lost") && msg.contains("new Device"), "{msg}");
    assert!(dev.fallen_back_kernels().is_empty());
    std::env::remove_var("KERNELFORGE_FALLBACK");
}

// Fault injection is a hook of the three backends; the CUDA C on the host has none.
#[each_backend(cpu, wgpu, cuda)]
fn out_of_memory_names_the_size(dev: &Device) {
    let _g = serial();
    fault::inject(dev.backend(), Fault::OutOfMemory, None, 1);
    let e = dev
        .zeros::<f32>(1000)
        .expect_err("the injected out-of-memory");
    match &e {
        Error::OutOfMemory { requested, .. } => assert!(*requested >= 4000, "{e}"),
        _ => panic!("{e}"),
    }
    assert!(e.to_string().contains("bytes asked"), "{e}");
    fault::clear();
    dev.zeros::<f32>(1000).unwrap();
    // A real one: more than any machine has, on the CPU.
    let e = Device::cpu()
        .zeros::<u8>(usize::MAX / 4)
        .expect_err("2^62 bytes do not fit");
    let msg = e.to_string();
    assert!(matches!(e, Error::OutOfMemory { .. }), "{msg}");
    if cfg!(target_os = "linux") {
        assert!(msg.contains("bytes free"), "{msg}");
    }
}

#[test]
fn best_is_chosen_once() {
    let _g = serial();
    let a = Device::best();
    let b = Device::best();
    assert_eq!(a, b);
    assert_eq!(a.selection_report(), b.selection_report());
    assert_ne!(Device::cpu(), Device::cpu());
}

#[each_backend]
fn memory_info_counts_buffers(dev: &Device) {
    let _g = serial();
    let before = dev.memory_info().unwrap();
    let buf = dev.zeros::<f32>(1 << 20).unwrap();
    let during = dev.memory_info().unwrap();
    if dev.backend() != Backend::Cuda {
        assert_eq!(during.used, before.used + (4 << 20), "{}", dev.name());
    } else {
        assert!(during.total.is_some() && during.free.is_some());
    }
    drop(buf);
    if dev.backend() != Backend::Cuda {
        assert_eq!(dev.memory_info().unwrap().used, before.used);
    }
    if dev.backend() == Backend::Cpu && cfg!(target_os = "linux") {
        assert!(during.total.unwrap() >= during.free.unwrap());
    }
}

#[each_backend(cpu, wgpu, cuda)]
fn warm_up_compiles_ahead_and_reports_failures(dev: &Device) {
    let _g = serial();
    dev.warm_up(&[
        &saxpy::saxpy_f32::KERNEL,
        &softmax::softmax_f32_256::KERNEL,
        &histogram::KERNEL,
    ])
    .unwrap_or_else(|e| panic!("{}: {e}", dev.name()));
    // Warmed kernels are cached: a compile fault armed now does not fire for them.
    if dev.backend() != Backend::Cpu {
        fault::inject(dev.backend(), Fault::Compile, Some("saxpy_f32"), 1);
        run_three(dev).unwrap();
        fault::clear();
        let fresh = match dev.backend() {
            Backend::Wgpu => Device::wgpu().unwrap(),
            _ => Device::cuda(0).unwrap(),
        };
        fault::inject(dev.backend(), Fault::Compile, Some("softmax_f32_256"), 1);
        let e = fresh
            .warm_up(&[&softmax::softmax_f32_256::KERNEL, &saxpy::saxpy_f32::KERNEL])
            .expect_err("the injected failure");
        assert!(
            matches!(
                e,
                Error::Compile {
                    kernel: "softmax_f32_256",
                    ..
                }
            ),
            "{e}"
        );
        fault::clear();
    }
}

/// On a CUDA GPU: PTX whose `.version` is raised past what the driver accepts (as from an nvcc
/// newer than the driver) is diagnosed and recovered from by NVRTC, and the results are right.
/// Skips without a CUDA device (KERNELFORGE_REQUIRE=cuda makes that a failure).
#[test]
fn cuda_recovers_from_ptx_newer_than_the_driver() {
    let _g = serial();
    let dev = match Device::cuda(0) {
        Ok(d) => d,
        Err(e) => return common::skip_or_fail("cuda", &e.to_string()),
    };
    let Some(ptx) = saxpy::saxpy_f32::KERNEL.ptx else {
        return common::skip_or_fail("nvcc", "no PTX was embedded at build time");
    };
    let raised: &'static str = Box::leak(
        ptx.lines()
            .map(|l| {
                if l.trim_start().starts_with(".version") {
                    ".version 9.9".to_string()
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
            .into_boxed_str(),
    );
    let desc = kernelforge::__private::KernelDesc {
        ptx: Some(raised),
        cubins: &[],
        ..saxpy::saxpy_f32::KERNEL
    };
    let n = 1000usize;
    let x = dev.upload(&vec![2.0f32; n]).unwrap();
    let mut y = dev.upload(&vec![1.0f32; n]).unwrap();
    use kernelforge::__private::KernelArg;
    let mut args = [
        KernelArg::Scalar(3.0f32.to_bits() as u64),
        KernelArg::whole(x.raw()),
        KernelArg::whole_mut(y.raw_mut()),
    ];
    dev.launch(&desc, Grid::linear(n), &mut args)
        .unwrap_or_else(|e| panic!("NVRTC did not recover: {e}"));
    assert!(y.to_vec().unwrap().iter().all(|&v| v == 7.0));
    // Without fallback the same PTX is an error that names the ISA, the driver and the fix.
    std::env::set_var("KERNELFORGE_FALLBACK", "0");
    let fresh = Device::cuda(0).unwrap();
    let x = fresh.upload(&vec![2.0f32; n]).unwrap();
    let mut y = fresh.upload(&vec![1.0f32; n]).unwrap();
    let mut args = [
        KernelArg::Scalar(3.0f32.to_bits() as u64),
        KernelArg::whole(x.raw()),
        KernelArg::whole_mut(y.raw_mut()),
    ];
    let e = fresh
        .launch(&desc, Grid::linear(n), &mut args)
        .expect_err("KERNELFORGE_FALLBACK=0");
    std::env::remove_var("KERNELFORGE_FALLBACK");
    let msg = e.to_string();
    for part in ["ISA 9.9", "CUDA", "nvcc==13.0.88", "KERNELFORGE_FALLBACK=0"] {
        assert!(msg.contains(part), "{part}: {msg}");
    }
}
