use super::ops::{self, Width};
use super::types::{uniform_ty, uniform_value, value};
use crate::back::target_name;
use crate::ir::*;
use crate::valid::Info;
use std::fmt::Write;

/// Writes one kernel as WGSL text.
pub struct Writer<'a> {
    pub(super) kernel: &'a Kernel,
    pub(super) info: &'a Info,
    pub(super) out: String,
    pub(super) indent: usize,
    /// Helper functions used so far, by name: their text.
    pub(super) helpers: std::collections::BTreeMap<String, String>,
    /// Every access checks its index and records a fault (`bounds.rs`).
    pub(super) bounds: bool,
    /// The slices bound as arrays of vectors, with their widths (`vector_access.rs`).
    pub(super) vector_slices: Vec<(ParamId, u32)>,
    /// The workgroup arrays declared as arrays of vectors, with their widths.
    pub(super) vector_arrays: Vec<(ArrayId, u32)>,
    /// Loops open that are written as loops (not unrolled).
    loops: u32,
    /// Private arrays read through a copy in the loop being written, with the copy's name
    /// (`proc::unroll::read_copies`).
    copies: Vec<(ArrayId, String)>,
    /// Copies made so far: each gets a name of its own, as two loops in one block may copy the
    /// same array.
    copies_made: u32,
}

pub(super) use super::types::ty;

impl<'a> Writer<'a> {
    /// A writer for `kernel`, whose types `info` holds.
    pub fn new(kernel: &'a Kernel, info: &'a Info) -> Self {
        Writer {
            kernel,
            info,
            out: String::new(),
            indent: 1,
            helpers: Default::default(),
            bounds: false,
            vector_slices: super::vector_access::vector_bindings(kernel),
            vector_arrays: super::vector_access::vector_arrays(kernel),
            loops: 0,
            copies: Vec::new(),
            copies_made: 0,
        }
    }

    /// The same writer, with every access bounds-checked when `on` (`bounds.rs`; the scalar
    /// module only).
    pub fn bounds_checked(mut self, on: bool) -> Self {
        self.bounds = on;
        self
    }

    /// The whole module.
    pub fn write(&mut self) -> String {
        let k = self.kernel;
        self.matrix_decls();
        for stmt in &k.body {
            self.stmt(stmt);
        }
        let body = std::mem::take(&mut self.out);
        let mut o = self.header(&self.vector_slices);
        let [wx, wy, wz] = k.workgroup_size;
        let name = &k.name;
        let (mut sg_params, mut sg_builtins, mut sg_args) = if k.uses_subgroups() {
            (
                ", kf_sg_size: u32, kf_sg_id: u32".to_string(),
                "    @builtin(subgroup_size) kf_sg_size: u32,\n    \
                 @builtin(subgroup_invocation_id) kf_sg_id: u32,\n"
                    .to_string(),
                ", kf_sg_size, kf_sg_id".to_string(),
            )
        } else {
            Default::default()
        };
        let indexed = k
            .exprs
            .values()
            .any(|e| matches!(e, Expr::SubgroupId(SubgroupId::Id | SubgroupId::Count)));
        if indexed {
            sg_params.push_str(", kf_sg_index: u32, kf_sg_count: u32");
            sg_builtins.push_str(
                "    @builtin(subgroup_id) kf_sg_index: u32,\n    \
                 @builtin(num_subgroups) kf_sg_count: u32,\n",
            );
            sg_args.push_str(", kf_sg_index, kf_sg_count");
        }
        // The body, called by two entry points: `{name}` when the runtime dispatches the
        // logical grid itself, `{name}_folded` when it folded the grid into more dimensions (a
        // dimension past the adapter's limit). One entry point with the recovery behind a
        // branch, even a pipeline-constant one, cost lavapipe's softmax 3-18%.
        let _ = write!(
            o,
            "\nfn kf_{name}(kf_group: vec3<u32>, kf_lid: vec3<u32>{sg_params}) {{\n    \
             let kf_global = kf_group * vec3<u32>({wx}u, {wy}u, {wz}u) + kf_lid;\n{body}}}\n"
        );
        let _ = write!(
            o,
            "\n@compute @workgroup_size({wx}, {wy}, {wz})\n\
             fn {name}(\n    @builtin(workgroup_id) kf_wid: vec3<u32>,\n    \
             @builtin(local_invocation_id) kf_lid: vec3<u32>,\n{sg_builtins}) {{\n    \
             kf_{name}(kf_wid, kf_lid{sg_args});\n}}\n"
        );
        let _ = write!(
            o,
            "\n@compute @workgroup_size({wx}, {wy}, {wz})\n\
             fn {name}_folded(\n    @builtin(workgroup_id) kf_wid: vec3<u32>,\n    \
             @builtin(num_workgroups) kf_nwg: vec3<u32>,\n    \
             @builtin(local_invocation_id) kf_lid: vec3<u32>,\n{sg_builtins}) {{\n    \
             // Recover the logical ids from the linear workgroup index.\n    \
             let kf_lin = kf_wid.x + kf_nwg.x * (kf_wid.y + kf_nwg.y * kf_wid.z);\n    \
             if kf_lin >= kf_params.groups_x * kf_params.groups_y * kf_params.groups_z {{\n        \
             return;\n    }}\n    \
             let kf_group = vec3<u32>(kf_lin % kf_params.groups_x, \
             (kf_lin / kf_params.groups_x) % kf_params.groups_y, \
             kf_lin / (kf_params.groups_x * kf_params.groups_y));\n    \
             kf_{name}(kf_group, kf_lid{sg_args});\n}}\n"
        );
        o
    }

    /// The comment line, the parameter struct, the bindings (`vecN` arrays for the slices in
    /// `vector_slices`, with their `N`) and the helpers used so far.
    pub(super) fn header(&self, vector_slices: &[(ParamId, u32)]) -> String {
        let k = self.kernel;
        let mut o = String::new();
        let _ = writeln!(
            o,
            "// Generated by kernelforge from `{}`. Do not edit.",
            k.name
        );
        if self.info.uses(k, Scalar::F16) {
            o.push_str("enable f16;\n");
        }
        o.push_str(
            "struct KfParams {\n    groups_x: u32,\n    groups_y: u32,\n    groups_z: u32,\n",
        );
        // The launch ABI's words: a 64-bit scalar starts at an even word, after a pad word.
        let mut words = 3;
        for p in k.params.values() {
            let n = target_name(&p.name);
            match p.kind {
                ParamKind::Scalar(s) => {
                    if s.is_wide() && words % 2 == 1 {
                        let _ = writeln!(o, "    kf_pad_{n}: u32,");
                        words += 1;
                    }
                    words += if s.is_wide() { 2 } else { 1 };
                    let _ = writeln!(o, "    {n}: {},", uniform_ty(s));
                }
                ParamKind::Slice { .. } => {
                    words += 1;
                    let _ = writeln!(o, "    len_{n}: u32,");
                }
            }
        }
        o.push_str("}\n\n@group(0) @binding(0) var<uniform> kf_params: KfParams;\n");
        // Each slice's first element's offset from the start of its binding: 0 (folded away)
        // but for a view at an offset that is not a multiple of the storage offset
        // alignment, whose pipeline is created with the remainder (the `back` module docs).
        for (i, p) in k.params.values().enumerate() {
            if let ParamKind::Slice { .. } = p.kind {
                let _ = writeln!(o, "override kf_off_{i}: u32 = 0u;");
            }
        }
        let mut binding = 1;
        for (id, p) in k.params.iter() {
            if let ParamKind::Slice {
                elem,
                mutable,
                atomic,
            } = p.kind
            {
                let access = if mutable { "read_write" } else { "read" };
                let elem = if elem == Scalar::BF16 {
                    // Two elements a word; stores replace a half atomically (`bf16.rs`).
                    if mutable { "atomic<u32>" } else { "u32" }.to_string()
                } else if let Some((_, n)) = vector_slices.iter().find(|(p, _)| *p == id) {
                    format!("vec{n}<{}>", ty(elem))
                } else if atomic {
                    super::atomic::atomic_ty(elem)
                } else {
                    ty(elem).to_string()
                };
                let _ = writeln!(
                    o,
                    "@group(0) @binding({binding}) var<storage, {access}> {}: array<{elem}>;",
                    target_name(&p.name),
                );
                binding += 1;
            }
        }
        if self.bounds {
            o.push_str(&self.bounds_header(binding));
        }
        for (id, a) in k.arrays.iter().filter(|(_, a)| a.space == Space::Workgroup) {
            let elem = if a.atomic {
                super::atomic::atomic_ty(self.info.array_elem(id))
            } else {
                ty(self.info.array_elem(id)).to_string()
            };
            if a.len_param.is_some() {
                // Sized when the runtime creates the pipeline (one per length, cached).
                let _ = writeln!(
                    o,
                    "override kf_shared_len: u32;\nvar<workgroup> {}: array<{elem}, kf_shared_len>;",
                    target_name(&a.name)
                );
            } else if let Some(&(_, n)) = self.vector_arrays.iter().find(|(b, _)| *b == id) {
                let _ = writeln!(
                    o,
                    "var<workgroup> {}: array<vec{n}<{elem}>, {}>;",
                    target_name(&a.name),
                    a.len / n
                );
            } else {
                let _ = writeln!(
                    o,
                    "var<workgroup> {}: array<{elem}, {}>;",
                    target_name(&a.name),
                    a.len
                );
            }
        }
        for h in self.helpers.values() {
            o.push('\n');
            o.push_str(h);
        }
        o
    }

    /// Adds a helper written for its types and width, `text` under `name`, to the module
    /// (once) and returns its name; table helpers go through [`use_helper`](Self::use_helper).
    pub(super) fn add_helper(&mut self, name: String, text: String) -> String {
        self.helpers.entry(name.clone()).or_insert(text);
        name
    }

    /// Adds helper `name` (from the tables of `wide.rs`, `int.rs` and `bf16.rs`) and those it
    /// calls to the module.
    pub(super) fn use_helper(&mut self, name: &'static str) -> &'static str {
        if self.helpers.contains_key(name) {
            return name;
        }
        let (_, deps, text) = super::wide::HELPERS
            .iter()
            .chain(super::int::HELPERS)
            .chain(super::bf16::HELPERS)
            .find(|(n, _, _)| *n == name)
            .unwrap_or_else(|| panic!("no WGSL helper {name}"));
        self.helpers.insert(name.to_string(), text.to_string());
        for d in *deps {
            self.use_helper(d);
        }
        name
    }

    pub(super) fn line(&mut self, text: &str) {
        for _ in 0..self.indent {
            self.out.push_str("    ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// Before a loop that is written as one: the copies of the arrays it reads through them
    /// (outermost loops only, `proc::unroll::read_copies`); returns what [`Self::close_loop`]
    /// takes.
    fn open_loop(&mut self, stmt: &Stmt) -> usize {
        let before = self.copies.len();
        if self.loops == 0 {
            for a in crate::proc::unroll::read_copies(self.kernel, stmt) {
                let n = target_name(&self.kernel.array(a).name);
                let copy = format!("kf_copy{}", self.copies_made);
                self.copies_made += 1;
                self.line(&format!("var {copy} = {n};"));
                self.copies.push((a, copy));
            }
        }
        self.loops += 1;
        before
    }

    fn close_loop(&mut self, before: usize) {
        self.loops -= 1;
        self.copies.truncate(before);
    }

    fn block(&mut self, block: &Block) {
        self.indent += 1;
        for s in block {
            self.stmt(s);
        }
        self.indent -= 1;
    }

    /// The body of an inclusive or reversed `for` over `kf_end{n}` and `kf_step{n}` (declared)
    /// from `start`: whether a next value exists is decided before the body, on unsigned
    /// distances, so no bound overflows (the `back` module docs).
    fn general_for(
        &mut self,
        t: Scalar,
        n: u32,
        start: &str,
        (inclusive, reverse): (bool, bool),
        var: LocalId,
        body: &Block,
    ) {
        let tt = ty(t);
        let bits = |v: &str| format!("bitcast<u32>({v})");
        self.line(&format!("let kf_start{n}: {tt} = {start};"));
        let cmp = if inclusive { "<=" } else { "<" };
        self.line(&format!(
            "var kf_go{n}: bool = kf_start{n} {cmp} kf_end{n};"
        ));
        let (i, s, e) = (
            format!("kf_i{n}"),
            format!("kf_start{n}"),
            format!("kf_end{n}"),
        );
        let (first, left, dir) = match (reverse, inclusive) {
            (false, _) => (s.clone(), format!("{} - {}", bits(&e), bits(&i)), "+"),
            (true, true) => (e.clone(), format!("{} - {}", bits(&i), bits(&s)), "-"),
            (true, false) => (
                format!("bitcast<{tt}>({} - 1u)", bits(&e)),
                format!("{} - {}", bits(&i), bits(&s)),
                "-",
            ),
        };
        self.line(&format!("var {i}: {tt} = {first};"));
        self.line("loop {");
        self.indent += 1;
        self.line(&format!("if !kf_go{n} {{ break; }}"));
        let name = self.local_name(var);
        self.line(&format!("let {name}: {tt} = {i};"));
        self.line(&format!("kf_go{n} = {left} >= kf_step{n};"));
        self.line(&format!(
            "{i} = bitcast<{tt}>({} {dir} kf_step{n});",
            bits(&i)
        ));
        self.indent -= 1;
        self.block(body);
        self.line("}");
    }

    /// Element `i` of slice parameter `slice`: its binding starts up to the storage offset
    /// alignment before a view's first element, and an override constant says how far
    /// (`WgpuDevice::bind_start` in the runtime).
    pub(super) fn slice_at(&self, slice: ParamId, i: &str) -> String {
        let n = target_name(&self.kernel.param(slice).name);
        format!("{n}[{} + {i}]", self.slice_off(slice))
    }

    /// The override constant holding slice `slice`'s offset in its binding, `kf_off_<k>` for
    /// parameter `k`.
    pub(super) fn slice_off(&self, slice: ParamId) -> String {
        let k = self
            .kernel
            .params
            .iter()
            .position(|(id, _)| id == slice)
            .unwrap_or(0);
        format!("kf_off_{k}")
    }

    pub(super) fn local_name(&self, l: LocalId) -> String {
        target_name(&self.kernel.local(l).name)
    }

    fn stmt(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::Let { local, init } => {
                let l = self.kernel.local(*local);
                let t = ty(self.info.local_ty(*local));
                let name = self.local_name(*local);
                match init {
                    Some(v) => {
                        let v = self.expr(*v);
                        let kw = if l.mutable { "var" } else { "let" };
                        self.line(&format!("{kw} {name}: {t} = {v};"));
                    }
                    None => self.line(&format!("var {name}: {t};")),
                }
            }
            Stmt::Assign { local, value } => {
                let v = self.expr(*value);
                let name = self.local_name(*local);
                self.line(&format!("{name} = {v};"));
            }
            Stmt::Vector(op) => self.vector_stmt(op),
            Stmt::Store {
                slice,
                index,
                value,
            } => {
                let i = self.expr(*index);
                let v = self.expr(*value);
                let bf16 = self.info.ty(*value) == Scalar::BF16;
                let slice = *slice;
                self.guarded(AtomicTarget::Slice(slice), i, Some(v), |w, i, v| {
                    let v = v.unwrap_or_default();
                    let text = if bf16 {
                        w.store_bf16(slice, i, v)
                    } else {
                        format!("{} = {v};", w.slice_at(slice, i))
                    };
                    w.line(&text);
                });
            }
            Stmt::Subgroup {
                op,
                value,
                arg,
                result,
                ..
            } => {
                let v = self.expr(*value);
                let call = match (op, arg) {
                    (SubgroupOp::Broadcast, Some(a)) => {
                        // `subgroupBroadcast` takes only a constant lane.
                        format!("subgroupShuffle({v}, {})", self.expr(*a))
                    }
                    (SubgroupOp::ShuffleXor, Some(a)) => {
                        format!("subgroupShuffleXor({v}, {})", self.expr(*a))
                    }
                    (SubgroupOp::Min, _) => format!("subgroupMin({v})"),
                    (SubgroupOp::Max, _) => format!("subgroupMax({v})"),
                    _ => format!("subgroupAdd({v})"),
                };
                let name = self.local_name(*result);
                self.line(&format!("{name} = {call};"));
            }
            Stmt::Atomic {
                target,
                index,
                op,
                args,
                result,
            } => self.atomic(*target, *index, *op, args, *result),
            Stmt::Matrix(op) => self.matrix_stmt(op),
            Stmt::If {
                cond,
                accept,
                reject,
            } => {
                let c = self.expr(*cond);
                self.line(&format!("if {c} {{"));
                self.block(accept);
                if reject.is_empty() {
                    self.line("}");
                } else {
                    self.line("} else {");
                    self.block(reject);
                    self.line("}");
                }
            }
            Stmt::For {
                var,
                start,
                end,
                step,
                inclusive,
                reverse,
                body,
                ..
            } => {
                let t = self.info.local_ty(*var);
                if let Some(values) = crate::proc::unroll::unrolled_values(self.kernel, stmt) {
                    // Written out, a block per value (`proc::unroll` says why).
                    let (name, suffix) = (
                        self.local_name(*var),
                        if t == Scalar::I32 { "i" } else { "u" },
                    );
                    for v in values {
                        self.line("{");
                        self.indent += 1;
                        self.line(&format!("let {name}: {} = {v}{suffix};", ty(t)));
                        self.indent -= 1;
                        self.block(body);
                        self.line("}");
                    }
                    return;
                }
                let n = index(*var);
                let s = self.expr(*start);
                let e = self.expr(*end);
                let open = self.open_loop(stmt);
                self.line("{");
                self.indent += 1;
                self.line(&format!("let kf_end{n}: {} = {e};", ty(t)));
                if *inclusive || *reverse {
                    let st = match step {
                        Some(st) => format!("max({}, 1u)", self.expr(*st)),
                        None => "1u".into(),
                    };
                    self.line(&format!("let kf_step{n}: u32 = {st};"));
                    self.general_for(t, n, &s, (*inclusive, *reverse), *var, body);
                    self.indent -= 1;
                    self.line("}");
                    self.close_loop(open);
                    return;
                }
                let step = match step {
                    Some(st) => {
                        let st = self.expr(*st);
                        self.line(&format!("let kf_step{n}: u32 = max({st}, 1u);"));
                        format!("{}(kf_step{n})", ty(t))
                    }
                    None => format!("1{}", if t == Scalar::I32 { "i" } else { "u" }),
                };
                self.line(&format!(
                    "for (var kf_i{n}: {} = {s}; kf_i{n} < kf_end{n}; kf_i{n} = kf_i{n} + {step}) {{",
                    ty(t)
                ));
                self.indent += 1;
                let name = self.local_name(*var);
                self.line(&format!("let {name}: {} = kf_i{n};", ty(t)));
                self.indent -= 1;
                self.block(body);
                self.line("}");
                self.indent -= 1;
                self.line("}");
                self.close_loop(open);
            }
            Stmt::While { cond, body } => {
                let open = self.open_loop(stmt);
                let c = self.expr(*cond);
                self.line(&format!("while {c} {{"));
                self.block(body);
                self.line("}");
                self.close_loop(open);
            }
            Stmt::Loop { body } => {
                let open = self.open_loop(stmt);
                self.line("loop {");
                self.block(body);
                self.line("}");
                self.close_loop(open);
            }
            Stmt::Break => self.line("break;"),
            Stmt::Continue => self.line("continue;"),
            Stmt::Return => self.line("return;"),
            Stmt::Barrier(Barrier::Full) => {
                // CUDA's `__syncthreads()` orders both kinds of memory; WGSL splits them.
                self.line("storageBarrier();");
                self.line("workgroupBarrier();");
            }
            Stmt::Barrier(Barrier::Workgroup) => self.line("workgroupBarrier();"),
            Stmt::Barrier(Barrier::Subgroup) => self.line("subgroupBarrier();"),
            Stmt::ArrayDecl { array, init } => {
                let a = self.kernel.array(*array);
                let (n, t, len) = (
                    target_name(&a.name),
                    ty(self.info.array_elem(*array)),
                    a.len,
                );
                let id = index(*array);
                match init {
                    // A short array is built whole, with no loop to unroll (`proc::unroll`).
                    Some(v) if len <= 16 => {
                        let v = self.expr(*v);
                        self.line(&format!("let kf_fill{id}: {t} = {v};"));
                        let fill = vec![format!("kf_fill{id}"); len as usize].join(", ");
                        self.line(&format!(
                            "var {n}: array<{t}, {len}> = array<{t}, {len}>({fill});"
                        ));
                    }
                    // A zero fill is WGSL's zero-value constructor, with no fill loop to index
                    // the array by a variable (which keeps it in memory on lavapipe). Written
                    // out, not left to the declaration's implicit zero: naga releases before
                    // the fix of gfx-rs/wgpu#9489 zeroed an uninitialised `var` once, at the
                    // function's entry, not on each iteration of a loop that declares it.
                    Some(v) if is_zero(self.kernel.expr(*v)) => {
                        self.line(&format!(
                            "var {n}: array<{t}, {len}> = array<{t}, {len}>();"
                        ));
                    }
                    Some(v) => {
                        self.line(&format!("var {n}: array<{t}, {len}>;"));
                        let v = self.expr(*v);
                        self.line(&format!("let kf_fill{id}: {t} = {v};"));
                        self.line(&format!(
                            "for (var kf_k{id} = 0u; kf_k{id} < {len}u; kf_k{id}++) {{ \
                             {n}[kf_k{id}] = kf_fill{id}; }}"
                        ));
                    }
                    None => self.line(&format!("var {n}: array<{t}, {len}>;")),
                }
            }
            Stmt::ArrayStore {
                array,
                index,
                value,
            } => {
                let n = target_name(&self.kernel.array(*array).name);
                let i = self.expr(*index);
                let v = self.expr(*value);
                self.guarded(AtomicTarget::Array(*array), i, Some(v), |w, i, v| {
                    w.line(&format!("{n}[{i}] = {};", v.unwrap_or_default()));
                });
            }
        }
    }

    pub(super) fn expr(&mut self, id: ExprId) -> String {
        let t = self.info.ty(id);
        match self.kernel.expr(id).clone() {
            Expr::Error => "0".into(),
            Expr::ArrayLoad { array, index } => {
                let n = match self.copies.iter().find(|(a, _)| *a == array) {
                    Some((_, copy)) => copy.clone(),
                    None => target_name(&self.kernel.array(array).name),
                };
                let i = self.expr(index);
                format!("{n}[{}]", self.load_index(AtomicTarget::Array(array), i))
            }
            Expr::Literal(Literal::Bool(b)) => b.to_string(),
            Expr::Literal(Literal::Float(v, _)) => value(t, ConstValue::Float(v)),
            Expr::Literal(Literal::Int(v, _)) => value(t, ConstValue::Int(v as i128)),
            Expr::Constant(c) => value(t, c.value()),
            Expr::Param(p) => {
                let param = self.kernel.param(p);
                let n = target_name(&param.name);
                uniform_value(t, &format!("kf_params.{n}"))
            }
            Expr::Local(l) => self.local_name(l),
            Expr::SubgroupId(SubgroupId::Size) => "kf_sg_size".into(),
            Expr::SubgroupId(SubgroupId::InvocationId) => "kf_sg_id".into(),
            Expr::SubgroupId(SubgroupId::Id) => "kf_sg_index".into(),
            Expr::SubgroupId(SubgroupId::Count) => "kf_sg_count".into(),
            Expr::Builtin(b, axis) => {
                let a = axis.name();
                match b {
                    Builtin::GlobalId => format!("kf_global.{a}"),
                    Builtin::LocalId => format!("kf_lid.{a}"),
                    Builtin::GroupId => format!("kf_group.{a}"),
                    Builtin::GroupSize => format!("{}u", self.kernel.workgroup_size[axis.index()]),
                    Builtin::NumGroups => format!("kf_params.groups_{a}"),
                }
            }
            Expr::Len(p) => format!("kf_params.len_{}", target_name(&self.kernel.param(p).name)),
            Expr::Load { slice, index } => {
                let i = self.expr(index);
                let i = self.load_index(AtomicTarget::Slice(slice), i);
                if t == Scalar::BF16 {
                    return self.load_bf16(slice, &i);
                }
                self.slice_at(slice, &i)
            }
            Expr::Unary { op, arg } => {
                let a = self.expr(arg);
                if op == UnaryOp::Neg && t.is_int() && t.is_wide() {
                    return self.neg64(&a);
                }
                ops::unary(op, t, &a)
            }
            Expr::Binary { op, left, right } => {
                let lt = self.info.ty(left);
                let l = self.expr(left);
                let r = self.expr(right);
                if lt.is_int() && lt.is_wide() {
                    return self.binary64(op, lt, &l, &r);
                }
                if lt == Scalar::BF16 {
                    return self.binary_bf16(op, &l, &r);
                }
                self.binary(op, lt, (&l, &r), right, Width::Scalar)
            }
            Expr::Cast { expr, to } => {
                let from = self.info.ty(expr);
                let e = self.expr(expr);
                let wide = |s: Scalar| s.is_int() && s.is_wide();
                if wide(from) || wide(to) {
                    self.cast64(from, to, &e)
                } else if from == Scalar::BF16 || to == Scalar::BF16 {
                    self.cast_bf16(from, to, &e)
                } else {
                    self.cast(from, to, e, Width::Scalar)
                }
            }
            Expr::Math { fun, args } => {
                let a: Vec<String> = args.iter().map(|&x| self.expr(x)).collect();
                match t {
                    Scalar::U64 | Scalar::I64 => self.math64(fun, t, &a),
                    Scalar::BF16 => self.math_bf16(fun, &a),
                    _ => self.math(fun, t, &a, Width::Scalar),
                }
            }
            Expr::Int { op, args } => {
                let a: Vec<String> = args.iter().map(|&x| self.expr(x)).collect();
                self.int_op(op, self.info.ty(args[0]), &a)
            }
        }
    }
}

/// Whether `e` is a literal whose bits are all zero (`0`, `0.0`, `false`): the elements of
/// WGSL's zero value.
fn is_zero(e: &Expr) -> bool {
    match *e {
        Expr::Literal(Literal::Int(v, _)) => v == 0,
        Expr::Literal(Literal::Float(v, _)) => v.to_bits() == 0,
        Expr::Literal(Literal::Bool(b)) => !b,
        _ => false,
    }
}
