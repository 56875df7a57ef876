use kernelforge::prelude::*;

// A return that differs between the lanes of a subgroup, then a subgroup operation.
#[compute_kernel(workgroup_size = 64)]
pub fn k(rows: u32, y: &mut [f32]) {
    let lane = subgroup_invocation_id();
    let row = group_id().x * num_subgroups() + subgroup_id();
    if lane >= rows {
        return;
    }
    y[row] = subgroup_add(1.0);
}

// A loop whose range differs between lanes.
#[compute_kernel(workgroup_size = 64)]
pub fn m(y: &mut [f32]) {
    for r in 0..local_id().x {
        y[r] = subgroup_max(1.0);
    }
}

fn main() {}
