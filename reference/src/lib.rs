//! Independent scalar references for the built-in kernels, in `f64` where it matters: what
//! tests and `kernelforge bench` compare every backend with.

/// GELU, tanh approximation, in f64.
pub fn gelu(x: f32) -> f32 {
    let x = x as f64;
    let u = (2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x * x * x);
    (0.5 * x * (1.0 + u.tanh())) as f32
}

/// Logistic sigmoid in f64.
pub fn sigmoid(x: f32) -> f32 {
    (1.0 / (1.0 + (-(x as f64)).exp())) as f32
}

/// SiLU in f64.
pub fn silu(x: f32) -> f32 {
    let x = x as f64;
    (x / (1.0 + (-x).exp())) as f32
}

/// ReLU.
pub fn relu(x: f32) -> f32 {
    if x > 0.0 {
        x
    } else {
        0.0
    }
}

/// MurmurHash3's fmix32 of `x ^ seed`.
pub fn hash_u32(seed: u32, x: u32) -> u32 {
    let mut h = x ^ seed;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h
}

/// Deterministic inputs in `[lo, hi)`: a linear congruential sequence, so every run and every
/// backend sees the same data without a random-number dependency.
pub fn inputs(n: usize, seed: u32, lo: f32, hi: f32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(747_796_405).wrapping_add(2_891_336_453);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            lo + (hi - lo) * ((s >> 8) as f32 / (1u32 << 24) as f32)
        })
        .collect()
}

/// `n` deterministic 64-bit words from `seed`, covering all of `u64` (SplitMix64, Steele, Lea
/// and Flood 2014): the inputs of the finite-field tests and benchmarks.
pub fn words(n: usize, seed: u64) -> Vec<u64> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        })
        .collect()
}

/// Largest absolute and relative error of `got` against `want` (relative to `max(|want|, 1)`,
/// so values near zero are judged by absolute error).
pub fn errors(got: &[f32], want: &[f32]) -> (f64, f64) {
    let mut abs: f64 = 0.0;
    let mut rel: f64 = 0.0;
    if got.len() != want.len() {
        return (f64::INFINITY, f64::INFINITY);
    }
    for (&g, &w) in got.iter().zip(want) {
        let d = (g as f64 - w as f64).abs();
        let d = if d.is_nan() { f64::INFINITY } else { d };
        abs = abs.max(d);
        rel = rel.max(d / (w as f64).abs().max(1.0));
    }
    (abs, rel)
}
