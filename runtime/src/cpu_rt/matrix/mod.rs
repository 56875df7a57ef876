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
//!
//! An A or B fragment is an [`Operand`]: a tile, or, loaded row-major from a read-only `f32`
//! slice, the place of its rows there, which the products read in place instead of a copy.

use super::{Fault, SimdLevel, SliceView};
use half::{bf16, f16};

/// Elements per side of a fragment.
pub const DIM: usize = 16;

/// A fragment: `DIM x DIM` values, row-major.
pub type Tile = [f32; DIM * DIM];

/// An A or B fragment (the operands of [`mma`]): its values widened into a [`Tile`], or, where
/// it was loaded row-major from a read-only `f32` slice ([`load_operand_slice`]), the place of
/// its rows in that slice, read in place by the products. The copy it saves was a fifth of
/// `matmul_tiles`' time (docs/benchmarks.md). A read-only slice does not change during a
/// launch, so the rows hold the fragment's values for as long as the launch's code can read
/// it, as a copy would.
#[derive(Clone, Copy)]
pub struct Operand {
    tile: Tile,
    /// Row 0 in the slice, or null where the values are in `tile` (not a pointer to `tile`,
    /// which a copy of the fragment would leave pointing at the original).
    at: *const f32,
    /// Elements between the rows at `at`.
    stride: usize,
}

impl Operand {
    /// A fragment of zeros, held in its tile.
    pub const ZERO: Operand = Operand {
        tile: [0.0; DIM * DIM],
        at: std::ptr::null(),
        stride: DIM,
    };

    /// A fragment holding `tile`.
    pub fn from_tile(tile: Tile) -> Operand {
        Operand {
            tile,
            ..Operand::ZERO
        }
    }

    /// Where its rows are.
    #[inline(always)]
    fn rows(&self) -> Rows {
        if self.at.is_null() {
            Rows {
                p: self.tile.as_ptr(),
                s: DIM,
            }
        } else {
            Rows {
                p: self.at,
                s: self.stride,
            }
        }
    }
}

/// A row-major 16 x 16 `f32` operand of the micro-kernels: row `r` is the 16 values at
/// `p + r * s`.
#[derive(Clone, Copy)]
struct Rows {
    p: *const f32,
    s: usize,
}

impl Rows {
    /// Element `(r, c)`.
    ///
    /// # Safety
    /// The rows are readable (an [`Operand`]'s are, during its launch) and `r`, `c` < 16.
    #[inline(always)]
    unsafe fn at(self, r: usize, c: usize) -> *const f32 {
        self.p.add(r * self.s + c)
    }
}

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

/// Loads the A or B fragment `f` from a slice parameter, or faults as [`load_slice`] does.
/// Where the slice is `read_only` (a `&[T]` parameter, which nothing writes during a launch),
/// `T` is `f32`, the tile row-major and in bounds, `f` keeps the place of its rows instead of a
/// copy.
#[inline(always)]
pub fn load_operand_slice<T: Element>(
    f: &mut Operand,
    src: SliceView<T>,
    offset: u32,
    stride: u32,
    col_major: bool,
    read_only: bool,
) -> Result<(), Fault> {
    if read_only && T::KIND == Kind::F32 && !col_major && in_bounds(offset, stride, src.len()) {
        // SAFETY: `offset` is in bounds (checked above).
        f.at = unsafe { (src.as_ptr() as *const f32).add(offset as usize) };
        f.stride = stride as usize;
        return Ok(());
    }
    f.at = std::ptr::null();
    load_slice(&mut f.tile, src, offset, stride, col_major)
}

/// Loads the A or B fragment `f` from a workgroup array, as [`load_array`] does (a copy:
/// workgroup memory changes during a launch).
#[inline(always)]
pub fn load_operand_array<T: Element>(
    f: &mut Operand,
    src: &[T],
    offset: u32,
    stride: u32,
    col_major: bool,
    name: &'static str,
) -> Result<(), Fault> {
    f.at = std::ptr::null();
    load_array(&mut f.tile, src, offset, stride, col_major, name)
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
pub fn mma(level: SimdLevel, acc: &mut Tile, a: &Operand, b: &Operand) {
    let (a, b) = (a.rows(), b.rows());
    #[cfg(target_arch = "x86_64")]
    match level {
        // SAFETY: the level was detected on this CPU (`simd_level`); an operand's rows are
        // readable.
        SimdLevel::Avx512 => return unsafe { x86::mma_avx512(acc, a, b) },
        SimdLevel::Avx2 => return unsafe { x86::mma_avx2(acc, a, b) },
        SimdLevel::Baseline => {}
    }
    let _ = level;
    // SAFETY: an operand's rows are readable.
    unsafe { mma_rows(acc, a, b) }
}

/// `c0 += a * b0` and then `c1 += a * b1`, two [`mma`]s that share their left operand (a warp's
/// row of accumulators), with each result bit for bit [`mma`]'s. At AVX-512 the two run as one
/// 16 x 32 product: each broadcast `a[i][k]` feeds two fused multiply-adds, so a depth step of
/// eight rows loads ten values for sixteen of them where [`mma`] loads seventeen for sixteen
/// (BLIS's micro-kernels are shaped so: a wider register block per broadcast). On this project's
/// 2-core Xeon the pair runs 1.2-1.4x faster than the two `mma`s (docs/benchmarks.md).
#[inline(always)]
pub fn mma_pair(
    level: SimdLevel,
    c0: &mut Tile,
    c1: &mut Tile,
    a: &Operand,
    b0: &Operand,
    b1: &Operand,
) {
    #[cfg(target_arch = "x86_64")]
    if level == SimdLevel::Avx512 {
        // SAFETY: the level was detected on this CPU (`simd_level`); an operand's rows are
        // readable.
        return unsafe { x86::mma_pair_avx512(c0, c1, a.rows(), b0.rows(), b1.rows()) };
    }
    mma(level, c0, a, b0);
    mma(level, c1, a, b1);
}

/// [`mma`] in plain Rust.
pub fn mma_portable(acc: &mut Tile, a: &Operand, b: &Operand) {
    // SAFETY: an operand's rows are readable.
    unsafe { mma_rows(acc, a.rows(), b.rows()) }
}

/// [`mma_portable`] on the operands' rows.
///
/// # Safety
/// The rows of `a` and `b` are readable.
#[inline(always)]
unsafe fn mma_rows(acc: &mut Tile, a: Rows, b: Rows) {
    for i in 0..DIM {
        for k in 0..DIM {
            let aik = *a.at(i, k);
            for j in 0..DIM {
                acc[i * DIM + j] = aik.mul_add(*b.at(k, j), acc[i * DIM + j]);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86;

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
        let (a, b) = (Operand::from_tile(a), Operand::from_tile(b));
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
            s = a.tile[i * DIM + k].mul_add(b.tile[k * DIM + j], s);
        }
        assert_eq!(s.to_bits(), want[i * DIM + j].to_bits());
    }

    /// The pair is two `mma`s, bit for bit, at every level.
    #[test]
    fn a_pair_is_two_products() {
        let (a, b0, c0) = tiles();
        let (_, b1, c1) = tiles();
        let b1: Tile = std::array::from_fn(|i| b1[255 - i] * 0.75);
        let [a, b0, b1] = [a, b0, b1].map(Operand::from_tile);
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

    /// An operand read in place from a read-only slice gives the products of its copy, bit for
    /// bit, at every level; a writable slice, a column-major tile, a half type or a tile out of
    /// bounds is copied.
    #[test]
    fn operands_in_place_are_their_copies() {
        let stride = 41u32;
        let mut src: Vec<f32> = (0..stride * 24)
            .map(|i| (i.wrapping_mul(2654435761u32) >> 9) as f32 / 4096.0 - 1.0)
            .collect();
        let args = super::super::Args {
            scalars: vec![],
            slices: vec![(src.as_mut_ptr() as *mut u8, src.len())],
        };
        let view = args.slice::<f32>(0);
        let (offset, c) = (3 * stride + 5, tiles().2);
        for level in [SimdLevel::Baseline, SimdLevel::Avx2, SimdLevel::Avx512]
            .into_iter()
            .filter(|&l| l <= super::super::detect_simd())
        {
            let mut got = [Operand::ZERO; 3];
            let mut want = [Operand::ZERO; 3];
            for (i, (g, w)) in got.iter_mut().zip(&mut want).enumerate() {
                let o = offset + i as u32 * 16;
                load_operand_slice(g, view, o, stride, false, true).unwrap();
                load_operand_slice(w, view, o, stride, false, false).unwrap();
                assert!(!g.at.is_null() && w.at.is_null(), "{i}: in place, copied");
            }
            let (mut g0, mut g1, mut w0, mut w1) = (c, c, c, c);
            mma_pair(level, &mut g0, &mut g1, &got[0], &got[1], &got[2]);
            mma_pair(level, &mut w0, &mut w1, &want[0], &want[1], &want[2]);
            let bits = |t: &Tile| t.map(f32::to_bits);
            assert_eq!(bits(&g0), bits(&w0), "{level:?}");
            assert_eq!(bits(&g1), bits(&w1), "{level:?}");
        }
        let mut f = Operand::ZERO;
        load_operand_slice(&mut f, view, offset, stride, true, true).unwrap();
        assert!(f.at.is_null(), "column-major: copied");
        let halves: Vec<f16> = src.iter().map(|&x| f16::from_f32(x)).collect();
        let args = super::super::Args {
            scalars: vec![],
            slices: vec![(halves.as_ptr() as *mut u8, halves.len())],
        };
        load_operand_slice(&mut f, args.slice::<f16>(0), offset, stride, false, true).unwrap();
        assert!(f.at.is_null(), "f16: widened into the tile");
        let past = stride * 24 - 15 * stride - 15;
        let e = load_operand_slice(&mut f, view, past, stride, false, true).unwrap_err();
        assert_eq!(e.index, stride * 24, "out of bounds: the fault");
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
