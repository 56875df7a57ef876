use kernelforge::prelude::*;

#[compute_kernel(workgroup_size = 64)]
pub fn k(n: u32, y: &mut [u32]) {
    let i = global_id().x;
    for j in (0..n).step_by(2).rev() {
        y[i] = j;
    }
    for j in 0.. {
        y[i] = j;
    }
    let (a, b) = (1u32, 2u32, 3u32);
    let (c, d) = i;
    y[i] = a + b + c + d;
}

fn main() {}
