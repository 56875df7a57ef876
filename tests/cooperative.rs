//! Kernels whose invocations cooperate through workgroup memory and barriers (reductions,
//! softmax, layer_norm, rms_norm) on every backend present, against an f64 scalar reference
//! and against the CPU backend, at shapes 1x1, 3x1000, 1000x3, 2x260 and 4096x4096; the row
//! kernels' `_v4` forms too where a row is whole vectors.
//!
//! Tolerances (documented in the README): reductions within `1e-5 * sum(|x|)` of the f64 sum
//! (f32 accumulation: short sequential runs, then halving trees); the maximum exactly; row
//! kernels within `1e-5 + 1e-4 * |want|` per element (f32 accumulation over a row, and the
//! backends' `exp`/`sqrt`).

mod common;

use common::each_backend;

use kernelforge::kernels::{layer_norm, layer_norm_v4, rms_norm, rms_norm_v4, softmax, softmax_v4};
use kernelforge::ops::{self, Rows};
use kernelforge::{reduce, Backend, Device, Grid};
use kernelforge_reference::inputs;

const SHAPES: [(usize, usize); 5] = [(1, 1), (3, 1000), (1000, 3), (2, 260), (4096, 4096)];

fn close(dev: &Device, what: &str, got: &[f32], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let tol = 1e-5 + 1e-4 * w.abs();
        assert!(
            (g as f64 - w).abs() <= tol,
            "{what} on {}: element {i}: got {g}, want {w}",
            dev.name()
        );
    }
}

fn agree(dev: &Device, what: &str, got: &[f32], cpu: &[f32]) {
    let want: Vec<f64> = cpu.iter().map(|&v| v as f64).collect();
    close(
        dev,
        &format!("{what} (against the CPU backend)"),
        got,
        &want,
    );
}

#[each_backend]
fn reductions(dev: &Device) {
    for n in [0usize, 1, 1000, 256 * 1024 + 3, 4096 * 4096] {
        let x = inputs(n, 5, -10.0, 10.0);
        let want_sum: f64 = x.iter().map(|&v| v as f64).sum();
        let abs_sum: f64 = x.iter().map(|&v| (v as f64).abs()).sum();
        let want_max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let xb = dev.upload(&x).unwrap();
        let s = reduce::sum(dev, &xb).unwrap();
        assert!(
            (s as f64 - want_sum).abs() <= 1e-5 * abs_sum + 1e-6,
            "sum on {} at n={n}: got {s}, want {want_sum}",
            dev.name()
        );
        let m = reduce::max(dev, &xb).unwrap();
        assert_eq!(m, want_max, "max on {} at n={n}", dev.name());
    }
}

/// Which instance of a row kernel to run.
#[derive(Clone, Copy, Debug)]
enum Pick {
    /// The `kernelforge::ops` operator's autotuned choice.
    Op,
    /// The scalar kernel of this workgroup size.
    Scalar(u32),
    /// The `_v4` kernel of this workgroup size (rows of whole vectors only).
    V4(u32),
}

/// Runs a row kernel on `dev` against the f64 reference and, off the CPU, against the CPU
/// backend; `launch` gets the device, the rows, the input buffer and the instance to run.
/// Every instance runs at the shapes below 4096 x 4096, the operator at all.
fn rows(
    dev: &Device,
    what: &str,
    reference: impl Fn(&[f32], usize) -> Vec<f64>,
    launch: impl Fn(&Device, usize, usize, &kernelforge::Buffer<f32>, Pick) -> Vec<f32>,
) {
    let cpu = Device::cpu();
    for (r, c) in SHAPES {
        let x = inputs(r * c, 9, -4.0, 4.0);
        let want = reference(&x, c);
        let xb = dev.upload(&x).unwrap();
        let mut picks = vec![Pick::Op];
        if r * c < 4096 * 4096 {
            picks.extend([32, 64, 128, 256].map(Pick::Scalar));
            if c.is_multiple_of(4) {
                picks.extend([32, 256].map(Pick::V4));
            }
        }
        for b in picks {
            let got = launch(dev, r, c, &xb, b);
            let label = format!("{what} {r}x{c} workgroup {b:?}");
            close(dev, &label, &got, &want);
            if dev.backend() != Backend::Cpu {
                let on_cpu = launch(&cpu, r, c, &cpu.upload(&x).unwrap(), b);
                agree(dev, &label, &got, &on_cpu);
            }
        }
    }
}

fn weights(c: usize) -> (Vec<f32>, Vec<f32>) {
    (inputs(c, 3, 0.5, 1.5), inputs(c, 4, -0.5, 0.5))
}

#[each_backend]
fn softmax_rows(dev: &Device) {
    rows(
        dev,
        "softmax",
        |x, c| {
            x.chunks(c)
                .flat_map(|row| {
                    let m = row.iter().map(|&v| v as f64).fold(f64::MIN, f64::max);
                    let e: Vec<f64> = row.iter().map(|&v| (v as f64 - m).exp()).collect();
                    let s: f64 = e.iter().sum();
                    e.into_iter().map(move |v| v / s)
                })
                .collect()
        },
        |dev, r, c, xb, b| {
            let mut y = dev.zeros::<f32>(r * c).unwrap();
            let (g, cols) = (Grid::groups([r as u32, 1, 1]), c as u32);
            match b {
                Pick::Op => ops::softmax(dev, xb, &mut y, Rows { rows: r, cols: c }),
                Pick::Scalar(32) => softmax::launch::<_, 32>(dev, g, cols, xb, &mut y),
                Pick::Scalar(64) => softmax::launch::<_, 64>(dev, g, cols, xb, &mut y),
                Pick::Scalar(128) => softmax::launch::<_, 128>(dev, g, cols, xb, &mut y),
                Pick::Scalar(_) => softmax::launch::<_, 256>(dev, g, cols, xb, &mut y),
                Pick::V4(32) => softmax_v4::launch::<_, 32>(dev, g, cols, xb, &mut y),
                Pick::V4(_) => softmax_v4::launch::<_, 256>(dev, g, cols, xb, &mut y),
            }
            .unwrap();
            y.to_vec().unwrap()
        },
    );
}

#[each_backend]
fn layer_norm_rows(dev: &Device) {
    let eps = 1e-5f32;
    rows(
        dev,
        "layer_norm",
        |x, c| {
            let (w, b) = weights(c);
            x.chunks(c)
                .flat_map(|row| {
                    let n = c as f64;
                    let mean = row.iter().map(|&v| v as f64).sum::<f64>() / n;
                    let var = row.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
                    let rstd = 1.0 / (var + eps as f64).sqrt();
                    let (w, b) = (w.clone(), b.clone());
                    row.iter()
                        .enumerate()
                        .map(move |(j, &v)| (v as f64 - mean) * rstd * w[j] as f64 + b[j] as f64)
                })
                .collect()
        },
        |dev, r, c, xb, size| {
            let (w, b) = weights(c);
            let (wb, bb) = (dev.upload(&w).unwrap(), dev.upload(&b).unwrap());
            let mut y = dev.zeros::<f32>(r * c).unwrap();
            let (g, cols) = (Grid::groups([r as u32, 1, 1]), c as u32);
            let s = Rows { rows: r, cols: c };
            match size {
                Pick::Op => ops::layer_norm(dev, xb, &wb, &bb, &mut y, s, eps),
                Pick::Scalar(32) => {
                    layer_norm::launch::<_, 32>(dev, g, cols, eps, xb, &wb, &bb, &mut y)
                }
                Pick::Scalar(64) => {
                    layer_norm::launch::<_, 64>(dev, g, cols, eps, xb, &wb, &bb, &mut y)
                }
                Pick::Scalar(128) => {
                    layer_norm::launch::<_, 128>(dev, g, cols, eps, xb, &wb, &bb, &mut y)
                }
                Pick::Scalar(_) => {
                    layer_norm::launch::<_, 256>(dev, g, cols, eps, xb, &wb, &bb, &mut y)
                }
                Pick::V4(32) => {
                    layer_norm_v4::launch::<_, 32>(dev, g, cols, eps, xb, &wb, &bb, &mut y)
                }
                Pick::V4(_) => {
                    layer_norm_v4::launch::<_, 256>(dev, g, cols, eps, xb, &wb, &bb, &mut y)
                }
            }
            .unwrap();
            y.to_vec().unwrap()
        },
    );
}

#[each_backend]
fn rms_norm_rows(dev: &Device) {
    let eps = 1e-6f32;
    rows(
        dev,
        "rms_norm",
        |x, c| {
            let (w, _) = weights(c);
            x.chunks(c)
                .flat_map(|row| {
                    let ms = row.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / c as f64;
                    let r = 1.0 / (ms + eps as f64).sqrt();
                    let w = w.clone();
                    row.iter()
                        .enumerate()
                        .map(move |(j, &v)| v as f64 * r * w[j] as f64)
                })
                .collect()
        },
        |dev, r, c, xb, size| {
            let (w, _) = weights(c);
            let wb = dev.upload(&w).unwrap();
            let mut y = dev.zeros::<f32>(r * c).unwrap();
            let (g, cols) = (Grid::groups([r as u32, 1, 1]), c as u32);
            match size {
                Pick::Op => ops::rms_norm(dev, xb, &wb, &mut y, Rows { rows: r, cols: c }, eps),
                Pick::Scalar(32) => rms_norm::launch::<_, 32>(dev, g, cols, eps, xb, &wb, &mut y),
                Pick::Scalar(64) => rms_norm::launch::<_, 64>(dev, g, cols, eps, xb, &wb, &mut y),
                Pick::Scalar(128) => rms_norm::launch::<_, 128>(dev, g, cols, eps, xb, &wb, &mut y),
                Pick::Scalar(_) => rms_norm::launch::<_, 256>(dev, g, cols, eps, xb, &wb, &mut y),
                Pick::V4(32) => rms_norm_v4::launch::<_, 32>(dev, g, cols, eps, xb, &wb, &mut y),
                Pick::V4(_) => rms_norm_v4::launch::<_, 256>(dev, g, cols, eps, xb, &wb, &mut y),
            }
            .unwrap();
            y.to_vec().unwrap()
        },
    );
}

/// Exercises the CPU back end's work-item loops: a 2-D workgroup, a `const`, a uniform
/// `return`, a private array and a non-uniform local live across the barrier, and a
/// non-uniform `return` after it.
#[kernelforge::compute_kernel(workgroup_size = (4, 2))]
pub fn reverse_pairs(n: u32, x: &[f32], y: &mut [f32]) {
    const W: u32 = 8;
    let tile = shared_array::<f32, W>();
    let l = local_id().y * 4 + local_id().x;
    let g = group_id().x;
    if g >= 1000 {
        return;
    }
    let mut keep = [0.0f32; 3];
    let i = g * W + l;
    let v = if i < n { x[i] } else { 0.0 };
    keep[l % 3] = v;
    tile[l] = v;
    barrier();
    let r = tile[W - 1 - l] + keep[l % 3];
    if i >= n {
        return;
    }
    y[i] = r;
}

#[each_backend]
fn work_item_loops(dev: &Device) {
    use kernelforge::prelude::*;
    // 70,000 workgroups at 560,000: past wgpu's 65,535 per dimension, so the runtime folds the
    // grid and runs the module's `_folded` entry point.
    for n in [1usize, 7, 8, 1003, 8000, 8100, 560_000] {
        let x = inputs(n, 13, -1.0, 1.0);
        let want: Vec<f32> = (0..n)
            .map(|i| {
                if i >= 8000 {
                    return -7.0;
                }
                let mirror = i / 8 * 8 + 7 - i % 8;
                x.get(mirror).copied().unwrap_or(0.0) + x[i]
            })
            .collect();
        let xb = dev.upload(&x).unwrap();
        let mut yb = dev.upload(&vec![-7.0f32; n]).unwrap();
        let groups = n.div_ceil(8) as u32;
        reverse_pairs::launch(dev, Grid::groups([groups, 1, 1]), n as u32, &xb, &mut yb).unwrap();
        assert_eq!(yb.to_vec().unwrap(), want, "on {} at n={n}", dev.name());
    }
}

/// Out-of-bounds indices of workgroup and private arrays are an `Err` on the CPU backend.
#[kernelforge::compute_kernel(workgroup_size = 4)]
pub fn array_oob(k: u32, y: &mut [f32]) {
    let tile = shared_array::<f32, 4>();
    tile[local_id().x + k] = 1.0;
    barrier();
    y[local_id().x] = tile[local_id().x];
}

#[test]
fn array_out_of_bounds_is_an_error() {
    let dev = Device::cpu();
    let mut y = dev.zeros::<f32>(4).unwrap();
    array_oob::launch(&dev, Grid::groups([1, 1, 1]), 0, &mut y).unwrap();
    assert_eq!(y.to_vec().unwrap(), vec![1.0; 4]);
    let e = array_oob::launch(&dev, Grid::groups([1, 1, 1]), 1, &mut y).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("array `tile`") && msg.contains("index 4"),
        "{msg}"
    );
}

/// Settled `let`s (one value per workgroup on the CPU) read from a `&mut` slice and from
/// workgroup memory, and a halving step over part of the workgroup at an offset (the CPU's
/// work-item loop checked once, with the checked loop when the check fails).
#[kernelforge::compute_kernel(workgroup_size = 64)]
pub fn settled_reads(s: u32, p: &mut [f32], y: &mut [f32]) {
    let tile = shared_array::<f32, 128>();
    let lid = local_id().x;
    let g = group_id().x;
    tile[lid] = lid as f32;
    tile[lid + 64] = 1000.0;
    barrier();
    let first = p[g];
    if lid < s {
        tile[lid] = tile[lid] + tile[lid + s];
    }
    barrier();
    let top = tile[0];
    y[g * 64 + lid] = first + top + tile[lid];
}

#[each_backend]
fn settled_lets_and_partial_halving_steps(dev: &Device) {
    use kernelforge::prelude::*;
    let groups = 5usize;
    let p: Vec<f32> = (0..groups).map(|g| 100.0 * g as f32).collect();
    for s in [0u32, 1, 32, 64] {
        // Invocation l below s adds the element s above it: l + s below 64, else 1000.
        let tile = |l: u32| -> f32 {
            let above = if l + s < 64 { (l + s) as f32 } else { 1000.0 };
            l as f32 + if l < s { above } else { 0.0 }
        };
        let want: Vec<f32> = (0..groups * 64)
            .map(|i| p[i / 64] + tile(0) + tile((i % 64) as u32))
            .collect();
        let mut pb = dev.upload(&p).unwrap();
        let mut yb = dev.zeros::<f32>(groups * 64).unwrap();
        let grid = Grid::groups([groups as u32, 1, 1]);
        settled_reads::launch(dev, grid, s, &mut pb, &mut yb).unwrap();
        assert_eq!(yb.to_vec().unwrap(), want, "on {} at s={s}", dev.name());
    }
    // At s = 100 every invocation reads tile[lid + 100]: invocation 28 is the first past the
    // end, which the CPU backend reports (wgpu clamps; CUDA leaves it undefined).
    if dev.backend() == Backend::Cpu {
        let mut pb = dev.upload(&p).unwrap();
        let mut yb = dev.zeros::<f32>(groups * 64).unwrap();
        let e = settled_reads::launch(dev, Grid::groups([1, 1, 1]), 100, &mut pb, &mut yb)
            .unwrap_err()
            .to_string();
        assert!(e.contains("array `tile`") && e.contains("index 128"), "{e}");
    }
}

/// A workgroup of 1024 invocations (CUDA's block limit) summing its elements in workgroup
/// memory by halving.
#[kernelforge::compute_kernel(workgroup_size = 1024)]
pub fn block_sum_1024(x: &[u32], out: &mut [u32]) {
    let tile = shared_array::<u32, 1024>();
    let l = local_id().x;
    let i = global_id().x;
    tile[l] = if i < x.len() { x[i] } else { 0 };
    barrier();
    let mut s = 512u32;
    while s > 0 {
        if l < s {
            tile[l] = tile[l] + tile[l + s];
        }
        barrier();
        s /= 2;
    }
    if l == 0 {
        out[group_id().x] = tile[0];
    }
}

#[each_backend]
fn workgroups_of_1024_invocations(dev: &Device) {
    use kernelforge::prelude::*;
    let n = 3000usize;
    let x: Vec<u32> = (0..n as u32).map(|v| v % 977).collect();
    let xb = dev.upload(&x).unwrap();
    let mut out = dev.zeros::<u32>(3).unwrap();
    let r = block_sum_1024::launch(dev, Grid::linear(n), &xb, &mut out);
    if let Err(e @ kernelforge::Error::TooLarge { .. }) = &r {
        // An adapter below CUDA's 1024 (WebGPU guarantees 256) says so, naming both numbers.
        assert!(e.to_string().contains("1024"), "{e}");
        common::skip_or_fail("wgpu", &e.to_string());
        return;
    }
    r.unwrap();
    let want: Vec<u32> = x.chunks(1024).map(|c| c.iter().sum()).collect();
    assert_eq!(out.to_vec().unwrap(), want, "on {}", dev.name());
}
