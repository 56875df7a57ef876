//! The `f16` and `bf16` instances of the built-in kernels on every backend present, against
//! f64 references computed from the same half-precision inputs, and against the CPU backend.
//!
//! The kernels compute in f32 and round once to the element type, so the tolerances are the
//! f32 kernel's (README) plus one ulp of the element type at the reference value (2^-10
//! relative for f16, 2^-7 for bf16: the f32 result may sit on the other side of a rounding
//! boundary). Kernels without rounding inside (`copy`, `relu`, `scale`, `vector_add`) are bit
//! for bit against "f32, rounded once"; saxpy within one ulp of the element type (a driver may
//! fuse `a * x + y` in f32). wgpu needs SHADER_F16 for `f16` (the test says when it skips);
//! `bf16` is emulated there.

mod common;

use common::{each_backend, lacks_shader_feature};
use kernelforge::kernels::*;
use kernelforge::prelude::*;
use kernelforge::Buffer;
use kernelforge_reference::{self as reference, inputs};

const SIZES: [usize; 4] = [0, 1, 1000, 100_003];
const SHAPES: [(usize, usize); 4] = [(1, 1), (3, 1000), (1000, 3), (64, 4096)];

/// The half types as the tests need them.
trait Half: Copy + PartialEq + std::fmt::Debug {
    const NAME: &'static str;
    /// One ulp relative: 2^-(mantissa bits).
    const ULP: f64;
    fn from_f32(v: f32) -> Self;
    fn to_f32(self) -> f32;
}

impl Half for f16 {
    const NAME: &'static str = "f16";
    const ULP: f64 = 1.0 / 1024.0;
    fn from_f32(v: f32) -> Self {
        f16::from_f32(v)
    }
    fn to_f32(self) -> f32 {
        f16::to_f32(self)
    }
}

impl Half for bf16 {
    const NAME: &'static str = "bf16";
    const ULP: f64 = 1.0 / 128.0;
    fn from_f32(v: f32) -> Self {
        bf16::from_f32(v)
    }
    fn to_f32(self) -> f32 {
        bf16::to_f32(self)
    }
}

fn to_half<T: Half>(x: &[f32]) -> Vec<T> {
    x.iter().map(|&v| T::from_f32(v)).collect()
}

/// `got` within `abs + ulps * ULP * |want|` of `want`, element by element.
fn close<T: Half>(dev: &Device, what: &str, got: &[T], want: &[f64], abs: f64, ulps: f64) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let tol = abs + ulps * T::ULP * w.abs();
        assert!(
            (g.to_f32() as f64 - w).abs() <= tol,
            "{what} ({}) on {}: element {i}: got {g:?}, want {w}",
            T::NAME,
            dev.name()
        );
    }
}

macro_rules! elementwise_tests {
    ($name:ident, $t:ty) => {
        #[each_backend]
        fn $name(dev: &Device) {
            for n in SIZES {
                let a: Vec<$t> = to_half(&inputs(n, 1, -100.0, 100.0));
                let b: Vec<$t> = to_half(&inputs(n, 2, -100.0, 100.0));
                let x: Vec<$t> = to_half(&inputs(n, 7, -8.0, 8.0));
                let (ab, bb, xb) = (
                    dev.upload(&a).unwrap(),
                    dev.upload(&b).unwrap(),
                    dev.upload(&x).unwrap(),
                );
                let once = |f: &dyn Fn(usize) -> f32| -> Vec<$t> {
                    (0..n).map(|i| <$t as Half>::from_f32(f(i))).collect()
                };
                let mut c = dev.zeros::<$t>(n).unwrap();
                let r = vector_add::launch(dev, Grid::linear(n), &ab, &bb, &mut c);
                if lacks_shader_feature(dev, r, &["SHADER_F16"]) {
                    return;
                }
                let want = once(&|i| a[i].to_f32() + b[i].to_f32());
                assert_eq!(c.to_vec().unwrap(), want, "vector_add n={n} {}", dev.name());

                let mut s = dev.zeros::<$t>(n).unwrap();
                let k = <$t as Half>::from_f32(-0.25);
                scale::launch(dev, Grid::linear(n), k, &ab, &mut s).unwrap();
                assert_eq!(
                    s.to_vec().unwrap(),
                    once(&|i| -0.25 * a[i].to_f32()),
                    "scale"
                );

                let mut y = dev.upload(&b).unwrap();
                let k = <$t as Half>::from_f32(1.5);
                saxpy::launch(dev, Grid::linear(n), k, &ab, &mut y).unwrap();
                let want: Vec<f64> = (0..n)
                    .map(|i| 1.5 * a[i].to_f32() as f64 + b[i].to_f32() as f64)
                    .collect();
                close(dev, "saxpy", &y.to_vec().unwrap(), &want, 0.0, 1.0);

                let mut y = dev.zeros::<$t>(n).unwrap();
                copy::launch(dev, Grid::linear(n), &xb, &mut y).unwrap();
                assert_eq!(y.to_vec().unwrap(), x, "copy");
                relu::launch(dev, Grid::linear(n), &xb, &mut y).unwrap();
                assert_eq!(
                    y.to_vec().unwrap(),
                    once(&|i| x[i].to_f32().max(0.0)),
                    "relu"
                );

                type Launch =
                    fn(&Device, Grid, &Buffer<$t>, &mut Buffer<$t>) -> kernelforge::Result<()>;
                let unary: [(&str, Launch, fn(f32) -> f32); 3] = [
                    ("gelu", gelu::launch, reference::gelu),
                    ("sigmoid", sigmoid::launch, reference::sigmoid),
                    ("silu", silu::launch, reference::silu),
                ];
                for (what, launch, f) in unary {
                    launch(dev, Grid::linear(n), &xb, &mut y).unwrap();
                    let want: Vec<f64> = x.iter().map(|v| f(v.to_f32()) as f64).collect();
                    close(dev, what, &y.to_vec().unwrap(), &want, 2e-6, 1.0);
                }
            }
        }
    };
}

elementwise_tests!(f16_elementwise_kernels, f16);
elementwise_tests!(bf16_elementwise_kernels, bf16);

/// The f64 references of the row kernels over half inputs.
fn softmax_ref(x: &[f64], c: usize) -> Vec<f64> {
    x.chunks(c)
        .flat_map(|row| {
            let m = row.iter().copied().fold(f64::MIN, f64::max);
            let s: f64 = row.iter().map(|&v| (v - m).exp()).sum();
            row.iter()
                .map(move |&v| (v - m).exp() / s)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn norm_ref(x: &[f64], c: usize, eps: f64, w: &[f64], b: Option<&[f64]>) -> Vec<f64> {
    x.chunks(c)
        .flat_map(|row| {
            let n = c as f64;
            let (center, scale) = match b {
                Some(_) => {
                    let mean = row.iter().sum::<f64>() / n;
                    let var = row.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
                    (mean, 1.0 / (var + eps).sqrt())
                }
                None => (
                    0.0,
                    1.0 / (row.iter().map(|v| v * v).sum::<f64>() / n + eps).sqrt(),
                ),
            };
            row.iter()
                .enumerate()
                .map(|(j, &v)| (v - center) * scale * w[j] + b.map_or(0.0, |b| b[j]))
                .collect::<Vec<_>>()
        })
        .collect()
}

macro_rules! row_tests {
    ($name:ident, $t:ty) => {
        #[each_backend]
        fn $name(dev: &Device) {
            let cpu = Device::cpu();
            for (r, c) in SHAPES {
                let x: Vec<$t> = to_half(&inputs(r * c, 9, -4.0, 4.0));
                let w: Vec<$t> = to_half(&inputs(c, 3, 0.5, 1.5));
                let b: Vec<$t> = to_half(&inputs(c, 4, -0.5, 0.5));
                let wide = |v: &[$t]| -> Vec<f64> { v.iter().map(|h| h.to_f32() as f64).collect() };
                let (xf, wf, bf) = (wide(&x), wide(&w), wide(&b));
                let grid = Grid::groups([r as u32, 1, 1]);
                // Each kernel on `d`, its output.
                let run = |d: &Device, k: usize| -> Option<Vec<$t>> {
                    let (xb, wb, bb) = (
                        d.upload(&x).unwrap(),
                        d.upload(&w).unwrap(),
                        d.upload(&b).unwrap(),
                    );
                    let mut y = d.zeros::<$t>(r * c).unwrap();
                    let cols = c as u32;
                    let res = match k {
                        0 => softmax::launch::<_, 256>(d, grid, cols, &xb, &mut y),
                        1 => {
                            layer_norm::launch::<_, 256>(d, grid, cols, 1e-5, &xb, &wb, &bb, &mut y)
                        }
                        2 => rms_norm::launch::<_, 256>(d, grid, cols, 1e-6, &xb, &wb, &mut y),
                        // The `_v4` kernels, for rows of whole vectors.
                        3 => softmax_v4::launch::<_, 32>(d, grid, cols, &xb, &mut y),
                        4 => layer_norm_v4::launch::<_, 256>(
                            d, grid, cols, 1e-5, &xb, &wb, &bb, &mut y,
                        ),
                        _ => rms_norm_v4::launch::<_, 32>(d, grid, cols, 1e-6, &xb, &wb, &mut y),
                    };
                    (!lacks_shader_feature(d, res, &["SHADER_F16"])).then(|| y.to_vec().unwrap())
                };
                let refs = [
                    softmax_ref(&xf, c),
                    norm_ref(&xf, c, 1e-5, &wf, Some(&bf)),
                    norm_ref(&xf, c, 1e-6, &wf, None),
                ];
                let kernels = if c.is_multiple_of(4) { 6 } else { 3 };
                for k in 0..kernels {
                    let want = &refs[k % 3];
                    let what = [
                        "softmax",
                        "layer_norm",
                        "rms_norm",
                        "softmax_v4",
                        "layer_norm_v4",
                        "rms_norm_v4",
                    ][k];
                    let Some(got) = run(dev, k) else { return };
                    // The f32 kernel's tolerance, then one rounding to the element type.
                    let f32_tol: Vec<f64> = want.iter().map(|w| 1e-5 + 1e-4 * w.abs()).collect();
                    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
                        let tol = f32_tol[i] + <$t as Half>::ULP * w.abs();
                        assert!(
                            (g.to_f32() as f64 - w).abs() <= tol,
                            "{what} {r}x{c} ({}) on {}: element {i}: got {g:?}, want {w}",
                            <$t as Half>::NAME,
                            dev.name()
                        );
                    }
                    if dev.backend() != Backend::Cpu {
                        let on_cpu = run(&cpu, k).unwrap();
                        let on_cpu: Vec<f64> = on_cpu.iter().map(|h| h.to_f32() as f64).collect();
                        close(
                            dev,
                            &format!("{what} {r}x{c} vs CPU"),
                            &got,
                            &on_cpu,
                            1e-5,
                            2.0,
                        );
                    }
                }
            }
        }
    };
}

row_tests!(f16_row_kernels, f16);
row_tests!(bf16_row_kernels, bf16);
