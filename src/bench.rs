//! `kernelforge bench`: every built-in kernel on every backend present, with peers measured in
//! the same run (handwritten rayon loops on the CPU, a handwritten vec4 WGSL shader on wgpu).

use crate::kernels::*;
use crate::reference::{self, errors, inputs};
use crate::{Buffer, Device, Grid, Result};
use rayon::prelude::*;
use std::time::Instant;

/// One measurement, as written by `--json`.
#[derive(Clone, Debug)]
pub struct Record {
    /// Kernel name, or `peer:<name>` for a peer.
    pub kernel: String,
    /// `cpu`, `wgpu` or `cuda`.
    pub backend: String,
    /// The device's name.
    pub device: String,
    /// Elements processed.
    pub elements: usize,
    /// Bytes read and written per run.
    pub bytes: u64,
    /// Median wall time of one run (launch and wait), ms.
    pub median_ms: f64,
    /// `bytes / median`, GB/s (10^9).
    pub gbps: f64,
    /// Largest absolute error against the scalar reference.
    pub max_abs_err: f64,
    /// Largest relative error against the scalar reference.
    pub max_rel_err: f64,
    /// Whether the errors are within the documented tolerance.
    pub ok: bool,
}

impl Record {
    /// The record as a JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "kernel": self.kernel, "backend": self.backend, "device": self.device,
            "elements": self.elements, "bytes": self.bytes, "median_ms": self.median_ms,
            "gbps": self.gbps, "max_abs_err": self.max_abs_err, "max_rel_err": self.max_rel_err,
            "ok": self.ok,
        })
    }
}

/// Bench settings.
#[derive(Clone, Debug)]
pub struct Options {
    /// Elements per kernel.
    pub elements: usize,
    /// Timed runs (after 2 warm-up runs); the median is reported.
    pub runs: usize,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn time(dev: Option<&Device>, runs: usize, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    for _ in 0..2 {
        f()?;
    }
    if let Some(d) = dev {
        d.synchronize()?;
    }
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f()?;
        if let Some(d) = dev {
            d.synchronize()?;
        }
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    Ok(median(times))
}

struct Ctx<'a> {
    dev: &'a Device,
    opts: &'a Options,
    out: Vec<Record>,
}

impl Ctx<'_> {
    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        kernel: &str,
        backend: &str,
        device: String,
        bytes: u64,
        ms: f64,
        got: &[f32],
        want: &[f32],
        tol: f64,
    ) {
        let (abs, rel) = errors(got, want);
        let r = Record {
            kernel: kernel.into(),
            backend: backend.into(),
            device,
            elements: self.opts.elements,
            bytes,
            median_ms: ms,
            gbps: bytes as f64 / (ms * 1e-3) / 1e9,
            max_abs_err: abs,
            max_rel_err: rel,
            ok: abs <= tol || rel <= tol,
        };
        eprintln!(
            "  {:<22} {:>9.3} ms {:>8.2} GB/s  err {:.1e}",
            r.kernel, r.median_ms, r.gbps, r.max_abs_err
        );
        self.out.push(r);
    }

    fn kernel_record(
        &mut self,
        kernel: &str,
        bytes: u64,
        ms: f64,
        got: &[f32],
        want: &[f32],
        tol: f64,
    ) {
        let (b, d) = (self.dev.backend().as_str(), self.dev.name());
        self.record(kernel, b, d, bytes, ms, got, want, tol);
    }

    fn unary(
        &mut self,
        name: &str,
        launch: UnaryLaunch,
        f: fn(f32) -> f32,
        tol: f64,
    ) -> Result<()> {
        let n = self.opts.elements;
        let x = inputs(n, 11, -6.0, 6.0);
        let want: Vec<f32> = x.par_iter().map(|&v| f(v)).collect();
        let xb = self.dev.upload(&x)?;
        let mut yb = self.dev.zeros::<f32>(n)?;
        let dev = self.dev;
        let ms = time(Some(dev), self.opts.runs, || {
            launch(dev, Grid::linear(n), &xb, &mut yb)
        })?;
        self.kernel_record(name, 8 * n as u64, ms, &yb.to_vec()?, &want, tol);
        Ok(())
    }

    fn run(&mut self) -> Result<()> {
        let n = self.opts.elements;
        let dev = self.dev;
        let a = inputs(n, 1, -100.0, 100.0);
        let b = inputs(n, 2, -100.0, 100.0);
        let ab = dev.upload(&a)?;
        let bb = dev.upload(&b)?;
        let mut cb = dev.zeros::<f32>(n)?;
        let ms = time(Some(dev), self.opts.runs, || {
            vector_add::launch(dev, Grid::linear(n), &ab, &bb, &mut cb)
        })?;
        let want: Vec<f32> = a.par_iter().zip(&b).map(|(x, y)| x + y).collect();
        self.kernel_record("vector_add", 12 * n as u64, ms, &cb.to_vec()?, &want, 0.0);

        let mut yb = dev.upload(&b)?;
        // saxpy updates y in place: time it, then check one fresh run.
        let ms = time(Some(dev), self.opts.runs, || {
            saxpy::launch(dev, Grid::linear(n), 1.5, &ab, &mut yb)
        })?;
        let mut yb = dev.upload(&b)?;
        saxpy::launch(dev, Grid::linear(n), 1.5, &ab, &mut yb)?;
        let want: Vec<f32> = a.par_iter().zip(&b).map(|(x, y)| 1.5 * x + y).collect();
        self.kernel_record("saxpy", 12 * n as u64, ms, &yb.to_vec()?, &want, 2e-5);

        let mut sb = dev.zeros::<f32>(n)?;
        let ms = time(Some(dev), self.opts.runs, || {
            scale::launch(dev, Grid::linear(n), -0.25, &ab, &mut sb)
        })?;
        let want: Vec<f32> = a.par_iter().map(|x| -0.25 * x).collect();
        self.kernel_record("scale", 8 * n as u64, ms, &sb.to_vec()?, &want, 0.0);

        self.unary("relu", relu::launch, reference::relu, 0.0)?;
        self.unary("gelu", gelu::launch, reference::gelu, 2e-6)?;
        self.unary("sigmoid", sigmoid::launch, reference::sigmoid, 2e-6)?;
        self.unary("silu", silu::launch, reference::silu, 2e-6)?;

        let x: Vec<u32> = (0..n as u32)
            .map(|i| i.wrapping_mul(2_654_435_761))
            .collect();
        let xb = dev.upload(&x)?;
        let mut hb = dev.zeros::<u32>(n)?;
        let ms = time(Some(dev), self.opts.runs, || {
            hash_u32::launch(dev, Grid::linear(n), 7, &xb, &mut hb)
        })?;
        let got = hb.to_vec()?;
        let want: Vec<u32> = x.par_iter().map(|&v| reference::hash_u32(7, v)).collect();
        let mismatches = got.iter().zip(&want).filter(|(g, w)| g != w).count();
        let as_f = |v: &[u32]| v.iter().map(|&u| (u == 0) as u8 as f32).collect::<Vec<_>>();
        let (g, w) = if mismatches == 0 {
            (as_f(&want), as_f(&want))
        } else {
            (vec![1.0], vec![])
        };
        self.kernel_record("hash_u32", 8 * n as u64, ms, &g, &w, 0.0);
        Ok(())
    }
}

type UnaryLaunch = fn(&Device, Grid, &Buffer<f32>, &mut Buffer<f32>) -> Result<()>;

/// Runs `f` compiled for the best SIMD level the CPU has, as the CPU backend does, so the rayon
/// peers get the same vector width as the generated code.
#[inline(always)]
fn simd<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
        unsafe fn avx512<R>(f: impl FnOnce() -> R) -> R {
            f()
        }
        #[target_feature(enable = "avx2,fma")]
        unsafe fn avx2<R>(f: impl FnOnce() -> R) -> R {
            f()
        }
        use crate::__private::cpu::{simd_level, SimdLevel};
        match simd_level() {
            // SAFETY: simd_level reports only features this CPU has.
            SimdLevel::Avx512 => return unsafe { avx512(f) },
            // SAFETY: as above.
            SimdLevel::Avx2 => return unsafe { avx2(f) },
            SimdLevel::Baseline => {}
        }
    }
    f()
}

const PEER_CHUNK: usize = 64 * 1024;

/// A handwritten rayon elementwise loop: `par_chunks_mut`, a straight-line body the compiler
/// vectorises, the vectorisable `exp`/`tanh` of the CPU backend's math module.
fn peer_unary(x: &[f32], y: &mut [f32], f: impl Fn(f32) -> f32 + Sync + Send + Copy) {
    y.par_chunks_mut(PEER_CHUNK)
        .zip(x.par_chunks(PEER_CHUNK))
        .for_each(|(yc, xc)| {
            simd(|| {
                for (o, &v) in yc.iter_mut().zip(xc) {
                    *o = f(v);
                }
            })
        });
}

fn peer_binary(
    a: &[f32],
    b: &[f32],
    y: &mut [f32],
    f: impl Fn(f32, f32) -> f32 + Sync + Send + Copy,
) {
    y.par_chunks_mut(PEER_CHUNK)
        .zip(a.par_chunks(PEER_CHUNK).zip(b.par_chunks(PEER_CHUNK)))
        .for_each(|(yc, (ac, bc))| {
            simd(|| {
                for ((o, &p), &q) in yc.iter_mut().zip(ac).zip(bc) {
                    *o = f(p, q);
                }
            })
        });
}

fn cpu_peers(ctx: &mut Ctx<'_>) {
    use crate::__private::cpu::math;
    let n = ctx.opts.elements;
    let runs = ctx.opts.runs;
    let device = format!("rayon, {} threads", rayon::current_num_threads());
    let a = inputs(n, 1, -100.0, 100.0);
    let b = inputs(n, 2, -100.0, 100.0);
    let x = inputs(n, 11, -6.0, 6.0);
    let mut y = vec![0.0f32; n];
    let mut go = |ctx: &mut Ctx<'_>,
                  name: &str,
                  bytes: u64,
                  want: Vec<f32>,
                  tol: f64,
                  f: &mut dyn FnMut(&mut [f32])| {
        let ms = time(None, runs, || {
            f(&mut y);
            Ok(())
        })
        .unwrap_or(f64::NAN);
        ctx.record(
            &format!("peer:rayon_{name}"),
            "cpu",
            device.clone(),
            bytes,
            ms,
            &y,
            &want,
            tol,
        );
    };
    let want: Vec<f32> = a.iter().zip(&b).map(|(p, q)| p + q).collect();
    go(ctx, "vector_add", 12 * n as u64, want, 0.0, &mut |y| {
        peer_binary(&a, &b, y, |p, q| p + q)
    });
    let want: Vec<f32> = a.iter().zip(&b).map(|(p, q)| 1.5 * p + q).collect();
    go(ctx, "saxpy", 12 * n as u64, want, 2e-5, &mut |y| {
        peer_binary(&a, &b, y, |p, q| 1.5 * p + q)
    });
    let want: Vec<f32> = a.iter().map(|p| -0.25 * p).collect();
    go(ctx, "scale", 8 * n as u64, want, 0.0, &mut |y| {
        peer_unary(&a, y, |p| -0.25 * p)
    });
    let want: Vec<f32> = x.iter().map(|&v| reference::relu(v)).collect();
    go(ctx, "relu", 8 * n as u64, want, 0.0, &mut |y| {
        peer_unary(&x, y, |v| if v > 0.0 { v } else { 0.0 })
    });
    let want: Vec<f32> = x.par_iter().map(|&v| reference::gelu(v)).collect();
    go(ctx, "gelu", 8 * n as u64, want, 2e-6, &mut |y| {
        peer_unary(&x, y, |v| {
            0.5 * v * (1.0 + math::tanh(0.797_884_6 * (v + 0.044715 * v * v * v)))
        })
    });
    let want: Vec<f32> = x.par_iter().map(|&v| reference::sigmoid(v)).collect();
    go(ctx, "sigmoid", 8 * n as u64, want, 2e-6, &mut |y| {
        peer_unary(&x, y, |v| 1.0 / (1.0 + math::exp(-v)))
    });
    let want: Vec<f32> = x.par_iter().map(|&v| reference::silu(v)).collect();
    go(ctx, "silu", 8 * n as u64, want, 2e-6, &mut |y| {
        peer_unary(&x, y, |v| v / (1.0 + math::exp(-v)))
    });
}

/// The handwritten WGSL peer: GELU over `vec4<f32>`, workgroup size 256, through the same
/// runtime launch path (it follows the launch ABI, so the runtime binds it like a kernel).
pub const WGSL_GELU_VEC4: &str = r#"
struct Params { groups_x: u32, groups_y: u32, groups_z: u32, len_x: u32, len_y: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4<f32>>;
@compute @workgroup_size(256)
fn peer_gelu_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if i < p.len_y / 4u {
        let v = x[i];
        let u = 0.7978846 * (v + 0.044715 * v * v * v);
        y[i] = 0.5 * v * (1.0 + tanh(u));
    }
}
"#;

fn no_cpu(
    _: &crate::__private::cpu::Launch,
    _: &crate::__private::cpu::Args,
) -> std::result::Result<(), crate::__private::cpu::Fault> {
    Ok(())
}

static PEER_GELU: crate::__private::KernelDesc = crate::__private::KernelDesc {
    name: "peer_gelu_vec4",
    workgroup_size: [256, 1, 1],
    params: &[
        crate::__private::ParamDesc {
            name: "x",
            ty: crate::__private::ScalarType::F32,
            slice: Some(false),
        },
        crate::__private::ParamDesc {
            name: "y",
            ty: crate::__private::ScalarType::F32,
            slice: Some(true),
        },
    ],
    cuda_source: "",
    ptx: None,
    wgsl_source: WGSL_GELU_VEC4,
    wgsl_x4_source: None,
    cpu: no_cpu,
};

fn wgpu_peer(ctx: &mut Ctx<'_>) -> Result<()> {
    use crate::__private::KernelArg;
    let dev = ctx.dev;
    let n = ctx.opts.elements / 4 * 4;
    let x = inputs(n, 11, -6.0, 6.0);
    let want: Vec<f32> = x.par_iter().map(|&v| reference::gelu(v)).collect();
    let xb = dev.upload(&x)?;
    let mut yb = dev.zeros::<f32>(n)?;
    let ms = time(Some(dev), ctx.opts.runs, || {
        // The peer folds nothing: it is sized for one dispatch row of 65,535 workgroups at most.
        let groups = (n / 4).div_ceil(256);
        let grid = if groups > 65_535 {
            Grid::groups([65_535, groups.div_ceil(65_535) as u32, 1])
        } else {
            Grid::groups([groups as u32, 1, 1])
        };
        dev.launch(
            &PEER_GELU,
            grid,
            &mut [
                KernelArg::Slice(xb.raw()),
                KernelArg::SliceMut(yb.raw_mut()),
            ],
        )
    })?;
    let (b, d) = ("wgpu", dev.name());
    ctx.record(
        "peer:wgsl_gelu_vec4",
        b,
        d,
        8 * n as u64,
        ms,
        &yb.to_vec()?,
        &want,
        2e-6,
    );
    Ok(())
}

/// Runs the whole benchmark on every device present; progress goes to stderr.
pub fn run(opts: &Options) -> Vec<Record> {
    let mut devices = vec![Device::cpu()];
    match Device::wgpu() {
        Ok(d) => devices.push(d),
        Err(e) => eprintln!("bench: wgpu skipped: {e}"),
    }
    match Device::cuda(0) {
        Ok(d) => devices.push(d),
        Err(e) => eprintln!("bench: cuda skipped: {e}"),
    }
    let mut out = Vec::new();
    for dev in &devices {
        eprintln!("{}:", dev.name());
        let mut ctx = Ctx {
            dev,
            opts,
            out: Vec::new(),
        };
        if let Err(e) = ctx.run() {
            eprintln!("  error: {e}");
        }
        match dev.backend() {
            crate::Backend::Cpu => cpu_peers(&mut ctx),
            crate::Backend::Wgpu => {
                if let Err(e) = wgpu_peer(&mut ctx) {
                    eprintln!("  peer error: {e}");
                }
            }
            crate::Backend::Cuda => {}
        }
        out.append(&mut ctx.out);
    }
    out
}

/// The table printed on stdout: one row per record, with the ratio to the backend's peer.
pub fn table(records: &[Record]) -> String {
    let mut s = format!(
        "{:<24} {:<5} {:>10} {:>10} {:>9} {:>10} {:>4}\n",
        "kernel", "back", "median ms", "GB/s", "vs peer", "max err", "ok"
    );
    for r in records {
        let peer = if r.kernel.starts_with("peer:") {
            None
        } else {
            let name = if r.backend == "wgpu" {
                "peer:wgsl_gelu_vec4".to_string()
            } else {
                format!("peer:rayon_{}", r.kernel)
            };
            records.iter().find(|p| {
                p.kernel == name
                    && p.backend == r.backend
                    && (r.backend != "wgpu" || r.kernel == "gelu")
            })
        };
        let ratio = peer
            .map(|p| format!("{:.2}x", r.gbps / p.gbps))
            .unwrap_or_else(|| "-".into());
        s += &format!(
            "{:<24} {:<5} {:>10.3} {:>10.2} {:>9} {:>10.1e} {:>4}\n",
            r.kernel,
            r.backend,
            r.median_ms,
            r.gbps,
            ratio,
            r.max_abs_err,
            if r.ok { "yes" } else { "NO" }
        );
    }
    s
}
