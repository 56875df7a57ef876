//! Passes shared by back ends.

pub mod linear;
pub mod uniform;
pub mod vector;
