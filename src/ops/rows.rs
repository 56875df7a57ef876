//! Row operators: [`softmax`], [`layer_norm`] and [`rms_norm`] over each row of a matrix,
//! each running the instance of its kernel family (kernels-src/rows.rs: one per workgroup size
//! `B` = 32, 64, 128, 256, and where `cols` is a multiple of 4 also the `_v4` kernels, which
//! move four elements per access, at `B` = 32 and 256) that [`Device::autotune`] timed fastest
//! on the device.

use super::Element;
use crate::kernels::{
    layer_norm as ln, layer_norm_v4 as ln4, rms_norm as rms, rms_norm_v4 as rms4, softmax as sm,
    softmax_v4 as sm4,
};
use crate::{Buffer, Device, Error, Grid, Result};

/// The workgroup sizes of the row kernels, in the order of their families' candidates.
const SIZES: [u32; 4] = [32, 64, 128, 256];

/// The workgroup sizes of the `_v4` kernels, candidates after [`SIZES`] where a row is whole
/// vectors.
const SIZES_V4: [u32; 2] = [32, 256];

/// The candidate run when timing is off: 256, the size before the family existed.
const DEFAULT: usize = 3;

/// Elements of the workload each candidate is timed on: `rows x cols` for a row length of the
/// family's size class, rows at most [`TUNE_ROWS`] (about 4M elements: a few milliseconds on a
/// GPU or the CPU, 25-75 ms on lavapipe). Enough rows to fill the device matter more than the
/// count: with 256 rows lavapipe chose another size than at 4096.
const TUNE_ELEMENTS: usize = 1 << 22;
const TUNE_ROWS: usize = 4096;

/// The shape of a row operator's input: `rows` rows of `cols` values, dense and row-major.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rows {
    /// Rows (tokens, batch times sequence).
    pub rows: usize,
    /// Values per row (features); weights and biases hold this many.
    pub cols: usize,
}

/// The element types of the row operators (`f32`, `f16`, `bf16`), whose instances their
/// kernels are built for.
pub trait RowElement:
    Element
    + sm::Instance
    + ln::Instance
    + rms::Instance
    + sm4::Instance
    + ln4::Instance
    + rms4::Instance
{
}

impl<T> RowElement for T where
    T: Element
        + sm::Instance
        + ln::Instance
        + rms::Instance
        + sm4::Instance
        + ln4::Instance
        + rms4::Instance
{
}

/// `y = softmax(x)` along each row (`exp(x - max) / sum(exp(x - max))`, as `torch.softmax(x,
/// -1)`), `f32` arithmetic; `y` may not alias `x`.
///
/// # Errors
/// [`Error::BadArguments`] naming a buffer whose length is not `rows * cols`; [`Error::TooLarge`]
/// past `u32` indices or workgroups; those of the launch and of the first use's autotuning.
pub fn softmax<T: RowElement>(
    dev: &Device,
    x: &Buffer<T>,
    y: &mut Buffer<T>,
    s: Rows,
) -> Result<()> {
    check("softmax", s, &[("x", x.len(), true), ("y", y.len(), true)])?;
    if s.rows == 0 || s.cols == 0 {
        return Ok(());
    }
    let b = choose::<T>(dev, "softmax", s.cols, &mut |i, x, _, _, y, rows, cols| {
        launch_softmax(dev, i, rows, cols, x, y)
    })?;
    launch_softmax(dev, b, s.rows, s.cols, x, y)
}

/// `y = (x - mean) / sqrt(var + eps) * weight + bias` along each row (PyTorch's `layer_norm`
/// over the last dimension, the variance biased), `weight` and `bias` of `cols` values.
///
/// # Errors
/// As [`softmax`], and for a `weight` or `bias` whose length is not `cols`.
pub fn layer_norm<T: RowElement>(
    dev: &Device,
    x: &Buffer<T>,
    weight: &Buffer<T>,
    bias: &Buffer<T>,
    y: &mut Buffer<T>,
    s: Rows,
    eps: f32,
) -> Result<()> {
    let bufs = [
        ("x", x.len(), true),
        ("weight", weight.len(), false),
        ("bias", bias.len(), false),
        ("y", y.len(), true),
    ];
    check("layer_norm", s, &bufs)?;
    if s.rows == 0 || s.cols == 0 {
        return Ok(());
    }
    let b = choose::<T>(
        dev,
        "layer_norm",
        s.cols,
        &mut |i, x, w, b, y, rows, cols| launch_layer_norm(dev, i, rows, cols, eps, x, w, b, y),
    )?;
    launch_layer_norm(dev, b, s.rows, s.cols, eps, x, weight, bias, y)
}

/// `y = x / sqrt(mean(x^2) + eps) * weight` along each row (Zhang and Sennrich, 2019),
/// `weight` of `cols` values.
///
/// # Errors
/// As [`softmax`], and for a `weight` whose length is not `cols`.
pub fn rms_norm<T: RowElement>(
    dev: &Device,
    x: &Buffer<T>,
    weight: &Buffer<T>,
    y: &mut Buffer<T>,
    s: Rows,
    eps: f32,
) -> Result<()> {
    let bufs = [
        ("x", x.len(), true),
        ("weight", weight.len(), false),
        ("y", y.len(), true),
    ];
    check("rms_norm", s, &bufs)?;
    if s.rows == 0 || s.cols == 0 {
        return Ok(());
    }
    let b = choose::<T>(dev, "rms_norm", s.cols, &mut |i, x, w, _, y, rows, cols| {
        launch_rms_norm(dev, i, rows, cols, eps, x, w, y)
    })?;
    launch_rms_norm(dev, b, s.rows, s.cols, eps, x, weight, y)
}

/// The name of the family of `kernel` for `T` and a row length of `cols`: the size class is
/// the power of two at or above `cols` (the best workgroup size follows the row length), and
/// rows of whole `Vec4`s (`cols` a multiple of 4) are a family of their own, `.../v4`, whose
/// candidates include the `_v4` kernels.
pub fn row_family<T: RowElement>(kernel: &str, cols: usize) -> String {
    format!(
        "{kernel}_{}/cols<={}{}",
        T::NAME,
        cols.max(1).next_power_of_two(),
        if vectors(cols) { "/v4" } else { "" }
    )
}

/// Whether a row of `cols` is whole `Vec4`s, so that the `_v4` kernels may run it.
fn vectors(cols: usize) -> bool {
    cols.is_multiple_of(4)
}

/// A candidate timed on a workload: (candidate, x, weight, bias, y, rows, cols).
type Run<'a, T> = dyn FnMut(usize, &Buffer<T>, &Buffer<T>, &Buffer<T>, &mut Buffer<T>, usize, usize) -> Result<()>
    + 'a;

/// A timing workload: `x`, a weight (and bias) vector, `y`, rows, cols.
type Workload<T> = (Buffer<T>, Buffer<T>, Buffer<T>, usize, usize);

/// The candidate of `kernel`'s family for `T` and `cols` to run on `dev`: timed by `run` on
/// zeroed buffers of the size class at the first use (see [`Device::autotune`]).
fn choose<T: RowElement>(
    dev: &Device,
    kernel: &str,
    cols: usize,
    run: &mut Run<'_, T>,
) -> Result<usize> {
    let name = row_family::<T>(kernel, cols);
    // The workload is made only if the family is timed now.
    let mut work: Option<Workload<T>> = None;
    let mut candidates = super::instances::<T>(kernel, &SIZES);
    if vectors(cols) {
        candidates.extend(super::instances::<T>(&format!("{kernel}_v4"), &SIZES_V4));
    }
    super::tuned(dev, &name, &candidates, DEFAULT, &mut |i| {
        if work.is_none() {
            let cols = cols.max(1).next_power_of_two();
            let rows = (TUNE_ELEMENTS / cols).clamp(1, TUNE_ROWS);
            work = Some((
                dev.zeros::<T>(rows * cols)?,
                dev.zeros::<T>(cols)?,
                dev.zeros::<T>(rows * cols)?,
                rows,
                cols,
            ));
        }
        let (x, wb, y, rows, cols) = work.as_mut().expect("made above");
        run(i, x, wb, wb, y, *rows, *cols)
    })
}

/// Checks `s` against `u32` indices and each buffer's length: `rows * cols` for a matrix,
/// `cols` for a vector (`(name, len, is_matrix)`).
fn check(kernel: &'static str, s: Rows, bufs: &[(&str, usize, bool)]) -> Result<()> {
    let elements = s.rows.checked_mul(s.cols);
    if elements.is_none_or(|e| e > u32::MAX as usize) {
        return Err(Error::TooLarge {
            what: "a row operator's matrix (elements)",
            value: (s.rows as u64).saturating_mul(s.cols as u64),
            limit: u32::MAX as u64,
            fix: "kernel indices are u32; run the rows in parts",
        });
    }
    for &(name, len, matrix) in bufs {
        let want = if matrix { s.rows * s.cols } else { s.cols };
        if len != want {
            let shape = if matrix {
                format!("rows x cols = {} x {} = {want}", s.rows, s.cols)
            } else {
                format!("cols = {want}")
            };
            return Err(Error::BadArguments {
                kernel,
                message: format!(
                    "`{name}` holds {len} elements, but the shape makes it {shape}; pass \
                     buffers of the shape's sizes"
                ),
            });
        }
    }
    Ok(())
}

fn grid(rows: usize) -> Grid {
    Grid::groups([rows as u32, 1, 1])
}

fn launch_softmax<T: RowElement>(
    dev: &Device,
    b: usize,
    rows: usize,
    cols: usize,
    x: &Buffer<T>,
    y: &mut Buffer<T>,
) -> Result<()> {
    let (g, c) = (grid(rows), cols as u32);
    match b {
        0 => sm::launch::<_, 32>(dev, g, c, x, y),
        1 => sm::launch::<_, 64>(dev, g, c, x, y),
        2 => sm::launch::<_, 128>(dev, g, c, x, y),
        4 => sm4::launch::<_, 32>(dev, g, c, x, y),
        5 => sm4::launch::<_, 256>(dev, g, c, x, y),
        _ => sm::launch::<_, 256>(dev, g, c, x, y),
    }
}

#[allow(clippy::too_many_arguments)]
fn launch_layer_norm<T: RowElement>(
    dev: &Device,
    b: usize,
    rows: usize,
    cols: usize,
    eps: f32,
    x: &Buffer<T>,
    w: &Buffer<T>,
    bias: &Buffer<T>,
    y: &mut Buffer<T>,
) -> Result<()> {
    let (g, c) = (grid(rows), cols as u32);
    match b {
        0 => ln::launch::<_, 32>(dev, g, c, eps, x, w, bias, y),
        1 => ln::launch::<_, 64>(dev, g, c, eps, x, w, bias, y),
        2 => ln::launch::<_, 128>(dev, g, c, eps, x, w, bias, y),
        4 => ln4::launch::<_, 32>(dev, g, c, eps, x, w, bias, y),
        5 => ln4::launch::<_, 256>(dev, g, c, eps, x, w, bias, y),
        _ => ln::launch::<_, 256>(dev, g, c, eps, x, w, bias, y),
    }
}

#[allow(clippy::too_many_arguments)]
fn launch_rms_norm<T: RowElement>(
    dev: &Device,
    b: usize,
    rows: usize,
    cols: usize,
    eps: f32,
    x: &Buffer<T>,
    w: &Buffer<T>,
    y: &mut Buffer<T>,
) -> Result<()> {
    let (g, c) = (grid(rows), cols as u32);
    match b {
        0 => rms::launch::<_, 32>(dev, g, c, eps, x, w, y),
        1 => rms::launch::<_, 64>(dev, g, c, eps, x, w, y),
        2 => rms::launch::<_, 128>(dev, g, c, eps, x, w, y),
        4 => rms4::launch::<_, 32>(dev, g, c, eps, x, w, y),
        5 => rms4::launch::<_, 256>(dev, g, c, eps, x, w, y),
        _ => rms::launch::<_, 256>(dev, g, c, eps, x, w, y),
    }
}
