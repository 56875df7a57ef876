use kernelforge::prelude::*;

#[kernel_fn]
fn first<const N: u32>(t: &mut [f32; N]) -> f32 {
    t[0]
}

// Found once the helper is resolved, so in a file of its own: the kernel's own
// errors are reported before the helper chain runs.
#[compute_kernel(workgroup_size = 64)]
pub fn k(y: &mut [f32]) {
    let i = global_id().x;
    let tile = shared_array::<[f32; 8], 8>();
    y[i] = first(&mut tile);
}

fn main() {}
