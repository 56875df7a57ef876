//! Vector types (`Vec2<T>`, `Vec4<T>`) on every backend present: loads and stores of slices
//! and workgroup arrays at vector indices, lane reads and writes, lane-wise arithmetic with
//! vectors and scalars, math methods, `dot` and `sum`, a whole-vector assignment that reads
//! its own lanes crosswise, integer lanes, and a tail handled with scalars; compared with an
//! `f64` (or exact integer) reference and with the CPU backend.
//!
//! Tolerances: data movement and integer arithmetic are exact. Float arithmetic is each lane's
//! scalar arithmetic, so each result is bounded as the scalar expression is: `n` roundings of
//! the type over a sum of magnitudes, `n U sum|t|` with `U` the type's unit roundoff (`n` = the
//! operations on the path: 2 for `a x + y`, 3 for a sum of four, 8 for the dot product of
//! computed lanes), plus the smallest subnormal. FMA contraction by a Vulkan driver stays within it.

mod common;
#[path = "common/elem.rs"]
mod elem;

use common::each_backend;
use elem::{values, Elem};
use kernelforge::prelude::*;

/// `y = a x + y` over whole `Vec4`s, and the last `len % 4` elements with scalars by the
/// invocation after the last vector.
#[compute_kernel(workgroup_size = 64, T = [f32, f16, bf16])]
pub fn vec4_axpy<T: Float>(a: T, x: &[T], y: &mut [T]) {
    let i = global_id().x;
    let whole = y.len() / 4;
    if i < whole {
        let v = Vec4::load(x, i) * a + Vec4::load(y, i);
        v.store(y, i);
    } else if i == whole {
        for e in (4 * whole)..y.len() {
            y[e] = a * x[e] + y[e];
        }
    }
}

/// Vector `i`: `rev` gets its lanes reversed (a crosswise assignment); `stats[2i]` their sum
/// and `stats[2i + 1]` the dot product of `w = (v + (1, 2, 1, 1)) * 0.5` with `max(v, 0)`.
#[compute_kernel(workgroup_size = 64)]
pub fn vec4_lanes(x: &[f32], rev: &mut [f32], stats: &mut [f32]) {
    let i = global_id().x;
    if i < x.len() / 4 {
        let mut v = Vec4::load(&x, i);
        let s = v.sum();
        let mut w: Vec4<f32> = Vec4::splat(1.0);
        w.y = 2.0;
        w += v;
        w *= 0.5;
        stats[2 * i] = s;
        stats[2 * i + 1] = w.dot(v.max(Vec4::splat(0.0)));
        v = Vec4::new(v.w, v.z, v.y, v.x);
        v.store(&mut rev, i);
    }
}

/// Integer lanes: `y = (x * 2654435761 + (1, 2, 3, 4)) % 1000`, wrapping.
#[compute_kernel(workgroup_size = 64)]
pub fn vec4_u32(x: &[u32], y: &mut [u32]) {
    let i = global_id().x;
    if i < x.len() / 4 {
        let w = Vec4::load(&x, i) * 2654435761u32 + Vec4::new(1u32, 2, 3, 4);
        (w % 1000).store(&mut y, i);
    }
}

/// Through workgroup memory: each workgroup stages 64 `Vec2`s of `x`, then invocation `l`
/// writes vector `64 g + l` of `y` as vector `64 g + 63 - l` of `x` with its lanes swapped
/// (where both exist).
#[compute_kernel(workgroup_size = 64, T = [f32, f16, bf16])]
pub fn vec2_staged<T: Float>(x: &[T], y: &mut [T]) {
    let tile = shared_array::<T, 128>();
    let lid = local_id().x;
    let base = group_id().x * 64;
    let n = x.len() / 2;
    if base + lid < n {
        Vec2::load(x, base + lid).store(&mut tile, lid);
    }
    barrier();
    let j = 63 - lid;
    if base + lid < n && base + j < n {
        let v = Vec2::load(&tile, j);
        Vec2::new(v.y, v.x).store(y, base + lid);
    }
}

fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol,
        "{what} = {got}, want {want} (tolerance {tol})"
    );
}

fn axpy_case<T: Elem + vec4_axpy::Instance>(dev: &Device) {
    for len in [0usize, 3, 4, 7, 1025] {
        let (x, y) = (values::<T>(len, 1), values::<T>(len, 2));
        let a = T::of(-0.75);
        let dx = dev.upload(&x).unwrap();
        let mut dy = dev.upload(&y).unwrap();
        let grid = Grid::linear(len / 4 + 1);
        vec4_axpy::launch::<T>(dev, grid, a, &dx, &mut dy)
            .unwrap_or_else(|e| panic!("vec4_axpy on {}: {e}", dev.name()));
        let got = dy.to_vec().unwrap();
        for i in 0..len {
            let ax = a.wide() * x[i].wide();
            let want = ax + y[i].wide();
            let tol = 2.0 * T::U * (ax.abs() + y[i].wide().abs()) + T::FLOOR;
            let what = format!(
                "{} {} len {len}: y[{i}]",
                dev.name(),
                std::any::type_name::<T>()
            );
            close(got[i].wide(), want, tol, &what);
        }
    }
}

#[each_backend]
fn axpy_over_vec4_with_a_scalar_tail_f32(dev: &Device) {
    axpy_case::<f32>(dev);
}

#[each_backend]
fn axpy_over_vec4_with_a_scalar_tail_f16(dev: &Device) {
    axpy_case::<f16>(dev);
}

#[each_backend]
fn axpy_over_vec4_with_a_scalar_tail_bf16(dev: &Device) {
    axpy_case::<bf16>(dev);
}

#[each_backend]
fn lanes_sums_dots_and_a_crosswise_assignment(dev: &Device) {
    let len = 4 * 300 + 2;
    let x = values::<f32>(len, 3);
    let dx = dev.upload(&x).unwrap();
    let mut rev = dev.upload(&vec![7.0f32; len]).unwrap();
    let mut stats = dev.zeros::<f32>(600).unwrap();
    vec4_lanes::launch(dev, Grid::linear(300), &dx, &mut rev, &mut stats)
        .unwrap_or_else(|e| panic!("vec4_lanes on {}: {e}", dev.name()));
    let (rev, stats) = (rev.to_vec().unwrap(), stats.to_vec().unwrap());
    let u = f32::U;
    for i in 0..300 {
        let v: Vec<f64> = x[4 * i..4 * i + 4].iter().map(|&e| e as f64).collect();
        for k in 0..4 {
            assert_eq!(
                rev[4 * i + k],
                x[4 * i + 3 - k],
                "{}: rev[{}]",
                dev.name(),
                4 * i + k
            );
        }
        let mag: f64 = v.iter().map(|e| e.abs()).sum();
        let what = format!("{}: stats[{}]", dev.name(), 2 * i);
        close(stats[2 * i] as f64, v.iter().sum(), 3.0 * u * mag, &what);
        let w = [
            (v[0] + 1.0) * 0.5,
            (v[1] + 2.0) * 0.5,
            (v[2] + 1.0) * 0.5,
            (v[3] + 1.0) * 0.5,
        ];
        let terms: Vec<f64> = (0..4).map(|k| w[k] * v[k].max(0.0)).collect();
        let mag: f64 = terms.iter().map(|t| t.abs()).sum();
        let what = format!("{}: stats[{}]", dev.name(), 2 * i + 1);
        close(
            stats[2 * i + 1] as f64,
            terms.iter().sum(),
            8.0 * u * mag + 1e-45,
            &what,
        );
    }
    // The tail is not a whole vector: untouched.
    assert_eq!(&rev[len - 2..], &[7.0, 7.0], "{}", dev.name());
}

#[each_backend]
fn integer_lanes_wrap(dev: &Device) {
    let x: Vec<u32> = (0..4 * 100u32)
        .map(|i| i.wrapping_mul(0x9e37_79b9))
        .collect();
    let dx = dev.upload(&x).unwrap();
    let mut dy = dev.zeros::<u32>(x.len()).unwrap();
    vec4_u32::launch(dev, Grid::linear(100), &dx, &mut dy).unwrap();
    let got = dy.to_vec().unwrap();
    for (i, (&g, &e)) in got.iter().zip(&x).enumerate() {
        let want = e.wrapping_mul(2654435761).wrapping_add(1 + (i % 4) as u32) % 1000;
        assert_eq!(g, want, "{}: y[{i}]", dev.name());
    }
}

fn staged_case<T: Elem + PartialEq + vec2_staged::Instance>(dev: &Device) {
    for len in [2usize, 129, 256, 300] {
        let x = values::<T>(len, 4);
        let dx = dev.upload(&x).unwrap();
        let mut dy = dev.upload(&vec![T::of(5.0); len]).unwrap();
        let n = len / 2;
        vec2_staged::launch::<T>(
            dev,
            Grid::groups([n.div_ceil(64) as u32, 1, 1]),
            &dx,
            &mut dy,
        )
        .unwrap_or_else(|e| panic!("vec2_staged on {}: {e}", dev.name()));
        let got = dy.to_vec().unwrap();
        for (v, pair) in got.chunks(2).enumerate() {
            let (g, l) = (v / 64 * 64, v % 64);
            let src = g + 63 - l;
            let want = if pair.len() == 2 && src < n {
                [x[2 * src + 1], x[2 * src]]
            } else {
                [T::of(5.0), T::of(5.0)]
            };
            assert_eq!(
                pair,
                &want[..pair.len()],
                "{} len {len}: vector {v}",
                dev.name()
            );
        }
    }
}

#[each_backend]
fn vec2_through_workgroup_memory_f32(dev: &Device) {
    staged_case::<f32>(dev);
}

#[each_backend]
fn vec2_through_workgroup_memory_f16(dev: &Device) {
    staged_case::<f16>(dev);
}

#[each_backend]
fn vec2_through_workgroup_memory_bf16(dev: &Device) {
    staged_case::<bf16>(dev);
}

/// A vector that reaches past its slice is the CPU backend's out-of-bounds error, naming the
/// slice and the first element past its end.
#[test]
fn a_vector_past_the_slice_is_an_error_on_the_cpu() {
    let dev = Device::cpu();
    let x = dev.upload(&[1.0f32; 8]).unwrap();
    let mut rev = dev.zeros::<f32>(4).unwrap();
    let mut stats = dev.zeros::<f32>(4).unwrap();
    // Vector 1 of `rev` (elements 4..8) lies past its 4 elements.
    let e = vec4_lanes::launch(&dev, Grid::linear(2), &x, &mut rev, &mut stats)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`rev`"), "{e}");
}

/// Host code sees plain lanes.
#[test]
fn host_vectors_are_their_lanes() {
    let x = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
    let v = Vec4::load(&x, 1);
    assert_eq!(v, Vec4::new(5.0, 6.0, 7.0, 8.0));
    assert_eq!(v.sum(), 26.0);
    assert_eq!(
        (v * 2.0 - Vec4::splat(1.0)).dot(Vec4::new(1.0, 0.0, 0.0, 1.0)),
        24.0
    );
    let fused = v.mul_add(Vec4::splat(2.0), Vec4::splat(1.0));
    assert_eq!(fused, Vec4::new(11.0, 13.0, 15.0, 17.0));
    let mut y = [0.0f32; 4];
    Vec2::new(9.0f32, 10.0).store(&mut y, 1);
    assert_eq!(y, [0.0, 0.0, 9.0, 10.0]);
}

/// A view may start at a multiple of the vector's lanes (and then gives the same result as a
/// buffer of its own); elsewhere it is refused at launch, naming the parameter, on every backend
/// (CUDA's vector accesses need that alignment).
#[each_backend]
fn views_start_at_whole_vectors(dev: &Device) {
    let x = values::<f32>(24, 5);
    let dx = dev.upload(&x).unwrap();
    let mut dy = dev.zeros::<f32>(16).unwrap();
    let view = dx.slice(8..24).unwrap();
    vec4_axpy::launch::<f32>(dev, Grid::linear(5), 1.0, &view, &mut dy).unwrap();
    assert_eq!(dy.to_vec().unwrap(), x[8..24], "{}", dev.name());
    let view = dx.slice(6..22).unwrap();
    let e = vec4_axpy::launch::<f32>(dev, Grid::linear(5), 1.0, &view, &mut dy)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`x`") && e.contains("Vec4"),
        "{}: {e}",
        dev.name()
    );
}

/// Slices accessed only as vectors (`x`, `rev` of `vec4_lanes`; WGSL binds them as arrays of
/// `vec4<f32>`) through views that start inside a binding, and too short for one vector.
#[each_backend]
fn vector_only_slices_through_views_and_short_slices(dev: &Device) {
    let x = values::<f32>(40, 6);
    let dx = dev.upload(&x).unwrap();
    let mut rev = dev.upload(&[7.0f32; 24]).unwrap();
    let mut stats = dev.zeros::<f32>(8).unwrap();
    // Vectors 2 and 3 of `x` into vectors 1 and 2 of `rev`.
    let view = dx.slice(8..16).unwrap();
    let mut out = rev.slice_mut(4..12).unwrap();
    vec4_lanes::launch(dev, Grid::linear(64), &view, &mut out, &mut stats).unwrap();
    let got = rev.to_vec().unwrap();
    for (e, g) in got.iter().enumerate() {
        let want = if (4..12).contains(&e) {
            x[8 + (e - 4) / 4 * 4 + 3 - e % 4]
        } else {
            7.0
        };
        assert_eq!(*g, want, "{}: rev[{e}]", dev.name());
    }
    // Shorter than a vector: nothing to do.
    let short = dev.upload(&[1.0f32, 2.0]).unwrap();
    let mut rev = dev.upload(&[3.0f32; 2]).unwrap();
    vec4_lanes::launch(dev, Grid::linear(1), &short, &mut rev, &mut stats).unwrap();
    assert_eq!(rev.to_vec().unwrap(), [3.0, 3.0], "{}", dev.name());
}
