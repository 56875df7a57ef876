//! Elementwise kernels: one invocation per element, 256 invocations per workgroup, each built
//! for `f32`, `f16` and `bf16` (`saxpy::launch` picks the instance of its buffers' type). The
//! half types compute in `f32` and round once when stored, as PyTorch's half kernels compute in
//! their "opmath" type; for `f32` the casts are no-ops and the code is the plain `f32` kernel.

use kernelforge::prelude::*;

/// `c[i] = a[i] + b[i]`.
#[compute_kernel(workgroup_size = 256, T = [f32, f16, bf16])]
pub fn vector_add<T: Float>(a: &[T], b: &[T], c: &mut [T]) {
    let i = global_id().x;
    if i < c.len() {
        c[i] = (a[i] as f32 + b[i] as f32) as T;
    }
}

/// `y[i] = a * x[i] + y[i]` (BLAS saxpy).
#[compute_kernel(workgroup_size = 256, T = [f32, f16, bf16])]
pub fn saxpy<T: Float>(a: T, x: &[T], y: &mut [T]) {
    let i = global_id().x;
    if i < y.len() {
        y[i] = (a as f32 * x[i] as f32 + y[i] as f32) as T;
    }
}

/// `y[i] = a * x[i]`.
#[compute_kernel(workgroup_size = 256, T = [f32, f16, bf16])]
pub fn scale<T: Float>(a: T, x: &[T], y: &mut [T]) {
    let i = global_id().x;
    if i < y.len() {
        y[i] = (a as f32 * x[i] as f32) as T;
    }
}

/// `y[i] = max(x[i], 0)`, taken in f32. A NaN gives 0 on the CPU and CUDA (`max`/`fmaxf`
/// return the other operand); WGSL's `max` is specified alike, though a driver may assume no
/// NaNs. Why f32: lavapipe ran a `vec4<f16>` compare-and-select at 0.7x of the handwritten
/// shader's f32 `max` (now 1.0x), and since the CPU backend converts f16 a block at a time
/// the conversions cost the CPU little (docs/benchmarks.md, eleventh session).
#[compute_kernel(workgroup_size = 256, T = [f32, f16, bf16])]
pub fn relu<T: Float>(x: &[T], y: &mut [T]) {
    let i = global_id().x;
    if i < y.len() {
        y[i] = max(x[i] as f32, 0.0) as T;
    }
}

/// GELU, tanh approximation, as PyTorch's `gelu(approximate='tanh')`:
/// `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))` (Hendrycks & Gimpel, 2016).
#[compute_kernel(workgroup_size = 256, T = [f32, f16, bf16])]
pub fn gelu<T: Float>(x: &[T], y: &mut [T]) {
    let i = global_id().x;
    if i < y.len() {
        let v = x[i] as f32;
        let u = 0.7978846 * (v + 0.044715 * v * v * v);
        y[i] = (0.5 * v * (1.0 + u.tanh())) as T;
    }
}

/// `y[i] = 1 / (1 + exp(-x[i]))`.
#[compute_kernel(workgroup_size = 256, T = [f32, f16, bf16])]
pub fn sigmoid<T: Float>(x: &[T], y: &mut [T]) {
    let i = global_id().x;
    if i < y.len() {
        y[i] = (1.0 / (1.0 + (-(x[i] as f32)).exp())) as T;
    }
}

/// SiLU (swish): `y[i] = x[i] / (1 + exp(-x[i]))`.
#[compute_kernel(workgroup_size = 256, T = [f32, f16, bf16])]
pub fn silu<T: Float>(x: &[T], y: &mut [T]) {
    let i = global_id().x;
    if i < y.len() {
        let v = x[i] as f32;
        y[i] = (v / (1.0 + (-v).exp())) as T;
    }
}

/// `y[i] = x[i]`: the device copy that `kernelforge bench` takes as each backend's roofline.
#[compute_kernel(workgroup_size = 256, T = [f32, f16, bf16])]
pub fn copy<T: Float>(x: &[T], y: &mut [T]) {
    let i = global_id().x;
    if i < y.len() {
        y[i] = x[i];
    }
}
