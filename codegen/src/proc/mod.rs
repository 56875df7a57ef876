//! Passes shared by back ends.

pub mod linear;
