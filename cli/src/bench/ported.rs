//! The bench cases of kernels as CUDA code is written: `weighted_histogram` (float atomics)
//! and `softmax_warp` (a subgroup per row), each with its peers: a rayon loop on the CPU and a
//! handwritten WGSL shader on wgpu (the same algorithm: shared float atomics by
//! compare-exchange; `subgroupMax`/`subgroupAdd` per row). Two variants measure what the
//! language's choices cost: `softmax_full_barrier` and `softmax_workgroup_barrier` are twins
//! that differ only in `barrier()` (storage and workgroup memory) against `workgroup_barrier()`,
//! and `saxpy_view_aligned`/`saxpy_view` run the built-in `saxpy` on views 64 and 1 elements
//! into their buffers (at 1, wgpu adds the offset and cannot use its `vec4` module).

use super::kernels::{case, refs, Data, HIST, ROW_TOL};
use super::peers::{host_case, param, peer, simd, softmax_row, PEER_CHUNK};
use super::{Case, Check, Keep};
use kernelforge::__private::{KernelArg, KernelDesc, KernelScalar, ParamDesc, ScalarType};
use kernelforge::kernels::{saxpy, softmax_warp, weighted_histogram};
use kernelforge::prelude::*;
use kernelforge::{Backend, Buffer, Device, Grid, Result};
use rayon::prelude::*;

/// Two twins of the built-in f32 `softmax` (a workgroup of 256 per row, halving trees in
/// workgroup memory), one with `barrier()` (CUDA's `__syncthreads()`: on wgpu it also orders
/// storage memory), one with `workgroup_barrier()` (workgroup memory only, as the built-in),
/// identical otherwise, so that their times differ by the barrier alone.
macro_rules! softmax_twin {
    ($name:ident, $sync:ident) => {
        #[compute_kernel(workgroup_size = 256)]
        pub fn $name(cols: u32, x: &[f32], y: &mut [f32]) {
            let tile = shared_array::<f32, 256>();
            let lid = local_id().x;
            let base = group_id().x * cols;
            let mut m = f32::NEG_INFINITY;
            for c in (lid..cols).step_by(256) {
                m = max(m, x[base + c]);
            }
            tile[lid] = m;
            $sync();
            let mut s = 128u32;
            while s > 0 {
                if lid < s {
                    tile[lid] = max(tile[lid], tile[lid + s]);
                }
                $sync();
                s /= 2;
            }
            let row_max = tile[0];
            $sync();
            let mut sum = 0.0f32;
            for c in (lid..cols).step_by(256) {
                let e = exp(x[base + c] - row_max);
                y[base + c] = e;
                sum += e;
            }
            tile[lid] = sum;
            $sync();
            let mut s = 128u32;
            while s > 0 {
                if lid < s {
                    tile[lid] = tile[lid] + tile[lid + s];
                }
                $sync();
                s /= 2;
            }
            let inv = 1.0 / tile[0];
            for c in (lid..cols).step_by(256) {
                y[base + c] = y[base + c] * inv;
            }
        }
    };
}
softmax_twin!(softmax_full_barrier, barrier);
softmax_twin!(softmax_workgroup_barrier, workgroup_barrier);

/// Columns of the `softmax_warp` case: rows of 256 (`n / 256` of them), short enough that a
/// workgroup per row would leave most of it idle.
const WARP_COLS: usize = 256;

/// The weights: integers 1 to 4, so that every bin's sum is exact in any order.
fn weights(d: &Data) -> Vec<f32> {
    d.h.iter().map(|&h| (h >> 30) as f32 + 1.0).collect()
}

/// The weighted histogram in f64, binned by the kernel's f32 rule (`refs::bin`).
fn histogram_ref(x: &[f32], w: &[f32]) -> Vec<f32> {
    let mut out = vec![0f64; HIST.0];
    for (&v, &wi) in x.iter().zip(w) {
        if let Some(b) = refs::bin(v) {
            out[b] += wi as f64;
        }
    }
    out.into_iter().map(|v| v as f32).collect()
}

/// The cases on `dev`: (name, case, whether it is a peer), each kernel followed by its peer.
pub(crate) fn cases<'a>(
    dev: &'a Device,
    d: &'a Data,
    keep: Keep<'_>,
) -> Vec<(String, Result<Case<'a>>, bool)> {
    let mut out = Vec::new();
    if keep("weighted_histogram") {
        out.push(("weighted_histogram".into(), histogram_case(dev, d), false));
        match dev.backend() {
            Backend::Cpu => out.push(("weighted_histogram".into(), Ok(rayon_histogram(d)), true)),
            Backend::Wgpu => out.push(("weighted_histogram".into(), wgsl_histogram(dev, d), true)),
            Backend::Cuda => {}
        }
    }
    if keep("softmax_warp") {
        out.push(("softmax_warp".into(), softmax_case(dev, d), false));
        match dev.backend() {
            Backend::Cpu => out.push(("softmax_warp".into(), Ok(rayon_softmax(d)), true)),
            Backend::Wgpu => out.push(("softmax_warp".into(), wgsl_softmax(dev, d), true)),
            Backend::Cuda => {}
        }
    }
    let mut add = |name: &str, make: &dyn Fn() -> Result<Case<'a>>| {
        if keep(name) {
            out.push((name.to_string(), make(), false));
        }
    };
    add("softmax_workgroup_barrier", &|| barrier_case(dev, d, false));
    add("softmax_full_barrier", &|| barrier_case(dev, d, true));
    add("saxpy_view_aligned", &|| view_case(dev, d, 64));
    add("saxpy_view", &|| view_case(dev, d, 1));
    out
}

/// A softmax twin (`full`: `barrier()`) on the `softmax` case's rows.
fn barrier_case<'a>(dev: &'a Device, d: &'a Data, full: bool) -> Result<Case<'a>> {
    let (r, c) = (d.rows, d.cols);
    let xb = dev.upload(d.matrix())?;
    let mut yb = dev.zeros::<f32>(r * c)?;
    let name = if full {
        "softmax_full_barrier"
    } else {
        "softmax_workgroup_barrier"
    };
    Ok(case(dev, name, 8 * (r * c) as u64, move |check| {
        let grid = Grid::groups([r as u32, 1, 1]);
        if full {
            softmax_full_barrier::launch(dev, grid, c as u32, &xb, &mut yb)?;
        } else {
            softmax_workgroup_barrier::launch(dev, grid, c as u32, &xb, &mut yb)?;
        }
        if !check {
            return Ok(None);
        }
        Ok(Some(Check {
            got: yb.to_vec()?,
            want: refs::softmax_of(d.matrix(), c),
            tol: ROW_TOL,
        }))
    }))
}

/// The built-in `saxpy` on views from element `at` of buffers `at` elements longer: 64 (256
/// bytes, a storage offset alignment) or 1 (unaligned).
fn view_case<'a>(dev: &'a Device, d: &'a Data, at: usize) -> Result<Case<'a>> {
    let n = d.n;
    let pad = move |v: &[f32]| {
        let mut p = vec![0.0f32; at];
        p.extend_from_slice(v);
        p
    };
    let ab = dev.upload(&pad(&d.a))?;
    let mut yb = dev.upload(&pad(&d.b))?;
    let name = if at == 1 {
        "saxpy_view"
    } else {
        "saxpy_view_aligned"
    };
    Ok(case(dev, name, 12 * n as u64, move |check| {
        if check {
            yb.write(&pad(&d.b))?;
        }
        let x = ab.slice(at..)?;
        saxpy::launch(dev, Grid::linear(n), 1.5, &x, &mut yb.slice_mut(at..)?)?;
        if !check {
            return Ok(None);
        }
        Ok(Some(Check {
            got: yb.slice(at..)?.to_vec()?,
            want: d.a.par_iter().zip(&d.b).map(|(x, y)| 1.5 * x + y).collect(),
            tol: 2e-5,
        }))
    }))
}

/// `weighted_histogram` of 256 bins over [-8, 8]; timed runs accumulate, the check starts
/// from zero. Exact.
fn histogram_case<'a>(dev: &'a Device, d: &'a Data) -> Result<Case<'a>> {
    histogram_on(
        dev,
        d,
        "weighted_histogram",
        move |grid, lo, hi, x, w, sums| weighted_histogram::launch(dev, grid, lo, hi, x, w, sums),
    )
}

/// Case `name`: a weighted histogram of `d.x` on `dev`, which `launch` computes from `(grid,
/// lo, hi, x, w, sums)`. The built-in kernel and its WGSL peer share the inputs, the reset
/// before a check and the exact reference.
fn histogram_on<'a>(
    dev: &'a Device,
    d: &'a Data,
    name: &str,
    mut launch: impl FnMut(Grid, f32, f32, &Buffer<f32>, &Buffer<f32>, &mut Buffer<f32>) -> Result<()>
        + 'a,
) -> Result<Case<'a>> {
    let (bins, lo, hi) = HIST;
    let grid = kernelforge::histogram::grid(d.n);
    let w = weights(d);
    let xb = dev.upload(&d.x)?;
    let wb = dev.upload(&w)?;
    let mut sums = dev.zeros::<f32>(bins)?;
    Ok(case(dev, name, 8 * d.n as u64, move |check| {
        if check {
            sums.fill(0.0)?;
        }
        launch(grid, lo, hi, &xb, &wb, &mut sums)?;
        if !check {
            return Ok(None);
        }
        Ok(Some(Check {
            got: sums.to_vec()?,
            want: histogram_ref(&d.x, &w),
            tol: 0.0,
        }))
    }))
}

/// A weighted histogram per rayon task, merged.
fn rayon_histogram(d: &Data) -> Case<'_> {
    let w = weights(d);
    let bins = HIST.0;
    host_case("weighted_histogram", 8 * d.n as u64, move |check| {
        let h =
            d.x.par_chunks(PEER_CHUNK)
                .zip(w.par_chunks(PEER_CHUNK))
                .fold(
                    || vec![0f32; bins],
                    |mut h, (xc, wc)| {
                        for (&v, &wi) in xc.iter().zip(wc) {
                            if let Some(b) = refs::bin(v) {
                                h[b] += wi;
                            }
                        }
                        h
                    },
                )
                .reduce(
                    || vec![0f32; bins],
                    |mut a, b| {
                        a.iter_mut().zip(b).for_each(|(p, q)| *p += q);
                        a
                    },
                );
        Ok(check.then(|| Check {
            got: h,
            want: histogram_ref(&d.x, &w),
            tol: 0.0,
        }))
    })
}

/// The `softmax_warp` case's rows, input and grid (a subgroup per row) on `dev`.
fn warp_shape<'a>(dev: &Device, d: &'a Data) -> Result<(usize, &'a [f32], Grid)> {
    let rows = d.n / WARP_COLS;
    let size = dev.subgroup_size()?;
    let grid = Grid::groups([(rows as u32).div_ceil(256 / size), 1, 1]);
    Ok((rows, &d.x[..rows * WARP_COLS], grid))
}

/// `softmax_warp` over `n / 256` rows of 256.
fn softmax_case<'a>(dev: &'a Device, d: &'a Data) -> Result<Case<'a>> {
    softmax_on(dev, d, "softmax_warp", move |grid, rows, cols, x, y| {
        softmax_warp::launch(dev, grid, rows, cols, x, y)
    })
}

/// Case `name`: the softmax of `n / 256` rows of 256 on `dev` (a subgroup per row), which
/// `launch` computes from `(grid, rows, cols, x, y)`. The built-in kernel and its WGSL peer
/// share the shape, the inputs and the reference.
fn softmax_on<'a>(
    dev: &'a Device,
    d: &'a Data,
    name: &str,
    mut launch: impl FnMut(Grid, u32, u32, &Buffer<f32>, &mut Buffer<f32>) -> Result<()> + 'a,
) -> Result<Case<'a>> {
    let (rows, x, grid) = warp_shape(dev, d)?;
    let xb = dev.upload(x)?;
    let mut yb = dev.zeros::<f32>(x.len())?;
    Ok(case(dev, name, 8 * x.len() as u64, move |check| {
        launch(grid, rows as u32, WARP_COLS as u32, &xb, &mut yb)?;
        if !check {
            return Ok(None);
        }
        Ok(Some(Check {
            got: yb.to_vec()?,
            want: refs::softmax_of(x, WARP_COLS),
            tol: ROW_TOL,
        }))
    }))
}

/// Softmax over rows of 256, rayon over rows, each row as the `softmax` peer's.
fn rayon_softmax(d: &Data) -> Case<'_> {
    let rows = d.n / WARP_COLS;
    let x = &d.x[..rows * WARP_COLS];
    let mut y = vec![0.0f32; x.len()];
    host_case("softmax_warp", 8 * x.len() as u64, move |check| {
        y.par_chunks_mut(WARP_COLS)
            .zip(x.par_chunks(WARP_COLS))
            .for_each(|(yr, xr)| simd(|| softmax_row(xr, yr)));
        Ok(check.then(|| Check {
            want: refs::softmax_of(x, WARP_COLS),
            got: std::mem::take(&mut y),
            tol: ROW_TOL,
        }))
    })
}

/// The handwritten WGSL weighted histogram: 256 bins summed in workgroup memory by
/// compare-exchange on the bits, then added to the result by compare-exchange.
const HISTOGRAM_WGSL: &str = "struct Params { groups_x: u32, groups_y: u32, groups_z: u32, lo: f32, hi: f32, len_x: u32, len_w: u32, len_bins: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> bins: array<atomic<u32>>;
var<workgroup> sums: array<atomic<u32>, 256>;
@compute @workgroup_size(256)
fn peer_weighted_histogram(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    atomicStore(&sums[lid], 0u);
    workgroupBarrier();
    let scale = 256.0 / (p.hi - p.lo);
    for (var i = wid.x * 256u + lid; i < p.len_x; i += nwg.x * 256u) {
        let v = x[i];
        if v >= p.lo && v <= p.hi {
            let b = min(u32((v - p.lo) * scale), 255u);
            let add = w[i];
            var old = atomicLoad(&sums[b]);
            loop {
                let r = atomicCompareExchangeWeak(&sums[b], old, bitcast<u32>(bitcast<f32>(old) + add));
                if r.exchanged { break; }
                old = r.old_value;
            }
        }
    }
    workgroupBarrier();
    let s = bitcast<f32>(atomicLoad(&sums[lid]));
    if s != 0.0 {
        var old = atomicLoad(&bins[lid]);
        loop {
            let r = atomicCompareExchangeWeak(&bins[lid], old, bitcast<u32>(bitcast<f32>(old) + s));
            if r.exchanged { break; }
            old = r.old_value;
        }
    }
}
";

/// The handwritten WGSL softmax, a subgroup per row.
const SOFTMAX_WGSL: &str = "struct Params { groups_x: u32, groups_y: u32, groups_z: u32, rows: u32, cols: u32, len_x: u32, len_y: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(256)
fn peer_softmax_warp(@builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_id) sg: u32, @builtin(num_subgroups) nsg: u32, @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) size: u32) {
    let row = wid.x * nsg + sg;
    if row >= p.rows {
        return;
    }
    let base = row * p.cols;
    var m = -3.40282347e38;
    for (var c = lane; c < p.cols; c += size) {
        m = max(m, x[base + c]);
    }
    let row_max = subgroupMax(m);
    var s = 0.0;
    for (var c = lane; c < p.cols; c += size) {
        let e = exp(x[base + c] - row_max);
        y[base + c] = e;
        s += e;
    }
    let inv = 1.0 / subgroupAdd(s);
    for (var c = lane; c < p.cols; c += size) {
        y[base + c] *= inv;
    }
}
";

fn wgsl_histogram<'a>(dev: &'a Device, d: &'a Data) -> Result<Case<'a>> {
    static PARAMS: [ParamDesc; 5] = [
        param("lo", ScalarType::F32, None),
        param("hi", ScalarType::F32, None),
        param("x", ScalarType::F32, Some(false)),
        param("w", ScalarType::F32, Some(false)),
        param("bins", ScalarType::F32, Some(true)),
    ];
    static DESC: KernelDesc = peer(
        "peer_weighted_histogram",
        &PARAMS,
        HISTOGRAM_WGSL,
        1024,
        false,
    );
    histogram_on(
        dev,
        d,
        "peer:wgsl_weighted_histogram",
        move |grid, lo, hi, x, w, sums| {
            let mut args = [
                KernelArg::Scalar(KernelScalar::to_bits(lo)),
                KernelArg::Scalar(KernelScalar::to_bits(hi)),
                KernelArg::whole(x.raw()),
                KernelArg::whole(w.raw()),
                KernelArg::whole_mut(sums.raw_mut()),
            ];
            dev.launch(&DESC, grid, &mut args)
        },
    )
}

fn wgsl_softmax<'a>(dev: &'a Device, d: &'a Data) -> Result<Case<'a>> {
    static PARAMS: [ParamDesc; 4] = [
        param("rows", ScalarType::U32, None),
        param("cols", ScalarType::U32, None),
        param("x", ScalarType::F32, Some(false)),
        param("y", ScalarType::F32, Some(true)),
    ];
    static DESC: KernelDesc = peer("peer_softmax_warp", &PARAMS, SOFTMAX_WGSL, 0, true);
    softmax_on(
        dev,
        d,
        "peer:wgsl_softmax_warp",
        move |grid, rows, cols, x, y| {
            let mut args = [
                KernelArg::Scalar(KernelScalar::to_bits(rows)),
                KernelArg::Scalar(KernelScalar::to_bits(cols)),
                KernelArg::whole(x.raw()),
                KernelArg::whole_mut(y.raw_mut()),
            ];
            dev.launch(&DESC, grid, &mut args)
        },
    )
}
