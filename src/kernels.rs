//! The built-in kernel library, compiled from kernels-src/ (PTX by build.rs).

#[path = "../kernels-src/elementwise.rs"]
pub mod elementwise;
#[path = "../kernels-src/flash_attention.rs"]
pub mod flash_attention;
#[path = "../kernels-src/histograms.rs"]
pub mod histograms;
#[path = "../kernels-src/integer.rs"]
pub mod integer;
#[path = "../kernels-src/matrix.rs"]
pub mod matrix;
#[path = "../kernels-src/reduce.rs"]
pub mod reduce;
#[path = "../kernels-src/rows.rs"]
pub mod rows;
#[path = "../kernels-src/workgroup.rs"]
pub mod workgroup;

pub use elementwise::{copy, gelu, relu, saxpy, scale, sigmoid, silu, vector_add};
pub use flash_attention::attention;
pub use histograms::{histogram, weighted_histogram};
pub use integer::hash_u32;
pub use matrix::matmul;
pub use reduce::{reduce_max, reduce_sum};
pub use rows::{layer_norm, rms_norm, softmax, softmax_warp};

/// Every built-in kernel's description (each instance of the generic ones: `saxpy_f32`,
/// `saxpy_f16`, `saxpy_bf16`, ...), for `kernelforge emit` and `info`.
pub fn all() -> Vec<&'static kernelforge_runtime::KernelDesc> {
    vec![
        &vector_add::vector_add_f32::KERNEL,
        &vector_add::vector_add_f16::KERNEL,
        &vector_add::vector_add_bf16::KERNEL,
        &saxpy::saxpy_f32::KERNEL,
        &saxpy::saxpy_f16::KERNEL,
        &saxpy::saxpy_bf16::KERNEL,
        &scale::scale_f32::KERNEL,
        &scale::scale_f16::KERNEL,
        &scale::scale_bf16::KERNEL,
        &relu::relu_f32::KERNEL,
        &relu::relu_f16::KERNEL,
        &relu::relu_bf16::KERNEL,
        &gelu::gelu_f32::KERNEL,
        &gelu::gelu_f16::KERNEL,
        &gelu::gelu_bf16::KERNEL,
        &sigmoid::sigmoid_f32::KERNEL,
        &sigmoid::sigmoid_f16::KERNEL,
        &sigmoid::sigmoid_bf16::KERNEL,
        &silu::silu_f32::KERNEL,
        &silu::silu_f16::KERNEL,
        &silu::silu_bf16::KERNEL,
        &hash_u32::KERNEL,
        &copy::copy_f32::KERNEL,
        &copy::copy_f16::KERNEL,
        &copy::copy_bf16::KERNEL,
        &reduce_sum::KERNEL,
        &reduce_max::KERNEL,
        &softmax::softmax_f32_32::KERNEL,
        &softmax::softmax_f32_64::KERNEL,
        &softmax::softmax_f32_128::KERNEL,
        &softmax::softmax_f32_256::KERNEL,
        &softmax::softmax_f16_32::KERNEL,
        &softmax::softmax_f16_64::KERNEL,
        &softmax::softmax_f16_128::KERNEL,
        &softmax::softmax_f16_256::KERNEL,
        &softmax::softmax_bf16_32::KERNEL,
        &softmax::softmax_bf16_64::KERNEL,
        &softmax::softmax_bf16_128::KERNEL,
        &softmax::softmax_bf16_256::KERNEL,
        &layer_norm::layer_norm_f32_32::KERNEL,
        &layer_norm::layer_norm_f32_64::KERNEL,
        &layer_norm::layer_norm_f32_128::KERNEL,
        &layer_norm::layer_norm_f32_256::KERNEL,
        &layer_norm::layer_norm_f16_32::KERNEL,
        &layer_norm::layer_norm_f16_64::KERNEL,
        &layer_norm::layer_norm_f16_128::KERNEL,
        &layer_norm::layer_norm_f16_256::KERNEL,
        &layer_norm::layer_norm_bf16_32::KERNEL,
        &layer_norm::layer_norm_bf16_64::KERNEL,
        &layer_norm::layer_norm_bf16_128::KERNEL,
        &layer_norm::layer_norm_bf16_256::KERNEL,
        &rms_norm::rms_norm_f32_32::KERNEL,
        &rms_norm::rms_norm_f32_64::KERNEL,
        &rms_norm::rms_norm_f32_128::KERNEL,
        &rms_norm::rms_norm_f32_256::KERNEL,
        &rms_norm::rms_norm_f16_32::KERNEL,
        &rms_norm::rms_norm_f16_64::KERNEL,
        &rms_norm::rms_norm_f16_128::KERNEL,
        &rms_norm::rms_norm_f16_256::KERNEL,
        &rms_norm::rms_norm_bf16_32::KERNEL,
        &rms_norm::rms_norm_bf16_64::KERNEL,
        &rms_norm::rms_norm_bf16_128::KERNEL,
        &rms_norm::rms_norm_bf16_256::KERNEL,
        &histogram::KERNEL,
        &weighted_histogram::KERNEL,
        &softmax_warp::KERNEL,
        &matmul::matmul_f32::KERNEL,
        &matmul::matmul_f16::KERNEL,
        &matmul::matmul_bf16::KERNEL,
        &attention::attention_f32_64::KERNEL,
        &attention::attention_f32_128::KERNEL,
        &attention::attention_f16_64::KERNEL,
        &attention::attention_f16_128::KERNEL,
        &attention::attention_bf16_64::KERNEL,
        &attention::attention_bf16_128::KERNEL,
    ]
}

/// The generated CPU source of a built-in kernel, by name (an instance's, `saxpy_f16`).
pub fn cpu_source(name: &str) -> Option<&'static str> {
    Some(match name {
        "vector_add_f32" => vector_add::vector_add_f32::CPU_SOURCE,
        "vector_add_f16" => vector_add::vector_add_f16::CPU_SOURCE,
        "vector_add_bf16" => vector_add::vector_add_bf16::CPU_SOURCE,
        "saxpy_f32" => saxpy::saxpy_f32::CPU_SOURCE,
        "saxpy_f16" => saxpy::saxpy_f16::CPU_SOURCE,
        "saxpy_bf16" => saxpy::saxpy_bf16::CPU_SOURCE,
        "scale_f32" => scale::scale_f32::CPU_SOURCE,
        "scale_f16" => scale::scale_f16::CPU_SOURCE,
        "scale_bf16" => scale::scale_bf16::CPU_SOURCE,
        "relu_f32" => relu::relu_f32::CPU_SOURCE,
        "relu_f16" => relu::relu_f16::CPU_SOURCE,
        "relu_bf16" => relu::relu_bf16::CPU_SOURCE,
        "gelu_f32" => gelu::gelu_f32::CPU_SOURCE,
        "gelu_f16" => gelu::gelu_f16::CPU_SOURCE,
        "gelu_bf16" => gelu::gelu_bf16::CPU_SOURCE,
        "sigmoid_f32" => sigmoid::sigmoid_f32::CPU_SOURCE,
        "sigmoid_f16" => sigmoid::sigmoid_f16::CPU_SOURCE,
        "sigmoid_bf16" => sigmoid::sigmoid_bf16::CPU_SOURCE,
        "silu_f32" => silu::silu_f32::CPU_SOURCE,
        "silu_f16" => silu::silu_f16::CPU_SOURCE,
        "silu_bf16" => silu::silu_bf16::CPU_SOURCE,
        "hash_u32" => hash_u32::CPU_SOURCE,
        "copy_f32" => copy::copy_f32::CPU_SOURCE,
        "copy_f16" => copy::copy_f16::CPU_SOURCE,
        "copy_bf16" => copy::copy_bf16::CPU_SOURCE,
        "reduce_sum" => reduce_sum::CPU_SOURCE,
        "reduce_max" => reduce_max::CPU_SOURCE,
        "softmax_f32_32" => softmax::softmax_f32_32::CPU_SOURCE,
        "softmax_f32_64" => softmax::softmax_f32_64::CPU_SOURCE,
        "softmax_f32_128" => softmax::softmax_f32_128::CPU_SOURCE,
        "softmax_f32_256" => softmax::softmax_f32_256::CPU_SOURCE,
        "softmax_f16_32" => softmax::softmax_f16_32::CPU_SOURCE,
        "softmax_f16_64" => softmax::softmax_f16_64::CPU_SOURCE,
        "softmax_f16_128" => softmax::softmax_f16_128::CPU_SOURCE,
        "softmax_f16_256" => softmax::softmax_f16_256::CPU_SOURCE,
        "softmax_bf16_32" => softmax::softmax_bf16_32::CPU_SOURCE,
        "softmax_bf16_64" => softmax::softmax_bf16_64::CPU_SOURCE,
        "softmax_bf16_128" => softmax::softmax_bf16_128::CPU_SOURCE,
        "softmax_bf16_256" => softmax::softmax_bf16_256::CPU_SOURCE,
        "layer_norm_f32_32" => layer_norm::layer_norm_f32_32::CPU_SOURCE,
        "layer_norm_f32_64" => layer_norm::layer_norm_f32_64::CPU_SOURCE,
        "layer_norm_f32_128" => layer_norm::layer_norm_f32_128::CPU_SOURCE,
        "layer_norm_f32_256" => layer_norm::layer_norm_f32_256::CPU_SOURCE,
        "layer_norm_f16_32" => layer_norm::layer_norm_f16_32::CPU_SOURCE,
        "layer_norm_f16_64" => layer_norm::layer_norm_f16_64::CPU_SOURCE,
        "layer_norm_f16_128" => layer_norm::layer_norm_f16_128::CPU_SOURCE,
        "layer_norm_f16_256" => layer_norm::layer_norm_f16_256::CPU_SOURCE,
        "layer_norm_bf16_32" => layer_norm::layer_norm_bf16_32::CPU_SOURCE,
        "layer_norm_bf16_64" => layer_norm::layer_norm_bf16_64::CPU_SOURCE,
        "layer_norm_bf16_128" => layer_norm::layer_norm_bf16_128::CPU_SOURCE,
        "layer_norm_bf16_256" => layer_norm::layer_norm_bf16_256::CPU_SOURCE,
        "rms_norm_f32_32" => rms_norm::rms_norm_f32_32::CPU_SOURCE,
        "rms_norm_f32_64" => rms_norm::rms_norm_f32_64::CPU_SOURCE,
        "rms_norm_f32_128" => rms_norm::rms_norm_f32_128::CPU_SOURCE,
        "rms_norm_f32_256" => rms_norm::rms_norm_f32_256::CPU_SOURCE,
        "rms_norm_f16_32" => rms_norm::rms_norm_f16_32::CPU_SOURCE,
        "rms_norm_f16_64" => rms_norm::rms_norm_f16_64::CPU_SOURCE,
        "rms_norm_f16_128" => rms_norm::rms_norm_f16_128::CPU_SOURCE,
        "rms_norm_f16_256" => rms_norm::rms_norm_f16_256::CPU_SOURCE,
        "rms_norm_bf16_32" => rms_norm::rms_norm_bf16_32::CPU_SOURCE,
        "rms_norm_bf16_64" => rms_norm::rms_norm_bf16_64::CPU_SOURCE,
        "rms_norm_bf16_128" => rms_norm::rms_norm_bf16_128::CPU_SOURCE,
        "rms_norm_bf16_256" => rms_norm::rms_norm_bf16_256::CPU_SOURCE,
        "weighted_histogram" => weighted_histogram::CPU_SOURCE,
        "softmax_warp" => softmax_warp::CPU_SOURCE,
        "histogram" => histogram::CPU_SOURCE,
        "matmul_f32" => matmul::matmul_f32::CPU_SOURCE,
        "matmul_f16" => matmul::matmul_f16::CPU_SOURCE,
        "matmul_bf16" => matmul::matmul_bf16::CPU_SOURCE,
        "attention_f32_64" => attention::attention_f32_64::CPU_SOURCE,
        "attention_f32_128" => attention::attention_f32_128::CPU_SOURCE,
        "attention_f16_64" => attention::attention_f16_64::CPU_SOURCE,
        "attention_f16_128" => attention::attention_f16_128::CPU_SOURCE,
        "attention_bf16_64" => attention::attention_bf16_64::CPU_SOURCE,
        "attention_bf16_128" => attention::attention_bf16_128::CPU_SOURCE,
        _ => return None,
    })
}
