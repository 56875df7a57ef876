use kernelforge::prelude::*;

#[kernel_fn]
fn scale(a: f32, x: &mut [f32], i: u32) {
    x[i] = a * x[i];
}

#[kernel_fn]
fn first<const N: u32>(t: &[f32; N]) -> f32 {
    t[0]
}

#[kernel_fn]
fn early(x: f32) -> f32 {
    if x < 0.0 {
        return 0.0;
    }
    x
}

#[kernel_fn]
fn generic<T>(x: T) -> T {
    x
}

#[kernel_fn]
fn forever(x: f32) -> f32 {
    forever(x)
}

#[compute_kernel]
pub fn k(x: &[f32], y: &mut [f32]) {
    let i = global_id().x;
    let t = shared_array::<f32, 64>();
    let u = shared_array::<u32, 64>();
    scale(2.0, x, i);
    scale(2.0, y);
    let v = scale(2.0, y, i);
    let w = first::<32>(&t) + first(&u) + early(1.0) + forever(1.0);
    y[i] = w;
}

fn main() {}
