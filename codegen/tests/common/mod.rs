//! Shared support of the compiler's own tests: parse a kernel, lower it, validate it.

#![allow(dead_code)]

use kernelforge_codegen::front::{lower_kernel, parse_attr};
use kernelforge_codegen::ir::Kernel;
use kernelforge_codegen::valid::{validate, Info};
use kernelforge_codegen::{Errors, Helpers};

/// Parses `src` as one function.
pub fn func(src: &str) -> syn::ItemFn {
    syn::parse_str(src).unwrap_or_else(|e| panic!("not a function: {e}\n{src}"))
}

/// Lowers `src` under `#[compute_kernel(attr)]` (no helpers, no const generic parameters).
pub fn lower(attr: &str, src: &str) -> Result<Kernel, Errors> {
    let attr = parse_attr(attr.parse().expect("attribute tokens"))?.resolve(&[], &[])?;
    lower_kernel(&attr, &func(src), &Helpers::new())
}

/// Lowers `src` under the default attribute, panicking on any error.
pub fn lowered(src: &str) -> Kernel {
    lower("", src).unwrap_or_else(|e| panic!("lowering failed: {e:?}"))
}

/// The validation errors of `src`, which lowers without error under `#[compute_kernel(attr)]`.
pub fn invalid(attr: &str, src: &str) -> Errors {
    let k = lower(attr, src).unwrap_or_else(|e| panic!("lowering failed: {e:?}"));
    match validate(&k) {
        Ok(_) => panic!("validation passed:\n{src}"),
        Err(e) => e,
    }
}

/// Lowers and validates `src`, panicking on any error.
pub fn typed(src: &str) -> (Kernel, Info) {
    let k = lower("", src).unwrap_or_else(|e| panic!("lowering failed: {e:?}"));
    let info = validate(&k).unwrap_or_else(|e| panic!("validation failed: {e:?}"));
    (k, info)
}

/// The messages of `errors`, in order.
pub fn messages(errors: &Errors) -> Vec<String> {
    errors.0.iter().map(|e| e.message.clone()).collect()
}

/// The 1-based line and 0-based column where `e` starts.
pub fn at(e: &kernelforge_codegen::Error) -> (usize, usize) {
    let s = e.span.start();
    (s.line, s.column)
}

/// Asserts that `errors` are, in order, messages starting with each prefix of `want`, each at
/// its line.
pub fn assert_errors(errors: &Errors, want: &[(&str, usize)]) {
    let got: Vec<(&str, usize)> = errors
        .0
        .iter()
        .map(|e| (e.message.as_str(), at(e).0))
        .collect();
    assert_eq!(got.len(), want.len(), "{got:#?}");
    for ((message, line), (prefix, want_line)) in got.iter().zip(want) {
        assert!(
            message.starts_with(prefix) && line == want_line,
            "want `{prefix}...` at line {want_line}; got {got:#?}"
        );
    }
}
