use kernelforge::prelude::*;

fn plain(x: f32) -> f32 {
    x
}

#[compute_kernel]
pub fn k(y: &mut [f32]) {
    let i = global_id().x;
    y[i] = plain(y[i]);
}

fn main() {}
