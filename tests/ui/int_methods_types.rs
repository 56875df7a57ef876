use kernelforge::prelude::*;

// The carry forms are unsigned; `to_bits` has no 16-bit integer to return; bit counts take
// integers.
#[compute_kernel]
pub fn k(s: &[i32], h: &[f16], x: &[f32], y: &mut [u32]) {
    let i = global_id().x;
    let (v, c) = s[i].overflowing_add(1);
    y[i] = h[i].to_bits();
    y[i] = x[i].count_ones();
}

fn main() {}
