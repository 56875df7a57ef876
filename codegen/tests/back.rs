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

/// A loop that stays a loop reads a private array through a copy made before it when that
/// lets the array stay in registers (`proc::unroll::read_copies`): everywhere else the array
/// is indexed by constants, and the loop only reads it. Not when the array is indexed by a
/// loop variable elsewhere, is written in the loop, or the loop is nested in another loop.
#[test]
fn wgsl_loops_read_register_arrays_through_a_copy() {
    let src = "fn epilogue(x: &[f32], y: &mut [f32], n: u32) {
        let i = global_id().x;
        let mut acc = [0.0f32; 4];
        let mut other = [0.0f32; 4];
        for q in 0..4 {
            acc[q] = acc[q] + x[i + q];
        }
        for r in 0..n {
            other[r % 4] = other[r % 4] + x[r];
        }
        for q in 0..n {
            y[i + q] = acc[q % 4] + other[q % 4];
            for s in 0..n {
                y[s] = acc[s % 4];
            }
        }
        for t in 0..n {
            acc[t % 4] = x[t];
        }
    }";
    let (k, info) = typed(src);
    let body = wgsl::write_string(&k, &info, &Default::default()).unwrap();
    wgsl::validate(&body).unwrap();
    // `acc` is also written at `t % 4`, and `other` at `r % 4`: both live in memory anyway,
    // so nothing is copied.
    assert!(!body.contains("kf_copy"), "{body}");

    let src = "fn epilogue(x: &[f32], y: &mut [f32], n: u32) {
        let i = global_id().x;
        let mut acc = [0.0f32; 4];
        let mut other = [0.0f32; 4];
        for q in 0..4 {
            acc[q] = acc[q] + x[i + q];
            other[q] = x[q];
        }
        for r in 0..n {
            other[r % 4] = other[r % 4] + x[r];
        }
        for q in 0..n {
            y[i + q] = acc[q % 4] + other[q % 4];
            for s in 0..n {
                y[s] = acc[s % 4];
            }
        }
    }";
    let (k, info) = typed(src);
    let body = wgsl::write_string(&k, &info, &Default::default()).unwrap();
    wgsl::validate(&body).unwrap();
    // `acc`: copied once, before the outer loop, and read through the copy in both loops;
    // `other`: written in the loop over `r`, so read directly (it stays in memory anyway).
    assert_eq!(body.matches("= acc;").count(), 1, "{body}");
    assert!(!body.contains("= other;"), "{body}");
    assert!(!body.contains("acc[(q_1 % 4u)]"), "{body}");
    assert!(!body.contains("acc[(s % 4u)]"), "{body}");
    assert!(body.contains("var kf_copy0 = acc;"), "{body}");
    assert_eq!(body.matches("kf_copy").count(), 3, "{body}");

    // Two loops in one block that read the same array: a copy each, named apart.
    let src = "fn twice(x: &[f32], y: &mut [f32], n: u32) {
        let mut acc = [0.0f32; 4];
        for q in 0..4 {
            acc[q] = x[q];
        }
        for q in 0..n {
            y[q] = acc[q % 4];
        }
        for q in 0..n {
            y[q] = y[q] + acc[q % 4];
        }
    }";
    let (k, info) = typed(src);
    let body = wgsl::write_string(&k, &info, &Default::default()).unwrap();
    wgsl::validate(&body).unwrap();
    assert!(body.contains("var kf_copy0 = acc;"), "{body}");
    assert!(body.contains("var kf_copy1 = acc;"), "{body}");
}

/// WGSL writes out `for` loops over literal bounds that stay within `proc::unroll::BUDGET`
/// statements unrolled, a block per value, and keeps the others as loops: one with a bound
/// that is not a literal, one that leaves early, one past the budget.
#[test]
fn wgsl_writes_out_small_literal_loops() {
    let src = "fn unrolled(x: &[f32], y: &mut [f32], n: u32) {
        let i = global_id().x;
        let mut acc = [0.0f32; 4];
        for q in 0..4 {
            for p in (0..8).step_by(2) {
                acc[q] = acc[q] + x[i + p + q];
            }
        }
        for r in 0..n {
            acc[0] = acc[0] + x[r];
        }
        for s in 0..3 {
            if x[s] > 1.0 {
                break;
            }
            acc[1] = acc[1] + x[s];
        }
        for t in 0..65 {
            acc[2] = acc[2] + x[t];
        }
        y[i] = acc[0] + acc[1] + acc[2] + acc[3];
    }";
    let (k, info) = typed(src);
    let body = wgsl::write_string(&k, &info, &Default::default()).unwrap();
    wgsl::validate(&body).unwrap();
    for q in 0..4 {
        assert!(body.contains(&format!("let q: u32 = {q}u;")), "{body}");
    }
    for p in [0, 2, 4, 6] {
        assert_eq!(
            body.matches(&format!("let p: u32 = {p}u;")).count(),
            4,
            "{body}"
        );
    }
    assert!(!body.contains("let p: u32 = 8u;"), "{body}");
    assert!(
        body.contains("var acc: array<f32, 4> = array<f32, 4>("),
        "{body}"
    );
    // `r` (a parameter's bound), `s` (a `break`) and `t` (65 statements) stay loops.
    for v in ["r", "s", "t"] {
        assert!(
            body.contains(&format!("let {v}: u32 = kf_i")),
            "{v}: {body}"
        );
    }
}

/// On the CPU, subgroups that load the same tile in one run share it: in place, through an
/// alias, where the fragment lives only in that run; by a copy where a later run reads it
/// (the alias is gone there). Two products sharing their left operand become one pair.
#[test]
fn cpu_shares_tiles_between_subgroups() {
    let src = |later: &str| {
        format!(
            "fn shared_tile(a: &[f32], c: &mut [f32]) {{
                let warp = local_id().x / 32;
                let mut acc = matrix_fill(0.0);
                let mut acc2 = matrix_fill(0.0);
                let fa = matrix_load_a(a, 0, 16, Layout::RowMajor);
                let fb = matrix_load_b(a, 256, 16, Layout::RowMajor);
                matrix_mma(&mut acc, &fa, &fb);
                matrix_mma(&mut acc2, &fa, &fb);
                c[global_id().x] = 1.0;
                {later}
                matrix_store(c, warp * 256, 16, Layout::RowMajor, &acc);
                matrix_store(c, 4096 + warp * 256, 16, Layout::RowMajor, &acc2);
            }}"
        )
    };
    let cpu = |s: &str| {
        let (k, info) = typed(s);
        cpu::write_string(&k, &info, &Default::default()).unwrap_or_else(|e| match e {})
    };
    let local = cpu(&src(""));
    // The two fills are the run's operations 0 and 1, the load of `fa` its operation 2.
    assert!(
        local.contains("kf_alias2[kf_sg as usize] = kf_alias2[kf_j]"),
        "{local}"
    );
    assert!(
        local.contains("&kf_m_fa[kf_alias2[kf_sg as usize]]"),
        "{local}"
    );
    assert!(local.contains("rt::matrix::mma_pair("), "{local}");
    let later = cpu(&src("matrix_mma(&mut acc, &fa, &fb);"));
    assert!(!later.contains("kf_alias"), "{later}");
    assert!(
        later.contains("kf_m_fa[kf_sg as usize] = kf_m_fa[kf_j]"),
        "{later}"
    );
}

/// A stride loop's accesses `a[V + c]` to a workgroup array are checked once per chunk of
/// columns, as a slice's are, and then indexed unchecked (the loop vectorises).
#[test]
fn cpu_stride_loops_check_workgroup_arrays_once() {
    let (k, info) = typed(
        "fn rows(n: u32, y: &mut [f32]) {
            let t = shared_array::<f32, 512>();
            let lid = local_id().x;
            for c in (lid..n).step_by(256) {
                t[256 + c] = 1.0;
            }
            barrier();
            let v = 3u32;
            for c in (lid..256).step_by(256) {
                y[c] = t[c] + t[v + c];
            }
        }",
    );
    let text = cpu::write_string(&k, &info, &Default::default()).unwrap_or_else(|e| match e {});
    assert!(text.contains("<= 512usize"), "{text}");
    assert!(text.contains("t.get_unchecked_mut(kf_o"), "{text}");
    assert!(text.contains("t.get_unchecked(kf_o"), "{text}");
}
