//! Matrix tiles: fragments of a 16 x 16 x 16 matrix multiply-accumulate held by a subgroup,
//! and the operations on them ([`Stmt::Matrix`](super::Stmt::Matrix)).
//!
//! The model is CUDA's `wmma` (and WGSL's cooperative matrices, CubeCL's `cmma`): a *fragment*
//! is a 16 x 16 matrix owned by a subgroup as a whole, its elements spread over the lanes in a
//! way each target chooses and the kernel cannot see. An A fragment holds rows `0..16` and
//! depth `0..16` of the left operand, a B fragment depth `0..16` and columns `0..16` of the
//! right operand, an accumulator the 16 x 16 product, always in `f32`. Every operation is a
//! subgroup collective: every lane of the subgroup reaches it, with the same operands
//! (`proc::uniform` checks both), as CUDA's `*_sync` functions require. A subgroup is 32
//! consecutive linear local ids on every target here (a CUDA warp; on wgpu the fallback does not
//! depend on the adapter's subgroups), so a kernel with matrix operations has a multiple of 32
//! invocations per workgroup.

use super::{ExprId, Memory};

/// Rows, columns and depth of every fragment: `16 x 16 x 16`, the shape every tensor-core
/// generation and cooperative-matrix implementation offers for `f16` and `bf16`.
pub const MATRIX_DIM: u32 = 16;

/// A matrix fragment of [`Kernel::matrices`](super::Kernel::matrices), named by a `let`.
#[derive(Clone, Debug)]
pub struct Matrix {
    /// A name unique within the kernel (shared with locals and arrays).
    pub name: String,
    /// Which operand it is.
    pub role: MatrixRole,
    /// The element type: `f32`, `f16` or `bf16` for A and B (the type of the memory it was
    /// loaded from), `f32` for an accumulator.
    pub elem: super::Scalar,
}

/// Which operand of `acc += a * b` a fragment is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatrixRole {
    /// The left operand, `matrix_load_a`.
    A,
    /// The right operand, `matrix_load_b`.
    B,
    /// The accumulator, `matrix_fill` or `matrix_load_acc`.
    Acc,
}

impl MatrixRole {
    /// The loading function's name in the kernel language.
    pub fn load_name(self) -> &'static str {
        match self {
            MatrixRole::A => "matrix_load_a",
            MatrixRole::B => "matrix_load_b",
            MatrixRole::Acc => "matrix_load_acc",
        }
    }
}

/// How a fragment lies in memory: element `(r, c)` is at `offset + r * stride + c`
/// (`RowMajor`) or `offset + c * stride + r` (`ColMajor`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    /// `Layout::RowMajor`
    RowMajor,
    /// `Layout::ColMajor`
    ColMajor,
    /// `Layout::col_major_if(cond)`: column-major where the `bool` `cond` (the same across the
    /// warp) is true, else row-major, so that one load serves an operand given either way.
    ColMajorIf(ExprId),
}

/// Where a load or store reaches memory: the 16 x 16 elements at `offset` with rows
/// (`RowMajor`) or columns (`ColMajor`) `stride` elements apart.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MatrixPlace {
    /// The slice or workgroup array; its element type is the fragment's.
    pub mem: Memory,
    /// The element index of element `(0, 0)`, `u32`, the same across the warp.
    pub offset: ExprId,
    /// Elements between rows (columns), `u32`, the same across the warp.
    pub stride: ExprId,
    /// Row- or column-major.
    pub layout: Layout,
}

impl MatrixPlace {
    /// The expressions it uses: offset, stride and a layout's condition.
    pub fn exprs(&self) -> Vec<ExprId> {
        let mut v = vec![self.offset, self.stride];
        if let Layout::ColMajorIf(c) = self.layout {
            v.push(c);
        }
        v
    }
}

/// A fragment of [`Kernel::matrices`](super::Kernel::matrices).
pub type MatrixId = super::Handle<Matrix>;

/// An operation on fragments, run by a whole subgroup.
#[derive(Clone, Debug, PartialEq)]
pub enum MatrixOp {
    /// `acc = matrix_fill(value)`: every element of an accumulator set to `value` (`f32`).
    Fill {
        /// The accumulator.
        matrix: MatrixId,
        /// The value, `f32`, the same across the subgroup.
        value: ExprId,
    },
    /// `m = matrix_load_a/b/acc(&mem, offset, stride, layout)`.
    Load {
        /// The fragment loaded.
        matrix: MatrixId,
        /// Where from.
        place: MatrixPlace,
    },
    /// `matrix_mma(&mut acc, &a, &b)`: `acc += a * b`, each of its 256 sums accumulated in
    /// `f32` (the order of the 16 additions and their rounding are the target's).
    Mma {
        /// The accumulator, read and written.
        acc: MatrixId,
        /// The left operand.
        a: MatrixId,
        /// The right operand, of `a`'s element type.
        b: MatrixId,
    },
    /// `matrix_store(&mut mem, offset, stride, layout, &acc)`: an accumulator written to
    /// `f32` memory, laid out as for `Load`.
    Store {
        /// The accumulator stored.
        matrix: MatrixId,
        /// Where to: a `&mut [f32]` slice or an `f32` workgroup array.
        place: MatrixPlace,
    },
    /// `matrix_scale_rows(&mut acc, &mem, offset)`: row `r` of an accumulator multiplied by
    /// `mem[offset + r]` for `r` in `0..16` (FlashAttention's rescaling of its output rows as
    /// the running maximum grows, and the final division by the row sums). Each lane scales
    /// the elements it holds, reading the factors of their rows, so the product is the same
    /// `f32` multiplication on every target.
    ScaleRows {
        /// The accumulator, read and written.
        matrix: MatrixId,
        /// The factors: an `f32` slice or workgroup array.
        mem: Memory,
        /// The index of row 0's factor, `u32`, the same across the warp.
        offset: ExprId,
    },
}

impl MatrixOp {
    /// The function's name in the kernel language.
    pub fn name(&self, role: MatrixRole) -> &'static str {
        match self {
            MatrixOp::Fill { .. } => "matrix_fill",
            MatrixOp::Load { .. } => role.load_name(),
            MatrixOp::Mma { .. } => "matrix_mma",
            MatrixOp::Store { .. } => "matrix_store",
            MatrixOp::ScaleRows { .. } => "matrix_scale_rows",
        }
    }
    /// The expressions it uses.
    pub fn exprs(&self) -> Vec<ExprId> {
        match self {
            MatrixOp::Fill { value, .. } => vec![*value],
            MatrixOp::Load { place, .. } | MatrixOp::Store { place, .. } => place.exprs(),
            MatrixOp::Mma { .. } => vec![],
            MatrixOp::ScaleRows { offset, .. } => vec![*offset],
        }
    }
    /// The fragment it writes (for `Store`, the one it reads).
    pub fn target(&self) -> MatrixId {
        match self {
            MatrixOp::Fill { matrix, .. }
            | MatrixOp::Load { matrix, .. }
            | MatrixOp::Store { matrix, .. }
            | MatrixOp::ScaleRows { matrix, .. } => *matrix,
            MatrixOp::Mma { acc, .. } => *acc,
        }
    }
}
