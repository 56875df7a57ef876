use kernelforge::prelude::*;

#[compute_kernel(workgroup_size = 64)]
pub fn k(y: &mut [f32]) {
    let i = global_id().x;
    if i < 10 {
        workgroup_barrier();
        subgroup_barrier();
    }
    y[i] = 1.0;
}

#[compute_kernel(workgroup_size = 64)]
pub fn m(y: &mut [f32]) {
    let b = subgroup_barrier();
    workgroup_barrier(1);
}

fn main() {}
