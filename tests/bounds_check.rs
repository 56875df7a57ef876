//! The GPU backends' bounds check (`Device::set_bounds_check`, `KERNELFORGE_CHECK=bounds`): a
//! kernel that indexes a buffer, a workgroup array, a launch-sized workgroup array, a private
//! array or an atomic buffer out of bounds returns, on every backend, the error the CPU backend
//! gives for the same access; the in-bounds work of the launch is done; kernels that stay in
//! bounds give the unchecked results bit for bit; and the environment variable turns the check
//! on for every device.

mod common;

use common::{each_backend, on_cuda_host};
use kernelforge::kernels::*;
use kernelforge::prelude::*;
use kernelforge::{Backend, Error};

/// A copy without the guard `if i < y.len()`: a grid rounded up to whole workgroups reads `x`
/// and writes `y` past their ends.
#[compute_kernel(workgroup_size = 64)]
pub fn copy_unguarded(x: &[f32], y: &mut [f32]) {
    let i = global_id().x;
    y[i] = x[i] * 2.0;
}

/// [`copy_unguarded`] by `Vec4`s: vector `i` of `y` is twice vector `i` of `x`.
#[compute_kernel(workgroup_size = 64)]
pub fn copy_vec4_unguarded(x: &[f32], y: &mut [f32]) {
    let i = global_id().x;
    (Vec4::load(x, i) * 2.0).store(y, i);
}

/// Each invocation reads the element `reach` to its right in a workgroup array of 64: with
/// `reach` 1 the last invocation of every workgroup reads `tile[64]`.
#[compute_kernel(workgroup_size = 64)]
pub fn right_neighbour(reach: u32, x: &[f32], y: &mut [f32]) {
    let tile = shared_array::<f32, 64>();
    let lid = local_id().x;
    let i = global_id().x;
    tile[lid] = if i < x.len() { x[i] } else { 0.0 };
    barrier();
    let v = tile[lid + reach];
    if i < y.len() {
        y[i] = v;
    }
}

/// Reverses each workgroup's elements through a launch-sized workgroup array of `n`: with `n`
/// below 64 the invocations past it write out of bounds.
#[compute_kernel(workgroup_size = 64)]
pub fn reverse_staged(n: u32, x: &[f32], y: &mut [f32]) {
    let t = shared_array::<f32>(n);
    let lid = local_id().x;
    let i = global_id().x;
    t[lid] = if i < x.len() { x[i] } else { 0.0 };
    barrier();
    if i < y.len() && 63 - lid < n {
        y[i] = t[63 - lid];
    }
}

/// Fills a workgroup array of 64 in a stride loop over `n` columns, then copies it out: with
/// `n` past 64 the loop writes `tile[64]` and on. (The CPU checks such a loop's accesses once
/// per chunk of columns, and runs a chunk that fails one at a time.)
#[compute_kernel(workgroup_size = 32)]
pub fn strided_fill(n: u32, x: &[f32], y: &mut [f32]) {
    let tile = shared_array::<f32, 64>();
    let lid = local_id().x;
    for c in (lid..n).step_by(32) {
        tile[c] = x[c];
    }
    workgroup_barrier();
    for c in (lid..64).step_by(32) {
        y[c] = tile[c];
    }
}

/// Puts `x[i]` into slot `k` of a private array of 4 and sums the array: `k` 4 is out of
/// bounds in every invocation.
#[compute_kernel(workgroup_size = 64)]
pub fn private_slot(k: u32, x: &[f32], y: &mut [f32]) {
    let i = global_id().x;
    if i < x.len() {
        let mut a = [0.0f32; 4];
        a[k] = x[i];
        y[i] = a[0] + a[1] + a[2] + a[3];
    }
}

/// Swaps the two elements of each record of two, through a private array: `y[2i] = x[2i + 1]`,
/// `y[2i + 1] = x[2i]` for `i < x.len() / 2`, so a `y` shorter than `x` is written past its
/// end. (The CPU checks such strided accesses once per chunk of invocations, and runs a chunk
/// that fails the check with every access checked.)
#[compute_kernel(workgroup_size = 64)]
pub fn swap_pairs(x: &[f32], y: &mut [f32]) {
    let i = global_id().x;
    if i < x.len() / 2 {
        let mut p = [0.0f32; 2];
        p[0] = x[2 * i + 1];
        p[1] = x[2 * i];
        y[2 * i] = p[0];
        y[2 * i + 1] = p[1];
    }
}

/// Counts the values of `x` into `bins` with atomics: a value of at least `bins.len()` is out
/// of bounds.
#[compute_kernel(workgroup_size = 64)]
pub fn count_values(x: &[u32], bins: &[AtomicU32]) {
    let i = global_id().x;
    if i < x.len() {
        bins[x[i]].fetch_add(1, Relaxed);
    }
}

/// Halves `y` in place (used by the warm-up test alone: it arms a compile fault for it).
#[compute_kernel(workgroup_size = 64)]
pub fn halve_for_warm_up(y: &mut [f32]) {
    let i = global_id().x;
    if i < y.len() {
        y[i] = y[i] * 0.5;
    }
}

fn inputs(n: usize) -> Vec<f32> {
    (0..n).map(|i| (i % 37) as f32 * 0.5 - 4.0).collect()
}

/// `dev` with the bounds check on (the CPU checks always).
fn checked(dev: &Device) -> &Device {
    dev.set_bounds_check(true);
    if dev.backend() != Backend::Cpu {
        assert!(dev.name().ends_with(", bounds check on"), "{}", dev.name());
    }
    dev
}

fn err(what: &str, r: kernelforge::Result<()>) -> Error {
    r.err()
        .unwrap_or_else(|| panic!("{what}: the launch succeeded"))
}

#[each_backend]
fn a_missing_guard_is_the_cpu_backends_error(dev: &Device) {
    let dev = checked(dev);
    let n = 100;
    let x = dev.upload(&inputs(n)).unwrap();
    let mut y = dev.zeros::<f32>(n).unwrap();
    let e = err(
        "copy_unguarded",
        copy_unguarded::launch(dev, Grid::linear(n), &x, &mut y),
    );
    // Every invocation reads `x[i]` before it writes `y[i]`, so the first fault is a read;
    // which of the 28 invocations past the end comes first is not defined.
    match &e {
        Error::OutOfBounds {
            kernel: "copy_unguarded",
            param: "x",
            index,
            len: 100,
        } if (100..128).contains(index) => {}
        e => panic!("{}: {e}", dev.name()),
    }
    let msg = e.to_string();
    assert!(
        msg.contains("guard the access with `if i < x.len()`"),
        "{msg}"
    );
    // The GPU backends skip only the faulting accesses: the rest of the launch is done.
    if dev.backend() != Backend::Cpu {
        let got = y.to_vec().unwrap();
        for (i, (g, x)) in got.iter().zip(inputs(n)).enumerate() {
            assert_eq!(*g, x * 2.0, "{}: y[{i}]", dev.name());
        }
    }
    // In bounds, the same launch passes.
    let (x, mut y) = (
        dev.zeros::<f32>(128).unwrap(),
        dev.zeros::<f32>(128).unwrap(),
    );
    copy_unguarded::launch(dev, Grid::linear(128), &x, &mut y).unwrap();
}

/// A vector past the end faults as a whole (none of its lanes is read), at the first element
/// past the end: here vector 25 (elements 100..104) of a slice of 102 records element 102.
#[each_backend]
fn a_vector_past_the_end_is_the_cpu_backends_error(dev: &Device) {
    let dev = checked(dev);
    let n = 102;
    let x = dev.upload(&inputs(n)).unwrap();
    let mut y = dev.zeros::<f32>(n).unwrap();
    let e = err(
        "copy_vec4_unguarded",
        copy_vec4_unguarded::launch(dev, Grid::linear(26), &x, &mut y),
    );
    // Vectors 25 (elements 100..104) and up fault reading `x`; which one comes first is not
    // defined, and each records its first element past the end: 102 for vector 25, 4 i after.
    match &e {
        Error::OutOfBounds {
            kernel: "copy_vec4_unguarded",
            param: "x",
            index,
            len: 102,
        } if *index == 102 || (104..256).contains(index) && index % 4 == 0 => {}
        e => panic!("{}: {e}", dev.name()),
    }
    if dev.backend() != Backend::Cpu {
        let got = y.to_vec().unwrap();
        for (i, (g, x)) in got.iter().zip(inputs(n)).enumerate().take(100) {
            assert_eq!(*g, x * 2.0, "{}: y[{i}]", dev.name());
        }
        assert_eq!(&got[100..], &[0.0, 0.0], "{}", dev.name());
    }
}

#[each_backend]
fn a_workgroup_array_read_past_its_end_is_the_cpu_backends_error(dev: &Device) {
    let dev = checked(dev);
    let n = 200;
    let x = dev.upload(&inputs(n)).unwrap();
    let mut y = dev.zeros::<f32>(n).unwrap();
    let e = err(
        "right_neighbour",
        right_neighbour::launch(dev, Grid::linear(n), 1, &x, &mut y),
    );
    let host = Device::cpu();
    let cpu = err(
        "right_neighbour on the CPU",
        right_neighbour::launch(
            &host,
            Grid::linear(n),
            1,
            &host.upload(&inputs(n)).unwrap(),
            &mut host.zeros(n).unwrap(),
        ),
    );
    assert!(
        matches!(
            e,
            Error::ArrayOutOfBounds {
                kernel: "right_neighbour",
                array: "tile",
                index: 64,
                len: 64
            }
        ),
        "{}: {e}",
        dev.name()
    );
    assert_eq!(e.to_string(), cpu.to_string());
    right_neighbour::launch(dev, Grid::linear(n), 0, &x, &mut y).unwrap();
    assert_eq!(y.to_vec().unwrap(), inputs(n));
}

#[each_backend]
fn a_stride_loop_past_a_workgroup_array_is_the_cpu_backends_error(dev: &Device) {
    let dev = checked(dev);
    let x = dev.upload(&inputs(70)).unwrap();
    let mut y = dev.zeros::<f32>(64).unwrap();
    let e = err(
        "strided_fill",
        strided_fill::launch(dev, Grid::groups([1, 1, 1]), 70, &x, &mut y),
    );
    match &e {
        Error::ArrayOutOfBounds {
            kernel: "strided_fill",
            array: "tile",
            index,
            len: 64,
        } if (64..70).contains(index) => {}
        e => panic!("{}: {e}", dev.name()),
    }
    // On the CPU the first index out of bounds, in column order.
    if dev.backend() == Backend::Cpu {
        assert!(
            matches!(e, Error::ArrayOutOfBounds { index: 64, .. }),
            "{e}"
        );
    }
    strided_fill::launch(dev, Grid::groups([1, 1, 1]), 64, &x, &mut y).unwrap();
    assert_eq!(y.to_vec().unwrap(), inputs(64));
}

#[each_backend]
fn a_launch_sized_array_smaller_than_the_workgroup_is_the_cpu_backends_error(dev: &Device) {
    let dev = checked(dev);
    let n = 128;
    let x = dev.upload(&inputs(n)).unwrap();
    let mut y = dev.zeros::<f32>(n).unwrap();
    let e = err(
        "reverse_staged",
        reverse_staged::launch(dev, Grid::linear(n), 40, &x, &mut y),
    );
    match &e {
        Error::ArrayOutOfBounds {
            kernel: "reverse_staged",
            array: "t",
            index,
            len: 40,
        } if (40..64).contains(index) => {}
        e => panic!("{}: {e}", dev.name()),
    }
    reverse_staged::launch(dev, Grid::linear(n), 64, &x, &mut y).unwrap();
    let (got, xs) = (y.to_vec().unwrap(), inputs(n));
    for i in 0..n {
        assert_eq!(
            got[i],
            xs[i - i % 64 + 63 - i % 64],
            "{}: y[{i}]",
            dev.name()
        );
    }
}

#[each_backend]
fn a_private_array_written_past_its_end_is_the_cpu_backends_error(dev: &Device) {
    let dev = checked(dev);
    let n = 70;
    let x = dev.upload(&inputs(n)).unwrap();
    let mut y = dev.zeros::<f32>(n).unwrap();
    let e = err(
        "private_slot",
        private_slot::launch(dev, Grid::linear(n), 4, &x, &mut y),
    );
    assert!(
        matches!(
            e,
            Error::ArrayOutOfBounds {
                kernel: "private_slot",
                array: "a",
                index: 4,
                len: 4
            }
        ),
        "{}: {e}",
        dev.name()
    );
    private_slot::launch(dev, Grid::linear(n), 3, &x, &mut y).unwrap();
    assert_eq!(y.to_vec().unwrap(), inputs(n));
}

#[each_backend]
fn a_strided_store_past_the_end_is_the_cpu_backends_error(dev: &Device) {
    let dev = checked(dev);
    let n = 1000;
    let x = dev.upload(&inputs(n)).unwrap();
    let mut y = dev.zeros::<f32>(n - 1).unwrap();
    let e = err(
        "swap_pairs",
        swap_pairs::launch(dev, Grid::linear(n / 2), &x, &mut y),
    );
    // Only invocation 499's second store, `y[999]`, is out of bounds.
    assert!(
        matches!(
            e,
            Error::OutOfBounds {
                kernel: "swap_pairs",
                param: "y",
                index: 999,
                len: 999
            }
        ),
        "{}: {e}",
        dev.name()
    );
    let mut y = dev.zeros::<f32>(n).unwrap();
    swap_pairs::launch(dev, Grid::linear(n / 2), &x, &mut y).unwrap();
    let want: Vec<f32> = inputs(n).chunks(2).flat_map(|p| [p[1], p[0]]).collect();
    assert_eq!(y.to_vec().unwrap(), want, "{}", dev.name());
}

#[each_backend]
fn an_atomic_past_the_end_is_the_cpu_backends_error(dev: &Device) {
    let dev = checked(dev);
    let mut values: Vec<u32> = (0..300).map(|i| i % 8).collect();
    values[123] = 9;
    let x = dev.upload(&values).unwrap();
    let mut bins = dev.zeros::<u32>(8).unwrap();
    let e = err(
        "count_values",
        count_values::launch(dev, Grid::linear(values.len()), &x, &mut bins),
    );
    assert!(
        matches!(
            e,
            Error::OutOfBounds {
                kernel: "count_values",
                param: "bins",
                index: 9,
                len: 8
            }
        ),
        "{}: {e}",
        dev.name()
    );
    if dev.backend() != Backend::Cpu {
        // Every other value was counted; the faulting one was skipped.
        let mut want = [0u32; 8];
        for (i, v) in values.iter().enumerate() {
            if i != 123 {
                want[*v as usize] += 1;
            }
        }
        assert_eq!(bins.to_vec().unwrap(), want, "{}", dev.name());
    }
}

/// Runs `launch` with the check off and on, from the same inputs, and wants the same bits.
fn same_checked_and_not<T: bytemuck::Pod + PartialEq + std::fmt::Debug>(
    dev: &Device,
    what: &str,
    out_len: usize,
    launch: impl Fn(&mut Buffer<T>) -> kernelforge::Result<()>,
) {
    let run = |on: bool| {
        dev.set_bounds_check(on);
        let mut out = dev.zeros::<T>(out_len).unwrap();
        launch(&mut out).unwrap_or_else(|e| panic!("{what} on {}: {e}", dev.name()));
        out.to_vec().unwrap()
    };
    let (plain, checked) = (run(false), run(true));
    let diff = plain
        .iter()
        .zip(&checked)
        .position(|(a, b)| bytemuck::bytes_of(a) != bytemuck::bytes_of(b));
    assert!(
        diff.is_none(),
        "{what} on {}: element {diff:?} differs with the check on",
        dev.name()
    );
}

#[each_backend]
fn kernels_in_bounds_give_the_unchecked_bits(dev: &Device) {
    let n = 64 * 40 + 17;
    let x = dev.upload(&inputs(n)).unwrap();
    let grid = Grid::linear(n);
    same_checked_and_not::<f32>(dev, "saxpy", n, |y| saxpy::launch(dev, grid, 1.5, &x, y));
    same_checked_and_not::<f32>(dev, "gelu", n, |y| gelu::launch(dev, grid, &x, y));
    let (rows, cols) = (33usize, 300u32);
    let m = dev.upload(&inputs(rows * cols as usize)).unwrap();
    let g = Grid::groups([rows as u32, 1, 1]);
    same_checked_and_not::<f32>(dev, "softmax", m.len(), |y| {
        softmax::launch::<_, 256>(dev, g, cols, &m, y)
    });
    let w = dev.upload(&vec![1.25f32; cols as usize]).unwrap();
    let b = dev.upload(&vec![0.5f32; cols as usize]).unwrap();
    same_checked_and_not::<f32>(dev, "layer_norm", m.len(), |y| {
        layer_norm::launch::<_, 256>(dev, g, cols, 1e-5, &m, &w, &b, y)
    });
    same_checked_and_not::<f32>(dev, "reduce_sum", 64, |y| {
        reduce_sum::launch(dev, Grid::groups([64, 1, 1]), &x, y)
    });
    same_checked_and_not::<u32>(dev, "histogram", 50, |bins| {
        histogram::launch(dev, grid, -4.0, 14.0, &x, bins)
    });
    same_checked_and_not::<f32>(dev, "private_slot", n, |y| {
        private_slot::launch(dev, grid, 2, &x, y)
    });
}

/// With the check on, `warm_up` compiles the checked version, the one launches run: a compile
/// fault armed after it does not fire.
#[each_backend(wgpu, cuda)]
fn warm_up_compiles_the_checked_version(dev: &Device) {
    let dev = checked(dev);
    dev.warm_up(&[&halve_for_warm_up::KERNEL]).unwrap();
    kernelforge::__private::fault::inject(
        dev.backend(),
        kernelforge::__private::fault::Fault::Compile,
        Some("halve_for_warm_up"),
        1,
    );
    let mut y = dev.upload(&[2.0f32, 4.0]).unwrap();
    let r = halve_for_warm_up::launch(dev, Grid::linear(2), &mut y);
    kernelforge::__private::fault::clear();
    r.unwrap_or_else(|e| panic!("{}: {e}", dev.name()));
    assert_eq!(y.to_vec().unwrap(), [1.0, 2.0]);
}

/// `KERNELFORGE_CHECK=bounds` turns the check on for every device opened: run in a child
/// process (setting a variable in this one would race with the other tests).
#[test]
fn the_environment_variable_turns_the_check_on() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_under_kernelforge_check_bounds",
            "--include-ignored",
            "--nocapture",
        ])
        .env("KERNELFORGE_CHECK", "races,bounds")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 passed"), "{text}");
}

#[test]
#[ignore = "run by the_environment_variable_turns_the_check_on, with KERNELFORGE_CHECK set"]
fn child_under_kernelforge_check_bounds() {
    assert!(Device::cpu().bounds_check());
    on_cuda_host(|dev| {
        assert!(dev.bounds_check(), "{}", dev.name());
        let x = dev.upload(&inputs(10)).unwrap();
        let mut y = dev.zeros::<f32>(10).unwrap();
        let e = err(
            "copy_unguarded",
            copy_unguarded::launch(dev, Grid::linear(10), &x, &mut y),
        );
        assert!(matches!(e, Error::OutOfBounds { param: "x", .. }), "{e}");
    });
}
