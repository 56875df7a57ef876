//! Vector types: `Vec2<T>` and `Vec4<T>`, two or four lanes of an element type loaded and
//! stored as one access, as CUDA's `float4`/`__half2` and WGSL's `vec4<T>` are, so that a
//! kernel can move 64 or 128 bits per access:
//!
//! ```ignore
//! let i = global_id().x;
//! if i < y.len() as u32 / 4 {
//!     let v = Vec4::load(&x, i) * a + Vec4::load(&y, i); // x[4i..4i + 4], y[4i..4i + 4]
//!     v.store(&mut y, i);
//! }
//! ```
//!
//! - `VecN::load(&x, i)` reads elements `N i..N i + N` of a slice or workgroup array (vector
//!   index `i`, a `u32`); `v.store(&mut y, i)` writes them. A vector is in bounds when
//!   `i < len / N`: a partial vector at the end is out of bounds (an `Err` on the CPU, as for
//!   scalar indexing), so kernels handle a tail that is not a whole vector with scalar code.
//! - Lanes are the fields `.x`, `.y` (and `.z`, `.w`), read and assigned.
//! - `+ - * / %` work lane by lane between vectors of one width, or a vector and a scalar
//!   (used in every lane); so do the math methods (`v.max(w)`, `v.sqrt()`, `v.mul_add(a, b)`,
//!   ...). `v.dot(w)` and `v.sum()` add the lanes in order, `x` first.
//! - Arithmetic rounds exactly as the same operations on each lane would, on every backend:
//!   a vector is its lanes.
//!
//! On CUDA a load or store is one aligned access of the vector's size (up to 16 bytes); on the
//! CPU one bounds check and an array copy; on WGSL one `vec4` access where the slice is only
//! accessed as vectors of one width (it is bound as `array<vec4<T>>`), else one per lane.
//! Called from host code they are plain arrays of lanes.

use std::ops::{Add, Div, Mul, Neg, Rem, Sub};

macro_rules! vector {
    ($name:ident, $n:literal, $($lane:ident),+) => {
        #[doc = concat!($n, " lanes of `T`, moved as one access; see the [module docs](self).")]
        #[derive(Clone, Copy, Debug, Default, PartialEq)]
        #[repr(C)]
        pub struct $name<T> {
            $(
                #[doc = concat!("Lane `", stringify!($lane), "`.")]
                pub $lane: T,
            )+
        }

        impl<T: Copy> $name<T> {
            /// A vector of the given lanes.
            pub fn new($($lane: T),+) -> Self {
                $name { $($lane),+ }
            }
            /// Every lane `v`.
            pub fn splat(v: T) -> Self {
                $name { $($lane: v),+ }
            }
            #[doc = concat!("Elements `", $n, " i..", $n, " i + ", $n, "` of `s`.")]
            ///
            /// # Panics
            /// From host code, when they are not all in `s` (in a kernel: an `Err` on the CPU
            /// backend, clamped on wgpu, undefined on CUDA, as for `s[i]`).
            pub fn load(s: &[T], i: u32) -> Self {
                let lo = $n * i as usize;
                let [$($lane),+]: [T; $n] = s[lo..lo + $n].try_into().expect("lanes");
                $name { $($lane),+ }
            }
            #[doc = concat!("Writes the lanes to elements `", $n, " i..", $n, " i + ", $n, "` of `s`.")]
            ///
            /// # Panics
            /// As [`load`](Self::load).
            pub fn store(self, s: &mut [T], i: u32) {
                let lo = $n * i as usize;
                s[lo..lo + $n].copy_from_slice(&self.to_array());
            }
            /// The lanes in order.
            pub fn to_array(self) -> [T; $n] {
                [$(self.$lane),+]
            }
            fn map(self, mut f: impl FnMut(T) -> T) -> Self {
                $name { $($lane: f(self.$lane)),+ }
            }
            fn zip(self, o: Self, mut f: impl FnMut(T, T) -> T) -> Self {
                $name { $($lane: f(self.$lane, o.$lane)),+ }
            }
        }

        impl<T: Copy + Add<Output = T> + Mul<Output = T>> $name<T> {
            /// The lanes added in order, `x` first.
            pub fn sum(self) -> T {
                let [first, rest @ ..] = self.to_array();
                rest.into_iter().fold(first, |a, b| a + b)
            }
            /// `self.x * o.x + self.y * o.y + ...`, added in order.
            pub fn dot(self, o: Self) -> T {
                self.zip(o, |a, b| a * b).sum()
            }
        }

        impl<T: Copy + Neg<Output = T>> Neg for $name<T> {
            type Output = Self;
            fn neg(self) -> Self {
                self.map(|a| -a)
            }
        }

        vector!(@ops $name, Add add, Sub sub, Mul mul, Div div, Rem rem);
        vector!(@float $name, abs, sqrt, exp, ln, tanh);
        vector!(@scalar $name, f32, f64, i32, u32, i64, u64, crate::f16, crate::bf16);
    };
    (@ops $name:ident, $($tr:ident $f:ident),+) => {
        $(
            impl<T: Copy + $tr<Output = T>> $tr for $name<T> {
                type Output = Self;
                fn $f(self, o: Self) -> Self {
                    self.zip(o, |a, b| a.$f(b))
                }
            }
            impl<T: Copy + $tr<Output = T>> $tr<T> for $name<T> {
                type Output = Self;
                fn $f(self, o: T) -> Self {
                    self.map(|a| a.$f(o))
                }
            }
        )+
    };
    (@scalar $name:ident, $($t:ty),+) => {
        $(
            vector!(@left $name, $t, Add add, Sub sub, Mul mul, Div div, Rem rem);
        )+
    };
    (@left $name:ident, $t:ty, $($tr:ident $f:ident),+) => {
        $(
            /// The scalar used in every lane.
            impl $tr<$name<$t>> for $t {
                type Output = $name<$t>;
                fn $f(self, o: $name<$t>) -> $name<$t> {
                    o.map(|b| self.$f(b))
                }
            }
        )+
    };
    // Host versions of the math methods, for `f32` (in kernels every float type has them).
    (@float $name:ident, $($f:ident),+) => {
        impl $name<f32> {
            $(
                #[doc = concat!("`", stringify!($f), "` of each lane.")]
                pub fn $f(self) -> Self {
                    self.map(f32::$f)
                }
            )+
            /// The larger of each pair of lanes.
            pub fn max(self, o: Self) -> Self {
                self.zip(o, f32::max)
            }
            /// The smaller of each pair of lanes.
            pub fn min(self, o: Self) -> Self {
                self.zip(o, f32::min)
            }
            /// `self * a + b` lane by lane, rounded once.
            pub fn mul_add(self, a: Self, b: Self) -> Self {
                let (a, b, mut lanes) = (a.to_array(), b.to_array(), self.to_array());
                for (k, v) in lanes.iter_mut().enumerate() {
                    *v = v.mul_add(a[k], b[k]);
                }
                Self::load(&lanes, 0)
            }
        }
    };
}

vector!(Vec2, 2, x, y);
vector!(Vec4, 4, x, y, z, w);
