//! Each back end alone, from a validated kernel: CUDA C with the launch ABI's parameters, WGSL
//! that naga accepts (checked inside `write_string`), `x4` modules only for elementwise
//! kernels, CPU tokens that parse as Rust; and the top-level `compile` that runs them all.

mod common;

use common::typed;
use kernelforge_codegen::back::{cpu, cuda, wgsl};

const SAXPY: &str = "fn saxpy(a: f32, x: &[f32], y: &mut [f32]) {
    let i = global_id().x;
    if i < y.len() {
        y[i] = a * x[i] + y[i];
    }
}";

const BLOCK_SUM: &str = "fn block_sum(x: &[f32], y: &mut [f32]) {
    let t = shared_array::<f32, 256>();
    let l = local_id().x;
    t[l] = x[global_id().x];
    barrier();
    let mut s = 128u32;
    while s > 0 {
        if l < s {
            t[l] = t[l] + t[l + s];
        }
        barrier();
        s /= 2;
    }
    if l == 0 {
        y[group_id().x] = t[0];
    }
}";

#[test]
fn cuda_follows_the_launch_abi() {
    let (k, info) = typed(SAXPY);
    let c = cuda::write_string(&k, &info, &Default::default()).unwrap_or_else(|e| match e {});
    assert!(
        c.contains("extern \"C\" __global__ void __launch_bounds__(256) saxpy("),
        "{c}"
    );
    // Group counts, then each parameter: a scalar, or a buffer and its length.
    let params = [
        "const unsigned int kf_groups_x",
        "const unsigned int kf_groups_y",
        "const unsigned int kf_groups_z",
        "const float a",
        "const float* __restrict__ x",
        "const unsigned int kf_len_x",
        "float* __restrict__ y",
        "const unsigned int kf_len_y",
    ];
    let mut at = 0;
    for p in params {
        at += c[at..]
            .find(p)
            .unwrap_or_else(|| panic!("no `{p}` after byte {at}:\n{c}"));
    }
    let (k, info) = typed(BLOCK_SUM);
    let c = cuda::write_string(&k, &info, &Default::default()).unwrap_or_else(|e| match e {});
    assert!(c.contains("__shared__ float t[256];"), "{c}");
    assert_eq!(c.matches("__syncthreads();").count(), 2, "{c}");
}

#[test]
fn wgsl_is_validated_and_x4_exists_for_elementwise_kernels_only() {
    let (k, info) = typed(SAXPY);
    let w = wgsl::write_string(&k, &info, &Default::default()).unwrap();
    assert!(w.contains("@compute @workgroup_size(256, 1, 1)"), "{w}");
    wgsl::validate(&w).unwrap();
    let x4 = wgsl::write_x4_string(&k, &info, &Default::default()).unwrap();
    let x4 = x4.expect("saxpy has the elementwise shape");
    assert!(x4.contains("array<vec4<f32>>"), "{x4}");
    let (k, info) = typed(BLOCK_SUM);
    let w = wgsl::write_string(&k, &info, &Default::default()).unwrap();
    assert!(w.contains("var<workgroup> t: array<f32, 256>;"), "{w}");
    assert_eq!(w.matches("workgroupBarrier();").count(), 2, "{w}");
    assert!(wgsl::write_x4_string(&k, &info, &Default::default())
        .unwrap()
        .is_none());
    // naga's verdict is what `write_string` relies on: broken WGSL is refused.
    assert!(wgsl::validate("fn f( {").is_err());
}

#[test]
fn cpu_code_is_rust() {
    for src in [SAXPY, BLOCK_SUM] {
        let (k, info) = typed(src);
        let tokens =
            cpu::write_tokens(&k, &info, &Default::default()).unwrap_or_else(|e| match e {});
        let file: syn::File = syn::parse2(tokens).expect("the CPU module parses as Rust");
        let text = cpu::format_tokens(quote::quote!(#file));
        assert!(text.contains("fn run("), "{text}");
    }
    // A cooperative kernel runs whole workgroups; an elementwise one runs chunks of
    // invocations.
    let (k, info) = typed(BLOCK_SUM);
    let text = cpu::write_string(&k, &info, &Default::default()).unwrap_or_else(|e| match e {});
    assert!(text.contains("run_groups"), "{text}");
}

#[test]
fn compile_runs_every_back_end_and_names_its_files() {
    let g = kernelforge_codegen::compile(quote::quote!(workgroup_size = 128), &common::func(SAXPY))
        .unwrap();
    assert_eq!(g.kernel.workgroup_size, [128, 1, 1]);
    assert!(g.cuda.contains("__launch_bounds__(128)"));
    assert!(g.wgsl_x4.is_some());
    assert_eq!(g.params().count(), 3);
    assert_eq!(g.workgroup_bytes(), 0);
    assert!(!g.uses_subgroups());
    assert!(g.cpu_source().contains("fn run("));
    let ptx = g.ptx_file_name();
    assert!(ptx.starts_with("saxpy-") && ptx.ends_with(".ptx"), "{ptx}");
    let cubin = g.cubin_file_name(90);
    assert_eq!(g.cubin_sm(&cubin), Some(90));
    assert_eq!(g.cubin_sm(&ptx), None);
    assert_eq!(g.cubin_sm("saxpy-0000000000000000.sm_90.cubin"), None);
}
