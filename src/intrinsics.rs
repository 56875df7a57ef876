//! The id intrinsics. Inside a `#[compute_kernel]` body they are compiled to each target's
//! ids; they exist as Rust functions so that editors resolve them. Called from host code they
//! return zeros.

/// Three `u32` components, the value of an id intrinsic.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UVec3 {
    /// x component
    pub x: u32,
    /// y component
    pub y: u32,
    /// z component
    pub z: u32,
}

/// The invocation's id in the whole grid: `group_id() * group_size() + local_id()`.
pub fn global_id() -> UVec3 {
    UVec3::default()
}
/// The invocation's id within its workgroup.
pub fn local_id() -> UVec3 {
    UVec3::default()
}
/// The workgroup's id in the grid.
pub fn group_id() -> UVec3 {
    UVec3::default()
}
/// The kernel's workgroup size.
pub fn group_size() -> UVec3 {
    UVec3::default()
}
/// The grid's size in workgroups.
pub fn num_groups() -> UVec3 {
    UVec3::default()
}
