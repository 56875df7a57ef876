//! Operators on buffers and shapes, over the built-in kernels: what a neural-network framework
//! calls (`torch.matmul`, ...), with the shapes checked before anything runs.

use crate::kernels::matmul;
use crate::{Buffer, Device, Error, Grid, Result};

/// The shape of a matrix product `c[m,n] = op(a) op(b)`, `op` the identity or a transpose.
/// Every matrix is dense and row-major as stored: `a` is `[m,k]`, or `[k,m]` when
/// `a_transposed`; `b` is `[k,n]`, or `[n,k]` when `b_transposed` (a weight stored as
/// PyTorch's `Linear` stores it); `c` is `[m,n]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Matmul {
    /// Rows of `c` and of `op(a)`.
    pub m: usize,
    /// Columns of `c` and of `op(b)`.
    pub n: usize,
    /// Columns of `op(a)`, rows of `op(b)`: the length of each dot product.
    pub k: usize,
    /// `a` is stored as `[k,m]`.
    pub a_transposed: bool,
    /// `b` is stored as `[n,k]`.
    pub b_transposed: bool,
}

impl Matmul {
    /// `c[m,n] = a[m,k] b[k,n]`, neither operand transposed.
    pub fn new(m: usize, n: usize, k: usize) -> Matmul {
        Matmul {
            m,
            n,
            k,
            a_transposed: false,
            b_transposed: false,
        }
    }

    /// The same product with `a` stored as `[k,m]`.
    pub fn a_transposed(self) -> Matmul {
        Matmul {
            a_transposed: true,
            ..self
        }
    }

    /// The same product with `b` stored as `[n,k]`.
    pub fn b_transposed(self) -> Matmul {
        Matmul {
            b_transposed: true,
            ..self
        }
    }
}

/// `c = op(a) op(b)` for the shape `s` (see [`Matmul`]), on `dev`: the `matmul` kernel
/// (kernels-src/matrix.rs), a 64 x 64 tile of `c` per workgroup, `f32` arithmetic and
/// accumulation for every element type (`f32`, `f16`, `bf16`), each output rounded once. `c`
/// is overwritten; with `k = 0` it is zeroed.
///
/// # Errors
/// [`Error::BadArguments`] when a buffer's length is not its shape's (naming which);
/// [`Error::TooLarge`] past `u32` indices; those of the launch.
pub fn matmul<T: matmul::Instance + bytemuck::Pod>(
    dev: &Device,
    a: &Buffer<T>,
    b: &Buffer<T>,
    c: &mut Buffer<T>,
    s: Matmul,
) -> Result<()> {
    let Matmul { m, n, k, .. } = s;
    let mats = [
        ("a", a.len(), m, k),
        ("b", b.len(), k, n),
        ("c", c.len(), m, n),
    ];
    // Sizes first: a shape past u32 indices is the problem whatever the buffers hold.
    for &(_, _, rows, cols) in &mats {
        if rows.checked_mul(cols).is_none_or(|e| e > u32::MAX as usize) {
            return Err(Error::TooLarge {
                what: "a matrix of the product (elements)",
                value: (rows as u64).saturating_mul(cols as u64),
                limit: u32::MAX as u64,
                fix: "kernel indices are u32; split the product into blocks",
            });
        }
    }
    for (name, len, rows, cols) in mats {
        if len != rows * cols {
            return Err(Error::BadArguments {
                kernel: "matmul",
                message: format!(
                    "`{name}` holds {len} elements, but the shape m = {m}, n = {n}, k = {k} \
                     makes it {rows} x {cols} = {}; pass buffers of the shape's sizes",
                    rows * cols
                ),
            });
        }
    }
    let (m32, n32, k32) = (m as u32, n as u32, k as u32);
    let (a_row, a_col) = if s.a_transposed { (1, m32) } else { (k32, 1) };
    let (b_row, b_col) = if s.b_transposed { (1, k32) } else { (n32, 1) };
    let grid = Grid::groups([n.div_ceil(64) as u32, m.div_ceil(64) as u32, 1]);
    matmul::launch(
        dev, grid, m32, n32, k32, a_row, a_col, b_row, b_col, a, b, c,
    )
}
