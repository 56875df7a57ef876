use kernelforge::prelude::*;

#[compute_kernel(workgroup_size = 64)]
pub fn k(f: &[AtomicF32], y: &mut [f32]) {
    let i = global_id().x;
    let s = shared_array::<AtomicF32, 64>();
    f[i].fetch_or(1.0);
    s[i].fetch_xor(1.0);
    y[i] = f[i];
}

#[compute_kernel(workgroup_size = 64)]
pub fn m(f: &mut [AtomicF32]) {}

// Type errors are reported once the body lowers.
#[compute_kernel(workgroup_size = 64)]
pub fn t(f: &[AtomicF32]) {
    f[global_id().x].fetch_add(1u32);
}

fn main() {}
