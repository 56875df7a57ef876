use kernelforge::prelude::*;

#[compute_kernel(workgroup_size = 64)]
pub fn k(n: u32, y: &mut [f32]) {
    let lid = local_id().x;
    for j in lid..n {
        barrier();
        y[j] = 0.0;
    }
    let mut k = 0u32;
    while k < n {
        if y[k] > 0.0 {
            break;
        }
        barrier();
        k += 1;
    }
}

fn main() {}
