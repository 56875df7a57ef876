//! Validation alone: the types it infers into its side table, the rules it enforces, and every
//! error at its span.

mod common;

use common::{assert_errors, at, invalid, typed};
use kernelforge_codegen::ir::{Expr, Scalar};

#[test]
fn inferred_types_are_in_the_side_table_not_the_ir() {
    let (k, info) = typed(
        "fn k(a: u32, y: &mut [f32]) {
            let i = global_id().x;
            let n = 3;
            let m = 2;
            let f = 1.5;
            let t = [0; 4];
            let u = [1.0; 4];
            let j = m + a;
            y[i] = f * (n as f32) + (t[0] as f32) + u[1] + (j as f32);
        }",
    );
    let ty = |name: &str| {
        let (id, l) = k.locals.iter().find(|(_, l)| l.name == name).unwrap();
        assert_eq!(l.declared_ty, None, "`{name}` declares no type");
        info.local_ty(id)
    };
    assert_eq!(ty("i"), Scalar::U32);
    // Unsuffixed literals take the type the context gives, else Rust's defaults.
    assert_eq!(ty("n"), Scalar::I32);
    assert_eq!(ty("m"), Scalar::U32);
    assert_eq!(ty("f"), Scalar::F32);
    assert_eq!(ty("j"), Scalar::U32);
    let elem = |name: &str| {
        let (id, a) = k.arrays.iter().find(|(_, a)| a.name == name).unwrap();
        assert_eq!(a.declared_elem, None);
        info.array_elem(id)
    };
    assert_eq!(elem("t"), Scalar::I32);
    assert_eq!(elem("u"), Scalar::F32);
    // Every expression has a type; a comparison is `bool` whatever its operands.
    for (id, e) in k.exprs.iter() {
        if let Expr::Binary { op, .. } = e {
            if op.is_comparison() {
                assert_eq!(info.ty(id), Scalar::Bool);
            }
        }
    }
}

#[test]
fn workgroup_memory_is_sized_from_the_inferred_types() {
    let (k, info) = typed(
        "fn k(y: &mut [f32]) {
            let a = shared_array::<f32, 256>();
            let b = shared_array::<u32, 64>();
            let p = [0.0; 8];
            let i = local_id().x;
            a[i] = p[0];
            b[0] = 1;
            barrier();
            y[i] = a[i];
        }",
    );
    // Private arrays are not workgroup memory.
    assert_eq!(info.workgroup_bytes(&k), 256 * 4 + 64 * 4);
}

#[test]
fn type_errors_are_collected_at_their_spans() {
    let e = invalid(
        "",
        "fn k(x: &[i32], y: &mut [f32]) {
            let i = global_id().x;
            y[i] = x[i];
            let b: bool = 1.0;
            y[i] = -i as f32;
        }",
    );
    assert_errors(
        &e,
        &[
            ("mismatched types: expected `f32`, found `i32`", 3),
            (
                "mismatched types: expected `bool`, found a float literal",
                4,
            ),
            ("cannot negate `u32`", 5),
        ],
    );
}

#[test]
fn barriers_need_uniform_control_flow() {
    let e = invalid(
        "",
        "fn k(y: &mut [f32]) {
            let i = local_id().x;
            if i < 32 {
                barrier();
            }
            y[i] = 0.0;
        }",
    );
    let barrier = "`barrier()` inside an `if` whose condition depends on the invocation";
    assert_errors(&e, &[(barrier, 4)]);
    // At the barrier's statement, where `barrier` starts.
    assert_eq!(at(&e.0[0]).1, 16);
}

#[test]
fn subgroups_need_whole_subgroups() {
    let e = invalid(
        "workgroup_size = 48",
        "fn k(y: &mut [f32]) {
            let i = local_id().x;
            let s = subgroup_add(y[i]);
            y[i] = s;
        }",
    );
    assert_errors(&e, &[("subgroup operations need whole subgroups", 3)]);
    assert!(e.0[0].message.contains("multiple of 32"));
}

#[test]
fn workgroup_memory_over_48_kib_is_an_error_at_the_array() {
    let e = invalid(
        "",
        "fn k(y: &mut [f32]) {
            let a = shared_array::<f32, 8192>();
            let b = shared_array::<f32, 8192>();
            a[0] = 1.0;
            b[0] = 1.0;
            y[0] = a[0] + b[0];
        }",
    );
    assert_errors(
        &e,
        &[("this kernel's workgroup memory reaches 65536 bytes", 3)],
    );
}
