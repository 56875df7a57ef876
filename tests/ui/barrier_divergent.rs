use kernelforge::prelude::*;

#[compute_kernel(workgroup_size = 64)]
pub fn k(y: &mut [f32]) {
    let tile = shared_array::<f32, 64>();
    let lid = local_id().x;
    tile[lid] = 1.0;
    if lid < 32 {
        barrier();
    }
    let i = global_id().x;
    if i >= y.len() {
        return;
    }
    barrier();
    y[i] = tile[0];
}

fn main() {}
