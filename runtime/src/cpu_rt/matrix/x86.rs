//! The x86-64 micro-kernels and tile copies of [`super`], at AVX-512 and AVX2.

use super::{Element, Kind, Rows, Tile, DIM};
use std::arch::x86_64::*;

/// The 16 accumulator rows in 16 `zmm` registers for the whole depth.
///
/// # Safety
/// The CPU has AVX-512F; the rows of `a` and `b` are readable.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn mma_avx512(acc: &mut Tile, a: Rows, b: Rows) {
    let pc = acc.as_mut_ptr();
    let mut c = [_mm512_setzero_ps(); DIM];
    for (i, ci) in c.iter_mut().enumerate() {
        *ci = _mm512_loadu_ps(pc.add(i * DIM));
    }
    for k in 0..DIM {
        let bk = _mm512_loadu_ps(b.at(k, 0));
        for (i, ci) in c.iter_mut().enumerate() {
            *ci = _mm512_fmadd_ps(_mm512_set1_ps(*a.at(i, k)), bk, *ci);
        }
    }
    for (i, ci) in c.iter().enumerate() {
        _mm512_storeu_ps(pc.add(i * DIM), *ci);
    }
}

/// [`super::mma_pair`]: eight rows of both accumulators (16 `zmm` registers) at a time,
/// the two rows of `b0` and `b1` loaded once per depth step and each `a[i][k]` broadcast
/// once for both.
///
/// # Safety
/// The CPU has AVX-512F; the rows of `a`, `b0` and `b1` are readable.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn mma_pair_avx512(c0: &mut Tile, c1: &mut Tile, a: Rows, b0: Rows, b1: Rows) {
    let (p0, p1) = (c0.as_mut_ptr(), c1.as_mut_ptr());
    const ROWS: usize = 8;
    for r0 in (0..DIM).step_by(ROWS) {
        let mut x = [_mm512_setzero_ps(); ROWS];
        let mut y = [_mm512_setzero_ps(); ROWS];
        for i in 0..ROWS {
            x[i] = _mm512_loadu_ps(p0.add((r0 + i) * DIM));
            y[i] = _mm512_loadu_ps(p1.add((r0 + i) * DIM));
        }
        for k in 0..DIM {
            let (u, v) = (_mm512_loadu_ps(b0.at(k, 0)), _mm512_loadu_ps(b1.at(k, 0)));
            for i in 0..ROWS {
                let s = _mm512_set1_ps(*a.at(r0 + i, k));
                x[i] = _mm512_fmadd_ps(s, u, x[i]);
                y[i] = _mm512_fmadd_ps(s, v, y[i]);
            }
        }
        for i in 0..ROWS {
            _mm512_storeu_ps(p0.add((r0 + i) * DIM), x[i]);
            _mm512_storeu_ps(p1.add((r0 + i) * DIM), y[i]);
        }
    }
}

/// 16 values at `p` widened to `f32`, as [`Element::widen`] widens each (`vcvtph2ps` is
/// the F16C conversion that `half` uses; a `bf16` NaN gets its quiet bit, as `half` sets it).
///
/// # Safety
/// The CPU has AVX-512F; 16 values at `p` are readable.
#[inline(always)]
unsafe fn widen16<T: Element>(p: *const T) -> __m512 {
    match T::KIND {
        Kind::F32 => _mm512_loadu_ps(p as *const f32),
        Kind::F16 => _mm512_cvtph_ps(_mm256_loadu_si256(p as *const __m256i)),
        Kind::Bf16 => {
            let v = _mm512_cvtepu16_epi32(_mm256_loadu_si256(p as *const __m256i));
            let nan = _mm512_cmpgt_epu32_mask(
                _mm512_and_si512(v, _mm512_set1_epi32(0x7FFF)),
                _mm512_set1_epi32(0x7F80),
            );
            let v = _mm512_mask_or_epi32(v, nan, v, _mm512_set1_epi32(0x40));
            _mm512_castsi512_ps(_mm512_slli_epi32::<16>(v))
        }
    }
}

/// [`super::gather_at`] at AVX-512: each of the tile's 16 rows (columns, `col_major`)
/// loaded and widened as one vector; a column-major tile is then transposed in registers in
/// the usual four rounds of 32-bit, 64-bit and two 128-bit-lane shuffles (Intel's
/// optimization manual, "matrix transposition").
///
/// # Safety
/// The CPU has AVX-512F; every element of the tile is readable.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn gather_avx512<T: Element>(
    t: &mut Tile,
    src: *const T,
    offset: usize,
    stride: usize,
    col_major: bool,
) {
    let mut r = [_mm512_setzero_ps(); DIM];
    for (major, v) in r.iter_mut().enumerate() {
        *v = widen16(src.add(offset + major * stride));
    }
    let p = t.as_mut_ptr();
    if !col_major {
        for (i, v) in r.iter().enumerate() {
            _mm512_storeu_ps(p.add(i * DIM), *v);
        }
        return;
    }
    // Within each 128-bit lane L: rows 4b..4b+3 of columns 4L + c in `u[4b + c]`.
    let mut x = [_mm512_setzero_ps(); DIM];
    for i in 0..DIM / 2 {
        x[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        x[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    let pd = _mm512_castps_pd;
    let mut u = [_mm512_setzero_ps(); DIM];
    for b in 0..DIM / 4 {
        let (t0, t1, t2, t3) = (x[4 * b], x[4 * b + 1], x[4 * b + 2], x[4 * b + 3]);
        u[4 * b] = _mm512_castpd_ps(_mm512_unpacklo_pd(pd(t0), pd(t2)));
        u[4 * b + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(pd(t0), pd(t2)));
        u[4 * b + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(pd(t1), pd(t3)));
        u[4 * b + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(pd(t1), pd(t3)));
    }
    // Row 4L + c of the tile is lane L of u[c], u[4 + c], u[8 + c], u[12 + c].
    for c in 0..4 {
        let (a, b, e, d) = (u[c], u[4 + c], u[8 + c], u[12 + c]);
        let (v0, v1) = (
            _mm512_shuffle_f32x4::<0x44>(a, b),
            _mm512_shuffle_f32x4::<0xEE>(a, b),
        );
        let (w0, w1) = (
            _mm512_shuffle_f32x4::<0x44>(e, d),
            _mm512_shuffle_f32x4::<0xEE>(e, d),
        );
        _mm512_storeu_ps(p.add(c * DIM), _mm512_shuffle_f32x4::<0x88>(v0, w0));
        _mm512_storeu_ps(p.add((4 + c) * DIM), _mm512_shuffle_f32x4::<0xDD>(v0, w0));
        _mm512_storeu_ps(p.add((8 + c) * DIM), _mm512_shuffle_f32x4::<0x88>(v1, w1));
        _mm512_storeu_ps(p.add((12 + c) * DIM), _mm512_shuffle_f32x4::<0xDD>(v1, w1));
    }
}

/// 8 values at `p` widened to `f32`, as [`widen16`] widens 16.
///
/// # Safety
/// The CPU has AVX2 and F16C; 8 values at `p` are readable.
#[inline(always)]
unsafe fn widen8<T: Element>(p: *const T) -> __m256 {
    match T::KIND {
        Kind::F32 => _mm256_loadu_ps(p as *const f32),
        Kind::F16 => _mm256_cvtph_ps(_mm_loadu_si128(p as *const __m128i)),
        Kind::Bf16 => {
            let v = _mm256_cvtepu16_epi32(_mm_loadu_si128(p as *const __m128i));
            let nan = _mm256_cmpgt_epi32(
                _mm256_and_si256(v, _mm256_set1_epi32(0x7FFF)),
                _mm256_set1_epi32(0x7F80),
            );
            let v = _mm256_or_si256(v, _mm256_and_si256(nan, _mm256_set1_epi32(0x40)));
            _mm256_castsi256_ps(_mm256_slli_epi32::<16>(v))
        }
    }
}

/// [`super::gather_at`] at AVX2: half rows (columns) of 8 values, widened as vectors; a
/// column-major tile is transposed as four 8 x 8 blocks, each in 8 `ymm` registers with
/// the usual 32-bit, 64-bit and 128-bit-lane shuffles.
///
/// # Safety
/// The CPU has AVX2 and F16C; every element of the tile is readable.
#[target_feature(enable = "avx2,f16c")]
pub(super) unsafe fn gather_avx2<T: Element>(
    t: &mut Tile,
    src: *const T,
    offset: usize,
    stride: usize,
    col_major: bool,
) {
    let p = t.as_mut_ptr();
    let at = |major: usize, minor: usize| src.add(offset + major * stride + minor);
    if !col_major {
        for i in 0..DIM {
            _mm256_storeu_ps(p.add(i * DIM), widen8(at(i, 0)));
            _mm256_storeu_ps(p.add(i * DIM + 8), widen8(at(i, 8)));
        }
        return;
    }
    // Block (R, C): columns 8R.. (majors) and rows 8C.. (minors) of the tile in memory,
    // which go to rows 8C.. and columns 8R.. of `t`.
    for r0 in [0, 8] {
        for c0 in [0, 8] {
            let mut r = [_mm256_setzero_ps(); 8];
            for (i, v) in r.iter_mut().enumerate() {
                *v = widen8(at(r0 + i, c0));
            }
            let mut x = [_mm256_setzero_ps(); 8];
            for i in 0..4 {
                x[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
                x[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
            }
            // Within each 128-bit lane: y[4h + c] holds column c of majors 4h..4h+3.
            let mut y = [_mm256_setzero_ps(); 8];
            for h in 0..2 {
                let (t0, t1, t2, t3) = (x[4 * h], x[4 * h + 1], x[4 * h + 2], x[4 * h + 3]);
                y[4 * h] = _mm256_shuffle_ps::<0x44>(t0, t2);
                y[4 * h + 1] = _mm256_shuffle_ps::<0xEE>(t0, t2);
                y[4 * h + 2] = _mm256_shuffle_ps::<0x44>(t1, t3);
                y[4 * h + 3] = _mm256_shuffle_ps::<0xEE>(t1, t3);
            }
            for c in 0..4 {
                let (lo, hi) = (y[c], y[4 + c]);
                let row = |j: usize| p.add((c0 + j) * DIM + r0);
                _mm256_storeu_ps(row(c), _mm256_permute2f128_ps::<0x20>(lo, hi));
                _mm256_storeu_ps(row(4 + c), _mm256_permute2f128_ps::<0x31>(lo, hi));
            }
        }
    }
}

/// Four 8 x 8 blocks, each in 8 `ymm` registers (AVX2 has 16: the whole 16 x 16 would
/// spill).
///
/// # Safety
/// The CPU has AVX2 and FMA; the rows of `a` and `b` are readable.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn mma_avx2(acc: &mut Tile, a: Rows, b: Rows) {
    let pc = acc.as_mut_ptr();
    for r0 in [0, 8] {
        for c0 in [0, 8] {
            let mut c = [_mm256_setzero_ps(); 8];
            for (i, ci) in c.iter_mut().enumerate() {
                *ci = _mm256_loadu_ps(pc.add((r0 + i) * DIM + c0));
            }
            for k in 0..DIM {
                let bk = _mm256_loadu_ps(b.at(k, c0));
                for (i, ci) in c.iter_mut().enumerate() {
                    let aik = _mm256_set1_ps(*a.at(r0 + i, k));
                    *ci = _mm256_fmadd_ps(aik, bk, *ci);
                }
            }
            for (i, ci) in c.iter().enumerate() {
                _mm256_storeu_ps(pc.add((r0 + i) * DIM + c0), *ci);
            }
        }
    }
}
