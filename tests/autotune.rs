//! `Device::autotune` (runtime/src/autotune.rs): the fastest candidate is chosen by timing, once
//! per process and device, kept on disk for the next process, skipped when timing is off or a
//! check is on; and the row operators' families on every backend run one of their instances.

mod common;

use common::each_backend;
use kernelforge::autotune::{Chosen, Family};
use kernelforge::ops::{self, Rows};
use kernelforge::prelude::*;
use std::cell::Cell;
use std::time::Duration;

/// Candidates that sleep 6, 1 and 3 ms a run: the second is the fastest by far.
fn sleepy(calls: &Cell<usize>) -> impl FnMut(usize) -> kernelforge::Result<()> + '_ {
    move |i| {
        calls.set(calls.get() + 1);
        std::thread::sleep(Duration::from_millis([6, 1, 3][i]));
        Ok(())
    }
}

fn family(name: &str) -> Family<'_> {
    Family {
        name,
        candidates: &["slow", "fast", "middle"],
        default: 0,
    }
}

/// Timing, in a child process with timing on and a cache directory of its own (the tests of
/// this process run beside others, and scripts/test.sh turns timing off).
#[test]
fn the_fastest_candidate_is_chosen_once_per_process() {
    timing_child("fastest");
}

#[test]
fn failing_candidates_are_skipped_and_all_failing_is_an_error() {
    timing_child("failing");
}

/// Runs `child` in a child process for `mode` with a fresh cache directory.
fn timing_child(mode: &str) {
    let dir = std::env::temp_dir().join(format!("kf-autotune-{mode}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    run_child(&[
        ("KERNELFORGE_CACHE_DIR", dir.to_str().unwrap()),
        ("KF_TEST_EXPECT", mode),
    ]);
    let _ = std::fs::remove_dir_all(&dir);
}

fn fastest_chosen_once_per_process() {
    let dev = Device::cpu();
    let name = "test_family";
    let calls = Cell::new(0);
    let c = dev.autotune(&family(name), &mut sleepy(&calls)).unwrap();
    assert_eq!((c.index, c.instance.as_str()), (1, "fast"), "{c:?}");
    let Chosen::Measured(ms) = &c.chosen else {
        panic!("not measured: {c:?}");
    };
    assert_eq!(ms.len(), 3);
    assert!(
        ms[1].unwrap() < ms[2].unwrap() && ms[2].unwrap() < ms[0].unwrap(),
        "{ms:?}"
    );
    // A warm-up and at most five timed runs each.
    assert!((6..=18).contains(&calls.get()), "{} runs", calls.get());
    let before = calls.get();
    let again = dev.autotune(&family(name), &mut sleepy(&calls)).unwrap();
    assert_eq!(again, c);
    assert_eq!(calls.get(), before, "timed again");
    assert_eq!(dev.autotuned(name), Some(c));
    // The warm-ups first, then rounds that run every candidate once, so that a burst of other
    // work on the machine slows all the candidates of a round alike.
    let order = std::cell::RefCell::new(Vec::new());
    let mut record = |i| {
        order.borrow_mut().push(i);
        Ok(())
    };
    dev.autotune(&family("test_rounds"), &mut record).unwrap();
    let order = order.into_inner();
    assert!(order.len() >= 6 && order.len() % 3 == 0, "{order:?}");
    for round in order.chunks(3) {
        assert_eq!(round, [0, 1, 2], "{order:?}");
    }
}

fn failing_candidates_skipped() {
    let dev = Device::cpu();
    let name = "test_failing";
    let c = dev
        .autotune(&family(name), &mut |i| {
            if i == 1 {
                return Err(kernelforge::Error::BadArguments {
                    kernel: "test",
                    message: "no".into(),
                });
            }
            std::thread::sleep(Duration::from_millis([3, 0, 1][i]));
            Ok(())
        })
        .unwrap();
    assert_eq!(c.instance, "middle", "{c:?}");
    let Chosen::Measured(ms) = &c.chosen else {
        panic!("{c:?}");
    };
    assert!(ms[1].is_none(), "{ms:?}");
    let name = "test_all_failing";
    let e = dev
        .autotune(&family(name), &mut |_| {
            Err(kernelforge::Error::BadArguments {
                kernel: "test",
                message: "first".into(),
            })
        })
        .unwrap_err();
    assert!(e.to_string().contains("first"), "{e}");
    let bad = Family {
        name: "empty",
        candidates: &[],
        default: 0,
    };
    let e = dev.autotune(&bad, &mut |_| Ok(())).unwrap_err();
    assert!(e.to_string().contains("at least one"), "{e}");
}

#[test]
fn a_race_checked_device_runs_the_default() {
    let dev = Device::cpu_checked();
    let calls = Cell::new(0);
    let c = dev
        .autotune(&family("test_checked"), &mut sleepy(&calls))
        .unwrap();
    assert_eq!((c.index, &c.chosen), (0, &Chosen::Default));
    assert_eq!(calls.get(), 0);
}

/// Runs this test binary's `child` test in a child process with `env`, and its output.
fn run_child(env: &[(&str, &str)]) -> String {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "child", "--include-ignored", "--nocapture"]);
    cmd.env_remove("KERNELFORGE_AUTOTUNE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && text.contains("1 passed"), "{text}");
    text
}

/// A second process reads the first one's choice from the disk cache (`KERNELFORGE_CACHE_DIR`)
/// without timing; with `KERNELFORGE_AUTOTUNE=off` a process runs the default.
#[test]
fn the_choice_is_kept_on_disk_and_timing_can_be_turned_off() {
    let dir = std::env::temp_dir().join(format!("kf-autotune-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.to_str().unwrap();
    let first = run_child(&[("KERNELFORGE_CACHE_DIR", d), ("KF_TEST_EXPECT", "measured")]);
    assert!(first.contains("chose fast"), "{first}");
    run_child(&[("KERNELFORGE_CACHE_DIR", d), ("KF_TEST_EXPECT", "disk")]);
    run_child(&[
        ("KERNELFORGE_CACHE_DIR", d),
        ("KERNELFORGE_AUTOTUNE", "off"),
        ("KF_TEST_EXPECT", "default"),
    ]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "run by the tests above in child processes"]
fn child() {
    let expect = std::env::var("KF_TEST_EXPECT").unwrap();
    match expect.as_str() {
        "fastest" => return fastest_chosen_once_per_process(),
        "failing" => return failing_candidates_skipped(),
        _ => {}
    }
    let calls = Cell::new(0);
    let c = Device::cpu()
        .autotune(&family("test_disk"), &mut sleepy(&calls))
        .unwrap();
    match expect.as_str() {
        "measured" => assert!(matches!(c.chosen, Chosen::Measured(_)), "{c:?}"),
        "disk" => assert_eq!(c.chosen, Chosen::Disk, "{c:?}"),
        _ => assert_eq!(c.chosen, Chosen::Default, "{c:?}"),
    }
    if expect == "default" {
        assert_eq!((c.index, calls.get()), (0, 0));
    } else {
        assert_eq!(c.instance, "fast");
        assert_eq!(calls.get() > 0, expect == "measured");
    }
    println!("chose {}", c.instance);
}

/// The row operators choose one of their family's instances on each backend and say which.
#[each_backend]
fn row_operators_record_their_choice(dev: &Device) {
    let s = Rows { rows: 3, cols: 700 };
    let x = dev.upload(&vec![0.5f32; 2100]).unwrap();
    let mut y = dev.zeros::<f32>(2100).unwrap();
    ops::softmax(dev, &x, &mut y, s).unwrap();
    let got = y.to_vec().unwrap();
    assert!(
        got.iter().all(|&v| (v - 1.0 / 700.0).abs() < 1e-7),
        "{:?}",
        &got[..4]
    );
    // 700 columns are whole `Vec4`s: the family of that class with the `_v4` kernels.
    let family = ops::row_family::<f32>("softmax", 700);
    assert_eq!(family, "softmax_f32/cols<=1024/v4");
    assert_eq!(
        ops::row_family::<f32>("softmax", 699),
        "softmax_f32/cols<=1024"
    );
    let c = dev.autotuned(&family).expect("a choice");
    assert!(
        [
            "softmax_f32_32",
            "softmax_f32_64",
            "softmax_f32_128",
            "softmax_f32_256",
            "softmax_v4_f32_32",
            "softmax_v4_f32_256"
        ]
        .contains(&c.instance.as_str()),
        "{c:?}"
    );
    let e = ops::softmax(dev, &x, &mut y, Rows { rows: 3, cols: 701 }).unwrap_err();
    assert!(e.to_string().contains("`x` holds 2100 elements"), "{e}");
}

/// `ops::matmul` chooses one of its family's instances for the output's size class.
#[each_backend]
fn matmul_records_its_choice(dev: &Device) {
    let a = dev.upload(&[1.0f32; 6 * 5]).unwrap();
    let mut c = dev.zeros::<f32>(36).unwrap();
    ops::matmul(
        dev,
        &a,
        &a,
        &mut c,
        ops::Matmul::new(6, 6, 5).b_transposed(),
    )
    .unwrap();
    assert!(c.to_vec().unwrap().iter().all(|&v| v == 5.0));
    let family = ops::matmul_family::<f32>(6, 6);
    assert_eq!(family, "matmul_f32/mn<=64");
    let c = dev.autotuned(&family).expect("a choice");
    assert!(
        [
            "matmul_f32_4",
            "matmul_f32_2",
            "matmul_tiles_f32_4",
            "matmul_tiles_f32_8",
            "matmul_tiles_f32_16"
        ]
        .contains(&c.instance.as_str()),
        "{c:?}"
    );
}
