use kernelforge::prelude::*;

#[compute_kernel]
pub fn k(y: &mut [f32]) {
    let i = global_id().x;
    let v = 1.0;
    let r = &v;
    y[i] = v;
}

fn main() {}
