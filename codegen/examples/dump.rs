//! Prints the generated code of every kernel in a Rust file: `cargo run -p kernelforge-codegen
//! --example dump -- FILE [cuda|wgsl|wgsl-x4|cuda-bounds|wgsl-bounds|cpu]`. For inspecting a kernel that is not built in.
fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .expect("usage: dump FILE [cuda|wgsl|wgsl-x4|cuda-bounds|wgsl-bounds|cpu]");
    let target = args.next().unwrap_or_else(|| "cpu".into());
    let text = std::fs::read_to_string(&path).expect("read FILE");
    let file = syn::parse_file(&text).expect("parse FILE");
    let helpers = kernelforge_codegen::collect_helpers([&file]);
    for (attr, func) in kernelforge_codegen::find_kernels(&file) {
        match kernelforge_codegen::compile_all(attr, &func, &helpers) {
            Ok(all) => {
                for (_, g) in all {
                    match target.as_str() {
                        "cuda" => println!("{}", g.cuda),
                        "wgsl" => println!("{}", g.wgsl),
                        "cuda-bounds" => println!("{}", g.cuda_bounds),
                        "wgsl-bounds" => println!("{}", g.wgsl_bounds),
                        "wgsl-x4" => {
                            println!("{}", g.wgsl_x4.as_deref().unwrap_or("// no x4 module"))
                        }
                        _ => println!("{}", g.cpu_source()),
                    }
                }
            }
            Err(e) => println!("{}: {e}", func.sig.ident),
        }
    }
}
