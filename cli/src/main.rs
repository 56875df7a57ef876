//! The kernelforge command line: `info`, `bench` (the main job) and `emit`.

use clap::{Parser, Subcommand, ValueEnum};
use kernelforge::kernels;
use kernelforge_cli::{bench, info};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "kernelforge",
    version,
    about = "One Rust kernel as CUDA/PTX, WGSL and rayon CPU code"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Every backend: available or not and why, devices, drivers, the build's nvcc and PTX.
    Info {
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Every built-in kernel on every backend present, with peers measured in the same run.
    Bench {
        /// Write the records as a JSON array to this file.
        #[arg(long)]
        json: Option<std::path::PathBuf>,
        /// Elements per kernel.
        #[arg(long, default_value_t = 16_777_216)]
        elements: usize,
        /// Timed runs per kernel after warm-up (the median is reported).
        #[arg(long, default_value_t = 11)]
        runs: usize,
        /// Only the kernels (and their peers) whose name contains this, e.g. attention.
        #[arg(long)]
        only: Option<String>,
        /// The side of the square matrix products (`matmul`, `linear_gelu`); by default
        /// `sqrt(elements)` up to 1024.
        #[arg(long)]
        side: Option<usize>,
    },
    /// Print a built-in kernel's generated code.
    Emit {
        /// The kernel's name, e.g. gelu.
        kernel: String,
        /// Which code.
        #[arg(long, value_enum, default_value_t = Target::Wgsl)]
        target: Target,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Target {
    Cuda,
    Ptx,
    Wgsl,
    Cpu,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Info { json } => {
            let m = info::gather();
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&m.to_json()).unwrap_or_default()
                );
            } else {
                print!("{}", m.to_text());
            }
        }
        Command::Bench {
            json,
            elements,
            runs,
            only,
            side,
        } => {
            let records = match bench::run(
                &bench::Options {
                    elements,
                    runs: runs.max(1),
                    only,
                    side,
                },
                &mut |line| eprintln!("{line}"),
            ) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("bench: {e}");
                    return ExitCode::FAILURE;
                }
            };
            print!("{}", bench::table(&records));
            if let Some(path) = json {
                let arr = serde_json::Value::Array(records.iter().map(|r| r.to_json()).collect());
                if let Err(e) = std::fs::write(
                    &path,
                    serde_json::to_string_pretty(&arr).unwrap_or_default(),
                ) {
                    eprintln!("cannot write {}: {e}", path.display());
                    return ExitCode::FAILURE;
                }
            }
            if records.iter().any(|r| !r.ok) {
                eprintln!("some results exceed their tolerance (column ok)");
                return ExitCode::FAILURE;
            }
        }
        Command::Emit { kernel, target } => {
            // A generic kernel's name means its f32 instance (`saxpy` is `saxpy_f32`), and
            // the last listed of a family's (`softmax` is `softmax_f32_256`, the default).
            let requested = kernel;
            let all = kernels::all();
            let kernel = [requested.clone(), format!("{requested}_f32")]
                .into_iter()
                .find(|n| all.iter().any(|k| k.name == *n))
                .or_else(|| {
                    let prefix = format!("{requested}_f32_");
                    all.iter()
                        .rev()
                        .find(|k| k.name.starts_with(&prefix))
                        .map(|k| k.name.to_string())
                })
                .unwrap_or_else(|| format!("{requested}_f32"));
            let Some(desc) = kernels::all().into_iter().find(|k| k.name == kernel) else {
                let names: Vec<_> = kernels::all().iter().map(|k| k.name).collect();
                eprintln!(
                    "no built-in kernel `{requested}`; the kernels are: {}",
                    names.join(", ")
                );
                return ExitCode::FAILURE;
            };
            match target {
                Target::Cuda => print!("{}", desc.cuda_source),
                Target::Wgsl => print!("{}", desc.wgsl_source),
                Target::Cpu => print!("{}", kernels::cpu_source(&kernel).unwrap_or("")),
                Target::Ptx => match desc.ptx {
                    Some(p) => print!("{p}"),
                    None => {
                        eprintln!(
                            "no PTX was embedded: nvcc was not found at build time ({})",
                            kernelforge::build_info::NVCC_VERSION
                        );
                        return ExitCode::FAILURE;
                    }
                },
            }
        }
    }
    ExitCode::SUCCESS
}
