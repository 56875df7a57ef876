//! Operators on buffers and shapes, over the built-in kernels: what a neural-network framework
//! calls (`torch.matmul`, `F.linear`, `F.scaled_dot_product_attention`, `torch.softmax`,
//! `F.layer_norm`, `F.rms_norm`), with the shapes checked before anything runs.

mod attention;
mod product;
mod rows;

pub use attention::{attention, attention_family, Attention};
pub use product::{linear, matmul, matmul_family, product_family, Activation, Linear, Matmul};
pub use rows::{layer_norm, rms_norm, row_family, softmax, RowElement, Rows};

use crate::autotune::Family;
use crate::{Backend, Device, Error, Result};

/// The element types of the built-in float kernels (`f32`, `f16`, `bf16`), as named in their
/// instances (`matmul_bf16_4`) and autotuned families. (It implies `matmul_tiles`'s,
/// `matmul_v4`'s and `attention`'s instances, which `ops::matmul` and `ops::attention` may
/// choose, so that their bounds stay short.)
pub trait Element:
    bytemuck::Pod
    + private::Sealed
    + private::Half
    + crate::kernels::matmul_tiles::Instance
    + crate::kernels::matmul_v4::Instance
    + crate::kernels::attention::Instance
{
    /// The type's name in instance names (`f32`, `f16`, `bf16`).
    const NAME: &'static str;
}

mod private {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for crate::f16 {}
    impl Sealed for crate::bf16 {}

    /// The kernels that exist for the 16-bit types only, whose products run on tensor cores
    /// (for `f32`, CUDA's tiles are warp shuffles): `matmul_staged` and `attention_tiles`.
    pub trait Half: Sized {
        /// Whether the type has them.
        const HALF: bool;
        /// `matmul_staged::launch` with a step of `ks` (16 or 32), `args` the kernel's eight
        /// `u32` parameters; `Err` for `f32`.
        #[allow(clippy::too_many_arguments)]
        fn launch_staged(
            dev: &crate::Device,
            grid: crate::Grid,
            ks: u32,
            args: [u32; 8],
            a: &crate::Buffer<Self>,
            b: &crate::Buffer<Self>,
            bias: &crate::Buffer<Self>,
            c: &mut crate::Buffer<Self>,
        ) -> crate::Result<()>;
        /// `attention_tiles::launch` for head size `d` (64 or 128); `Err` for `f32`.
        #[allow(clippy::too_many_arguments)]
        fn launch_attention_tiles(
            dev: &crate::Device,
            grid: crate::Grid,
            d: usize,
            seq: u32,
            causal: u32,
            scale: f32,
            qkv: [&crate::Buffer<Self>; 3],
            o: &mut crate::Buffer<Self>,
            lse: &mut crate::Buffer<f32>,
        ) -> crate::Result<()>;
    }
    /// The `Err` of a 16-bit kernel asked for `f32`.
    fn no_f32(kernel: &'static str, instead: &str) -> crate::Error {
        crate::Error::BadArguments {
            kernel,
            message: format!("it has no f32 instance; run {instead} for f32"),
        }
    }
    impl Half for f32 {
        const HALF: bool = false;
        fn launch_staged(
            _: &crate::Device,
            _: crate::Grid,
            _: u32,
            _: [u32; 8],
            _: &crate::Buffer<f32>,
            _: &crate::Buffer<f32>,
            _: &crate::Buffer<f32>,
            _: &mut crate::Buffer<f32>,
        ) -> crate::Result<()> {
            Err(no_f32("matmul_staged", "`matmul_tiles` or `matmul`"))
        }
        fn launch_attention_tiles(
            _: &crate::Device,
            _: crate::Grid,
            _: usize,
            _: u32,
            _: u32,
            _: f32,
            _: [&crate::Buffer<f32>; 3],
            _: &mut crate::Buffer<f32>,
            _: &mut crate::Buffer<f32>,
        ) -> crate::Result<()> {
            Err(no_f32("attention_tiles", "`attention`"))
        }
    }
    macro_rules! staged {
        ($t:ty) => {
            impl Half for $t {
                const HALF: bool = true;
                fn launch_staged(
                    dev: &crate::Device,
                    grid: crate::Grid,
                    ks: u32,
                    [m, n, k, a_row, a_col, b_row, b_col, act]: [u32; 8],
                    a: &crate::Buffer<$t>,
                    b: &crate::Buffer<$t>,
                    bias: &crate::Buffer<$t>,
                    c: &mut crate::Buffer<$t>,
                ) -> crate::Result<()> {
                    use crate::kernels::matmul_staged::launch;
                    if ks == 16 {
                        launch::<_, 16>(
                            dev, grid, m, n, k, a_row, a_col, b_row, b_col, act, a, b, bias, c,
                        )
                    } else {
                        launch::<_, 32>(
                            dev, grid, m, n, k, a_row, a_col, b_row, b_col, act, a, b, bias, c,
                        )
                    }
                }
                fn launch_attention_tiles(
                    dev: &crate::Device,
                    grid: crate::Grid,
                    d: usize,
                    seq: u32,
                    causal: u32,
                    scale: f32,
                    [q, k, v]: [&crate::Buffer<$t>; 3],
                    o: &mut crate::Buffer<$t>,
                    lse: &mut crate::Buffer<f32>,
                ) -> crate::Result<()> {
                    use crate::kernels::attention_tiles::launch;
                    if d == 64 {
                        launch::<_, 64>(dev, grid, seq, causal, scale, q, k, v, o, lse)
                    } else {
                        launch::<_, 128>(dev, grid, seq, causal, scale, q, k, v, o, lse)
                    }
                }
            }
        };
    }
    staged!(crate::f16);
    staged!(crate::bf16);
}

impl Element for f32 {
    const NAME: &'static str = "f32";
}
impl Element for crate::f16 {
    const NAME: &'static str = "f16";
}
impl Element for crate::bf16 {
    const NAME: &'static str = "bf16";
}

/// `Err` when `dev` is Mesa's llvmpipe (lavapipe) and a kernel's loops would take `blocks`
/// trips of its main loop where llvmpipe runs at most `max_blocks` correctly. llvmpipe ends
/// every loop of a shader invocation early once its loops have taken 65,535 back edges in all
/// (`LP_MAX_TGSI_LOOP_ITERATIONS`, one counter for all the loops of an invocation, in Mesa
/// 22.3's gallivm), so a long loop gives wrong results without an error; each operator states
/// its kernel's `max_blocks`, measured there less 5% (other versions unroll differently).
pub(crate) fn within_llvmpipe_loops(
    dev: &Device,
    kernel: &'static str,
    blocks: usize,
    max_blocks: usize,
    fix: &'static str,
) -> Result<()> {
    if dev.backend() == Backend::Wgpu && dev.name().contains("llvmpipe") && blocks > max_blocks {
        return Err(Error::Unsupported {
            kernel,
            what: "more loop iterations per invocation than llvmpipe runs (65,535 in all, \
                   Mesa's LP_MAX_TGSI_LOOP_ITERATIONS; past them its loops end early and the \
                   results are wrong)",
            device: dev.name(),
            fix,
        });
    }
    Ok(())
}

/// Where an operation runs when [`within_llvmpipe_loops`] may refuse it: `None` for `dev`
/// itself; the CPU device when llvmpipe's limit refuses it and `dev`'s CPU fallback covers that
/// ([`Device::cpu_fallback_for`], which logs the operation's first fallback and lists it under
/// `kernel` in `fallen_back_kernels`); the refusal otherwise. The caller copies its inputs to
/// the CPU device, runs there and writes its outputs back.
pub(crate) fn llvmpipe_or_cpu(
    dev: &Device,
    kernel: &'static str,
    blocks: usize,
    max_blocks: usize,
    fix: &'static str,
) -> Result<Option<&'static Device>> {
    match within_llvmpipe_loops(dev, kernel, blocks, max_blocks, fix) {
        Ok(()) => Ok(None),
        Err(e) => dev.cpu_fallback_for(kernel, &e).map(Some).ok_or(e),
    }
}

/// The names of the instances `<kernel>_<T>_<value>` of `kernel` for `T`, in the order of
/// `values`.
fn instances<T: Element>(kernel: &str, values: &[u32]) -> Vec<String> {
    values
        .iter()
        .map(|v| format!("{kernel}_{}_{v}", T::NAME))
        .collect()
}

/// The index in `candidates` (instance names) of the one that `dev` runs: the autotuned choice
/// of the family `name` (see `Device::autotune`); `run(i)` times candidate `i`.
fn tuned(
    dev: &Device,
    name: &str,
    candidates: &[String],
    default: usize,
    run: &mut dyn FnMut(usize) -> Result<()>,
) -> Result<usize> {
    let candidates: Vec<&str> = candidates.iter().map(String::as_str).collect();
    let family = Family {
        name,
        candidates: &candidates,
        default,
    };
    Ok(dev.autotune(&family, run)?.index)
}
