//! The test files whose kernels tests/snapshots.rs and tests/nvrtc.rs compile, and how: one
//! list, one way (included by those two tests only, so that the others do not build it).

/// The test files (and the example) whose kernels have golden files (tests/snapshots.rs);
/// tests/nvrtc.rs compiles these and a few more.
pub const KERNEL_FILES: &[&str] = &[
    "tests/subgroups.rs",
    "tests/helpers.rs",
    "tests/const_generics.rs",
    "tests/types.rs",
    "tests/int_ops.rs",
    "tests/generic_types.rs",
    "tests/f16_staging.rs",
    "tests/math_consts.rs",
    "tests/math_fns.rs",
    "tests/float_atomics.rs",
    "tests/barriers.rs",
    "tests/special_fns.rs",
    "tests/ranges.rs",
    "tests/nested_arrays.rs",
    "tests/shared_len.rs",
    "tests/views.rs",
    "tests/subgroup_uniform.rs",
    "tests/matrix_tiles.rs",
    "tests/vector_types.rs",
    "examples/train_loop.rs",
];

/// Every instance of every kernel of `file` (relative to the crate root), compiled with the
/// helpers of `file` and of this module, as `#[compute_kernel]` would.
pub fn compile_file(file: &str) -> Vec<kernelforge_codegen::Generated> {
    let root = env!("CARGO_MANIFEST_DIR");
    let parse = |path: String| syn::parse_file(&std::fs::read_to_string(path).unwrap()).unwrap();
    let parsed = parse(format!("{root}/{file}"));
    let common = parse(format!("{root}/tests/common/mod.rs"));
    let helpers = kernelforge_codegen::collect_helpers([&parsed, &common]);
    let mut out = Vec::new();
    for (attr, func) in kernelforge_codegen::find_kernels(&parsed) {
        let instances = kernelforge_codegen::compile_all(attr, &func, &helpers)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        out.extend(instances.into_iter().map(|(_, g)| g));
    }
    out
}
