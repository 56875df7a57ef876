//! Profiling: launch counts and device times on each backend present (CUDA events, wgpu
//! timestamp queries, CPU wall time), compile times recorded once, concurrent launches
//! counted exactly (`KERNELFORGE_PROFILE=1` printing the table at exit is cli/tests/profile.rs).

mod common;

use common::each_backend;

use kernelforge::kernels::{saxpy, softmax};
use kernelforge::prelude::*;
use kernelforge::profile::Clock;
use std::time::Duration;

const N: usize = 10_000;

/// Launches saxpy `times` times, each from fresh inputs and checked.
fn saxpy_checked(dev: &Device, times: usize) {
    for _ in 0..times {
        common::saxpy_checked(dev);
    }
}

#[each_backend]
fn profiles_count_and_time_launches_on_every_backend(dev: &Device) {
    dev.set_profiling(true);
    saxpy_checked(dev, 5);
    let x: Vec<f32> = (0..N).map(|i| (i % 97) as f32 * 0.25 - 12.0).collect();
    let xb = dev.upload(&x).expect("upload");
    let mut yb = dev.zeros::<f32>(N).expect("zeros");
    for _ in 0..3 {
        softmax::launch::<_, 256>(dev, Grid::groups([10, 1, 1]), 1000, &xb, &mut yb)
            .expect("softmax_f32_256");
    }
    // Not counted once profiling is off.
    dev.set_profiling(false);
    saxpy_checked(dev, 1);

    let p = dev.profile().expect("profile");
    let expect_clock = match dev.backend() {
        Backend::Cpu => Clock::Wall,
        Backend::Cuda if common::is_cuda_host(dev) => Clock::Wall,
        Backend::Cuda => Clock::CudaEvents,
        Backend::Wgpu => p.clock, // timestamp queries where the adapter has them
    };
    assert_eq!(p.clock, expect_clock);
    let timed = p.clock != Clock::Untimed;
    for (kernel, launches) in [("saxpy_f32", 5), ("softmax_f32_256", 3)] {
        let k = p
            .kernel(kernel)
            .unwrap_or_else(|| panic!("{kernel} missing:\n{p}"));
        assert_eq!(k.launches, launches, "{}:\n{p}", dev.name());
        if timed {
            assert_eq!(k.timed, launches, "{}:\n{p}", dev.name());
            let (min, max, mean) = (k.min.unwrap(), k.max.unwrap(), k.mean().unwrap());
            assert!(
                min > Duration::ZERO,
                "{}: a launch timed 0:\n{p}",
                dev.name()
            );
            assert!(min <= mean && mean <= max, "{}:\n{p}", dev.name());
        } else {
            assert_eq!(k.timed, 0);
            eprintln!("{}: no TIMESTAMP_QUERY, device time untimed", dev.name());
        }
        match dev.backend() {
            Backend::Cpu => assert_eq!(k.compile, None, "the CPU compiles nothing"),
            _ => assert!(
                k.compile.is_some_and(|c| c > Duration::ZERO),
                "{}: no compile time for {kernel}:\n{p}",
                dev.name()
            ),
        }
    }
    let table = p.to_string();
    assert!(
        table.contains("saxpy_f32") && table.contains("softmax_f32_256"),
        "{table}"
    );
    eprintln!("{table}");
}

#[test]
fn compile_time_is_recorded_once_with_or_without_profiling() {
    let mut gpus = Vec::new();
    match Device::wgpu() {
        Ok(d) => gpus.push(d),
        Err(e) => common::skip_or_fail("wgpu", &e.to_string()),
    }
    match Device::cuda(0) {
        Ok(d) => gpus.push(d),
        Err(e) => common::skip_or_fail("cuda", &e.to_string()),
    }
    for dev in gpus {
        // Profiling off: compile times are still recorded, launches are not.
        dev.warm_up(&[&saxpy::saxpy_f32::KERNEL]).expect("warm-up");
        let after_warm_up = dev.profile().expect("profile");
        let k = after_warm_up.kernel("saxpy_f32").expect("saxpy compiled");
        assert!(k.compile.is_some_and(|c| c > Duration::ZERO));
        saxpy_checked(&dev, 2);
        let later = dev.profile().expect("profile");
        let k2 = later.kernel("saxpy_f32").expect("saxpy_f32");
        assert_eq!(k2.compile, k.compile, "{}: compiled again", dev.name());
        assert_eq!(k2.launches, 0, "profiling was off");
    }
}

#[each_backend]
fn concurrent_profiled_launches_are_all_counted(dev: &Device) {
    dev.set_profiling(true);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| saxpy_checked(dev, 25));
        }
    });
    let p = dev.profile().expect("profile");
    let k = p.kernel("saxpy_f32").expect("saxpy_f32");
    assert_eq!(k.launches, 100, "{}:\n{p}", dev.name());
    if p.clock != Clock::Untimed {
        assert_eq!(k.timed, 100, "{}:\n{p}", dev.name());
    }
}
