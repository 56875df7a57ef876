//! The kernelforge command line's library: what `kernelforge info` gathers and shows, and
//! `kernelforge bench`, the main job (every built-in kernel on every backend present, beside a
//! peer measured in the same run). Its own package, so that crates using kernelforge never
//! build clap, serde_json or the benchmarks.

pub mod bench;
pub mod info;
