//! Matrix tiles on the CPU: the run-time half of `back/cpu/matrix.rs`.
//!
//! A fragment is a [`Tile`], 16 x 16 `f32` values in row-major order, one per subgroup: the
//! CPU runs a subgroup's matrix operation once, for all its lanes. A and B fragments are
//! widened to `f32` when loaded (exactly: `f16` and `bf16` are subsets of `f32`), so that
//! [`mma`] is one `f32` micro-kernel for every element type, its products exact and each of
//! its 256 sums accumulated with fused multiply-adds in order of depth, bit for bit the same at
//! every instruction level.
//!
//! Loads and stores check bounds once per tile: element `(r, c)` is at `offset + r * stride +
//! c` (row-major) or `offset + c * stride + r` (column-major), computed without wrapping, so
//! every index is at most `offset + 15 * stride + 15`; when that is in bounds the copy runs
//! unchecked, and otherwise the first element out of bounds (in row order) is the fault.

use super::{Fault, SimdLevel, SliceView};
use half::{bf16, f16};

/// Elements per side of a fragment.
pub const DIM: usize = 16;

/// A fragment: `DIM x DIM` values, row-major.
pub type Tile = [f32; DIM * DIM];

/// An element type a fragment can be loaded from.
pub trait Element: Copy {
    /// Which type it is, for the vector copies that widen 16 values at a time.
    const KIND: Kind;

    /// The value as `f32` (exact for every implementor).
    fn widen(self) -> f32;
}

/// The element types of [`Element`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `f32`.
    F32,
    /// `f16`.
    F16,
    /// `bf16`.
    Bf16,
}

impl Element for f32 {
    const KIND: Kind = Kind::F32;

    #[inline(always)]
    fn widen(self) -> f32 {
        self
    }
}

impl Element for f16 {
    const KIND: Kind = Kind::F16;

    #[inline(always)]
    fn widen(self) -> f32 {
        self.to_f32()
    }
}

impl Element for bf16 {
    const KIND: Kind = Kind::Bf16;

    #[inline(always)]
    fn widen(self) -> f32 {
        self.to_f32()
    }
}

/// The memory index of element `e` (`r * 16 + c`) of a tile at `offset` with rows (columns,
/// `col_major`) `stride` apart, as a `u64`, so that it never wraps.
#[inline(always)]
pub fn index64(offset: u32, stride: u32, col_major: bool, e: usize) -> u64 {
    let (r, c) = ((e / DIM) as u64, (e % DIM) as u64);
    let (major, minor) = if col_major { (c, r) } else { (r, c) };
    offset as u64 + major * stride as u64 + minor
}

/// [`index64`] as the `u32` of a fault or a race report (saturated: past `u32::MAX` it is out
/// of bounds of every slice anyway).
#[inline(always)]
pub fn index(offset: u32, stride: u32, col_major: bool, e: usize) -> u32 {
    index64(offset, stride, col_major, e).min(u32::MAX as u64) as u32
}

/// The tile element at memory position (`major`, `minor`): row and column, or column and row.
#[inline(always)]
fn place(col_major: bool, major: usize, minor: usize) -> usize {
    if col_major {
        minor * DIM + major
    } else {
        major * DIM + minor
    }
}

/// Copies the tile at `src + offset`, rows (columns, `COL`) `stride` apart, into `t`: in
/// memory order, each run of 16 contiguous, so a vector copy or a transpose. The layout is a
/// constant here, so that the copy vectorises even where the kernel chooses it at run time
/// (`Layout::col_major_if`).
///
/// # Safety
/// Every element of the tile is readable.
#[inline(always)]
unsafe fn gather<T: Element, const COL: bool>(
    t: &mut Tile,
    src: *const T,
    offset: usize,
    stride: usize,
) {
    for major in 0..DIM {
        let base = offset + major * stride;
        for minor in 0..DIM {
            t[place(COL, major, minor)] = src.add(base + minor).read().widen();
        }
    }
}

/// Copies `t` to the tile at `dst + offset`, as [`gather`] reads one.
///
/// # Safety
/// Every element of the tile is writable.
#[inline(always)]
unsafe fn scatter<const COL: bool>(t: &Tile, dst: *mut f32, offset: usize, stride: usize) {
    for major in 0..DIM {
        let base = offset + major * stride;
        for minor in 0..DIM {
            dst.add(base + minor).write(t[place(COL, major, minor)]);
        }
    }
}

/// [`gather`] with the layout chosen by `col_major`, once per tile, at the CPU's level.
///
/// # Safety
/// As for [`gather`].
#[inline(always)]
unsafe fn gather_tile<T: Element>(
    t: &mut Tile,
    src: *const T,
    offset: u32,
    stride: u32,
    col_major: bool,
) {
    gather_at(super::simd_level(), t, src, offset, stride, col_major)
}

/// [`gather_tile`] at `level`: at AVX-512 and AVX2 a half-type tile, or a column-major one, is
/// copied a row (column) at a time as vectors, the halves widened in one instruction, a
/// column-major tile then transposed in registers (`x86::gather_avx512`, `x86::gather_avx2`);
/// the scalar copy moves the 256 values one by one (`linear`'s weight and `attention_tiles`'
/// keys are column-major). A row-major `f32` tile is 16 row copies, which LLVM already writes
/// as vector moves. Every level gives the same bits.
///
/// # Safety
/// As for [`gather`]; `level` is at most the CPU's.
#[inline(always)]
unsafe fn gather_at<T: Element>(
    level: SimdLevel,
    t: &mut Tile,
    src: *const T,
    offset: u32,
    stride: u32,
    col_major: bool,
) {
    let (o, s) = (offset as usize, stride as usize);
    #[cfg(target_arch = "x86_64")]
    if col_major || T::KIND != Kind::F32 {
        match level {
            SimdLevel::Avx512 => return x86::gather_avx512(t, src, o, s, col_major),
            SimdLevel::Avx2 => return x86::gather_avx2(t, src, o, s, col_major),
            SimdLevel::Baseline => {}
        }
    }
    let _ = level;
    if col_major {
        gather::<T, true>(t, src, o, s)
    } else {
        gather::<T, false>(t, src, o, s)
    }
}

/// [`scatter`] with the layout chosen by `col_major`, once per tile.
///
/// # Safety
/// As for [`scatter`].
#[inline(always)]
unsafe fn scatter_tile(t: &Tile, dst: *mut f32, offset: u32, stride: u32, col_major: bool) {
    let (o, s) = (offset as usize, stride as usize);
    if col_major {
        scatter::<true>(t, dst, o, s)
    } else {
        scatter::<false>(t, dst, o, s)
    }
}

/// Whether every element of the tile lies below `len`.
#[inline(always)]
fn in_bounds(offset: u32, stride: u32, len: usize) -> bool {
    (offset as u64 + (DIM as u64 - 1) * (stride as u64 + 1)) < len as u64
}

/// Sets every element of `t` to `v`.
#[inline(always)]
pub fn fill(t: &mut Tile, v: f32) {
    *t = [v; DIM * DIM];
}

/// Loads `t` from a slice parameter, or faults at the first element out of bounds.
#[inline(always)]
pub fn load_slice<T: Element>(
    t: &mut Tile,
    src: SliceView<T>,
    offset: u32,
    stride: u32,
    col_major: bool,
) -> Result<(), Fault> {
    if in_bounds(offset, stride, src.len()) {
        // SAFETY: every index of the tile is below `len`, checked above.
        unsafe { gather_tile(t, src.as_ptr() as *const T, offset, stride, col_major) };
        return Ok(());
    }
    for (e, v) in t.iter_mut().enumerate() {
        *v = src.load(index(offset, stride, col_major, e))?.widen();
    }
    Ok(())
}

/// Loads `t` from a workgroup array named `name`, or faults at the first element out of
/// bounds.
#[inline(always)]
pub fn load_array<T: Element>(
    t: &mut Tile,
    src: &[T],
    offset: u32,
    stride: u32,
    col_major: bool,
    name: &'static str,
) -> Result<(), Fault> {
    if in_bounds(offset, stride, src.len()) {
        // SAFETY: as in `load_slice`.
        unsafe { gather_tile(t, src.as_ptr(), offset, stride, col_major) };
        return Ok(());
    }
    for (e, v) in t.iter_mut().enumerate() {
        *v = super::load_at(src, index(offset, stride, col_major, e), name)?.widen();
    }
    Ok(())
}

/// Stores `t` to a `&mut [f32]` slice parameter, or faults at the first element out of
/// bounds (the elements before it are written, as on a GPU that stops there).
#[inline(always)]
pub fn store_slice(
    t: &Tile,
    dst: SliceView<f32>,
    offset: u32,
    stride: u32,
    col_major: bool,
) -> Result<(), Fault> {
    if in_bounds(offset, stride, dst.len()) {
        // SAFETY: in bounds (checked above) of a `&mut` parameter (the front end allows
        // stores only to those).
        unsafe { scatter_tile(t, dst.as_ptr(), offset, stride, col_major) };
        return Ok(());
    }
    for (e, &v) in t.iter().enumerate() {
        dst.store(index(offset, stride, col_major, e), v)?;
    }
    Ok(())
}

/// Stores `t` to an `f32` workgroup array named `name`, or faults as [`store_slice`] does.
#[inline(always)]
pub fn store_array(
    t: &Tile,
    dst: &mut [f32],
    offset: u32,
    stride: u32,
    col_major: bool,
    name: &'static str,
) -> Result<(), Fault> {
    if in_bounds(offset, stride, dst.len()) {
        // SAFETY: in bounds, checked above.
        unsafe { scatter_tile(t, dst.as_mut_ptr(), offset, stride, col_major) };
        return Ok(());
    }
    for (e, &v) in t.iter().enumerate() {
        super::store_at(dst, index(offset, stride, col_major, e), v, name)?;
    }
    Ok(())
}

/// Row `r` of `t` times `x[r]`.
#[inline(always)]
fn scale_rows(t: &mut Tile, x: &[f32; DIM]) {
    for (row, &f) in t.chunks_exact_mut(DIM).zip(x) {
        for v in row {
            *v *= f;
        }
    }
}

/// The index of row `r`'s factor: `offset + r`, saturated (past `u32::MAX` it is out of
/// bounds of every slice anyway).
#[inline(always)]
fn factor_index(offset: u32, r: usize) -> u32 {
    offset.saturating_add(r as u32)
}

/// Multiplies row `r` of `t` by `src[offset + r]`, for an `f32` slice parameter, or faults at
/// the first factor out of bounds (leaving `t` as it was).
#[inline(always)]
pub fn scale_rows_slice(t: &mut Tile, src: SliceView<f32>, offset: u32) -> Result<(), Fault> {
    let mut x = [0.0f32; DIM];
    for (r, v) in x.iter_mut().enumerate() {
        *v = src.load(factor_index(offset, r))?;
    }
    scale_rows(t, &x);
    Ok(())
}

/// Multiplies row `r` of `t` by `src[offset + r]`, for an `f32` workgroup array named `name`,
/// or faults as [`scale_rows_slice`] does.
#[inline(always)]
pub fn scale_rows_array(
    t: &mut Tile,
    src: &[f32],
    offset: u32,
    name: &'static str,
) -> Result<(), Fault> {
    let mut x = [0.0f32; DIM];
    for (r, v) in x.iter_mut().enumerate() {
        *v = super::load_at(src, factor_index(offset, r), name)?;
    }
    scale_rows(t, &x);
    Ok(())
}

/// `acc += a * b` for 16 x 16 tiles: `acc[i][j] = fma(a[i][k], b[k][j], acc[i][j])` for `k`
/// from 0 to 15. At `level` AVX-512 and AVX2 it is a register-blocked micro-kernel (the
/// accumulator rows in vector registers, a row of `b` loaded once per depth step and each
/// `a[i][k]` broadcast, as in BLIS's micro-kernels); the results are the same at every level.
#[inline(always)]
pub fn mma(level: SimdLevel, acc: &mut Tile, a: &Tile, b: &Tile) {
    #[cfg(target_arch = "x86_64")]
    match level {
        // SAFETY: the level was detected on this CPU (`simd_level`).
        SimdLevel::Avx512 => return unsafe { x86::mma_avx512(acc, a, b) },
        SimdLevel::Avx2 => return unsafe { x86::mma_avx2(acc, a, b) },
        SimdLevel::Baseline => {}
    }
    let _ = level;
    mma_portable(acc, a, b)
}

/// `c0 += a * b0` and then `c1 += a * b1`, two [`mma`]s that share their left operand (a warp's
/// row of accumulators), with each result bit for bit [`mma`]'s. At AVX-512 the two run as one
/// 16 x 32 product: each broadcast `a[i][k]` feeds two fused multiply-adds, so a depth step of
/// eight rows loads ten values for sixteen of them where [`mma`] loads seventeen for sixteen
/// (BLIS's micro-kernels are shaped so: a wider register block per broadcast). On this project's
/// 2-core Xeon the pair runs 1.2-1.4x faster than the two `mma`s (docs/benchmarks.md).
#[inline(always)]
pub fn mma_pair(level: SimdLevel, c0: &mut Tile, c1: &mut Tile, a: &Tile, b0: &Tile, b1: &Tile) {
    #[cfg(target_arch = "x86_64")]
    if level == SimdLevel::Avx512 {
        // SAFETY: the level was detected on this CPU (`simd_level`).
        return unsafe { x86::mma_pair_avx512(c0, c1, a, b0, b1) };
    }
    mma(level, c0, a, b0);
    mma(level, c1, a, b1);
}

/// [`mma`] in plain Rust.
pub fn mma_portable(acc: &mut Tile, a: &Tile, b: &Tile) {
    for i in 0..DIM {
        for k in 0..DIM {
            let aik = a[i * DIM + k];
            for j in 0..DIM {
                acc[i * DIM + j] = aik.mul_add(b[k * DIM + j], acc[i * DIM + j]);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{Element, Kind, Tile, DIM};
    use std::arch::x86_64::*;

    /// The 16 accumulator rows in 16 `zmm` registers for the whole depth.
    ///
    /// # Safety
    /// The CPU has AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn mma_avx512(acc: &mut Tile, a: &Tile, b: &Tile) {
        let (pa, pb, pc) = (a.as_ptr(), b.as_ptr(), acc.as_mut_ptr());
        let mut c = [_mm512_setzero_ps(); DIM];
        for (i, ci) in c.iter_mut().enumerate() {
            *ci = _mm512_loadu_ps(pc.add(i * DIM));
        }
        for k in 0..DIM {
            let bk = _mm512_loadu_ps(pb.add(k * DIM));
            for (i, ci) in c.iter_mut().enumerate() {
                *ci = _mm512_fmadd_ps(_mm512_set1_ps(*pa.add(i * DIM + k)), bk, *ci);
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
    /// The CPU has AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn mma_pair_avx512(
        c0: &mut Tile,
        c1: &mut Tile,
        a: &Tile,
        b0: &Tile,
        b1: &Tile,
    ) {
        let (pa, pb0, pb1) = (a.as_ptr(), b0.as_ptr(), b1.as_ptr());
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
                let (u, v) = (
                    _mm512_loadu_ps(pb0.add(k * DIM)),
                    _mm512_loadu_ps(pb1.add(k * DIM)),
                );
                for i in 0..ROWS {
                    let s = _mm512_set1_ps(*pa.add((r0 + i) * DIM + k));
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
    /// The CPU has AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn mma_avx2(acc: &mut Tile, a: &Tile, b: &Tile) {
        let (pa, pb, pc) = (a.as_ptr(), b.as_ptr(), acc.as_mut_ptr());
        for r0 in [0, 8] {
            for c0 in [0, 8] {
                let mut c = [_mm256_setzero_ps(); 8];
                for (i, ci) in c.iter_mut().enumerate() {
                    *ci = _mm256_loadu_ps(pc.add((r0 + i) * DIM + c0));
                }
                for k in 0..DIM {
                    let bk = _mm256_loadu_ps(pb.add(k * DIM + c0));
                    for (i, ci) in c.iter_mut().enumerate() {
                        let aik = _mm256_set1_ps(*pa.add((r0 + i) * DIM + k));
                        *ci = _mm256_fmadd_ps(aik, bk, *ci);
                    }
                }
                for (i, ci) in c.iter().enumerate() {
                    _mm256_storeu_ps(pc.add((r0 + i) * DIM + c0), *ci);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiles() -> (Tile, Tile, Tile) {
        let f = |s: u32| -> Tile {
            std::array::from_fn(|i| {
                let x = (i as u32).wrapping_mul(2654435761).wrapping_add(s) >> 8;
                (x % 2001) as f32 / 1000.0 - 1.0 + 1.0 / 3.0
            })
        };
        (f(1), f(2), f(3))
    }

    /// Every level gives the portable kernel's bits, which are the definition's.
    #[test]
    fn every_level_agrees_bit_for_bit() {
        let (a, b, c0) = tiles();
        let mut want = c0;
        mma_portable(&mut want, &a, &b);
        for level in [SimdLevel::Baseline, SimdLevel::Avx2, SimdLevel::Avx512] {
            if level > super::super::detect_simd() {
                continue;
            }
            let mut got = c0;
            mma(level, &mut got, &a, &b);
            let same = got
                .iter()
                .zip(&want)
                .all(|(x, y)| x.to_bits() == y.to_bits());
            assert!(same, "{level:?} differs from the portable micro-kernel");
        }
        // And the portable kernel is the fused sum in order of depth.
        let (i, j) = (5, 11);
        let mut s = c0[i * DIM + j];
        for k in 0..DIM {
            s = a[i * DIM + k].mul_add(b[k * DIM + j], s);
        }
        assert_eq!(s.to_bits(), want[i * DIM + j].to_bits());
    }

    /// The pair is two `mma`s, bit for bit, at every level.
    #[test]
    fn a_pair_is_two_products() {
        let (a, b0, c0) = tiles();
        let (_, b1, c1) = tiles();
        let b1: Tile = std::array::from_fn(|i| b1[255 - i] * 0.75);
        let (mut w0, mut w1) = (c0, c1);
        mma_portable(&mut w0, &a, &b0);
        mma_portable(&mut w1, &a, &b1);
        for level in [SimdLevel::Baseline, SimdLevel::Avx2, SimdLevel::Avx512] {
            if level > super::super::detect_simd() {
                continue;
            }
            let (mut g0, mut g1) = (c0, c1);
            mma_pair(level, &mut g0, &mut g1, &a, &b0, &b1);
            let same =
                |g: &Tile, w: &Tile| g.iter().zip(w).all(|(x, y)| x.to_bits() == y.to_bits());
            assert!(
                same(&g0, &w0) && same(&g1, &w1),
                "{level:?}: the pair differs"
            );
        }
    }

    /// Every tile copy (the vector copies at AVX-512 and AVX2) holds what widening element by
    /// element gives, bit for bit, in both layouts and each element type, NaNs and subnormals
    /// included.
    #[test]
    fn tiles_hold_their_elements_widened() {
        fn check<T: Element + std::fmt::Debug>(of: impl Fn(u16) -> T) {
            let stride = 37u32;
            let src: Vec<T> = (0..stride * 20)
                .map(|i| of((i as u16).wrapping_mul(40503) ^ 0x7F81))
                .collect();
            let levels = [SimdLevel::Baseline, SimdLevel::Avx2, SimdLevel::Avx512];
            for level in levels
                .into_iter()
                .filter(|&l| l <= super::super::detect_simd())
            {
                for col in [false, true] {
                    for offset in [0, 5, 3 * stride + 2] {
                        let mut got = [0.0; 256];
                        // SAFETY: the level is the CPU's or below; the tile is in bounds.
                        unsafe { gather_at(level, &mut got, src.as_ptr(), offset, stride, col) };
                        for (e, v) in got.iter().enumerate() {
                            let want = src[index(offset, stride, col, e) as usize].widen();
                            let at = format!("{e} at {offset}, col {col}, {level:?}");
                            assert_eq!(v.to_bits(), want.to_bits(), "{at}");
                        }
                    }
                }
            }
        }
        check(|b| f32::from_bits((b as u32) << 16 | b as u32));
        check(f16::from_bits);
        check(bf16::from_bits);
    }

    #[test]
    fn the_first_element_out_of_bounds_is_the_fault() {
        let src = vec![1.0f32; 16 * 20];
        let mut t = [0.0; 256];
        assert!(load_array(&mut t, &src, 0, 20, false, "x").is_ok());
        // Row 15 reaches 4 * 20 + 15 * 20 + 15 = 395 >= 320.
        let e = load_array(&mut t, &src, 4 * 20, 20, false, "x").unwrap_err();
        assert_eq!((e.index, e.len), (4 * 20 + 12 * 20, 320));
        // Column-major: element (0, 15) is the first at 15 * 20 + 300.
        let e = load_array(&mut t, &src, 300, 20, true, "x").unwrap_err();
        assert_eq!(e.index, 320);
    }
}
