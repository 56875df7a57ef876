use kernelforge::prelude::*;

#[compute_kernel]
pub fn k(y: &mut [f32]) {
    let i = global_id().x;
    println!("{}", i);
    y[i] = undefined_name;
    let s: String = 0;
}

fn main() {}
