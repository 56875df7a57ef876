//! Shared test support: the devices to test on, with skip/require rules.

#![allow(dead_code)]

use kernelforge::prelude::*;
use kernelforge::{Backend, Device};
#[allow(unused_imports)] // test files without cross-backend tests
pub use kernelforge_testgen::each_backend;

/// Whether `KERNELFORGE_REQUIRE` (comma-separated) names `what`.
pub fn required(what: &str) -> bool {
    std::env::var("KERNELFORGE_REQUIRE")
        .map(|v| v.split(',').any(|x| x.trim() == what))
        .unwrap_or(false)
}

/// Skips (prints why) or, if required, fails.
pub fn skip_or_fail(what: &str, why: &str) {
    if required(what) {
        panic!("KERNELFORGE_REQUIRE names {what}, but it is unavailable: {why}");
    }
    eprintln!("skipping {what}: {why}");
}

/// `backend`'s device (CUDA: GPU 0), or `None` after skipping (printing why) or failing when
/// `KERNELFORGE_REQUIRE` names it.
pub fn device(backend: Backend) -> Option<Device> {
    let dev = match backend {
        Backend::Cpu => Ok(Device::cpu()),
        Backend::Wgpu => Device::wgpu(),
        Backend::Cuda => Device::cuda(0),
    };
    match dev {
        Ok(d) => Some(d),
        Err(e) => {
            skip_or_fail(backend.as_str(), &e.to_string());
            None
        }
    }
}

/// Runs `test` on `backend`'s device, or skips.
pub fn on_backend(backend: Backend, test: impl FnOnce(&Device)) {
    if let Some(dev) = device(backend) {
        test(&dev);
    }
}

// What the instances of an `#[each_backend]` test (kernelforge-testgen) call.

pub fn on_cpu(test: impl FnOnce(&Device)) {
    on_backend(Backend::Cpu, test)
}

pub fn on_wgpu(test: impl FnOnce(&Device)) {
    on_backend(Backend::Wgpu, test)
}

pub fn on_cuda(test: impl FnOnce(&Device)) {
    on_backend(Backend::Cuda, test)
}

/// Whether `dev` is the CUDA C run on the host ([`Device::cuda_host`]), which reports
/// `Backend::Cuda` but times launches by the wall clock and has no fault hooks.
pub fn is_cuda_host(dev: &Device) -> bool {
    dev.name().starts_with("CUDA C on the host")
}

/// Runs `test` on the CUDA C compiled for the host ([`Device::cuda_host`]), or skips (fails
/// when `KERNELFORGE_REQUIRE` names `cuda-host`) when no C++ compiler runs.
pub fn on_cuda_host(test: impl FnOnce(&Device)) {
    match Device::cuda_host() {
        Ok(dev) => test(&dev),
        Err(e) => skip_or_fail("cuda-host", &e.to_string()),
    }
}

/// Runs saxpy (`y = 1.5 x + y`) once over 10,000 elements on `dev` from fresh inputs and
/// checks every element against an f64 loop within 1e-6 relative (absolute below 1): the
/// smoke check of tests that are about something around the launch (profiling, caches).
pub fn saxpy_checked(dev: &Device) {
    let n = 10_000;
    let x: Vec<f32> = (0..n).map(|i| (i % 97) as f32 * 0.25 - 12.0).collect();
    let y: Vec<f32> = (0..n).map(|i| (i % 13) as f32).collect();
    let xb = dev.upload(&x).expect("upload");
    let mut yb = dev.upload(&y).expect("upload");
    kernelforge::kernels::saxpy::launch(dev, Grid::linear(n), 1.5, &xb, &mut yb).expect("saxpy");
    let got = yb.to_vec().expect("read");
    for i in 0..n {
        let want = 1.5f64 * x[i] as f64 + y[i] as f64;
        assert!(
            (got[i] as f64 - want).abs() <= 1e-6 * want.abs().max(1.0),
            "{}: saxpy[{i}] = {}, want {want}",
            dev.name(),
            got[i]
        );
    }
}

/// ptxas beside `KERNELFORGE_NVCC` (scripts/setup.sh sets it), if present. Fails when
/// `KERNELFORGE_REQUIRE` names nvcc and there is none.
pub fn ptxas() -> Option<std::path::PathBuf> {
    let found = std::env::var("KERNELFORGE_NVCC")
        .ok()
        .map(|n| std::path::PathBuf::from(n).with_file_name("ptxas"))
        .filter(|p| p.is_file());
    if found.is_none() {
        skip_or_fail(
            "nvcc",
            "ptxas was not found beside KERNELFORGE_NVCC (source scripts/setup.sh)",
        );
    }
    found
}

/// Runs `ptxas -arch=<arch>` on `ptx`; `Err` with its message when it refuses.
pub fn run_ptxas(ptxas: &std::path::Path, name: &str, ptx: &str, arch: &str) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("kf-ptxas-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let f = dir.join(format!("{name}-{arch}.ptx"));
    std::fs::write(&f, ptx).map_err(|e| e.to_string())?;
    let out = std::process::Command::new(ptxas)
        .arg(format!("-arch={arch}"))
        .arg("-o")
        .arg(dir.join(format!("{name}-{arch}.cubin")))
        .arg(&f)
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// The sum of `tile[0..N]` by halving steps with barriers: the `#[kernel_fn]` with barriers and
/// a const generic length that tests/helpers.rs and tests/const_generics.rs call (an
/// independent copy of kernels-src/workgroup.rs's `tile_sum`, which is private to kernelforge).
#[kernel_fn]
pub fn tile_total<const N: u32>(tile: &mut [f32; N]) -> f32 {
    let lid = local_id().x;
    let mut s = N / 2;
    while s > 0 {
        if lid < s {
            tile[lid] = tile[lid] + tile[lid + s];
        }
        barrier();
        s /= 2;
    }
    tile[0]
}

/// Unwraps a launch's result; `true` (the caller skips its checks, printing why) when `dev` is a
/// wgpu adapter lacking a shader feature the kernel needs, which the error must name (one of
/// `features`: `SHADER_F16`, `SHADER_F64`). Any other error fails the test.
pub fn lacks_shader_feature(dev: &Device, r: kernelforge::Result<()>, features: &[&str]) -> bool {
    match r {
        Ok(()) => false,
        Err(e @ kernelforge::Error::Unsupported { .. }) if dev.backend() == Backend::Wgpu => {
            let msg = e.to_string();
            assert!(features.iter().any(|f| msg.contains(f)), "{msg}");
            eprintln!("skipped on {}: {msg}", dev.name());
            true
        }
        Err(e) => panic!("{}: {e}", dev.name()),
    }
}
