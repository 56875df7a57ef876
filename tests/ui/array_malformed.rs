use kernelforge::prelude::*;

#[compute_kernel(workgroup_size = 256)]
pub fn k(y: &mut [f32]) {
    let bad = shared_array::<f32>();
    let p = [0.0f32; M];
    let q = [0.0f32; 4];
    q[0] = 1.0;
    let flags = shared_array::<bool, 4>();
    barrier(1);
    y[0] = q;
}

fn main() {}
