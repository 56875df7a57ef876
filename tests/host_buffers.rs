//! The host API for buffers reused across launches, on every backend present: `write`,
//! `read_into`, `fill` and `copy_from` against host-side expectations (exact: these only move
//! bits), a loop of launches that rewrites its inputs in place, odd byte lengths (the wgpu
//! backend copies whole 4-byte words), and the errors for wrong lengths and foreign buffers.

mod common;

use common::each_backend;
use kernelforge::kernels::saxpy;
use kernelforge::prelude::*;
use kernelforge::Error;

/// Ten steps of `y = 2 x + y` with `x` rewritten before each step and `y` kept on the device:
/// a loop that never re-uploads.
#[each_backend]
fn a_loop_rewrites_its_buffers_in_place(dev: &Device) {
    let n = 1000;
    let mut x = dev.zeros::<f32>(n).unwrap();
    let mut y = dev.zeros::<f32>(n).unwrap();
    y.fill(1.0).unwrap();
    let mut want = vec![1.0f32; n];
    let mut host = vec![0f32; n];
    for step in 0..10 {
        let xs: Vec<f32> = (0..n).map(|i| (i % 7) as f32 + step as f32).collect();
        x.write(&xs).unwrap();
        saxpy::launch(dev, Grid::linear(n), 2.0, &x, &mut y).unwrap();
        for (w, v) in want.iter_mut().zip(&xs) {
            *w += 2.0 * v;
        }
        y.read_into(&mut host).unwrap();
        assert_eq!(host, want, "step {step} on {}", dev.name());
    }
}

#[each_backend]
fn copies_fills_and_odd_lengths_move_exact_bits(dev: &Device) {
    // Three f16s are six bytes: the last word is half padding on wgpu.
    let a: Vec<f16> = [1.5f32, -2.0, 65504.0].map(f16::from_f32).to_vec();
    let mut src = dev.upload(&a).unwrap();
    let mut dst = dev.zeros::<f16>(3).unwrap();
    dst.copy_from(&src).unwrap();
    src.fill(f16::from_f32(7.0)).unwrap();
    assert_eq!(dst.to_vec().unwrap(), a, "copy_from on {}", dev.name());
    assert_eq!(src.to_vec().unwrap(), vec![f16::from_f32(7.0); 3], "fill");

    let mut words = dev.upload(&[u32::MAX, 0, 0x8000_0001]).unwrap();
    words.write(&[3, 2, 1]).unwrap();
    let mut back = [0u32; 3];
    words.read_into(&mut back).unwrap();
    assert_eq!(back, [3, 2, 1], "write then read_into on {}", dev.name());

    let mut empty = dev.zeros::<f32>(0).unwrap();
    empty.write(&[]).unwrap();
    empty.fill(1.0).unwrap();
    empty.copy_from(&dev.zeros::<f32>(0).unwrap()).unwrap();
    assert!(empty.to_vec().unwrap().is_empty());
}

#[each_backend]
fn wrong_lengths_and_foreign_buffers_are_errors(dev: &Device) {
    let mut b = dev.zeros::<f32>(4).unwrap();
    let e = b.write(&[1.0; 3]).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Buffer {
                op: "Buffer::write",
                ..
            }
        ),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(msg.contains('3') && msg.contains('4'), "{msg}");

    let e = b.read_into(&mut [0.0; 5]).unwrap_err();
    assert!(e.to_string().contains("5 elements"), "{e}");

    let e = b.copy_from(&dev.zeros::<f32>(2).unwrap()).unwrap_err();
    assert!(e.to_string().contains("Buffer::copy_from"), "{e}");

    // A buffer of another device, even of the same backend, is refused by name.
    let other = Device::cpu();
    assert!(other != *dev);
    let foreign = other.upload(&[1.0f32; 4]).unwrap();
    let e = b.copy_from(&foreign).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("through the host"), "{msg}");
    assert_eq!(
        b.to_vec().unwrap(),
        vec![0.0; 4],
        "a refused copy changes nothing"
    );
}
