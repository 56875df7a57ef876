//! Scaled dot-product attention: [`attention`] over the `attention` and `attention_tiles`
//! kernels (kernels-src/flash_attention.rs).

use super::Element;
use crate::kernels::attention as kernel;
use crate::{Backend, Buffer, Device, Error, Grid, Result};

/// The shape of an [`attention`]: `q`, `k`, `v` and the output are `[batch, heads, seq,
/// head_dim]`, the log-sum-exp `[batch, heads, seq]`, all dense and row-major (PyTorch's
/// layout for `scaled_dot_product_attention`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Attention {
    /// Sequences in the batch.
    pub batch: usize,
    /// Heads per sequence.
    pub heads: usize,
    /// Positions per sequence: query rows and keys alike.
    pub seq: usize,
    /// Values per head: 64 or 128 (the kernel is built for those).
    pub head_dim: usize,
    /// Hide key `j` from query `i` when `j > i` (PyTorch's `is_causal=True`).
    pub causal: bool,
    /// The factor of `q k^T` before the softmax; `1 / sqrt(head_dim)` by [`Attention::new`].
    pub scale: f32,
}

impl Attention {
    /// Attention over `batch x heads` heads of `seq` positions, no mask, scaled by
    /// `1 / sqrt(head_dim)`.
    pub fn new(batch: usize, heads: usize, seq: usize, head_dim: usize) -> Attention {
        Attention {
            batch,
            heads,
            seq,
            head_dim,
            causal: false,
            scale: 1.0 / (head_dim as f32).sqrt(),
        }
    }

    /// The same attention with the causal mask.
    pub fn causal(self) -> Attention {
        Attention {
            causal: true,
            ..self
        }
    }

    /// The same attention scaled by `scale` instead.
    pub fn with_scale(self, scale: f32) -> Attention {
        Attention { scale, ..self }
    }
}

/// The most key blocks (`2048 / head_dim` keys each) lavapipe runs the `attention` kernel over
/// correctly ([`super::within_llvmpipe_loops`]): each costs the kernel's loops about 500 back
/// edges. On Mesa 22.3.6, 124 blocks at head size 64 and 138 at 128 are correct and one more
/// is not; these are 5% less. tests/attention.rs runs the longest `seq` they allow.
fn llvmpipe_max_blocks(head_dim: usize) -> usize {
    if head_dim == 64 {
        117
    } else {
        131
    }
}

/// Heads and positions of the workload each candidate of an [`attention_family`] is timed on
/// at the first use (zeros; 0.5 GFLOP at head size 128).
const TUNE_HEADS: usize = 4;
const TUNE_SEQ: usize = 512;

/// The name of the autotuned family of attention kernels for `T` and `head_dim`
/// (`attention_bf16/d128`), for `Device::autotuned`: `attention_<T>_<d>` (the default) and
/// `attention_tiles_<T>_<d>`. Only the 16-bit types on CUDA and the CPU have one; elsewhere
/// [`attention`] runs `attention` without timing (WGSL's tiles have no cooperative matrices:
/// each lane loads 144 values per product, and lavapipe's 32 KiB of workgroup memory refuses
/// the `bf16` instances, which WGSL holds as `f32`).
pub fn attention_family<T: Element>(head_dim: usize) -> String {
    format!("attention_{}/d{head_dim}", T::NAME)
}

/// Whether `dev` chooses between the kernels for `T`: see [`attention_family`].
fn tuned_here<T: Element>(dev: &Device) -> bool {
    T::HALF && dev.backend() != Backend::Wgpu
}

/// Candidate `i` of the family (0: `attention`, 1: `attention_tiles`) on `dev`.
#[allow(clippy::too_many_arguments)]
fn launch<T: Element>(
    dev: &Device,
    i: usize,
    s: Attention,
    q: &Buffer<T>,
    k: &Buffer<T>,
    v: &Buffer<T>,
    o: &mut Buffer<T>,
    lse: &mut Buffer<f32>,
) -> Result<()> {
    let groups = s.seq.div_ceil(64) * s.batch * s.heads;
    let grid = Grid::groups([groups as u32, 1, 1]);
    let (seq, causal) = (s.seq as u32, s.causal as u32);
    match (i, s.head_dim) {
        (0, 64) => kernel::launch::<_, 64>(dev, grid, seq, causal, s.scale, q, k, v, o, lse),
        (0, _) => kernel::launch::<_, 128>(dev, grid, seq, causal, s.scale, q, k, v, o, lse),
        (_, d) => T::launch_attention_tiles(dev, grid, d, seq, causal, s.scale, [q, k, v], o, lse),
    }
}

/// The candidate [`attention`] runs for `T` and `head_dim` on `dev`: its family autotuned on
/// zeros (see [`attention_family`]), or `attention` where there is none.
fn choose<T: Element>(dev: &Device, head_dim: usize) -> Result<usize> {
    if !tuned_here::<T>(dev) {
        return Ok(0);
    }
    let d = head_dim as u32;
    let mut candidates = super::instances::<T>("attention", &[d]);
    candidates.extend(super::instances::<T>("attention_tiles", &[d]));
    let s = Attention::new(1, TUNE_HEADS, TUNE_SEQ, head_dim);
    let len = TUNE_HEADS * TUNE_SEQ * head_dim;
    // Made only if the family is timed now.
    let mut work: Option<(Buffer<T>, Buffer<T>, Buffer<f32>)> = None;
    super::tuned(
        dev,
        &attention_family::<T>(head_dim),
        &candidates,
        0,
        &mut |i| {
            if work.is_none() {
                work = Some((
                    dev.zeros::<T>(len)?,
                    dev.zeros::<T>(len)?,
                    dev.zeros::<f32>(TUNE_HEADS * TUNE_SEQ)?,
                ));
            }
            let (x, o, lse) = work.as_mut().expect("made above");
            launch(dev, i, s, x, x, x, o, lse)
        },
    )
}

/// `o = softmax(scale q k^T + mask) v` for each head, and `lse = ln(sum(exp(scale q k^T +
/// mask)))` for each query row (FlashAttention's `softmax_lse`, what a backward pass needs), on
/// `dev`: the `attention` kernel, FlashAttention-2's forward pass (Dao 2023, arXiv 2307.08691),
/// which never writes the `[seq, seq]` scores to memory. Arithmetic and accumulation are `f32`
/// for every element type (`f32`, `f16`, `bf16`); each output is rounded once. For `f16` and
/// `bf16` on CUDA and the CPU, autotuning may choose `attention_tiles` instead
/// ([`attention_family`]): its products run on matrix tiles (tensor cores on CUDA), and it
/// rounds the softmax weights to the element type before they multiply `v`, as
/// FlashAttention-2 does, which moves `o` by at most one unit roundoff of `max |v|`. `o` and
/// `lse` are overwritten.
///
/// # Errors
/// [`Error::BadArguments`] for a `head_dim` other than 64 or 128, a scale that is not finite,
/// or a buffer whose length is not its shape's (naming which); [`Error::TooLarge`] past `u32`
/// indices; [`Error::Unsupported`] on lavapipe past its loop limit (`seq` above 2,096 at
/// `head_dim` 128, 3,744 at 64), unless `dev`'s CPU fallback is on
/// ([`Device::set_cpu_fallback`]), which runs the whole operation on the CPU instead and copies
/// `o` and `lse` back; those of the launch.
pub fn attention<T: Element>(
    dev: &Device,
    q: &Buffer<T>,
    k: &Buffer<T>,
    v: &Buffer<T>,
    o: &mut Buffer<T>,
    lse: &mut Buffer<f32>,
    s: Attention,
) -> Result<()> {
    let Attention {
        batch,
        heads,
        seq,
        head_dim,
        ..
    } = s;
    let bad = |message: String| Error::BadArguments {
        kernel: "attention",
        message,
    };
    let rows = [batch, heads, seq]
        .iter()
        .try_fold(1usize, |p, &x| p.checked_mul(x));
    let elements = rows.and_then(|r| r.checked_mul(head_dim));
    if elements.is_none_or(|e| e > u32::MAX as usize) {
        return Err(Error::TooLarge {
            what: "q, k, v or o of the attention (elements)",
            value: [batch, heads, seq, head_dim]
                .iter()
                .fold(1u64, |p, &x| p.saturating_mul(x as u64)),
            limit: u32::MAX as u64,
            fix: "kernel indices are u32; run the batch in parts",
        });
    }
    let (rows, elements) = (rows.unwrap_or(0), elements.unwrap_or(0));
    if head_dim != 64 && head_dim != 128 {
        return Err(bad(format!(
            "head_dim is {head_dim}, but the kernel is built for 64 and 128; pad each head \
             with zeros to the next of those (zeros in q and k leave the scores unchanged; \
             drop the padded columns of o) and pass the scale of the real head_dim"
        )));
    }
    if !s.scale.is_finite() {
        return Err(bad(format!(
            "the scale is {}; pass a finite one (1 / sqrt(head_dim) is the usual)",
            s.scale
        )));
    }
    let buffers = [
        ("q", q.len(), elements),
        ("k", k.len(), elements),
        ("v", v.len(), elements),
        ("o", o.len(), elements),
        ("lse", lse.len(), rows),
    ];
    for (name, len, want) in buffers {
        if len != want {
            return Err(bad(format!(
                "`{name}` holds {len} elements, but batch = {batch}, heads = {heads}, seq = \
                 {seq}, head_dim = {head_dim} makes it {want}; pass buffers of the shape's sizes"
            )));
        }
    }
    if rows == 0 {
        return Ok(());
    }
    if let Some(cpu) = super::llvmpipe_or_cpu(
        dev,
        "attention",
        seq.div_ceil(2048 / head_dim),
        llvmpipe_max_blocks(head_dim),
        "run this length on the CPU backend (`Device::cpu()`, faster than lavapipe), or split \
         the keys, or turn on `Device::set_cpu_fallback`; lavapipe takes seq up to 2,096 at \
         head_dim 128 and 3,744 at 64",
    )? {
        let up = |x: &Buffer<T>| x.to_vec().and_then(|v| cpu.upload(&v));
        let (qc, kc, vc) = (up(q)?, up(k)?, up(v)?);
        let mut oc = cpu.zeros::<T>(o.len())?;
        let mut lc = cpu.zeros::<f32>(lse.len())?;
        attention(cpu, &qc, &kc, &vc, &mut oc, &mut lc, s)?;
        o.write(&oc.to_vec()?)?;
        return lse.write(&lc.to_vec()?);
    }
    let i = choose::<T>(dev, head_dim)?;
    launch(dev, i, s, q, k, v, o, lse)
}
