//! Kernel names that collide with names of the generated code or of a target language: the
//! back ends rename them (`back::target_name`) and keep kernelforge's own names apart (`kf_`).
//! Each kernel runs on every backend and is compared with the same arithmetic in plain Rust,
//! bit for bit (no transcendental functions, no contraction opportunities).

mod common;

use common::each_backend;

use kernelforge::prelude::*;

/// Parameters named like the CPU back end's internals (`lo`, `hi`, `launch`, `chunk`,
/// `params`), a CUDA type (`int`), a WGSL reserved word (`target`), and names with the
/// prefixes the renaming uses (`kf_`, `u_`).
#[compute_kernel(workgroup_size = (8, 8))]
fn clashing_names(
    launch: &[f32],
    chunk: &mut [f32],
    lo: f32,
    hi: f32,
    params: u32,
    int: i32,
    target: u32,
    kf_scale: f32,
    u_int: i32,
) {
    let float = global_id().x;
    let threadIdx = global_id().y;
    let args = threadIdx * params + float;
    if float < params && args < chunk.len() {
        let level = (launch[args] * kf_scale).clamp(lo, hi);
        let unsigned = (int + u_int) as f32 + target as f32;
        chunk[args] = level + unsigned;
    }
}

#[each_backend]
fn clashing_names_run_on_every_backend(dev: &Device) {
    let (cols, rows) = (21u32, 13u32);
    let n = (cols * rows) as usize;
    let x: Vec<f32> = (0..n).map(|i| i as f32 * 0.5 - 30.0).collect();
    let want: Vec<f32> = x
        .iter()
        .map(|&v| (v * 2.0f32).clamp(-20.0, 20.0) + ((3 + 4) as f32 + 100.0))
        .collect();
    let xb = dev.upload(&x).unwrap();
    let mut yb = dev.zeros::<f32>(n).unwrap();
    clashing_names::launch(
        dev,
        Grid::threads([cols, rows, 1]),
        &xb,
        &mut yb,
        -20.0,
        20.0,
        cols,
        3,
        100,
        2.0,
        4,
    )
    .unwrap_or_else(|e| panic!("{}: {e}", dev.name()));
    assert_eq!(yb.to_vec().unwrap(), want, "{}", dev.name());
}

/// Emulated types' helpers (WGSL `bf16` loads and stores, 64-bit words) next to slices named
/// like their locals: `i`, `s`, `w`, `h`, `r`, `v`, `a`, `b`.
#[compute_kernel(workgroup_size = 64)]
fn emulation_names(i: &[bf16], s: &mut [bf16], w: &[u64], h: &mut [u64], r: u32) {
    let v = global_id().x;
    if v < i.len() {
        s[v] = i[v] * 2.0;
        h[v] = w[v] * 3 + (r as u64);
    }
}

#[each_backend]
fn emulation_helpers_do_not_shadow_parameters(dev: &Device) {
    let x: Vec<bf16> = (0..77)
        .map(|k| bf16::from_f32(k as f32 * 0.75 - 9.0))
        .collect();
    let w: Vec<u64> = (0..77u64).map(|k| k << 33 | k).collect();
    let (xb, wb) = (dev.upload(&x).unwrap(), dev.upload(&w).unwrap());
    let mut s = dev.zeros::<bf16>(x.len()).unwrap();
    let mut h = dev.zeros::<u64>(w.len()).unwrap();
    emulation_names::launch(dev, Grid::linear(x.len()), &xb, &mut s, &wb, &mut h, 5)
        .unwrap_or_else(|e| panic!("{}: {e}", dev.name()));
    let want: Vec<bf16> = x.iter().map(|v| bf16::from_f32(v.to_f32() * 2.0)).collect();
    assert_eq!(s.to_vec().unwrap(), want, "{}", dev.name());
    let want: Vec<u64> = w.iter().map(|v| v * 3 + 5).collect();
    assert_eq!(h.to_vec().unwrap(), want, "{}", dev.name());
}
