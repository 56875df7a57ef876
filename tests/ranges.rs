//! Inclusive and reversed `for` ranges on every backend present, against the same loops run
//! by Rust: `a..=b`, `(a..b).rev()`, `(a..=b).rev()` and `.step_by(s)` after them, on `u32`
//! and `i32`, with `continue` and `break`, at the ends of the types' ranges (where `b + 1`
//! would overflow) and around a barrier; and `#[unroll]` loops, nested and stepped, past
//! WGSL's own unroll budget, and around barriers.

mod common;

use common::each_backend;
use kernelforge::prelude::*;

/// The loops over bounds `(a, b)` of invocation `i`, each folded into a checksum (the order
/// of the values matters: `h = h * 31 + v`), written to `out[i * 6 ..]`.
#[compute_kernel(workgroup_size = 64)]
pub fn range_loops(a: &[u32], b: &[u32], s: &[u32], out: &mut [u32]) {
    let i = global_id().x;
    if i < a.len() {
        let (lo, hi, st) = (a[i], b[i], s[i]);
        let mut h = 7u32;
        for v in lo..=hi {
            h = h.wrapping_mul(31).wrapping_add(v);
            if v.wrapping_sub(lo) >= 40 {
                break;
            }
        }
        out[i * 6] = h;
        let mut h = 7u32;
        for v in (lo..hi).rev() {
            if v % 3 == 1 {
                continue;
            }
            h = h.wrapping_mul(31).wrapping_add(v);
            if hi.wrapping_sub(v) >= 40 {
                break;
            }
        }
        out[i * 6 + 1] = h;
        let mut h = 7u32;
        for v in (lo..=hi).rev().step_by(st) {
            h = h.wrapping_mul(31).wrapping_add(v);
        }
        out[i * 6 + 2] = h;
        let mut h = 7u32;
        for v in (lo..=hi).step_by(st) {
            h = h.wrapping_mul(31).wrapping_add(v);
        }
        out[i * 6 + 3] = h;
        let mut h = 7u32;
        let (sl, sh) = (lo as i32 - 100, hi as i32 - 100);
        for v in (sl..=sh).rev() {
            if v < sh - 40 {
                break;
            }
            h = h.wrapping_mul(31).wrapping_add(v as u32);
        }
        for v in (sl..sh).rev().step_by(st) {
            h = h.wrapping_mul(31).wrapping_add(v as u32);
        }
        out[i * 6 + 4] = h;
        let mut h = 7u32;
        for v in lo..=lo {
            h = h.wrapping_mul(31).wrapping_add(v);
        }
        out[i * 6 + 5] = h;
    }
}

/// What `range_loops` computes, in Rust.
fn reference(lo: u32, hi: u32, st: u32) -> [u32; 6] {
    let st = st.max(1) as usize;
    let fold = |it: &mut dyn Iterator<Item = u32>| {
        it.fold(7u32, |h, v| h.wrapping_mul(31).wrapping_add(v))
    };
    let mut o = [0u32; 6];
    o[0] = fold(&mut (lo..=hi).take_while_inclusive(|v| v.wrapping_sub(lo) < 40));
    o[1] = fold(
        &mut (lo..hi)
            .rev()
            .filter(|v| v % 3 != 1)
            .take_while_inclusive(|v| hi.wrapping_sub(*v) < 40),
    );
    o[2] = fold(&mut (lo..=hi).rev().step_by(st));
    o[3] = fold(&mut (lo..=hi).step_by(st));
    // The kernel's `i32` arithmetic wraps.
    let (sl, sh) = ((lo as i32).wrapping_sub(100), (hi as i32).wrapping_sub(100));
    let floor = sh.wrapping_sub(40);
    let mut h = fold(
        &mut (sl..=sh)
            .rev()
            .take_while(|v| *v >= floor)
            .map(|v| v as u32),
    );
    for v in (sl..sh).rev().step_by(st) {
        h = h.wrapping_mul(31).wrapping_add(v as u32);
    }
    o[4] = h;
    o[5] = fold(&mut (lo..=lo));
    o
}

trait TakeWhileInclusive: Iterator + Sized {
    /// Items up to and including the first for which `f` is false.
    fn take_while_inclusive(
        self,
        f: impl FnMut(&Self::Item) -> bool,
    ) -> impl Iterator<Item = Self::Item>;
}

impl<I: Iterator> TakeWhileInclusive for I {
    fn take_while_inclusive(
        self,
        mut f: impl FnMut(&Self::Item) -> bool,
    ) -> impl Iterator<Item = Self::Item> {
        let mut done = false;
        self.take_while(move |v| {
            if done {
                return false;
            }
            done = !f(v);
            true
        })
    }
}

#[each_backend]
fn inclusive_and_reversed_ranges_match_rust(dev: &Device) {
    let mut cases: Vec<(u32, u32, u32)> = vec![
        (0, 0, 1),
        (5, 4, 1),
        (4, 5, 1),
        (0, 10, 3),
        (10, 30, 7),
        (100, 100, 2),
        (u32::MAX - 5, u32::MAX, 1),
        (u32::MAX - 10, u32::MAX, 4),
        (u32::MAX, u32::MAX, 1),
        (0, 1000, 0),
        (0, u32::MAX, 1 << 30),
        (0x8000_0000 + 90, 0x8000_0000 + 120, 5),
    ];
    for k in 0..50u32 {
        cases.push((k * 13 % 70, k * 29 % 90, k % 9));
    }
    let a: Vec<u32> = cases.iter().map(|c| c.0).collect();
    let b: Vec<u32> = cases.iter().map(|c| c.1).collect();
    let s: Vec<u32> = cases.iter().map(|c| c.2).collect();
    let (ab, bb, sb) = (
        dev.upload(&a).unwrap(),
        dev.upload(&b).unwrap(),
        dev.upload(&s).unwrap(),
    );
    let mut out = dev.zeros::<u32>(cases.len() * 6).unwrap();
    range_loops::launch(dev, Grid::linear(cases.len()), &ab, &bb, &sb, &mut out).unwrap();
    let got = out.to_vec().unwrap();
    for (i, &(lo, hi, st)) in cases.iter().enumerate() {
        assert_eq!(
            got[i * 6..i * 6 + 6],
            reference(lo, hi, st),
            "bounds {lo}..{hi} step {st} on {}",
            dev.name()
        );
    }
}

/// A tree reduction whose halving loop is a reversed range, with a barrier in it.
#[compute_kernel(workgroup_size = 256)]
pub fn tree_sum(x: &[f32], out: &mut [f32]) {
    let tile = shared_array::<f32, 256>();
    let l = local_id().x;
    tile[l] = x[global_id().x];
    workgroup_barrier();
    for k in (0..=7u32).rev() {
        let half = 1u32 << k;
        if l < half {
            tile[l] = tile[l] + tile[l + half];
        }
        workgroup_barrier();
    }
    if l == 0 {
        out[group_id().x] = tile[0];
    }
}

#[each_backend]
fn reversed_range_around_a_barrier(dev: &Device) {
    let groups = 12usize;
    let x: Vec<f32> = (0..groups * 256).map(|i| (i % 17) as f32).collect();
    let xb = dev.upload(&x).unwrap();
    let mut out = dev.zeros::<f32>(groups).unwrap();
    tree_sum::launch(dev, Grid::groups([groups as u32, 1, 1]), &xb, &mut out).unwrap();
    let want: Vec<f32> = x.chunks(256).map(|c| c.iter().sum()).collect();
    assert_eq!(out.to_vec().unwrap(), want, "on {}", dev.name());
}

/// `#[unroll]` loops past WGSL's own unroll budget, nested, stepped and over a private array:
/// the outer product of `x[4i..4i + 4]` with itself, 12 times over (`(0..48).step_by(4)`,
/// each adding one more copy), folded into a checksum.
#[compute_kernel(workgroup_size = 64)]
pub fn unrolled_products(x: &[u32], out: &mut [u32]) {
    let i = global_id().x;
    if i < out.len() {
        let mut p = [0u32; 16];
        #[unroll]
        for r in (0..48u32).step_by(4) {
            #[unroll]
            for a in 0..4u32 {
                #[unroll]
                for b in 0..4u32 {
                    p[4 * a + b] += x[4 * i + a] * x[4 * i + b] + r;
                }
            }
        }
        let mut h = 0u32;
        #[unroll]
        for k in 0..16u32 {
            h = h.wrapping_mul(31).wrapping_add(p[k]);
        }
        out[i] = h;
    }
}

#[each_backend]
fn unroll_attribute_gives_the_loops_results(dev: &Device) {
    let n = 100usize;
    let x: Vec<u32> = (0..4 * n as u32).map(|v| v * 7 % 23).collect();
    let xb = dev.upload(&x).unwrap();
    let mut out = dev.zeros::<u32>(n).unwrap();
    unrolled_products::launch(dev, Grid::linear(n), &xb, &mut out).unwrap();
    let got = out.to_vec().unwrap();
    for i in 0..n {
        let mut p = [0u32; 16];
        for r in (0..48u32).step_by(4) {
            for a in 0..4 {
                for b in 0..4 {
                    p[4 * a + b] += x[4 * i + a] * x[4 * i + b] + r;
                }
            }
        }
        let h = p
            .iter()
            .fold(0u32, |h, &v| h.wrapping_mul(31).wrapping_add(v));
        assert_eq!(got[i], h, "invocation {i} on {}", dev.name());
    }
}

/// A `#[unroll]` loop with barriers in it, over `i32`: each of four rounds writes the tile,
/// waits, reads a neighbour's value and waits again, into an accumulator that lives across
/// the barriers (the CPU back end's work-item loops split at each barrier of every copy).
#[compute_kernel(workgroup_size = 64)]
pub fn unrolled_rounds(x: &[i32], out: &mut [i32]) {
    let tile = shared_array::<i32, 64>();
    let l = local_id().x;
    let g = global_id().x;
    let mut acc = 0i32;
    #[unroll]
    for r in 0..4i32 {
        tile[l] = x[g] * (r + 1);
        workgroup_barrier();
        acc = acc * 3 + tile[(l + r as u32 + 1) % 64];
        workgroup_barrier();
    }
    out[g] = acc;
}

#[each_backend]
fn unroll_attribute_around_barriers(dev: &Device) {
    let groups = 5usize;
    let x: Vec<i32> = (0..groups as i32 * 64).map(|v| v * 5 % 37 - 18).collect();
    let xb = dev.upload(&x).unwrap();
    let mut out = dev.zeros::<i32>(x.len()).unwrap();
    unrolled_rounds::launch(dev, Grid::groups([groups as u32, 1, 1]), &xb, &mut out).unwrap();
    let want: Vec<i32> = (0..x.len())
        .map(|g| {
            let (base, l) = (g / 64 * 64, g % 64);
            (0..4).fold(0i32, |acc, r| {
                acc * 3 + x[base + (l + r as usize + 1) % 64] * (r + 1)
            })
        })
        .collect();
    assert_eq!(out.to_vec().unwrap(), want, "on {}", dev.name());
}
