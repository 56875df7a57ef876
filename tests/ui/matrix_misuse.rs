use kernelforge::prelude::*;

// Mistakes the front end finds.
#[compute_kernel(workgroup_size = 64)]
pub fn misused(a: &[f16], c: &mut [f32], h: &mut [f16], u: &[u32]) {
    let acc = matrix_fill(0.0);
    let fa = matrix_load_a(a, 0, 16, Layout::RowMajor);
    let fb = matrix_load_b(a, 0, 16, Layout::RowMajor);
    matrix_mma(&mut acc, &fa, &fb);
    matrix_store(h, 0, 16, Layout::RowMajor, &acc);
    let x = acc;
    let p = [0.0f32; 256];
    let fp = matrix_load_a(&p, 0, 16, Layout::ColMajor);
    let fq = matrix_load_b(a, 0, 16, RowMajor2);
    let fu = matrix_load_a(u, 0, 16, Layout::RowMajor);
    let mut acc2 = matrix_fill(0.0);
    matrix_mma(&mut acc2, &fb, &fa);
    matrix_store(a, 0, 16, Layout::RowMajor, &acc2);
}

// A layout chosen by a number.
#[compute_kernel(workgroup_size = 64)]
pub fn numeric_layout(a: &[f16], c: &mut [f32]) {
    let mut acc = matrix_fill(0.0);
    let fa = matrix_load_a(a, 0, 16, Layout::col_major_if(1u32));
    let fb = matrix_load_b(a, 0, 16, Layout::RowMajor);
    matrix_mma(&mut acc, &fa, &fb);
    matrix_store(c, 0, 16, Layout::RowMajor, &acc);
}

// Operands of two types.
#[compute_kernel(workgroup_size = 64)]
pub fn mixed(a: &[f16], b: &[bf16], c: &mut [f32]) {
    let mut acc = matrix_fill(0.0);
    let fa = matrix_load_a(a, 0, 16, Layout::RowMajor);
    let fb = matrix_load_b(b, 0, 16, Layout::RowMajor);
    matrix_mma(&mut acc, &fa, &fb);
    matrix_store(c, 0, 16, Layout::RowMajor, &acc);
}

// Control and operands that differ within a warp.
#[compute_kernel(workgroup_size = 64)]
pub fn divergent(a: &[f32], c: &mut [f32]) {
    let lid = local_id().x;
    let mut acc = matrix_fill(0.0);
    let fa = matrix_load_a(a, lid * 16, 16, Layout::RowMajor);
    let fb = matrix_load_b(a, subgroup_id() * 16, 16, Layout::RowMajor);
    let fc = matrix_load_b(a, 0, 16, Layout::col_major_if(lid == 0));
    if lid < 16 {
        matrix_mma(&mut acc, &fa, &fb);
    }
    matrix_store(c, (lid / 32) * 256, 16, Layout::RowMajor, &acc);
}

// Warps must be whole.
#[compute_kernel(workgroup_size = 48)]
pub fn partial_warps(a: &[f32], c: &mut [f32]) {
    let mut acc = matrix_fill(1.0);
    let fa = matrix_load_a(a, 0, 16, Layout::RowMajor);
    let fb = matrix_load_b(a, 0, 16, Layout::RowMajor);
    matrix_mma(&mut acc, &fa, &fb);
    matrix_store(c, 0, 16, Layout::RowMajor, &acc);
}


// Row factors of the wrong type, an accumulator passed without `&mut`, an A fragment scaled.
#[compute_kernel(workgroup_size = 32)]
pub fn bad_scale(a: &[f16], f: &[f32], c: &mut [f32]) {
    let mut acc = matrix_fill(1.0);
    matrix_scale_rows(&mut acc, a, 0);
    matrix_scale_rows(&acc, f, 0);
    let fa = matrix_load_a(a, 0, 16, Layout::RowMajor);
    matrix_scale_rows(&mut fa, f, 0);
    matrix_store(c, 0, 16, Layout::RowMajor, &acc);
}

// Row factors chosen per lane.
#[compute_kernel(workgroup_size = 32)]
pub fn divergent_scale(f: &[f32], c: &mut [f32]) {
    let mut acc = matrix_fill(1.0);
    matrix_scale_rows(&mut acc, f, local_id().x);
    matrix_store(c, 0, 16, Layout::RowMajor, &acc);
}

fn main() {}
