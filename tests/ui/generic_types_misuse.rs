use kernelforge::prelude::*;

// A listed type outside the bound, a type parameter without a list, and a second type
// parameter.
#[compute_kernel(T = [f32, i32])]
pub fn bound<T: Float>(x: &mut [T]) {
    let i = global_id().x;
}

#[compute_kernel]
pub fn unlisted<T: Float>(x: &mut [T]) {
    let i = global_id().x;
}

#[compute_kernel(T = [f32], U = [u32])]
pub fn two<T: Float, U: Int>(x: &mut [T], y: &[U]) {
    let i = global_id().x;
}

fn main() {}
