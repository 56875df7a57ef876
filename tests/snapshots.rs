//! Golden files: the generated CUDA C, WGSL and CPU Rust of every built-in kernel, reviewed in
//! the diff (`INSTA_UPDATE=always cargo test --test snapshots`, then `cargo insta review` or
//! read the `.snap` changes). Every WGSL output is validated by naga here too.

mod common;
#[path = "common/kernel_files.rs"]
mod kernel_files;

use kernelforge_codegen::{back, collect_helpers, compile_all, find_kernels};

fn kernels() -> Vec<kernelforge_codegen::Generated> {
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/kernels-src"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let files: Vec<_> = files
        .iter()
        .map(|f| {
            (
                f,
                syn::parse_file(&std::fs::read_to_string(f).unwrap()).unwrap(),
            )
        })
        .collect();
    let helpers = collect_helpers(files.iter().map(|(_, file)| file));
    for (f, file) in &files {
        for (attr, func) in find_kernels(file) {
            let all = compile_all(attr, &func, &helpers)
                .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            out.extend(all.into_iter().map(|(_, g)| g));
        }
    }
    assert!(
        out.len() >= 8,
        "expected the built-in kernels, found {}",
        out.len()
    );
    out
}

#[test]
fn generated_code_matches_golden_files() {
    for g in kernels() {
        let name = &g.kernel.name;
        back::wgsl::validate(&g.wgsl).unwrap_or_else(|e| panic!("{name}: naga rejects WGSL:\n{e}"));
        insta::assert_snapshot!(format!("{name}.cuda"), g.cuda);
        insta::assert_snapshot!(format!("{name}.wgsl"), g.wgsl);
        if let Some(x4) = &g.wgsl_x4 {
            back::wgsl::validate(x4)
                .unwrap_or_else(|e| panic!("{name}: naga rejects the x4 WGSL:\n{e}"));
            insta::assert_snapshot!(format!("{name}.wgsl_x4"), x4);
        }
        insta::assert_snapshot!(format!("{name}.cpu"), g.cpu_source());
        insta::assert_snapshot!(format!("{name}.cpu_checked"), g.cpu_checked_source());
        back::wgsl::validate(&g.wgsl_bounds)
            .unwrap_or_else(|e| panic!("{name}: naga rejects the bounds-checked WGSL:\n{e}"));
        insta::assert_snapshot!(format!("{name}.cuda_bounds"), g.cuda_bounds);
        insta::assert_snapshot!(format!("{name}.wgsl_bounds"), g.wgsl_bounds);
    }
}

/// DESIGN invariant: the CUDA C nvcc compiles at build time is byte for byte what the macro
/// embeds, because both go through `compile`; the PTX file name hashes that source.
#[test]
fn build_and_macro_agree_on_cuda_source() {
    // Compiled once: compiling every kernel again for each (as this test did) took minutes.
    let all = kernels();
    for k in kernelforge::kernels::all() {
        let g = all.iter().find(|g| g.kernel.name == k.name).unwrap();
        assert_eq!(g.cuda, k.cuda_source, "{}", k.name);
        assert_eq!(g.wgsl, k.wgsl_source, "{}", k.name);
        assert_eq!(g.wgsl_x4.as_deref(), k.wgsl_x4_source, "{}", k.name);
        let checked = k
            .bounds_checked
            .expect("the tests build kernelforge with `check`");
        assert_eq!(g.cuda_bounds, checked.cuda_source, "{}", k.name);
        assert_eq!(g.wgsl_bounds, checked.wgsl_source, "{}", k.name);
    }
}

/// Every PTX output is accepted by ptxas for sm_90 where ptxas is present.
#[test]
fn ptxas_accepts_embedded_ptx() {
    let Some(ptxas) = common::ptxas() else {
        return;
    };
    for k in kernelforge::kernels::all() {
        let ptx = k
            .ptx
            .unwrap_or_else(|| panic!("{}: no PTX embedded although nvcc is present", k.name));
        common::run_ptxas(&ptxas, k.name, ptx, "sm_90")
            .unwrap_or_else(|e| panic!("{}: ptxas: {e}", k.name));
    }
}

/// The kernels of the test files (`kernel_files::KERNEL_FILES`), whose constructs (subgroup
/// operations on the CPU, inlined helpers, instances, the types, ...) the built-in kernels do
/// not all use: their generated code is reviewed here too.
#[test]
fn test_kernels_match_golden_files() {
    for file in kernel_files::KERNEL_FILES {
        for g in kernel_files::compile_file(file) {
            let name = &g.kernel.name;
            back::wgsl::validate(&g.wgsl).unwrap_or_else(|e| panic!("{name}: {e}"));
            insta::assert_snapshot!(format!("test_{name}.cuda"), g.cuda);
            insta::assert_snapshot!(format!("test_{name}.wgsl"), g.wgsl);
            insta::assert_snapshot!(format!("test_{name}.cpu"), g.cpu_source());
        }
    }
}
