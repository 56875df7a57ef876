// Compiles the built-in kernels in kernels-src/ to PTX with nvcc when it is available.
fn main() {
    match kernelforge_build::compile_kernels("kernels-src") {
        Ok(report) => {
            let nvcc = report
                .nvcc
                .map(|n| format!("{} ({})", n.version, n.path.display()))
                .unwrap_or_else(|| "none (PTX is compiled by NVRTC at run time)".into());
            println!("cargo:rustc-env=KERNELFORGE_BUILD_NVCC={nvcc}");
            println!(
                "cargo:rustc-env=KERNELFORGE_BUILD_ARCH={}",
                kernelforge_build::cuda_arch()
            );
        }
        Err(e) => {
            println!("cargo:warning=kernelforge: {e}");
            println!("cargo:rustc-env=KERNELFORGE_BUILD_NVCC=none ({e})");
            println!("cargo:rustc-env=KERNELFORGE_BUILD_ARCH=none");
        }
    }
}
