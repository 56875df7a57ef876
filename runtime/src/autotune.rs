//! Autotuning: the choice among a kernel's interchangeable instances (the values of a const
//! generic parameter, such as a workgroup size) by timing each on the device, once.
//!
//! [`Device::autotune`] times every candidate of a [`Family`] on a representative workload
//! that the caller runs, picks the fastest (median of a few runs after a warm-up that compiles
//! it), logs the choice through `tracing`, and keeps it: in memory for the process, and in the
//! disk cache ([`crate::cache`]) under the device's name (which names its driver), the family
//! and its candidates, so a later process reuses it without timing. `KERNELFORGE_AUTOTUNE=off`
//! (or `0`, `false`, `no`) turns timing off: every family then runs its default instance, as it
//! does while the race or bounds check is on (their timings would measure the check).
//! `KERNELFORGE_AUTOTUNE=retune` times again and replaces the disk entry (a choice timed while
//! the machine was busy stays until then: timings are only as good as the moment). As
//! CubeCL's and Triton's autotuners do, the choice is per device and family; a family that
//! depends on a size class names it (`layer_norm_f32/cols<=4096`).

use crate::cache::DiskCache;
use crate::{Device, Error, Result};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Interchangeable instances of one kernel, any of which gives a correct result.
#[derive(Clone, Copy, Debug)]
pub struct Family<'a> {
    /// The family's name, with its size class if the choice depends on one, e.g.
    /// `layer_norm_f32/cols<=4096`.
    pub name: &'a str,
    /// The instances' names, e.g. `layer_norm_f32_32`, ..., `layer_norm_f32_256`.
    pub candidates: &'a [&'a str],
    /// The instance to run when timing is off (an index into `candidates`).
    pub default: usize,
}

/// How a [`Choice`] was made.
#[derive(Clone, Debug, PartialEq)]
pub enum Chosen {
    /// Timed now: the median milliseconds of each candidate, `None` for one that failed.
    Measured(Vec<Option<f64>>),
    /// Read from the disk cache, timed by an earlier process.
    Disk,
    /// Timing is off (`KERNELFORGE_AUTOTUNE=off`, or a race or bounds check on): the default.
    Default,
}

/// The instance a family runs on a device.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    /// The family's name.
    pub family: String,
    /// The chosen candidate's index in the family.
    pub index: usize,
    /// Its name.
    pub instance: String,
    /// How it was chosen.
    pub chosen: Chosen,
}

/// Timed rounds after the warm-ups, each running every candidate once; fewer once the rounds
/// have taken [`CANDIDATE_BUDGET`] per candidate.
const RUNS: usize = 5;
const CANDIDATE_BUDGET: Duration = Duration::from_millis(400);

/// The version of the disk entries' key layout.
const KEY_VERSION: &str = "kernelforge-autotune-1";

/// Choices made in this process, by (device name, family name).
static CHOICES: Mutex<Option<HashMap<(String, String), Choice>>> = Mutex::new(None);

fn remembered(key: &(String, String)) -> Option<Choice> {
    let guard = CHOICES.lock().unwrap_or_else(|p| p.into_inner());
    guard.as_ref()?.get(key).cloned()
}

fn remember(key: (String, String), choice: Choice) {
    let mut guard = CHOICES.lock().unwrap_or_else(|p| p.into_inner());
    guard.get_or_insert_with(HashMap::new).insert(key, choice);
}

/// The disk cache's key of a family's choice on a device.
fn disk_key(device: &str, family: &Family<'_>) -> Vec<u8> {
    [
        KEY_VERSION,
        device,
        family.name,
        &family.candidates.join(","),
    ]
    .join("\0")
    .into_bytes()
}

impl Device {
    /// The instance of `family` to run on this device: the one timed fastest, at the first
    /// call per device and family in this process unless an earlier process's choice is in the
    /// disk cache. `run(i)` launches candidate `i` once on a representative workload (the
    /// caller's buffers, a few milliseconds of work or more); each candidate runs once to
    /// compile and warm up, then in up to 5 rounds that run every candidate once (fewer past
    /// 400 ms per candidate), waited on each time, and its median counts. A candidate whose run
    /// fails is skipped.
    ///
    /// # Errors
    /// The first candidate's error when every candidate fails; `BadArguments` for a family
    /// without candidates or with its default out of range.
    pub fn autotune(
        &self,
        family: &Family<'_>,
        run: &mut dyn FnMut(usize) -> Result<()>,
    ) -> Result<Choice> {
        if family.default >= family.candidates.len() {
            return Err(Error::BadArguments {
                kernel: "Device::autotune",
                message: format!(
                    "family `{}` has {} candidates and default {}; list at least one and \
                     make the default one of them",
                    family.name,
                    family.candidates.len(),
                    family.default
                ),
            });
        }
        let choice = |index: usize, chosen: Chosen| Choice {
            family: family.name.to_string(),
            index,
            instance: family.candidates[index].to_string(),
            chosen,
        };
        let device = self.name();
        let key = (device.clone(), family.name.to_string());
        if !timing_on() || self.race_checked() || self.bounds_check() {
            let c = choice(family.default, Chosen::Default);
            remember(key, c.clone());
            return Ok(c);
        }
        if let Some(c) = remembered(&key) {
            return Ok(c);
        }
        let disk = DiskCache::from_env();
        let dkey = disk_key(&device, family);
        let cached = disk
            .as_ref()
            .filter(|_| !retune())
            .and_then(|d| d.get(family.name, &dkey))
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|name| family.candidates.iter().position(|c| *c == name));
        if let Some(index) = cached {
            let c = choice(index, Chosen::Disk);
            remember(key, c.clone());
            return Ok(c);
        }
        let mut first_err = None;
        let medians = self.time_candidates(family, run, &mut first_err);
        let best = medians
            .iter()
            .enumerate()
            .filter_map(|(i, m)| m.map(|m| (i, m)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i);
        let Some(index) = best else {
            return Err(first_err.expect("a failure for each candidate"));
        };
        tracing::info!(
            family = family.name,
            device = %device,
            "autotune chose {} (median ms of each: {:?})",
            family.candidates[index],
            medians
        );
        if let Some(d) = &disk {
            if let Err(e) = d.put(family.name, &dkey, family.candidates[index].as_bytes()) {
                tracing::warn!("autotune: cannot write the disk cache: {e}");
            }
        }
        let c = choice(index, Chosen::Measured(medians));
        remember(key, c.clone());
        Ok(c)
    }

    /// The choice made for `family` (by name) on this device in this process, if any.
    pub fn autotuned(&self, family: &str) -> Option<Choice> {
        remembered(&(self.name(), family.to_string()))
    }

    /// The median milliseconds of each candidate, `None` for one whose run failed (the first
    /// failure kept in `first_err`): each runs once to compile and warm up, then the live ones
    /// run in rounds, each candidate once per round, so that a burst of other work on the
    /// machine slows every candidate of the rounds it lasts instead of all the runs of one
    /// (`bench` interleaves its kernels and peers for the same reason).
    fn time_candidates(
        &self,
        family: &Family<'_>,
        run: &mut dyn FnMut(usize) -> Result<()>,
        first_err: &mut Option<Error>,
    ) -> Vec<Option<f64>> {
        // Runs candidate `i` once, keeping its time in `slot` (`keep`), or, where it fails,
        // the error and `None` in `slot`, which leaves it out of the later rounds.
        let mut once = |i: usize, slot: &mut Option<Vec<f64>>, keep: bool| {
            let t = Instant::now();
            match run(i).and_then(|()| self.synchronize()) {
                Ok(()) if keep => {
                    if let Some(v) = slot {
                        v.push(t.elapsed().as_secs_f64() * 1e3);
                    }
                }
                Ok(()) => {}
                Err(e) => {
                    tracing::debug!(
                        family = family.name,
                        candidate = family.candidates[i],
                        "autotune: candidate failed: {e}"
                    );
                    first_err.get_or_insert(e);
                    *slot = None;
                }
            }
        };
        let mut times = vec![Some(Vec::with_capacity(RUNS)); family.candidates.len()];
        for (i, slot) in times.iter_mut().enumerate() {
            once(i, slot, false);
        }
        let live = times.iter().filter(|t| t.is_some()).count() as u32;
        let start = Instant::now();
        for round in 0..RUNS {
            if round > 0 && start.elapsed() >= CANDIDATE_BUDGET * live {
                break;
            }
            for (i, slot) in times.iter_mut().enumerate() {
                if slot.is_some() {
                    once(i, slot, true);
                }
            }
        }
        times
            .into_iter()
            .map(|t| {
                let mut t = t?;
                t.sort_by(f64::total_cmp);
                Some(t[t.len() / 2])
            })
            .collect()
    }
}

/// Whether `KERNELFORGE_AUTOTUNE` leaves timing on.
fn timing_on() -> bool {
    !std::env::var("KERNELFORGE_AUTOTUNE").is_ok_and(|v| crate::policy::switched_off(&v))
}

/// Whether `KERNELFORGE_AUTOTUNE=retune` asks to time again rather than read the disk cache.
fn retune() -> bool {
    std::env::var("KERNELFORGE_AUTOTUNE").is_ok_and(|v| v.trim().eq_ignore_ascii_case("retune"))
}
