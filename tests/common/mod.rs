//! Shared test support: the devices to test on, with skip/require rules.

#![allow(dead_code)]

use kernelforge::Device;

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

/// Every device available: the CPU always, wgpu and CUDA when present.
pub fn devices() -> Vec<Device> {
    let mut out = vec![Device::cpu()];
    match Device::wgpu() {
        Ok(d) => out.push(d),
        Err(e) => skip_or_fail("wgpu", &e.to_string()),
    }
    match Device::cuda(0) {
        Ok(d) => out.push(d),
        Err(e) => skip_or_fail("cuda", &e.to_string()),
    }
    out
}
