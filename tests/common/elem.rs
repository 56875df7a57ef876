//! Element types of the float kernels' tests (`f32`, `f16`, `bf16`): conversions, rounding
//! facts and exact varied inputs, shared by tests/matmul.rs and tests/attention.rs (included by
//! path by those only).

use kernelforge::prelude::*;

/// An element type of the built-in float kernels, with its rounding facts.
pub trait Elem: bytemuck::Pod + std::fmt::Debug {
    fn of(v: f32) -> Self;
    fn wide(self) -> f64;
    /// The unit roundoff of the type.
    const U: f64;
    /// Half the smallest positive subnormal.
    const FLOOR: f64;
}

impl Elem for f32 {
    fn of(v: f32) -> Self {
        v
    }
    fn wide(self) -> f64 {
        self as f64
    }
    const U: f64 = 5.960464477539063e-8;
    const FLOOR: f64 = 7.006e-46;
}

impl Elem for f16 {
    fn of(v: f32) -> Self {
        f16::from_f32(v)
    }
    fn wide(self) -> f64 {
        self.to_f64()
    }
    const U: f64 = 4.8828125e-4;
    const FLOOR: f64 = 2.98e-8;
}

impl Elem for bf16 {
    fn of(v: f32) -> Self {
        bf16::from_f32(v)
    }
    fn wide(self) -> f64 {
        self.to_f64()
    }
    const U: f64 = 3.90625e-3;
    const FLOOR: f64 = 4.6e-41;
}

/// `len` values in [-2, 2) from `seed`, not all of one sign (a Weyl sequence: varied, exact).
pub fn values<T: Elem>(len: usize, seed: u32) -> Vec<T> {
    (0..len as u32)
        .map(|i| {
            let v = (i
                .wrapping_mul(2654435761)
                .wrapping_add(seed.wrapping_mul(40503))
                >> 8) as f32
                / (1 << 24) as f32;
            T::of(v * 4.0 - 2.0)
        })
        .collect()
}
