//! Criterion benches: every built-in kernel on every backend present, next to its peer (a
//! handwritten rayon loop on the CPU, a handwritten vec4 WGSL shader on wgpu), one criterion
//! group per kernel so criterion reports them side by side with throughput in bytes.
//!
//! `cargo bench -p kernelforge-cli --bench kernels`; `KERNELFORGE_BENCH_ELEMENTS` sets the size (default 2^24, as
//! `kernelforge bench`). The cases are the bench module's own, so both harnesses time the same
//! launches on the same inputs.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kernelforge_cli::bench::{cases, devices, Inputs};
use std::time::Duration;

fn kernels(c: &mut Criterion) {
    let elements = std::env::var("KERNELFORGE_BENCH_ELEMENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1 << 24);
    let inputs = Inputs::new(elements, None);
    let (devices, skipped) = match devices() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("kernels bench: {e}");
            return;
        }
    };
    for line in skipped {
        eprintln!("{line}");
    }
    for dev in devices {
        for (name, case) in cases(&dev, &inputs, &|_| true) {
            let mut case = match case {
                Ok(case) => case,
                Err(e) => {
                    eprintln!("kernels bench: {name} on {} skipped: {e}", dev.name());
                    continue;
                }
            };
            // One untimed run, so a failure is a message rather than a panic mid-measurement.
            if let Err(e) = case.run().and_then(|()| dev.synchronize()) {
                eprintln!("kernels bench: {name} on {} failed: {e}", dev.name());
                continue;
            }
            // A peer sits in its kernel's group: `cpu/peer:rayon_saxpy` beside `cpu/saxpy`.
            let mut group = c.benchmark_group(name.trim_start_matches("peer of "));
            group.throughput(Throughput::Bytes(case.bytes()));
            group.bench_function(format!("{}/{}", case.backend(), case.kernel()), |b| {
                b.iter(|| {
                    case.run().expect("bench case failed");
                    dev.synchronize().expect("synchronize failed");
                })
            });
            group.finish();
        }
    }
}

criterion_group! {
    name = benches;
    // 16M-element runs take 5-50 ms: ten samples are enough for a median on a noisy machine.
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = kernels
}
criterion_main!(benches);
