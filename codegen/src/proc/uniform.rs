//! Uniformity: which values and which control flow are the same for every invocation of a
//! workgroup.
//!
//! A value is *uniform* when every invocation of a workgroup computes the same one. Literals,
//! constants, scalar parameters, slice lengths, `group_id()`, `group_size()` and `num_groups()`
//! are uniform; `local_id()` and `global_id()` are not; loads from a read-only slice are uniform
//! at a uniform index; loads from a `&mut` slice, from workgroup memory (another invocation may
//! be writing it) and from private arrays are not (as in WGSL's uniformity analysis); the
//! value an atomic operation returns is not. Operators
//! and math of uniform operands are uniform. A local is uniform when every assignment to it
//! (its `let` included) stores a uniform value under uniform control flow.
//!
//! Control flow is uniform at the start of the kernel; it stays uniform inside an `if` or loop
//! whose condition (or bounds) is uniform. It becomes non-uniform for the rest of the kernel
//! after a `return` taken under non-uniform control, and for the rest of a loop (all later
//! iterations included) after a `break` or `continue` taken under non-uniform control.
//!
//! A `barrier()` must be reached under uniform control flow: on CUDA a barrier that only some
//! invocations reach hangs or corrupts memory, and WGSL rejects it. The same rules decide, in
//! the CPU back end, what runs once per workgroup and what runs once per invocation.
//!
//! The same analysis runs a second time one level down, for the *subgroup*: a value is
//! subgroup-uniform when every lane of a subgroup computes the same one. `subgroup_id()` and
//! `num_subgroups()` are, and so are the results of `subgroup_add/min/max` and
//! `subgroup_broadcast` (not `subgroup_shuffle_xor`'s); `subgroup_invocation_id()` is not.
//! Subgroup operations and `subgroup_barrier()` need control that is uniform across each
//! subgroup only: a warp per row may `return` when its row is past the end, or loop over rows
//! `(subgroup_id()..rows).step_by(num_subgroups())`, and still reduce.
//!
//! A third pass does the same for the *warp*: 32 consecutive linear local ids, across which
//! matrix tiles (`ir::matrix`) must be uniform. Every target runs tiles on such warps (a CUDA
//! warp; the CPU's subgroups; on wgpu the fallback needs no hardware subgroup), so they follow
//! CUDA's idiom, `let warp = local_id().x / 32`: in a workgroup whose x size is a multiple of
//! 32, `local_id().x / c` and `global_id().x / c` (`c` a multiple of 32), `>> s` (`s` at least
//! 5) and the y and z ids are warp-uniform. `subgroup_id()` and the results of subgroup
//! operations are not (on wgpu a subgroup may have 8 lanes, or 64), nor is what differs across
//! the workgroup.
//!
//! A local is *settled* when it is uniform, or when it is immutable and its `let`, reached
//! under uniform control, binds it to a value that does not depend on the invocation: the
//! uniform values above, plus loads from `&mut` slices and workgroup memory at settled
//! indices. Such a load is not uniform in WGSL's sense (another invocation may store to the
//! element meanwhile), but evaluated once, with every invocation at the `let`, it is what each
//! would read in that schedule, and in a program free of data races every schedule reads the
//! same. The CPU back end evaluates settled `let`s once per workgroup (`let mean = tile[0] /
//! n` after a reduction), instead of keeping a copy per invocation.

use crate::ir::*;
use proc_macro2::Span;

/// The result of the analysis.
#[derive(Clone, Debug)]
pub struct Uniformity {
    /// `locals[l]`: whether local `l` is uniform.
    pub locals: HandleMap<Local, bool>,
    /// `settled[l]`: whether local `l` is settled (see the module docs).
    pub settled: HandleMap<Local, bool>,
    /// `sub_locals[l]`: whether local `l` is subgroup-uniform (see the module docs).
    pub sub_locals: HandleMap<Local, bool>,
    /// `warp_locals[l]`: whether local `l` is warp-uniform (see the module docs).
    pub warp_locals: HandleMap<Local, bool>,
    /// `id_locals[l]`: local `l` is immutable and bound to `local_id().x` or `global_id().x`.
    id_locals: HandleMap<Local, bool>,
    /// Barriers reached under control that is not uniform across the workgroup, and subgroup
    /// operations under control that is not uniform across the subgroup: their span and why
    /// control diverges there.
    pub violations: Vec<(Span, String)>,
}

/// The invocations a value or control flow is uniform across.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Workgroup,
    Subgroup,
    Warp,
}

impl Uniformity {
    /// Whether expression `id` is uniform.
    pub fn expr(&self, k: &Kernel, id: ExprId) -> bool {
        self.culprit(k, id, Level::Workgroup).is_none()
    }

    /// Whether expression `id` is subgroup-uniform.
    pub fn sub_expr(&self, k: &Kernel, id: ExprId) -> bool {
        self.culprit(k, id, Level::Subgroup).is_none()
    }

    /// Whether expression `id` is the same across each 32 consecutive linear local ids: a CUDA
    /// warp, and the CPU's subgroups, where both subgroup- and warp-uniform values are.
    pub fn lanes_expr(&self, k: &Kernel, id: ExprId) -> bool {
        self.sub_expr(k, id) || self.culprit(k, id, Level::Warp).is_none()
    }

    /// Whether `id` is `x / c` (`c` a multiple of 32) or `x >> s` (`s >= 5`) with `x` the
    /// x component of `local_id()` or `global_id()` (or a local bound to one), in a workgroup
    /// whose x size is a multiple of 32: the same across a warp.
    fn warp_index(&self, k: &Kernel, id: ExprId) -> bool {
        let Expr::Binary { op, left, right } = k.expr(id) else {
            return false;
        };
        let lit = match k.expr(*right) {
            Expr::Literal(Literal::Int(v, _)) => *v,
            _ => return false,
        };
        let by = match op {
            BinaryOp::Div => lit >= 32 && lit.is_multiple_of(32),
            BinaryOp::Shr => (5..32).contains(&lit),
            _ => false,
        };
        let x = match k.expr(*left) {
            Expr::Builtin(Builtin::LocalId | Builtin::GlobalId, Axis::X) => true,
            Expr::Local(l) => self.id_locals[*l],
            _ => false,
        };
        by && x && k.workgroup_size[0].is_multiple_of(32)
    }

    /// The first part of `id` that makes it differ between invocations at `level`, or `None`
    /// when it is uniform there. (Found without allocating: the CPU back end asks often; only
    /// a diagnostic describes it.)
    fn culprit(&self, k: &Kernel, id: ExprId, level: Level) -> Option<Culprit> {
        let sub = level == Level::Subgroup;
        let warp = level == Level::Warp;
        if warp && self.warp_index(k, id) {
            return None;
        }
        match k.expr(id) {
            Expr::Literal(_) | Expr::Constant(_) | Expr::Param(_) | Expr::Len(_) => None,
            Expr::Error => None,
            Expr::Local(l) => {
                let uniform = match level {
                    Level::Workgroup => self.locals[*l],
                    Level::Subgroup => self.sub_locals[*l],
                    Level::Warp => self.warp_locals[*l],
                };
                (!uniform).then_some(Culprit::Local(*l))
            }
            Expr::Builtin(b, axis) => match b {
                Builtin::GroupId | Builtin::GroupSize | Builtin::NumGroups => None,
                // A warp lies within one row of x ids.
                Builtin::LocalId | Builtin::GlobalId
                    if warp && *axis != Axis::X && k.workgroup_size[0].is_multiple_of(32) =>
                {
                    None
                }
                b => Some(Culprit::Builtin(*b)),
            },
            Expr::SubgroupId(s) => match s {
                SubgroupId::Size | SubgroupId::Count => None,
                SubgroupId::Id if sub => None,
                s => Some(Culprit::Subgroup(*s)),
            },
            Expr::Load { slice, index } => match k.param(*slice).kind {
                ParamKind::Slice { mutable: false, .. } => self.culprit(k, *index, level),
                _ => Some(Culprit::Load(*slice)),
            },
            Expr::ArrayLoad { array, .. } => Some(Culprit::Array(*array)),
            other => expr_operands(other)
                .iter()
                .find_map(|&o| self.culprit(k, o, level)),
        }
    }

    /// Whether expression `id` is settled: the same for every invocation evaluated once at
    /// the same point (see the module docs).
    pub fn settled(&self, k: &Kernel, id: ExprId) -> bool {
        match k.expr(id) {
            Expr::Local(l) => self.settled[*l],
            Expr::Load { index, .. } => self.settled(k, *index),
            Expr::ArrayLoad { array, index } => {
                k.array(*array).space == Space::Workgroup && self.settled(k, *index)
            }
            Expr::Literal(_)
            | Expr::Constant(_)
            | Expr::Param(_)
            | Expr::Len(_)
            | Expr::Error
            | Expr::Builtin(..)
            | Expr::SubgroupId(_) => self.expr(k, id),
            other => expr_operands(other).iter().all(|&o| self.settled(k, o)),
        }
    }
}

/// What makes a value differ between invocations.
#[derive(Clone, Copy)]
enum Culprit {
    Local(LocalId),
    Builtin(Builtin),
    Subgroup(SubgroupId),
    /// A load from a `&mut` (or atomic) slice.
    Load(ParamId),
    Array(ArrayId),
}

impl Culprit {
    /// The culprit as the source names it: `` `row` ``, `` `local_id()` ``, ...
    fn describe(self, k: &Kernel) -> String {
        match self {
            Culprit::Local(l) => format!("`{}`", k.local(l).name),
            Culprit::Builtin(b) => format!("`{}()`", b.name()),
            Culprit::Subgroup(s) => format!("`{}()`", s.name()),
            Culprit::Load(p) => format!(
                "`{}[..]` (a `&mut` slice, which other invocations may write)",
                k.param(p).name
            ),
            Culprit::Array(a) => format!("`{}[..]`", k.array(a).name),
        }
    }
}

/// Analyses `kernel`: across the workgroup, then across each subgroup.
pub fn analyse(kernel: &Kernel) -> Uniformity {
    let mut id_locals = kernel.locals.map(|_, _| false);
    walk_stmts(&kernel.body, &mut |s| {
        if let Stmt::Let {
            local,
            init: Some(init),
        } = s
        {
            id_locals[*local] = !kernel.local(*local).mutable
                && matches!(
                    kernel.expr(*init),
                    Expr::Builtin(Builtin::LocalId | Builtin::GlobalId, Axis::X)
                );
        }
    });
    let mut u = Uniformity {
        locals: kernel.locals.map(|_, _| true),
        settled: kernel.locals.map(|_, _| true),
        sub_locals: kernel.locals.map(|_, _| true),
        warp_locals: kernel.locals.map(|_, _| true),
        id_locals,
        violations: Vec::new(),
    };
    let levels: &[Level] = if kernel.uses_matrices() {
        &[Level::Workgroup, Level::Subgroup, Level::Warp]
    } else {
        &[Level::Workgroup, Level::Subgroup]
    };
    for &level in levels {
        let mut a = Analysis {
            k: kernel,
            u,
            level,
            changed: false,
            report: false,
        };
        // Locals only ever turn non-uniform, so this reaches a fixed point.
        loop {
            a.changed = false;
            a.block(&kernel.body, None);
            if !a.changed {
                break;
            }
        }
        a.report = true;
        a.block(&kernel.body, None);
        u = a.u;
    }
    u.violations
        .sort_by_key(|(span, _)| (span.start().line, span.start().column));
    u
}

/// Why control is non-uniform, or `None` where it is uniform.
type Control = Option<String>;

/// What a block may have done under non-uniform control.
#[derive(Default, Clone)]
struct Exits {
    /// Some invocations may have returned.
    ret: bool,
    /// Some invocations may have left this loop iteration (`break` or `continue`).
    jump: bool,
    /// Where the first such exit was taken (`inside an `if` whose condition ...`).
    why: Option<String>,
}

impl Exits {
    /// Both `self`'s exits and `other`'s.
    fn or(mut self, other: Exits) -> Exits {
        self.ret |= other.ret;
        self.jump |= other.jump;
        self.why = self.why.or(other.why);
        self
    }
}

struct Analysis<'a> {
    k: &'a Kernel,
    u: Uniformity,
    /// The level of this pass: the locals it marks, the collectives it checks.
    level: Level,
    changed: bool,
    report: bool,
}

impl Analysis<'_> {
    /// Marks `l` neither uniform nor settled.
    fn demote(&mut self, l: LocalId) {
        self.unsettle(l);
        self.vary(l);
    }

    /// Marks `l` not uniform at this pass's level.
    fn vary(&mut self, l: LocalId) {
        let map = match self.level {
            Level::Workgroup => &mut self.u.locals,
            Level::Subgroup => &mut self.u.sub_locals,
            Level::Warp => &mut self.u.warp_locals,
        };
        if std::mem::replace(&mut map[l], false) {
            self.changed = true;
        }
    }

    /// Marks `l` not settled (a workgroup-level notion: the subgroup pass leaves it).
    fn unsettle(&mut self, l: LocalId) {
        if self.level == Level::Workgroup && std::mem::replace(&mut self.u.settled[l], false) {
            self.changed = true;
        }
    }

    /// Why `id` differs between invocations at this pass's level, or `None`.
    fn culprit(&self, id: ExprId) -> Option<Culprit> {
        self.u.culprit(self.k, id, self.level)
    }

    /// `l = value` (`let` when `is_let`) under `cf`.
    fn assign(&mut self, l: LocalId, value: Option<ExprId>, cf: &Control, is_let: bool) {
        if cf.is_some() || value.is_some_and(|v| self.culprit(v).is_some()) {
            let settles = is_let
                && cf.is_none()
                && !self.k.local(l).mutable
                && value.is_some_and(|v| self.u.settled(self.k, v));
            self.vary(l);
            if !settles {
                self.unsettle(l);
            }
        }
    }

    /// Control inside a construct whose condition is `cond`, entered under `cf`.
    fn under(&self, cf: &Control, conds: &[ExprId], what: &str) -> Control {
        if cf.is_some() {
            return cf.clone();
        }
        let across = match self.level {
            Level::Workgroup => "the workgroup",
            Level::Subgroup => "a subgroup",
            Level::Warp => "a warp of 32 lanes",
        };
        conds.iter().find_map(|&c| self.culprit(c)).map(|c| {
            let v = c.describe(self.k);
            format!("inside {what} depends on the invocation ({v} differs across {across})")
        })
    }

    fn block(&mut self, block: &Block, cf: Control) -> Exits {
        let mut exits = Exits::default();
        let mut cf = cf;
        for (stmt, span) in block.span_iter() {
            let why = exits
                .why
                .as_deref()
                .unwrap_or("under control that depends on it");
            if cf.is_none() && exits.ret {
                cf = Some(format!(
                    "after a `return` that depends on the invocation (taken {why})"
                ));
            } else if cf.is_none() && exits.jump {
                cf = Some(format!(
                    "after a `break` or `continue` that depends on the invocation (taken {why})"
                ));
            }
            let e = self.stmt(stmt, span, &cf);
            exits = exits.or(e);
        }
        exits
    }

    /// Records a collective operation (a barrier, a subgroup operation) at `site` reached under
    /// non-uniform control `cf`; `message` says what is wrong given why control diverges.
    fn collective(
        &mut self,
        level: Level,
        site: Span,
        cf: &Control,
        message: impl FnOnce(&str) -> String,
    ) {
        if level != self.level {
            return;
        }
        if let (Some(why), true) = (cf, self.report) {
            self.u.violations.push((site, message(why)));
        }
    }

    fn stmt(&mut self, stmt: &Stmt, span: Span, cf: &Control) -> Exits {
        match stmt {
            Stmt::Let { local, init } => self.assign(*local, *init, cf, true),
            Stmt::Assign { local, value } => self.assign(*local, Some(*value), cf, false),
            Stmt::Store { .. } | Stmt::ArrayDecl { .. } | Stmt::ArrayStore { .. } => {}
            // Lanes loaded are taken to differ between invocations, as atomic results are.
            Stmt::Vector(VectorOp::Load { lanes, .. }) => {
                for &l in lanes {
                    self.demote(l);
                }
            }
            Stmt::Vector(VectorOp::Store { .. }) => {}
            // Each invocation gets its own value back.
            Stmt::Atomic { result, .. } => {
                if let Some(l) = result {
                    self.demote(*l);
                }
            }
            Stmt::Subgroup { op, result, .. } => {
                // Every lane gets the reduction or the broadcast value; a shuffle differs.
                let lanes_agree = *op != SubgroupOp::ShuffleXor;
                if self.level != Level::Subgroup || !lanes_agree || cf.is_some() {
                    self.demote(*result);
                }
                self.collective(Level::Subgroup, span, cf, |why| {
                    format!(
                        "`{}()` {why}: every lane of a subgroup must reach a subgroup \
                         operation (a warp with missing lanes reads undefined values on CUDA); \
                         make the condition the same across each subgroup (derive it from \
                         `subgroup_id()`, `group_id()` or parameters), or move the operation \
                         out of the branch or loop",
                        op.name()
                    )
                });
            }
            Stmt::Matrix(op) => {
                let name = op.name(self.k.matrix(op.target()).role);
                self.collective(Level::Warp, span, cf, |why| {
                    format!(
                        "`{name}` {why}: every lane of a warp (32 consecutive local ids) must \
                         reach a matrix operation (the warp computes the tile together); make \
                         the condition the same across each warp (derive it from `local_id().x \
                         / 32`, `group_id()` or parameters), or move the operation out of the \
                         branch or loop"
                    )
                });
                if self.level == Level::Warp && self.report {
                    for e in op.exprs() {
                        if let Some(c) = self.culprit(e) {
                            let v = c.describe(self.k);
                            self.u.violations.push((
                                self.k.span(e),
                                format!(
                                    "the operands of `{name}` must be the same across a warp \
                                     (32 consecutive local ids, which load, multiply and store \
                                     the tile together), and this one depends on {v}; derive \
                                     it from `local_id().x / 32`, `group_id()`, parameters or \
                                     uniform values"
                                ),
                            ));
                        }
                    }
                }
            }
            Stmt::Barrier(Barrier::Subgroup) => self.collective(Level::Subgroup, span, cf, |why| {
                format!(
                    "`subgroup_barrier()` {why}: every lane of the subgroup must reach \
                         it, or it hangs on CUDA; make the condition the same across each \
                         subgroup, or move it out of the branch or loop"
                )
            }),
            Stmt::Barrier(b) => self.collective(Level::Workgroup, span, cf, |why| {
                format!(
                    "`{}()` {why}: every invocation of the workgroup must reach it, or \
                     it hangs on CUDA and WGSL rejects it; move it out of the branch or loop, \
                     or make the condition the same for the whole workgroup (for example by \
                     testing `group_id()` or a parameter rather than `local_id()`)",
                    b.name()
                )
            }),
            Stmt::Return => {
                return Exits {
                    ret: cf.is_some(),
                    jump: false,
                    why: cf.clone(),
                }
            }
            Stmt::Break | Stmt::Continue => {
                return Exits {
                    ret: false,
                    jump: cf.is_some(),
                    why: cf.clone(),
                }
            }
            Stmt::If {
                cond,
                accept,
                reject,
            } => {
                let inner = self.under(cf, &[*cond], "an `if` whose condition");
                let a = self.block(accept, inner.clone());
                let b = self.block(reject, inner);
                return a.or(b);
            }
            Stmt::For {
                var,
                start,
                end,
                step,
                body,
                ..
            } => {
                let mut conds = vec![*start, *end];
                conds.extend(step.iter().copied());
                let inner = self.under(cf, &conds, "a `for` loop whose range");
                if inner.is_some() {
                    self.demote(*var);
                }
                return self.loop_body(body, inner, Some(*var));
            }
            Stmt::While { cond, body } => {
                let inner = self.under(cf, &[*cond], "a `while` loop whose condition");
                return self.loop_body(body, inner, None);
            }
            Stmt::Loop { body } => return self.loop_body(body, cf.clone(), None),
        }
        Exits::default()
    }

    /// A loop body: when some invocations may leave an iteration early, every later iteration
    /// runs under non-uniform control, so the body is analysed again as such.
    fn loop_body(&mut self, body: &Block, cf: Control, var: Option<LocalId>) -> Exits {
        // A silent first pass finds whether some invocations leave an iteration early; the
        // second pass, which reports, runs under the control that follows from it.
        let report = std::mem::replace(&mut self.report, false);
        let first = self.block(body, cf.clone());
        self.report = report;
        let inner = match cf {
            None if first.jump || first.ret => {
                if let Some(v) = var {
                    self.demote(v);
                }
                let why = first
                    .why
                    .as_deref()
                    .unwrap_or("under control that depends on it");
                Some(if first.ret {
                    format!("in a loop that some invocations leave with `return` (taken {why})")
                } else {
                    format!(
                        "in a loop that some invocations leave early (`break` or `continue` \
                         taken {why})"
                    )
                })
            }
            cf => cf,
        };
        let again = self.block(body, inner);
        let ret = first.ret || again.ret;
        Exits {
            ret,
            jump: false,
            why: first.why.or(again.why),
        }
    }
}
