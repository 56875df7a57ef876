//! The peers, measured in the same run as the kernels: handwritten rayon loops on the CPU and
//! handwritten vec4 WGSL shaders on wgpu, written as a careful engineer would.

use super::kernels::{case, refs, Data, HIST, LAYER_NORM_EPS, RMS_NORM_EPS, ROW_TOL, UNARY};
use super::{Case, Check};
use kernelforge::__private::cpu::math;
use kernelforge::__private::{KernelDesc, ParamDesc, ScalarType};
use kernelforge::{Device, Grid, Result};
use rayon::prelude::*;

/// Runs `f` compiled for the best SIMD level the CPU has, as the CPU backend does, so the rayon
/// peers get the same vector width as the generated code.
#[inline(always)]
pub(super) fn simd<R>(f: impl FnOnce() -> R) -> R {
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
        use kernelforge::__private::cpu::{simd_level, SimdLevel};
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

pub(super) const PEER_CHUNK: usize = 64 * 1024;

/// GELU's tanh form with the vectorisable `tanh`: the GELU peer's, and the bias + GELU pass of
/// the `linear` peer.
#[inline(always)]
pub(super) fn gelu(v: f32) -> f32 {
    0.5 * v * (1.0 + math::tanh(0.797_884_6 * (v + 0.044715 * v * v * v)))
}

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

pub(super) fn host_case<'a>(
    name: &str,
    bytes: u64,
    step: impl FnMut(bool) -> Result<Option<Check>> + 'a,
) -> Case<'a> {
    Case {
        kernel: format!("peer:rayon_{name}"),
        peer_of: None,
        backend: "cpu",
        device: format!("rayon, {} threads", rayon::current_num_threads()),
        bytes,
        flops: 0,
        family: None,
        step: Box::new(step),
    }
}

/// An activation's rayon peer: `f` is a closure, so the loop is monomorphised and vectorised
/// (a function pointer would not be inlined).
fn activation_case<'a>(
    name: &str,
    d: &'a Data,
    f: impl Fn(f32) -> f32 + Sync + Send + Copy + 'a,
) -> Option<Case<'a>> {
    let (_, _, reference, tol) = UNARY.into_iter().find(|u| u.0 == name)?;
    let mut y = vec![0.0f32; d.n];
    Some(host_case(name, 8 * d.n as u64, move |check| {
        peer_unary(&d.x, &mut y, f);
        Ok(check.then(|| Check {
            want: d.x.par_iter().map(|&v| reference(v)).collect(),
            got: std::mem::take(&mut y),
            tol,
        }))
    }))
}

/// The rayon peer of kernel `name`, if it has one.
pub(crate) fn rayon<'a>(name: &str, d: &'a Data) -> Option<Result<Case<'a>>> {
    let n = d.n;
    let mut y = vec![0.0f32; n];
    let case = match name {
        "vector_add" => host_case(name, 12 * n as u64, move |check| {
            peer_binary(&d.a, &d.b, &mut y, |p, q| p + q);
            Ok(check.then(|| Check {
                want: d.a.par_iter().zip(&d.b).map(|(p, q)| p + q).collect(),
                got: std::mem::take(&mut y),
                tol: 0.0,
            }))
        }),
        // In place, as the kernel (and BLAS) does; the check runs once from a fresh `b`.
        "saxpy" => {
            let mut y = d.b.clone();
            host_case(name, 12 * n as u64, move |check| {
                if check {
                    y.copy_from_slice(&d.b);
                }
                y.par_chunks_mut(PEER_CHUNK)
                    .zip(d.a.par_chunks(PEER_CHUNK))
                    .for_each(|(yc, ac)| {
                        simd(|| {
                            for (o, &p) in yc.iter_mut().zip(ac) {
                                *o += 1.5 * p;
                            }
                        })
                    });
                Ok(check.then(|| Check {
                    want: d.a.par_iter().zip(&d.b).map(|(p, q)| 1.5 * p + q).collect(),
                    got: std::mem::take(&mut y),
                    tol: 2e-5,
                }))
            })
        }
        "scale" => host_case(name, 8 * n as u64, move |check| {
            peer_unary(&d.a, &mut y, |p| -0.25 * p);
            Ok(check.then(|| Check {
                want: d.a.par_iter().map(|p| -0.25 * p).collect(),
                got: std::mem::take(&mut y),
                tol: 0.0,
            }))
        }),
        "relu" => activation_case(name, d, |v| if v > 0.0 { v } else { 0.0 })?,
        "gelu" => activation_case(name, d, gelu)?,
        "sigmoid" => activation_case(name, d, |v| 1.0 / (1.0 + math::exp(-v)))?,
        "silu" => activation_case(name, d, |v| v / (1.0 + math::exp(-v)))?,
        // memcpy per chunk: what the hardware can stream, the CPU roofline.
        "copy" => host_case(name, 8 * n as u64, move |check| {
            y.par_chunks_mut(PEER_CHUNK)
                .zip(d.a.par_chunks(PEER_CHUNK))
                .for_each(|(yc, ac)| yc.copy_from_slice(ac));
            Ok(check.then(|| Check {
                want: d.a.clone(),
                got: std::mem::take(&mut y),
                tol: 0.0,
            }))
        }),
        "softmax" => rows_case(name, d, 0, refs::softmax, |x, _, y| softmax_row(x, y)),
        "layer_norm" => rows_case(name, d, 8, refs::layer_norm, |x, d, y| {
            let n = x.len() as f32;
            let mean = sum16(x, |v| v) / n;
            let var = sum16(x, |v| (v - mean) * (v - mean)) / n;
            let rstd = 1.0 / (var + LAYER_NORM_EPS).sqrt();
            for (((o, &v), &w), &b) in y.iter_mut().zip(x).zip(&d.weight).zip(&d.bias) {
                *o = (v - mean) * rstd * w + b;
            }
        }),
        "rms_norm" => rows_case(name, d, 4, refs::rms_norm, |x, d, y| {
            let ms = sum16(x, |v| v * v) / x.len() as f32;
            let r = 1.0 / (ms + RMS_NORM_EPS).sqrt();
            for ((o, &v), &w) in y.iter_mut().zip(x).zip(&d.weight) {
                *o = v * r * w;
            }
        }),
        "reduce_sum" => host_case(name, 4 * n as u64, move |check| {
            let s: f32 =
                d.x.par_chunks(PEER_CHUNK)
                    .map(|c| simd(|| sum16(c, |v| v)))
                    .sum();
            Ok(check.then(|| {
                let (sum, abs) = refs::sum(&d.x);
                Check {
                    got: vec![s],
                    want: vec![sum as f32],
                    tol: 1e-5 * abs,
                }
            }))
        }),
        // A histogram per rayon task, merged: no atomics at all.
        "histogram" => host_case(name, 4 * n as u64, move |check| {
            let h =
                d.x.par_chunks(PEER_CHUNK)
                    .fold(
                        || vec![0u32; HIST.0],
                        |mut h, c| {
                            for b in c.iter().filter_map(|&v| refs::bin(v)) {
                                h[b] += 1;
                            }
                            h
                        },
                    )
                    .reduce(
                        || vec![0u32; HIST.0],
                        |mut a, b| {
                            a.iter_mut().zip(b).for_each(|(p, q)| *p += q);
                            a
                        },
                    );
            Ok(check.then(|| Check {
                got: h.into_iter().map(|c| c as f32).collect(),
                want: refs::histogram(&d.x),
                tol: 0.0,
            }))
        }),
        _ => return None,
    };
    Some(Ok(case))
}

/// The softmax of one row `x` into `y`, as a careful engineer writes it on the CPU: the
/// maximum and the sum in 16 lanes each (a single accumulator would chain every addition
/// behind the last), one `exp` per element.
#[inline(always)]
pub(super) fn softmax_row(x: &[f32], y: &mut [f32]) {
    let m = max16(x);
    for (o, &v) in y.iter_mut().zip(x) {
        *o = math::exp(v - m);
    }
    let inv = 1.0 / sum16(y, |v| v);
    for o in y.iter_mut() {
        *o *= inv;
    }
}

/// `f(v)` summed over `x` in 16 independent lanes, so that the loop vectorises (a single
/// accumulator is a serial dependency the compiler may not reorder).
#[inline(always)]
fn sum16(x: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let mut acc = [0.0f32; 16];
    let chunks = x.chunks_exact(16);
    let rest = chunks.remainder();
    for c in chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a += f(v);
        }
    }
    acc.iter().sum::<f32>() + rest.iter().map(|&v| f(v)).sum::<f32>()
}

/// The maximum of `x` in 16 lanes (`-inf` when empty).
#[inline(always)]
fn max16(x: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; 16];
    let chunks = x.chunks_exact(16);
    let rest = chunks.remainder();
    for c in chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a = a.max(v);
        }
    }
    acc.iter()
        .chain(rest)
        .copied()
        .fold(f32::NEG_INFINITY, f32::max)
}

/// A row kernel's rayon peer: rayon over rows, `row(x_row, data, y_row)` compiled for the CPU's
/// SIMD level. `extra` bytes per column for the weights read.
/// `row` is a closure type, not a function pointer, so that it is inlined into `simd`'s
/// target-feature context and compiled for the same vector width as the kernels.
fn rows_case<'a>(
    name: &str,
    d: &'a Data,
    extra: u64,
    reference: fn(&Data) -> Vec<f32>,
    row: impl Fn(&[f32], &Data, &mut [f32]) + Sync + Send + Copy + 'a,
) -> Case<'a> {
    let (r, c) = (d.rows, d.cols);
    let mut y = vec![0.0f32; r * c];
    let bytes = 8 * (r * c) as u64 + extra * c as u64;
    host_case(name, bytes, move |check| {
        y.par_chunks_mut(c)
            .zip(d.matrix().par_chunks(c))
            .for_each(|(yr, xr)| simd(|| row(xr, d, yr)));
        Ok(check.then(|| Check {
            want: reference(d),
            got: std::mem::take(&mut y),
            tol: ROW_TOL,
        }))
    })
}

/// The handwritten WGSL peers: one plain vec4 shader per elementwise kernel, workgroup size
/// 256, in the style of the shader the issue names (about 1.6 GB/s for GELU on lavapipe, as
/// CubeCL's). Each follows the launch ABI (groups, then each slice's length), so the runtime
/// binds it like a kernel. `inputs` is 1 or 2; `expr` computes the new `vec4` of `y` from `a4`
/// and `b4` (two inputs) or `a4` and the old `y4` (one). With `half`, the arrays hold `f16`
/// (`enable f16;`), each `vec4` is widened to f32 on load and `expr` rounded back on store.
fn peer_wgsl(name: &str, inputs: usize, expr: &str, half: bool) -> String {
    let (enable, elem, load, store) = if half {
        ("enable f16;\n", "vec4<f16>", "vec4<f32>", "vec4<f16>")
    } else {
        ("", "vec4<f32>", "", "")
    };
    let lens = if inputs == 2 {
        "len_a: u32, len_b: u32, len_y: u32"
    } else {
        "len_a: u32, len_y: u32"
    };
    let b = if inputs == 2 {
        format!("@group(0) @binding(2) var<storage, read> b: array<{elem}>;\n")
    } else {
        String::new()
    };
    let load_b = if inputs == 2 {
        format!("let b4 = {load}(b[i]);")
    } else {
        format!("let y4 = {load}(y[i]);")
    };
    format!(
        "{enable}struct Params {{ groups_x: u32, groups_y: u32, groups_z: u32, {lens} }}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<{elem}>;
{b}@group(0) @binding({y}) var<storage, read_write> y: array<{elem}>;
@compute @workgroup_size(256)
fn {name}(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {{
    let i = gid.x + gid.y * nwg.x * 256u;
    if i < p.len_y / 4u {{
        let a4 = {load}(a[i]);
        {load_b}
        y[i] = {store}({expr});
    }}
}}
",
        y = inputs + 1,
    )
}

/// A peer's parameter, for [`peer`].
pub(super) const fn param(name: &'static str, ty: ScalarType, slice: Option<bool>) -> ParamDesc {
    ParamDesc {
        name,
        ty,
        slice,
        vector_lanes: 1,
    }
}

/// The description of a handwritten WGSL peer with 256 invocations per workgroup (it has no
/// CUDA or CPU form).
pub(super) const fn peer(
    name: &'static str,
    params: &'static [ParamDesc],
    wgsl: &'static str,
    workgroup_bytes: u32,
    subgroups: bool,
) -> KernelDesc {
    KernelDesc {
        name,
        workgroup_size: [256, 1, 1],
        params,
        cuda_source: "",
        ptx: None,
        cubins: &[],
        wgsl_source: wgsl,
        wgsl_x4_source: None,
        workgroup_bytes,
        subgroups,
        subgroup_barrier: false,
        shared_len: None,
        shader_f16: false,
        shader_f64: false,
        cpu: no_cpu,
        cpu_checked: None,
        bounds_checked: None,
    }
}

fn no_cpu(
    _: &kernelforge::__private::cpu::Launch,
    _: &kernelforge::__private::cpu::Args,
) -> std::result::Result<(), kernelforge::__private::cpu::Fault> {
    Ok(())
}

fn peer_param(name: &'static str, mutable: bool, half: bool) -> kernelforge::__private::ParamDesc {
    use kernelforge::__private::ScalarType;
    kernelforge::__private::ParamDesc {
        name,
        ty: if half {
            ScalarType::F16
        } else {
            ScalarType::F32
        },
        slice: Some(mutable),
        vector_lanes: 1,
    }
}

/// A peer shader as a kernel the runtime can launch. Leaked: a handful per `bench` run.
fn peer_desc(name: &str, inputs: usize, expr: &str) -> &'static kernelforge::__private::KernelDesc {
    peer_desc_typed(name, inputs, expr, false)
}

/// [`peer_desc`] over `f16` arrays when `half` (see [`peer_wgsl`]).
pub(super) fn peer_desc_typed(
    name: &str,
    inputs: usize,
    expr: &str,
    half: bool,
) -> &'static kernelforge::__private::KernelDesc {
    let mut params = vec![peer_param("a", false, half)];
    if inputs == 2 {
        params.push(peer_param("b", false, half));
    }
    params.push(peer_param("y", true, half));
    let name: &'static str = Box::leak(format!("peer_{name}_vec4").into_boxed_str());
    Box::leak(Box::new(kernelforge::__private::KernelDesc {
        name,
        workgroup_size: [256, 1, 1],
        params: Box::leak(params.into_boxed_slice()),
        cuda_source: "",
        ptx: None,
        cubins: &[],
        wgsl_source: Box::leak(peer_wgsl(name, inputs, expr, half).into_boxed_str()),
        wgsl_x4_source: None,
        workgroup_bytes: 0,
        subgroups: false,
        subgroup_barrier: false,
        shared_len: None,
        shader_f16: half,
        shader_f64: false,
        cpu: no_cpu,
        cpu_checked: None,
        bounds_checked: None,
    }))
}

/// The peers' grid for `n` elements, 4 per invocation: they fold nothing themselves, so rows of
/// at most 65,535 workgroups.
pub(super) fn peer_grid(n: usize) -> Grid {
    let groups = (n / 4).div_ceil(256);
    if groups > 65_535 {
        Grid::groups([65_535, groups.div_ceil(65_535) as u32, 1])
    } else {
        Grid::groups([groups as u32, 1, 1])
    }
}

/// The WGSL peer of kernel `name` on `dev`, if it has one: (vec4 expression, inputs, in place).
/// Peers hard-code the kernels' scalar arguments (1.5, -0.25), as a handwritten shader would.
pub(crate) fn wgsl<'a>(dev: &'a Device, name: &str, d: &'a Data) -> Option<Result<Case<'a>>> {
    use kernelforge::__private::KernelArg;
    type Reference = Box<dyn Fn(f32, f32) -> f32 + Sync>;
    // (vec4 expression, inputs, input `a`, reference of (a, b), tolerance).
    let (expr, inputs, first, reference, tol): (&str, usize, &[f32], Reference, f64) = match name {
        "vector_add" => ("a4 + b4", 2, &d.a, Box::new(|p, q| p + q), 0.0),
        // In place, as the kernel (and BLAS) does.
        "saxpy" => ("1.5 * a4 + y4", 1, &d.a, Box::new(|p, q| 1.5 * p + q), 2e-5),
        "scale" => ("-0.25 * a4", 1, &d.a, Box::new(|p, _| -0.25 * p), 0.0),
        "copy" => ("a4", 1, &d.a, Box::new(|p, _| p), 0.0),
        "softmax" => return Some(wgsl_softmax(dev, d)),
        _ => {
            let expr = match name {
                "relu" => "max(a4, vec4<f32>(0.0))",
                "gelu" => "0.5 * a4 * (1.0 + tanh(0.7978846 * (a4 + 0.044715 * a4 * a4 * a4)))",
                "sigmoid" => "1.0 / (1.0 + exp(-a4))",
                "silu" => "a4 / (1.0 + exp(-a4))",
                _ => return None,
            };
            let (_, _, f, tol) = UNARY.into_iter().find(|u| u.0 == name)?;
            (expr, 1, &d.x, Box::new(move |p, _| f(p)), tol)
        }
    };
    let in_place = name == "saxpy";
    // Elements: a multiple of 4, as a vec4 shader needs.
    let n = d.n / 4 * 4;
    let desc = peer_desc(name, inputs, expr);
    let setup = || -> Result<Case<'a>> {
        let ab = dev.upload(&first[..n])?;
        let bb = dev.upload(&d.b[..n])?;
        let mut yb = if in_place {
            dev.upload(&d.b[..n])?
        } else {
            dev.zeros::<f32>(n)?
        };
        let bytes = 4 * (inputs as u64 + 1 + in_place as u64) * n as u64;
        Ok(case(
            dev,
            &format!("peer:wgsl_{name}_vec4"),
            bytes,
            move |check| {
                if check && in_place {
                    yb = dev.upload(&d.b[..n])?;
                }
                let mut args = vec![KernelArg::whole(ab.raw())];
                if inputs == 2 {
                    args.push(KernelArg::whole(bb.raw()));
                }
                args.push(KernelArg::whole_mut(yb.raw_mut()));
                dev.launch(desc, peer_grid(n), &mut args)?;
                if !check {
                    return Ok(None);
                }
                Ok(Some(Check {
                    got: yb.to_vec()?,
                    want: first[..n]
                        .par_iter()
                        .zip(&d.b[..n])
                        .map(|(&p, &q)| reference(p, q))
                        .collect(),
                    tol,
                }))
            },
        ))
    };
    Some(setup())
}

/// The handwritten WGSL softmax: one workgroup of 256 per row, as a careful engineer writes it
/// for wgpu: three strided passes over the row, maximum and sum reduced in workgroup memory by
/// halving trees, `exp` stored by the second pass so the third only scales.
const SOFTMAX_WGSL: &str = "struct Params { groups_x: u32, groups_y: u32, groups_z: u32, cols: u32, len_x: u32, len_y: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
var<workgroup> red: array<f32, 256>;
@compute @workgroup_size(256)
fn peer_softmax(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let base = wid.x * p.cols;
    var m = -3.40282347e38;
    for (var c = lid; c < p.cols; c += 256u) {
        m = max(m, x[base + c]);
    }
    red[lid] = m;
    workgroupBarrier();
    for (var s = 128u; s > 0u; s >>= 1u) {
        if lid < s {
            red[lid] = max(red[lid], red[lid + s]);
        }
        workgroupBarrier();
    }
    let row_max = red[0];
    workgroupBarrier();
    var sum = 0.0;
    for (var c = lid; c < p.cols; c += 256u) {
        let e = exp(x[base + c] - row_max);
        y[base + c] = e;
        sum += e;
    }
    red[lid] = sum;
    workgroupBarrier();
    for (var s = 128u; s > 0u; s >>= 1u) {
        if lid < s {
            red[lid] += red[lid + s];
        }
        workgroupBarrier();
    }
    let inv = 1.0 / red[0];
    for (var c = lid; c < p.cols; c += 256u) {
        y[base + c] *= inv;
    }
}
";

fn wgsl_softmax<'a>(dev: &'a Device, d: &'a Data) -> Result<Case<'a>> {
    use kernelforge::__private::{KernelArg, KernelScalar};
    static PARAMS: [ParamDesc; 3] = [
        param("cols", ScalarType::U32, None),
        param("x", ScalarType::F32, Some(false)),
        param("y", ScalarType::F32, Some(true)),
    ];
    static DESC: KernelDesc = peer("peer_softmax", &PARAMS, SOFTMAX_WGSL, 1024, false);
    let (r, c) = (d.rows, d.cols);
    let xb = dev.upload(d.matrix())?;
    let mut yb = dev.zeros::<f32>(r * c)?;
    Ok(case(
        dev,
        "peer:wgsl_softmax",
        8 * (r * c) as u64,
        move |check| {
            let mut args = [
                KernelArg::Scalar(KernelScalar::to_bits(c as u32)),
                KernelArg::whole(xb.raw()),
                KernelArg::whole_mut(yb.raw_mut()),
            ];
            dev.launch(&DESC, Grid::groups([r as u32, 1, 1]), &mut args)?;
            if !check {
                return Ok(None);
            }
            Ok(Some(Check {
                got: yb.to_vec()?,
                want: refs::softmax(d),
                tol: ROW_TOL,
            }))
        },
    ))
}
