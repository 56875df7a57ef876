//! `KERNELFORGE_BACKEND` in the command line: a forced backend that cannot be opened stops
//! `bench` with the cause (benchmarking the other backends instead would report figures nobody
//! asked for), `info` shows the failed choice, and a forced backend that opens is the only one
//! `bench` runs.

use std::process::{Command, Output};

fn kernelforge(backend: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kernelforge"))
        .args(args)
        .env("KERNELFORGE_BACKEND", backend)
        .output()
        .expect("run kernelforge")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const BENCH: [&str; 5] = ["bench", "--elements", "4096", "--runs", "1"];

#[test]
fn an_unknown_backend_stops_bench_and_shows_in_info() {
    let out = kernelforge("tpu", &BENCH);
    let err = text(&out.stderr);
    assert!(!out.status.success(), "bench exited 0: {err}");
    assert!(
        err.contains("KERNELFORGE_BACKEND=\"tpu\" is not understood; use cuda, wgpu, cpu or auto"),
        "{err}"
    );
    let out = kernelforge("tpu", &["info"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let info = text(&out.stdout);
    assert!(
        info.contains("Device::best() picks: none: KERNELFORGE_BACKEND=\"tpu\""),
        "{info}"
    );
}

#[test]
fn an_unavailable_forced_backend_stops_bench_and_shows_in_info() {
    let Err(cause) = kernelforge::Device::cuda(0) else {
        eprintln!("skipped: CUDA is available here, so forcing it cannot fail");
        return;
    };
    let out = kernelforge("cuda", &BENCH);
    let err = text(&out.stderr);
    assert!(!out.status.success(), "bench exited 0: {err}");
    assert!(err.contains(&cause.to_string()), "{err}");
    assert!(
        err.contains("KERNELFORGE_BACKEND=cuda forces it: unset the variable, or set it to auto"),
        "{err}"
    );
    assert!(
        out.stdout.is_empty(),
        "bench measured something: {}",
        text(&out.stdout)
    );
    let out = kernelforge("cuda", &["info"]);
    let info = text(&out.stdout);
    assert!(
        info.contains("Device::best() picks: none: the CUDA backend is unavailable"),
        "{info}"
    );
}

#[test]
fn a_forced_backend_is_the_only_one_bench_runs() {
    let out = kernelforge("cpu", &BENCH);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    let table = text(&out.stdout);
    let backends: Vec<&str> = table
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .filter(|b| ["cpu", "wgpu", "cuda"].contains(b))
        .collect();
    assert!(!backends.is_empty(), "{table}");
    assert!(backends.iter().all(|&b| b == "cpu"), "{table}");
    assert!(!err.contains("skipped"), "{err}");
}
