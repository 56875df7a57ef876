//! `kernelforge::ops::attention` (the `attention` kernel of kernels-src/flash_attention.rs) on
//! every backend present, for `f32`, `f16` and `bf16` and head sizes 64 and 128, with and
//! without the causal mask, against an `f64` attention of the same (rounded) inputs: one
//! position, 17 (a block of 64 query rows partly outside the sequence, and key blocks partly
//! outside it), 256 (several query and key blocks, so the online softmax rescales); several
//! batches and heads; and the shape errors.
//!
//! Tolerance, per output row (the reasoning of tests/matmul.rs, carried through the softmax):
//! - a score `s_j` is a dot product of `D` terms, so its error is at most `e_s = scale * D *
//!   2^-23 * max_j sum_d |q_d k_jd|` (Higham 3.1), plus the rounding of `q * scale * log2(e)`;
//! - the weight `exp(s_j - max)` then has relative error `e_s` from its score, `e_x` from the
//!   `exp2` itself at each rescaling of the running sums (at most one per key block, and once
//!   for the weight): `e_x` = 4e-6 covers Vulkan's `exp2` bound of `3 + 2|x|` ulp for `|x| <=
//!   32`, the arguments whose weights matter (CUDA's `exp2f` is 2 ulp, the CPU's 1);
//! - `o` is the weights' average of `v`'s rows: relative weight errors `e` move it by at most
//!   `2 e max|v|`, and summing `seq` terms adds `seq * 2^-24 max|v|`; its rounding to the
//!   element type adds `u |o|` (`u` as in tests/matmul.rs).
//!
//! So `|o - o64| <= (2 e + seq 2^-24) max|v| + u |o| + floor` with `e = e_s + e_x (blocks + 2)
//! + seq 2^-24`, and `|lse - lse64| <= e + 2^-20 (1 + |lse|)` (the `log2` and the final scaling).

mod common;
#[path = "common/elem.rs"]
mod elem;

use common::each_backend;
use elem::{values, Elem};
use kernelforge::kernels::{attention, attention_tiles};
use kernelforge::ops::{self, Attention};
use kernelforge::prelude::*;
use kernelforge::Error;

/// The `f64` attention of `q`, `k`, `v` for `s` at the rows `rows` (of all heads, in order):
/// the output and the log-sum-exp per row, zeros at the other rows.
fn reference<T: Elem>(
    q: &[T],
    k: &[T],
    v: &[T],
    s: Attention,
    rows: &[usize],
) -> (Vec<f64>, Vec<f64>) {
    let (seq, d) = (s.seq, s.head_dim);
    let heads = s.batch * s.heads;
    let mut o = vec![0.0f64; heads * seq * d];
    let mut lse = vec![0.0f64; heads * seq];
    for &r in rows {
        let (h, i) = (r / seq, r % seq);
        let base = h * seq * d;
        {
            let keys = if s.causal { i + 1 } else { seq };
            let scores: Vec<f64> = (0..keys)
                .map(|j| {
                    let dot: f64 = (0..d)
                        .map(|x| q[base + i * d + x].wide() * k[base + j * d + x].wide())
                        .sum();
                    dot * s.scale as f64
                })
                .collect();
            let m = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let w: Vec<f64> = scores.iter().map(|&x| (x - m).exp()).collect();
            let total: f64 = w.iter().sum();
            for x in 0..d {
                let acc: f64 = (0..keys).map(|j| w[j] * v[base + j * d + x].wide()).sum();
                o[base + i * d + x] = acc / total;
            }
            lse[h * seq + i] = m + total.ln();
        }
    }
    (o, lse)
}

/// Runs the attention `s` on `dev` and compares every output and log-sum-exp with `f64`.
fn check<T: Elem + ops::Element + attention::Instance>(dev: &Device, s: Attention) {
    let rows: Vec<usize> = (0..s.batch * s.heads * s.seq).collect();
    check_rows::<T>(dev, s, &rows)
}

/// [`check`] at the rows `sample` only (of all heads, in order), for lengths whose full `f64`
/// reference would dominate the test.
fn check_rows<T: Elem + ops::Element + attention::Instance>(
    dev: &Device,
    s: Attention,
    sample: &[usize],
) {
    let run: &Run<T> = &|q, k, v, o, lse| ops::attention(dev, q, k, v, o, lse, s);
    compare::<T>(dev, s, sample, false, run)
}

/// A launch of an attention: `q, k, v, o, lse`.
type Run<'a, T> = dyn Fn(
        &Buffer<T>,
        &Buffer<T>,
        &Buffer<T>,
        &mut Buffer<T>,
        &mut Buffer<f32>,
    ) -> kernelforge::Result<()>
    + 'a;

/// `attention_tiles` (src/ops/attention.rs's candidate for the 16-bit types) on `dev`, launched
/// directly, compared with `f64` at every row.
fn check_tiles<T: Elem + attention_tiles::Instance>(dev: &Device, s: Attention) {
    let grid = Grid::groups([(s.seq.div_ceil(64) * s.batch * s.heads) as u32, 1, 1]);
    let (seq, causal) = (s.seq as u32, s.causal as u32);
    let run: &Run<T> = &|q, k, v, o, lse| {
        if s.head_dim == 64 {
            attention_tiles::launch::<T, 64>(dev, grid, seq, causal, s.scale, q, k, v, o, lse)
        } else {
            attention_tiles::launch::<T, 128>(dev, grid, seq, causal, s.scale, q, k, v, o, lse)
        }
    };
    let rows: Vec<usize> = (0..s.batch * s.heads * s.seq).collect();
    compare::<T>(dev, s, &rows, true, run)
}

/// Runs `run` on inputs for `s` and compares the outputs and log-sum-exps at the rows `sample`
/// with `f64`; `rounded`: the kernel rounds the softmax weights to `T` before they multiply `v`
/// (the tile kernel), which moves `o` by up to `u max|v|` more.
fn compare<T: Elem>(dev: &Device, s: Attention, sample: &[usize], rounded: bool, run: &Run<T>) {
    let len = s.batch * s.heads * s.seq * s.head_dim;
    let rows = s.batch * s.heads * s.seq;
    let (q, k, v) = (
        values::<T>(len, 11),
        values::<T>(len, 12),
        values::<T>(len, 13),
    );
    let (dq, dk, dv) = (
        dev.upload(&q).unwrap(),
        dev.upload(&k).unwrap(),
        dev.upload(&v).unwrap(),
    );
    // Garbage first: the attention overwrites both.
    let mut dout = dev.upload(&vec![T::of(7.0); len]).unwrap();
    let mut dlse = dev.upload(&vec![7.0f32; rows]).unwrap();
    run(&dq, &dk, &dv, &mut dout, &mut dlse)
        .unwrap_or_else(|e| panic!("{s:?} on {}: {e}", dev.name()));
    let (got, got_lse) = (dout.to_vec().unwrap(), dlse.to_vec().unwrap());
    let (want, want_lse) = reference(&q, &k, &v, s, sample);
    let d = s.head_dim;
    let vmax = v.iter().map(|x| x.wide().abs()).fold(0.0, f64::max);
    let blocks = s.seq.div_ceil(2048 / d) as f64;
    let seq_u = s.seq as f64 * 2f64.powi(-24);
    for &r in sample {
        let (h, i) = (r / s.seq, r % s.seq);
        let base = h * s.seq * d;
        let keys = if s.causal { i + 1 } else { s.seq };
        let mag = (0..keys)
            .map(|j| {
                (0..d)
                    .map(|x| (q[base + i * d + x].wide() * k[base + j * d + x].wide()).abs())
                    .sum::<f64>()
            })
            .fold(0.0, f64::max);
        let e_s = s.scale as f64 * (d as f64 + 2.0) * 2f64.powi(-23) * mag;
        let e = e_s + 4e-6 * (blocks + 2.0) + seq_u;
        for x in 0..d {
            let idx = r * d + x;
            let (g, w) = (got[idx].wide(), want[idx]);
            let weights = if rounded { T::U * vmax } else { 0.0 };
            let tol = (2.0 * e + seq_u) * vmax + weights + T::U * w.abs() + T::FLOOR;
            assert!(
                (g - w).abs() <= tol,
                "{} {s:?} {}: o[row {r}, {x}] = {g}, want {w} (tolerance {tol})",
                dev.name(),
                std::any::type_name::<T>()
            );
        }
        let (g, w) = (got_lse[r] as f64, want_lse[r]);
        let tol = e + 2f64.powi(-20) * (1.0 + w.abs());
        assert!(
            (g - w).abs() <= tol,
            "{} {s:?} {}: lse[row {r}] = {g}, want {w} (tolerance {tol})",
            dev.name(),
            std::any::type_name::<T>()
        );
    }
}

/// The shapes: 1, 17 and 256 positions, over several batches and heads, each head size,
/// with and without the mask.
fn shapes() -> Vec<Attention> {
    let mut out = Vec::new();
    for head_dim in [64, 128] {
        for (batch, heads, seq) in [(1, 1, 1), (2, 3, 17), (1, 2, 256)] {
            let s = Attention::new(batch, heads, seq, head_dim);
            out.push(s);
            out.push(s.causal());
        }
    }
    out
}

#[each_backend]
fn f32_attention_matches_f64(dev: &Device) {
    for s in shapes() {
        check::<f32>(dev, s);
    }
    // Another scale (PyTorch's `scale=`), with the mask.
    check::<f32>(dev, Attention::new(1, 1, 70, 64).causal().with_scale(0.3));
}

#[each_backend]
fn bf16_attention_matches_f64(dev: &Device) {
    for s in shapes() {
        check::<bf16>(dev, s);
    }
}

#[each_backend]
fn f16_attention_matches_f64(dev: &Device) {
    let s = Attention::new(1, 1, 1, 64);
    let one = dev.upload(&[f16::ONE; 64]).unwrap();
    let mut out = dev.zeros::<f16>(64).unwrap();
    let mut lse = dev.zeros::<f32>(1).unwrap();
    let r = ops::attention(dev, &one, &one, &one, &mut out, &mut lse, s);
    if common::lacks_shader_feature(dev, r, &["SHADER_F16"]) {
        return;
    }
    for s in shapes() {
        check::<f16>(dev, s);
    }
}

#[each_backend]
fn bf16_attention_on_matrix_tiles_matches_f64(dev: &Device) {
    // WGSL holds `bf16` as `f32` (src/bf16.rs), which doubles the kernel's workgroup memory:
    // 38 KiB at head_dim 64, past lavapipe's 32 KiB. Only there is the refusal accepted.
    let r = one_position::<bf16>(dev);
    if dev.backend() == Backend::Wgpu && matches!(r, Err(Error::TooLarge { .. })) {
        eprintln!("skipped on {}: {}", dev.name(), r.unwrap_err());
        return;
    }
    for s in shapes() {
        check_tiles::<bf16>(dev, s);
    }
}

#[each_backend]
fn f16_attention_on_matrix_tiles_matches_f64(dev: &Device) {
    if common::lacks_shader_feature(dev, one_position::<f16>(dev), &["SHADER_F16"]) {
        return;
    }
    for s in shapes() {
        check_tiles::<f16>(dev, s);
    }
}

/// `attention_tiles` at one position of 64 ones: whether `dev` runs the instance at all.
fn one_position<T: Elem + attention_tiles::Instance>(dev: &Device) -> kernelforge::Result<()> {
    let one = dev.upload(&[T::of(1.0); 64])?;
    let mut out = dev.zeros::<T>(64)?;
    let mut lse = dev.zeros::<f32>(1)?;
    let grid = Grid::groups([1, 1, 1]);
    attention_tiles::launch::<T, 64>(dev, grid, 1, 0, 1.0, &one, &one, &one, &mut out, &mut lse)
}

/// Lavapipe (Mesa's llvmpipe) ends every loop of an invocation after 65,535 iterations in all:
/// `ops::attention` runs the longest sequences it allows there (src/ops/attention.rs),
/// correctly, and refuses one position more with an error that says so, or, with CPU
/// fallback on, runs it on the CPU.
#[test]
fn lavapipe_runs_up_to_its_loop_limit_and_refuses_past_it() {
    let Some(dev) = common::device(Backend::Wgpu) else {
        return;
    };
    if !dev.name().contains("llvmpipe") {
        eprintln!("skipped: {} is not llvmpipe", dev.name());
        return;
    }
    for (head_dim, longest) in [(128, 2096), (64, 3744)] {
        let s = Attention::new(1, 1, longest, head_dim);
        // The last rows see every key block; row 0 the first only.
        let rows = [0, longest - 65, longest - 2, longest - 1];
        check_rows::<f32>(&dev, s, &rows);
        let s = Attention::new(1, 1, longest + 1, head_dim);
        let x = dev.zeros::<f32>(s.seq * head_dim).unwrap();
        let mut o = dev.zeros::<f32>(s.seq * head_dim).unwrap();
        let mut lse = dev.zeros::<f32>(s.seq).unwrap();
        let e = ops::attention(&dev, &x, &x, &x, &mut o, &mut lse, s).unwrap_err();
        let msg = e.to_string();
        assert!(
            matches!(e, Error::Unsupported { .. })
                && msg.contains("65,535")
                && msg.contains("Device::cpu()"),
            "{msg}"
        );
        // With fallback on, the whole operation runs on the CPU: the CPU backend's bits.
        let vals: Vec<f32> = (0..s.seq * head_dim)
            .map(|i| ((i * 37) % 101) as f32 / 50.0 - 1.0)
            .collect();
        let run = |d: &Device| {
            let x = d.upload(&vals).unwrap();
            let mut o = d.zeros::<f32>(vals.len()).unwrap();
            let mut lse = d.zeros::<f32>(s.seq).unwrap();
            ops::attention(d, &x, &x, &x, &mut o, &mut lse, s).unwrap();
            (o.to_vec().unwrap(), lse.to_vec().unwrap())
        };
        dev.set_cpu_fallback(true);
        assert!(
            run(&dev) == run(&Device::cpu()),
            "seq {} through the CPU",
            s.seq
        );
        assert_eq!(dev.fallen_back_kernels(), ["attention"]);
        dev.set_cpu_fallback(false);
    }
}

#[test]
fn shapes_that_do_not_match_the_buffers_are_errors() {
    let dev = Device::cpu();
    let s = Attention::new(2, 1, 3, 64);
    let x = dev.zeros::<f32>(2 * 3 * 64).unwrap();
    let mut o = dev.zeros::<f32>(2 * 3 * 64).unwrap();
    let mut lse = dev.zeros::<f32>(6).unwrap();
    ops::attention(&dev, &x, &x, &x, &mut o, &mut lse, s).unwrap();
    let bad = |e: Error| match e {
        Error::BadArguments {
            kernel: "attention",
            message,
        } => message,
        e => panic!("not BadArguments: {e}"),
    };
    // The attention of `s` into `lse`, its error.
    let mut attend = |lse: &mut kernelforge::Buffer<f32>, s: Attention| {
        ops::attention(&dev, &x, &x, &x, &mut o, lse, s).unwrap_err()
    };
    let msg = bad(attend(&mut lse, Attention::new(2, 1, 4, 64)));
    assert!(
        msg.contains("`q` holds 384 elements") && msg.contains("makes it 512"),
        "{msg}"
    );
    let msg = bad(attend(&mut dev.zeros::<f32>(5).unwrap(), s));
    assert!(msg.contains("`lse` holds 5 elements"), "{msg}");
    let msg = bad(attend(&mut lse, Attention::new(2, 1, 2, 96)));
    assert!(
        msg.contains("head_dim is 96") && msg.contains("pad"),
        "{msg}"
    );
    let msg = bad(attend(&mut lse, s.with_scale(f32::NAN)));
    assert!(msg.contains("finite"), "{msg}");
    let e = attend(&mut lse, Attention::new(1 << 20, 1 << 20, 1, 64));
    assert!(matches!(e, Error::TooLarge { .. }), "{e}");
    // Nothing to attend to: no error, nothing written.
    let empty = dev.zeros::<f32>(0).unwrap();
    let (mut eo, mut el) = (dev.zeros::<f32>(0).unwrap(), dev.zeros::<f32>(0).unwrap());
    ops::attention(
        &dev,
        &empty,
        &empty,
        &empty,
        &mut eo,
        &mut el,
        Attention::new(0, 4, 9, 128),
    )
    .unwrap();
}
