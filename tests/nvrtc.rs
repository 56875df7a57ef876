//! NVRTC, the CUDA backend's run-time compiler, on every kernel's generated CUDA C, with no
//! GPU: the built-in kernels and the kernels of the tests and the downstream example. Each
//! must compile for compute_75 (the default target) and for compute_90, and ptxas must accept
//! the result for sm_90; each kernel's bounds-checked CUDA C (`KERNELFORGE_CHECK=bounds`, which
//! only NVRTC compiles) must compile for compute_90. `KERNELFORGE_REQUIRE=nvrtc` (CI) makes a
//! missing libnvrtc a failure.
#![cfg(feature = "cuda")]

mod common;
#[path = "common/kernel_files.rs"]
mod kernel_files;

/// (name, CUDA C, whether it is the bounds-checked version) of every kernel to check.
fn kernels() -> Vec<(String, String, bool)> {
    let mut out: Vec<(String, String, bool)> = Vec::new();
    for k in kernelforge::kernels::all() {
        out.push((k.name.to_string(), k.cuda_source.to_string(), false));
        let checked = k
            .bounds_checked
            .expect("the tests build kernelforge with `check`");
        out.push((k.name.to_string(), checked.cuda_source.to_string(), true));
    }
    let extra = [
        "tests/hygiene.rs",
        "tests/atomics.rs",
        "examples/downstream/src/main.rs",
    ];
    for file in kernel_files::KERNEL_FILES.iter().chain(&extra) {
        for g in kernel_files::compile_file(file) {
            out.push((g.kernel.name.clone(), g.cuda, false));
            out.push((g.kernel.name.clone(), g.cuda_bounds, true));
        }
    }
    out
}

#[test]
fn nvrtc_compiles_every_kernel() {
    if !kernelforge::cuda::nvrtc_present() {
        common::skip_or_fail(
            "nvrtc",
            "libnvrtc is not on the library path (source scripts/setup.sh)",
        );
        return;
    }
    let ptxas = common::ptxas();
    let kernels = kernels();
    assert!(kernels.len() >= 11, "found {} kernels", kernels.len());
    for (name, source, checked) in &kernels {
        let archs: &[&str] = match checked {
            false => &["compute_75", "compute_90"],
            true => &["compute_90"],
        };
        for &arch in archs {
            let ptx = kernelforge::cuda::compile_with_nvrtc(name, source, arch)
                .unwrap_or_else(|e| panic!("{name} for {arch}: {e}"));
            let sm = arch.replace("compute_", "sm_");
            assert!(ptx.contains(&format!(".target {sm}")), "{name}: {ptx}");
            assert!(ptx.contains(&format!(".entry {name}(")), "{name}: {ptx}");
            // NVRTC 13.0 writes PTX ISA 9.0, which a CUDA 13.0 driver loads.
            let isa = kernelforge::cuda::ptx_isa(&ptx).expect(".version line");
            assert!(
                isa <= kernelforge::cuda::max_ptx_isa(13000),
                "{name}: {isa:?}"
            );
            if let Some(ptxas) = &ptxas {
                common::run_ptxas(ptxas, name, &ptx, "sm_90")
                    .unwrap_or_else(|e| panic!("{name} ({arch}): ptxas: {e}"));
            }
        }
    }
}

/// Vector accesses are single wide instructions: `Vec4<f32>` loads and stores of slices are
/// 128-bit (`ld.global.nc.v4.f32`, `st.global.v4.f32`), `Vec2<f16>` ones of workgroup memory
/// 32-bit (`ld.shared.v2.u16`).
#[test]
fn vectors_compile_to_wide_accesses() {
    if !kernelforge::cuda::nvrtc_present() {
        common::skip_or_fail("nvrtc", "libnvrtc is not on the library path");
        return;
    }
    let kernels = kernel_files::compile_file("tests/vector_types.rs");
    let ptx_of = |name: &str| {
        let g = kernels.iter().find(|g| g.kernel.name == name).expect(name);
        kernelforge::cuda::compile_with_nvrtc(name, &g.cuda, "compute_75").expect(name)
    };
    let axpy = ptx_of("vec4_axpy_f32");
    assert_eq!(axpy.matches("ld.global.nc.v4.f32").count(), 1, "{axpy}");
    assert!(
        axpy.contains("ld.global.v4.f32") && axpy.contains("st.global.v4.f32"),
        "{axpy}"
    );
    let staged = ptx_of("vec2_staged_f16");
    assert!(
        staged.contains("ld.shared.v2.u16") && staged.contains("st.shared.v2.u16"),
        "{staged}"
    );
}

/// A compile error comes back as an `Err` carrying NVRTC's log, not a panic.
#[test]
fn nvrtc_reports_errors_with_its_log() {
    if !kernelforge::cuda::nvrtc_present() {
        common::skip_or_fail("nvrtc", "libnvrtc is not on the library path");
        return;
    }
    let err = kernelforge::cuda::compile_with_nvrtc(
        "broken",
        "extern \"C\" __global__ void broken() { undeclared_name = 1; }",
        "compute_75",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("undeclared_name"), "{err}");
    assert!(err.contains("broken"), "{err}");
}

/// The runtime's recovery path when the driver refuses the embedded PTX: NVRTC compiles a
/// cubin for the GPU's own architecture, cached on disk under a key of the CUDA C, the
/// architecture, the driver and NVRTC's version.
#[test]
fn nvrtc_cubins_are_cached_on_disk() {
    if !kernelforge::cuda::nvrtc_present() {
        common::skip_or_fail("nvrtc", "libnvrtc is not on the library path");
        return;
    }
    let dir = std::env::temp_dir().join(format!("kf-cubin-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let cache = kernelforge::cache::DiskCache::at(&dir);
    let k = &kernelforge::kernels::saxpy::saxpy_f32::KERNEL;
    let compile = |driver| {
        kernelforge::cuda::compile_cubin_cached(k.name, k.cuda_source, (9, 0), driver, Some(&cache))
            .unwrap()
    };
    let (first, hit) = compile(13000);
    assert!(!hit);
    assert_eq!(&first[..4], b"\x7fELF", "a cubin is an ELF file");
    let (second, hit) = compile(13000);
    assert!(hit, "the second compile comes from {}", dir.display());
    assert_eq!(first, second);
    // Another driver is another key: compiled again, and both entries stay.
    let (_, hit) = compile(12080);
    assert!(!hit);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
    // A broken source is NVRTC's error with its log, and is not cached.
    let err = kernelforge::cuda::compile_cubin_cached(
        "broken",
        "extern \"C\" __global__ void broken() { undeclared_name = 1; }",
        (9, 0),
        13000,
        Some(&cache),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("undeclared_name") && err.contains("sm_90"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}
