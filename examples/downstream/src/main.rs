//! A user's program: two kernels of its own, run on every backend the machine has and checked
//! against a plain loop. Exits non-zero on any mismatch. `KERNELFORGE_REQUIRE=wgpu,cuda`
//! turns an unavailable backend into a failure, as in kernelforge's own tests.

use kernelforge::prelude::*;

/// `y = a * x + y`: DESIGN.md's example, verbatim.
#[compute_kernel(workgroup_size = 256)]
pub fn saxpy(a: f32, x: &[f32], y: &mut [f32]) {
    let i = global_id().x;
    if i < y.len() {
        y[i] = a * x[i] + y[i];
    }
}

/// Adds a per-column bias to a `[rows, cols]` row-major matrix and clamps it to
/// `[lo, hi]`: a 2-D grid, with `cols` as a scalar parameter, and a helper from another
/// module (build.rs must find it too, or this kernel gets no PTX).
#[compute_kernel(workgroup_size = (16, 16))]
pub fn bias_clamp(m: &mut [f32], bias: &[f32], cols: u32, lo: f32, hi: f32) {
    let c = global_id().x;
    let r = global_id().y;
    let i = r * cols + c;
    if c < cols && i < m.len() {
        m[i] = util::biased(m[i], bias[c], lo, hi);
    }
}

mod util {
    use kernelforge::prelude::*;

    /// `v + bias` clamped to `[lo, hi]`.
    #[kernel_fn]
    pub fn biased(v: f32, bias: f32, lo: f32, hi: f32) -> f32 {
        (v + bias).clamp(lo, hi)
    }
}

fn required(what: &str) -> bool {
    std::env::var("KERNELFORGE_REQUIRE")
        .map(|v| v.split(',').any(|x| x.trim() == what))
        .unwrap_or(false)
}

fn run(dev: &Device) -> Result<(), String> {
    let e = |e: kernelforge::Error| e.to_string();
    // saxpy over a size that is not a multiple of the workgroup size.
    let n = 100_003;
    let x: Vec<f32> = (0..n).map(|i| (i % 97) as f32 * 0.25).collect();
    let y0: Vec<f32> = (0..n).map(|i| (i % 13) as f32 - 6.0).collect();
    let xb = dev.upload(&x).map_err(e)?;
    let mut yb = dev.upload(&y0).map_err(e)?;
    saxpy::launch(dev, Grid::linear(n), 3.0, &xb, &mut yb).map_err(e)?;
    let got = yb.to_vec().map_err(e)?;
    for i in 0..n {
        // One multiply and one add, each rounded: within 1 ulp of f32's fused result.
        let want = 3.0f32 * x[i] + y0[i];
        if (got[i] - want).abs() > want.abs() * 2e-7 + 1e-6 {
            return Err(format!("saxpy[{i}] = {}, want {want}", got[i]));
        }
    }
    // bias_clamp on a 37 x 300 matrix.
    let (rows, cols) = (37usize, 300usize);
    let m: Vec<f32> = (0..rows * cols).map(|i| (i % 51) as f32 - 25.0).collect();
    let bias: Vec<f32> = (0..cols).map(|c| c as f32 * 0.1 - 15.0).collect();
    let mut mb = dev.upload(&m).map_err(e)?;
    let bb = dev.upload(&bias).map_err(e)?;
    bias_clamp::launch(
        dev,
        Grid::threads([cols as u32, rows as u32, 1]),
        &mut mb,
        &bb,
        cols as u32,
        -10.0,
        10.0,
    )
    .map_err(e)?;
    let got = mb.to_vec().map_err(e)?;
    for r in 0..rows {
        for c in 0..cols {
            let want = (m[r * cols + c] + bias[c]).clamp(-10.0, 10.0);
            if got[r * cols + c] != want {
                return Err(format!(
                    "bias_clamp[{r},{c}] = {}, want {want}",
                    got[r * cols + c]
                ));
            }
        }
    }
    Ok(())
}

fn main() {
    let best = Device::best();
    println!("{}", best.selection_report());
    println!(
        "nvcc at build time: {}; PTX embedded: saxpy {}, bias_clamp {}",
        env!("DOWNSTREAM_NVCC"),
        if saxpy::PTX.is_some() { "yes" } else { "no" },
        if bias_clamp::PTX.is_some() {
            "yes"
        } else {
            "no"
        },
    );
    // Cubins for the sm_XY of KERNELFORGE_CUDA_ARCH at build time: ELF images each.
    let cubins = |list: &[(u32, &[u8])]| -> String {
        let names: Vec<String> = list
            .iter()
            .map(|(sm, bin)| {
                let elf = if bin.starts_with(b"\x7fELF") {
                    ""
                } else {
                    "(not ELF!)"
                };
                format!("sm_{sm}{elf}")
            })
            .collect();
        names.join(" ")
    };
    println!(
        "cubins embedded: saxpy [{}], bias_clamp [{}]",
        cubins(saxpy::CUBINS),
        cubins(bias_clamp::CUBINS)
    );
    let mut failed = false;
    let devices: [(&str, Result<Device, kernelforge::Error>); 4] = [
        ("cpu", Ok(Device::cpu())),
        ("wgpu", Device::wgpu()),
        ("cuda", Device::cuda(0)),
        // The CUDA C compiled for the host: checks the CUDA version without a GPU.
        ("cuda-host", Device::cuda_host()),
    ];
    for (what, dev) in devices {
        match dev {
            Ok(dev) => match run(&dev) {
                Ok(()) => println!("{what}: ok ({})", dev.name()),
                Err(msg) => {
                    println!("{what}: FAILED on {}: {msg}", dev.name());
                    failed = true;
                }
            },
            Err(err) if required(what) => {
                println!("{what}: FAILED: required but unavailable: {err}");
                failed = true;
            }
            Err(err) => println!("{what}: skipped: {err}"),
        }
    }
    if failed {
        std::process::exit(1);
    }
}
