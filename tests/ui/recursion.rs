use kernelforge::prelude::*;

#[compute_kernel]
pub fn k(y: &mut [f32]) {
    let i = global_id().x;
    k(y);
}

fn main() {}
