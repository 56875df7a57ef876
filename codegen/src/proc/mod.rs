//! Passes shared by back ends.

pub mod bounds;
pub mod linear;
pub mod uniform;
pub mod unroll;
pub mod vector;
