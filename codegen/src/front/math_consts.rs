//! The mathematical constants of Rust's `std::f32::consts` and `std::f64::consts`, written
//! `std::f32::consts::PI`, `core::f64::consts::E` or `f32::consts::TAU` in a kernel. Each
//! lowers to a literal of its type holding exactly the standard library's value (the f32 table
//! holds `std::f32::consts`' own values, not the f64 ones rounded: no double rounding).

use crate::ir::{Literal, Scalar};
use std::f32::consts as c32;
use std::f64::consts as c64;

/// `(name, f32 value, f64 value)`, as the standard library names them.
const TABLE: [(&str, f32, f64); 19] = [
    ("PI", c32::PI, c64::PI),
    ("TAU", c32::TAU, c64::TAU),
    ("E", c32::E, c64::E),
    ("SQRT_2", c32::SQRT_2, c64::SQRT_2),
    ("FRAC_1_SQRT_2", c32::FRAC_1_SQRT_2, c64::FRAC_1_SQRT_2),
    ("LN_2", c32::LN_2, c64::LN_2),
    ("LN_10", c32::LN_10, c64::LN_10),
    ("LOG2_E", c32::LOG2_E, c64::LOG2_E),
    ("LOG2_10", c32::LOG2_10, c64::LOG2_10),
    ("LOG10_E", c32::LOG10_E, c64::LOG10_E),
    ("LOG10_2", c32::LOG10_2, c64::LOG10_2),
    ("FRAC_PI_2", c32::FRAC_PI_2, c64::FRAC_PI_2),
    ("FRAC_PI_3", c32::FRAC_PI_3, c64::FRAC_PI_3),
    ("FRAC_PI_4", c32::FRAC_PI_4, c64::FRAC_PI_4),
    ("FRAC_PI_6", c32::FRAC_PI_6, c64::FRAC_PI_6),
    ("FRAC_PI_8", c32::FRAC_PI_8, c64::FRAC_PI_8),
    ("FRAC_1_PI", c32::FRAC_1_PI, c64::FRAC_1_PI),
    ("FRAC_2_PI", c32::FRAC_2_PI, c64::FRAC_2_PI),
    ("FRAC_2_SQRT_PI", c32::FRAC_2_SQRT_PI, c64::FRAC_2_SQRT_PI),
];

/// The literal a path such as `std::f32::consts::PI` names, if it names one.
pub(super) fn math_constant(segs: &[String]) -> Option<Literal> {
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let (ty, name) = match segs[..] {
        ["std" | "core", ty, "consts", name] | [ty, "consts", name] => (ty, name),
        _ => return None,
    };
    let &(_, v32, v64) = TABLE.iter().find(|(n, ..)| *n == name)?;
    match ty {
        "f32" => Some(Literal::Float(v32 as f64, Some(Scalar::F32))),
        "f64" => Some(Literal::Float(v64, Some(Scalar::F64))),
        _ => None,
    }
}

/// The names, for error messages.
pub(super) fn names() -> String {
    TABLE
        .iter()
        .map(|(n, ..)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_gives_the_standard_value() {
        let path = |s: &str| s.split("::").map(String::from).collect::<Vec<_>>();
        assert_eq!(
            math_constant(&path("std::f32::consts::PI")),
            Some(Literal::Float(c32::PI as f64, Some(Scalar::F32)))
        );
        assert_eq!(
            math_constant(&path("f64::consts::LN_2")),
            Some(Literal::Float(c64::LN_2, Some(Scalar::F64)))
        );
        assert_eq!(math_constant(&path("core::f32::consts::NOPE")), None);
        assert_eq!(math_constant(&path("i32::consts::PI")), None);
    }
}
