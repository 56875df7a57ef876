//! The front end alone: what a kernel lowers to, the spans it keeps, the errors it collects,
//! attributes and instances. No runtime, no back end.

mod common;

use common::{assert_errors, func, lower, lowered, messages};
use kernelforge_codegen::front::parse_attr;
use kernelforge_codegen::ir::{walk_stmts_spanned, Expr, ParamKind, Scalar, Space, Stmt};
use kernelforge_codegen::{instances, Helpers};

#[test]
fn parameters_locals_and_arrays_live_in_arenas_with_spans() {
    let k = lower(
        "workgroup_size = 64",
        "fn k(a: f32, x: &[f32], y: &mut [f32]) {
            let i = global_id().x;
            let t = shared_array::<f32, 64>();
            let mut s: f32 = 0.0;
            if i < y.len() { y[i] = a * x[i] + s; }
        }",
    )
    .unwrap();
    assert_eq!(k.workgroup_size, [64, 1, 1]);
    let params: Vec<_> = k
        .params
        .values()
        .map(|p| (p.name.as_str(), p.kind))
        .collect();
    assert_eq!(
        params,
        [
            ("a", ParamKind::Scalar(Scalar::F32)),
            (
                "x",
                ParamKind::Slice {
                    elem: Scalar::F32,
                    mutable: false,
                    atomic: false
                }
            ),
            (
                "y",
                ParamKind::Slice {
                    elem: Scalar::F32,
                    mutable: true,
                    atomic: false
                }
            ),
        ]
    );
    // `let i = global_id().x` binds a local; `s` keeps its written type, `i` has none yet.
    let locals: Vec<_> = k
        .locals
        .values()
        .map(|l| (l.name.as_str(), l.declared_ty, l.mutable))
        .collect();
    assert_eq!(locals, [("i", None, false), ("s", Some(Scalar::F32), true)]);
    let (tile, a) = k.arrays.iter().next().unwrap();
    assert_eq!(
        (a.name.as_str(), a.len, a.space),
        ("t", 64, Space::Workgroup)
    );
    assert_eq!(a.declared_elem, Some(Scalar::F32));
    // Every node spans its source: the array its declaration's name, on line 3.
    assert_eq!(k.arrays.span(tile).start().line, 3);
    for (id, _) in k.exprs.iter() {
        assert!(k.span(id).start().line >= 1);
    }
}

#[test]
fn statements_carry_their_spans() {
    let k = lowered(
        "fn k(y: &mut [f32]) {
            let i = local_id().x;
            y[i] = 1.0;
            barrier();
            y[i] = 2.0;
        }",
    );
    let mut seen = Vec::new();
    walk_stmts_spanned(&k.body, &mut |s, span| {
        let kind = match s {
            Stmt::Let { .. } => "let",
            Stmt::Store { .. } => "store",
            Stmt::Barrier(_) => "barrier",
            _ => "other",
        };
        seen.push((kind, span.start().line));
    });
    assert_eq!(
        seen,
        [("let", 2), ("store", 3), ("barrier", 4), ("store", 5)]
    );
}

#[test]
fn if_expressions_become_a_local_assigned_in_both_arms() {
    let k = lowered(
        "fn k(y: &mut [f32]) {
            let i = global_id().x;
            let v = if i > 3 { 1.0 } else { 2.0 };
            y[i] = v;
        }",
    );
    // i, the temporary, v.
    assert_eq!(k.locals.len(), 3);
    let Stmt::Let { init: None, local } = &k.body[1] else {
        panic!("{:?}", k.body[1])
    };
    assert!(k.local(*local).name.starts_with("kf_tmp"));
    let Stmt::If { accept, reject, .. } = &k.body[2] else {
        panic!("{:?}", k.body[2])
    };
    assert!(matches!(accept[..], [Stmt::Assign { .. }]));
    assert!(matches!(reject[..], [Stmt::Assign { .. }]));
}

#[test]
fn constants_fold_and_shadowed_names_are_renamed() {
    let k = lowered(
        "fn k(y: &mut [u32]) {
            const N: u32 = 8 * 4;
            let x = N / 2;
            let x = x + 1u32;
            y[0] = x;
        }",
    );
    let names: Vec<_> = k.locals.values().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["x", "x_1"]);
    let Stmt::Let {
        init: Some(init), ..
    } = &k.body[0]
    else {
        panic!()
    };
    assert!(
        matches!(
            k.expr(*init),
            Expr::Literal(kernelforge_codegen::ir::Literal::Int(16, Some(Scalar::U32)))
        ),
        "{:?}",
        k.expr(*init)
    );
}

#[test]
fn every_error_of_a_kernel_is_collected_in_source_order() {
    let e = lower(
        "",
        "fn k(y: &mut [f32], v: Vec<f32>) {
            let i = global_id().x;
            println!(\"{}\", i);
            y[i] = undefined_name;
            let c = |a: f32| a;
        }",
    )
    .unwrap_err();
    assert_errors(
        &e,
        &[
            ("heap types", 1),
            ("macros are not supported", 3),
            ("cannot find value `undefined_name`", 4),
            ("closures are not supported", 5),
        ],
    );
}

#[test]
fn kernels_and_helpers_share_one_signature_check() {
    let kernel = lower("", "async unsafe fn k(&self) -> f32 {}").unwrap_err();
    assert_errors(
        &kernel,
        &[
            ("a kernel cannot be `async`", 1),
            ("a kernel cannot be `unsafe`: its accesses are checked", 1),
            ("a kernel cannot take `self`", 1),
            ("a kernel returns nothing", 1),
        ],
    );
    let helper =
        kernelforge_codegen::check_helper(&func("async unsafe fn h(&self) -> f32 { 0.0 }"));
    assert_errors(
        &helper.unwrap_err(),
        &[
            ("a #[kernel_fn] cannot be `async`", 1),
            ("a #[kernel_fn] cannot be `unsafe`", 1),
            ("a #[kernel_fn] cannot take `self`", 1),
        ],
    );
    // Helpers may return a scalar and take arrays.
    kernelforge_codegen::check_helper(&func("fn h<const N: u32>(t: &[f32; N]) -> f32 { t[0] }"))
        .unwrap();
}

#[test]
fn the_attribute_is_parsed_once_and_resolved_per_instance() {
    let f = func(
        "fn k<const B: u32, const U: u32>(y: &mut [f32]) {
            let i = global_id().x;
            y[i] = (B * U) as f32;
        }",
    );
    let args = parse_attr(
        "workgroup_size = B, B = [64, 128], U = [1, 2]"
            .parse()
            .unwrap(),
    )
    .unwrap();
    let all = instances(&args, &f).unwrap();
    let names: Vec<String> = all.iter().map(|i| i.func.sig.ident.to_string()).collect();
    assert_eq!(names, ["k_64_1", "k_64_2", "k_128_1", "k_128_2"]);
    for inst in &all {
        let attr = args.resolve(&inst.values, &inst.types).unwrap();
        assert_eq!(attr.workgroup_size, [inst.values[0].1, 1, 1]);
        assert!(inst.func.sig.generics.params.is_empty());
    }
    // Keys that are neither `workgroup_size` nor a parameter are reported when resolving.
    let args = parse_attr("workgroup_size = 64, colour = 3".parse().unwrap()).unwrap();
    let e = args.resolve(&[], &[]).unwrap_err();
    assert!(
        messages(&e)[0].starts_with("unknown argument"),
        "{:?}",
        messages(&e)
    );
    // An unlisted parameter is an error at the parameter.
    let args = parse_attr("workgroup_size = 64".parse().unwrap()).unwrap();
    let e = instances(&args, &f).unwrap_err();
    assert_eq!(e.0.len(), 2);
    assert!(messages(&e)[0].starts_with("list the values of `B`"));
}

#[test]
fn workgroup_size_takes_arithmetic_of_parameters() {
    let f = func(
        "fn k<const W: u32>(y: &mut [f32]) {
            let i = global_id().x;
            y[i] = W as f32;
        }",
    );
    let args = parse_attr(
        "workgroup_size = (32 * W, (W + 2) / 3), W = [4, 7]"
            .parse()
            .unwrap(),
    )
    .unwrap();
    let sizes: Vec<[u32; 3]> = instances(&args, &f)
        .unwrap()
        .iter()
        .map(|i| args.resolve(&i.values, &i.types).unwrap().workgroup_size)
        .collect();
    assert_eq!(sizes, [[128, 2, 1], [224, 3, 1]]);
    // Other operators, and arithmetic that leaves the whole numbers, are errors.
    for (attr, want) in [
        (
            "workgroup_size = 32 % W, W = [4]",
            "workgroup_size takes `+ - * /`",
        ),
        (
            "workgroup_size = W - 8, W = [4]",
            "each workgroup_size dimension is a whole",
        ),
        (
            "workgroup_size = 32 / (W - 4), W = [4]",
            "each workgroup_size dimension is a whole",
        ),
    ] {
        let args = parse_attr(attr.parse().unwrap()).unwrap();
        let inst = &instances(&args, &f).unwrap()[0];
        let e = args.resolve(&inst.values, &inst.types).unwrap_err();
        assert!(
            messages(&e)[0].starts_with(want),
            "{attr}: {:?}",
            messages(&e)
        );
    }
}

#[test]
fn helpers_are_inlined_at_each_call() {
    let helper = func("fn twice(v: f32) -> f32 { v * 2.0 }");
    let helpers: Helpers = [("twice".to_string(), helper)].into_iter().collect();
    let attr = parse_attr(Default::default())
        .unwrap()
        .resolve(&[], &[])
        .unwrap();
    let k = kernelforge_codegen::front::lower_kernel(
        &attr,
        &func(
            "fn k(y: &mut [f32]) {
                let i = global_id().x;
                y[i] = twice(y[i]) + twice(1.0);
            }",
        ),
        &helpers,
    )
    .unwrap();
    // Each call binds the helper's parameter to a local of its own.
    let names: Vec<_> = k.locals.values().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["i", "v", "v_1"]);
}
