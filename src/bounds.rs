//! The bounds of a kernel's element type parameter: `fn k<T: Float>` under
//! `#[compute_kernel(T = [f32, f16, bf16])]` is built once per listed type, and the bound says
//! which types may be listed. The macro reads the bound's name; the traits exist so that the
//! signature names something real (for documentation, editors and `use` checks) and are sealed:
//! the set of kernel types is the language's.

mod sealed {
    pub trait Sealed {}
}

/// The float element types: `f16`, `bf16`, `f32`, `f64`.
pub trait Float: Copy + sealed::Sealed {}

/// The integer element types: `i32`, `u32`, `i64`, `u64`.
pub trait Int: Copy + sealed::Sealed {}

macro_rules! bound {
    ($bound:ident: $($t:ty),*) => {
        $(
            impl sealed::Sealed for $t {}
            impl $bound for $t {}
        )*
    };
}

bound!(Float: crate::f16, crate::bf16, f32, f64);
bound!(Int: i32, u32, i64, u64);
