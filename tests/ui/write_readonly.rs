use kernelforge::prelude::*;

#[compute_kernel]
pub fn k(x: &[f32]) {
    let i = global_id().x;
    x[i] = 0.0;
}

fn main() {}
