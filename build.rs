// Compiles the built-in kernels in kernels-src/ to PTX with nvcc when it is available.
fn main() {
    match kernelforge_build::compile_kernels("kernels-src") {
        Ok(report) => {
            let (version, path) = report
                .nvcc
                .map(|n| (n.version, n.path.display().to_string()))
                .unwrap_or_else(|| {
                    (
                        "none (PTX is compiled by NVRTC at run time)".into(),
                        "".into(),
                    )
                });
            println!("cargo:rustc-env=KERNELFORGE_BUILD_NVCC_VERSION={version}");
            println!("cargo:rustc-env=KERNELFORGE_BUILD_NVCC_PATH={path}");
            println!(
                "cargo:rustc-env=KERNELFORGE_BUILD_ARCH={}",
                kernelforge_build::cuda_arch()
            );
        }
        Err(e) => {
            println!("cargo:warning=kernelforge: {e}");
            println!("cargo:rustc-env=KERNELFORGE_BUILD_NVCC_VERSION=none ({e})");
            println!("cargo:rustc-env=KERNELFORGE_BUILD_NVCC_PATH=");
            println!("cargo:rustc-env=KERNELFORGE_BUILD_ARCH=none");
        }
    }
}
