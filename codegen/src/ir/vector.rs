//! Vector accesses ([`Stmt::Vector`](super::Stmt::Vector)): 2 or 4 consecutive elements of a
//! slice or workgroup array read or written as one access, as CUDA's `float4`/`half2` loads and
//! WGSL's `vec4<T>` do, so that a kernel can express 64- and 128-bit memory accesses.
//!
//! The kernel language's `Vec2<T>` and `Vec4<T>` values exist only in the front end, which
//! gives each lane its own local: arithmetic on vectors is arithmetic on those locals, lane by
//! lane. Only the accesses need the IR, because they are what a back end can widen.
//!
//! Vector `index` of memory of `len` elements covers elements `width * index ..
//! width * index + width`; it is in bounds when `index < len / width` (a partial vector at the
//! end is out of bounds: kernels read a tail with scalar accesses). The widened access needs the
//! vector's alignment (`width` times the element size) on CUDA, which every buffer and
//! workgroup array has: buffers start 256-byte aligned and vector indices scale by the width.

use super::{ExprId, LocalId, Memory};

/// A vector access, run by each invocation on its own.
#[derive(Clone, Debug, PartialEq)]
pub enum VectorOp {
    /// `let v = Vec4::load(&mem, index);`: assigns element `width * index + k` to `lanes[k]`,
    /// locals of the memory's element type declared before this statement.
    Load {
        /// A slice parameter or workgroup array, not atomic.
        mem: Memory,
        /// The vector index, `u32`.
        index: ExprId,
        /// The locals receiving the lanes, 2 or 4 of them.
        lanes: Vec<LocalId>,
    },
    /// `v.store(&mut mem, index)`: writes `values[k]` to element `width * index + k`; the
    /// values are all evaluated, in lane order, before any element is written.
    Store {
        /// A `&mut` slice parameter or workgroup array, not atomic.
        mem: Memory,
        /// The vector index, `u32`.
        index: ExprId,
        /// The lanes' values, of the memory's element type, 2 or 4 of them.
        values: Vec<ExprId>,
    },
}

impl VectorOp {
    /// The memory accessed.
    pub fn mem(&self) -> Memory {
        match self {
            VectorOp::Load { mem, .. } | VectorOp::Store { mem, .. } => *mem,
        }
    }
    /// The vector index.
    pub fn index(&self) -> ExprId {
        match self {
            VectorOp::Load { index, .. } | VectorOp::Store { index, .. } => *index,
        }
    }
    /// Lanes per vector: 2 or 4.
    pub fn width(&self) -> u32 {
        match self {
            VectorOp::Load { lanes, .. } => lanes.len() as u32,
            VectorOp::Store { values, .. } => values.len() as u32,
        }
    }
    /// The expressions it uses: the index, then a store's values.
    pub fn exprs(&self) -> Vec<ExprId> {
        match self {
            VectorOp::Load { index, .. } => vec![*index],
            VectorOp::Store { index, values, .. } => {
                let mut v = vec![*index];
                v.extend(values.iter().copied());
                v
            }
        }
    }
    /// The name of the type in the kernel language, `Vec2` or `Vec4`.
    pub fn type_name(&self) -> &'static str {
        if self.width() == 2 {
            "Vec2"
        } else {
            "Vec4"
        }
    }
}
