//! `KERNELFORGE_PROFILE=1`: every device's profile table goes to stderr when the program
//! exits, here that of `kernelforge bench`.

#[test]
fn env_var_prints_the_table_at_exit() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kernelforge"))
        .args(["bench", "--elements", "4096", "--runs", "1"])
        .env("KERNELFORGE_PROFILE", "1")
        .output()
        .expect("run kernelforge bench");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bench failed:\n{stderr}");
    let table = stderr
        .split("kernelforge profile\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no profile table at exit:\n{stderr}"));
    // Every kernel the bench ran on the CPU appears with its launches (2 warm-up, 1 timed,
    // 1 checked run, for each of the three cases that run saxpy_f32: `saxpy`,
    // `saxpy_view_aligned`, `saxpy_view`) and its device time.
    let row = table
        .lines()
        .find(|l| l.trim_start().starts_with("saxpy_f32 "))
        .unwrap_or_else(|| panic!("no saxpy row:\n{table}"));
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cols[2], "12", "launches of saxpy: {row}");
    assert_eq!(cols[3], "12", "timed launches of saxpy: {row}");
    assert!(table.contains("(device time: wall time)"), "{table}");
}
