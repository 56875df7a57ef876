//! The checks of a launch's arguments and grid, made once in `Device::launch` before any
//! backend runs: each backend returns the same error, naming the cause and the fix, and never
//! panics.

mod common;

use common::each_backend;
use kernelforge::__private::KernelArg;
use kernelforge::kernels::saxpy;
use kernelforge::prelude::*;
use kernelforge::Error;

#[each_backend]
fn a_buffer_of_another_device_is_refused(dev: &Device) {
    let other = Device::cpu();
    let x = other.upload(&[1.0f32; 4]).unwrap();
    let mut y = dev.upload(&[2.0f32; 4]).unwrap();
    let e = saxpy::launch(dev, Grid::linear(4), 1.0, &x, &mut y).unwrap_err();
    assert!(
        matches!(
            e,
            Error::BadArguments {
                kernel: "saxpy_f32",
                ..
            }
        ),
        "{}: {e}",
        dev.name()
    );
    let msg = e.to_string();
    assert!(
        msg.contains("buffer `x` belongs to another device") && msg.contains("upload it to"),
        "{msg}"
    );
    // Nothing ran: y is as uploaded.
    assert_eq!(y.to_vec().unwrap(), [2.0; 4]);
}

#[each_backend]
fn arguments_that_do_not_match_the_parameters_are_refused(dev: &Device) {
    let x = dev.upload(&[1.0f32; 4]).unwrap();
    let mut y = dev.upload(&[2.0f32; 4]).unwrap();
    let grid = Grid::linear(4);
    let e = dev
        .launch(&saxpy::saxpy_f32::KERNEL, grid, &mut [KernelArg::Scalar(0)])
        .unwrap_err();
    assert!(e.to_string().contains("expected 3 arguments, got 1"), "{e}");
    // A buffer where the scalar `a` goes.
    let e = dev
        .launch(
            &saxpy::saxpy_f32::KERNEL,
            grid,
            &mut [
                KernelArg::whole(x.raw()),
                KernelArg::whole(x.raw()),
                KernelArg::whole_mut(y.raw_mut()),
            ],
        )
        .unwrap_err();
    assert!(
        e.to_string().contains("argument `a` has the wrong kind"),
        "{e}"
    );
}

#[each_backend]
fn grids_past_u32_ids_are_refused(dev: &Device) {
    let x = dev.upload(&[1.0f32; 4]).unwrap();
    let mut y = dev.upload(&[2.0f32; 4]).unwrap();
    // 2^32 - 1 workgroups of 256 invocations: ids past u32::MAX.
    let e = saxpy::launch(dev, Grid::groups([u32::MAX, 1, 1]), 1.0, &x, &mut y).unwrap_err();
    assert!(
        matches!(
            e,
            Error::TooLarge {
                what: "the grid",
                ..
            }
        ),
        "{}: {e}",
        dev.name()
    );
    // An empty grid runs nothing and succeeds.
    saxpy::launch(dev, Grid::linear(0), 1.0, &x, &mut y).unwrap();
    assert_eq!(y.to_vec().unwrap(), [2.0; 4]);
}
