use kernelforge::prelude::*;

#[compute_kernel(workgroup_size = 256)]
pub fn k(y: &mut [f32]) {
    const N: u32 = 8 * 1024;
    let a = shared_array::<f32, N>();
    let b = shared_array::<u32, { N / 2 }>();
    let c = shared_array::<f32, 2>();
    a[0] = 1.0;
    b[0] = 2;
    c[0] = 3.0;
    y[0] = a[0];
}

fn main() {}
