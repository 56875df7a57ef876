//! The architecture's dependency rules (../shared/DESIGN.md, docs/architecture.md), kept by
//! tests: the runtime carries no compiler, the IR knows no target, back ends do not import each
//! other, the macro uses codegen's top-level API only, and the runtime dispatches over its
//! backends in one place.
//!
//! Imports are read with syn: every `use` tree and every path in a file, resolved against the
//! file's module (`crate::`, `super::`, `self::`), so grouped and nested imports count too.

use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `cargo metadata` of the workspace, every feature on (the `cuda` and `wgpu` backends
/// included).
fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--all-features"])
        .current_dir(root())
        .output()
        .expect("run cargo metadata");
    match serde_json::from_slice(&out.stdout) {
        Ok(v) if out.status.success() => v,
        _ => panic!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// What the runtime must never depend on: the compiler and what it is built from.
const COMPILER: [&str; 5] = ["kernelforge-codegen", "syn", "naga", "quote", "proc-macro2"];

#[test]
fn the_runtime_depends_on_no_compiler() {
    let m = metadata();
    let packages = m["packages"].as_array().unwrap();
    let runtime = packages
        .iter()
        .find(|p| p["name"] == "kernelforge-runtime")
        .expect("kernelforge-runtime in the workspace");
    // Its own dependencies (optional ones included), for building and running.
    for d in runtime["dependencies"].as_array().unwrap() {
        let name = d["name"].as_str().unwrap();
        if d["kind"].is_null() || d["kind"] == "build" {
            assert!(
                !COMPILER.contains(&name),
                "kernelforge-runtime depends on `{name}`: the runtime must not carry the \
                 compiler (generated code reaches it as sources and PTX)"
            );
        }
    }
    // Everything linked into a binary that uses it: its normal dependencies, transitively,
    // except the insides of proc macros (thiserror's derive uses syn, in the compiler only).
    // wgpu itself depends on naga to read WGSL; that is wgpu's front end, not ours, so naga
    // is checked as a direct dependency above and may appear here.
    let linked = linked(&m, "kernelforge-runtime");
    // The walk reached the runtime's own dependencies (wgpu's too: every feature is on).
    for expected in ["rayon", "wgpu-core", "cudarc"] {
        assert!(
            linked.contains(&expected),
            "{expected} not found in {linked:?}"
        );
    }
    for banned in ["kernelforge-codegen", "syn", "quote", "proc-macro2"] {
        assert!(
            !linked.contains(&banned),
            "`{banned}` is linked into binaries that use kernelforge-runtime: {linked:?}"
        );
    }
}

/// The packages linked into a binary that depends on `package`: its normal dependencies,
/// transitively, not counting what proc macros depend on (that runs in the compiler).
fn linked<'m>(m: &'m Value, package: &str) -> Vec<&'m str> {
    let packages = m["packages"].as_array().unwrap();
    let proc_macro: BTreeSet<&str> = packages
        .iter()
        .filter(|p| {
            p["targets"].as_array().unwrap().iter().any(|t| {
                t["kind"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|k| k == "proc-macro")
            })
        })
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    let nodes: HashMap<&str, &Value> = m["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n))
        .collect();
    let name_of: HashMap<&str, &str> = packages
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let start = packages
        .iter()
        .find(|p| p["name"] == package)
        .unwrap_or_else(|| panic!("{package} in the workspace"));
    let mut seen = BTreeSet::new();
    let mut stack = vec![start["id"].as_str().unwrap()];
    while let Some(id) = stack.pop() {
        if !seen.insert(id) || proc_macro.contains(id) {
            continue;
        }
        for d in nodes[id]["deps"].as_array().unwrap() {
            let normal = d["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"].is_null());
            if normal {
                stack.push(d["pkg"].as_str().unwrap());
            }
        }
    }
    seen.iter()
        .filter(|id| !proc_macro.contains(*id))
        .map(|id| name_of[id])
        .collect()
}

#[test]
fn crates_using_kernelforge_build_no_cli_dependencies() {
    let m = metadata();
    let linked = linked(&m, "kernelforge");
    assert!(linked.contains(&"kernelforge-runtime"), "{linked:?}");
    for banned in ["clap", "serde_json", "criterion", "kernelforge-cli"] {
        assert!(
            !linked.contains(&banned),
            "`{banned}` is a normal dependency of kernelforge: the CLI's dependencies belong to \
             kernelforge-cli"
        );
    }
}

/// A `.rs` file of a crate's `src/` and the module it is.
struct SourceFile {
    path: PathBuf,
    module: Vec<String>,
}

fn sources(src: &Path) -> Vec<SourceFile> {
    let mut out = Vec::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(src).unwrap();
                let mut module: Vec<String> = rel
                    .with_extension("")
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if matches!(
                    module.last().map(String::as_str),
                    Some("mod" | "lib" | "main")
                ) {
                    module.pop();
                }
                out.push(SourceFile { path: p, module });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// Every path a file names (use trees expanded), resolved against its module: `crate::a::b`
/// and `super::b` in module `a::c` both give `["crate", "a", "b"]`; paths of other crates
/// keep their first segment.
fn paths(file: &SourceFile) -> BTreeSet<Vec<String>> {
    struct Paths(Vec<Vec<String>>);
    impl<'a> syn::visit::Visit<'a> for Paths {
        fn visit_item_use(&mut self, u: &'a syn::ItemUse) {
            fn walk(t: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
                match t {
                    syn::UseTree::Path(p) => {
                        prefix.push(p.ident.to_string());
                        walk(&p.tree, prefix, out);
                        prefix.pop();
                    }
                    syn::UseTree::Name(n) => {
                        let mut v = prefix.clone();
                        v.push(n.ident.to_string());
                        out.push(v);
                    }
                    syn::UseTree::Rename(r) => {
                        let mut v = prefix.clone();
                        v.push(r.ident.to_string());
                        out.push(v);
                    }
                    syn::UseTree::Glob(_) => out.push(prefix.clone()),
                    syn::UseTree::Group(g) => {
                        for t in &g.items {
                            walk(t, prefix, out);
                        }
                    }
                }
            }
            walk(&u.tree, &mut Vec::new(), &mut self.0);
        }
        fn visit_path(&mut self, p: &'a syn::Path) {
            self.0
                .push(p.segments.iter().map(|s| s.ident.to_string()).collect());
            syn::visit::visit_path(self, p);
        }
    }
    let text = std::fs::read_to_string(&file.path).unwrap();
    let ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.path.display()));
    let mut v = Paths(Vec::new());
    syn::visit::Visit::visit_file(&mut v, &ast);
    v.0.into_iter()
        .filter_map(|p| {
            let mut module = file.module.clone();
            let mut rest = p.as_slice();
            match rest.first().map(String::as_str) {
                Some("crate") => {
                    module.clear();
                    rest = &rest[1..];
                }
                Some("super") => {
                    while rest.first().is_some_and(|s| s == "super") {
                        module.pop()?;
                        rest = &rest[1..];
                    }
                }
                Some("self") => rest = &rest[1..],
                _ => return Some(p),
            }
            let mut out = vec!["crate".to_string()];
            out.extend(module);
            out.extend(rest.iter().cloned());
            Some(out)
        })
        .collect()
}

/// Whether `path` is in module `module` of the crate (`["back", "wgsl"]`).
fn within(path: &[String], module: &[&str]) -> bool {
    path.first().is_some_and(|s| s == "crate")
        && path.len() > module.len()
        && path[1..=module.len()]
            .iter()
            .zip(module)
            .all(|(a, b)| a == b)
}

#[test]
fn the_ir_knows_no_front_end_back_end_or_pass() {
    let files = sources(&root().join("codegen/src"));
    let ir: Vec<_> = files
        .iter()
        .filter(|f| f.module.first().is_some_and(|m| m == "ir"))
        .collect();
    assert!(ir.len() >= 5, "codegen/src/ir has {} files", ir.len());
    for f in ir {
        for p in paths(f) {
            for other in ["front", "back", "valid", "proc"] {
                assert!(
                    !within(&p, &[other]),
                    "{} names `{}`: the IR imports nothing from {other}/",
                    f.path.display(),
                    p.join("::")
                );
            }
        }
    }
}

#[test]
fn back_ends_do_not_import_each_other() {
    let targets = ["cuda", "wgsl", "cpu"];
    for f in sources(&root().join("codegen/src")) {
        let [back, own, ..] = f.module.as_slice() else {
            continue;
        };
        if back != "back" {
            continue;
        }
        for p in paths(&f) {
            for other in targets.iter().filter(|t| *t != own) {
                assert!(
                    !within(&p, &["back", other]),
                    "{} names `{}`: back ends share only back/mod.rs and proc/",
                    f.path.display(),
                    p.join("::")
                );
            }
        }
    }
}

#[test]
fn the_macro_uses_codegens_top_level_api_only() {
    let mut named = 0;
    for f in sources(&root().join("macros/src")) {
        for p in paths(&f) {
            if p.first().is_some_and(|s| s == "kernelforge_codegen") {
                named += 1;
                assert!(
                    p.len() <= 2,
                    "{} names `{}`: macros/ calls codegen's top-level API (compile_all, \
                     Generated, ...), not its modules",
                    f.path.display(),
                    p.join("::")
                );
            }
        }
    }
    assert!(named > 0, "macros/ names nothing of kernelforge_codegen");
}

#[test]
fn the_runtime_chooses_among_backends_in_one_place() {
    // The dispatch (backend/mod.rs), the crate's public `cuda` module (lib.rs), and the
    // profiler's GPU-only timing queue (profile.rs): nowhere else does a feature cfg appear.
    let allowed = ["lib.rs", "backend/mod.rs", "profile.rs"];
    let src = root().join("runtime/src");
    for f in sources(&src) {
        let rel = f
            .path
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let in_backend = rel.starts_with("backend/wgpu/") || rel.starts_with("backend/cuda/");
        if allowed.contains(&rel.as_str()) || in_backend {
            continue;
        }
        let text = std::fs::read_to_string(&f.path).unwrap();
        // `cfg_attr(..., allow(dead_code))` silences a lint; `cfg` and `cfg!` choose code.
        let chooses = text.lines().any(|l| {
            let l = l.trim_start();
            (l.starts_with("#[cfg(") || l.contains("cfg!(")) && l.contains("feature")
        });
        assert!(
            !chooses,
            "runtime/src/{rel} chooses among backends with a cfg; do it in backend/mod.rs"
        );
    }
}
