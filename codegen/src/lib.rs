//! kernelforge-codegen: the compiler from a Rust kernel to CUDA C, WGSL and Rust CPU code.
//!
//! The pipeline is `front` (syn -> [`ir`]), `valid` (types, every error collected), then one
//! back end per target under `back`. The `#[compute_kernel]` macro and `kernelforge-build` both
//! call [`compile`], so the CUDA C that nvcc compiles at build time is byte for byte the CUDA C
//! the macro embeds.

pub mod back;
pub mod error;
pub mod front;
pub mod ir;
pub mod proc;
pub mod valid;

pub use back::stable_hash;
pub use error::{Error, Errors};
pub use front::{check_helper, helper_calls, instances, Helpers, Instance, KernelAttr};
pub use ir::{Param, ParamKind, Scalar};

use proc_macro2::TokenStream;

/// Everything generated for one kernel.
#[derive(Debug)]
pub struct Generated {
    /// The validated IR.
    pub kernel: ir::Kernel,
    /// Each expression's type.
    pub info: valid::Info,
    /// CUDA C source (see `back::cuda`).
    pub cuda: String,
    /// WGSL source, already validated by naga.
    pub wgsl: String,
    /// The `x4` WGSL module (four invocations per invocation), validated by naga, for kernels
    /// with the elementwise vector shape; the runtime uses it for 1-D grids.
    pub wgsl_x4: Option<String>,
    /// The CPU module as Rust tokens (see `back::cpu`).
    pub cpu: TokenStream,
    /// The race-checked CPU module, `__cpu_checked` (see `back::cpu::Options::checked`).
    pub cpu_checked: TokenStream,
    /// The bounds-checked CUDA C (see `back::cuda::Options::bounds_checked`): compiled by
    /// NVRTC at run time under `KERNELFORGE_CHECK=bounds`, never by nvcc at build time.
    pub cuda_bounds: String,
    /// The bounds-checked WGSL scalar module, validated by naga (see
    /// `back::wgsl::Options::bounds_checked`).
    pub wgsl_bounds: String,
}

impl Generated {
    /// The file name under which `kernelforge-build` writes this kernel's PTX: the kernel's
    /// name and a hash of its CUDA C, so a stale or foreign PTX file is never picked up.
    pub fn ptx_file_name(&self) -> String {
        ptx_file_name(&self.kernel.name, &self.cuda)
    }

    /// The file name under which `kernelforge-build` writes this kernel's cubin for `sm_<sm>`
    /// (see [`cubin_file_name`]).
    pub fn cubin_file_name(&self, sm: u32) -> String {
        cubin_file_name(&self.kernel.name, &self.cuda, sm)
    }

    /// The architecture (`sm` as in [`cubin_file_name`]) of `file`, when `file` names one of
    /// this kernel's cubins.
    pub fn cubin_sm(&self, file: &str) -> Option<u32> {
        let ptx = self.ptx_file_name();
        let stem = ptx.strip_suffix(".ptx")?;
        let sm = file.strip_prefix(stem)?.strip_prefix(".sm_")?;
        let sm: u32 = sm.strip_suffix(".cubin")?.parse().ok()?;
        (self.cubin_file_name(sm) == file).then_some(sm)
    }

    /// The kernel's parameters in order (the order of `launch`'s arguments).
    pub fn params(&self) -> impl ExactSizeIterator<Item = &Param> {
        self.kernel.params.values()
    }

    /// Bytes of workgroup memory the kernel declares (at most 48 KiB: validation checks it).
    pub fn workgroup_bytes(&self) -> u64 {
        self.info.workgroup_bytes(&self.kernel)
    }

    /// Whether the kernel uses subgroup operations (wgpu needs the adapter's `SUBGROUP`
    /// feature).
    pub fn uses_subgroups(&self) -> bool {
        self.kernel.uses_subgroups()
    }

    /// Whether the kernel uses values of type `s` anywhere (wgpu needs SHADER_F16 for `f16`
    /// and SHADER_F64 for `f64`).
    pub fn uses(&self, s: Scalar) -> bool {
        self.info.uses(&self.kernel, s)
    }

    /// The CPU module formatted as Rust source, for reading (`kernelforge emit`, snapshots).
    pub fn cpu_source(&self) -> String {
        back::cpu::format_tokens(self.cpu.clone())
    }

    /// The names of the kernel's arrays in the order the bounds-checked code's fault record
    /// numbers them (after the parameters; see `proc::bounds`).
    pub fn bounds_arrays(&self) -> Vec<String> {
        proc::bounds::array_names(&self.kernel)
    }

    /// The race-checked CPU module formatted as Rust source (snapshots).
    pub fn cpu_checked_source(&self) -> String {
        back::cpu::format_tokens(self.cpu_checked.clone())
    }
}

/// See [`Generated::ptx_file_name`].
pub fn ptx_file_name(kernel: &str, cuda: &str) -> String {
    format!("{kernel}-{:016x}.ptx", back::stable_hash(cuda.as_bytes()))
}

/// The file name under which `kernelforge-build` writes this kernel's cubin for `sm_<sm>`
/// (`sm` = 10 x major + minor: 90 for `sm_90`, 120 for `sm_120`): the PTX file's stem, then
/// the architecture.
pub fn cubin_file_name(kernel: &str, cuda: &str, sm: u32) -> String {
    let ptx = ptx_file_name(kernel, cuda);
    format!("{}.sm_{sm}.cubin", ptx.trim_end_matches(".ptx"))
}

/// The folder under `OUT_DIR` where `kernelforge-build` writes PTX.
pub const PTX_DIR: &str = "kernelforge-ptx";

/// Compiles one `#[compute_kernel]` function without const generic parameters that calls no
/// `#[kernel_fn]` helpers: `attr` is what is inside the attribute's parentheses.
///
/// # Errors
/// Every problem in the attribute and the kernel, each at its span.
pub fn compile(attr: TokenStream, func: &syn::ItemFn) -> Result<Generated, Errors> {
    compile_with_helpers(attr, func, &Helpers::new())
}

/// Compiles one `#[compute_kernel]` function without const generic parameters whose calls of
/// `#[kernel_fn]` helpers are resolved in `helpers` (by the last segment of the called path)
/// and inlined.
///
/// # Errors
/// Every problem in the attribute, the kernel and the helpers it calls, each at its span.
pub fn compile_with_helpers(
    attr: TokenStream,
    func: &syn::ItemFn,
    helpers: &Helpers,
) -> Result<Generated, Errors> {
    let attr = front::parse_attr(attr).and_then(|a| a.resolve(&[], &[]));
    compile_instance(attr, func, helpers)
}

/// Lowers, validates and writes out one instance under its resolved attribute (or the
/// attribute's errors, reported together with the body's).
fn compile_instance(
    attr: Result<KernelAttr, Errors>,
    func: &syn::ItemFn,
    helpers: &Helpers,
) -> Result<Generated, Errors> {
    let lowered = front::lower_kernel(&attr.as_ref().copied().unwrap_or_default(), func, helpers);
    let kernel = match (attr, lowered) {
        (Ok(_), Ok(k)) => k,
        (a, k) => {
            let mut errors = Vec::new();
            if let Err(Errors(mut e)) = a {
                errors.append(&mut e);
            }
            if let Err(Errors(mut e)) = k {
                errors.append(&mut e);
            }
            return Err(Errors(errors));
        }
    };
    let info = valid::validate(&kernel)?;
    let cuda = back::cuda::write_string(&kernel, &info, &Default::default())
        .unwrap_or_else(|e| match e {});
    let wgsl = back::wgsl::write_string(&kernel, &info, &Default::default())
        .map_err(|e| Errors(vec![Error::new(func.sig.ident.span(), e.to_string())]))?;
    let wgsl_x4 = back::wgsl::write_x4_string(&kernel, &info, &Default::default())
        .map_err(|e| Errors(vec![Error::new(func.sig.ident.span(), e.to_string())]))?;
    let cpu =
        back::cpu::write_tokens(&kernel, &info, &Default::default()).unwrap_or_else(|e| match e {});
    let checked = back::cpu::Options {
        checked: true,
        ..Default::default()
    };
    let cpu_checked =
        back::cpu::write_tokens(&kernel, &info, &checked).unwrap_or_else(|e| match e {});
    let cuda_bounds = back::cuda::write_string(
        &kernel,
        &info,
        &back::cuda::Options {
            bounds_checked: true,
        },
    )
    .unwrap_or_else(|e| match e {});
    let wgsl_bounds = back::wgsl::write_string(
        &kernel,
        &info,
        &back::wgsl::Options {
            bounds_checked: true,
        },
    )
    .map_err(|e| Errors(vec![Error::new(func.sig.ident.span(), e.to_string())]))?;
    Ok(Generated {
        kernel,
        info,
        cuda,
        wgsl,
        wgsl_x4,
        cpu,
        cpu_checked,
        cuda_bounds,
        wgsl_bounds,
    })
}

/// The tokens inside `#[compute_kernel(...)]` if `attr` is that attribute (any path ending in
/// `compute_kernel`).
pub fn kernel_attr_tokens(attr: &syn::Attribute) -> Option<TokenStream> {
    let last = attr.path().segments.last()?;
    if last.ident != "compute_kernel" {
        return None;
    }
    Some(match &attr.meta {
        syn::Meta::Path(_) => TokenStream::new(),
        syn::Meta::List(l) => l.tokens.clone(),
        syn::Meta::NameValue(_) => return None,
    })
}

/// Compiles every instance of a kernel (one per combination of the values listed for its
/// const generic parameters, see [`instances`]; one for a kernel without them), with its
/// `#[kernel_fn]` helpers.
///
/// # Errors
/// Every problem of every instance, each at its span, once.
pub fn compile_all(
    attr: TokenStream,
    func: &syn::ItemFn,
    helpers: &Helpers,
) -> Result<Vec<(Instance, Generated)>, Errors> {
    let args = match front::parse_attr(attr) {
        Ok(args) => args,
        // Without instances to build, the body's errors are reported beside the attribute's.
        Err(e)
            if func.sig.generics.const_params().next().is_none()
                && func.sig.generics.type_params().next().is_none() =>
        {
            let only = Instance {
                values: Vec::new(),
                types: Vec::new(),
                func: func.clone(),
            };
            return compile_instance(Err(e), func, helpers).map(|g| vec![(only, g)]);
        }
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    let mut errors: Vec<Error> = Vec::new();
    for inst in instances(&args, func)? {
        match compile_instance(args.resolve(&inst.values, &inst.types), &inst.func, helpers) {
            Ok(g) => out.push((inst, g)),
            // Instances share their source: report each problem once.
            Err(Errors(e)) => {
                for e in e {
                    let seen = errors.iter().any(|x| {
                        x.message == e.message && format!("{:?}", x.span) == format!("{:?}", e.span)
                    });
                    if !seen {
                        errors.push(e);
                    }
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Errors(errors))
    }
}

/// Whether `attr` is `#[kernel_fn]` (any path ending in `kernel_fn`).
pub fn is_kernel_fn_attr(attr: &syn::Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "kernel_fn")
}

/// Every `#[kernel_fn]` function in a parsed file, nested modules included.
pub fn find_helpers(file: &syn::File) -> Vec<syn::ItemFn> {
    let mut out = Vec::new();
    for_each_fn(&file.items, &mut |f| {
        if f.attrs.iter().any(is_kernel_fn_attr) {
            out.push(f.clone());
        }
    });
    out
}

/// Calls `visit` on every function of `items`, in nested inline modules too.
fn for_each_fn(items: &[syn::Item], visit: &mut dyn FnMut(&syn::ItemFn)) {
    for item in items {
        match item {
            syn::Item::Fn(f) => visit(f),
            syn::Item::Mod(m) => {
                if let Some((_, items)) = &m.content {
                    for_each_fn(items, visit);
                }
            }
            _ => {}
        }
    }
}

/// The `#[kernel_fn]` helpers of several files, by name, as kernelforge-build resolves a
/// kernel's calls. Where two share a name the later one is kept.
pub fn collect_helpers<'a>(files: impl IntoIterator<Item = &'a syn::File>) -> Helpers {
    files
        .into_iter()
        .flat_map(find_helpers)
        .map(|f| (f.sig.ident.to_string(), f))
        .collect()
}

/// Every `#[compute_kernel]` function in a parsed file, nested modules included, with the
/// attribute's tokens.
pub fn find_kernels(file: &syn::File) -> Vec<(TokenStream, syn::ItemFn)> {
    let mut out = Vec::new();
    for_each_fn(&file.items, &mut |f| {
        if let Some(t) = f.attrs.iter().find_map(kernel_attr_tokens) {
            out.push((t, f.clone()));
        }
    });
    out
}
