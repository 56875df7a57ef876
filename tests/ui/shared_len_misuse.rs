use kernelforge::prelude::*;

#[compute_kernel(workgroup_size = 64)]
pub fn k(n: u32, m: i32, y: &mut [f32]) {
    let a = shared_array::<f32>(n + 1);
    let b = shared_array::<f32>(m);
    let c = shared_array::<[f32; 4]>(n);
    let d = shared_array::<f32>(n);
    let e = shared_array::<u32>(n);
    y[0] = d[0] + e[0] as f32;
}

fn main() {}
