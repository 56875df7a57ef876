use kernelforge::prelude::*;

#[compute_kernel(workgroup_size = 64)]
pub fn k(h: &[AtomicU32], y: &mut [u32]) {
    let i = global_id().x;
    let counts = shared_array::<AtomicI32, 64>();
    let w = counts[i];
    y[i] = h[i];
    h[i] = 1;
    counts[i] = 2;
    h[i].fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let v = h[i].store(3);
    h[i].fetch_nand(1);
    h[i].compare_exchange(1);
    counts[i].fetch_add(1.0);
}

#[compute_kernel(workgroup_size = 64)]
pub fn m(h: &mut [AtomicU32], f: &[AtomicU64]) {}

fn main() {}
