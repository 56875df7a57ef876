//! Integer kernels: wrapping u32 arithmetic that must agree bit for bit on every backend.

use kernelforge::prelude::*;

/// A 32-bit hash of `x[i] ^ seed`: the finaliser of MurmurHash3 (Appleby, `fmix32`), which
/// exercises wrapping multiplication, xor and shifts.
#[compute_kernel(workgroup_size = 256)]
pub fn hash_u32(seed: u32, x: &[u32], y: &mut [u32]) {
    let i = global_id().x;
    if i < y.len() {
        let mut h = x[i] ^ seed;
        h ^= h >> 16;
        h *= 0x85eb_ca6b;
        h ^= h >> 13;
        h *= 0xc2b2_ae35;
        h ^= h >> 16;
        y[i] = h;
    }
}
