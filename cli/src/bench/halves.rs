//! The `f16` and `bf16` instances of the elementwise and row kernels as bench cases (named
//! `<kernel>_f16`, `<kernel>_bf16`), with their peers: on the CPU a handwritten rayon loop over
//! `half` slices converting each element through f32, on wgpu (for `f16`, where the adapter has
//! SHADER_F16) a handwritten `vec4<f16>` shader computing in f32. GB/s counts the bytes moved,
//! two per element. Checks: against f64 references of the same half inputs, within the f32
//! kernel's tolerance plus one ulp of the type (tests/half_kernels.rs has the reasoning).

use super::kernels::{case, Data, LAYER_NORM_EPS, RMS_NORM_EPS, ROW_TOL, UNARY};
use super::{Case, Check, Keep};
use kernelforge::kernels::*;
use kernelforge::ops::{self, RowElement, Rows};
use kernelforge::{bf16, f16, Buffer, Device, Grid, Result};
use rayon::prelude::*;

/// A half type as the bench needs it.
pub(crate) trait Half: bytemuck::Pod + Default + Send + Sync + 'static {
    const NAME: &'static str;
    /// One ulp relative: 2^-(mantissa bits).
    const ULP: f64;
    fn from_f32(v: f32) -> Self;
    fn to_f32(self) -> f32;
}

impl Half for f16 {
    const NAME: &'static str = "f16";
    const ULP: f64 = 1.0 / 1024.0;
    #[inline(always)]
    fn from_f32(v: f32) -> Self {
        f16::from_f32(v)
    }
    #[inline(always)]
    fn to_f32(self) -> f32 {
        f16::to_f32(self)
    }
}

impl Half for bf16 {
    const NAME: &'static str = "bf16";
    const ULP: f64 = 1.0 / 128.0;
    #[inline(always)]
    fn from_f32(v: f32) -> Self {
        bf16::from_f32(v)
    }
    #[inline(always)]
    fn to_f32(self) -> f32 {
        bf16::to_f32(self)
    }
}

/// The inputs of [`Data`] rounded to the half type, and their f32 values.
pub(crate) struct HalfData<T> {
    a: Vec<T>,
    b: Vec<T>,
    x: Vec<T>,
    weight: Vec<T>,
    bias: Vec<T>,
}

impl<T: Half> HalfData<T> {
    pub(crate) fn new(d: &Data) -> Self {
        let conv = |v: &[f32]| v.par_iter().map(|&f| T::from_f32(f)).collect();
        HalfData {
            a: conv(&d.a),
            b: conv(&d.b),
            x: conv(&d.x),
            weight: conv(&d.weight),
            bias: conv(&d.bias),
        }
    }
}

fn wide<T: Half>(v: &[T]) -> Vec<f32> {
    v.par_iter().map(|h| h.to_f32()).collect()
}

fn check<T: Half>(got: &[T], want: Vec<f32>, tol: f64) -> Check {
    Check {
        got: wide(got),
        want,
        tol: tol + T::ULP,
    }
}

/// The elementwise kernels of one type: name, launch of `(a, b, y)` (the unary ones ignore
/// `b`, saxpy updates `y` in place), f32 function of `(a, b)` for the check, tolerance.
type Launch<T> = fn(&Device, Grid, &Buffer<T>, &Buffer<T>, &mut Buffer<T>) -> Result<()>;
type Elementwise<T> = (&'static str, Launch<T>, fn(f32, f32) -> f32, f64);

macro_rules! elementwise {
    ($t:ty) => {{
        let list: Vec<Elementwise<$t>> = vec![
            (
                "copy",
                |d, g, a, _, y| copy::launch(d, g, a, y),
                |p, _| p,
                0.0,
            ),
            (
                "vector_add",
                |d, g, a, b, y| vector_add::launch(d, g, a, b, y),
                |p, q| p + q,
                0.0,
            ),
            (
                "saxpy",
                |d, g, a, _, y| saxpy::launch(d, g, <$t>::from_f32(1.5), a, y),
                |p, q| 1.5 * p + q,
                2e-5,
            ),
            (
                "scale",
                |d, g, a, _, y| scale::launch(d, g, <$t>::from_f32(-0.25), a, y),
                |p, _| -0.25 * p,
                0.0,
            ),
            (
                "relu",
                |d, g, a, _, y| relu::launch(d, g, a, y),
                |p, _| p.max(0.0),
                0.0,
            ),
            (
                "gelu",
                |d, g, a, _, y| gelu::launch(d, g, a, y),
                |p, _| kernelforge_reference::gelu(p),
                UNARY[1].3,
            ),
            (
                "sigmoid",
                |d, g, a, _, y| sigmoid::launch(d, g, a, y),
                |p, _| kernelforge_reference::sigmoid(p),
                UNARY[2].3,
            ),
            (
                "silu",
                |d, g, a, _, y| silu::launch(d, g, a, y),
                |p, _| kernelforge_reference::silu(p),
                UNARY[3].3,
            ),
        ];
        list
    }};
}

/// The activations read `x` in [-6, 6); the others `a` (and `b`) in [-100, 100).
fn is_activation(name: &str) -> bool {
    UNARY.iter().any(|u| u.0 == name)
}

/// Bytes one run of `name` moves over `n` elements of two bytes.
fn bytes(name: &str, n: usize) -> u64 {
    let arrays = match name {
        "vector_add" | "saxpy" => 3,
        _ => 2,
    };
    2 * arrays * n as u64
}

fn elementwise_case<'a, T: Half>(
    dev: &'a Device,
    d: &'a Data,
    h: &'a HalfData<T>,
    (name, launch, f, tol): Elementwise<T>,
) -> Result<Case<'a>> {
    let n = d.n;
    let first = if is_activation(name) { &h.x } else { &h.a };
    let ab = dev.upload(first)?;
    let bb = dev.upload(&h.b)?;
    let in_place = name == "saxpy";
    let mut yb = if in_place {
        dev.upload(&h.b)?
    } else {
        dev.zeros::<T>(n)?
    };
    let kernel = format!("{name}_{}", T::NAME);
    Ok(case(dev, &kernel, bytes(name, n), move |run_check| {
        if run_check && in_place {
            yb = dev.upload(&h.b)?;
        }
        launch(dev, Grid::linear(n), &ab, &bb, &mut yb)?;
        if !run_check {
            return Ok(None);
        }
        let want = first
            .par_iter()
            .zip(&h.b)
            .map(|(p, q)| f(p.to_f32(), q.to_f32()))
            .collect();
        Ok(Some(check(&yb.to_vec()?, want, tol)))
    }))
}

/// The rayon peer of an elementwise half kernel: `par_chunks_mut` over the half slices, each
/// element widened to f32, computed, rounded back (half's own conversions), the loop compiled
/// for the CPU's SIMD level as the kernels are.
fn rayon_case<'a, T: Half>(
    d: &'a Data,
    h: &'a HalfData<T>,
    name: &'static str,
    f: impl Fn(f32, f32) -> f32 + Sync + Send + Copy + 'a,
    tol: f64,
) -> Case<'a> {
    let n = d.n;
    let first = if is_activation(name) { &h.x } else { &h.a };
    let in_place = name == "saxpy";
    let mut y: Vec<T> = if in_place {
        h.b.clone()
    } else {
        vec![T::default(); n]
    };
    let kernel = format!("{name}_{}", T::NAME);
    super::peers::host_case(&kernel, bytes(name, n), move |run_check| {
        if run_check && in_place {
            y.copy_from_slice(&h.b);
        }
        let chunk = super::peers::PEER_CHUNK;
        y.par_chunks_mut(chunk)
            .zip(first.par_chunks(chunk).zip(h.b.par_chunks(chunk)))
            .for_each(|(yc, (ac, bc))| {
                super::peers::simd(|| {
                    if in_place {
                        for (o, &p) in yc.iter_mut().zip(ac) {
                            *o = T::from_f32(f(p.to_f32(), o.to_f32()));
                        }
                    } else {
                        for ((o, &p), &q) in yc.iter_mut().zip(ac).zip(bc) {
                            *o = T::from_f32(f(p.to_f32(), q.to_f32()));
                        }
                    }
                })
            });
        Ok(run_check.then(|| {
            let want = first
                .par_iter()
                .zip(&h.b)
                .map(|(p, q)| f(p.to_f32(), q.to_f32()))
                .collect();
            check(&y, want, tol)
        }))
    })
}

/// The rayon peers' functions, closures so that the loops are monomorphised: the CPU
/// backend's vectorisable `exp`/`tanh`, as the f32 peers use.
fn rayon_peer<'a, T: Half>(
    d: &'a Data,
    h: &'a HalfData<T>,
    name: &'static str,
    tol: f64,
) -> Option<Case<'a>> {
    use kernelforge::__private::cpu::math;
    Some(match name {
        "copy" => rayon_case(d, h, name, |p, _| p, tol),
        "vector_add" => rayon_case(d, h, name, |p, q| p + q, tol),
        "saxpy" => rayon_case(d, h, name, |p, q| 1.5 * p + q, tol),
        "scale" => rayon_case(d, h, name, |p, _| -0.25 * p, tol),
        "relu" => rayon_case(d, h, name, |p, _| p.max(0.0), tol),
        "gelu" => rayon_case(
            d,
            h,
            name,
            |v, _| 0.5 * v * (1.0 + math::tanh(0.797_884_6 * (v + 0.044715 * v * v * v))),
            tol,
        ),
        "sigmoid" => rayon_case(d, h, name, |v, _| 1.0 / (1.0 + math::exp(-v)), tol),
        "silu" => rayon_case(d, h, name, |v, _| v / (1.0 + math::exp(-v)), tol),
        _ => return None,
    })
}

/// The handwritten `vec4<f16>` WGSL peer of an elementwise kernel: loads four halves, computes
/// in f32, stores four halves.
fn wgsl_peer<'a>(
    dev: &'a Device,
    d: &'a Data,
    h: &'a HalfData<f16>,
    name: &'static str,
    tol: f64,
) -> Option<Result<Case<'a>>> {
    use kernelforge::__private::KernelArg;
    let expr = match name {
        "copy" => "a4",
        "vector_add" => "a4 + b4",
        "saxpy" => "1.5 * a4 + y4",
        "scale" => "-0.25 * a4",
        "relu" => "max(a4, vec4<f32>(0.0))",
        "gelu" => "0.5 * a4 * (1.0 + tanh(0.7978846 * (a4 + 0.044715 * a4 * a4 * a4)))",
        "sigmoid" => "1.0 / (1.0 + exp(-a4))",
        "silu" => "a4 / (1.0 + exp(-a4))",
        _ => return None,
    };
    let (_, _, f, _) = elementwise!(f16).into_iter().find(|e| e.0 == name)?;
    // saxpy reads its `y` as `b` and writes it in place.
    let two = matches!(name, "vector_add" | "saxpy");
    let in_place = name == "saxpy";
    let n = d.n / 4 * 4;
    let desc = super::peers::peer_desc_typed(
        &format!("{name}_f16"),
        if two && !in_place { 2 } else { 1 },
        expr,
        true,
    );
    let first = if is_activation(name) { &h.x } else { &h.a };
    let setup = || -> Result<Case<'a>> {
        let ab = dev.upload(&first[..n])?;
        let bb = dev.upload(&h.b[..n])?;
        let mut yb = if in_place {
            dev.upload(&h.b[..n])?
        } else {
            dev.zeros::<f16>(n)?
        };
        Ok(case(
            dev,
            &format!("peer:wgsl_{name}_f16_vec4"),
            bytes(name, n),
            move |run_check| {
                if run_check && in_place {
                    yb = dev.upload(&h.b[..n])?;
                }
                let mut args = vec![KernelArg::whole(ab.raw())];
                if two && !in_place {
                    args.push(KernelArg::whole(bb.raw()));
                }
                args.push(KernelArg::whole_mut(yb.raw_mut()));
                dev.launch(desc, super::peers::peer_grid(n), &mut args)?;
                if !run_check {
                    return Ok(None);
                }
                let want = first[..n]
                    .par_iter()
                    .zip(&h.b[..n])
                    .map(|(p, q)| f(p.to_f32(), q.to_f32()))
                    .collect();
                Ok(Some(check(&yb.to_vec()?, want, tol)))
            },
        ))
    };
    Some(setup())
}

/// A row operator (autotuned): shape, `x`, `weight`, `bias` (each reads what it needs), `y`.
type RowLaunch<T> =
    fn(&Device, Rows, &Buffer<T>, &Buffer<T>, &Buffer<T>, &mut Buffer<T>) -> Result<()>;

/// The row kernels of one type.
fn row_cases<'a, T: Half + RowElement>(
    dev: &'a Device,
    d: &'a Data,
    h: &'a HalfData<T>,
    launch: [RowLaunch<T>; 3],
    keep: Keep<'_>,
) -> Vec<(String, Result<Case<'a>>)> {
    let (r, c) = (d.rows, d.cols);
    let names = ["softmax", "layer_norm", "rms_norm"];
    let mut out = Vec::new();
    for (k, launch) in launch.into_iter().enumerate() {
        let kernel = format!("{}_{}", names[k], <T as Half>::NAME);
        let setup = || -> Result<Case<'a>> {
            let xb = dev.upload(&h.x[..r * c])?;
            let wb = dev.upload(&h.weight)?;
            let bb = dev.upload(&h.bias)?;
            let mut yb = dev.zeros::<T>(r * c)?;
            let extra = [0, 4, 2][k] * c as u64;
            let mut out = case(dev, &kernel, 4 * (r * c) as u64 + extra, move |run_check| {
                launch(dev, Rows { rows: r, cols: c }, &xb, &wb, &bb, &mut yb)?;
                if !run_check {
                    return Ok(None);
                }
                let x = wide(&h.x[..r * c]);
                let (w, b) = (wide(&h.weight), wide(&h.bias));
                let want = row_reference(k, &x, c, &w, &b);
                Ok(Some(check(&yb.to_vec()?, want, ROW_TOL)))
            });
            out.family = Some(ops::row_family::<T>(names[k], c));
            Ok(out)
        };
        if keep(&kernel) {
            out.push((kernel.clone(), setup()));
        }
    }
    out
}

/// The f64 reference of row kernel `k` (softmax, layer_norm, rms_norm) over `x`.
fn row_reference(k: usize, x: &[f32], c: usize, w: &[f32], b: &[f32]) -> Vec<f32> {
    let mut y = vec![0.0f32; x.len()];
    y.par_chunks_mut(c)
        .zip(x.par_chunks(c))
        .for_each(|(yr, xr)| {
            let v: Vec<f64> = xr.iter().map(|&v| v as f64).collect();
            let n = c as f64;
            match k {
                0 => {
                    let m = v.iter().copied().fold(f64::MIN, f64::max);
                    let s: f64 = v.iter().map(|&e| (e - m).exp()).sum();
                    for (o, &e) in yr.iter_mut().zip(&v) {
                        *o = ((e - m).exp() / s) as f32;
                    }
                }
                1 => {
                    let mean = v.iter().sum::<f64>() / n;
                    let var = v.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / n;
                    let rstd = 1.0 / (var + LAYER_NORM_EPS as f64).sqrt();
                    for (j, (o, &e)) in yr.iter_mut().zip(&v).enumerate() {
                        *o = ((e - mean) * rstd * w[j] as f64 + b[j] as f64) as f32;
                    }
                }
                _ => {
                    let ms = v.iter().map(|e| e * e).sum::<f64>() / n;
                    let r = 1.0 / (ms + RMS_NORM_EPS as f64).sqrt();
                    for (j, (o, &e)) in yr.iter_mut().zip(&v).enumerate() {
                        *o = (e * r * w[j] as f64) as f32;
                    }
                }
            }
        });
    y
}

macro_rules! rows {
    ($t:ty) => {
        [
            |d, s, x, _, _, y| ops::softmax(d, x, y, s),
            |d, s, x, w, b, y| ops::layer_norm(d, x, w, b, y, s, LAYER_NORM_EPS),
            |d, s, x, w, _, y| ops::rms_norm(d, x, w, y, s, RMS_NORM_EPS),
        ]
    };
}

/// Every half case on `dev`, each elementwise kernel followed by its peer.
pub(crate) fn cases<'a>(
    dev: &'a Device,
    d: &'a Data,
    h16: &'a HalfData<f16>,
    hb16: &'a HalfData<bf16>,
    keep: Keep<'_>,
) -> Vec<(String, Result<Case<'a>>, bool)> {
    let mut out = Vec::new();
    for e in elementwise!(f16) {
        let (name, tol) = (e.0, e.3);
        if !keep(&format!("{name}_f16")) {
            continue;
        }
        out.push((
            format!("{name}_f16"),
            elementwise_case(dev, d, h16, e),
            false,
        ));
        let peer = match dev.backend() {
            kernelforge::Backend::Cpu => rayon_peer(d, h16, name, tol).map(Ok),
            kernelforge::Backend::Wgpu => wgsl_peer(dev, d, h16, name, tol),
            kernelforge::Backend::Cuda => None,
        };
        if let Some(p) = peer {
            out.push((format!("{name}_f16"), p, true));
        }
    }
    for e in elementwise!(bf16) {
        let (name, tol) = (e.0, e.3);
        if !keep(&format!("{name}_bf16")) {
            continue;
        }
        out.push((
            format!("{name}_bf16"),
            elementwise_case(dev, d, hb16, e),
            false,
        ));
        if dev.backend() == kernelforge::Backend::Cpu {
            if let Some(p) = rayon_peer(d, hb16, name, tol) {
                out.push((format!("{name}_bf16"), Ok(p), true));
            }
        }
    }
    out.extend(
        row_cases(dev, d, h16, rows!(f16), keep)
            .into_iter()
            .map(|(n, c)| (n, c, false)),
    );
    out.extend(
        row_cases(dev, d, hb16, rows!(bf16), keep)
            .into_iter()
            .map(|(n, c)| (n, c, false)),
    );
    out
}
