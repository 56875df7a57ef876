//! [`AtomicF32`]: an `f32` updated atomically through its bits, the element type of float
//! atomic slices (`&[AtomicF32]`) and workgroup arrays in kernels, and the CPU back end's
//! implementation of them.

use std::sync::atomic::{AtomicU32, Ordering};

/// An `f32` that can be shared between threads, stored as the bits of an [`AtomicU32`] (the
/// same layout as `f32`). In a kernel, `&[AtomicF32]` is a slice of `f32` that every
/// invocation updates with these methods; the host passes a `&mut Buffer<f32>`.
///
/// The arithmetic methods are compare-exchange loops on the bits: on the CPU here, in WGSL
/// (which has integer atomics only) and in CUDA for `fetch_min`/`fetch_max`; CUDA's
/// `fetch_add`/`fetch_sub` are its native `atomicAdd(float*)`. Each returns the previous value.
///
/// - `fetch_add`/`fetch_sub` round like `+`/`-`. Float addition is not associative, so the
///   result of many concurrent additions depends on the order they happened in: it is exact
///   (and so the same on every run and backend) only while every partial sum is exactly
///   representable, as integer-valued sums below 2^24 are.
/// - `fetch_min`/`fetch_max` are [`f32::min`]/[`f32::max`]: a NaN operand is ignored. (On
///   wgpu, WGSL's `min`/`max` leave NaN operands unspecified.)
/// - `compare_exchange` compares bits, as CUDA's `atomicCAS` does: `-0.0` differs from `0.0`
///   and a NaN equals a NaN with the same bits.
#[repr(transparent)]
#[derive(Debug, Default)]
pub struct AtomicF32(AtomicU32);

impl AtomicF32 {
    /// A new atomic holding `v`.
    #[inline]
    pub const fn new(v: f32) -> Self {
        AtomicF32(AtomicU32::new(v.to_bits()))
    }

    /// The atomic at `ptr`.
    ///
    /// # Safety
    /// `ptr` is valid and aligned for `f32` for `'a`, and while the reference lives every
    /// concurrent access to it is atomic (as for [`AtomicU32::from_ptr`]).
    #[inline]
    pub unsafe fn from_ptr<'a>(ptr: *mut f32) -> &'a AtomicF32 {
        // SAFETY: `AtomicF32` is a transparent `AtomicU32`, which has the size and alignment
        // of `f32`; the caller keeps the rest of `from_ptr`'s contract.
        unsafe { &*ptr.cast::<AtomicF32>() }
    }

    /// The value.
    #[inline]
    pub fn into_inner(self) -> f32 {
        f32::from_bits(self.0.into_inner())
    }

    /// Loads the value.
    #[inline]
    pub fn load(&self, order: Ordering) -> f32 {
        f32::from_bits(self.0.load(order))
    }

    /// Stores `v`.
    #[inline]
    pub fn store(&self, v: f32, order: Ordering) {
        self.0.store(v.to_bits(), order)
    }

    /// Stores `v`, returning the previous value.
    #[inline]
    pub fn swap(&self, v: f32, order: Ordering) -> f32 {
        f32::from_bits(self.0.swap(v.to_bits(), order))
    }

    /// Stores `new` if the bits of the value are those of `current`. `Ok(previous)` when it
    /// stored, `Err(previous)` otherwise; it never fails spuriously.
    #[inline]
    pub fn compare_exchange(
        &self,
        current: f32,
        new: f32,
        success: Ordering,
        failure: Ordering,
    ) -> Result<f32, f32> {
        self.0
            .compare_exchange(current.to_bits(), new.to_bits(), success, failure)
            .map(f32::from_bits)
            .map_err(f32::from_bits)
    }

    /// Replaces the value `x` with `f(x)` in a compare-exchange loop; returns `x`.
    #[inline]
    fn update(&self, order: Ordering, f: impl Fn(f32) -> f32) -> f32 {
        let fetch = match order {
            Ordering::Release => Ordering::Relaxed,
            Ordering::AcqRel => Ordering::Acquire,
            o => o,
        };
        let old = self
            .0
            .fetch_update(order, fetch, |x| Some(f(f32::from_bits(x)).to_bits()));
        match old {
            Ok(x) | Err(x) => f32::from_bits(x),
        }
    }

    /// Adds `v`, returning the previous value.
    #[inline]
    pub fn fetch_add(&self, v: f32, order: Ordering) -> f32 {
        self.update(order, |x| x + v)
    }

    /// Subtracts `v`, returning the previous value.
    #[inline]
    pub fn fetch_sub(&self, v: f32, order: Ordering) -> f32 {
        self.update(order, |x| x - v)
    }

    /// Stores the minimum of the value and `v` ([`f32::min`]), returning the previous value.
    #[inline]
    pub fn fetch_min(&self, v: f32, order: Ordering) -> f32 {
        self.update(order, |x| x.min(v))
    }

    /// Stores the maximum of the value and `v` ([`f32::max`]), returning the previous value.
    #[inline]
    pub fn fetch_max(&self, v: f32, order: Ordering) -> f32 {
        self.update(order, |x| x.max(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering::Relaxed;

    #[test]
    fn operations_return_the_previous_value() {
        let a = AtomicF32::new(1.5);
        assert_eq!(a.fetch_add(2.0, Relaxed), 1.5);
        assert_eq!(a.fetch_sub(0.5, Relaxed), 3.5);
        assert_eq!(a.fetch_min(-1.0, Relaxed), 3.0);
        assert_eq!(a.fetch_max(f32::NAN, Relaxed), -1.0);
        assert_eq!(a.swap(0.0, Relaxed), -1.0);
        assert_eq!(a.compare_exchange(-0.0, 1.0, Relaxed, Relaxed), Err(0.0));
        assert_eq!(a.compare_exchange(0.0, 1.0, Relaxed, Relaxed), Ok(0.0));
        assert_eq!(a.into_inner(), 1.0);
    }

    #[test]
    fn concurrent_integer_sums_are_exact() {
        let a = AtomicF32::new(0.0);
        std::thread::scope(|s| {
            for t in 0..4 {
                let a = &a;
                s.spawn(move || {
                    for i in 0..1000 {
                        a.fetch_add((t * 1000 + i) as f32, Relaxed);
                    }
                });
            }
        });
        assert_eq!(a.load(Relaxed), (0..4000).sum::<u32>() as f32);
    }
}
