use kernelforge::prelude::*;

// The pair results must be destructured or taken apart, into two names, without a type.
#[compute_kernel]
pub fn k(a: &[u32], y: &mut [u32]) {
    let i = global_id().x;
    y[i] = a[i].widening_mul(3u32);
    let (p, q, r) = a[i].carrying_add(1u32, false);
    let (lo, hi): (u32, u32) = a[i].widening_mul(a[i]);
}

fn main() {}
