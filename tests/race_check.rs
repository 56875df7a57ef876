//! The CPU backend's race and initialisation check (`Device::cpu_checked`,
//! `KERNELFORGE_CHECK=races`): the races a new user met (a workgroup array reused for two
//! reductions with no barrier between reading the first result and writing the second; lanes
//! reading buffer entries other lanes wrote, with no barrier) are errors naming the kernel, the
//! buffer or array, the element and both accesses; the same kernels with their barriers pass;
//! a read of workgroup memory nothing wrote is an error; and every built-in kernel passes the
//! check with the results of the unchecked CPU version.

use kernelforge::kernels::*;
use kernelforge::prelude::*;
use kernelforge::Error;

/// Two sums through one workgroup array: `fence` selects the barrier between reading the first
/// sum (`tile[0]`) and overwriting the array for the second (none: the race).
#[compute_kernel(workgroup_size = 64)]
pub fn two_sums(fence: u32, x: &[f32], out: &mut [f32]) {
    let tile = shared_array::<f32, 64>();
    let lid = local_id().x;
    let g = group_id().x;
    tile[lid] = x[global_id().x];
    barrier();
    let mut s = 32;
    while s > 0 {
        if lid < s {
            tile[lid] = tile[lid] + tile[lid + s];
        }
        barrier();
        s /= 2;
    }
    let first = tile[0];
    if fence == 1 {
        barrier();
    }
    tile[lid] = x[global_id().x] * 2.0;
    barrier();
    let mut s = 32;
    while s > 0 {
        if lid < s {
            tile[lid] = tile[lid] + tile[lid + s];
        }
        barrier();
        s /= 2;
    }
    if lid == 0 {
        out[g] = first + tile[0];
    }
}

/// Each invocation writes its element, then reads its neighbour's: `fence` 0 has no barrier,
/// 1 a `workgroup_barrier()` (which does not order storage buffers), 2 a `barrier()`.
#[compute_kernel(workgroup_size = 64)]
pub fn neighbours(fence: u32, x: &[f32], y: &mut [f32], z: &mut [f32]) {
    let i = global_id().x;
    let lid = local_id().x;
    y[i] = x[i] + 1.0;
    if fence == 1 {
        workgroup_barrier();
    }
    if fence == 2 {
        barrier();
    }
    let j = group_id().x * 64 + (lid + 1) % 64;
    z[i] = y[j];
}

/// Lanes exchange through workgroup memory: with `fence` 1 a `subgroup_barrier()` orders it,
/// with 0 nothing does.
#[compute_kernel(workgroup_size = 64)]
pub fn lane_exchange_through_memory(fence: u32, x: &[f32], y: &mut [f32]) {
    let tile = shared_array::<f32, 64>();
    let lid = local_id().x;
    let i = global_id().x;
    tile[lid] = x[i];
    if fence == 1 {
        subgroup_barrier();
    }
    let lane = lid % 32;
    y[i] = tile[lid - lane + (lane + 1) % 32];
}

/// Each invocation stores a `Vec4` of `x` to workgroup memory and loads its neighbour's back:
/// with `fence` 1 a `barrier()` orders the two, with 0 nothing does.
#[compute_kernel(workgroup_size = 64)]
pub fn vector_exchange(fence: u32, x: &[f32], y: &mut [f32]) {
    let tile = shared_array::<f32, 256>();
    let lid = local_id().x;
    let i = global_id().x;
    Vec4::load(x, i).store(&mut tile, lid);
    if fence == 1 {
        barrier();
    }
    Vec4::load(&tile, (lid + 1) % 64).store(y, i);
}

/// Each warp stores an accumulator of ones to workgroup memory and loads it back as an A
/// operand (whose elements other lanes hold on every backend): with `fence` 1 a `barrier()`
/// orders the two, with 0 nothing does. Storing and loading the accumulator itself at one
/// place needs no barrier (one lane holds each element).
#[compute_kernel(workgroup_size = 64)]
pub fn tile_reuse(fence: u32, y: &mut [f32]) {
    let tile = shared_array::<f32, 512>();
    let warp = local_id().x / 32;
    let ones = matrix_fill(1.0);
    matrix_store(&tile, warp * 256, 16, Layout::RowMajor, &ones);
    let mut acc = matrix_load_acc(&tile, warp * 256, 16, Layout::RowMajor);
    if fence == 1 {
        barrier();
    }
    let a = matrix_load_a(&tile, warp * 256, 16, Layout::RowMajor);
    let b = matrix_load_b(&tile, warp * 256, 16, Layout::ColMajor);
    matrix_mma(&mut acc, &a, &b);
    matrix_store(y, warp * 256, 16, Layout::RowMajor, &acc);
}

/// Reads the element above its own, which only the invocations below `filled` wrote.
#[compute_kernel(workgroup_size = 64)]
pub fn reads_unwritten(filled: u32, y: &mut [f32]) {
    let tile = shared_array::<f32, 64>();
    let lid = local_id().x;
    if lid < filled {
        tile[lid] = lid as f32;
    }
    workgroup_barrier();
    y[global_id().x] = tile[(lid + 1) % 64];
}

fn inputs(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| ((i * 37) % 101) as f32 * 0.25 - 12.0)
        .collect()
}

/// A launch's `Err` as its message, for the checks below.
fn err(r: kernelforge::Result<()>) -> Error {
    r.expect_err("the check must fail the launch")
}

#[test]
fn a_workgroup_array_reused_without_a_barrier_is_a_race() {
    let dev = Device::cpu_checked();
    assert!(dev.name().ends_with("race check on"), "{}", dev.name());
    let n = 64 * 3;
    let x = dev.upload(&inputs(n)).unwrap();
    let mut out = dev.zeros::<f32>(3).unwrap();
    let e = err(two_sums::launch(&dev, Grid::linear(n), 0, &x, &mut out));
    let msg = e.to_string();
    match &e {
        Error::DataRace {
            kernel: "two_sums",
            target,
            index: 0,
            first,
            second,
        } => {
            assert_eq!(target, "workgroup array `tile`", "{msg}");
            // The uniform read of the first sum, and invocation 0's write of the second pass.
            assert!(
                first.contains("every invocation of workgroup")
                    && first.contains("read it at line 30"),
                "{msg}"
            );
            assert!(
                second.contains("invocation 0 of workgroup")
                    && second.contains("wrote it at line 34"),
                "{msg}"
            );
        }
        _ => panic!("{msg}"),
    }
    assert!(
        msg.contains("put a barrier between the two accesses"),
        "{msg}"
    );
    // With the barrier it passes, and agrees with the unchecked CPU version.
    two_sums::launch(&dev, Grid::linear(n), 1, &x, &mut out).unwrap();
    let cpu = Device::cpu();
    let (xc, mut oc) = (
        cpu.upload(&inputs(n)).unwrap(),
        cpu.zeros::<f32>(3).unwrap(),
    );
    two_sums::launch(&cpu, Grid::linear(n), 1, &xc, &mut oc).unwrap();
    assert_eq!(out.to_vec().unwrap(), oc.to_vec().unwrap());
}

#[test]
fn reading_what_other_invocations_wrote_needs_a_storage_barrier() {
    let dev = Device::cpu_checked();
    let n = 128;
    let x = dev.upload(&inputs(n)).unwrap();
    let (mut y, mut z) = (dev.zeros::<f32>(n).unwrap(), dev.zeros::<f32>(n).unwrap());
    for fence in [0u32, 1] {
        let e = err(neighbours::launch(
            &dev,
            Grid::linear(n),
            fence,
            &x,
            &mut y,
            &mut z,
        ));
        let msg = e.to_string();
        assert!(
            matches!(
                e,
                Error::DataRace {
                    kernel: "neighbours",
                    ..
                }
            ),
            "{msg}"
        );
        assert!(msg.contains("on buffer `y`, element 1:"), "{msg}");
        assert!(
            msg.contains("invocation 1 of workgroup 0 wrote it at line 55"),
            "{msg}"
        );
        assert!(
            msg.contains("invocation 0 of workgroup 0 read it at line 63"),
            "{msg}"
        );
    }
    neighbours::launch(&dev, Grid::linear(n), 2, &x, &mut y, &mut z).unwrap();
}

#[test]
fn a_subgroup_barrier_orders_the_lanes_of_a_subgroup() {
    let dev = Device::cpu_checked();
    let n = 128;
    let x = dev.upload(&inputs(n)).unwrap();
    let mut y = dev.zeros::<f32>(n).unwrap();
    let e = err(lane_exchange_through_memory::launch(
        &dev,
        Grid::linear(n),
        0,
        &x,
        &mut y,
    ));
    assert!(
        matches!(&e, Error::DataRace { target, .. } if target == "workgroup array `tile`"),
        "{e}"
    );
    lane_exchange_through_memory::launch(&dev, Grid::linear(n), 1, &x, &mut y).unwrap();
    let got = y.to_vec().unwrap();
    let xs = inputs(n);
    for i in 0..n {
        let want = xs[i - i % 32 + (i % 32 + 1) % 32];
        assert_eq!(got[i], want, "element {i}");
    }
}

#[test]
fn a_vector_loaded_from_what_another_invocation_stored_needs_a_barrier() {
    let dev = Device::cpu_checked();
    let xs = inputs(256);
    let x = dev.upload(&xs).unwrap();
    let mut y = dev.zeros::<f32>(256).unwrap();
    let e = err(vector_exchange::launch(
        &dev,
        Grid::linear(64),
        0,
        &x,
        &mut y,
    ));
    assert!(
        matches!(&e, Error::DataRace { target, .. } if target == "workgroup array `tile`"),
        "{e}"
    );
    vector_exchange::launch(&dev, Grid::linear(64), 1, &x, &mut y).unwrap();
    let got = y.to_vec().unwrap();
    for i in 0..256 {
        assert_eq!(got[i], xs[(i + 4) % 256], "element {i}");
    }
}

#[test]
fn a_matrix_tile_loaded_from_what_other_lanes_stored_needs_a_barrier() {
    let dev = Device::cpu_checked();
    let mut y = dev.zeros::<f32>(512).unwrap();
    let e = err(tile_reuse::launch(&dev, Grid::groups([1, 1, 1]), 0, &mut y));
    let msg = e.to_string();
    assert!(
        matches!(&e, Error::DataRace { target, .. } if target == "workgroup array `tile`")
            && msg.contains("an accumulator")
            && msg.contains("an A fragment"),
        "{msg}"
    );
    tile_reuse::launch(&dev, Grid::groups([1, 1, 1]), 1, &mut y).unwrap();
    // 1 + 16 ones times ones.
    assert!(y.to_vec().unwrap().iter().all(|&v| v == 17.0));
}

#[test]
fn reading_workgroup_memory_nothing_wrote_is_an_error() {
    let dev = Device::cpu_checked();
    let mut y = dev.zeros::<f32>(64).unwrap();
    let e = err(reads_unwritten::launch(&dev, Grid::linear(64), 10, &mut y));
    let msg = e.to_string();
    assert!(
        matches!(
            e,
            Error::UninitializedRead {
                kernel: "reads_unwritten",
                array: "tile",
                index: 10,
                ..
            }
        ),
        "{msg}"
    );
    assert!(
        msg.contains("invocation 9 of workgroup 0 read it at line"),
        "{msg}"
    );
    reads_unwritten::launch(&dev, Grid::linear(64), 64, &mut y).unwrap();
}

/// `launch` on the checked device and on the plain CPU device from the same inputs: both `Ok`,
/// the outputs equal (within `tol` relative, for sums whose order differs).
fn same_as_unchecked<T: kernelforge::bounds::Float + bytemuck::Pod + Into<f64>>(
    what: &str,
    inputs: &[Vec<T>],
    out_len: usize,
    tol: f64,
    launch: impl Fn(&Device, &[Buffer<T>], &mut Buffer<T>) -> kernelforge::Result<()>,
) {
    let run = |dev: &Device| {
        let ins: Vec<Buffer<T>> = inputs.iter().map(|v| dev.upload(v).unwrap()).collect();
        let mut out = dev.zeros::<T>(out_len).unwrap();
        launch(dev, &ins, &mut out).unwrap_or_else(|e| panic!("{what} on {}: {e}", dev.name()));
        out.to_vec().unwrap()
    };
    let (checked, plain) = (run(&Device::cpu_checked()), run(&Device::cpu()));
    for (i, (a, b)) in checked.iter().zip(&plain).enumerate() {
        let (a, b): (f64, f64) = ((*a).into(), (*b).into());
        assert!(
            a == b || (a - b).abs() <= tol * b.abs().max(1.0) || (a.is_nan() && b.is_nan()),
            "{what}[{i}]: checked {a}, unchecked {b}"
        );
    }
}

#[test]
fn every_built_in_kernel_passes_the_check() {
    let n = 64 * 256 + 17;
    let (rows, cols) = (40usize, 300usize);
    let x = inputs(n);
    let w: Vec<f32> = (0..n).map(|i| (i % 7) as f32 * 0.5).collect();
    let grid = Grid::linear(n);
    type F = f32;
    let pair = [x.clone(), w.clone()];
    same_as_unchecked::<F>("vector_add", &pair, n, 0.0, |d, i, o| {
        vector_add::launch(d, grid, &i[0], &i[1], o)
    });
    same_as_unchecked::<F>("saxpy", std::slice::from_ref(&x), n, 0.0, |d, i, o| {
        saxpy::launch(d, grid, 1.5, &i[0], o)
    });
    same_as_unchecked::<F>("scale", std::slice::from_ref(&x), n, 0.0, |d, i, o| {
        scale::launch(d, grid, -0.5, &i[0], o)
    });
    same_as_unchecked::<F>("relu", std::slice::from_ref(&x), n, 0.0, |d, i, o| {
        relu::launch(d, grid, &i[0], o)
    });
    same_as_unchecked::<F>("gelu", std::slice::from_ref(&x), n, 0.0, |d, i, o| {
        gelu::launch(d, grid, &i[0], o)
    });
    same_as_unchecked::<F>("sigmoid", std::slice::from_ref(&x), n, 0.0, |d, i, o| {
        sigmoid::launch(d, grid, &i[0], o)
    });
    same_as_unchecked::<F>("silu", std::slice::from_ref(&x), n, 0.0, |d, i, o| {
        silu::launch(d, grid, &i[0], o)
    });
    same_as_unchecked::<F>("copy", std::slice::from_ref(&x), n, 0.0, |d, i, o| {
        copy::launch(d, grid, &i[0], o)
    });
    let hx: Vec<f16> = x.iter().map(|&v| f16::from_f32(v)).collect();
    same_as_unchecked::<f16>("gelu_f16", std::slice::from_ref(&hx), n, 0.0, |d, i, o| {
        gelu::launch(d, grid, &i[0], o)
    });
    let bx: Vec<bf16> = x.iter().map(|&v| bf16::from_f32(v)).collect();
    same_as_unchecked::<bf16>("silu_bf16", &[bx], n, 0.0, |d, i, o| {
        silu::launch(d, grid, &i[0], o)
    });

    let m = inputs(rows * cols);
    let wt: Vec<f32> = (0..cols).map(|c| 1.0 + (c % 5) as f32 * 0.1).collect();
    let bs: Vec<f32> = (0..cols).map(|c| (c % 3) as f32 * 0.2).collect();
    let g = Grid::groups([rows as u32, 1, 1]);
    let c = cols as u32;
    same_as_unchecked::<F>(
        "softmax",
        std::slice::from_ref(&m),
        m.len(),
        0.0,
        |d, i, o| softmax::launch::<_, 256>(d, g, c, &i[0], o),
    );
    let hm: Vec<f16> = m.iter().map(|&v| f16::from_f32(v)).collect();
    same_as_unchecked::<f16>("softmax_f16", &[hm], m.len(), 0.0, |d, i, o| {
        softmax::launch::<_, 256>(d, g, c, &i[0], o)
    });
    let lnx = [m.clone(), wt.clone(), bs.clone()];
    same_as_unchecked::<F>("layer_norm", &lnx, m.len(), 0.0, |d, i, o| {
        layer_norm::launch::<_, 256>(d, g, c, 1e-5, &i[0], &i[1], &i[2], o)
    });
    same_as_unchecked::<F>(
        "rms_norm",
        &[m.clone(), wt.clone()],
        m.len(),
        0.0,
        |d, i, o| rms_norm::launch::<_, 256>(d, g, c, 1e-5, &i[0], &i[1], o),
    );
    let wg = Grid::groups([(rows as u32).div_ceil(8), 1, 1]);
    same_as_unchecked::<F>(
        "softmax_warp",
        std::slice::from_ref(&m),
        m.len(),
        0.0,
        |d, i, o| softmax_warp::launch(d, wg, rows as u32, c, &i[0], o),
    );
    // Partial sums: the workgroups' results, each summed in one fixed order.
    same_as_unchecked::<F>(
        "reduce_sum",
        std::slice::from_ref(&x),
        37,
        0.0,
        |d, i, o| reduce_sum::launch(d, Grid::groups([37, 1, 1]), &i[0], o),
    );
    same_as_unchecked::<F>(
        "reduce_max",
        std::slice::from_ref(&x),
        37,
        0.0,
        |d, i, o| reduce_max::launch(d, Grid::groups([37, 1, 1]), &i[0], o),
    );
    // Atomics are not checked; the weighted sums' order varies between runs.
    let hg = kernelforge::histogram::grid(n);
    same_as_unchecked::<F>("weighted_histogram", &pair, 100, 1e-5, |d, i, o| {
        weighted_histogram::launch(d, hg, -12.0, 13.0, &i[0], &i[1], o)
    });

    let dev = Device::cpu_checked();
    let xb = dev.upload(&x).unwrap();
    let mut bins = dev.zeros::<u32>(100).unwrap();
    histogram::launch(&dev, hg, -12.0, 13.0, &xb, &mut bins).unwrap();
    assert_eq!(bins.to_vec().unwrap().iter().sum::<u32>() as usize, n);
    let xu: Vec<u32> = (0..n as u32).collect();
    let xub = dev.upload(&xu).unwrap();
    let mut yu = dev.zeros::<u32>(n).unwrap();
    hash_u32::launch(&dev, grid, 7, &xub, &mut yu).unwrap();
}

#[test]
fn kernelforge_check_races_makes_the_cpu_device_checked() {
    std::env::set_var("KERNELFORGE_CHECK", "races");
    let dev = Device::cpu();
    std::env::remove_var("KERNELFORGE_CHECK");
    assert!(dev.name().ends_with("race check on"), "{}", dev.name());
    let n = 128;
    let x = dev.upload(&inputs(n)).unwrap();
    let (mut y, mut z) = (dev.zeros::<f32>(n).unwrap(), dev.zeros::<f32>(n).unwrap());
    let e = err(neighbours::launch(
        &dev,
        Grid::linear(n),
        0,
        &x,
        &mut y,
        &mut z,
    ));
    assert!(matches!(e, Error::DataRace { .. }), "{e}");
}
