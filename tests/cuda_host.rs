//! The host harness itself (`Device::cuda_host`, runtime/src/backend/cuda_host): its 16-bit
//! conversions against the `half` crate over every `f16`/`bf16` value and a million `f32`s, and
//! its errors (a barrier that can never complete, source the compiler rejects). Every kernel
//! of the other tests runs through it as their `_cuda_host` instance.
//!
//! The kernels here are hand-written CUDA C in the launch ABI of `saxpy_f32` (the three group
//! counts, `a: f32`, `x: &[f32]`, `y: &mut [f32]`), launched through its `KernelDesc`.

mod common;

use kernelforge::__private::{KernelArg, KernelDesc};
use kernelforge::kernels::saxpy;
use kernelforge::{bf16, f16, Device, Error, Grid};

const PARAMS: &str = "unsigned gx, unsigned gy, unsigned gz, float a, const float* x, unsigned nx, float* y, unsigned ny";

/// The host device, or `None` after skipping (failing when `KERNELFORGE_REQUIRE` names
/// `cuda-host`).
fn host() -> Option<Device> {
    match Device::cuda_host() {
        Ok(d) => Some(d),
        Err(e) => {
            common::skip_or_fail("cuda-host", &e.to_string());
            None
        }
    }
}

/// Runs the CUDA C kernel `name` (`body` in saxpy's launch ABI, 256 threads per block) over
/// `x`, one thread per element, and returns `y`.
fn run(dev: &Device, name: &'static str, body: &str, x: &[f32]) -> kernelforge::Result<Vec<f32>> {
    let source: &'static str = Box::leak(
        format!(
            "extern \"C\" __global__ void __launch_bounds__(256) {name}({PARAMS}) {{\n{body}\n}}\n"
        )
        .into_boxed_str(),
    );
    let desc = KernelDesc {
        name,
        cuda_source: source,
        ptx: None,
        cubins: &[],
        ..saxpy::saxpy_f32::KERNEL
    };
    let xb = dev.upload(x)?;
    let mut yb = dev.zeros::<f32>(x.len())?;
    let mut args = [
        KernelArg::Scalar(0),
        KernelArg::whole(xb.raw()),
        KernelArg::whole_mut(yb.raw_mut()),
    ];
    dev.launch(&desc, Grid::linear(x.len()), &mut args)?;
    yb.to_vec()
}

const NARROW: &str = "unsigned i = blockIdx.x * 256 + threadIdx.x; if (i >= nx) return;
unsigned h = __half_as_ushort(__float2half_rn(x[i]));
unsigned b = __bfloat16_as_ushort(__float2bfloat16_rn(x[i]));
y[i] = __uint_as_float(h | (b << 16));";

const WIDEN: &str = "unsigned i = blockIdx.x * 256 + threadIdx.x; if (i >= nx) return;
unsigned u = __float_as_uint(x[i]);
float h = __half2float(__ushort_as_half((unsigned short)(u & 0xffffu)));
float b = __bfloat162float(__ushort_as_bfloat16((unsigned short)(u >> 16)));
y[i] = (i & 1) ? b : h;";

#[test]
fn narrowing_rounds_as_half_does() {
    let Some(dev) = host() else { return };
    // Every sign, exponent and top mantissa bits, with the low bits at and around each
    // rounding boundary of f16 (13 dropped bits) and bf16 (16), then pseudo-random words.
    let lows = [
        0x0000u32, 0x0001, 0x0fff, 0x1000, 0x1001, 0x1fff, 0x2000, 0x7fff, 0x8000, 0x8001, 0xffff,
    ];
    let mut bits: Vec<u32> = (0..1u32 << 16)
        .flat_map(|hi| lows.iter().map(move |lo| (hi << 16) | lo))
        .collect();
    let mut s = 0x9e37_79b9u32;
    bits.extend((0..300_000).map(|_| {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        s
    }));
    let x: Vec<f32> = bits.iter().map(|&b| f32::from_bits(b)).collect();
    let got = run(&dev, "kf_narrow", NARROW, &x).unwrap();
    for (v, g) in x.iter().zip(&got) {
        let (h, b) = (g.to_bits() & 0xffff, g.to_bits() >> 16);
        // CUDA gives the canonical NaN; `half` keeps the payload.
        let want_h = if v.is_nan() {
            0x7fff
        } else {
            f16::from_f32(*v).to_bits() as u32
        };
        let want_b = if v.is_nan() {
            0x7fff
        } else {
            bf16::from_f32(*v).to_bits() as u32
        };
        assert_eq!(h, want_h, "f16 of {v:e} ({:#010x})", v.to_bits());
        assert_eq!(b, want_b, "bf16 of {v:e} ({:#010x})", v.to_bits());
    }
}

#[test]
fn widening_is_exact_for_every_16_bit_value() {
    let Some(dev) = host() else { return };
    // Element 2k carries f16 bits k in its low half, element 2k+1 bf16 bits k in its high half.
    let x: Vec<f32> = (0..1u32 << 16)
        .flat_map(|k| [f32::from_bits(k), f32::from_bits(k << 16)])
        .collect();
    let got = run(&dev, "kf_widen", WIDEN, &x).unwrap();
    for k in 0..1usize << 16 {
        let wants = [
            f16::from_bits(k as u16).to_f32(),
            bf16::from_bits(k as u16).to_f32(),
        ];
        for (j, want) in wants.into_iter().enumerate() {
            let g = got[2 * k + j];
            assert!(
                g.to_bits() == want.to_bits() || (g.is_nan() && want.is_nan()),
                "{} bits {k:#06x}: {g:e}, want {want:e}",
                ["f16", "bf16"][j]
            );
        }
    }
}

#[test]
fn a_barrier_that_cannot_complete_is_an_error() {
    let Some(dev) = host() else { return };
    // Lane 0 waits at the warp barrier, every other thread at the block barrier: on a GPU this
    // hangs or is undefined; here it is reported.
    let body = "if (threadIdx.x == 0) { __syncwarp(); } else { __syncthreads(); }";
    let e = run(&dev, "kf_split_barrier", body, &[1.0; 300]).expect_err("a barrier deadlock");
    let msg = e.to_string();
    assert!(matches!(e, Error::Cuda { .. }), "{msg}");
    for part in [
        "kf_split_barrier",
        "can never leave a barrier",
        "255 threads wait at __syncthreads()",
        "1 at a warp barrier",
    ] {
        assert!(msg.contains(part), "{part}: {msg}");
    }
    // The device recovers: the next launch runs.
    let y = run(&dev, "kf_after_deadlock", "unsigned i = blockIdx.x * 256 + threadIdx.x; if (i < nx) { __syncthreads(); y[i] = 2.0f * x[i]; }", &[1.5; 300]).unwrap();
    assert!(y.iter().all(|&v| v == 3.0), "{y:?}");
}

#[test]
fn source_the_compiler_rejects_is_a_compile_error() {
    let Some(dev) = host() else { return };
    let e = run(&dev, "kf_broken", "y[0] = undeclared_name;", &[1.0]).expect_err("bad C");
    let msg = e.to_string();
    assert!(
        matches!(
            e,
            Error::Compile {
                kernel: "kf_broken",
                ..
            }
        ),
        "{msg}"
    );
    assert!(msg.contains("undeclared_name"), "{msg}");
}
