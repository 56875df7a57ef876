use kernelforge::prelude::*;

#[compute_kernel]
pub fn k<T>(y: &mut [T]) {
    let i = global_id().x;
}

fn main() {}
