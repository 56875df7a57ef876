//! The built-in kernel library, compiled from kernels-src/ (PTX by build.rs).

#[path = "../kernels-src/elementwise.rs"]
pub mod elementwise;
#[path = "../kernels-src/histograms.rs"]
pub mod histograms;
#[path = "../kernels-src/integer.rs"]
pub mod integer;
#[path = "../kernels-src/reduce.rs"]
pub mod reduce;
#[path = "../kernels-src/rows.rs"]
pub mod rows;
#[path = "../kernels-src/workgroup.rs"]
pub mod workgroup;

pub use elementwise::{copy, gelu, relu, saxpy, scale, sigmoid, silu, vector_add};
pub use histograms::histogram;
pub use integer::hash_u32;
pub use reduce::{reduce_max, reduce_sum};
pub use rows::{layer_norm, rms_norm, softmax};

/// Every built-in kernel's description, for `kernelforge emit` and `info`.
pub fn all() -> Vec<&'static kernelforge_runtime::KernelDesc> {
    vec![
        &vector_add::KERNEL,
        &saxpy::KERNEL,
        &scale::KERNEL,
        &relu::KERNEL,
        &gelu::KERNEL,
        &sigmoid::KERNEL,
        &silu::KERNEL,
        &hash_u32::KERNEL,
        &copy::KERNEL,
        &reduce_sum::KERNEL,
        &reduce_max::KERNEL,
        &softmax::KERNEL,
        &layer_norm::KERNEL,
        &rms_norm::KERNEL,
        &histogram::KERNEL,
    ]
}

/// The generated CPU source of a built-in kernel, by name.
pub fn cpu_source(name: &str) -> Option<&'static str> {
    Some(match name {
        "vector_add" => vector_add::CPU_SOURCE,
        "saxpy" => saxpy::CPU_SOURCE,
        "scale" => scale::CPU_SOURCE,
        "relu" => relu::CPU_SOURCE,
        "gelu" => gelu::CPU_SOURCE,
        "sigmoid" => sigmoid::CPU_SOURCE,
        "silu" => silu::CPU_SOURCE,
        "hash_u32" => hash_u32::CPU_SOURCE,
        "copy" => copy::CPU_SOURCE,
        "reduce_sum" => reduce_sum::CPU_SOURCE,
        "reduce_max" => reduce_max::CPU_SOURCE,
        "softmax" => softmax::CPU_SOURCE,
        "layer_norm" => layer_norm::CPU_SOURCE,
        "rms_norm" => rms_norm::CPU_SOURCE,
        "histogram" => histogram::CPU_SOURCE,
        _ => return None,
    })
}
