use kernelforge::prelude::*;

#[compute_kernel(workgroup_size = B)]
pub fn unlisted<const B: u32>(y: &mut [f32]) {
    let i = global_id().x;
    y[i] = B as f32;
}

#[compute_kernel(B = [64, x], N = [2])]
pub fn signed<const B: i32>(y: &mut [f32]) {
    let i = global_id().x;
    y[i] = B as f32;
}

fn main() {}
