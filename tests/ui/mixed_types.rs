use kernelforge::prelude::*;

// Values of different types meet only through `as`: no implicit widening, as in Rust.
#[compute_kernel]
pub fn k(a: f64, x: &[f16], y: &mut [f32]) {
    let i = global_id().x;
    y[i] = a * y[i];
    y[i] = (x[i] + 1.0f32) as f32;
}

fn main() {}
