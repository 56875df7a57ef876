use kernelforge::prelude::*;

// Types that an operation cannot take on every target: subgroup operations are 32-bit (the
// common ground of WGSL's and CUDA's), so a 64-bit or half-precision value is an error that
// says what to convert it to.
#[compute_kernel]
pub fn k(x: &[u64], h: &[f16], y: &mut [u64], z: &mut [f16]) {
    let i = global_id().x;
    let s = subgroup_add(x[i]);
    let t = subgroup_max(h[i]);
    y[i] = s;
    z[i] = t;
}

fn main() {}
