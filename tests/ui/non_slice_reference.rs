use kernelforge::prelude::*;

#[compute_kernel]
pub fn k(a: &f32, y: &mut [f32]) {
    let i = global_id().x;
    y[i] = 0.0;
}

fn main() {}
