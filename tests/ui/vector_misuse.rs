use kernelforge::prelude::*;

// Mistakes the front end finds, each at its span.
#[compute_kernel(workgroup_size = 64)]
pub fn misused(x: &[f32], y: &mut [f32], h: &[f16]) {
    let i = global_id().x;
    let v = Vec4::load(&x, i);
    y[i] = v;
    let w = Vec2::splat(1.0f32) + v;
    v.x = 2.0;
    let z = Vec2::new(1.0f32, 2.0).z;
    v.store(&mut x, i);
    let p = [0.0f32; 8];
    let q = Vec4::load(&p, 0);
    let c = v < v;
    let n = Vec4::new(1.0f32, 2.0);
    let m = v.cross(v);
    let mut u: Vec4<f32> = 3.0;
    u = 1.0;
}

// A load's lanes have the memory's type.
#[compute_kernel(workgroup_size = 64)]
pub fn mistyped(h: &[f16], y: &mut [f32]) {
    let i = global_id().x;
    let v: Vec4<f32> = Vec4::load(h, i);
    v.store(y, i);
}

fn main() {}
