//! Subgroup operations of the CPU backend. A workgroup runs on one thread, so a subgroup is
//! simply [`SUBGROUP_SIZE`] consecutive invocations (by linear local id), as a CUDA warp: each
//! operation reads every lane's value from one array and writes every lane's result to another.

/// Invocations per subgroup on the CPU, as in a CUDA warp.
pub const SUBGROUP_SIZE: usize = 32;

/// Each lane gets `combine` over its subgroup's values, in the order of a CUDA
/// `__shfl_xor_sync` butterfly (lane `l` combines with lane `l ^ m` for `m = 16, 8, 4, 2, 1`),
/// so that float sums round as on CUDA. A last subgroup of fewer than 32 lanes (not produced by
/// the validated kernels) combines the lanes it has.
#[inline]
pub fn reduce<T: Copy>(values: &[T], out: &mut [T], combine: impl Fn(T, T) -> T) {
    for (v, o) in values
        .chunks(SUBGROUP_SIZE)
        .zip(out.chunks_mut(SUBGROUP_SIZE))
    {
        if let (Ok(v), Ok(o)) = (
            <&[T; SUBGROUP_SIZE]>::try_from(v),
            <&mut [T; SUBGROUP_SIZE]>::try_from(&mut *o),
        ) {
            // A full subgroup, in registers: each step is a lane permutation by a constant
            // and one `combine` per lane, which LLVM turns into vector shuffles (with the
            // distance a variable, it gathered from memory).
            let mut cur = *v;
            butterfly::<T, 16>(&mut cur, &combine);
            butterfly::<T, 8>(&mut cur, &combine);
            butterfly::<T, 4>(&mut cur, &combine);
            butterfly::<T, 2>(&mut cur, &combine);
            butterfly::<T, 1>(&mut cur, &combine);
            *o = cur;
            continue;
        }
        o.copy_from_slice(v);
        let mut m = SUBGROUP_SIZE / 2;
        while m > 0 {
            // Each step reads the values of the step before; `None` past a short subgroup.
            let prev: [Option<T>; SUBGROUP_SIZE] = std::array::from_fn(|l| o.get(l).copied());
            for (l, x) in o.iter_mut().enumerate() {
                if let Some(other) = prev[l ^ m] {
                    *x = combine(*x, other);
                }
            }
            m /= 2;
        }
    }
}

/// One step of the butterfly: lane `l` combines its value with lane `l ^ M`'s. Written as
/// blocks of `2 * M` lanes whose halves combine with each other, so that the lanes move in
/// contiguous runs (indexed `prev[l ^ M]`, LLVM gathered them from memory one by one).
#[inline(always)]
fn butterfly<T: Copy, const M: usize>(cur: &mut [T; SUBGROUP_SIZE], combine: &impl Fn(T, T) -> T) {
    let prev = *cur;
    for (block, out) in prev.chunks_exact(2 * M).zip(cur.chunks_exact_mut(2 * M)) {
        let (lo, hi) = block.split_at(M);
        let (out_lo, out_hi) = out.split_at_mut(M);
        for j in 0..M {
            out_lo[j] = combine(lo[j], hi[j]);
            out_hi[j] = combine(hi[j], lo[j]);
        }
    }
}

/// `out[i]` = the value of lane `lanes[i] % 32` of `i`'s subgroup (its own value if that lane
/// does not exist).
#[inline]
pub fn broadcast<T: Copy>(values: &[T], lanes: &[u32], out: &mut [T]) {
    gather(values, lanes, out, |_, lane| lane as usize % SUBGROUP_SIZE);
}

/// `out[i]` = the value of lane `(i % 32) ^ masks[i]` of `i`'s subgroup (its own value if that
/// lane does not exist).
#[inline]
pub fn shuffle_xor<T: Copy>(values: &[T], masks: &[u32], out: &mut [T]) {
    gather(values, masks, out, |l, mask| l ^ mask as usize);
}

fn gather<T: Copy>(values: &[T], args: &[u32], out: &mut [T], lane: impl Fn(usize, u32) -> usize) {
    for ((v, a), o) in values
        .chunks(SUBGROUP_SIZE)
        .zip(args.chunks(SUBGROUP_SIZE))
        .zip(out.chunks_mut(SUBGROUP_SIZE))
    {
        for l in 0..v.len() {
            o[l] = v.get(lane(l, a[l])).copied().unwrap_or(v[l]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_every_subgroup_to_every_lane() {
        let v: Vec<u32> = (0..64).collect();
        let mut out = vec![0; 64];
        reduce(&v, &mut out, u32::wrapping_add);
        assert!(out[..32].iter().all(|&s| s == (0..32).sum::<u32>()));
        assert!(out[32..].iter().all(|&s| s == (32..64).sum::<u32>()));
        let mut short = vec![0; 40];
        reduce(&v[..40], &mut short, u32::max);
        assert!(short[32..].iter().all(|&s| s == 39), "{short:?}");
    }

    #[test]
    fn full_subgroups_round_in_cuda_butterfly_order() {
        // Values of mixed magnitudes, so that a different order would round differently.
        let v: Vec<f32> = (0..64u32)
            .map(|i| {
                (i.wrapping_mul(2_654_435_761) >> 8) as f32
                    * 1e-3
                    * if i % 3 == 0 { 1e4 } else { 1.0 }
            })
            .collect();
        let mut want = v.clone();
        for sg in want.chunks_mut(SUBGROUP_SIZE) {
            for m in [16, 8, 4, 2, 1] {
                let prev = sg.to_vec();
                for (l, x) in sg.iter_mut().enumerate() {
                    *x += prev[l ^ m];
                }
            }
        }
        let mut out = vec![0.0f32; 64];
        reduce(&v, &mut out, |a, b| a + b);
        let bits = |x: &[f32]| x.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&out), bits(&want));
    }

    #[test]
    fn gathers_lanes() {
        let v: Vec<i32> = (0..64).map(|i| i * 10).collect();
        let mut out = vec![0; 64];
        broadcast(&v, &[3; 64], &mut out);
        assert_eq!((out[0], out[31], out[32], out[63]), (30, 30, 350, 350));
        shuffle_xor(&v, &[1; 64], &mut out);
        assert_eq!((out[0], out[1], out[33]), (10, 0, 320));
    }
}
