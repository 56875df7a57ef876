//! Histograms with atomics. Each workgroup counts its share of `x` into a histogram in
//! workgroup memory with shared atomics, then adds its non-zero counts to the result with one
//! global atomic per bin (NVIDIA, "GPU Pro Tip: Fast Histograms Using Shared Atomics on
//! Maxwell", 2015); histograms of more than 1024 bins count with global atomics directly.
//! [`crate::histogram::histc`] launches it.
//!
//! A workgroup's share is a contiguous block of `x` (the blocks as equal as can be), which its
//! invocations read 256 elements apart. Consecutive invocations read consecutive elements, so
//! a GPU's loads coalesce as in the blog's grid-stride loop; where a workgroup runs on one core
//! (the CPU backend, lavapipe) it streams one block, where a grid-stride loop read 256 elements
//! of every `256 * groups`, a new page each time: the CPU kernel ran at 0.75-0.89x of its rayon
//! peer at 16M elements.

use kernelforge::prelude::*;

/// Where block `g` of `n` elements split into `num_groups().x` contiguous blocks begins; block
/// `g` ends where `g + 1` begins. The first `n % groups` blocks have one element more. No
/// intermediate value exceeds `n`.
#[kernel_fn]
pub fn block_start(n: u32, g: u32) -> u32 {
    let groups = num_groups().x;
    g * (n / groups) + min(g, n % groups)
}

/// Adds to `bins[b]` the number of elements of `x` in bin `b` of `bins.len()` equal-width bins
/// over `[lo, hi]`, as `torch.histc`: `v` goes to bin `floor((v - lo) * (bins.len() / (hi -
/// lo)))`, `v == hi` to the last bin; values outside `[lo, hi]` and NaN are not counted. Needs
/// `hi > lo`. `bins` accumulates: zero it first.
#[compute_kernel(workgroup_size = 256)]
pub fn histogram(lo: f32, hi: f32, x: &[f32], bins: &[AtomicU32]) {
    const LOCAL_BINS: u32 = 1024;
    let nbins = bins.len();
    if nbins == 0 {
        return;
    }
    let lid = local_id().x;
    let scale = nbins as f32 / (hi - lo);
    let g = group_id().x;
    let (first, end) = (block_start(x.len(), g), block_start(x.len(), g + 1));
    if nbins <= LOCAL_BINS {
        let counts = shared_array::<AtomicU32, LOCAL_BINS>();
        for b in (lid..nbins).step_by(256) {
            counts[b].store(0, Relaxed);
        }
        workgroup_barrier();
        for i in (first + lid..end).step_by(256) {
            let v = x[i];
            if v >= lo && v <= hi {
                counts[min(((v - lo) * scale) as u32, nbins - 1)].fetch_add(1, Relaxed);
            }
        }
        workgroup_barrier();
        for b in (lid..nbins).step_by(256) {
            let c = counts[b].load(Relaxed);
            if c > 0 {
                bins[b].fetch_add(c, Relaxed);
            }
        }
    } else {
        for i in (first + lid..end).step_by(256) {
            let v = x[i];
            if v >= lo && v <= hi {
                bins[min(((v - lo) * scale) as u32, nbins - 1)].fetch_add(1, Relaxed);
            }
        }
    }
}

/// Adds to `bins[b]` the weights `w[i]` of the elements `x[i]` in bin `b`, the binning of
/// [`histogram`] (`torch.histc` with weights, or an embedding's gradient rows). Float atomics:
/// each workgroup sums into workgroup memory, then adds each non-zero bin to `bins` once.
/// Summation order varies between runs (the README's `AtomicF32`); integer-valued weights
/// sum exactly while the totals stay below 2^24. `w` is as long as `x`; `bins` accumulates.
#[compute_kernel(workgroup_size = 256)]
pub fn weighted_histogram(lo: f32, hi: f32, x: &[f32], w: &[f32], bins: &[AtomicF32]) {
    const LOCAL_BINS: u32 = 1024;
    let nbins = bins.len();
    if nbins == 0 {
        return;
    }
    let lid = local_id().x;
    let scale = nbins as f32 / (hi - lo);
    let g = group_id().x;
    let (first, end) = (block_start(x.len(), g), block_start(x.len(), g + 1));
    if nbins <= LOCAL_BINS {
        let sums = shared_array::<AtomicF32, LOCAL_BINS>();
        for b in (lid..nbins).step_by(256) {
            sums[b].store(0.0, Relaxed);
        }
        workgroup_barrier();
        for i in (first + lid..end).step_by(256) {
            let v = x[i];
            if v >= lo && v <= hi {
                sums[min(((v - lo) * scale) as u32, nbins - 1)].fetch_add(w[i], Relaxed);
            }
        }
        workgroup_barrier();
        for b in (lid..nbins).step_by(256) {
            let s = sums[b].load(Relaxed);
            if s != 0.0 {
                bins[b].fetch_add(s, Relaxed);
            }
        }
    } else {
        for i in (first + lid..end).step_by(256) {
            let v = x[i];
            if v >= lo && v <= hi {
                bins[min(((v - lo) * scale) as u32, nbins - 1)].fetch_add(w[i], Relaxed);
            }
        }
    }
}
