//! Matrix products as bench cases: `ops::matmul` in `f32` on square matrices (1024 at the
//! default size), in TFLOP/s, beside a peer on the same backend: on the CPU the `gemm` crate
//! (candle's CPU matmul) on rayon's threads, on wgpu a handwritten tiled WGSL GEMM (16 x 16
//! invocations, 4 x 4 outputs each, `vec4` arithmetic); and `ops::linear` with a bias and GELU
//! (tanh form) at the same size, beside the `gemm` crate followed by a separate bias + GELU pass
//! on the CPU (what fusing saves). Checked against `f64`.

use super::kernels::case;
use super::{Case, Check, Keep};
use kernelforge::ops::{self, Matmul};
use kernelforge::{Backend, Buffer, Device, Result};
use kernelforge_reference::inputs;
use rayon::prelude::*;
use std::sync::OnceLock;

/// Relative tolerance (floor 1, see `errors`) against the `f64` product. `f32` accumulation
/// stays within `k * 2^-23 * sum |a b|` (tests/matmul.rs); with inputs uniform in [-1, 1),
/// `sum |a b|` is about `k / 4`, so at 1024 the bound is about 0.03. Measured at 1024: 7.2e-5
/// for `matmul` (CPU and lavapipe) and 3.8e-5 for the `gemm` crate.
const TOL: f64 = 1e-3;

/// The operands, `side x side`, and their `f64` product (computed at the first check).
pub(crate) struct Matrices {
    side: usize,
    a: Vec<f32>,
    b: Vec<f32>,
    /// `linear`'s bias, `side` values.
    bias: Vec<f32>,
    want: OnceLock<Vec<f32>>,
    /// `gelu(a b^T + bias)` in `f64`.
    want_linear: OnceLock<Vec<f32>>,
}

impl Matrices {
    /// Square matrices of `side` a side, or by default of `sqrt(elements)`, at most 1024 (a
    /// product of 2 GFLOP, so that the CPU backend's and lavapipe's runs stay under a few
    /// seconds; `--side 2048` measures the second size).
    pub(crate) fn new(elements: usize, side: Option<usize>) -> Matrices {
        let side = side
            .unwrap_or_else(|| (elements as f64).sqrt().clamp(1.0, 1024.0) as usize)
            .max(1);
        Matrices {
            side,
            a: inputs(side * side, 21, -1.0, 1.0),
            b: inputs(side * side, 22, -1.0, 1.0),
            bias: inputs(side, 23, -1.0, 1.0),
            want: OnceLock::new(),
            want_linear: OnceLock::new(),
        }
    }

    /// `gelu(a b^T + bias)` (tanh form) in `f64`, `b` read as `[n, k]`.
    fn want_linear(&self) -> Vec<f32> {
        let n = self.side;
        self.want_linear
            .get_or_init(|| {
                let mut y = vec![0.0f32; n * n];
                y.par_chunks_mut(n).enumerate().for_each(|(i, row)| {
                    let x = &self.a[i * n..(i + 1) * n];
                    for (j, o) in row.iter_mut().enumerate() {
                        let w = &self.b[j * n..(j + 1) * n];
                        let v: f64 = x.iter().zip(w).map(|(&p, &q)| p as f64 * q as f64).sum();
                        *o = gelu_tanh_f64(v + self.bias[j] as f64) as f32;
                    }
                });
                y
            })
            .clone()
    }

    fn want(&self) -> Vec<f32> {
        let n = self.side;
        self.want
            .get_or_init(|| {
                let mut c = vec![0.0f32; n * n];
                c.par_chunks_mut(n).enumerate().for_each(|(i, row)| {
                    let mut acc = vec![0.0f64; n];
                    for p in 0..n {
                        let x = self.a[i * n + p] as f64;
                        for (s, &y) in acc.iter_mut().zip(&self.b[p * n..(p + 1) * n]) {
                            *s += x * y as f64;
                        }
                    }
                    for (o, s) in row.iter_mut().zip(acc) {
                        *o = s as f32;
                    }
                });
                c
            })
            .clone()
    }

    /// Bytes of one product: each operand read once, `c` written once.
    fn bytes(&self) -> u64 {
        12 * (self.side * self.side) as u64
    }

    fn flops(&self) -> u64 {
        2 * (self.side as u64).pow(3)
    }
}

/// GELU in its tanh form (PyTorch's `gelu(approximate='tanh')`) in `f64`.
pub(crate) fn gelu_tanh_f64(v: f64) -> f64 {
    let u = (2.0 / std::f64::consts::PI).sqrt() * (v + 0.044715 * v * v * v);
    0.5 * v * (1.0 + u.tanh())
}

/// `matmul` on `dev`, then its peer on that backend, as (name, case, whether it is a peer).
pub(crate) fn cases<'a>(
    dev: &'a Device,
    m: &'a Matrices,
    keep: Keep<'_>,
) -> Vec<(String, Result<Case<'a>>, bool)> {
    let mut out = Vec::new();
    if keep("matmul") {
        out.push(("matmul".to_string(), matmul_case(dev, m), false));
        match dev.backend() {
            Backend::Cpu => out.push(("matmul".into(), Ok(gemm_case(m)), true)),
            Backend::Wgpu => out.push(("matmul".into(), wgsl_case(dev, m), true)),
            Backend::Cuda => {}
        }
    }
    if keep("linear_gelu") {
        out.push(("linear_gelu".into(), linear_case(dev, m), false));
        if dev.backend() == Backend::Cpu {
            out.push(("linear_gelu".into(), Ok(gemm_gelu_case(m)), true));
        }
    }
    out
}

/// `ops::linear` with a bias and GELU (tanh form), the weight `b` as `[n, k]`.
fn linear_case<'a>(dev: &'a Device, m: &'a Matrices) -> Result<Case<'a>> {
    let n = m.side;
    let (x, w, bias) = (dev.upload(&m.a)?, dev.upload(&m.b)?, dev.upload(&m.bias)?);
    let mut y = dev.zeros::<f32>(n * n)?;
    let s = ops::Linear {
        rows: n,
        in_features: n,
        out_features: n,
        activation: ops::Activation::GeluTanh,
    };
    let mut out = case(dev, "linear_gelu", m.bytes(), move |check| {
        ops::linear(dev, &x, &w, Some(&bias), &mut y, s)?;
        checked(check, Matrices::want_linear, m, || y.to_vec())
    });
    out.flops = m.flops();
    out.family = Some(ops::product_family::<f32>(
        Matmul::new(n, n, n).b_transposed(),
    ));
    Ok(out)
}

/// The `gemm` crate's `x w^T`, then the bias and GELU in a separate rayon pass over `y` (the
/// bench's GELU peer's loop: the vectorisable `tanh`).
fn gemm_gelu_case(m: &Matrices) -> Case<'_> {
    let n = m.side;
    let mut y = vec![0.0f32; n * n];
    let mut out = super::peers::host_case("gemm_gelu", m.bytes(), move |check| {
        gemm_into(m, &mut y, true);
        y.par_chunks_mut(n).for_each(|row| {
            super::peers::simd(|| {
                for (o, &b) in row.iter_mut().zip(&m.bias) {
                    *o = super::peers::gelu(*o + b);
                }
            })
        });
        checked(check, Matrices::want_linear, m, || Ok(y.clone()))
    });
    out.kernel = "peer:gemm_then_gelu".into();
    out.flops = m.flops();
    out
}

fn matmul_case<'a>(dev: &'a Device, m: &'a Matrices) -> Result<Case<'a>> {
    let n = m.side;
    let (a, b) = (dev.upload(&m.a)?, dev.upload(&m.b)?);
    let mut c = dev.zeros::<f32>(n * n)?;
    let mut out = case(dev, "matmul", m.bytes(), move |check| {
        ops::matmul(dev, &a, &b, &mut c, Matmul::new(n, n, n))?;
        checked(check, Matrices::want, m, || c.to_vec())
    });
    out.flops = m.flops();
    out.family = Some(ops::product_family::<f32>(Matmul::new(n, n, n)));
    Ok(out)
}

/// The check of a case when `check`: `got()` against `want(m)`, within [`TOL`].
fn checked(
    check: bool,
    want: fn(&Matrices) -> Vec<f32>,
    m: &Matrices,
    got: impl FnOnce() -> Result<Vec<f32>>,
) -> Result<Option<Check>> {
    Check::when(check, TOL, || want(m), got)
}

/// `dst = a b` (`b` read as `[n, k]`, i.e. `a b^T`, when `b_transposed`) by the `gemm` crate
/// on rayon's threads, every matrix `side x side` and row-major.
fn gemm_into(m: &Matrices, dst: &mut [f32], b_transposed: bool) {
    let n = m.side;
    assert_eq!(dst.len(), n * n);
    // Column and row strides of the right operand.
    let (b_cs, b_rs) = if b_transposed {
        (n as isize, 1)
    } else {
        (1, n as isize)
    };
    // SAFETY: each pointer covers an `n x n` matrix (checked above for `dst`; the operands are
    // `side^2` long by construction) that the strides stay within; `dst` does not alias the
    // operands, and `read_dst` is false.
    unsafe {
        gemm::gemm(
            n,
            n,
            n,
            dst.as_mut_ptr(),
            1,
            n as isize,
            false,
            m.a.as_ptr(),
            1,
            n as isize,
            m.b.as_ptr(),
            b_cs,
            b_rs,
            0.0f32,
            1.0f32,
            false,
            false,
            false,
            gemm::Parallelism::Rayon(rayon::current_num_threads()),
        )
    }
}

/// The `gemm` crate's `f32` product on rayon's threads, row-major, into a buffer made once.
fn gemm_case(m: &Matrices) -> Case<'_> {
    let n = m.side;
    let mut c = vec![0.0f32; n * n];
    let mut out = super::peers::host_case("gemm_crate", m.bytes(), move |check| {
        gemm_into(m, &mut c, false);
        checked(check, Matrices::want, m, || Ok(c.clone()))
    });
    out.kernel = "peer:gemm_crate".into();
    out.flops = m.flops();
    out
}

/// The handwritten WGSL GEMM: the uniform follows the launch ABI (group counts, `m n k`, the
/// three lengths); `c[64 x 64]` per workgroup, A and B staged 16 deep in workgroup memory.
const WGSL: &str = "
struct P { groups_x: u32, groups_y: u32, groups_z: u32, m: u32, n: u32, k: u32, len_a: u32, len_b: u32, len_c: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
var<workgroup> at: array<f32, 1024>;
var<workgroup> bt: array<f32, 1024>;

@compute @workgroup_size(16, 16)
fn peer_matmul_tiled(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let row0 = wg.y * 64u;
    let col0 = wg.x * 64u;
    let t = lid.y * 16u + lid.x;
    var acc: array<vec4<f32>, 4>;
    for (var k0 = 0u; k0 < p.k; k0 += 16u) {
        for (var e = 0u; e < 4u; e++) {
            let idx = t + e * 256u;
            let i = idx / 16u;
            let d = idx % 16u;
            var v = 0.0;
            if (row0 + i < p.m && k0 + d < p.k) { v = a[(row0 + i) * p.k + k0 + d]; }
            at[d * 64u + i] = v;
            let d2 = idx / 64u;
            let j = idx % 64u;
            var w = 0.0;
            if (k0 + d2 < p.k && col0 + j < p.n) { w = b[(k0 + d2) * p.n + col0 + j]; }
            bt[idx] = w;
        }
        workgroupBarrier();
        for (var d = 0u; d < 16u; d++) {
            let ra = d * 64u + lid.y * 4u;
            let rb = d * 64u + lid.x * 4u;
            let av = vec4<f32>(at[ra], at[ra + 1u], at[ra + 2u], at[ra + 3u]);
            let bv = vec4<f32>(bt[rb], bt[rb + 1u], bt[rb + 2u], bt[rb + 3u]);
            acc[0] = fma(vec4<f32>(av.x), bv, acc[0]);
            acc[1] = fma(vec4<f32>(av.y), bv, acc[1]);
            acc[2] = fma(vec4<f32>(av.z), bv, acc[2]);
            acc[3] = fma(vec4<f32>(av.w), bv, acc[3]);
        }
        workgroupBarrier();
    }
    for (var q = 0u; q < 4u; q++) {
        let r = row0 + lid.y * 4u + q;
        for (var j = 0u; j < 4u; j++) {
            let cc = col0 + lid.x * 4u + j;
            if (r < p.m && cc < p.n) { c[r * p.n + cc] = acc[q][j]; }
        }
    }
}
";

fn wgsl_desc() -> &'static kernelforge::__private::KernelDesc {
    use kernelforge::__private::{ParamDesc, ScalarType};
    static DESC: OnceLock<kernelforge::__private::KernelDesc> = OnceLock::new();
    static PARAMS: [ParamDesc; 6] = [
        super::peers::param("m", ScalarType::U32, None),
        super::peers::param("n", ScalarType::U32, None),
        super::peers::param("k", ScalarType::U32, None),
        super::peers::param("a", ScalarType::F32, Some(false)),
        super::peers::param("b", ScalarType::F32, Some(false)),
        super::peers::param("c", ScalarType::F32, Some(true)),
    ];
    DESC.get_or_init(|| kernelforge::__private::KernelDesc {
        workgroup_size: [16, 16, 1],
        ..super::peers::peer("peer_matmul_tiled", &PARAMS, WGSL, 8192, false)
    })
}

fn wgsl_case<'a>(dev: &'a Device, m: &'a Matrices) -> Result<Case<'a>> {
    use kernelforge::__private::KernelArg;
    let n = m.side;
    let (a, b): (Buffer<f32>, Buffer<f32>) = (dev.upload(&m.a)?, dev.upload(&m.b)?);
    let mut c = dev.zeros::<f32>(n * n)?;
    let groups = n.div_ceil(64) as u32;
    let mut out = case(dev, "peer:wgsl_matmul_tiled", m.bytes(), move |check| {
        let s = n as u32 as u64;
        dev.launch(
            wgsl_desc(),
            kernelforge::Grid::groups([groups, groups, 1]),
            &mut [
                KernelArg::Scalar(s),
                KernelArg::Scalar(s),
                KernelArg::Scalar(s),
                KernelArg::whole(a.raw()),
                KernelArg::whole(b.raw()),
                KernelArg::whole_mut(c.raw_mut()),
            ],
        )?;
        checked(check, Matrices::want, m, || c.to_vec())
    });
    out.flops = m.flops();
    Ok(out)
}
