//! Subgroup (warp) operations on every backend present. Which invocations form a subgroup is
//! the platform's choice on wgpu, so the kernel reports each invocation's subgroup size and
//! lane and the reference is computed from them (subgroups of consecutive linear local ids,
//! as on CUDA, the CPU and, for 1-D workgroups, the Vulkan drivers we know; the test says so if
//! a driver does otherwise). Integer results are exact; float sums within 1e-5 of the sum of
//! magnitudes (the order of a subgroup's additions is the platform's).

mod common;

use common::each_backend;

use kernelforge::prelude::*;

/// Per invocation `i` (also past `x.len()`, with zeros): subgroup size, lane, and every
/// operation's result.
#[compute_kernel(workgroup_size = 64)]
pub fn subgroup_ops(
    x: &[f32],
    u: &[u32],
    s: &[i32],
    out_f: &mut [f32],
    out_u: &mut [u32],
    out_i: &mut [i32],
) {
    let i = global_id().x;
    let inside = i < x.len();
    let v = if inside { x[i] } else { 0.0 };
    let w = if inside { u[i] } else { 0 };
    let z = if inside { s[i] } else { 0 };
    let sum = subgroup_add(v);
    let low = subgroup_min(v);
    let high = subgroup_max(v);
    let umax = subgroup_max(w);
    let umin = subgroup_min(w);
    let first = subgroup_broadcast(w, 1);
    let swapped = subgroup_shuffle_xor(w, 1);
    let count = subgroup_add(1u32);
    let isum = subgroup_add(z);
    let imin = subgroup_min(z);
    let fx = subgroup_shuffle_xor(v, 2);
    let size = subgroup_size();
    let lane = subgroup_invocation_id();
    if i < out_i.len() {
        out_f[i * 4] = sum;
        out_f[i * 4 + 1] = low;
        out_f[i * 4 + 2] = high;
        out_f[i * 4 + 3] = fx;
        out_u[i * 7] = size;
        out_u[i * 7 + 1] = lane;
        out_u[i * 7 + 2] = umax;
        out_u[i * 7 + 3] = umin;
        out_u[i * 7 + 4] = first;
        out_u[i * 7 + 5] = swapped;
        out_u[i * 7 + 6] = count;
        out_i[i * 2] = isum;
        out_i[i * 2 + 1] = imin;
    }
}

#[each_backend]
fn subgroup_operations_match_a_scalar_reference(dev: &Device) {
    for n in [1usize, 64, 100, 1000] {
        let groups = n.div_ceil(64);
        let total = groups * 64;
        let x: Vec<f32> = (0..n)
            .map(|i| ((i * 37) % 101) as f32 * 0.5 - 20.0)
            .collect();
        let u: Vec<u32> = (0..n)
            .map(|i| (i as u32).wrapping_mul(2654435761) >> 8)
            .collect();
        let s: Vec<i32> = (0..n).map(|i| (i as i32 % 19) - 9 + i32::MAX / 8).collect();
        // Values as the kernel sees them, zeros past `n`.
        let xv = |i: usize| if i < n { x[i] } else { 0.0 };
        let uv = |i: usize| if i < n { u[i] } else { 0 };
        let sv = |i: usize| if i < n { s[i] } else { 0 };
        let name = dev.name();
        let (xb, ub, sb) = (
            dev.upload(&x).unwrap(),
            dev.upload(&u).unwrap(),
            dev.upload(&s).unwrap(),
        );
        let mut of = dev.zeros::<f32>(total * 4).unwrap();
        let mut ou = dev.zeros::<u32>(total * 7).unwrap();
        let mut oi = dev.zeros::<i32>(total * 2).unwrap();
        let launched = subgroup_ops::launch(
            dev,
            Grid::linear(total),
            &xb,
            &ub,
            &sb,
            &mut of,
            &mut ou,
            &mut oi,
        );
        if let Err(e @ kernelforge::Error::Unsupported { .. }) = &launched {
            common::skip_or_fail("subgroups", &e.to_string());
            continue;
        }
        launched.unwrap_or_else(|e| panic!("{name}: {e}"));
        let (f, o, si) = (
            of.to_vec().unwrap(),
            ou.to_vec().unwrap(),
            oi.to_vec().unwrap(),
        );
        eprintln!("{name}: subgroup size {}", o[0]);
        // The host's answer is the kernel's (or, on wgpu only, an Unsupported error).
        match dev.subgroup_size() {
            Ok(size) => assert_eq!(size, o[0], "{name}: Device::subgroup_size"),
            Err(e) => assert!(
                dev.backend() == Backend::Wgpu
                    && matches!(e, kernelforge::Error::Unsupported { .. }),
                "{name}: {e}"
            ),
        }
        for i in 0..total {
            let (size, lane) = (o[i * 7] as usize, o[i * 7 + 1] as usize);
            assert!(
                size.is_power_of_two() && (4..=128).contains(&size),
                "{name}: size {size}"
            );
            if dev.backend() != Backend::Wgpu {
                assert_eq!(size, 32, "{name}");
            }
            // Subgroups of consecutive ids within the workgroup.
            let base = i - lane;
            assert!(
                lane < size && base % 64 + size <= 64,
                "{name}: i {i} lane {lane} size {size}"
            );
            let members = base..base + size;
            let ctx = format!("{name}: n {n}, invocation {i}, subgroup {members:?}");
            let want_sum: f32 = members.clone().map(xv).sum();
            let mag: f32 = members.clone().map(|j| xv(j).abs()).sum();
            assert!(
                (f[i * 4] - want_sum).abs() <= 1e-5 * mag.max(1.0),
                "{ctx}: sum {} want {want_sum}",
                f[i * 4]
            );
            let low = members.clone().map(xv).fold(f32::INFINITY, f32::min);
            let high = members.clone().map(xv).fold(f32::NEG_INFINITY, f32::max);
            assert_eq!((f[i * 4 + 1], f[i * 4 + 2]), (low, high), "{ctx}: min, max");
            assert_eq!(
                f[i * 4 + 3],
                xv(base + (lane ^ 2)),
                "{ctx}: shuffle_xor f32"
            );
            assert_eq!(
                o[i * 7 + 2],
                members.clone().map(uv).max().unwrap(),
                "{ctx}: max u32"
            );
            assert_eq!(
                o[i * 7 + 3],
                members.clone().map(uv).min().unwrap(),
                "{ctx}: min u32"
            );
            assert_eq!(o[i * 7 + 4], uv(base + 1), "{ctx}: broadcast");
            assert_eq!(o[i * 7 + 5], uv(base + (lane ^ 1)), "{ctx}: shuffle_xor");
            assert_eq!(o[i * 7 + 6], size as u32, "{ctx}: count");
            let isum = members.clone().map(sv).fold(0i32, i32::wrapping_add);
            assert_eq!(si[i * 2], isum, "{ctx}: i32 sum wraps");
            assert_eq!(
                si[i * 2 + 1],
                members.clone().map(sv).min().unwrap(),
                "{ctx}: min i32"
            );
        }
    }
}
