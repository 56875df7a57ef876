//! `kernelforge info`: the facts it gathers are this machine's, and `--json` is one object
//! with every section.

use serde_json::Value;

#[test]
fn info_json_has_every_section() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kernelforge"))
        .args(["info", "--json"])
        .output()
        .expect("run kernelforge info --json");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    for section in ["host", "build", "cuda", "wgpu", "best"] {
        assert!(v.get(section).is_some(), "no `{section}` in {v:#}");
    }
    let cores = v["host"]["cores"].as_u64().unwrap();
    assert_eq!(
        cores as usize,
        std::thread::available_parallelism().unwrap().get()
    );
    assert!(v["host"]["rayon_threads"].as_u64().unwrap() >= 1);
    assert!(v["best"]["device"].as_str().is_some_and(|s| !s.is_empty()));
    // One report line per backend tried, the last the choice.
    let report = v["best"]["report"].as_array().unwrap();
    assert!(
        report
            .last()
            .and_then(|l| l.as_str())
            .is_some_and(|l| l.contains("chose") || l.contains("chosen")),
        "{report:?}"
    );
    let plan = v["cuda"]["ptx_plan"].as_str().unwrap();
    assert!(
        ["Embedded", "Nvrtc", "Unloadable", "NoDriver"].contains(&plan),
        "{plan}"
    );
    assert!(!v["cuda"]["ptx_verdict"].as_str().unwrap().is_empty());
    // What CI provisions must show up.
    if required("nvcc") {
        assert!(v["build"]["nvcc_path"].is_string(), "{:#}", v["build"]);
        assert!(
            v["build"]["embedded_ptx_isa"].is_string(),
            "{:#}",
            v["build"]
        );
    }
    if required("nvrtc") {
        assert!(v["cuda"]["nvrtc_version"].is_string(), "{:#}", v["cuda"]);
    }
    if required("wgpu") {
        let a = &v["wgpu"]["adapters"][0];
        for key in [
            "max_workgroup_storage_bytes",
            "max_invocations_per_workgroup",
            "max_storage_binding_bytes",
            "max_workgroups_per_dimension",
        ] {
            assert!(a["limits"][key].as_u64().unwrap() > 0, "{key}: {a:#}");
        }
        for key in ["f16", "subgroups", "int64", "timestamp_queries"] {
            assert!(a["features"][key].is_boolean(), "{key}: {a:#}");
        }
    }
}

#[test]
fn info_matches_the_runtime() {
    let m = kernelforge_cli::info::gather();
    let wgpu = kernelforge::Device::wgpu();
    assert_eq!(m.wgpu.adapters.is_empty(), wgpu.is_err());
    if m.cuda.driver_version.is_none() {
        assert!(m.cuda.gpus.is_empty());
        assert!(m.cuda.error.is_some());
        assert_eq!(m.ptx_verdict.plan, kernelforge::info::PtxPlan::NoDriver);
        assert!(kernelforge::Device::cuda(0).is_err());
    }
    let text = m.to_text();
    for part in ["host:", "build:", "cuda", "Device::best() picks:"] {
        assert!(text.contains(part), "{part}: {text}");
    }
}

/// Whether `KERNELFORGE_REQUIRE` (comma-separated) names `what`.
fn required(what: &str) -> bool {
    std::env::var("KERNELFORGE_REQUIRE").is_ok_and(|v| v.split(',').any(|x| x.trim() == what))
}
