//! Elementwise f32 kernels: one invocation per element, 256 invocations per workgroup.

use kernelforge::prelude::*;

/// `c[i] = a[i] + b[i]`.
#[compute_kernel(workgroup_size = 256)]
pub fn vector_add(a: &[f32], b: &[f32], c: &mut [f32]) {
    let i = global_id().x;
    if i < c.len() {
        c[i] = a[i] + b[i];
    }
}

/// `y[i] = a * x[i] + y[i]` (BLAS saxpy).
#[compute_kernel(workgroup_size = 256)]
pub fn saxpy(a: f32, x: &[f32], y: &mut [f32]) {
    let i = global_id().x;
    if i < y.len() {
        y[i] = a * x[i] + y[i];
    }
}

/// `y[i] = a * x[i]`.
#[compute_kernel(workgroup_size = 256)]
pub fn scale(a: f32, x: &[f32], y: &mut [f32]) {
    let i = global_id().x;
    if i < y.len() {
        y[i] = a * x[i];
    }
}

/// `y[i] = max(x[i], 0)`.
#[compute_kernel(workgroup_size = 256)]
pub fn relu(x: &[f32], y: &mut [f32]) {
    let i = global_id().x;
    if i < y.len() {
        let v = x[i];
        y[i] = if v > 0.0 { v } else { 0.0 };
    }
}

/// GELU, tanh approximation, as PyTorch's `gelu(approximate='tanh')`:
/// `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))` (Hendrycks & Gimpel, 2016).
#[compute_kernel(workgroup_size = 256)]
pub fn gelu(x: &[f32], y: &mut [f32]) {
    let i = global_id().x;
    if i < y.len() {
        let v = x[i];
        let u = 0.7978846 * (v + 0.044715 * v * v * v);
        y[i] = 0.5 * v * (1.0 + u.tanh());
    }
}

/// `y[i] = 1 / (1 + exp(-x[i]))`.
#[compute_kernel(workgroup_size = 256)]
pub fn sigmoid(x: &[f32], y: &mut [f32]) {
    let i = global_id().x;
    if i < y.len() {
        y[i] = 1.0 / (1.0 + (-x[i]).exp());
    }
}

/// SiLU (swish): `y[i] = x[i] / (1 + exp(-x[i]))`.
#[compute_kernel(workgroup_size = 256)]
pub fn silu(x: &[f32], y: &mut [f32]) {
    let i = global_id().x;
    if i < y.len() {
        let v = x[i];
        y[i] = v / (1.0 + (-v).exp());
    }
}

/// `y[i] = x[i]`: the device copy that `kernelforge bench` takes as each backend's roofline.
#[compute_kernel(workgroup_size = 256)]
pub fn copy(x: &[f32], y: &mut [f32]) {
    let i = global_id().x;
    if i < y.len() {
        y[i] = x[i];
    }
}
