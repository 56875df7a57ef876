use kernelforge::prelude::*;

// The kernel's own errors are reported, not rustc's "cannot find macro `twice`" from the
// helper chain a call of an unknown name starts.
#[compute_kernel]
pub fn k(x: &[f32], y: &mut [f32]) {
    let twice = |a: f32| a * 2.0;
    let i = global_id().x;
    y[i] = twice(x[i]);
}

fn main() {}
