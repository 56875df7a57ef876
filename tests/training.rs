//! The training-loop example (examples/train_loop.rs) on every backend present: 40 steps of
//! embedding, linear layer, cross-entropy, backward with `f32` atomics and AdamW, reusing its
//! buffers. The loss must fall from about ln 4 = 1.39 to under a tenth of that (it reaches
//! 0.101 on the CPU and lavapipe). The backends may differ by the rounding of the atomic sums'
//! order and of each `exp`, compounded over 40 steps: the final losses must agree within
//! 2e-3 (lavapipe agrees with the CPU to 6 digits).

mod common;

use common::each_backend;
use kernelforge::prelude::*;

#[path = "../examples/train_loop.rs"]
mod train_loop;

#[each_backend]
fn the_training_loop_learns(dev: &Device) {
    let (first, last) = train_loop::train(dev, 40).unwrap();
    assert!(
        (first - 4f32.ln()).abs() < 0.1,
        "first loss {first} on {}",
        dev.name()
    );
    assert!(
        last < 0.1 * first,
        "loss {first} -> {last} on {}",
        dev.name()
    );
    let (_, cpu_last) = train_loop::train(&Device::cpu(), 40).unwrap();
    eprintln!(
        "{}: loss {first:.6} -> {last:.6} (CPU {cpu_last:.6})",
        dev.name()
    );
    assert!(
        (last - cpu_last).abs() < 2e-3,
        "final loss {last} on {}, {cpu_last} on the CPU",
        dev.name()
    );
}
