// Compiles the #[compute_kernel] functions under src/ to PTX when nvcc is available.
fn main() {
    let report = kernelforge_build::compile_kernels("src").unwrap();
    // Tells main.rs which nvcc made the PTX, for its report line.
    let nvcc = report
        .nvcc
        .map(|n| n.version)
        .unwrap_or_else(|| "none".into());
    println!("cargo:rustc-env=DOWNSTREAM_NVCC={nvcc}");
}
