//! Matrix tiles: a 16 x 16 x 16 matrix multiply-accumulate done by a whole subgroup, modelled
//! on CUDA's `wmma` (and WGSL's cooperative matrices, CubeCL's `cmma`).
//!
//! In a kernel, a subgroup (32 consecutive linear local ids on every backend) loads an A tile
//! (16 rows x 16 depth) and a B tile (16 depth x 16 columns) from a slice or workgroup array,
//! multiplies them into an `f32` accumulator tile spread over its lanes (whose rows
//! `matrix_scale_rows` can rescale), and stores that:
//!
//! ```ignore
//! let mut acc = matrix_fill(0.0);
//! for k0 in (0..k).step_by(16) {
//!     let a = matrix_load_a(&x, row0 * k + k0, k, Layout::RowMajor);      // x[M, K]
//!     let b = matrix_load_b(&w, col0 * k + k0, k, Layout::ColMajor);      // w[N, K], so B = w^T
//!     matrix_mma(&mut acc, &a, &b);
//! }
//! matrix_store(&mut y, row0 * n + col0, n, Layout::RowMajor, &acc);
//! ```
//!
//! - A and B hold `f32`, `f16` or `bf16` (the memory's type; both the same), the accumulator
//!   `f32`: products are exact and summed in `f32`, as tensor cores do.
//! - Element `(r, c)` of a tile is at `offset + r * stride + c` (`Layout::RowMajor`) or
//!   `offset + c * stride + r` (`Layout::ColMajor`); any offset and stride (no alignment rule).
//! - Every lane of a subgroup must reach each operation, with the same offset, stride and fill
//!   value (a compile error otherwise), and a kernel using tiles has a multiple of 32
//!   invocations per workgroup. The operations order no memory: after lanes write what a tile
//!   is loaded from, put a `barrier()` before the load. `subgroup_barrier()` is enough on CUDA
//!   and the CPU, but on wgpu it orders only the adapter's subgroup, which may be narrower than
//!   the warp of 32 (8 lanes on lavapipe); the built-in kernels use `workgroup_barrier()`.
//! - Fragments are opaque: their elements are read by storing the accumulator to memory.
//!
//! Each backend lowers them its own way: CUDA to `mma.sync` on tensor cores (sm_80+, f16 and
//! bf16), else warp shuffles; the CPU to a register-blocked micro-kernel per subgroup; WGSL to
//! per-lane loops (wgpu has no cooperative matrices yet). The README has the details and the
//! tolerances.
//!
//! Called from host code (a "subgroup" of one invocation) the functions compute the whole tile.

use std::marker::PhantomData;

/// Rows, columns and depth of every tile.
pub const MATRIX_DIM: usize = 16;

/// How a tile lies in memory: element `(r, c)` at `offset + r * stride + c` (`RowMajor`) or
/// `offset + c * stride + r` (`ColMajor`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Rows `stride` elements apart.
    RowMajor,
    /// Columns `stride` elements apart.
    ColMajor,
}

/// An element type of A and B tiles: `f32`, `f16` or `bf16`.
pub trait MatrixElement: Copy {
    /// The value as `f32` (exact).
    fn to_f32(self) -> f32;
}
impl MatrixElement for f32 {
    fn to_f32(self) -> f32 {
        self
    }
}
impl MatrixElement for crate::f16 {
    fn to_f32(self) -> f32 {
        crate::f16::to_f32(self)
    }
}
impl MatrixElement for crate::bf16 {
    fn to_f32(self) -> f32 {
        crate::bf16::to_f32(self)
    }
}

/// The A operand of [`matrix_mma`]: 16 rows x 16 depth of `T`.
#[derive(Clone, Debug)]
pub struct MatrixA<T> {
    v: [f32; 256],
    t: PhantomData<T>,
}

/// The B operand of [`matrix_mma`]: 16 depth x 16 columns of `T`.
#[derive(Clone, Debug)]
pub struct MatrixB<T> {
    v: [f32; 256],
    t: PhantomData<T>,
}

/// An accumulator: 16 x 16 `f32`.
#[derive(Clone, Debug)]
pub struct MatrixAcc {
    v: [f32; 256],
}

impl Layout {
    /// In a kernel: `ColMajor` where `col_major` (the same across the warp) is true, else
    /// `RowMajor`, so that one load serves an operand stored either way.
    pub fn col_major_if(col_major: bool) -> Layout {
        if col_major {
            Layout::ColMajor
        } else {
            Layout::RowMajor
        }
    }
}

fn index(offset: u32, stride: u32, layout: Layout, e: usize) -> usize {
    let (r, c) = (e / MATRIX_DIM, e % MATRIX_DIM);
    let (major, minor) = match layout {
        Layout::RowMajor => (r, c),
        Layout::ColMajor => (c, r),
    };
    offset as usize + major * stride as usize + minor
}

fn load<T: MatrixElement>(src: &[T], offset: u32, stride: u32, layout: Layout) -> [f32; 256] {
    std::array::from_fn(|e| src[index(offset, stride, layout, e)].to_f32())
}

/// In a kernel: an accumulator with every element `v`.
pub fn matrix_fill(v: f32) -> MatrixAcc {
    MatrixAcc { v: [v; 256] }
}

/// In a kernel: the A tile at `offset` of `src` (a slice or workgroup array), rows (columns)
/// `stride` apart. From host code it panics where an element is out of bounds, as indexing
/// does.
pub fn matrix_load_a<T: MatrixElement>(
    src: &[T],
    offset: u32,
    stride: u32,
    layout: Layout,
) -> MatrixA<T> {
    MatrixA {
        v: load(src, offset, stride, layout),
        t: PhantomData,
    }
}

/// In a kernel: the B tile at `offset` of `src`, as [`matrix_load_a`].
pub fn matrix_load_b<T: MatrixElement>(
    src: &[T],
    offset: u32,
    stride: u32,
    layout: Layout,
) -> MatrixB<T> {
    MatrixB {
        v: load(src, offset, stride, layout),
        t: PhantomData,
    }
}

/// In a kernel: an accumulator loaded from `f32` memory, as [`matrix_load_a`].
pub fn matrix_load_acc(src: &[f32], offset: u32, stride: u32, layout: Layout) -> MatrixAcc {
    MatrixAcc {
        v: load(src, offset, stride, layout),
    }
}

/// In a kernel: `acc += a * b`, each sum accumulated in `f32` (on the CPU and in CUDA's
/// shuffle form with `fma` in order of depth; tensor cores and WGSL round as they do).
pub fn matrix_mma<T: MatrixElement>(acc: &mut MatrixAcc, a: &MatrixA<T>, b: &MatrixB<T>) {
    for i in 0..MATRIX_DIM {
        for k in 0..MATRIX_DIM {
            let aik = a.v[i * MATRIX_DIM + k];
            for j in 0..MATRIX_DIM {
                let c = &mut acc.v[i * MATRIX_DIM + j];
                *c = aik.mul_add(b.v[k * MATRIX_DIM + j], *c);
            }
        }
    }
}

/// In a kernel: multiplies row `r` of `acc` by `src[offset + r]` for `r` in `0..16`, `src` an
/// `f32` slice or workgroup array (FlashAttention's rescaling of its output rows, which stay
/// in the accumulators). Each element is one `f32` multiplication, the same on every backend.
/// The factors are read by the lanes that hold each row, so where other lanes wrote them, put a
/// `barrier()` first (see the module's notes on `subgroup_barrier()`). From host code it panics where a factor is out
/// of bounds, as indexing does.
pub fn matrix_scale_rows(acc: &mut MatrixAcc, src: &[f32], offset: u32) {
    for (r, row) in acc.v.chunks_exact_mut(MATRIX_DIM).enumerate() {
        let f = src[offset as usize + r];
        for v in row {
            *v *= f;
        }
    }
}

/// In a kernel: stores `acc` at `offset` of `dst` (a `&mut [f32]` slice or an `f32` workgroup
/// array), laid out as for [`matrix_load_a`].
pub fn matrix_store(dst: &mut [f32], offset: u32, stride: u32, layout: Layout, acc: &MatrixAcc) {
    for (e, &v) in acc.v.iter().enumerate() {
        dst[index(offset, stride, layout, e)] = v;
    }
}
