//! Soak and concurrency: per backend present, 8 threads x 2,000 launches on one shared Device,
//! with no error, every thread's results checked, and resident memory growth bounded.

mod common;

use common::each_backend;

use kernelforge::kernels::saxpy;
use kernelforge::prelude::*;

const THREADS: usize = 8;
const LAUNCHES: usize = 2000;
/// Elements per thread's buffers.
const N: usize = 4096;
/// Resident memory may grow by at most this much between the first check (after a warm-up of
/// 200 launches per thread) and the end.
const MAX_GROWTH: u64 = 64 << 20;

/// Resident set size in bytes (Linux; `None` elsewhere).
fn rss() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Each thread owns its buffers and adds 1.0 to every element per launch (saxpy with a = 1,
/// x = 1), reading back and checking at the end of each phase: exact in f32. The first phase
/// (200 launches per thread) warms caches and pools; resident memory is measured after it and
/// at the end.
fn soak(dev: &Device) {
    let mut state: Vec<_> = (0..THREADS)
        .map(|t| {
            let x = dev.upload(&vec![1.0f32; N]).unwrap();
            let y = dev.upload(&vec![t as f32; N]).unwrap();
            (t, x, y)
        })
        .collect();
    let phase = |state: &mut Vec<(usize, Buffer<f32>, Buffer<f32>)>, from: usize, to: usize| {
        std::thread::scope(|s| {
            for (t, x, y) in state.iter_mut() {
                let dev = dev.clone();
                s.spawn(move || {
                    for i in from + 1..=to {
                        saxpy::launch(&dev, Grid::linear(N), 1.0, x, y)
                            .unwrap_or_else(|e| panic!("thread {t}, launch {i}: {e}"));
                        if i == 1000 {
                            check(&dev, *t, i, y);
                        }
                    }
                    check(&dev, *t, to, y);
                });
            }
        });
    };
    phase(&mut state, 0, 200);
    dev.synchronize().unwrap();
    let before = rss();
    phase(&mut state, 200, LAUNCHES);
    dev.synchronize().unwrap();
    let after = rss();
    if let (Some(b), Some(a)) = (before, after) {
        eprintln!(
            "{}: resident memory {:.1} -> {:.1} MiB over {} launches",
            dev.name(),
            b as f64 / (1 << 20) as f64,
            a as f64 / (1 << 20) as f64,
            THREADS * (LAUNCHES - 200)
        );
        assert!(
            a <= b + MAX_GROWTH,
            "{}: resident memory grew by {} bytes (limit {MAX_GROWTH})",
            dev.name(),
            a - b
        );
    }
}

fn check(dev: &Device, t: usize, launches: usize, y: &Buffer<f32>) {
    let got = y.to_vec().unwrap();
    let want = t as f32 + launches as f32;
    if let Some(bad) = got.iter().find(|&&v| v != want) {
        panic!(
            "thread {t} after {launches} launches on {}: {bad} != {want}",
            dev.name()
        );
    }
}

/// One soak at a time: resident memory is the whole process's, which the instances of the
/// test (one per backend, run in parallel by the harness) share.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[each_backend]
fn eight_threads_share_each_device(dev: &Device) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    soak(dev);
}
