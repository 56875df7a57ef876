use kernelforge::prelude::*;

#[compute_kernel(workgroup_size = 64)]
pub fn k(y: &mut [f32]) {
    let i = global_id().x;
    let tile = shared_array::<[f32; 8], 8>();
    let mut p: [[f32; 4]; 2] = [[0.0; 4]; 4];
    tile[i] = 1.0;
    y[i] = tile[i][0][1] + p[0][0];
}

fn main() {}
