//! `std::f32::consts::*` and `std::f64::consts::*` in kernels, on every backend present: each
//! constant arrives bit for bit as the standard library's value (a literal of its type; f64
//! needs SHADER_F64 on wgpu, and the test says when it skips).

mod common;

use common::{each_backend, lacks_shader_feature};
use kernelforge::prelude::*;

/// A few constants in each accepted spelling, and one used in arithmetic.
#[compute_kernel(workgroup_size = 64)]
pub fn math_consts(r: f32, y: &mut [f32], d: &mut [f64]) {
    if global_id().x == 0 {
        y[0] = std::f32::consts::PI;
        y[1] = core::f32::consts::E;
        y[2] = f32::consts::LN_2;
        y[3] = std::f32::consts::FRAC_2_SQRT_PI;
        y[4] = std::f32::consts::TAU * r;
        d[0] = std::f64::consts::PI;
        d[1] = f64::consts::LOG10_E;
        d[2] = core::f64::consts::SQRT_2;
    }
}

#[each_backend]
fn constants_are_the_standard_librarys(dev: &Device) {
    use std::f32::consts as c32;
    use std::f64::consts as c64;
    let mut y = dev.zeros::<f32>(5).unwrap();
    let mut d = dev.zeros::<f64>(3).unwrap();
    let r = math_consts::launch(dev, Grid::linear(1), 0.5, &mut y, &mut d);
    if lacks_shader_feature(dev, r, &["SHADER_F64"]) {
        return;
    }
    let want = [
        c32::PI,
        c32::E,
        c32::LN_2,
        c32::FRAC_2_SQRT_PI,
        c32::TAU * 0.5,
    ];
    let got = y.to_vec().unwrap();
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g.to_bits(), w.to_bits(), "{got:?} on {}", dev.name());
    }
    let got = d.to_vec().unwrap();
    for (g, w) in got.iter().zip([c64::PI, c64::LOG10_E, c64::SQRT_2]) {
        assert_eq!(g.to_bits(), w.to_bits(), "{got:?} on {}", dev.name());
    }
}
