use kernelforge::prelude::*;

// `#[unroll]` needs literal bounds, an ascending exclusive range, no `break` of its own, and
// takes no arguments; a loop takes no other attribute, and `while` none.
#[compute_kernel]
pub fn k(n: u32, x: &[f32], y: &mut [f32]) {
    let i = global_id().x;
    let mut s = 0.0f32;
    #[unroll]
    for j in 0..n {
        s += x[j];
    }
    #[unroll]
    for j in (0..4u32).rev() {
        s += x[j];
    }
    #[unroll]
    for j in 0..4u32 {
        if x[j] > 1.0 {
            break;
        }
        s += x[j];
    }
    #[unroll(4)]
    for j in 0..4u32 {
        s += x[j];
    }
    #[inline]
    for j in 0..4u32 {
        s += x[j];
    }
    #[unroll]
    for j in 0..2000u32 {
        s += x[j];
    }
    let mut k = 0u32;
    #[unroll]
    while k < 4 {
        k += 1;
    }
    y[i] = s + k as f32;
}

fn main() {}
