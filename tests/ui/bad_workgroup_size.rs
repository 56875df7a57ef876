use kernelforge::prelude::*;

#[compute_kernel(workgroup_size = (64, 32))]
pub fn k(y: &mut [f32]) {
    let i = global_id().x;
    y[i] = 0.0;
}

fn main() {}
