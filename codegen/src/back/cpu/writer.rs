use super::checked::Target;
use super::group::Id;
use super::stage::Stage;
use super::types::{cast, constant, ty, value, zero};
use super::Options;
use crate::back::target_name;
use crate::ir::*;
use crate::proc::linear::{self, Linear};
use crate::valid::Info;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

/// Writes one kernel as Rust tokens for the CPU backend.
pub struct Writer<'a> {
    pub(super) kernel: &'a Kernel,
    pub(super) info: &'a Info,
    pub(super) rt: TokenStream,
    /// Writing the race-checked version (`checked.rs`).
    pub(super) checked: bool,
    /// For cooperative kernels: uniformity, and the locals and private arrays kept per
    /// invocation across work-item loops (see `group.rs`).
    pub(super) group: Option<super::group::Plan<'a>>,
}

/// How the id intrinsics are computed in the code being written.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Ids {
    /// A linear chunk: the invocation index is `kf_inv`.
    Linear,
    /// A group chunk: `kf_gid`, `kf_lid`, `kf_grp` arrays.
    General,
}

#[derive(Clone, Copy)]
pub(super) struct Mode<'f> {
    pub(super) ids: Ids,
    /// In the fast form of the elementwise loop: accesses `s[i]` and `s[K * i + c]` are
    /// unchecked (the chunk's length checks cover them).
    pub(super) fast: Option<&'f Linear<'f>>,
    /// In the fast form of a stride loop: the accesses its checks cover.
    pub(super) stride: Option<&'f super::stride::Fast>,
    /// In the fast form of a work-item loop: the workgroup-array accesses it checked.
    pub(super) tile: Option<&'f super::tile::TileFast>,
    /// In the blocked form of the elementwise loop: the `f16` slices staged through `f32`.
    pub(super) stage: Option<&'f super::stage::Stage>,
    /// Where the code runs in a cooperative kernel.
    pub(super) ctx: Ctx,
}

impl Mode<'_> {
    /// Once per workgroup, in a cooperative kernel.
    pub(super) const GROUP: Mode<'static> = Mode {
        ids: Ids::General,
        fast: None,
        stride: None,
        tile: None,
        stage: None,
        ctx: Ctx::Group,
    };
    /// In a work-item loop, for invocation `kf_inv`.
    pub(super) const ITEM: Mode<'static> = Mode {
        ctx: Ctx::Item,
        ..Mode::GROUP
    };
    /// Once per subgroup, inside a statement run per subgroup (group.rs).
    pub(super) const SUB: Mode<'static> = Mode {
        ctx: Ctx::Sub,
        ..Mode::GROUP
    };
}

/// Where code of a cooperative kernel (workgroup memory or barriers) runs.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Ctx {
    /// Not a cooperative kernel: one invocation at a time.
    Plain,
    /// Once per workgroup (uniform statements, control flow around barriers).
    Group,
    /// Inside a work-item loop, for invocation `kf_inv`.
    Item,
    /// Once per subgroup (`kf_sg`, lanes `kf_sg_lo..kf_sg_hi`), inside a statement run per
    /// subgroup.
    Sub,
}

pub(super) fn ident(name: &str) -> Ident {
    Ident::new(&target_name(name), Span::call_site())
}

impl<'a> Writer<'a> {
    /// A writer for `kernel`, whose types `info` holds.
    pub fn new(kernel: &'a Kernel, info: &'a Info, options: &Options) -> Self {
        Writer {
            kernel,
            info,
            rt: options.runtime_path.clone(),
            checked: options.checked,
            group: super::group::Plan::new(kernel, info),
        }
    }

    /// The `__cpu` module.
    pub fn write(&self) -> TokenStream {
        let rt = &self.rt;
        let k = self.kernel;
        let mut fields = Vec::new();
        let mut inits = Vec::new();
        let mut names = Vec::new();
        for (i, p) in k.params.values().enumerate() {
            let n = ident(&p.name);
            let (t, init) = match p.kind {
                ParamKind::Scalar(s) => {
                    let getter = format_ident!("scalar_{}", s.rust_name());
                    (ty(s), quote!(kf_args.#getter(#i)))
                }
                ParamKind::Slice { elem, .. } => {
                    let e = ty(elem);
                    (quote!(#rt::SliceView<#e>), quote!(kf_args.slice::<#e>(#i)))
                }
            };
            fields.push(quote!(#n: #t));
            inits.push(quote!(#n: #init));
            names.push(n);
        }
        let [wx, wy, wz] = k.workgroup_size;
        let (run, linear_arm, groups_arm) = match &self.group {
            Some(plan) => (
                quote!(run_groups),
                // `run_groups` hands out whole workgroups only.
                quote!(unreachable!("run_groups yields Chunk::Groups")),
                self.groups_arm(plan),
            ),
            None => {
                let general = self.stmts(
                    &k.body,
                    Mode {
                        ids: Ids::General,
                        fast: None,
                        stride: None,
                        tile: None,
                        stage: None,
                        ctx: Ctx::Plain,
                    },
                );
                let general = self.invocation(general, &k.body);
                let set_group = self.checked.then(|| quote!(kf_chk.set_group(kf_g);));
                let groups_arm = quote! {
                    for kf_g in kf_lo..kf_end {
                        let kf_grp: [u32; 3] = kf_launch.group_coords(kf_g);
                        #set_group
                        for kf_lz in 0..#wz {
                            for kf_ly in 0..#wy {
                                for kf_lx in 0..#wx {
                                    let kf_lid: [u32; 3] = [kf_lx, kf_ly, kf_lz];
                                    let kf_gid: [u32; 3] = [
                                        kf_grp[0].wrapping_mul(#wx).wrapping_add(kf_lx),
                                        kf_grp[1].wrapping_mul(#wy).wrapping_add(kf_ly),
                                        kf_grp[2].wrapping_mul(#wz).wrapping_add(kf_lz),
                                    ];
                                    #general
                                }
                            }
                        }
                    }
                };
                (quote!(run), self.linear_arm(), groups_arm)
            }
        };
        if self.checked {
            let arms = quote! {
                match kf_chunk {
                    rt::Chunk::Linear { lo: kf_lo, hi: kf_end } => {
                        #linear_arm
                    }
                    rt::Chunk::Groups { lo: kf_lo, hi: kf_end } => {
                        #groups_arm
                    }
                }
            };
            return self.checked_module(&fields, &inits, &names, run, arms);
        }
        quote! {
            #[allow(warnings, clippy::all, clippy::pedantic, unused_labels, unused_parens)]
            mod __cpu {
                use #rt as rt;

                #[derive(Clone, Copy)]
                struct Params { #(#fields,)* }

                pub(super) fn run(kf_launch: &rt::Launch, kf_args: &rt::Args) -> Result<(), rt::Fault> {
                    let kf_params = Params { #(#inits,)* };
                    let kf_level = rt::simd_level();
                    kf_launch.#run(&|kf_chunk| dispatch(kf_level, kf_params, kf_launch, kf_chunk))
                }

                fn dispatch(
                    kf_level: rt::SimdLevel,
                    kf_params: Params,
                    kf_launch: &rt::Launch,
                    kf_chunk: rt::Chunk,
                ) -> Result<(), rt::Fault> {
                    match kf_level {
                        #[cfg(target_arch = "x86_64")]
                        // SAFETY: `simd_level` reports only features this CPU has.
                        rt::SimdLevel::Avx512 => unsafe { chunk_avx512(kf_params, kf_launch, kf_chunk) },
                        #[cfg(target_arch = "x86_64")]
                        // SAFETY: as above.
                        rt::SimdLevel::Avx2 => unsafe { chunk_avx2(kf_params, kf_launch, kf_chunk) },
                        _ => chunk_body(rt::SimdLevel::Baseline, kf_params, kf_launch, kf_chunk),
                    }
                }

                #[cfg(target_arch = "x86_64")]
                #[target_feature(enable = "avx512f,avx512vl,avx2,fma,f16c,bmi2")]
                unsafe fn chunk_avx512(kf_params: Params, kf_launch: &rt::Launch, kf_chunk: rt::Chunk) -> Result<(), rt::Fault> {
                    chunk_body(rt::SimdLevel::Avx512, kf_params, kf_launch, kf_chunk)
                }

                #[cfg(target_arch = "x86_64")]
                #[target_feature(enable = "avx2,fma,f16c,bmi2")]
                unsafe fn chunk_avx2(kf_params: Params, kf_launch: &rt::Launch, kf_chunk: rt::Chunk) -> Result<(), rt::Fault> {
                    chunk_body(rt::SimdLevel::Avx2, kf_params, kf_launch, kf_chunk)
                }

                #[inline(always)]
                fn chunk_body(kf_level: rt::SimdLevel, kf_params: Params, kf_launch: &rt::Launch, kf_chunk: rt::Chunk) -> Result<(), rt::Fault> {
                    let Params { #(#names,)* } = kf_params;
                    let kf_groups: [u32; 3] = kf_launch.groups();
                    match kf_chunk {
                        rt::Chunk::Linear { lo: kf_lo, hi: kf_end } => {
                            #linear_arm
                        }
                        rt::Chunk::Groups { lo: kf_lo, hi: kf_end } => {
                            #groups_arm
                        }
                    }
                    Ok(())
                }
            }
        }
    }

    /// Wraps one invocation's statements so that `return` ends just this invocation.
    fn invocation(&self, body: TokenStream, stmts: &[Stmt]) -> TokenStream {
        let mut has_return = false;
        walk_stmts(stmts, &mut |s| has_return |= matches!(s, Stmt::Return));
        if has_return {
            quote!('kf_inv: { #body })
        } else {
            quote!({ #body })
        }
    }

    /// The code for a linear chunk `kf_lo..kf_end` of invocations.
    fn linear_arm(&self) -> TokenStream {
        let k = self.kernel;
        let checked_mode = Mode {
            ids: Ids::Linear,
            fast: None,
            stride: None,
            tile: None,
            stage: None,
            ctx: Ctx::Plain,
        };
        let checked = self.stmts(&k.body, checked_mode);
        let checked = self.invocation(checked, &k.body);
        let wx = k.workgroup_size[0];
        let set_group = self
            .checked
            .then(|| quote!(kf_chk.set_group(kf_inv / #wx);));
        let checked_loop = quote! {
            for kf_inv in kf_lo..kf_end {
                #set_group
                #checked
            }
        };
        // The race-checked version reports every access: no fast form.
        let Some(lin) = linear::analyse(k).filter(|_| !self.checked) else {
            return checked_loop;
        };
        let Linear {
            index,
            bound,
            ref slices,
            ..
        } = lin;
        let fast_mode = Mode {
            ids: Ids::Linear,
            fast: Some(&lin),
            stride: None,
            tile: None,
            stage: None,
            ctx: Ctx::Plain,
        };
        let i = ident(&k.local(index).name);
        let hi = match bound {
            Some(b) => {
                let b = self.expr(b, fast_mode);
                quote!(::core::cmp::min(kf_end, #b))
            }
            None => quote!(kf_end),
        };
        // The base addresses in locals, read once: LLVM keeps them in registers and need not
        // assume that a store through another slice changed them. (Read through the views,
        // which the chunk function takes in memory, they were reloaded after each store, and
        // LLVM left `bn254_fr_mul`'s loop scalar: 1.7x slower.)
        let pointers = slices.iter().map(|&(s, _)| {
            let n = ident(&k.param(s).name);
            let p = self.base_ptr(s);
            quote!(let #p = #n.as_ptr();)
        });
        let checks = slices.iter().map(|&(s, stride)| {
            let n = ident(&k.param(s).name);
            match stride {
                1 => quote!(&& (kf_hi as usize) <= #n.len()),
                _ => quote!(&& (kf_hi as u64) * #stride as u64 <= #n.len() as u64),
            }
        });
        let fast_loop = match Stage::analyse(k, self.info, &lin) {
            Some(stage) => {
                let mode = Mode {
                    stage: Some(&stage),
                    ..fast_mode
                };
                let fast = self.invocation(self.stmts(lin.body, mode), lin.body);
                stage.block_loop(k, lin.index, fast)
            }
            None => {
                let fast = self.invocation(self.stmts(lin.body, fast_mode), lin.body);
                quote! {
                    for kf_inv in kf_lo..kf_hi {
                        let #i: u32 = kf_inv;
                        #fast
                    }
                }
            }
        };
        quote! {
            // Elementwise shape: the guard is folded into the range and the accesses indexed by
            // the invocation id are checked once for the whole chunk.
            let kf_hi: u32 = #hi;
            if kf_lo >= kf_hi {
                return Ok(());
            }
            if true #(#checks)* {
                #(#pointers)*
                #fast_loop
                return Ok(());
            }
            // Some slice is too short for this chunk: run it checked, which reports the first
            // out-of-bounds access.
            #checked_loop
        }
    }

    /// Where an assignment to `local` writes: its per-invocation slot or the local itself.
    pub(super) fn assign_place(&self, local: LocalId, mode: Mode) -> TokenStream {
        if self.per_invocation(local, mode) {
            self.local_place(local)
        } else {
            let n = ident(&self.kernel.local(local).name);
            quote!(#n)
        }
    }

    pub(super) fn stmts(&self, block: &[Stmt], mode: Mode) -> TokenStream {
        block.iter().map(|s| self.stmt(s, mode)).collect()
    }

    pub(super) fn stmt(&self, stmt: &Stmt, mode: Mode) -> TokenStream {
        let k = self.kernel;
        match stmt {
            Stmt::Let { local, init } if self.per_invocation(*local, mode) => {
                let n = self.local_place(*local);
                let v = match init {
                    Some(v) => self.expr(*v, mode),
                    None => zero(self.info.local_ty(*local)),
                };
                quote!(#n = #v;)
            }
            Stmt::Let { local, init } => {
                let l = k.local(*local);
                let n = ident(&l.name);
                let s = self.info.local_ty(*local);
                let t = ty(s);
                let v = match init {
                    Some(v) => self.expr(*v, mode),
                    None => zero(s),
                };
                if l.mutable {
                    quote!(let mut #n: #t = #v;)
                } else {
                    quote!(let #n: #t = #v;)
                }
            }
            Stmt::Assign { local, value } => {
                let n = self.assign_place(*local, mode);
                let v = self.expr(*value, mode);
                quote!(#n = #v;)
            }
            Stmt::Atomic {
                target,
                index,
                op,
                args,
                result,
            } => {
                let call = match *target {
                    AtomicTarget::Slice(slice) => self.atomic_slice(slice, *index, *op, args, mode),
                    AtomicTarget::Array(array) => self.atomic_array(array, *index, *op, args, mode),
                };
                match result {
                    Some(l) => {
                        let place = self.assign_place(*l, mode);
                        quote!(#place = #call;)
                    }
                    None => quote!(#call;),
                }
            }
            Stmt::Store {
                slice,
                index,
                value,
            } => {
                if let Some((b, e)) = mode.stage.and_then(|st| st.output(k, *slice, *value)) {
                    let e = self.expr(e, mode);
                    return quote!(#b[kf_k] = #e;);
                }
                let n = ident(&k.param(*slice).name);
                let v = self.expr(*value, mode);
                if let Some(at) = self.fast_place(*index, mode) {
                    let p = self.base_ptr(*slice);
                    // SAFETY: the stride loop checked `V + c0 + n <= len` for this slice, a
                    // `&mut` parameter whose base address `kf_p_<name>` holds.
                    quote!(unsafe { #p.add(#at).write(#v) };)
                } else if mode.fast.is_some_and(|l| l.stride(k, *index).is_some()) {
                    let i = self.expr(*index, mode);
                    let p = self.base_ptr(*slice);
                    // SAFETY: the chunk checked `K hi <= len` for this slice, a `&mut`
                    // parameter whose base address `kf_p_<name>` holds, and the index is
                    // `K i + c` with `c < K` and `i < hi`.
                    quote!(unsafe { #p.add((#i) as usize).write(#v) };)
                } else if self.checked {
                    let i = self.expr(*index, mode);
                    let p = u32::from(slice.into_raw()) as usize;
                    let r = self.report(Target::Slice(p), quote!(kf_ix), true, mode, *value);
                    // Index, then value, as in the plain version.
                    quote!({
                        let kf_ix: u32 = #i;
                        let kf_v = #v;
                        #n.store(kf_ix, kf_v)?;
                        #r
                    })
                } else {
                    let i = self.expr(*index, mode);
                    quote!(#n.store(#i, #v)?;)
                }
            }
            Stmt::If {
                cond,
                accept,
                reject,
            } => {
                let c = self.expr(*cond, mode);
                let a = self.stmts(accept, mode);
                if reject.is_empty() {
                    quote!(if #c { #a })
                } else {
                    let r = self.stmts(reject, mode);
                    quote!(if #c { #a } else { #r })
                }
            }
            Stmt::For { body, .. } | Stmt::While { body, .. } | Stmt::Loop { body } => {
                self.loop_stmt(stmt, mode, self.stmts(body, mode))
            }
            Stmt::Break => quote!(break;),
            Stmt::Continue => quote!(continue;),
            Stmt::Return => match mode.ctx {
                Ctx::Plain => quote!(break 'kf_inv;),
                // Every invocation still running returns: the workgroup is done.
                Ctx::Group => quote!(continue 'kf_grp;),
                Ctx::Item => quote!({
                    kf_live[kf_inv as usize] = false;
                    continue 'kf_wi;
                }),
                // The subgroup's lanes return.
                Ctx::Sub => quote!({
                    for kf_l in kf_sg_lo..kf_sg_hi {
                        kf_live[kf_l as usize] = false;
                    }
                    continue 'kf_sg;
                }),
            },
            // Work-item loops end at each barrier (group.rs), so it needs no code of its own;
            // subgroup operations are written by group.rs, the only place they reach.
            Stmt::Barrier(b) if self.checked => self.report_barrier(*b, mode),
            Stmt::Barrier(_) | Stmt::Subgroup { .. } | Stmt::Matrix(_) => quote!(),
            Stmt::Vector(op) => self.vector_stmt(op, mode),
            Stmt::ArrayDecl { array, init } => {
                let a = k.array(*array);
                let elem = self.info.array_elem(*array);
                let (t, len) = (ty(elem), a.len as usize);
                let v = match init {
                    Some(v) => self.expr(*v, mode),
                    None => zero(elem),
                };
                let place = self.array_place(*array, mode);
                if self.array_per_invocation(*array, mode) {
                    quote!(#place = [#v; #len];)
                } else {
                    quote!(let mut #place: [#t; #len] = [#v; #len];)
                }
            }
            Stmt::ArrayStore {
                array,
                index,
                value,
            } => {
                let name = &k.array(*array).name;
                let place = self.array_place(*array, mode);
                let v = self.expr(*value, mode);
                let fast = self.tile_place(*array, *index, mode);
                if let Some(at) = fast.or_else(|| self.fast_array_place(*array, *index, mode)) {
                    // SAFETY: the work-item loop checked `V + count <= len` for this array, or
                    // the stride loop `V + c0 + n <= len`.
                    return quote!({
                        let kf_v = #v;
                        unsafe { *#place.get_unchecked_mut(#at) = kf_v };
                    });
                }
                let i = self.expr(*index, mode);
                let r = self
                    .reports_array(*array)
                    .then(|| self.report(Target::Array(name), quote!(kf_i), true, mode, *value));
                // Index and value first: they may read the same array.
                quote!({
                    let kf_i: u32 = #i;
                    let kf_v = #v;
                    rt::store_at(&mut #place, kf_i, kf_v, #name)?;
                    #r
                })
            }
        }
    }

    /// A `for`, `while` or `loop` statement around the body tokens `b`.
    pub(super) fn loop_stmt(&self, stmt: &Stmt, mode: Mode, b: TokenStream) -> TokenStream {
        let k = self.kernel;
        match stmt {
            Stmt::For {
                var,
                start,
                end,
                step,
                inclusive,
                reverse,
                ..
            } => {
                let l = k.local(*var);
                let s = self.info.local_ty(*var);
                let t = ty(s);
                let n = ident(&l.name);
                let it = format_ident!("kf_i{}", index(*var));
                let endv = format_ident!("kf_end{}", index(*var));
                let stepv = format_ident!("kf_step{}", index(*var));
                let sv = self.expr(*start, mode);
                let ev = self.expr(*end, mode);
                let step = match step {
                    Some(st) => {
                        let st = self.expr(*st, mode);
                        quote!(::core::cmp::max(#st, 1u32))
                    }
                    None => quote!(1u32),
                };
                if *inclusive || *reverse {
                    // Whether a next value exists is decided before the body, on unsigned
                    // distances, so no bound overflows (the `back` module docs).
                    let startv = format_ident!("kf_start{}", index(*var));
                    let gov = format_ident!("kf_go{}", index(*var));
                    let (first, left, next) = match (reverse, inclusive) {
                        (false, _) => (
                            quote!(#startv),
                            quote!((#endv as u32).wrapping_sub(#it as u32)),
                            quote!((#it as u32).wrapping_add(#stepv) as #t),
                        ),
                        (true, incl) => (
                            if *incl {
                                quote!(#endv)
                            } else {
                                quote!((#endv as u32).wrapping_sub(1) as #t)
                            },
                            quote!((#it as u32).wrapping_sub(#startv as u32)),
                            quote!((#it as u32).wrapping_sub(#stepv) as #t),
                        ),
                    };
                    let nonempty = if *inclusive {
                        quote!(#startv <= #endv)
                    } else {
                        quote!(#startv < #endv)
                    };
                    return quote! {
                        {
                            let #startv: #t = #sv;
                            let #endv: #t = #ev;
                            let #stepv: u32 = #step;
                            let mut #gov: bool = #nonempty;
                            let mut #it: #t = #first;
                            while #gov {
                                let #n: #t = #it;
                                #gov = #left >= #stepv;
                                #it = #next;
                                #b
                            }
                        }
                    };
                }
                let advance = if s == Scalar::I32 {
                    quote!(#it = #it.wrapping_add(#stepv as i32);)
                } else {
                    quote!(#it = #it.wrapping_add(#stepv);)
                };
                quote! {
                    {
                        let mut #it: #t = #sv;
                        let #endv: #t = #ev;
                        let #stepv: u32 = #step;
                        while #it < #endv {
                            let #n: #t = #it;
                            #advance
                            #b
                        }
                    }
                }
            }
            Stmt::While { cond, .. } => {
                let c = self.expr(*cond, mode);
                quote!(while #c { #b })
            }
            Stmt::Loop { .. } => {
                quote!(loop { #b })
            }
            _ => TokenStream::new(),
        }
    }

    pub(super) fn expr(&self, id: ExprId, mode: Mode) -> TokenStream {
        let k = self.kernel;
        let t = self.info.ty(id);
        match k.expr(id) {
            Expr::Error => quote!(0),
            Expr::Literal(Literal::Bool(b)) => quote!(#b),
            Expr::Literal(Literal::Float(v, _)) => value(t, ConstValue::Float(*v)),
            Expr::Literal(Literal::Int(v, _)) => value(t, ConstValue::Int(*v as i128)),
            Expr::Constant(c) => constant(*c),
            Expr::Param(p) => {
                let n = ident(&k.param(*p).name);
                quote!(#n)
            }
            Expr::Local(l) if self.per_invocation(*l, mode) => self.local_place(*l),
            Expr::Local(l) if mode.ctx == Ctx::Item && self.id_local(*l).is_some() => {
                match self.id_local(*l) {
                    Some(Id::Global) => quote!(kf_gid[0usize]),
                    Some(Id::Local) => quote!(kf_lid[0usize]),
                    _ => quote!((kf_inv % 32u32)),
                }
            }
            Expr::Local(l) => {
                let n = ident(&k.local(*l).name);
                quote!(#n)
            }
            Expr::ArrayLoad { array, index } => {
                let name = &k.array(*array).name;
                let place = self.array_place(*array, mode);
                let fast = self.tile_place(*array, *index, mode);
                if let Some(at) = fast.or_else(|| self.fast_array_place(*array, *index, mode)) {
                    // SAFETY: as for a store.
                    return quote!((unsafe { *#place.get_unchecked(#at) }));
                }
                let i = self.expr(*index, mode);
                if self.reports_array(*array) {
                    let r = self.report(Target::Array(name), quote!(kf_i), false, mode, id);
                    return quote!({
                        let kf_i: u32 = #i;
                        let kf_r = rt::load_at(&#place, kf_i, #name)?;
                        #r
                        kf_r
                    });
                }
                quote!(rt::load_at(&#place, #i, #name)?)
            }
            Expr::SubgroupId(SubgroupId::Size) => quote!(32u32),
            // Subgroups are 32 consecutive linear local ids (`kf_inv`), as CUDA warps.
            Expr::SubgroupId(SubgroupId::InvocationId) => match mode.ctx {
                Ctx::Item => quote!((kf_inv % 32u32)),
                _ => quote!(0u32),
            },
            Expr::SubgroupId(SubgroupId::Id) => match mode.ctx {
                Ctx::Item => quote!((kf_inv / 32u32)),
                _ => quote!(0u32),
            },
            Expr::SubgroupId(SubgroupId::Count) => {
                let n = k.invocations_per_group().div_ceil(32);
                quote!(#n)
            }
            Expr::Builtin(b, axis) => {
                let a = axis.index();
                let wx = k.workgroup_size[0];
                match (b, mode.ids) {
                    (Builtin::GroupSize, _) => {
                        let v = k.workgroup_size[a];
                        quote!(#v)
                    }
                    (Builtin::NumGroups, _) => quote!(kf_groups[#a]),
                    (Builtin::GlobalId, Ids::Linear) if a == 0 => quote!(kf_inv),
                    (Builtin::LocalId, Ids::Linear) if a == 0 => quote!((kf_inv % #wx)),
                    (Builtin::GroupId, Ids::Linear) if a == 0 => quote!((kf_inv / #wx)),
                    (_, Ids::Linear) => quote!(0u32),
                    (Builtin::GlobalId, Ids::General) => quote!(kf_gid[#a]),
                    (Builtin::LocalId, Ids::General) => quote!(kf_lid[#a]),
                    (Builtin::GroupId, Ids::General) => quote!(kf_grp[#a]),
                }
            }
            Expr::Len(p) => {
                let n = ident(&k.param(*p).name);
                quote!(#n.len_u32())
            }
            Expr::Load { slice, index } => {
                let n = ident(&k.param(*slice).name);
                if let Some(at) = self.fast_place(*index, mode) {
                    let p = self.base_ptr(*slice);
                    // SAFETY: the stride loop checked `V + c0 + n <= len` for this slice, whose
                    // base address `kf_p_<name>` holds.
                    return quote!((unsafe { #p.add(#at).read() }));
                }
                let i = self.expr(*index, mode);
                if mode.fast.is_some_and(|l| l.stride(k, *index).is_some()) {
                    let p = self.base_ptr(*slice);
                    // SAFETY: as for stores (`Stmt::Store`).
                    quote!((unsafe { #p.add((#i) as usize).read() }))
                } else if self.checked {
                    let p = u32::from(slice.into_raw()) as usize;
                    let r = self.report(Target::Slice(p), quote!(kf_ix), false, mode, id);
                    quote!({
                        let kf_ix: u32 = #i;
                        let kf_r = #n.load(kf_ix)?;
                        #r
                        kf_r
                    })
                } else {
                    quote!(#n.load(#i)?)
                }
            }
            Expr::Unary { op, arg } => {
                let a = self.expr(*arg, mode);
                match (op, t) {
                    (UnaryOp::Neg, Scalar::I32 | Scalar::I64) => quote!(#a.wrapping_neg()),
                    (UnaryOp::Neg, _) => quote!((-#a)),
                    (UnaryOp::Not, _) => quote!((!#a)),
                }
            }
            Expr::Binary { op, left, right } => {
                let lt = self.info.ty(*left);
                let l = self.expr(*left, mode);
                let r = self.expr(*right, mode);
                let int = lt.is_int();
                match op {
                    BinaryOp::Add if int => quote!(#l.wrapping_add(#r)),
                    BinaryOp::Sub if int => quote!(#l.wrapping_sub(#r)),
                    BinaryOp::Mul if int => quote!(#l.wrapping_mul(#r)),
                    BinaryOp::Div if int => {
                        let f = format_ident!("div_{}", lt.rust_name());
                        quote!(rt::#f(#l, #r))
                    }
                    BinaryOp::Rem if int => {
                        let f = format_ident!("rem_{}", lt.rust_name());
                        quote!(rt::#f(#l, #r))
                    }
                    BinaryOp::Shl => quote!(#l.wrapping_shl(#r)),
                    BinaryOp::Shr => quote!(#l.wrapping_shr(#r)),
                    _ => {
                        let o: TokenStream = op.symbol().parse().expect("operator");
                        quote!((#l #o #r))
                    }
                }
            }
            Expr::Cast { expr, to } => {
                if let Some(b) = mode.stage.and_then(|st| st.input(k, *expr)) {
                    return cast(Scalar::F32, *to, b);
                }
                let e = self.expr(*expr, mode);
                cast(self.info.ty(*expr), *to, e)
            }
            Expr::Math { fun, args } => {
                let a: Vec<TokenStream> = args.iter().map(|&x| self.expr(x, mode)).collect();
                super::math::math(*fun, t, a)
            }
            Expr::Int { op, args } => {
                let a: Vec<TokenStream> = args.iter().map(|&x| self.expr(x, mode)).collect();
                super::int::int_op(*op, self.info.ty(args[0]), &a)
            }
        }
    }
}
