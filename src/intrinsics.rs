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

/// `barrier()`: in a kernel, CUDA's `__syncthreads()`. Waits until every invocation of the
/// workgroup reaches it; what any of them wrote before it, to workgroup memory or to `&mut`
/// slices, is visible to all of them after it (WGSL `storageBarrier(); workgroupBarrier();`).
/// It must be reached under control flow that is the same for the whole workgroup (a compile
/// error otherwise). Called from host code it does nothing.
pub fn barrier() {}

/// `workgroup_barrier()`: in a kernel, [`barrier`] ordering workgroup memory only, not `&mut`
/// slices (WGSL `workgroupBarrier()`; CUDA and the CPU have only the full barrier). Use it
/// where invocations exchange data through workgroup memory alone: on wgpu it saves the
/// storage barrier. Called from host code it does nothing.
pub fn workgroup_barrier() {}

/// `subgroup_barrier()`: in a kernel, CUDA's `__syncwarp()`. Waits until every invocation of
/// the subgroup reaches it; what any of them wrote before it, to workgroup memory or to `&mut`
/// slices, is visible to the others after it. WGSL `subgroupBarrier()`, which needs wgpu's
/// `SUBGROUP_BARRIER` feature (a launch on an adapter without it is `Err(Unsupported)`); on
/// the CPU the work of the workgroup is split at it as at [`barrier`]. It must be reached under
/// control flow that is the same across the subgroup. Called from host code it does
/// nothing.
pub fn subgroup_barrier() {}

/// `let tile = shared_array::<T, N>();` in a kernel declares `N` elements of workgroup memory
/// shared by the invocations of a workgroup (CUDA `__shared__`, WGSL `var<workgroup>`); `N` is
/// a literal or a `const` of the kernel, and all of a kernel's workgroup memory must fit in
/// 48 KiB (wgpu adapters may offer less: WebGPU guarantees 16 KiB). Its contents are
/// unspecified until written. Called from host code it returns `N` default values.
pub fn shared_array<T: Copy + Default, const N: usize>() -> [T; N] {
    [T::default(); N]
}

/// The number of invocations in a subgroup (warp): 32 on CUDA and the CPU, the adapter's
/// (4 to 128) on wgpu. A subgroup is made of invocations of one workgroup that run together;
/// on CUDA and the CPU, 32 consecutive linear local ids. Called from host code it returns 1.
pub fn subgroup_size() -> u32 {
    1
}
/// The invocation's lane within its subgroup, `0..subgroup_size()`. Called from host code it
/// returns 0.
pub fn subgroup_invocation_id() -> u32 {
    0
}
/// The invocation's subgroup within its workgroup, `0..num_subgroups()`: the same for every
/// lane of a subgroup (CUDA's warp index, linear local id / 32; WGSL's `subgroup_id`), so
/// control that depends only on it (and on uniform values) may hold subgroup operations.
/// Called from host code it returns 0.
pub fn subgroup_id() -> u32 {
    0
}
/// The number of subgroups in a workgroup (CUDA and the CPU: the workgroup size / 32, rounded
/// up). Called from host code it returns 1.
pub fn num_subgroups() -> u32 {
    1
}
/// In a kernel: the sum of `v` over the invocations of the subgroup, returned to each (integer
/// sums wrap). Every lane of the subgroup must reach it (control may differ between
/// subgroups, not within one). Called from host code (a subgroup of one) it returns `v`.
pub fn subgroup_add<T: Copy>(v: T) -> T {
    v
}
/// In a kernel: the minimum of `v` over the subgroup. From host code, `v`.
pub fn subgroup_min<T: Copy>(v: T) -> T {
    v
}
/// In a kernel: the maximum of `v` over the subgroup. From host code, `v`.
pub fn subgroup_max<T: Copy>(v: T) -> T {
    v
}
/// In a kernel: `v` of the invocation whose lane is `lane` (`< subgroup_size()`, else the result
/// is unspecified). From host code, `v`.
pub fn subgroup_broadcast<T: Copy>(v: T, lane: u32) -> T {
    let _ = lane;
    v
}
/// In a kernel: `v` of the invocation whose lane is `subgroup_invocation_id() ^ mask`
/// (`mask < subgroup_size()`, else unspecified): the step of a butterfly reduction. From host
/// code, `v`.
pub fn subgroup_shuffle_xor<T: Copy>(v: T, mask: u32) -> T {
    let _ = mask;
    v
}
