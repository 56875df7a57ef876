use kernelforge::prelude::*;

#[compute_kernel(workgroup_size = 64)]
pub fn divergent(x: &[f32], y: &mut [f32]) {
    let i = global_id().x;
    if i < x.len() {
        y[i] = subgroup_add(x[i]);
    }
    let t = subgroup_max(true);
}

#[compute_kernel(workgroup_size = 64)]
pub fn arity(y: &mut [f32]) {
    let b = subgroup_broadcast(1.0f32);
}

#[compute_kernel(workgroup_size = 48)]
pub fn partial_subgroups(y: &mut [u32]) {
    let i = global_id().x;
    let lane = subgroup_invocation_id();
    y[i] = lane;
}

fn main() {}
