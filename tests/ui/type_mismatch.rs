use kernelforge::prelude::*;

#[compute_kernel]
pub fn k(a: i32, y: &mut [f32]) {
    let i = global_id().x;
    y[i] = a + 1.0;
}

fn main() {}
