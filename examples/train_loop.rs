//! A small training loop, as a GPT-2 training step is ported from CUDA: an embedding lookup
//! (the encoder), a linear layer, softmax cross-entropy, the backward pass with the
//! embedding's gradient accumulated by `f32` atomics (many tokens share a row), and AdamW.
//! Every buffer is made once and reused across steps: minibatches are views of the whole
//! dataset, gradients are zeroed with `fill`, the loss is read into a reused host vector.
//!
//! The task: tokens `0..VOCAB`, each labelled `token % CLASSES`; the loss falls from
//! `ln(CLASSES)` towards 0.
//!
//! `cargo run --release --example train_loop` runs it on the best device;
//! tests/training.rs runs `train` on every backend present.

use kernelforge::prelude::*;

/// `h[b, :] = wte[tokens[b], :]`.
#[compute_kernel(workgroup_size = 64)]
pub fn embed(dim: u32, tokens: &[u32], wte: &[f32], h: &mut [f32]) {
    let i = global_id().x;
    if i < h.len() {
        let (b, j) = (i / dim, i % dim);
        h[i] = wte[tokens[b] * dim + j];
    }
}

/// `logits[b, k] = h[b, :] . w[k, :]`.
#[compute_kernel(workgroup_size = 64)]
pub fn linear(dim: u32, classes: u32, h: &[f32], w: &[f32], logits: &mut [f32]) {
    let i = global_id().x;
    if i < logits.len() {
        let (b, k) = (i / classes, i % classes);
        let mut s = 0.0f32;
        for j in 0..dim {
            s += h[b * dim + j] * w[k * dim + j];
        }
        logits[i] = s;
    }
}

/// Per row `b`: `loss[b] = -ln softmax(logits[b])[target]`, and `dlogits = (softmax -
/// onehot) / batch`, the gradient of the mean loss.
#[compute_kernel(workgroup_size = 64)]
pub fn softmax_xent(
    classes: u32,
    logits: &[f32],
    targets: &[u32],
    dlogits: &mut [f32],
    loss: &mut [f32],
) {
    let b = global_id().x;
    if b >= targets.len() {
        return;
    }
    let base = b * classes;
    let mut m = f32::NEG_INFINITY;
    for k in 0..classes {
        m = max(m, logits[base + k]);
    }
    let mut s = 0.0f32;
    for k in 0..classes {
        s += exp(logits[base + k] - m);
    }
    let t = targets[b];
    loss[b] = ln(s) + m - logits[base + t];
    let inv_batch = 1.0 / targets.len() as f32;
    for k in 0..classes {
        let p = exp(logits[base + k] - m) / s;
        let onehot = if k == t { 1.0 } else { 0.0 };
        dlogits[base + k] = (p - onehot) * inv_batch;
    }
}

/// `dw[k, j] = sum_b dlogits[b, k] * h[b, j]` and `dh[b, j] = sum_k dlogits[b, k] * w[k, j]`,
/// one invocation per element of each.
#[compute_kernel(workgroup_size = 64)]
pub fn linear_backward(
    batch: u32,
    dim: u32,
    classes: u32,
    dlogits: &[f32],
    h: &[f32],
    w: &[f32],
    dw: &mut [f32],
    dh: &mut [f32],
) {
    let i = global_id().x;
    if i < dw.len() {
        let (k, j) = (i / dim, i % dim);
        let mut s = 0.0f32;
        for b in 0..batch {
            s += dlogits[b * classes + k] * h[b * dim + j];
        }
        dw[i] = s;
    }
    if i < dh.len() {
        let (b, j) = (i / dim, i % dim);
        let mut s = 0.0f32;
        for k in 0..classes {
            s += dlogits[b * classes + k] * w[k * dim + j];
        }
        dh[i] = s;
    }
}

/// The embedding's gradient: row `tokens[b]` gains `dh[b, :]`. Tokens repeat within a batch,
/// so the adds contend: `f32` atomics, as CUDA's `atomicAdd(float*)`.
#[compute_kernel(workgroup_size = 64)]
pub fn embed_backward(dim: u32, tokens: &[u32], dh: &[f32], dwte: &[AtomicF32]) {
    let i = global_id().x;
    if i < dh.len() {
        let (b, j) = (i / dim, i % dim);
        dwte[tokens[b] * dim + j].fetch_add(dh[i], Relaxed);
    }
}

/// One AdamW step (Loshchilov and Hutter, "Decoupled Weight Decay Regularization", 2019) of
/// parameters `p` with gradients `g` and moments `m`, `v`; `c1`, `c2` are the bias
/// corrections `1 - beta^t`.
#[compute_kernel(workgroup_size = 64)]
pub fn adamw(
    lr: f32,
    beta1: f32,
    beta2: f32,
    c1: f32,
    c2: f32,
    decay: f32,
    g: &[f32],
    p: &mut [f32],
    m: &mut [f32],
    v: &mut [f32],
) {
    let i = global_id().x;
    if i < p.len() {
        let gi = g[i];
        let mi = beta1 * m[i] + (1.0 - beta1) * gi;
        let vi = beta2 * v[i] + (1.0 - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        let step = (mi / c1) / (sqrt(vi / c2) + 1e-8);
        p[i] -= lr * (step + decay * p[i]);
    }
}

/// Sizes of the model and the data.
pub const VOCAB: usize = 64;
/// Embedding width.
pub const DIM: usize = 16;
/// Output classes.
pub const CLASSES: usize = 4;
/// Examples per step.
pub const BATCH: usize = 128;
/// Examples in the dataset.
pub const DATA: usize = 4096;

/// A parameter tensor with its gradient and AdamW moments, all on the device.
struct Param {
    p: Buffer<f32>,
    g: Buffer<f32>,
    m: Buffer<f32>,
    v: Buffer<f32>,
}

impl Param {
    fn new(dev: &Device, init: &[f32]) -> kernelforge::Result<Param> {
        Ok(Param {
            p: dev.upload(init)?,
            g: dev.zeros(init.len())?,
            m: dev.zeros(init.len())?,
            v: dev.zeros(init.len())?,
        })
    }

    fn step(&mut self, dev: &Device, t: i32) -> kernelforge::Result<()> {
        let (b1, b2) = (0.9f32, 0.999f32);
        let (c1, c2) = (1.0 - b1.powi(t), 1.0 - b2.powi(t));
        let grid = Grid::linear(self.p.len());
        let (g, p, m, v) = (&self.g, &mut self.p, &mut self.m, &mut self.v);
        adamw::launch(dev, grid, 0.01, b1, b2, c1, c2, 0.01, g, p, m, v)
    }
}

/// Trains for `steps` steps on `dev`; returns the mean loss of the first and the last step.
pub fn train(dev: &Device, steps: usize) -> kernelforge::Result<(f32, f32)> {
    // Deterministic small initial weights and data.
    let mut seed = 0x9e37_79b9u32;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        (seed >> 8) as f32 / (1 << 24) as f32 - 0.5
    };
    let wte_init: Vec<f32> = (0..VOCAB * DIM).map(|_| rand() * 0.2).collect();
    let w_init: Vec<f32> = (0..CLASSES * DIM).map(|_| rand() * 0.2).collect();
    let tokens: Vec<u32> = (0..DATA as u32)
        .map(|i| i.wrapping_mul(2_654_435_761) % VOCAB as u32)
        .collect();
    let targets: Vec<u32> = tokens.iter().map(|t| t % CLASSES as u32).collect();

    let mut wte = Param::new(dev, &wte_init)?;
    let mut w = Param::new(dev, &w_init)?;
    // The dataset lives on the device once; each step takes a view of it.
    let tokens_b = dev.upload(&tokens)?;
    let targets_b = dev.upload(&targets)?;
    let mut h = dev.zeros::<f32>(BATCH * DIM)?;
    let mut logits = dev.zeros::<f32>(BATCH * CLASSES)?;
    let mut dlogits = dev.zeros::<f32>(BATCH * CLASSES)?;
    let mut dh = dev.zeros::<f32>(BATCH * DIM)?;
    let mut loss = dev.zeros::<f32>(BATCH)?;
    let mut host_loss = vec![0.0f32; BATCH];
    let (dim, classes, batch) = (DIM as u32, CLASSES as u32, BATCH as u32);
    let (mut first, mut last) = (0.0, 0.0);
    for step in 0..steps {
        let at = (step * BATCH) % DATA;
        let tok = tokens_b.slice(at..at + BATCH)?;
        let tgt = targets_b.slice(at..at + BATCH)?;
        // Forward.
        embed::launch(dev, Grid::linear(BATCH * DIM), dim, &tok, &wte.p, &mut h)?;
        linear::launch(
            dev,
            Grid::linear(BATCH * CLASSES),
            dim,
            classes,
            &h,
            &w.p,
            &mut logits,
        )?;
        softmax_xent::launch(
            dev,
            Grid::linear(BATCH),
            classes,
            &logits,
            &tgt,
            &mut dlogits,
            &mut loss,
        )?;
        // Backward.
        let n = (BATCH * DIM).max(CLASSES * DIM);
        linear_backward::launch(
            dev,
            Grid::linear(n),
            batch,
            dim,
            classes,
            &dlogits,
            &h,
            &w.p,
            &mut w.g,
            &mut dh,
        )?;
        wte.g.fill(0.0)?;
        embed_backward::launch(dev, Grid::linear(BATCH * DIM), dim, &tok, &dh, &mut wte.g)?;
        // Update.
        wte.step(dev, step as i32 + 1)?;
        w.step(dev, step as i32 + 1)?;
        if step == 0 || step + 1 == steps {
            loss.read_into(&mut host_loss)?;
            let mean = host_loss.iter().sum::<f32>() / BATCH as f32;
            if step == 0 {
                first = mean;
            }
            last = mean;
        }
    }
    Ok((first, last))
}

#[allow(dead_code)]
fn main() -> kernelforge::Result<()> {
    let dev = Device::best();
    println!("{}", dev.name());
    let (first, last) = train(&dev, 40)?;
    println!("mean cross-entropy: {first:.4} at the first step, {last:.4} at the last");
    Ok(())
}
