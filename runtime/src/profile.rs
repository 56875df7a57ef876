//! Per-kernel profiles: compile or load time, launch count and device execution time.
//!
//! Every device records how long each kernel took to compile or load (wgpu pipelines, CUDA
//! modules). With profiling on ([`Device::set_profiling`](crate::Device::set_profiling), or
//! `KERNELFORGE_PROFILE=1` for every device) it also counts launches and times them on the
//! device's own clock ([`Clock`]). GPU timings arrive asynchronously and are folded in when
//! the device is waited on; [`Device::profile`](crate::Device::profile) waits. Under
//! `KERNELFORGE_PROFILE=1` the table of every device is written to stderr when the process
//! exits: the one output the library makes, and only when asked for.

use crate::backend::Backend;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// How a device's launches are timed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// CUDA events recorded on the stream before and after each launch (`cuEventElapsedTime`).
    CudaEvents,
    /// wgpu timestamp queries written at the start and end of each launch's compute pass.
    TimestampQueries,
    /// Host wall time of the launch, which is synchronous on the CPU backend.
    Wall,
    /// Not timed: the wgpu adapter lacks the `TIMESTAMP_QUERY` feature.
    Untimed,
}

impl std::fmt::Display for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Clock::CudaEvents => "CUDA events",
            Clock::TimestampQueries => "wgpu timestamp queries",
            Clock::Wall => "wall time",
            Clock::Untimed => "untimed (no TIMESTAMP_QUERY)",
        })
    }
}

/// One kernel's figures on one device.
#[derive(Clone, Debug, PartialEq)]
pub struct KernelProfile {
    /// The kernel's name.
    pub kernel: &'static str,
    /// Time spent compiling or loading the kernel on this device (wgpu: shader module and
    /// pipelines; CUDA: module load, NVRTC included), summed over its pipelines; `None` where
    /// nothing was compiled (the CPU backend, whose code is compiled into the binary).
    pub compile: Option<Duration>,
    /// Launches that succeeded while profiling was on.
    pub launches: u64,
    /// Those of `launches` whose device time has arrived (see the module docs).
    pub timed: u64,
    /// Total device time of the timed launches.
    pub device_time: Duration,
    /// Shortest timed launch.
    pub min: Option<Duration>,
    /// Longest timed launch.
    pub max: Option<Duration>,
}

impl KernelProfile {
    /// Mean device time per timed launch.
    pub fn mean(&self) -> Option<Duration> {
        (self.timed > 0)
            .then(|| Duration::from_secs_f64(self.device_time.as_secs_f64() / self.timed as f64))
    }
}

/// A device's profile: [`Device::profile`](crate::Device::profile). `Display` prints it as a
/// table, one row per kernel, times in milliseconds.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    /// The device's name.
    pub device: String,
    /// Its backend.
    pub backend: Backend,
    /// How its launches are timed.
    pub clock: Clock,
    /// One entry per kernel compiled or launched, by name.
    pub kernels: Vec<KernelProfile>,
}

impl Profile {
    /// The entry of `kernel`, if it was compiled or launched.
    pub fn kernel(&self, kernel: &str) -> Option<&KernelProfile> {
        self.kernels.iter().find(|k| k.kernel == kernel)
    }
}

fn ms(d: Option<Duration>) -> String {
    d.map_or_else(|| "-".into(), |d| format!("{:.3}", d.as_secs_f64() * 1e3))
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{} (device time: {})", self.device, self.clock)?;
        writeln!(
            f,
            "  {:<24} {:>11} {:>9} {:>9} {:>11} {:>10} {:>10} {:>10}",
            "kernel", "compile ms", "launches", "timed", "total ms", "mean ms", "min ms", "max ms"
        )?;
        for k in &self.kernels {
            let total = (k.timed > 0).then_some(k.device_time);
            writeln!(
                f,
                "  {:<24} {:>11} {:>9} {:>9} {:>11} {:>10} {:>10} {:>10}",
                k.kernel,
                ms(k.compile),
                k.launches,
                k.timed,
                ms(total),
                ms(k.mean()),
                ms(k.min),
                ms(k.max)
            )?;
        }
        Ok(())
    }
}

#[derive(Default)]
struct Stats {
    compile: Option<Duration>,
    launches: u64,
    timed: u64,
    total: Duration,
    min: Option<Duration>,
    max: Option<Duration>,
}

/// One device's records; shared with the exit table and with pending GPU timings.
pub(crate) struct Profiler {
    on: AtomicBool,
    registered: AtomicBool,
    device: String,
    backend: Backend,
    clock: Clock,
    stats: Mutex<BTreeMap<&'static str, Stats>>,
}

impl Profiler {
    /// A profiler for a device, on when `KERNELFORGE_PROFILE` asks.
    pub(crate) fn new(device: String, backend: Backend, clock: Clock) -> Arc<Profiler> {
        let p = Arc::new(Profiler {
            on: AtomicBool::new(false),
            registered: AtomicBool::new(false),
            device,
            backend,
            clock,
            stats: Mutex::new(BTreeMap::new()),
        });
        if env_enabled() {
            p.set_enabled(true);
            install_exit_table();
        }
        p
    }

    pub(crate) fn enabled(&self) -> bool {
        self.on.load(Ordering::Relaxed)
    }

    /// Turns profiling on or off; a profiler that was ever on is listed in the exit table.
    pub(crate) fn set_enabled(self: &Arc<Self>, on: bool) {
        self.on.store(on, Ordering::Relaxed);
        if on && !self.registered.swap(true, Ordering::Relaxed) {
            registry()
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(self.clone());
        }
    }

    fn with(&self, kernel: &'static str, f: impl FnOnce(&mut Stats)) {
        let mut stats = self.stats.lock().unwrap_or_else(|e| e.into_inner());
        f(stats.entry(kernel).or_default());
    }

    /// Adds compile or load time (recorded whether or not profiling is on: it happens once).
    pub(crate) fn compiled(&self, kernel: &'static str, d: Duration) {
        self.with(kernel, |s| *s.compile.get_or_insert(Duration::ZERO) += d);
    }

    pub(crate) fn launched(&self, kernel: &'static str) {
        self.with(kernel, |s| s.launches += 1);
    }

    pub(crate) fn timed(&self, kernel: &'static str, d: Duration) {
        self.with(kernel, |s| {
            s.timed += 1;
            s.total += d;
            s.min = Some(s.min.map_or(d, |m| m.min(d)));
            s.max = Some(s.max.map_or(d, |m| m.max(d)));
        });
    }

    pub(crate) fn snapshot(&self) -> Profile {
        let stats = self.stats.lock().unwrap_or_else(|e| e.into_inner());
        Profile {
            device: self.device.clone(),
            backend: self.backend,
            clock: self.clock,
            kernels: stats
                .iter()
                .map(|(&kernel, s)| KernelProfile {
                    kernel,
                    compile: s.compile,
                    launches: s.launches,
                    timed: s.timed,
                    device_time: s.total,
                    min: s.min,
                    max: s.max,
                })
                .collect(),
        }
    }
}

/// Where a backend delivers one launch's device time, possibly later and on another thread.
pub(crate) struct Sink {
    profiler: Arc<Profiler>,
    kernel: &'static str,
}

impl Sink {
    pub(crate) fn new(profiler: &Arc<Profiler>, kernel: &'static str) -> Sink {
        Sink {
            profiler: profiler.clone(),
            kernel,
        }
    }

    pub(crate) fn record(self, d: Duration) {
        self.profiler.timed(self.kernel, d);
    }
}

#[cfg(any(feature = "wgpu", feature = "cuda"))]
pub(crate) use pending::PendingTimings;

#[cfg(any(feature = "wgpu", feature = "cuda"))]
mod pending {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    /// Launch timings a GPU backend is still waiting for. Checking costs one atomic load while
    /// none are pending, so launches without profiling never take the lock.
    pub(crate) struct PendingTimings<T> {
        count: AtomicUsize,
        list: Mutex<Vec<T>>,
    }

    impl<T> PendingTimings<T> {
        pub(crate) fn new() -> Self {
            PendingTimings {
                count: AtomicUsize::new(0),
                list: Mutex::new(Vec::new()),
            }
        }

        pub(crate) fn push(&self, t: T) {
            let mut list = self.list.lock().unwrap_or_else(|e| e.into_inner());
            list.push(t);
            self.count.store(list.len(), Ordering::Release);
        }

        /// Hands each pending timing to `deliver`, which returns it back when it is not ready.
        pub(crate) fn collect(&self, mut deliver: impl FnMut(T) -> Option<T>) {
            if self.count.load(Ordering::Acquire) == 0 {
                return;
            }
            let mut list = self.list.lock().unwrap_or_else(|e| e.into_inner());
            let waiting: Vec<T> = list.drain(..).filter_map(&mut deliver).collect();
            *list = waiting;
            self.count.store(list.len(), Ordering::Release);
        }
    }
}

/// What a backend reports of one launch or warm-up besides its result.
#[derive(Default)]
pub(crate) struct LaunchRecord {
    /// Compile or load time spent in this call (zero when everything was cached).
    pub compile: Duration,
    /// Present when profiling: the backend takes it to deliver the launch's device time.
    pub sink: Option<Sink>,
}

/// Whether `KERNELFORGE_PROFILE` turns profiling on (any value but empty, `0`, `false`,
/// `off`, `no`).
pub(crate) fn env_enabled() -> bool {
    std::env::var("KERNELFORGE_PROFILE")
        .is_ok_and(|v| !v.trim().is_empty() && !crate::policy::switched_off(&v))
}

fn registry() -> &'static Mutex<Vec<Arc<Profiler>>> {
    static REGISTRY: OnceLock<Mutex<Vec<Arc<Profiler>>>> = OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(Vec::new()))
}

/// The table of every device profiled in this process so far (devices since dropped
/// included), as printed at exit under `KERNELFORGE_PROFILE=1`. GPU launches whose timings
/// had not arrived count in `launches` but not in `timed`.
pub fn table() -> String {
    let list = registry().lock().unwrap_or_else(|e| e.into_inner());
    let mut out = String::from("kernelforge profile\n");
    for p in list.iter() {
        let _ = write!(out, "{}", p.snapshot());
    }
    out
}

extern "C" fn print_exit_table() {
    use std::io::Write;
    // Any failure to write is ignored: the process is ending.
    let _ = std::io::stderr().write_all(table().as_bytes());
}

fn install_exit_table() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        unsafe extern "C" {
            // C's atexit (libc, the macOS libSystem, the Windows CRT): Rust runs no code
            // after `main` of its own.
            fn atexit(f: extern "C" fn()) -> std::ffi::c_int;
        }
        // SAFETY: registers a plain function that takes no arguments and does not unwind
        // (writing to stderr reports errors as values).
        if unsafe { atexit(print_exit_table) } != 0 {
            tracing::warn!("KERNELFORGE_PROFILE: cannot register the exit table");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_accumulate_and_table_lists_them() {
        let p = Arc::new(Profiler {
            on: AtomicBool::new(true),
            registered: AtomicBool::new(false),
            device: "test device".into(),
            backend: Backend::Cpu,
            clock: Clock::Wall,
            stats: Mutex::new(BTreeMap::new()),
        });
        p.compiled("k", Duration::from_millis(2));
        p.compiled("k", Duration::from_millis(1));
        for ms in [4, 1, 7] {
            p.launched("k");
            Sink::new(&p, "k").record(Duration::from_millis(ms));
        }
        p.launched("k");
        let snap = p.snapshot();
        let k = snap.kernel("k").expect("recorded");
        assert_eq!(k.compile, Some(Duration::from_millis(3)));
        assert_eq!((k.launches, k.timed), (4, 3));
        assert_eq!(k.device_time, Duration::from_millis(12));
        assert_eq!(k.mean(), Some(Duration::from_millis(4)));
        assert_eq!(k.min, Some(Duration::from_millis(1)));
        assert_eq!(k.max, Some(Duration::from_millis(7)));
        let text = snap.to_string();
        assert!(
            text.contains("test device (device time: wall time)"),
            "{text}"
        );
        assert!(text.contains("3.000"), "{text}");
    }
}
