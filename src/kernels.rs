//! The built-in kernel library, compiled from kernels-src/ (PTX by build.rs).

#[path = "../kernels-src/elementwise.rs"]
pub mod elementwise;
#[path = "../kernels-src/integer.rs"]
pub mod integer;

pub use elementwise::{gelu, relu, saxpy, scale, sigmoid, silu, vector_add};
pub use integer::hash_u32;

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
        _ => return None,
    })
}
