//! The run-time support of the code the CPU back end generates, which reaches it as
//! `kernelforge::__private::cpu`: the grid and arguments of a launch, rayon chunks, checked and
//! unchecked element access, math and subgroup helpers. (The CPU *backend*, which allocates and
//! launches, is `backend/cpu.rs`.)
//!
//! Generated code receives a [`Launch`] (the grid) and [`Args`] (the arguments), and asks the
//! launch to [`run`](Launch::run) a closure over [`Chunk`]s in parallel on rayon.

use rayon::prelude::*;
use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU8, Ordering};

/// The ordering of every kernel atomic (WGSL has only relaxed atomics).
pub use std::sync::atomic::Ordering::Relaxed;

mod cast;
pub mod half_blocks;
pub mod halves;
pub mod math;
pub mod matrix;
pub mod race;
pub mod subgroup;

pub use cast::Cast;
pub use half::{bf16, f16};
pub use half_blocks::{narrow_f16, widen_f16, BLOCK as F16_BLOCK};

/// A part of a launch run by one rayon task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chunk {
    /// Consecutive invocations `lo..hi` of a 1-D launch with 1-D workgroups.
    Linear {
        /// First invocation.
        lo: u32,
        /// One past the last invocation.
        hi: u32,
    },
    /// Workgroups `lo..hi` in linear order (x fastest).
    Groups {
        /// First workgroup.
        lo: u32,
        /// One past the last workgroup.
        hi: u32,
    },
}

/// The grid of one CPU launch.
#[derive(Clone, Debug)]
pub struct Launch {
    pub(crate) groups: [u32; 3],
    pub(crate) workgroup_size: [u32; 3],
    /// The race check's state, when the launch runs a kernel's checked version.
    pub(crate) races: Option<std::sync::Arc<race::Races>>,
}

/// Minimum invocations per rayon task: below this the task overhead dominates.
const MIN_CHUNK: u64 = 16 * 1024;

/// Minimum invocations per rayon task of whole workgroups ([`Launch::run_groups`]). Lower
/// than [`MIN_CHUNK`]: the invocations of a workgroup that cooperates usually each do a loop
/// (over a tile, a row, a reduction), so far fewer fill a task. With [`MIN_CHUNK`],
/// `matmul_tiles` at 512 x 512 x 512 (16 workgroups of 512 invocations, about 0.2 ms each)
/// ran as one task on one core (docs/benchmarks.md, twenty-fifth session).
const MIN_GROUP_CHUNK: u64 = 2 * 1024;

impl Launch {
    /// The race check's state (checked versions of kernels only; an empty one otherwise).
    pub fn races(&self) -> &race::Races {
        static NONE: std::sync::LazyLock<race::Races> = std::sync::LazyLock::new(Default::default);
        self.races.as_deref().unwrap_or(&NONE)
    }

    /// The grid's size in workgroups.
    #[inline(always)]
    pub fn groups(&self) -> [u32; 3] {
        self.groups
    }

    /// The workgroup coordinates of linear workgroup `g`.
    #[inline(always)]
    pub fn group_coords(&self, g: u32) -> [u32; 3] {
        let [gx, gy, _] = self.groups;
        [g % gx, (g / gx) % gy, g / (gx * gy)]
    }

    /// Runs `f` over chunks of whole workgroups ([`Chunk::Groups`] only) in parallel: kernels
    /// whose invocations cooperate (workgroup memory, barriers) run a workgroup at a time.
    pub fn run_groups(&self, f: &(dyn Fn(Chunk) -> Result<(), Fault> + Sync)) -> Result<(), Fault> {
        let total: u64 = self.groups.iter().map(|&v| v as u64).product();
        let per_group: u64 = self.workgroup_size.iter().map(|&v| v as u64).product();
        let threads = rayon::current_num_threads().max(1) as u64;
        let per_chunk = (total.div_ceil(threads * 4))
            .max(MIN_GROUP_CHUNK.div_ceil(per_group))
            .max(1);
        split(total, per_chunk, |lo, hi| Chunk::Groups { lo, hi }, f)
    }

    /// Runs `f` over every chunk of the launch in parallel; the first error ends the launch.
    pub fn run(&self, f: &(dyn Fn(Chunk) -> Result<(), Fault> + Sync)) -> Result<(), Fault> {
        let [gx, gy, gz] = self.groups.map(u64::from);
        let per_group: u64 = self.workgroup_size.iter().map(|&v| v as u64).product();
        let threads = rayon::current_num_threads().max(1) as u64;
        if gy == 1 && gz == 1 && self.workgroup_size[1] == 1 && self.workgroup_size[2] == 1 {
            let total = gx * per_group;
            let chunk = (total.div_ceil(threads * 4))
                .max(MIN_CHUNK)
                .next_multiple_of(64);
            split(total, chunk, |lo, hi| Chunk::Linear { lo, hi }, f)
        } else {
            self.run_groups(f)
        }
    }
}

/// Runs `f` on `make(lo, hi)` for consecutive ranges of `chunk` items covering `0..total`, in
/// parallel; a launch that is one range runs inline, without a rayon task.
fn split(
    total: u64,
    chunk: u64,
    make: fn(u32, u32) -> Chunk,
    f: &(dyn Fn(Chunk) -> Result<(), Fault> + Sync),
) -> Result<(), Fault> {
    let n = total.div_ceil(chunk);
    if n == 1 {
        return f(make(0, total as u32));
    }
    (0..n).into_par_iter().try_for_each(|c| {
        let lo = c * chunk;
        let hi = (lo + chunk).min(total);
        f(make(lo as u32, hi as u32))
    })
}

/// Element `i` of a workgroup or private array named `name`, or a fault.
#[inline(always)]
pub fn load_at<T: Copy>(a: &[T], i: u32, name: &'static str) -> Result<T, Fault> {
    match a.get(i as usize) {
        Some(v) => Ok(*v),
        None => Err(array_fault(name, i, a.len())),
    }
}

/// Writes element `i` of a workgroup or private array named `name`, or faults.
#[inline(always)]
pub fn store_at<T>(a: &mut [T], i: u32, v: T, name: &'static str) -> Result<(), Fault> {
    // Not `update_at(.., |_, v| v)`: that reads the old value first, and
    // layer_norm and rms_norm ran 20-30% slower with it on the CPU (kernelforge bench).
    let len = a.len();
    match a.get_mut(i as usize) {
        Some(slot) => {
            *slot = v;
            Ok(())
        }
        None => Err(array_fault(name, i, len)),
    }
}

/// The element a fault reports for vector `i` of `N` lanes out of bounds of `len` elements:
/// the first element past the end, `max(N * i, len)` (saturated to `u32::MAX`).
#[inline]
fn vector_fault_index<const N: usize>(i: u32, len: usize) -> u32 {
    (N as u64 * u64::from(i))
        .max(len as u64)
        .min(u64::from(u32::MAX)) as u32
}

/// Vector `i` of a workgroup array named `name`: elements `N * i..N * i + N`, or a fault at
/// the first element out of bounds.
#[inline(always)]
pub fn load_vec_at<T: Copy, const N: usize>(
    a: &[T],
    i: u32,
    name: &'static str,
) -> Result<[T; N], Fault> {
    let lo = N * i as usize;
    match a.get(lo..lo + N) {
        Some(v) => Ok(v.try_into().expect("N elements")),
        None => Err(array_fault(
            name,
            vector_fault_index::<N>(i, a.len()),
            a.len(),
        )),
    }
}

/// Writes vector `i` of a workgroup array named `name`, or faults as [`load_vec_at`] does
/// (writing nothing).
#[inline(always)]
pub fn store_vec_at<T: Copy, const N: usize>(
    a: &mut [T],
    i: u32,
    v: [T; N],
    name: &'static str,
) -> Result<(), Fault> {
    let (lo, len) = (N * i as usize, a.len());
    match a.get_mut(lo..lo + N) {
        Some(slot) => {
            slot.copy_from_slice(&v);
            Ok(())
        }
        None => Err(array_fault(name, vector_fault_index::<N>(i, len), len)),
    }
}

/// Replaces element `i` of a workgroup array named `name` by `f(old, v)` and returns `old`,
/// or faults: an atomic operation on workgroup memory, whose workgroup runs on one thread.
#[inline(always)]
pub fn update_at<T: Copy>(
    a: &mut [T],
    i: u32,
    v: T,
    name: &'static str,
    f: impl FnOnce(T, T) -> T,
) -> Result<T, Fault> {
    let len = a.len();
    match a.get_mut(i as usize) {
        Some(slot) => {
            let old = *slot;
            *slot = f(old, v);
            Ok(old)
        }
        None => Err(array_fault(name, i, len)),
    }
}

#[cold]
#[inline(never)]
fn array_fault(name: &'static str, index: u32, len: usize) -> Fault {
    Fault {
        param: u32::MAX,
        array: Some(name),
        index,
        len,
    }
}

/// The arguments of one CPU launch, by parameter index.
pub struct Args {
    pub(crate) scalars: Vec<u64>,
    pub(crate) slices: Vec<(*mut u8, usize)>,
}

// SAFETY: the pointers come from buffers borrowed for the whole launch (`&mut` for the
// writable ones); invocations access them only through `SliceView`'s documented contract.
unsafe impl Send for Args {}
// SAFETY: as above.
unsafe impl Sync for Args {}

impl Args {
    /// Scalar parameter `i` as `f32`.
    #[inline]
    pub fn scalar_f32(&self, i: usize) -> f32 {
        f32::from_bits(self.scalars[i] as u32)
    }
    /// Scalar parameter `i` as `i32`.
    #[inline]
    pub fn scalar_i32(&self, i: usize) -> i32 {
        self.scalars[i] as i32
    }
    /// Scalar parameter `i` as `u32`.
    #[inline]
    pub fn scalar_u32(&self, i: usize) -> u32 {
        self.scalars[i] as u32
    }
    /// Scalar parameter `i` as `f16`.
    #[inline]
    pub fn scalar_f16(&self, i: usize) -> f16 {
        f16::from_bits(self.scalars[i] as u16)
    }
    /// Scalar parameter `i` as `bf16`.
    #[inline]
    pub fn scalar_bf16(&self, i: usize) -> bf16 {
        bf16::from_bits(self.scalars[i] as u16)
    }
    /// Scalar parameter `i` as `f64`.
    #[inline]
    pub fn scalar_f64(&self, i: usize) -> f64 {
        f64::from_bits(self.scalars[i])
    }
    /// Scalar parameter `i` as `i64`.
    #[inline]
    pub fn scalar_i64(&self, i: usize) -> i64 {
        self.scalars[i] as i64
    }
    /// Scalar parameter `i` as `u64`.
    #[inline]
    pub fn scalar_u64(&self, i: usize) -> u64 {
        self.scalars[i]
    }
    /// Scalar parameter `i` as `bool`.
    #[inline]
    pub fn scalar_bool(&self, i: usize) -> bool {
        self.scalars[i] != 0
    }
    /// Slice parameter `i`, whose element type the generated code knows.
    #[inline]
    pub fn slice<T: Copy>(&self, i: usize) -> SliceView<T> {
        let (ptr, len) = self.slices[i];
        SliceView {
            ptr: ptr.cast(),
            len,
            param: i as u32,
        }
    }
}

/// A kernel's view of a slice parameter: pointer, length and parameter index.
///
/// Shared by all invocations of a launch. The SIMT contract (as on a GPU): invocations may
/// read any element and write any element of a `&mut` slice, but two invocations that write the
/// same element, or one that writes an element another reads, race and get one of the values.
#[derive(Debug)]
pub struct SliceView<T> {
    ptr: *mut T,
    len: usize,
    param: u32,
}

impl<T> Clone for SliceView<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for SliceView<T> {}
// SAFETY: see the type's docs; elements are plain 4-byte values.
unsafe impl<T> Send for SliceView<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for SliceView<T> {}

impl<T: Copy> SliceView<T> {
    /// Length in elements.
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.len
    }
    /// Whether the slice is empty.
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Length as `u32` (the launch checked that it fits).
    #[inline(always)]
    pub fn len_u32(&self) -> u32 {
        self.len as u32
    }
    /// Element `i`, or a fault if out of bounds.
    #[inline(always)]
    pub fn load(&self, i: u32) -> Result<T, Fault> {
        if (i as usize) < self.len {
            // SAFETY: in bounds of a live buffer.
            Ok(unsafe { self.ptr.add(i as usize).read() })
        } else {
            Err(self.fault(i))
        }
    }
    /// Writes element `i`, or faults if out of bounds.
    #[inline(always)]
    pub fn store(&self, i: u32, v: T) -> Result<(), Fault> {
        if (i as usize) < self.len {
            // SAFETY: in bounds of a live, writable buffer (the front end allows stores only
            // to `&mut` parameters).
            unsafe { self.ptr.add(i as usize).write(v) };
            Ok(())
        } else {
            Err(self.fault(i))
        }
    }
    /// Vector `i`: elements `N * i..N * i + N`, or a fault at the first element out of bounds.
    #[inline(always)]
    pub fn load_vec<const N: usize>(&self, i: u32) -> Result<[T; N], Fault> {
        if (i as usize) < self.len / N {
            // SAFETY: `N * i + N <= len` elements of a live buffer; read unaligned, as the
            // buffer is aligned only to `T`.
            Ok(unsafe {
                self.ptr
                    .add(N * i as usize)
                    .cast::<[T; N]>()
                    .read_unaligned()
            })
        } else {
            Err(self.fault(vector_fault_index::<N>(i, self.len)))
        }
    }
    /// Writes vector `i`, or faults as [`load_vec`](Self::load_vec) does (writing nothing).
    #[inline(always)]
    pub fn store_vec<const N: usize>(&self, i: u32, v: [T; N]) -> Result<(), Fault> {
        if (i as usize) < self.len / N {
            // SAFETY: in bounds of a live, writable buffer (as for `store`).
            unsafe {
                self.ptr
                    .add(N * i as usize)
                    .cast::<[T; N]>()
                    .write_unaligned(v)
            };
            Ok(())
        } else {
            Err(self.fault(vector_fault_index::<N>(i, self.len)))
        }
    }
    /// Element `i` without a check.
    ///
    /// # Safety
    /// `i < self.len()`.
    #[inline(always)]
    pub unsafe fn get_unchecked(&self, i: u32) -> T {
        self.get_unchecked_at(i as usize)
    }
    /// Writes element `i` without a check.
    ///
    /// # Safety
    /// `i < self.len()` and the slice is a `&mut` parameter.
    #[inline(always)]
    pub unsafe fn set_unchecked(&self, i: u32, v: T) {
        self.set_unchecked_at(i as usize, v)
    }
    /// Element `i` (a `usize`) without a check: for stride loops, whose offsets are
    /// computed in `usize` so that LLVM sees consecutive addresses.
    ///
    /// # Safety
    /// `i < self.len()`.
    #[inline(always)]
    pub unsafe fn get_unchecked_at(&self, i: usize) -> T {
        self.ptr.add(i).read()
    }
    /// The first element's address, for the generated code's checked fast paths: a copy in a
    /// local keeps LLVM from reloading it after every store through another slice.
    #[inline(always)]
    pub fn as_ptr(&self) -> *mut T {
        self.ptr
    }
    /// Writes element `i` (a `usize`) without a check.
    ///
    /// # Safety
    /// `i < self.len()` and the slice is a `&mut` parameter.
    #[inline(always)]
    pub unsafe fn set_unchecked_at(&self, i: usize, v: T) {
        self.ptr.add(i).write(v)
    }
    #[cold]
    #[inline(never)]
    fn fault(&self, index: u32) -> Fault {
        Fault {
            param: self.param,
            array: None,
            index,
            len: self.len,
        }
    }
}

macro_rules! atomic_view {
    ($t:ty, $atomic:ty) => {
        impl SliceView<$t> {
            /// Element `i` of an atomic slice parameter (`&[AtomicU32]`/`&[AtomicI32]`/`&[AtomicF32]`), or a
            /// fault if out of bounds.
            #[inline(always)]
            pub fn atomic(&self, i: u32) -> Result<&$atomic, Fault> {
                if (i as usize) < self.len {
                    // SAFETY: in bounds of a live, writable buffer of 4-byte-aligned words,
                    // and the front end allows only atomic accesses to an atomic parameter,
                    // so every concurrent access to the element is atomic.
                    Ok(unsafe { <$atomic>::from_ptr(self.ptr.add(i as usize)) })
                } else {
                    Err(self.fault(i))
                }
            }
        }
    };
}
atomic_view!(u32, AtomicU32);
atomic_view!(i32, AtomicI32);
atomic_view!(f32, crate::AtomicF32);

/// An out-of-bounds access in a kernel on the CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    /// Index of the slice parameter (when `array` is `None`).
    pub param: u32,
    /// The array's name, for an access to a workgroup or private array.
    pub array: Option<&'static str>,
    /// The index used.
    pub index: u32,
    /// The slice's length.
    pub len: usize,
}

macro_rules! int_div {
    ($($t:ty => $div:ident, $rem:ident;)*) => {
        $(
            #[doc = concat!("`a / b` on `", stringify!($t), "`, wrapping, with `b == 0` giving `a`.")]
            #[inline(always)]
            pub fn $div(a: $t, b: $t) -> $t {
                a.wrapping_div(if b == 0 { 1 } else { b })
            }
            #[doc = concat!("`a % b` on `", stringify!($t), "`, wrapping, with `b == 0` giving 0.")]
            #[inline(always)]
            pub fn $rem(a: $t, b: $t) -> $t {
                a.wrapping_rem(if b == 0 { 1 } else { b })
            }
        )*
    };
}
int_div! {
    u32 => div_u32, rem_u32;
    i32 => div_i32, rem_i32;
    u64 => div_u64, rem_u64;
    i64 => div_i64, rem_i64;
}

/// The vector instruction level the CPU code runs at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum SimdLevel {
    /// Baseline (SSE2 on x86-64; whatever the target has elsewhere).
    Baseline = 1,
    /// AVX2, FMA, F16C and BMI2 (BMI2's `mulx`, a 64 x 64 -> 128-bit product that leaves the
    /// flags alone, lets LLVM keep multi-limb carry chains in registers: a standalone copy of
    /// `bn254_fr_mul`'s arithmetic ran 1.18x faster with it). Intel (Haswell on) and AMD
    /// (Excavator on) added AVX2 and BMI2 together.
    Avx2 = 2,
    /// AVX-512 F/VL, with the AVX2 level's features.
    Avx512 = 3,
}

static LEVEL: AtomicU8 = AtomicU8::new(0);

/// The best level this CPU supports, lowered by `KERNELFORGE_CPU_SIMD=baseline|avx2|avx512`.
pub fn simd_level() -> SimdLevel {
    match LEVEL.load(Ordering::Relaxed) {
        1 => SimdLevel::Baseline,
        2 => SimdLevel::Avx2,
        3 => SimdLevel::Avx512,
        _ => {
            let l = detect_simd();
            LEVEL.store(l as u8, Ordering::Relaxed);
            l
        }
    }
}

/// The detected level, before `simd_level`'s cache.
pub fn detect_simd() -> SimdLevel {
    #[allow(unused_mut)]
    let mut best = SimdLevel::Baseline;
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx2")
            && is_x86_feature_detected!("fma")
            && is_x86_feature_detected!("f16c")
            && is_x86_feature_detected!("bmi2")
        {
            best = SimdLevel::Avx2;
            if is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512vl") {
                best = SimdLevel::Avx512;
            }
        }
    }
    let cap = match std::env::var("KERNELFORGE_CPU_SIMD").ok().as_deref() {
        Some("baseline" | "sse2") => SimdLevel::Baseline,
        Some("avx2") => SimdLevel::Avx2,
        _ => SimdLevel::Avx512,
    };
    best.min(cap)
}
