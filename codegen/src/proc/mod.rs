//! Passes shared by back ends.

pub mod linear;
pub mod vector;
