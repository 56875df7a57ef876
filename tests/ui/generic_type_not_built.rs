use kernelforge::prelude::*;

#[compute_kernel(T = [f32, f16])]
pub fn scale<T: Float>(a: T, x: &mut [T]) {
    let i = global_id().x;
    if i < x.len() {
        x[i] = a * x[i];
    }
}

// `f64` is a Float, but the attribute does not list it: a compile error naming the instances.
fn main() {
    let dev = Device::cpu();
    let mut x = dev.upload(&[1.0f64, 2.0]).unwrap();
    scale::launch(&dev, Grid::linear(2), 2.0f64, &mut x).unwrap();
}
