//! The downstream example (examples/downstream), built and run as a user would: its own
//! Cargo.toml, its own build.rs calling `kernelforge_build::compile_kernels("src")`, its own
//! kernels. It checks its results on every backend present and exits non-zero on a mismatch.
//! Built in its own target directory, as trybuild does, so it never waits on this build's lock.
//! Built with `KERNELFORGE_CUDA_ARCH=compute_75,sm_80,sm_90`, so that its kernels carry cubins
//! beside their PTX (on a GPU of compute capability 8.x or 9.0 they are what runs).

mod common;

use std::process::Command;

#[test]
fn downstream_crate_builds_and_runs() {
    let root = env!("CARGO_MANIFEST_DIR");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let target = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("downstream");
    let out = Command::new(cargo)
        .args(["run", "--locked", "--quiet", "--manifest-path"])
        .arg(format!("{root}/examples/downstream/Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        // As the workspace's own dev profile: line tables only, to keep CI's disk use down.
        .env("CARGO_PROFILE_DEV_DEBUG", "line-tables-only")
        .env("KERNELFORGE_CUDA_ARCH", "compute_75,sm_80,sm_90")
        .output()
        .expect("run cargo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the downstream example failed ({}); if Cargo.lock is stale, run \
         `cargo update -w --manifest-path examples/downstream/Cargo.toml`\n\
         stdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    println!("{stdout}");
    assert!(stdout.contains("cpu: ok"), "{stdout}");
    if common::required("wgpu") {
        assert!(stdout.contains("wgpu: ok"), "{stdout}");
    }
    if common::required("cuda-host") {
        assert!(stdout.contains("cuda-host: ok"), "{stdout}");
    }
    // The example's build.rs must have made PTX for both of its kernels with the nvcc found.
    if common::required("nvcc") {
        assert!(
            stdout.contains("PTX embedded: saxpy yes, bias_clamp yes"),
            "{stdout}\n{stderr}"
        );
        assert!(
            stdout.contains("cubins embedded: saxpy [sm_80 sm_90], bias_clamp [sm_80 sm_90]"),
            "{stdout}\n{stderr}"
        );
    } else if !stdout.contains("PTX embedded: saxpy yes") {
        eprintln!("skipping the PTX check: no nvcc at build time");
    }
}
