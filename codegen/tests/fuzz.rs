//! The front end never panics: every kernel and `#[kernel_fn]` in the repository, its token
//! stream mutated (tokens deleted, duplicated, swapped, replaced by other identifiers, types,
//! literals and operators, groups unwrapped or added, the attribute's arguments changed), run
//! through what the macro runs (syn's parse, then `compile_all`: front end, validator and
//! every back end, or `check_helper` for a helper). A panic fails the test with the input,
//! the seed and the iteration, so it can be replayed and kept below as a regression case.
//!
//! `KERNELFORGE_FUZZ_INPUTS` sets the number of inputs (default 1,000,000, run on every
//! thread), `KERNELFORGE_FUZZ_SEED` the seed (default: from the clock; printed either way).

use kernelforge_codegen::{check_helper, compile_all, Helpers};
use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// One function to mutate: its attribute's arguments (a kernel's), its tokens, and the helpers
/// of its file.
struct Seed {
    attr: Option<TokenStream>,
    item: TokenStream,
    helpers: std::rc::Rc<Helpers>,
}

/// A [`Seed`] as text, which threads can share (proc-macro2's tokens cannot cross threads).
struct SeedText {
    attr: Option<String>,
    item: String,
    /// The file's helpers (an index into the list of files' helpers).
    file: usize,
}

impl SeedText {
    fn parse(&self, helpers: &[std::rc::Rc<Helpers>]) -> Seed {
        Seed {
            attr: self.attr.as_ref().map(|a| a.parse().unwrap()),
            item: self.item.parse().unwrap(),
            helpers: helpers[self.file].clone(),
        }
    }
}

/// Every `#[compute_kernel]` and `#[kernel_fn]` function in the repository's kernel sources,
/// tests and example, and each file's helpers as text.
fn seeds() -> (Vec<SeedText>, Vec<Vec<(String, String)>>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in [
        "kernels-src",
        "tests",
        "tests/common",
        "examples/downstream/src",
    ] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            if e.path().extension().is_some_and(|x| x == "rs") {
                files.push(e.path());
            }
        }
    }
    files.sort();
    let (mut out, mut all_helpers) = (Vec::new(), Vec::new());
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let Ok(file) = syn::parse_file(&text) else {
            continue;
        };
        let mut fns = Vec::new();
        collect_fns(&file.items, &mut fns);
        let helpers: Vec<(String, String)> = fns
            .iter()
            .filter(|(kind, _)| *kind == "kernel_fn")
            .map(|(_, f)| {
                let text = quote::ToTokens::to_token_stream(&strip_attrs(f)).to_string();
                (f.sig.ident.to_string(), text)
            })
            .collect();
        all_helpers.push(helpers);
        let file = all_helpers.len() - 1;
        for (kind, f) in fns {
            let attr = (kind == "compute_kernel").then(|| {
                f.attrs
                    .iter()
                    .find(|a| is_attr(a, kind))
                    .and_then(|a| a.meta.require_list().ok())
                    .map(|l| l.tokens.to_string())
                    .unwrap_or_default()
            });
            out.push(SeedText {
                attr,
                item: quote::ToTokens::to_token_stream(&strip_attrs(&f)).to_string(),
                file,
            });
        }
    }
    (out, all_helpers)
}

/// `#[kind]`, `#[kind(..)]` or a path ending in `kind` (`#[kernelforge::kind]`).
fn is_attr(a: &syn::Attribute, kind: &str) -> bool {
    a.path().segments.last().is_some_and(|s| s.ident == kind)
}

fn strip_attrs(f: &syn::ItemFn) -> syn::ItemFn {
    let mut f = f.clone();
    f.attrs.clear();
    f
}

/// The functions under `#[compute_kernel]` or `#[kernel_fn]`, in modules too.
fn collect_fns(items: &[syn::Item], out: &mut Vec<(&'static str, syn::ItemFn)>) {
    for item in items {
        match item {
            syn::Item::Fn(f) => {
                for kind in ["compute_kernel", "kernel_fn"] {
                    if f.attrs.iter().any(|a| is_attr(a, kind)) {
                        out.push((kind, f.clone()));
                    }
                }
            }
            syn::Item::Mod(m) => {
                if let Some((_, items)) = &m.content {
                    collect_fns(items, out);
                }
            }
            syn::Item::Macro(_) => {}
            _ => {}
        }
    }
}

/// SplitMix64: small, seedable, good enough to choose mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// Identifiers a mutation may put in: keywords, the language's types, intrinsics and names
/// that kernels use, and some that nothing defines.
const IDENTS: &[&str] = &[
    "let",
    "mut",
    "if",
    "else",
    "for",
    "in",
    "while",
    "loop",
    "break",
    "continue",
    "return",
    "as",
    "fn",
    "const",
    "match",
    "true",
    "false",
    "f32",
    "f64",
    "f16",
    "bf16",
    "u32",
    "i32",
    "u64",
    "i64",
    "bool",
    "usize",
    "u8",
    "AtomicU32",
    "AtomicF32",
    "AtomicI32",
    "global_id",
    "local_id",
    "group_id",
    "num_groups",
    "lane_id",
    "subgroup_id",
    "num_subgroups",
    "barrier",
    "workgroup_barrier",
    "subgroup_barrier",
    "shared_array",
    "subgroup_add",
    "subgroup_max",
    "subgroup_shuffle",
    "subgroup_shuffle_xor",
    "len",
    "x",
    "y",
    "z",
    "i",
    "n",
    "exp",
    "sqrt",
    "tanh",
    "max",
    "min",
    "mul_add",
    "fetch_add",
    "load",
    "store",
    "compare_exchange",
    "step_by",
    "rev",
    "to_bits",
    "from_bits",
    "wrapping_add",
    "widening_mul",
    "is_nan",
    "PI",
    "INFINITY",
    "MAX",
    "self",
    "Self",
    "crate",
    "super",
    "unknown_name",
    "workgroup_size",
];

/// Literals a mutation may put in: boundaries of every type, suffixed and not, and literals
/// the language has no type for.
const LITERALS: &[&str] = &[
    "0",
    "1",
    "2",
    "32",
    "256",
    "1024",
    "65535",
    "4294967295",
    "4294967296",
    "0u32",
    "1i32",
    "-1",
    "2147483648i32",
    "18446744073709551615u64",
    "9223372036854775808i64",
    "0.0",
    "0.5",
    "1e39",
    "1e-46f32",
    "3.4e38f32",
    "1.0f64",
    "0.5f16",
    "2.0bf16",
    "1e308f64",
    "0x7fff_ffff",
    "0b1010",
    "0o777",
    "1u8",
    "1usize",
    "\"text\"",
    "'c'",
    "b'x'",
    "b\"bytes\"",
    "1e",
    "0xffu32",
];

const PUNCTS: &[char] = &[
    '+', '-', '*', '/', '%', '&', '|', '^', '!', '<', '>', '=', '.', ',', ';', ':', '#', '?', '@',
    '~', '$',
];

/// The mutated `ts`: `edits` times, a random token in a random group changed.
fn mutate(ts: &TokenStream, rng: &mut Rng, edits: usize) -> TokenStream {
    let mut tokens: Vec<TokenTree> = ts.clone().into_iter().collect();
    for _ in 0..edits {
        edit(&mut tokens, rng, 0);
    }
    tokens.into_iter().collect()
}

/// One edit in `tokens` or, sometimes, inside one of its groups.
fn edit(tokens: &mut Vec<TokenTree>, rng: &mut Rng, depth: usize) {
    let groups: Vec<usize> = (0..tokens.len())
        .filter(|&i| matches!(tokens[i], TokenTree::Group(_)))
        .collect();
    if !groups.is_empty() && depth < 12 && rng.below(3) != 0 {
        let i = *rng.pick(&groups);
        let TokenTree::Group(g) = &tokens[i] else {
            unreachable!()
        };
        let mut inner: Vec<TokenTree> = g.stream().into_iter().collect();
        edit(&mut inner, rng, depth + 1);
        let mut ng = Group::new(g.delimiter(), inner.into_iter().collect());
        ng.set_span(g.span());
        tokens[i] = TokenTree::Group(ng);
        return;
    }
    let n = tokens.len();
    let i = rng.below(n + 1).min(n.saturating_sub(1));
    let span = Span::call_site();
    match rng.below(10) {
        _ if n == 0 => tokens.push(TokenTree::Ident(Ident::new("x", span))),
        0 => {
            tokens.remove(i);
        }
        1 => {
            let t = tokens[i].clone();
            tokens.insert(i, t);
        }
        2 => {
            let j = rng.below(n);
            tokens.swap(i, j);
        }
        3 | 4 => tokens[i] = TokenTree::Ident(Ident::new(rng.pick::<&str>(IDENTS), span)),
        5 | 6 => {
            let lit: TokenStream = rng.pick(LITERALS).parse().unwrap();
            // `-1` is two tokens: splice them in.
            tokens.splice(i..=i, lit);
        }
        7 => {
            let spacing = if rng.below(2) == 0 {
                Spacing::Alone
            } else {
                Spacing::Joint
            };
            tokens[i] = TokenTree::Punct(Punct::new(*rng.pick(PUNCTS), spacing));
        }
        8 => {
            if let TokenTree::Group(g) = &tokens[i] {
                let inner: Vec<TokenTree> = g.stream().into_iter().collect();
                tokens.splice(i..=i, inner);
            } else {
                let d = *rng.pick(&[Delimiter::Parenthesis, Delimiter::Bracket, Delimiter::Brace]);
                let t = tokens[i].clone();
                tokens[i] = TokenTree::Group(Group::new(d, std::iter::once(t).collect()));
            }
        }
        _ => {
            // A literal where a number was, keeping the rest: the commonest real-world slip.
            if let TokenTree::Literal(_) = tokens[i] {
                tokens[i] =
                    TokenTree::Literal(Literal::u64_unsuffixed(rng.next() >> rng.below(64)));
            } else {
                tokens.insert(i, TokenTree::Punct(Punct::new('&', Spacing::Alone)));
            }
        }
    }
}

/// What the macro does with an input; `true` when it reached the front end (syn parsed it).
fn run_one(seed: &Seed, attr: Option<TokenStream>, item: TokenStream) -> bool {
    let Ok(func) = syn::parse2::<syn::ItemFn>(item) else {
        return false;
    };
    match attr {
        Some(attr) => {
            let _ = compile_all(attr, &func, &seed.helpers);
        }
        None => {
            let _ = check_helper(&func);
        }
    }
    true
}

/// One input: which seed and how it was mutated, from the iteration's own generator.
fn input(seeds: &[Seed], base: u64, iteration: u64) -> (usize, Option<TokenStream>, TokenStream) {
    let mut rng = Rng(base ^ iteration.wrapping_mul(0xd134_2543_de82_ef95));
    let which = rng.below(seeds.len());
    let s = &seeds[which];
    let edits = 1 + rng.below(3);
    let (attr, item) = match &s.attr {
        Some(a) if rng.below(5) == 0 => (Some(mutate(a, &mut rng, 1)), s.item.clone()),
        a => (a.clone(), mutate(&s.item, &mut rng, edits)),
    };
    (which, attr, item)
}

#[test]
fn the_front_end_never_panics_on_mutated_kernels() {
    let (texts, helper_texts) = seeds();
    assert!(texts.len() >= 80, "only {} kernels found", texts.len());
    let inputs: u64 = std::env::var("KERNELFORGE_FUZZ_INPUTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let base: u64 = std::env::var("KERNELFORGE_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        });
    println!(
        "fuzzing {} kernels and helpers, {inputs} inputs, KERNELFORGE_FUZZ_SEED={base}",
        texts.len()
    );
    // Panics are caught and reported below; the default hook would print each one.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let started = Instant::now();
    let next = AtomicU64::new(0);
    let parsed = AtomicU64::new(0);
    let failures: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let helpers: Vec<std::rc::Rc<Helpers>> = helper_texts
                    .iter()
                    .map(|file| {
                        let h: Helpers = file
                            .iter()
                            .map(|(name, text)| (name.clone(), syn::parse_str(text).unwrap()))
                            .collect();
                        std::rc::Rc::new(h)
                    })
                    .collect();
                let seeds: Vec<Seed> = texts.iter().map(|t| t.parse(&helpers)).collect();
                loop {
                    let it = next.fetch_add(1, Ordering::Relaxed);
                    if it >= inputs {
                        break;
                    }
                    let (which, attr, item) = input(&seeds, base, it);
                    let text = || format!("attr: {attr:?}\nitem: {item}");
                    let shown = text();
                    let r = catch_unwind(AssertUnwindSafe(|| {
                        run_one(&seeds[which], attr.clone(), item.clone())
                    }));
                    match r {
                        Ok(true) => {
                            parsed.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(false) => {}
                        Err(p) => {
                            let msg = p
                                .downcast_ref::<String>()
                                .cloned()
                                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                                .unwrap_or_default();
                            let mut f = failures.lock().unwrap();
                            if f.len() < 5 {
                                f.push(format!("iteration {it}: panicked: {msg}\n{shown}"));
                            }
                        }
                    }
                }
            });
        }
    });
    std::panic::set_hook(hook);
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{inputs} inputs in {secs:.1} s on {threads} threads ({:.0}/s), {} parsed as functions \
         and run through the front end",
        inputs as f64 / secs,
        parsed.load(Ordering::Relaxed)
    );
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "the front end panicked (replay with KERNELFORGE_FUZZ_SEED={base}):\n{}",
        failures.join("\n\n")
    );
}

/// Inputs kept from fuzzing and by hand: each must give errors or code, never a panic. Add
/// any input the fuzz test ever reports here, as its attribute and item text.
const REGRESSIONS: &[(&str, &str)] = &[
    (
        "workgroup_size = 4294967296",
        "fn k(x: &mut [f32]) { x[0] = 1.0; }",
    ),
    ("workgroup_size = 0", "fn k(x: &mut [f32]) { x[0] = 1.0; }"),
    (
        "workgroup_size = [64, 64, 64]",
        "fn k(x: &mut [f32]) { x[0] = 1.0; }",
    ),
    (
        "workgroup_size = 64",
        "fn k(x: &mut [f32]) { x[0] = 1e39f32 + 4294967296u32 as f32; }",
    ),
    (
        "workgroup_size = 64",
        "fn k(x: &mut [f32]) { let t = shared_array::<f32, 4294967295>(); x[0] = t[0]; }",
    ),
    (
        "workgroup_size = 64",
        "fn k(x: &mut [f32]) { x[0] = ((((((((((((((((1.0)))))))))))))))); }",
    ),
    (
        "workgroup_size = 64",
        "fn k(x: &mut [f32]) { for i in (0..x.len()).step_by(0) { x[i] = 0.0; } }",
    ),
    (
        "workgroup_size = 64",
        "fn k(x: &mut [u32]) { x[0] = 1u32 << 40u32; x[1] = 7 / 0; x[2] = 7 % 0; }",
    ),
    (
        "workgroup_size = 64",
        "fn k(x: &mut [i32]) { x[0] = -2147483648i32 / -1; }",
    ),
    ("", "fn k() {}"),
];

#[test]
fn kept_inputs_give_errors_or_code() {
    for (attr, item) in REGRESSIONS {
        let func: syn::ItemFn = syn::parse_str(item).unwrap();
        let r = catch_unwind(AssertUnwindSafe(|| {
            let _ = compile_all(attr.parse().unwrap(), &func, &Helpers::new());
        }));
        assert!(r.is_ok(), "panicked on #[compute_kernel({attr})] {item}");
    }
}
