//! wgpu's pipeline cache on disk: a device writes its pipelines to `KERNELFORGE_CACHE_DIR`
//! after compiling them, the next device on the same adapter loads them, the kernels it runs
//! from them give the right results, and a damaged entry is ignored, never used.
//!
//! Skips (or fails under `KERNELFORGE_REQUIRE=wgpu`) without a wgpu adapter; an adapter without
//! `PIPELINE_CACHE` (only Vulkan has it) is reported and skipped.

mod common;

use kernelforge::kernels::{saxpy, softmax};
use kernelforge::prelude::*;

#[test]
fn pipelines_persist_across_devices() {
    let dir = std::env::temp_dir().join(format!("kf-pipeline-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::env::set_var("KERNELFORGE_CACHE_DIR", &dir);
    let first = match Device::wgpu() {
        Ok(d) => d,
        Err(e) => return common::skip_or_fail("wgpu", &e.to_string()),
    };
    // Device::wgpu opens the first adapter listed.
    let supported = kernelforge::info::wgpu()
        .adapters
        .first()
        .is_some_and(|a| a.pipeline_cache);
    if !supported {
        eprintln!("skipping: the adapter lacks PIPELINE_CACHE (only Vulkan has it)");
        return;
    }
    assert_eq!(first.pipeline_cache_loaded(), 0, "the directory was empty");
    first.warm_up(&[&saxpy::saxpy_f32::KERNEL]).unwrap();
    let entries = |dir: &std::path::Path| -> Vec<std::path::PathBuf> {
        std::fs::read_dir(dir)
            .map(|r| {
                r.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| {
                        p.file_name()
                            .is_some_and(|f| f.to_string_lossy().starts_with("wgpu-pipelines"))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let files = entries(&dir);
    assert_eq!(files.len(), 1, "one pipeline-cache entry: {files:?}");
    let size_one = std::fs::metadata(&files[0]).unwrap().len();
    assert!(size_one > 0);

    // A second device loads what the first saved, and adds softmax's pipeline to it.
    let second = Device::wgpu().unwrap();
    assert!(
        second.pipeline_cache_loaded() > 0,
        "nothing loaded from {dir:?}"
    );
    second
        .warm_up(&[&saxpy::saxpy_f32::KERNEL, &softmax::softmax_f32_256::KERNEL])
        .unwrap();
    common::saxpy_checked(&second);
    assert!(std::fs::metadata(&files[0]).unwrap().len() >= size_one);

    // A damaged entry is a miss: the device starts with an empty cache and still works.
    let mut data = std::fs::read(&files[0]).unwrap();
    let last = data.len() - 1;
    data.truncate(last);
    std::fs::write(&files[0], &data).unwrap();
    let third = Device::wgpu().unwrap();
    assert_eq!(
        third.pipeline_cache_loaded(),
        0,
        "a truncated entry was used"
    );
    common::saxpy_checked(&third);

    // KERNELFORGE_CACHE_DIR=off: nothing read or written.
    std::fs::remove_dir_all(&dir).unwrap();
    std::env::set_var("KERNELFORGE_CACHE_DIR", "off");
    let fourth = Device::wgpu().unwrap();
    common::saxpy_checked(&fourth);
    assert!(
        !dir.exists(),
        "the cache was written with KERNELFORGE_CACHE_DIR=off"
    );
    std::env::remove_var("KERNELFORGE_CACHE_DIR");
}
