//! Rust types in kernel signatures and `let` annotations -> IR types.

use crate::error::Error;
use crate::ir::{ParamKind, Scalar};
use syn::spanned::Spanned;

/// The scalar a type path names, or an error saying what is supported.
pub fn scalar(ty: &syn::Type) -> Result<Scalar, Error> {
    let unsupported = |what: &str| {
        Error::new(
            ty.span(),
            format!(
                "{what}; kernel values are `f16`, `bf16`, `f32`, `f64`, `i32`, `u32`, `i64`, \
                 `u64` or `bool`"
            ),
        )
    };
    let syn::Type::Path(p) = ty else {
        return Err(unsupported("this type is not supported in kernels"));
    };
    // `half::f16` and `kernelforge::bf16` name the same types as `f16` and `bf16`.
    if let Some(last) = p.path.segments.last().filter(|_| p.qself.is_none()) {
        if last.arguments.is_none() && (last.ident == "f16" || last.ident == "bf16") {
            return Ok(if last.ident == "f16" {
                Scalar::F16
            } else {
                Scalar::BF16
            });
        }
    }
    let Some(ident) = p.path.get_ident() else {
        let last = p.path.segments.last().map(|s| s.ident.to_string());
        return Err(match last.as_deref() {
            Some("Vec" | "String" | "Box" | "Rc" | "Arc" | "HashMap") => unsupported(
                "heap types (Vec, String, Box, ...) do not exist on a GPU; pass data as \
                 `&[T]` or `&mut [T]` parameters",
            ),
            _ => unsupported("this type is not supported in kernels"),
        });
    };
    let name = ident.to_string();
    if let Some(s) = Scalar::from_rust_name(&name) {
        return Ok(s);
    }
    match name.as_str() {
        "usize" | "isize" => Err(Error::new(
            ty.span(),
            "`usize` is not a kernel type: indices and lengths are `u32`; write `u32`",
        )),
        "u8" | "u16" | "i8" | "i16" | "u128" | "i128" => Err(unsupported(
            "this integer width is not supported; widen it to `u32`/`i32` or narrow it to \
             `u64`/`i64`",
        )),
        n if n.starts_with("Atomic") => Err(Error::new(
            ty.span(),
            "atomics are supported on `u32`, `i32` and `f32` only: pass `&[AtomicU32]`, \
             `&[AtomicI32]` or `&[AtomicF32]`",
        )),
        "String" | "Vec" | "Box" | "str" => Err(unsupported(
            "heap types (Vec, String, Box, ...) do not exist on a GPU; pass data as `&[T]` or \
             `&mut [T]` parameters",
        )),
        _ => Err(unsupported("this type is not supported in kernels")),
    }
}

/// The kind of a kernel parameter from its declared type.
pub fn param_kind(ty: &syn::Type) -> Result<ParamKind, Error> {
    match ty {
        syn::Type::Reference(r) => {
            if let Some(l) = &r.lifetime {
                return Err(Error::new(
                    l.span(),
                    "kernel parameters take no lifetimes; write `&[T]` or `&mut [T]`",
                ));
            }
            let syn::Type::Slice(s) = &*r.elem else {
                return Err(Error::new(
                    ty.span(),
                    "a reference parameter must be a slice, `&[T]` or `&mut [T]`; pass \
                     scalars by value (`a: f32`)",
                ));
            };
            if let Some(elem) = atomic_elem(&s.elem) {
                if r.mutability.is_some() {
                    return Err(Error::new(
                        ty.span(),
                        "atomic slices are shared by every invocation: write `&[AtomicU32]`, \
                         `&[AtomicI32]` or `&[AtomicF32]`, without `mut`",
                    ));
                }
                return Ok(ParamKind::Slice {
                    elem,
                    mutable: true,
                    atomic: true,
                });
            }
            let elem = scalar(&s.elem)?;
            if elem == Scalar::Bool {
                return Err(Error::new(
                    s.elem.span(),
                    "slices of `bool` cannot be shared with the GPU; use `&[u32]` with 0 and 1",
                ));
            }
            Ok(ParamKind::Slice {
                elem,
                mutable: r.mutability.is_some(),
                atomic: false,
            })
        }
        syn::Type::Slice(_) | syn::Type::Array(_) => Err(Error::new(
            ty.span(),
            "pass arrays as slices: `&[T]` (read-only) or `&mut [T]` (read-write)",
        )),
        syn::Type::Ptr(_) => Err(Error::new(
            ty.span(),
            "raw pointers are not supported; use `&[T]` or `&mut [T]`",
        )),
        _ => scalar(ty).map(ParamKind::Scalar),
    }
}

/// The element type of `AtomicU32`/`AtomicI32`/`AtomicF32` (by last path segment, so that
/// `std::sync::atomic::AtomicU32` and `kernelforge::AtomicF32` are accepted too).
pub fn atomic_elem(ty: &syn::Type) -> Option<Scalar> {
    let syn::Type::Path(p) = ty else {
        return None;
    };
    match p.path.segments.last()?.ident.to_string().as_str() {
        "AtomicU32" => Some(Scalar::U32),
        "AtomicI32" => Some(Scalar::I32),
        "AtomicF32" => Some(Scalar::F32),
        _ => None,
    }
}

/// Whether `name` is the Rust name of one of the language's scalar types (`f32`, `u64`, ...).
pub(super) fn is_scalar_name(name: &str) -> bool {
    Scalar::from_rust_name(name).is_some()
}
