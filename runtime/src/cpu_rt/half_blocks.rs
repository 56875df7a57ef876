//! Block conversions between `f16` slices and `f32` buffers, with the CPU's conversion
//! instructions (`vcvtph2ps`/`vcvtps2ph`: 16 elements an instruction under AVX-512, 8 under
//! F16C) where it has them. (The AVX-512 intrinsics are why the MSRV is 1.89: with the 8-wide
//! forms only, an f16 `saxpy` ran at 0.67-0.79x of the f32 kernel's GB/s instead of ~0.9x.)
//!
//! Why: stable Rust has no `f16` type that LLVM could vectorise a conversion of, so the
//! branch-free conversions of `halves.rs` cost about a dozen vector operations an element, and
//! an f16 `saxpy` was compute-bound at under half the f32 kernel's GB/s. The CPU back end stages
//! the f16 slices of an elementwise kernel through `f32` buffers of [`BLOCK`] elements (see
//! `codegen/src/back/cpu/stage.rs`): one call here per block and slice, the kernel's arithmetic
//! on the buffers in between.
//!
//! Results are bit-identical with `halves.rs` (and so with `half`): both instructions round to
//! nearest even (the immediate selects it, whatever MXCSR says), keep subnormals, overflow to
//! infinity and make a NaN quiet keeping the top of its payload. Checked below over every `f16`
//! and a sweep of `f32`s, at every level the CPU running the tests has.

use super::halves::{f16_bits, f16_to_f32};
use super::{f16, SimdLevel, SliceView};

/// Elements per staged block: 1 KiB of `f32` per slice, so that a kernel's buffers stay in L1.
pub const BLOCK: usize = 128;

/// Widens elements `at..at + dst.len()` of `src` into `dst`.
///
/// Inlined, so that in the generated code's copy for `level` (a constant there) the
/// conversion instructions are inlined too: no call per block.
///
/// # Safety
/// `at + dst.len() <= src.len()`, and `level` is one this CPU has.
#[inline(always)]
pub unsafe fn widen_f16(level: SimdLevel, src: SliceView<f16>, at: u32, dst: &mut [f32]) {
    widen_at(level, src.as_ptr().add(at as usize) as *const u16, dst);
}

/// Rounds `src` to `f16` into elements `at..at + src.len()` of `dst`.
///
/// # Safety
/// `at + src.len() <= dst.len()`, `dst` is a `&mut` parameter, and `level` is one this CPU
/// has.
#[inline(always)]
pub unsafe fn narrow_f16(level: SimdLevel, src: &[f32], dst: SliceView<f16>, at: u32) {
    narrow_at(level, src, dst.as_ptr().add(at as usize) as *mut u16);
}

/// # Safety
/// `p` is valid for reads of `dst.len()` elements, and `level` is one this CPU has.
#[inline(always)]
unsafe fn widen_at(level: SimdLevel, p: *const u16, dst: &mut [f32]) {
    let done = match level {
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx512 => x86::widen_avx512(p, dst),
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx2 => x86::widen_f16c(p, dst),
        _ => 0,
    };
    for (k, d) in dst.iter_mut().enumerate().skip(done) {
        *d = f16_to_f32(p.add(k).read());
    }
}

/// # Safety
/// `p` is valid for writes of `src.len()` elements, and `level` is one this CPU has.
#[inline(always)]
unsafe fn narrow_at(level: SimdLevel, src: &[f32], p: *mut u16) {
    let done = match level {
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx512 => x86::narrow_avx512(src, p),
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx2 => x86::narrow_f16c(src, p),
        _ => 0,
    };
    for (k, s) in src.iter().enumerate().skip(done) {
        p.add(k).write(f16_bits(*s));
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// Round to nearest even whatever MXCSR's rounding mode (F16C's immediate has no
    /// exception-suppression bit; AVX-512's also suppresses exceptions, as Rust's `as` does).
    const RNE: i32 = _MM_FROUND_TO_NEAREST_INT;
    const RNE_SAE: i32 = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;

    /// Widens whole vectors of 16; returns how many elements it converted.
    #[target_feature(enable = "avx512f")]
    #[inline]
    pub(super) unsafe fn widen_avx512(p: *const u16, dst: &mut [f32]) -> usize {
        let n = dst.len() / 16 * 16;
        for k in (0..n).step_by(16) {
            let h = _mm256_loadu_si256(p.add(k) as *const __m256i);
            _mm512_storeu_ps(dst.as_mut_ptr().add(k), _mm512_cvtph_ps(h));
        }
        n
    }

    /// Narrows whole vectors of 16; returns how many elements it converted.
    #[target_feature(enable = "avx512f")]
    #[inline]
    pub(super) unsafe fn narrow_avx512(src: &[f32], p: *mut u16) -> usize {
        let n = src.len() / 16 * 16;
        for k in (0..n).step_by(16) {
            let v = _mm512_loadu_ps(src.as_ptr().add(k));
            _mm256_storeu_si256(p.add(k) as *mut __m256i, _mm512_cvtps_ph::<RNE_SAE>(v));
        }
        n
    }

    /// Widens whole vectors of 8; returns how many elements it converted.
    #[target_feature(enable = "avx,f16c")]
    #[inline]
    pub(super) unsafe fn widen_f16c(p: *const u16, dst: &mut [f32]) -> usize {
        let n = dst.len() / 8 * 8;
        for k in (0..n).step_by(8) {
            let h = _mm_loadu_si128(p.add(k) as *const __m128i);
            _mm256_storeu_ps(dst.as_mut_ptr().add(k), _mm256_cvtph_ps(h));
        }
        n
    }

    /// Narrows whole vectors of 8; returns how many elements it converted.
    #[target_feature(enable = "avx,f16c")]
    #[inline]
    pub(super) unsafe fn narrow_f16c(src: &[f32], p: *mut u16) -> usize {
        let n = src.len() / 8 * 8;
        for k in (0..n).step_by(8) {
            let v = _mm256_loadu_ps(src.as_ptr().add(k));
            _mm_storeu_si128(p.add(k) as *mut __m128i, _mm256_cvtps_ph::<RNE>(v));
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The levels this CPU has, each to be checked against the branch-free conversions.
    fn levels() -> Vec<SimdLevel> {
        let best = super::super::detect_simd();
        [SimdLevel::Baseline, SimdLevel::Avx2, SimdLevel::Avx512]
            .into_iter()
            .filter(|l| *l <= best)
            .collect()
    }

    #[test]
    fn every_f16_widens_as_halves_does() {
        // 65,536 + 5 elements: whole vectors and a tail.
        let src: Vec<u16> = (0..=u16::MAX).chain(0..5).collect();
        for level in levels() {
            let mut dst = vec![0f32; src.len()];
            unsafe { widen_at(level, src.as_ptr(), &mut dst) };
            for (h, d) in src.iter().zip(&dst) {
                let want = f16_to_f32(*h);
                assert_eq!(d.to_bits(), want.to_bits(), "{level:?} {h:#06x}");
            }
        }
    }

    #[test]
    fn f32s_narrow_as_halves_does() {
        // Low bits at and around f16's rounding point over a third of the high bits (signs,
        // exponents from subnormal to NaN), then a pseudo-random sweep; a length that leaves a
        // tail.
        let lows = [0u32, 1, 0xfff, 0x1000, 0x1001, 0x1fff, 0x2000, 0x2001];
        let mut src: Vec<f32> = (0..1u32 << 19)
            .step_by(3)
            .flat_map(|high| lows.map(|low| f32::from_bits((high << 13) ^ low)))
            .collect();
        let mut r = 0x9e37_79b9u32;
        for _ in 0..100_003 {
            r ^= r << 13;
            r ^= r >> 17;
            r ^= r << 5;
            src.push(f32::from_bits(r));
        }
        for level in levels() {
            let mut dst = vec![0u16; src.len()];
            unsafe { narrow_at(level, &src, dst.as_mut_ptr()) };
            for (s, d) in src.iter().zip(&dst) {
                assert_eq!(*d, f16_bits(*s), "{level:?} {:#010x}", s.to_bits());
            }
        }
    }
}
