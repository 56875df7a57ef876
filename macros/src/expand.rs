use kernelforge_codegen::{Generated, Helpers, Instance, Param, ParamKind, Scalar};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, ToTokens};

pub(crate) fn expand(attr: TokenStream, func: &syn::ItemFn) -> TokenStream {
    // A kernel calling itself is reported by the compiler, not looked up as a helper.
    let own = &func.sig.ident;
    let calls = kernelforge_codegen::helper_calls(&func.block);
    if calls.iter().all(|p| p.is_ident(own)) {
        return expand_with_helpers(attr, func, &Helpers::new());
    }
    // The kernel's own errors first: the helper chain expands to calls of the helpers'
    // macros, and a name that is no helper's (a closure's, say) would fail there, in rustc's
    // words ("cannot find macro"), before the kernel's errors were ever reported. Without
    // helpers, the only errors the chain could clear are the calls it resolves.
    if let Err(errors) = kernelforge_codegen::compile_all(attr.clone(), func, &Helpers::new()) {
        let own: Vec<_> = errors.0.into_iter().filter(|e| !e.unknown_call).collect();
        if !own.is_empty() {
            return with_errors(func, kernelforge_codegen::Errors(own));
        }
    }
    crate::chain::State::new(attr, func.clone()).step()
}

/// `errors`, plus an empty module of the kernel's name so that uses of it do not add a
/// cascade of "cannot find" errors.
fn with_errors(func: &syn::ItemFn, errors: kernelforge_codegen::Errors) -> TokenStream {
    let err = errors.to_syn().to_compile_error();
    let vis = &func.vis;
    let name = &func.sig.ident;
    quote! {
        #err
        #[allow(dead_code)]
        #vis mod #name {}
    }
}

/// The kernel module, or the errors, once every helper the kernel calls is in `helpers`.
pub(crate) fn expand_with_helpers(
    attr: TokenStream,
    func: &syn::ItemFn,
    helpers: &Helpers,
) -> TokenStream {
    match kernelforge_codegen::compile_all(attr, func, helpers) {
        // A kernel without const generic parameters is its only instance.
        Ok(all) if all.len() == 1 && all[0].0.values.is_empty() && all[0].0.types.is_empty() => {
            module(func, &all[0].1)
        }
        Ok(all) => generic_module(func, &all),
        Err(errors) => with_errors(func, errors),
    }
}

fn scalar_ty(s: Scalar) -> TokenStream {
    match s {
        Scalar::F16 => quote!(::kernelforge::f16),
        Scalar::BF16 => quote!(::kernelforge::bf16),
        _ => {
            let t = format_ident!("{}", s.rust_name());
            quote!(#t)
        }
    }
}

fn scalar_desc(s: Scalar) -> TokenStream {
    let v = format_ident!("{}", format!("{s:?}"));
    quote!(::kernelforge::__private::ScalarType::#v)
}

/// `Some(include_str!(...))` when kernelforge-build wrote this kernel's PTX into `OUT_DIR`.
/// A proc macro runs inside the crate's rustc, whose environment has cargo's `OUT_DIR`;
/// `include_str!` also makes rustc rebuild when the file changes.
fn ptx_tokens(g: &Generated) -> TokenStream {
    let Ok(out_dir) = std::env::var("OUT_DIR") else {
        return quote!(None);
    };
    let path = std::path::Path::new(&out_dir)
        .join(kernelforge_codegen::PTX_DIR)
        .join(g.ptx_file_name());
    if path.is_file() {
        let p = path.to_string_lossy().into_owned();
        quote!(Some(include_str!(#p)))
    } else {
        quote!(None)
    }
}

/// `&[(sm, include_bytes!(...)), ...]`: the cubins kernelforge-build wrote for this kernel
/// (one per `sm_XY` of `KERNELFORGE_CUDA_ARCH`), in order of architecture. A build-script
/// rerun removes those of architectures no longer listed, and rebuilds this crate.
fn cubin_tokens(g: &Generated) -> TokenStream {
    let Ok(out_dir) = std::env::var("OUT_DIR") else {
        return quote!(&[]);
    };
    let dir = std::path::Path::new(&out_dir).join(kernelforge_codegen::PTX_DIR);
    let mut found: Vec<(u32, String)> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let sm = g.cubin_sm(&e.file_name().to_string_lossy())?;
            Some((sm, e.path().to_string_lossy().into_owned()))
        })
        .collect();
    found.sort();
    let items = found
        .iter()
        .map(|(sm, path)| quote!((#sm, include_bytes!(#path).as_slice())));
    quote!(&[#(#items),*])
}

fn module(func: &syn::ItemFn, g: &Generated) -> TokenStream {
    let vis = &func.vis;
    let name = &func.sig.ident;
    let docs = func.attrs.iter().filter(|a| a.path().is_ident("doc"));
    let name_str = g.kernel.name.as_str();
    let [wx, wy, wz] = g.kernel.workgroup_size;
    let cuda = &g.cuda;
    let wgsl = &g.wgsl;
    // Validation keeps it within 48 KiB.
    let workgroup_bytes = g.workgroup_bytes() as u32;
    let subgroups = g.uses_subgroups();
    let subgroup_barrier = g.kernel.has_subgroup_barrier();
    let shared_len = match g.kernel.launch_sized_array() {
        Some((array, p)) => {
            let param = g
                .params()
                .position(|q| std::ptr::eq(q, g.kernel.param(p)))
                .unwrap_or(0);
            let elem = g.info.array_elem(array);
            let bytes = elem.size();
            let wgsl_bytes = if elem == Scalar::BF16 { 4u32 } else { bytes };
            quote!(Some(::kernelforge::__private::SharedLen {
                param: #param,
                elem_bytes: #bytes,
                wgsl_elem_bytes: #wgsl_bytes,
            }))
        }
        None => quote!(None),
    };
    let (shader_f16, shader_f64) = (g.uses(Scalar::F16), g.uses(Scalar::F64));
    let wgsl_x4 = match &g.wgsl_x4 {
        Some(text) => quote!(Some(#text)),
        None => quote!(None),
    };
    let cpu = &g.cpu;
    let cpu_checked = &g.cpu_checked;
    let cpu_source = g.cpu_source();
    let (cuda_bounds, wgsl_bounds) = (&g.cuda_bounds, &g.wgsl_bounds);
    let arrays = g.bounds_arrays();
    let ptx = ptx_tokens(g);
    let cubins = cubin_tokens(g);
    let params = launch_params(g);
    let mut descs = Vec::new();
    let mut args = Vec::new();
    for (id, p) in g.kernel.params.iter() {
        let ident = format_ident!("{}", p.name);
        let pname = p.name.as_str();
        match p.kind {
            ParamKind::Scalar(s) => {
                let d = scalar_desc(s);
                descs.push(quote!(::kernelforge::__private::ParamDesc { name: #pname, ty: #d, slice: None, vector_lanes: 1 }));
                args.push(quote!(::kernelforge::__private::KernelArg::Scalar(
                    ::kernelforge::__private::KernelScalar::to_bits(#ident)
                )));
            }
            ParamKind::Slice { elem, mutable, .. } => {
                let d = scalar_desc(elem);
                let lanes = g.kernel.vector_lanes(id);
                descs.push(quote!(::kernelforge::__private::ParamDesc { name: #pname, ty: #d, slice: Some(#mutable), vector_lanes: #lanes }));
                if mutable {
                    args.push(quote!(::kernelforge::SliceArgMut::kernel_arg_mut(#ident)));
                } else {
                    args.push(quote!(::kernelforge::SliceArg::kernel_arg(#ident)));
                }
            }
        }
    }
    quote! {
        #(#docs)*
        ///
        /// Generated by `#[compute_kernel]`: run it with [`launch`](self::launch).
        #vis mod #name {
            /// The kernel's name: its CUDA and WGSL entry point.
            pub const NAME: &str = #name_str;
            /// Invocations per workgroup in x, y, z.
            pub const WORKGROUP_SIZE: [u32; 3] = [#wx, #wy, #wz];
            /// The generated CUDA C.
            pub const CUDA_SOURCE: &str = #cuda;
            /// The generated WGSL (validated by naga at build time).
            pub const WGSL_SOURCE: &str = #wgsl;
            /// The `x4` WGSL module (four invocations per invocation, `vec4` accesses) for an
            /// elementwise kernel; the wgpu backend runs it for 1-D grids.
            pub const WGSL_X4_SOURCE: Option<&str> = #wgsl_x4;
            /// The generated CPU code, formatted, for reading (`kernelforge emit`).
            pub const CPU_SOURCE: &str = #cpu_source;
            /// PTX compiled by nvcc at build time, when kernelforge-build found nvcc.
            pub const PTX: Option<&str> = #ptx;
            /// Cubins compiled by nvcc at build time for the `sm_XY` in
            /// `KERNELFORGE_CUDA_ARCH`, as (10 x major + minor, bytes).
            pub const CUBINS: &[(u32, &[u8])] = #cubins;

            /// The kernel as the runtime sees it.
            pub static KERNEL: ::kernelforge::__private::KernelDesc = ::kernelforge::__private::KernelDesc {
                name: NAME,
                workgroup_size: WORKGROUP_SIZE,
                params: &[#(#descs),*],
                cuda_source: CUDA_SOURCE,
                ptx: PTX,
                cubins: CUBINS,
                wgsl_source: WGSL_SOURCE,
                wgsl_x4_source: WGSL_X4_SOURCE,
                workgroup_bytes: #workgroup_bytes,
                subgroups: #subgroups,
                subgroup_barrier: #subgroup_barrier,
                shared_len: #shared_len,
                shader_f16: #shader_f16,
                shader_f64: #shader_f64,
                cpu: __cpu::run,
                cpu_checked: ::kernelforge::__private::race_check_entry!(__cpu_checked::run),
                bounds_checked: ::kernelforge::__private::bounds_checked!(
                    &::kernelforge::__private::BoundsChecked {
                        cuda_source: #cuda_bounds,
                        wgsl_source: #wgsl_bounds,
                        arrays: &[#(#arrays),*],
                    }
                ),
            };

            /// Runs the kernel on `kf_device` over `kf_grid`; arguments follow the kernel's
            /// parameters (scalars by value, `&[T]` as `&Buffer<T>`, `&mut [T]` as
            /// `&mut Buffer<T>`).
            ///
            /// # Errors
            /// Buffers of another device, sizes beyond the backend's limits, an out-of-bounds
            /// access (CPU backend) or a device error.
            #[allow(clippy::too_many_arguments)]
            pub fn launch(
                kf_device: &::kernelforge::Device,
                kf_grid: ::kernelforge::Grid,
                #(#params),*
            ) -> ::core::result::Result<(), ::kernelforge::Error> {
                kf_device.launch(&KERNEL, kf_grid, &mut [#(#args),*])
            }

            #cpu

            // The race-checked version, compiled when kernelforge's `check` feature is on.
            ::kernelforge::__private::if_race_check! { #cpu_checked }
        }
    }
}

/// `launch`'s parameters after the device and grid: scalars by value, `&[T]` as
/// `&Buffer<T>`, `&mut [T]` (and atomic slices) as `&mut Buffer<T>`.
fn launch_params(g: &Generated) -> Vec<TokenStream> {
    g.params()
        .map(|p: &Param| {
            let ident = format_ident!("{}", p.name);
            match p.kind {
                ParamKind::Scalar(s) => {
                    let t = scalar_ty(s);
                    quote!(#ident: #t)
                }
                ParamKind::Slice { elem, mutable, .. } => {
                    let t = scalar_ty(elem);
                    if mutable {
                        quote!(#ident: &mut impl ::kernelforge::SliceArgMut<#t>)
                    } else {
                        quote!(#ident: &impl ::kernelforge::SliceArg<#t>)
                    }
                }
            }
        })
        .collect()
}

/// The instances of one element type (all of them without a type parameter): the type, the
/// const dispatch arms, their conditions and the listed const values.
struct Group {
    ty: Option<Scalar>,
    arms: Vec<TokenStream>,
    conds: Vec<TokenStream>,
    listed: Vec<String>,
}

/// The module of a kernel with generic parameters: one submodule per instance (as [`module`]
/// writes it, named `<kernel>_<values>`), and `launch`, which runs the instance of the element
/// type of its arguments (through the module's `Instance` trait, implemented for each listed
/// type) and of the const values given (`launch::<V...>`); a type or values not listed in the
/// attribute are a compile error.
fn generic_module(func: &syn::ItemFn, compiled: &[(Instance, Generated)]) -> TokenStream {
    let vis = &func.vis;
    let name = &func.sig.ident;
    let docs = func.attrs.iter().filter(|a| a.path().is_ident("doc"));
    let consts: Vec<syn::Ident> = compiled[0]
        .0
        .values
        .iter()
        .map(|(n, _)| format_ident!("{}", n))
        .collect();
    let tparam = compiled[0]
        .0
        .types
        .first()
        .map(|(n, _)| format_ident!("{}", n));
    let forward: Vec<syn::Ident> = compiled[0]
        .1
        .params()
        .map(|p| format_ident!("{}", p.name))
        .collect();
    let mut subs = Vec::new();
    let mut groups: Vec<Group> = Vec::new();
    for (inst, g) in compiled {
        let mut f = inst.func.clone();
        f.vis = syn::parse_quote!(pub);
        f.attrs.retain(|a| !a.path().is_ident("doc"));
        let values: Vec<String> = inst
            .types
            .iter()
            .map(|(n, t)| format!("`{n}` = `{}`", t.rust_name()))
            .chain(inst.values.iter().map(|(n, v)| format!("`{n}` = {v}")))
            .collect();
        let doc = format!("The instance of `{name}` with {}.", values.join(", "));
        f.attrs.push(syn::parse_quote!(#[doc = #doc]));
        subs.push(module(&f, g));
        let sub = &f.sig.ident;
        let vals: Vec<u32> = inst.values.iter().map(|(_, v)| *v).collect();
        let cond: Vec<TokenStream> = consts
            .iter()
            .zip(&vals)
            .map(|(c, v)| quote!(#c == #v))
            .collect();
        let ty = inst.types.first().map(|(_, t)| *t);
        if groups.last().is_none_or(|grp| grp.ty != ty) {
            groups.push(Group {
                ty,
                arms: Vec::new(),
                conds: Vec::new(),
                listed: Vec::new(),
            });
        }
        let grp = groups.last_mut().expect("a group");
        let call = quote!(#sub::launch(kf_device, kf_grid, #(#forward),*));
        grp.arms.push(if consts.is_empty() {
            call
        } else {
            quote!(if #(#cond)&&* { return #call; })
        });
        grp.conds.push(quote!((#(#cond)&&*)));
        let vals: Vec<String> = vals.iter().map(u32::to_string).collect();
        grp.listed.push(format!("({})", vals.join(", ")));
    }
    let names: Vec<String> = consts.iter().map(|c| c.to_string()).collect();
    let name_str = name.to_string();
    // The body that picks an instance by its const values, for one group.
    let dispatch = |grp: &Group| {
        let (arms, conds, listed) = (&grp.arms, &grp.conds, &grp.listed);
        if consts.is_empty() {
            // The one instance of this type.
            return quote!(#(#arms)*);
        }
        let msg = format!(
            "`{name}::launch::<{}>`: these values were not built; the attribute lists {}",
            names.join(", "),
            listed.join(", ")
        );
        quote! {
            const { ::core::assert!(#(#conds)||*, #msg) };
            #(#arms)*
            Err(::kernelforge::Error::BadArguments {
                kernel: #name_str,
                message: #msg.into(),
            })
        }
    };
    let const_params: Vec<TokenStream> = consts.iter().map(|c| quote!(const #c: u32)).collect();
    let Some(t) = tparam else {
        let params = launch_params(&compiled[0].1);
        let body = dispatch(&groups[0]);
        return quote! {
            #(#docs)*
            ///
            /// Generated by `#[compute_kernel]` for each value listed for its const generic
            /// parameters: run one with [`launch`](self::launch)`::<...>`.
            #vis mod #name {
                #(#subs)*

                /// Runs the instance of the given const generic values on `kf_device` over
                /// `kf_grid`; arguments follow the kernel's parameters. Values the attribute
                /// does not list are a compile error.
                ///
                /// # Errors
                /// As each instance's `launch`.
                #[allow(clippy::too_many_arguments)]
                pub fn launch<#(#const_params),*>(
                    kf_device: &::kernelforge::Device,
                    kf_grid: ::kernelforge::Grid,
                    #(#params),*
                ) -> ::core::result::Result<(), ::kernelforge::Error> {
                    #body
                }
            }
        };
    };
    // Which parameters have the element type: those whose source type names it.
    let generic: Vec<bool> = func
        .sig
        .inputs
        .iter()
        .map(|a| match a {
            syn::FnArg::Typed(pt) => mentions(&pt.ty.to_token_stream(), &t),
            syn::FnArg::Receiver(_) => false,
        })
        .collect();
    let with = |elem: TokenStream| -> Vec<TokenStream> {
        launch_params(&compiled[0].1)
            .into_iter()
            .zip(compiled[0].1.params())
            .zip(&generic)
            .map(|((concrete, p), &is_t)| {
                if !is_t {
                    return concrete;
                }
                let ident = format_ident!("{}", p.name);
                match p.kind {
                    ParamKind::Scalar(_) => quote!(#ident: #elem),
                    ParamKind::Slice { mutable: true, .. } => {
                        quote!(#ident: &mut impl ::kernelforge::SliceArgMut<#elem>)
                    }
                    ParamKind::Slice { .. } => {
                        quote!(#ident: &impl ::kernelforge::SliceArg<#elem>)
                    }
                }
            })
            .collect()
    };
    let self_params = with(quote!(Self));
    let t_params = with(quote!(#t));
    let listed: Vec<String> = groups
        .iter()
        .filter_map(|g| g.ty.map(|s| s.rust_name().to_string()))
        .collect();
    let unlisted = format!(
        "`{name}` is not built for `{{Self}}`: its attribute lists `{t} = [{}]`",
        listed.join(", ")
    );
    let label = format!("an element type `{name}` was not built for");
    let turbofish = if consts.is_empty() {
        quote!()
    } else {
        quote!(::<#(#consts),*>)
    };
    let impls = groups.iter().map(|grp| {
        let ty = scalar_ty(grp.ty.expect("a type group"));
        let g = &compiled
            .iter()
            .find(|(i, _)| i.types.first().map(|x| x.1) == grp.ty)
            .expect("an instance of the type")
            .1;
        let params = launch_params(g);
        let body = dispatch(grp);
        quote! {
            impl Instance for #ty {
                #[allow(clippy::too_many_arguments)]
                fn __kf_launch<#(#const_params),*>(
                    kf_device: &::kernelforge::Device,
                    kf_grid: ::kernelforge::Grid,
                    #(#params),*
                ) -> ::core::result::Result<(), ::kernelforge::Error> {
                    #body
                }
            }
        }
    });
    // `launch`'s generic parameters in the kernel's order.
    let launch_generics = func.sig.generics.params.iter().filter_map(|g| match g {
        syn::GenericParam::Type(_) => Some(quote!(#t: Instance)),
        syn::GenericParam::Const(c) => {
            let c = &c.ident;
            Some(quote!(const #c: u32))
        }
        syn::GenericParam::Lifetime(_) => None,
    });
    let inst_doc = format!(
        "The element types `{name}` is built for ({}): `launch` picks the instance of its \
         arguments' type.",
        listed.join(", ")
    );
    quote! {
        #(#docs)*
        ///
        /// Generated by `#[compute_kernel]` for each type (and value) listed for its generic
        /// parameters: [`launch`](self::launch) runs the instance of its arguments' element
        /// type.
        #vis mod #name {
            #(#subs)*

            #[doc = #inst_doc]
            #[diagnostic::on_unimplemented(message = #unlisted, label = #label)]
            pub trait Instance: Copy {
                #[doc(hidden)]
                #[allow(clippy::too_many_arguments)]
                fn __kf_launch<#(#const_params),*>(
                    kf_device: &::kernelforge::Device,
                    kf_grid: ::kernelforge::Grid,
                    #(#self_params),*
                ) -> ::core::result::Result<(), ::kernelforge::Error>;
            }

            #(#impls)*

            /// Runs the instance of the arguments' element type (and of the given const
            /// generic values) on `kf_device` over `kf_grid`; arguments follow the kernel's
            /// parameters. A type or values the attribute does not list are a compile error.
            ///
            /// # Errors
            /// As each instance's `launch`.
            #[allow(clippy::too_many_arguments)]
            pub fn launch<#(#launch_generics),*>(
                kf_device: &::kernelforge::Device,
                kf_grid: ::kernelforge::Grid,
                #(#t_params),*
            ) -> ::core::result::Result<(), ::kernelforge::Error> {
                #t::__kf_launch #turbofish(kf_device, kf_grid, #(#forward),*)
            }
        }
    }
}

/// Whether `ts` contains the identifier `t`.
fn mentions(ts: &TokenStream, t: &syn::Ident) -> bool {
    ts.clone().into_iter().any(|tt| match tt {
        proc_macro2::TokenTree::Ident(i) => i == *t,
        proc_macro2::TokenTree::Group(g) => mentions(&g.stream(), t),
        _ => false,
    })
}
