//! Matrix products: [`matmul`] and [`linear`] over the `matmul` kernel.

use super::Element;
use crate::kernels::{matmul, matmul_tiles, matmul_v4};
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

/// The activation a [`linear`] applies after its bias.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Activation {
    /// None: `F.linear` alone.
    #[default]
    None,
    /// `max(v, 0)`.
    Relu,
    /// GELU in its tanh form, PyTorch's `gelu(approximate='tanh')`.
    GeluTanh,
    /// GELU in its erf form, PyTorch's `gelu()`.
    GeluErf,
}

impl Activation {
    /// The kernel's `act` code (`activation` in kernels-src/matrix.rs).
    fn code(self) -> u32 {
        match self {
            Activation::None => 0,
            Activation::Relu => 1,
            Activation::GeluTanh => 2,
            Activation::GeluErf => 3,
        }
    }
}

/// The shape of a [`linear`]: `x` is `[rows, in_features]`, the weight `[out_features,
/// in_features]` (as PyTorch's `Linear` stores it), the bias `[out_features]`, `y` `[rows,
/// out_features]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Linear {
    /// Rows of `x` and `y` (the batch, or batch times sequence).
    pub rows: usize,
    /// Columns of `x` and of the weight.
    pub in_features: usize,
    /// Rows of the weight, columns of `y`, length of the bias.
    pub out_features: usize,
    /// The activation after the bias.
    pub activation: Activation,
}

/// `c = op(a) op(b)` for the shape `s` (see [`Matmul`]), on `dev`: the `matmul` kernel
/// (kernels-src/matrix.rs), a 64 x 64 tile of `c` per workgroup, `f32` arithmetic and
/// accumulation for every element type (`f32`, `f16`, `bf16`), each output rounded once. `c`
/// is overwritten; with `k = 0` it is zeroed.
///
/// # Errors
/// [`Error::BadArguments`] when a buffer's length is not its shape's (naming which);
/// [`Error::TooLarge`] past `u32` indices; [`Error::Unsupported`] on lavapipe past its loop
/// limit (`k` above 55,296), unless `dev`'s CPU fallback is on ([`Device::set_cpu_fallback`]),
/// which runs the whole product on the CPU instead and copies `c` back; those of the launch.
pub fn matmul<T: Element + matmul::Instance>(
    dev: &Device,
    a: &Buffer<T>,
    b: &Buffer<T>,
    c: &mut Buffer<T>,
    s: Matmul,
) -> Result<()> {
    product(dev, a, b, None, c, s, Activation::None)
}

/// `y = activation(x w^T + bias)`, PyTorch's `F.linear` followed by the activation, in one
/// kernel: the `matmul` kernel with the weight transposed and the bias and activation applied
/// to its `f32` accumulators before the one rounding of each output (so `GeluTanh` is
/// `F.gelu(F.linear(x, w, b), approximate='tanh')` without its pass over `y`).
///
/// # Errors
/// As [`matmul`], and [`Error::BadArguments`] for a bias whose length is not `out_features`.
pub fn linear<T: Element + matmul::Instance>(
    dev: &Device,
    x: &Buffer<T>,
    w: &Buffer<T>,
    bias: Option<&Buffer<T>>,
    y: &mut Buffer<T>,
    s: Linear,
) -> Result<()> {
    let shape = Matmul::new(s.rows, s.out_features, s.in_features).b_transposed();
    product(dev, x, w, bias, y, shape, s.activation)
}

fn product<T: Element + matmul::Instance>(
    dev: &Device,
    a: &Buffer<T>,
    b: &Buffer<T>,
    bias: Option<&Buffer<T>>,
    c: &mut Buffer<T>,
    s: Matmul,
    act: Activation,
) -> Result<()> {
    let Matmul { m, n, k, .. } = s;
    let mut mats = vec![
        ("a", a.len(), m, k),
        ("b", b.len(), k, n),
        ("c", c.len(), m, n),
    ];
    if let Some(bias) = bias {
        mats.push(("bias", bias.len(), 1, n));
    }
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
    // On Mesa 22.3.6, 3,641 steps of 16 along `k` are correct and one more is not.
    if let Some(cpu) = super::llvmpipe_or_cpu(
        dev,
        "matmul",
        k.div_ceil(16),
        3_456,
        "run this product on the CPU backend (`Device::cpu()`, faster than lavapipe), or split \
         k into parts and add them, or turn on `Device::set_cpu_fallback`; lavapipe takes k up \
         to 55,296",
    )? {
        let up = |x: &Buffer<T>| x.to_vec().and_then(|v| cpu.upload(&v));
        let (a, b, bias) = (up(a)?, up(b)?, bias.map(up).transpose()?);
        let mut out = cpu.zeros::<T>(c.len())?;
        product(cpu, &a, &b, bias.as_ref(), &mut out, s, act)?;
        return c.write(&out.to_vec()?);
    }
    let (m32, n32, k32) = (m as u32, n as u32, k as u32);
    let (a_row, a_col) = if s.a_transposed { (1, m32) } else { (k32, 1) };
    let (b_row, b_col) = if s.b_transposed { (1, k32) } else { (n32, 1) };
    // Without a bias the kernel reads an empty one (`cc < bias.len()` is never true).
    let none;
    let bias = match bias {
        Some(b) => b,
        None => {
            none = dev.zeros::<T>(0)?;
            &none
        }
    };
    let tm = choose::<T>(dev, s)?;
    let p = Product {
        m: m32,
        n: n32,
        k: k32,
        strides: [a_row, a_col, b_row, b_col],
        act: act.code(),
    };
    launch(dev, tm, p, a, b, bias, c)
}

/// Outputs per invocation along each side (`TM`) of the `matmul` family's instances of
/// `matmul`, the first candidates (4: 64 x 64 tiles, the default; 2: 32 x 32); the candidates
/// after them, from index [`TILES`], are `matmul_tiles` with each of [`WARPS`].
const TMS: [u32; 2] = [4, 2];

/// The warps per workgroup (`W`) of the family's instances of `matmul_tiles`: 64 x 64 tiles
/// with 4, 128 x 64 with 8, 128 x 128 with 16.
const WARPS: [u32; 3] = [4, 8, 16];

/// The index of the first `matmul_tiles` among the family's candidates.
const TILES: usize = TMS.len();

/// The steps along `k` (`KS`) of the family's instances of `matmul_staged` (half types only:
/// 128 x 128 tiles staged through workgroup memory), the candidates from index [`STAGED`].
const STEPS: [u32; 2] = [16, 32];

/// The index of the first `matmul_staged` among the family's candidates.
const STAGED: usize = TILES + WARPS.len();

/// The index of `matmul_v4` among the candidates of `T`'s family, the last one, present where
/// the product is whole vectors ([`vectors`]).
fn v4_index<T: Element>() -> usize {
    STAGED + if T::HALF { STEPS.len() } else { 0 }
}

/// Whether `matmul_v4` can run the product `s`: `a` row-major, `k` and `n` multiples of 4
/// (then every row of `a`, `b` (either way) and `c` is whole `Vec4`s, and so is the bias).
fn vectors(s: Matmul) -> bool {
    !s.a_transposed && s.k.is_multiple_of(4) && s.n.is_multiple_of(4)
}

/// The depth of the product each candidate is timed on at the first use: its `m` and `n` are
/// those of the family's size class (see [`matmul_family`]), which set how many workgroups run;
/// `k` only lengthens each.
const TUNE_K: u32 = 256;

/// A product's sizes, operand strides (`a_row, a_col, b_row, b_col`) and activation code.
#[derive(Clone, Copy)]
struct Product {
    m: u32,
    n: u32,
    k: u32,
    strides: [u32; 4],
    act: u32,
}

/// The name of the autotuned family of `matmul` instances for `T` and an output of `m x n`
/// (`matmul_f32/mn<=1048576`), for `Device::autotuned`. The size class is the power of two at or
/// above `m n`: small outputs favour the smaller tiles (more workgroups), large ones the larger
/// (timed at 512 x 512, lavapipe chose 32 x 32 tiles, which ran 1.5x slower than 64 x 64 at
/// 1024 x 1024).
pub fn matmul_family<T: Element>(m: usize, n: usize) -> String {
    format!(
        "matmul_{}/mn<={}",
        T::NAME,
        m.saturating_mul(n).max(1).next_power_of_two()
    )
}

/// The name of the autotuned family that [`matmul`] runs for the product `s` (and [`linear`],
/// whose product is `Matmul::new(rows, out_features, in_features).b_transposed()`), for
/// `Device::autotuned`: [`matmul_family`] of its output, with `/v4` where
/// [`matmul_v4`](crate::kernels::matmul_v4) can run it (`a` row-major, `k` and `n` multiples
/// of 4), whose candidates then include that kernel.
pub fn product_family<T: Element>(s: Matmul) -> String {
    let family = matmul_family::<T>(s.m, s.n);
    if vectors(s) {
        format!("{family}/v4")
    } else {
        family
    }
}

/// The square side of the timing workload of the size class of `m x n`: the class's area,
/// between 64 x 64 and 2048 x 2048.
fn tune_side(m: usize, n: usize) -> u32 {
    let area = m.saturating_mul(n).max(1).next_power_of_two() as f64;
    area.sqrt().clamp(64.0, 2048.0) as u32
}

/// The index of the candidate to run on `dev` for `T` and `product`: its family
/// ([`product_family`]) autotuned (see `Device::autotune`) on zeros, a square product of
/// the class's side and depth [`TUNE_K`].
fn choose<T: Element + matmul::Instance>(dev: &Device, product: Matmul) -> Result<usize> {
    let Matmul { m, n, .. } = product;
    let side = tune_side(m, n);
    let (s, k) = (side as usize, TUNE_K as usize);
    // The workload (`x`, no bias, `y`) is made only if the family is timed now.
    let mut work: Option<(Buffer<T>, Buffer<T>, Buffer<T>)> = None;
    let mut candidates = super::instances::<T>("matmul", &TMS);
    candidates.extend(super::instances::<T>("matmul_tiles", &WARPS));
    if T::HALF {
        candidates.extend(super::instances::<T>("matmul_staged", &STEPS));
    }
    if vectors(product) {
        candidates.push(format!("matmul_v4_{}", T::NAME));
    }
    super::tuned(
        dev,
        &product_family::<T>(product),
        &candidates,
        0,
        &mut |i| {
            if work.is_none() {
                work = Some((
                    dev.zeros::<T>(s * k)?,
                    dev.zeros::<T>(0)?,
                    dev.zeros::<T>(s * s)?,
                ));
            }
            let (x, no_bias, y) = work.as_mut().expect("made above");
            // `x` is both operands: `[side, k]`, and `[k, side]` read transposed.
            let p = Product {
                m: side,
                n: side,
                k: TUNE_K,
                strides: [TUNE_K, 1, 1, TUNE_K],
                act: 0,
            };
            launch(dev, i, p, x, x, no_bias, y)
        },
    )
}

/// Runs candidate `i` of the family (an index into [`TMS`], [`TILES`] plus one into
/// [`WARPS`], [`STAGED`] plus one into [`STEPS`], or [`v4_index`]) for `p`.
fn launch<T: Element + matmul::Instance>(
    dev: &Device,
    i: usize,
    p: Product,
    a: &Buffer<T>,
    b: &Buffer<T>,
    bias: &Buffer<T>,
    c: &mut Buffer<T>,
) -> Result<()> {
    let Product { m, n, k, act, .. } = p;
    let [a_row, a_col, b_row, b_col] = p.strides;
    if i == v4_index::<T>() {
        let grid = Grid::groups([n.div_ceil(64), m.div_ceil(64), 1]);
        return matmul_v4::launch(
            dev, grid, m, n, k, a_row, a_col, b_row, b_col, act, a, b, bias, c,
        );
    }
    if let Some(&ks) = i.checked_sub(STAGED).and_then(|j| STEPS.get(j)) {
        let grid = Grid::groups([n.div_ceil(128), m.div_ceil(128), 1]);
        let args = [m, n, k, a_row, a_col, b_row, b_col, act];
        return T::launch_staged(dev, grid, ks, args, a, b, bias, c);
    }
    if let Some(&w) = i.checked_sub(TILES).and_then(|j| WARPS.get(j)) {
        // `matmul_tiles`' tile: 32 x 32 per warp, two warps across below 16, four at 16.
        let cols = if w >= 16 { 4 } else { 2 };
        let (tr, tc) = (32 * (w / cols), 32 * cols);
        let grid = Grid::groups([n.div_ceil(tc), m.div_ceil(tr), 1]);
        return match w {
            4 => matmul_tiles::launch::<_, 4>(
                dev, grid, m, n, k, a_row, a_col, b_row, b_col, act, a, b, bias, c,
            ),
            8 => matmul_tiles::launch::<_, 8>(
                dev, grid, m, n, k, a_row, a_col, b_row, b_col, act, a, b, bias, c,
            ),
            _ => matmul_tiles::launch::<_, 16>(
                dev, grid, m, n, k, a_row, a_col, b_row, b_col, act, a, b, bias, c,
            ),
        };
    }
    let tile = 16 * TMS[i.min(TMS.len() - 1)];
    let grid = Grid::groups([n.div_ceil(tile), m.div_ceil(tile), 1]);
    if i == 0 {
        matmul::launch::<_, 4>(
            dev, grid, m, n, k, a_row, a_col, b_row, b_col, act, a, b, bias, c,
        )
    } else {
        matmul::launch::<_, 2>(
            dev, grid, m, n, k, a_row, a_col, b_row, b_col, act, a, b, bias, c,
        )
    }
}
