//! `kernelforge bench`: every built-in kernel on every backend present, with peers measured in
//! the same run (handwritten rayon loops on the CPU, handwritten vec4 WGSL shaders on wgpu).
//!
//! Timing is interleaved: after two warm-up runs of every case, each round times one run of
//! every case in turn (a kernel, then its peer; every other round in reverse order), and each
//! case reports the median of its rounds.
//! On a noisy machine a slow spell then hits a kernel and its peer alike, so their ratio is
//! steadier than when each is timed in a block of its own.
//!
//! Each record also carries the case's first run, timed alone before any other run of it:
//! for a built-in kernel on a GPU that is the cold launch, compiling or loading its pipeline
//! or module (`compile_ms`, from the device's profile) included; on the CPU nothing compiles.
//!
//! The module prints nothing: progress goes to the callback [`run`] is given.

mod attention;
mod gpu_shapes;
mod halves;
mod kernels;
mod matrix;
mod peers;
mod ported;
mod wide;
mod zk;

use kernelforge::{Device, Result};
use kernelforge_reference::errors;
use std::time::Instant;

/// One measurement, as written by `--json`.
#[derive(Clone, Debug)]
pub struct Record {
    /// Kernel name, or `peer:<name>` for a peer.
    pub kernel: String,
    /// For a peer, the kernel it is measured against.
    pub peer_of: Option<String>,
    /// `cpu`, `wgpu` or `cuda`.
    pub backend: String,
    /// The device's name.
    pub device: String,
    /// Elements processed.
    pub elements: usize,
    /// Bytes read and written per run.
    pub bytes: u64,
    /// Median wall time of one run (launch and wait), ms.
    pub median_ms: f64,
    /// Median device time of one run on the CUDA backend, ms: the sum of its launches' CUDA
    /// events, which leave out the launch and the wait that `median_ms` includes (at tens of
    /// microseconds a run, a large share); what PyTorch's CUDA-event timings compare with.
    /// `None` on the other backends.
    pub device_ms: Option<f64>,
    /// Wall time of the first run (launch and wait), ms: the cold launch, compilation
    /// included on a GPU.
    pub first_ms: f64,
    /// Compile or load time of the kernel on this device, ms (from its profile); `None` for
    /// peers and on the CPU.
    pub compile_ms: Option<f64>,
    /// `bytes / median`, GB/s (10^9).
    pub gbps: f64,
    /// Floating-point operations per second, TFLOP/s (10^12), for the cases that count them
    /// (matrix products: `2 m n k` per run).
    pub tflops: Option<f64>,
    /// Largest absolute error against the scalar reference.
    pub max_abs_err: f64,
    /// Largest relative error against the scalar reference.
    pub max_rel_err: f64,
    /// Whether the errors are within the documented tolerance.
    pub ok: bool,
    /// The backend's roofline: the best GB/s of a device copy (the `copy` kernel or its peer)
    /// in the same run, when one was measured.
    pub roofline_gbps: Option<f64>,
    /// For an autotuned kernel, the instance its family chose on this device (`layer_norm_f32_32`)
    /// and how (`measured`, `disk`: an earlier process's, `default`: timing off).
    pub instance: Option<String>,
}

impl Record {
    /// `gbps / roofline_gbps`: the fraction of the copy bandwidth reached.
    pub fn roofline_fraction(&self) -> Option<f64> {
        self.roofline_gbps.map(|r| self.gbps / r)
    }
}

impl Record {
    /// The record as a JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "kernel": self.kernel, "backend": self.backend, "device": self.device,
            "elements": self.elements, "bytes": self.bytes, "median_ms": self.median_ms,
            "device_ms": self.device_ms,
            "first_ms": self.first_ms, "compile_ms": self.compile_ms,
            "gbps": self.gbps, "tflops": self.tflops, "max_abs_err": self.max_abs_err, "max_rel_err": self.max_rel_err,
            "ok": self.ok, "peer_of": self.peer_of, "roofline_gbps": self.roofline_gbps,
            "roofline_fraction": self.roofline_fraction(), "instance": self.instance,
        })
    }
}

/// Bench settings.
#[derive(Clone, Debug)]
pub struct Options {
    /// Elements per kernel.
    pub elements: usize,
    /// Timed runs (after 2 warm-up runs); the median is reported.
    pub runs: usize,
    /// Only the cases whose name contains this (`attention` keeps the kernel and its peer),
    /// as criterion's filter; all when `None`.
    pub only: Option<String>,
    /// The side of the matrix products; `None`: `sqrt(elements)`, at most 1024.
    pub side: Option<usize>,
}

/// What a case's check returns: its output and the reference, within `tol` (absolute or
/// relative, see [`errors`]).
pub(crate) struct Check {
    got: Vec<f32>,
    want: Vec<f32>,
    tol: f64,
}

impl Check {
    /// The check of a case run with `check`: `got()` against `want()`, within `tol`; `None`
    /// (nothing computed) for a timed run.
    pub(crate) fn when(
        check: bool,
        tol: f64,
        want: impl FnOnce() -> Vec<f32>,
        got: impl FnOnce() -> Result<Vec<f32>>,
    ) -> Result<Option<Check>> {
        if !check {
            return Ok(None);
        }
        Ok(Some(Check {
            got: got()?,
            want: want(),
            tol,
        }))
    }
}

/// One thing to time, a built-in kernel on one device or its peer, with its inputs and output
/// already in place: [`Case::run`] runs it once.
pub struct Case<'a> {
    kernel: String,
    peer_of: Option<String>,
    backend: &'static str,
    device: String,
    bytes: u64,
    /// Floating-point operations of one run (0: not counted).
    flops: u64,
    /// The autotuned family whose choice the case runs (`Device::autotuned`), if any.
    family: Option<String>,
    /// `step(false)` runs once; `step(true)` runs from fresh inputs where the case works in
    /// place and returns its output for checking.
    step: Box<dyn FnMut(bool) -> Result<Option<Check>> + 'a>,
}

impl Case<'_> {
    /// The kernel's name, or `peer:<name>` for a peer.
    pub fn kernel(&self) -> &str {
        &self.kernel
    }

    /// `cpu`, `wgpu` or `cuda`.
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// Bytes read and written by one run, for GB/s.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Runs the case once. On a GPU the work may still be in flight: follow with
    /// [`Device::synchronize`] before reading a clock.
    pub fn run(&mut self) -> Result<()> {
        (self.step)(false).map(drop)
    }
}

/// The inputs every backend and peer sees: `elements` values per input array, generated
/// deterministically (the same in every run).
pub struct Inputs {
    data: kernels::Data,
    f16: halves::HalfData<kernelforge::f16>,
    bf16: halves::HalfData<kernelforge::bf16>,
    matrices: matrix::Matrices,
    heads: attention::Heads,
}

impl Inputs {
    /// Generates inputs of `elements` values each (and their `f16` and `bf16` roundings), and
    /// matrices of `side` a side (see [`Options::side`]).
    pub fn new(elements: usize, side: Option<usize>) -> Inputs {
        let data = kernels::Data::new(elements);
        Inputs {
            f16: halves::HalfData::new(&data),
            bf16: halves::HalfData::new(&data),
            matrices: matrix::Matrices::new(elements, side),
            heads: attention::Heads::new(elements),
            data,
        }
    }
}

/// Which kernels to set up, by name: a kernel's peer goes with it.
pub type Keep<'k> = &'k dyn Fn(&str) -> bool;

/// Every built-in kernel on `dev` that `keep` names, each followed by its peer on that backend
/// (a rayon loop on the CPU, a vec4 WGSL shader on wgpu), in bench order. A case that could not
/// be set up (a buffer too large for the adapter, a shader the adapter rejects) comes back as
/// the `Err`, named. Kernels not kept are never set up: no inputs uploaded, no memory held.
pub fn cases<'a>(
    dev: &'a Device,
    inputs: &'a Inputs,
    keep: Keep<'_>,
) -> Vec<(String, Result<Case<'a>>)> {
    let data = &inputs.data;
    let mut out = Vec::new();
    for (name, kernel) in kernels::cases(dev, data, keep) {
        out.push((name.to_string(), kernel));
        let peer = match dev.backend() {
            kernelforge::Backend::Cpu => peers::rayon(name, data),
            kernelforge::Backend::Wgpu => peers::wgsl(dev, name, data),
            kernelforge::Backend::Cuda => None,
        };
        if let Some(peer) = peer {
            let peer = peer.map(|mut p| {
                p.peer_of = Some(name.to_string());
                p
            });
            out.push((format!("peer of {name}"), peer));
        }
    }
    push_named(&mut out, ported::cases(dev, data, keep));
    out.extend(wide::cases(dev, data, keep));
    push_named(
        &mut out,
        halves::cases(dev, data, &inputs.f16, &inputs.bf16, keep),
    );
    push_named(&mut out, matrix::cases(dev, &inputs.matrices, keep));
    push_named(&mut out, attention::cases(dev, &inputs.heads, keep));
    push_named(&mut out, gpu_shapes::cases(dev, keep));
    push_named(&mut out, zk::cases(dev, inputs.data.n, keep));
    out
}

/// Appends `cases`, (name, case, whether it is a peer), a peer named after its kernel.
fn push_named<'a>(
    out: &mut Vec<(String, Result<Case<'a>>)>,
    cases: Vec<(String, Result<Case<'a>>, bool)>,
) {
    for (name, case, is_peer) in cases {
        if is_peer {
            let peer = case.map(|mut p| {
                p.peer_of = Some(name.clone());
                p
            });
            out.push((format!("peer of {name}"), peer));
        } else {
            out.push((name, case));
        }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Times `cases` round-robin on `dev` (waited on after each run) and checks each once.
fn measure(
    dev: &Device,
    cases: &mut [Case<'_>],
    opts: &Options,
    progress: &mut dyn FnMut(&str),
) -> Vec<Record> {
    let mut failed = vec![None; cases.len()];
    let mut times = vec![Vec::with_capacity(opts.runs); cases.len()];
    let mut first = vec![f64::NAN; cases.len()];
    // On CUDA, each timed run's device time too, from the profile's CUDA events read between
    // runs (reading waits for the device, outside the wall-clock interval).
    let events = dev.backend() == kernelforge::Backend::Cuda;
    if events {
        dev.set_profiling(true);
    }
    let device_total = || -> Option<f64> {
        let p = dev.profile().ok()?;
        (p.clock == kernelforge::profile::Clock::CudaEvents).then(|| {
            p.kernels
                .iter()
                .map(|k| k.device_time.as_secs_f64() * 1e3)
                .sum()
        })
    };
    let mut device = vec![Vec::with_capacity(opts.runs); cases.len()];
    // The cases' uploads, queued while they were set up, finish before the first timed run
    // (on wgpu they would otherwise run inside it: 28 s of lavapipe page faults at 16M elements).
    if let Err(e) = dev.synchronize() {
        failed.iter_mut().for_each(|f| *f = Some(e.to_string()));
    }
    for round in 0..opts.runs + 2 {
        // Odd rounds run the cases in reverse, so that a kernel and its peer each follow the
        // other equally often: in a fixed order the second of a pair was measured ~2% faster
        // on lavapipe even when both ran the same shader.
        let mut order: Vec<usize> = (0..cases.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let c = &mut cases[i];
            if failed[i].is_some() {
                continue;
            }
            let before = if events && round >= 2 {
                device_total()
            } else {
                None
            };
            let t = Instant::now();
            match (c.step)(false).and_then(|_| dev.synchronize()) {
                Ok(()) if round >= 2 => {
                    times[i].push(t.elapsed().as_secs_f64() * 1e3);
                    if let (Some(b), Some(a)) = (before, device_total()) {
                        device[i].push(a - b);
                    }
                }
                Ok(()) if round == 0 => first[i] = t.elapsed().as_secs_f64() * 1e3,
                Ok(()) => {}
                Err(e) => failed[i] = Some(e.to_string()),
            }
        }
    }
    let profile = dev.profile().ok();
    let mut out = Vec::new();
    for (i, c) in cases.iter_mut().enumerate() {
        let checked = match &failed[i] {
            Some(e) => Err(e.clone()),
            None => (c.step)(true).map_err(|e| e.to_string()),
        };
        let check = match checked {
            Ok(Some(check)) => check,
            Ok(None) => continue,
            Err(e) => {
                progress(&format!("  {:<26} error: {e}", c.kernel));
                continue;
            }
        };
        let ms = median(std::mem::take(&mut times[i]));
        let device_ms = (!device[i].is_empty()).then(|| median(std::mem::take(&mut device[i])));
        let (abs, rel) = errors(&check.got, &check.want);
        let tuned = c.family.as_deref().and_then(|f| dev.autotuned(f));
        let r = Record {
            kernel: c.kernel.clone(),
            peer_of: c.peer_of.clone(),
            backend: c.backend.into(),
            device: c.device.clone(),
            elements: opts.elements,
            bytes: c.bytes,
            median_ms: ms,
            device_ms,
            first_ms: first[i],
            compile_ms: match (&c.peer_of, &profile) {
                // The f32 instances of generic kernels keep the plain name in the bench; an
                // autotuned one is its chosen instance.
                (None, Some(p)) => p
                    .kernel(&c.kernel)
                    .or_else(|| p.kernel(&format!("{}_f32", c.kernel)))
                    .or_else(|| p.kernel(&tuned.as_ref()?.instance))
                    .and_then(|k| k.compile)
                    .map(|d| d.as_secs_f64() * 1e3),
                _ => None,
            },
            gbps: c.bytes as f64 / (ms * 1e-3) / 1e9,
            tflops: (c.flops > 0).then(|| c.flops as f64 / (ms * 1e-3) / 1e12),
            max_abs_err: abs,
            max_rel_err: rel,
            ok: abs <= check.tol || rel <= check.tol,
            roofline_gbps: None,
            instance: c
                .family
                .as_deref()
                .and_then(|f| dev.autotuned(f))
                .map(|ch| {
                    let how = match ch.chosen {
                        kernelforge::autotune::Chosen::Measured(_) => "measured",
                        kernelforge::autotune::Chosen::Disk => "disk",
                        kernelforge::autotune::Chosen::Default => "default",
                    };
                    format!("{} ({how})", ch.instance)
                }),
        };
        progress(&format!(
            "  {:<26} {:>9.3} ms {:>8.2} GB/s {:>7} TFLOP/s  first {:>9.3} ms  err {:.1e}",
            r.kernel,
            r.median_ms,
            r.gbps,
            r.tflops.map_or("-".into(), |t| format!("{t:.4}")),
            r.first_ms,
            r.max_abs_err
        ));
        if let Some(d) = r.device_ms {
            progress(&format!("  {:<26} device (CUDA events): {d:.4} ms", ""));
        }
        if let Some(i) = &r.instance {
            progress(&format!("  {:<26} autotuned: {i}", ""));
        }
        out.push(r);
    }
    out
}

/// Every device the benchmarks run on: the CPU, then wgpu and CUDA where present; and a line
/// for each backend skipped, saying why. With `KERNELFORGE_BACKEND` set, only that backend.
///
/// # Errors
/// Those of [`Device::forced`]: an unknown `KERNELFORGE_BACKEND`, or a forced backend that
/// cannot be opened (benchmarking the others instead would report figures nobody asked for).
///
/// The bounds check (`KERNELFORGE_CHECK=bounds`) is turned off, with a line saying so: the
/// peers have no checked versions, and timings of checked kernels measure the check.
pub fn devices() -> Result<(Vec<Device>, Vec<String>)> {
    let (mut devices, mut skipped) = (Vec::new(), Vec::new());
    match Device::forced()? {
        Some(dev) => devices.push(dev),
        None => {
            devices.push(Device::cpu());
            match Device::wgpu() {
                Ok(d) => devices.push(d),
                Err(e) => skipped.push(format!("bench: wgpu skipped: {e}")),
            }
            match Device::cuda(0) {
                Ok(d) => devices.push(d),
                Err(e) => skipped.push(format!("bench: cuda skipped: {e}")),
            }
        }
    }
    if devices.iter().any(|d| d.bounds_check()) {
        skipped.push(
            "bench: the bounds check (KERNELFORGE_CHECK=bounds) is off while measuring".into(),
        );
        devices.iter().for_each(|d| d.set_bounds_check(false));
    }
    Ok((devices, skipped))
}

/// Runs the whole benchmark on every device present, handing each progress line (a device
/// begun, a case measured or failed, a backend skipped) to `progress`.
///
/// # Errors
/// Those of [`devices`]; a case that fails is a progress line, not an error.
pub fn run(opts: &Options, progress: &mut dyn FnMut(&str)) -> Result<Vec<Record>> {
    let (devices, skipped) = devices()?;
    for line in &skipped {
        progress(line);
    }
    let inputs = Inputs::new(opts.elements, opts.side);
    let mut out = Vec::new();
    for dev in &devices {
        progress(&format!(
            "{}: {} timed rounds after 2 warm-up rounds, interleaved",
            dev.name(),
            opts.runs
        ));
        let mut cases = Vec::new();
        let keep = |name: &str| opts.only.as_ref().is_none_or(|f| name.contains(f.as_str()));
        for (name, case) in self::cases(dev, &inputs, &keep) {
            match case {
                Ok(c) => cases.push(c),
                Err(e) => progress(&format!("  {name:<26} error: {e}")),
            }
        }
        let mut records = measure(dev, &mut cases, opts, progress);
        let roofline = records
            .iter()
            .filter(|r| r.kernel == "copy" || r.peer_of.as_deref() == Some("copy"))
            .map(|r| r.gbps)
            .reduce(f64::max);
        for r in &mut records {
            r.roofline_gbps = roofline;
        }
        out.extend(records);
    }
    Ok(out)
}

/// The table printed on stdout: one row per record, with the ratio to the backend's peer.
pub fn table(records: &[Record]) -> String {
    let mut s = format!(
        "{:<24} {:<5} {:>10} {:>10} {:>8} {:>9} {:>9} {:>10} {:>10} {:>4}\n",
        "kernel",
        "back",
        "median ms",
        "GB/s",
        "TFLOP/s",
        "vs peer",
        "roofline",
        "first ms",
        "max err",
        "ok"
    );
    for r in records {
        let peer = match r.peer_of {
            Some(_) => None,
            None => records.iter().find(|p| {
                p.peer_of.as_deref() == Some(r.kernel.as_str()) && p.backend == r.backend
            }),
        };
        // The same work done faster: by FLOP/s where both count them (a `bf16` kernel moves
        // half the bytes of its `f32` peer), else by bytes per second.
        let ratio = peer
            .map(|p| match (r.tflops, p.tflops) {
                (Some(a), Some(b)) => a / b,
                _ => r.gbps / p.gbps,
            })
            .map(|x| format!("{x:.2}x"))
            .unwrap_or_else(|| "-".into());
        let roofline = r
            .roofline_fraction()
            .map(|f| format!("{:.0}%", 100.0 * f))
            .unwrap_or_else(|| "-".into());
        s += &format!(
            "{:<24} {:<5} {:>10.3} {:>10.2} {:>8} {:>9} {:>9} {:>10.3} {:>10.1e} {:>4}\n",
            r.kernel,
            r.backend,
            r.median_ms,
            r.gbps,
            r.tflops.map_or("-".into(), |t| format!("{t:.4}")),
            ratio,
            roofline,
            r.first_ms,
            r.max_abs_err,
            if r.ok { "yes" } else { "NO" }
        );
    }
    for r in records.iter().filter(|r| r.instance.is_some()) {
        s += &format!(
            "autotuned: {} on {}: {}\n",
            r.kernel,
            r.backend,
            r.instance.as_deref().unwrap_or_default()
        );
    }
    s
}
