//! Type inference and checking: the two passes of [`validate`](super::validate) over the body,
//! which fix the types of locals and arrays and record every expression's, reporting every
//! error at the span of the expression it is about.

use crate::error::Error;
use crate::ir::*;

/// What typing found: every expression's, local's and array element's type, and the errors.
pub(super) struct Typing {
    pub types: HandleMap<Expr, Scalar>,
    pub locals: HandleMap<Local, Scalar>,
    pub arrays: HandleMap<Array, Scalar>,
    pub errors: Vec<Error>,
}

/// Types `kernel`: a first pass fixes the types of locals and arrays from their uses, those
/// still open take Rust's defaults, and a second pass checks everything and reports.
pub(super) fn infer(kernel: &Kernel) -> Typing {
    let mut v = Validator {
        kernel,
        types: kernel.exprs.map(|_, _| Scalar::Bool),
        locals: kernel.locals.map(|_, l| l.declared_ty),
        arrays: kernel.arrays.map(|_, a| a.declared_elem),
        flex: kernel.locals.map(|_, _| None),
        array_flex: kernel.arrays.map(|_, _| None),
        errors: Vec::new(),
        report: false,
    };
    v.block(&kernel.body);
    for (id, _) in kernel.locals.iter() {
        v.locals[id] = Some(v.local_ty(id));
    }
    for (id, _) in kernel.arrays.iter() {
        v.arrays[id] = Some(v.array_elem(id));
    }
    v.report = true;
    v.block(&kernel.body);
    v.literal_ranges();
    Typing {
        locals: kernel.locals.map(|id, _| v.local_ty(id)),
        arrays: kernel.arrays.map(|id, _| v.array_elem(id)),
        types: v.types,
        errors: v.errors,
    }
}

/// The type of an expression while checking: a known scalar, or a literal-like value whose
/// type the context fixes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    S(Scalar),
    Int,
    Float,
    /// An expression that already has an error.
    Err,
}

struct Validator<'a> {
    kernel: &'a Kernel,
    types: HandleMap<Expr, Scalar>,
    /// Each local's type once fixed: declared, or inferred from a value assigned to it.
    locals: HandleMap<Local, Option<Scalar>>,
    /// Each array's element type once fixed.
    arrays: HandleMap<Array, Option<Scalar>>,
    /// For locals without a fixed type: whether their value is integer- or float-like.
    flex: HandleMap<Local, Option<Ty>>,
    /// The same for arrays declared `[v; N]`.
    array_flex: HandleMap<Array, Option<Ty>>,
    errors: Vec<Error>,
    report: bool,
}

impl Validator<'_> {
    /// Local `id`'s type: fixed, or else Rust's default for the literal-like values assigned
    /// to it (`f32` for floats, `i32` otherwise).
    fn local_ty(&self, id: LocalId) -> Scalar {
        self.locals[id].unwrap_or(match self.flex[id] {
            Some(Ty::Float) => Scalar::F32,
            _ => Scalar::I32,
        })
    }

    /// Array `id`'s element type: fixed, or else the default for its fill value (`i32` for
    /// an integer literal, `f32` otherwise).
    fn array_elem(&self, id: ArrayId) -> Scalar {
        self.arrays[id].unwrap_or(match self.array_flex[id] {
            Some(Ty::Int) => Scalar::I32,
            _ => Scalar::F32,
        })
    }

    fn error(&mut self, id: ExprId, msg: impl Into<String>) {
        if self.report {
            let span = self.kernel.span(id);
            self.errors.push(Error::new(span, msg));
        }
    }

    fn block(&mut self, block: &Block) {
        for stmt in block {
            self.stmt(stmt);
        }
    }

    fn stmt(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::Let { local, init } => {
                let l = *local;
                if let Some(init) = *init {
                    match self.locals[l] {
                        Some(ty) => self.check(init, ty),
                        None => match self.synth(init) {
                            Ty::S(s) => self.locals[l] = Some(s),
                            t @ (Ty::Int | Ty::Float) => self.flex[l] = Some(t),
                            Ty::Err => {}
                        },
                    }
                }
            }
            Stmt::Assign { local, value } => match self.locals[*local] {
                Some(ty) => self.check(*value, ty),
                None => match self.synth(*value) {
                    Ty::S(s) => self.locals[*local] = Some(s),
                    t @ (Ty::Int | Ty::Float) => {
                        if self.flex[*local].is_none() {
                            self.flex[*local] = Some(t)
                        }
                    }
                    Ty::Err => {}
                },
            },
            Stmt::Store {
                slice,
                index,
                value,
            } => {
                self.check(*index, Scalar::U32);
                if let ParamKind::Slice { elem, .. } = self.kernel.param(*slice).kind {
                    self.check(*value, elem);
                }
            }
            Stmt::If {
                cond,
                accept,
                reject,
            } => {
                self.check(*cond, Scalar::Bool);
                self.block(accept);
                self.block(reject);
            }
            Stmt::For {
                var,
                start,
                end,
                step,
                body,
                ..
            } => {
                let ty = self.unify_pair(*start, *end, "the bounds of a `for` range");
                let ty = match ty {
                    Some(s @ (Scalar::U32 | Scalar::I32)) => s,
                    Some(other) => {
                        self.error(
                            *start,
                            format!(
                                "`for` loops run over `u32` or `i32` ranges, not `{}`",
                                other.rust_name()
                            ),
                        );
                        Scalar::U32
                    }
                    // Literal bounds (`0..4`): the index type, `u32`.
                    None => {
                        self.check(*start, Scalar::U32);
                        self.check(*end, Scalar::U32);
                        Scalar::U32
                    }
                };
                self.locals[*var] = Some(ty);
                if let Some(step) = step {
                    self.check(*step, Scalar::U32);
                }
                self.block(body);
            }
            Stmt::While { cond, body } => {
                self.check(*cond, Scalar::Bool);
                self.block(body);
            }
            Stmt::Loop { body } => self.block(body),
            Stmt::Break | Stmt::Continue | Stmt::Return => {}
            Stmt::Barrier(_) => {}
            Stmt::Matrix(op) => match op {
                MatrixOp::Fill { value, .. } => self.check(*value, Scalar::F32),
                MatrixOp::Load { place, .. } | MatrixOp::Store { place, .. } => {
                    self.check(place.offset, Scalar::U32);
                    self.check(place.stride, Scalar::U32);
                    if let Layout::ColMajorIf(c) = place.layout {
                        self.check(c, Scalar::Bool);
                    }
                }
                MatrixOp::Mma { .. } => {}
                MatrixOp::ScaleRows { offset, .. } => self.check(*offset, Scalar::U32),
            },
            Stmt::Vector(op) => {
                self.check(op.index(), Scalar::U32);
                // The front end accepts only plain memory, whose element type is declared (or
                // rejected, reported already).
                let Some(elem) = self.kernel.mem_elem(op.mem()) else {
                    return;
                };
                match op {
                    VectorOp::Load { lanes, .. } => {
                        for &l in lanes {
                            match self.locals[l] {
                                Some(t) if t != elem => self.error(
                                    op.index(),
                                    format!(
                                        "mismatched types: `{}` holds `{}`, so this load is a \
                                         `{}<{}>`, not a `{}<{}>`",
                                        self.kernel.mem_name(op.mem()),
                                        elem.rust_name(),
                                        op.type_name(),
                                        elem.rust_name(),
                                        op.type_name(),
                                        t.rust_name()
                                    ),
                                ),
                                _ => self.locals[l] = Some(elem),
                            }
                        }
                    }
                    VectorOp::Store { values, .. } => {
                        for &v in values {
                            self.check(v, elem);
                        }
                    }
                }
            }
            Stmt::ArrayDecl { array, init } => {
                if let Some(init) = *init {
                    self.array_value(*array, init);
                }
            }
            Stmt::ArrayStore {
                array,
                index,
                value,
            } => {
                self.check(*index, Scalar::U32);
                self.array_value(*array, *value);
            }
            Stmt::Subgroup {
                op,
                value,
                arg,
                result,
            } => {
                self.synth(*value);
                let t = self.types[*value];
                // The 32-bit types only: WGSL's subgroup operations would act on each word of
                // an emulated `u64` (no carry) and CUDA's shuffles are 32-bit.
                if !matches!(t, Scalar::F32 | Scalar::I32 | Scalar::U32) {
                    let fix = match t {
                        Scalar::Bool => String::new(),
                        t if t.is_float() => format!("; convert it: `{}(x as f32)`", op.name()),
                        _ => "; split it into 32-bit words, or convert it".into(),
                    };
                    self.error(
                        *value,
                        format!(
                            "`{}` takes an `f32`, `i32` or `u32`, not `{}`{fix}",
                            op.name(),
                            t.rust_name()
                        ),
                    );
                }
                self.locals[*result] = Some(t);
                if let Some(a) = arg {
                    self.check(*a, Scalar::U32);
                }
            }
            Stmt::Atomic {
                target,
                index,
                args,
                ..
            } => {
                self.check(*index, Scalar::U32);
                // An atomic array's element type is always declared (or rejected).
                if let Some(elem) = self.kernel.atomic_elem(*target) {
                    for &a in args {
                        self.check(a, elem);
                    }
                }
            }
        }
    }

    /// Checks a value written into an array, or fixes the array's element type from it.
    fn array_value(&mut self, array: ArrayId, value: ExprId) {
        let a = array;
        match self.arrays[a] {
            Some(elem) => self.check(value, elem),
            None => match self.synth(value) {
                Ty::S(s) => self.arrays[a] = Some(s),
                t @ (Ty::Int | Ty::Float) => {
                    if self.array_flex[a].is_none() {
                        self.array_flex[a] = Some(t)
                    }
                }
                Ty::Err => {}
            },
        }
    }

    /// Checks that `id` has type `want`, fixing literals and open locals inside it.
    fn check(&mut self, id: ExprId, want: Scalar) {
        let got = self.synth(id);
        match got {
            Ty::S(s) if s == want => {}
            Ty::S(s) => self.error(
                id,
                format!(
                    "mismatched types: expected `{}`, found `{}`; convert with `as {}`",
                    want.rust_name(),
                    s.rust_name(),
                    want.rust_name()
                ),
            ),
            Ty::Int if want.is_int() => {}
            Ty::Float if want.is_float() => {}
            Ty::Int | Ty::Float => self.error(
                id,
                format!(
                    "mismatched types: expected `{}`, found a {} literal",
                    want.rust_name(),
                    if got == Ty::Int { "integer" } else { "float" }
                ),
            ),
            Ty::Err => {}
        }
        self.coerce(id, want);
    }

    /// Pushes a known type down into the literal-like parts of `id`.
    fn coerce(&mut self, id: ExprId, want: Scalar) {
        let expr = self.kernel.expr(id).clone();
        match expr {
            Expr::Literal(Literal::Int(_, None)) if want.is_int() => self.types[id] = want,
            Expr::Literal(Literal::Float(_, None)) if want.is_float() => self.types[id] = want,
            Expr::Local(l) if self.locals[l].is_none() => {
                self.locals[l] = Some(want);
                self.types[id] = want;
            }
            Expr::Unary { arg, .. } if self.is_flex(id) => {
                self.coerce(arg, want);
                self.types[id] = want;
            }
            Expr::Binary { op, left, right }
                if !op.is_comparison() && !is_logic(op) && self.is_flex(id) =>
            {
                self.coerce(left, want);
                if !matches!(op, BinaryOp::Shl | BinaryOp::Shr) {
                    self.coerce(right, want);
                }
                self.types[id] = want;
            }
            Expr::Math { args, .. } if self.is_flex(id) => {
                for a in args {
                    self.coerce(a, want);
                }
                self.types[id] = want;
            }
            _ => {}
        }
    }

    fn is_flex(&self, id: ExprId) -> bool {
        // During reporting every type is fixed except those of literal-like expressions, which
        // `synth` recorded with their default; re-derive flexibility structurally.
        match self.kernel.expr(id) {
            Expr::Literal(Literal::Int(_, None) | Literal::Float(_, None)) => true,
            Expr::Local(l) => self.locals[*l].is_none(),
            Expr::Unary { arg, .. } => self.is_flex(*arg),
            Expr::Binary { op, left, right } if !op.is_comparison() && !is_logic(*op) => {
                self.is_flex(*left)
                    && (matches!(op, BinaryOp::Shl | BinaryOp::Shr) || self.is_flex(*right))
            }
            Expr::Math { args, .. } => args.iter().all(|a| self.is_flex(*a)),
            _ => false,
        }
    }

    /// Unifies two operands that must share a type; returns it, or `None` if unknown.
    fn unify_pair(&mut self, a: ExprId, b: ExprId, what: &str) -> Option<Scalar> {
        let ta = self.synth(a);
        let tb = self.synth(b);
        match (ta, tb) {
            (Ty::S(x), Ty::S(y)) => {
                if x != y {
                    self.error(
                        b,
                        format!(
                            "mismatched types in {what}: `{}` and `{}`; convert one with `as`",
                            x.rust_name(),
                            y.rust_name()
                        ),
                    );
                }
                Some(x)
            }
            (Ty::S(x), _) => {
                self.check(b, x);
                Some(x)
            }
            (_, Ty::S(y)) => {
                self.check(a, y);
                Some(y)
            }
            (Ty::Int, Ty::Int) => None,
            (Ty::Float, Ty::Float) => None,
            (Ty::Err, _) | (_, Ty::Err) => None,
            _ => {
                self.error(
                    b,
                    format!("mismatched types in {what}: an integer and a float literal"),
                );
                None
            }
        }
    }

    fn flex_default(t: Ty) -> Scalar {
        match t {
            Ty::Float => Scalar::F32,
            Ty::S(s) => s,
            _ => Scalar::I32,
        }
    }

    /// Computes the type of `id` bottom-up and records it (literals with their default).
    fn synth(&mut self, id: ExprId) -> Ty {
        let t = self.synth_inner(id);
        self.types[id] = Self::flex_default(t);
        t
    }

    fn synth_inner(&mut self, id: ExprId) -> Ty {
        let expr = self.kernel.expr(id).clone();
        match expr {
            Expr::Error => Ty::Err,
            Expr::Literal(lit) => literal_ty(lit),
            Expr::Constant(c) => Ty::S(c.ty()),
            Expr::Param(p) => match self.kernel.param(p).kind {
                ParamKind::Scalar(s) => Ty::S(s),
                ParamKind::Slice { .. } => Ty::Err,
            },
            Expr::Local(l) => match self.locals[l] {
                Some(s) => Ty::S(s),
                None => self.flex[l].unwrap_or(Ty::Int),
            },
            Expr::Builtin(..) | Expr::Len(_) | Expr::SubgroupId(_) => Ty::S(Scalar::U32),
            Expr::Load { slice, index } => {
                self.check(index, Scalar::U32);
                match self.kernel.param(slice).kind {
                    ParamKind::Slice { elem, .. } => Ty::S(elem),
                    ParamKind::Scalar(_) => Ty::Err,
                }
            }
            Expr::ArrayLoad { array, index } => {
                self.check(index, Scalar::U32);
                match self.arrays[array] {
                    Some(s) => Ty::S(s),
                    None => self.array_flex[array].unwrap_or(Ty::Float),
                }
            }
            Expr::Unary { op, arg } => {
                let t = self.synth(arg);
                match (op, t) {
                    (_, Ty::Err) => Ty::Err,
                    (UnaryOp::Neg, Ty::Int | Ty::Float) => t,
                    (UnaryOp::Neg, Ty::S(s)) if s.is_float() || s.is_signed_int() => t,
                    (UnaryOp::Not, Ty::Int | Ty::S(Scalar::Bool)) => t,
                    (UnaryOp::Not, Ty::S(s)) if s.is_int() => t,
                    (UnaryOp::Neg, Ty::S(s)) => {
                        self.error(
                            id,
                            format!(
                                "cannot negate `{}`{}",
                                s.rust_name(),
                                if s.is_int() {
                                    "; write `0.wrapping_sub(x)` or cast to a signed type"
                                } else {
                                    ""
                                }
                            ),
                        );
                        Ty::Err
                    }
                    (UnaryOp::Not, _) => {
                        self.error(id, "`!` applies to `bool` and integers");
                        Ty::Err
                    }
                }
            }
            Expr::Binary { op, left, right } => self.binary(id, op, left, right),
            Expr::Cast { expr, to } => {
                let t = self.synth(expr);
                let from = match t {
                    Ty::S(s) => s,
                    Ty::Int => {
                        self.coerce(expr, Scalar::I32);
                        Scalar::I32
                    }
                    Ty::Float => {
                        self.coerce(expr, Scalar::F32);
                        Scalar::F32
                    }
                    Ty::Err => return Ty::S(to),
                };
                if to == Scalar::Bool && from != Scalar::Bool {
                    self.error(
                        id,
                        format!(
                            "cannot cast `{}` as `bool`; compare instead: `x != 0`",
                            from.rust_name()
                        ),
                    );
                } else if from == Scalar::Bool && to.is_float() {
                    self.error(
                        id,
                        format!(
                            "cannot cast `bool` as `{}`; write `if b {{ 1.0 }} else {{ 0.0 }}` or \
                             cast through `u32`",
                            to.rust_name()
                        ),
                    );
                }
                Ty::S(to)
            }
            Expr::Math { fun, args } => self.math(id, fun, &args),
            Expr::Int { op, args } => self.int_op(id, op, &args),
        }
    }

    /// Reports literals whose value does not fit the type they ended up with (known only once
    /// the context has typed them).
    fn literal_ranges(&mut self) {
        for (id, e) in self.kernel.exprs.iter() {
            let t = self.types[id];
            match *e {
                Expr::Literal(Literal::Int(v, _)) => {
                    // A signed literal may reach `MAX + 1`, so that `-2147483648` is `MIN`.
                    let fits = match t.int_range() {
                        Some((lo, hi)) => (v as i128) <= hi.max(-lo),
                        None => true,
                    };
                    if !fits {
                        self.error(
                            id,
                            format!("integer literal out of range for `{}`", t.rust_name()),
                        );
                    }
                }
                Expr::Literal(Literal::Float(v, _)) if v.is_finite() && t.is_float() => {
                    let max = Constant {
                        ty: t,
                        kind: ConstantKind::Max,
                    };
                    let ConstValue::Float(max) = max.value() else {
                        continue;
                    };
                    // Values beyond MAX + half an ulp round to infinity.
                    let ulp = max * 2f64.powi(-(t.mantissa_bits() as i32));
                    if v.abs() >= max + ulp / 2.0 {
                        let n = t.rust_name();
                        self.error(
                            id,
                            format!(
                                "float literal out of range for `{n}`; use `{n}::INFINITY` or \
                                 `{n}::MAX`"
                            ),
                        );
                    }
                }
                _ => {}
            }
        }
    }

    fn binary(&mut self, id: ExprId, op: BinaryOp, left: ExprId, right: ExprId) -> Ty {
        use BinaryOp::*;
        match op {
            And | Or => {
                self.check(left, Scalar::Bool);
                self.check(right, Scalar::Bool);
                Ty::S(Scalar::Bool)
            }
            Shl | Shr => {
                let t = self.synth(left);
                self.check(right, Scalar::U32);
                match t {
                    Ty::Int | Ty::Err => t,
                    Ty::S(s) if s.is_int() => t,
                    _ => {
                        self.error(id, format!("`{}` applies to integers", op.symbol()));
                        Ty::Err
                    }
                }
            }
            Eq | Ne | Lt | Le | Gt | Ge => {
                self.unify_pair(left, right, "a comparison");
                Ty::S(Scalar::Bool)
            }
            Add | Sub | Mul | Div | Rem | BitAnd | BitOr | BitXor => {
                let lt = self.synth(left);
                let rt = self.synth(right);
                let t = match (lt, rt) {
                    (Ty::Err, _) | (_, Ty::Err) => return Ty::Err,
                    (Ty::S(_), _) | (_, Ty::S(_)) => match self.unify_pair(left, right, "operands")
                    {
                        Some(s) => Ty::S(s),
                        None => Ty::Err,
                    },
                    (a, b) if a == b => a,
                    _ => {
                        self.error(id, "mismatched types: an integer and a float literal");
                        return Ty::Err;
                    }
                };
                let bitwise = matches!(op, BitAnd | BitOr | BitXor);
                match t {
                    Ty::S(Scalar::Bool) if !bitwise => {
                        self.error(id, format!("`{}` does not apply to `bool`", op.symbol()));
                        Ty::Err
                    }
                    Ty::S(f) if bitwise && f.is_float() => {
                        self.error(
                            id,
                            format!(
                                "`{}` does not apply to `{}`; work on its bits: `x.to_bits()`",
                                op.symbol(),
                                f.rust_name()
                            ),
                        );
                        Ty::Err
                    }
                    Ty::Float if bitwise => {
                        self.error(id, format!("`{}` does not apply to floats", op.symbol()));
                        Ty::Err
                    }
                    t => t,
                }
            }
        }
    }

    fn math(&mut self, id: ExprId, fun: MathFn, args: &[ExprId]) -> Ty {
        let mut known = None;
        let mut tys = Vec::new();
        for &a in args {
            let t = self.synth(a);
            if let Ty::S(s) = t {
                known.get_or_insert(s);
            }
            tys.push(t);
        }
        if tys.contains(&Ty::Err) {
            return Ty::Err;
        }
        let ty = match known {
            Some(s) => s,
            None if tys.iter().all(|t| *t == Ty::Int) && fun.accepts_int() => {
                return Ty::Int;
            }
            None if tys.iter().all(|t| *t == Ty::Float) => return Ty::Float,
            None => Scalar::F32,
        };
        let ok = if ty.is_float() {
            true
        } else if ty.is_int() {
            fun.accepts_int() && (ty.is_signed_int() || fun != MathFn::Abs)
        } else {
            false
        };
        if !ok {
            self.error(
                id,
                format!(
                    "`{}` does not take `{}`{}",
                    fun.name(),
                    ty.rust_name(),
                    if ty.is_int() {
                        "; convert with `as f32`"
                    } else {
                        ""
                    }
                ),
            );
            return Ty::Err;
        }
        for &a in args {
            self.check(a, ty);
        }
        Ty::S(ty)
    }
}

impl Validator<'_> {
    /// The bit and multi-limb operations: Rust's signatures, the carry and high-half forms on
    /// unsigned types only.
    fn int_op(&mut self, id: ExprId, op: IntOp, args: &[ExprId]) -> Ty {
        use IntOp::*;
        let name = op.name();
        match op {
            FromBits(to) => {
                self.check(
                    args[0],
                    if to == Scalar::F64 {
                        Scalar::U64
                    } else {
                        Scalar::U32
                    },
                );
                return Ty::S(to);
            }
            IsNan | IsFinite => {
                match self.synth(args[0]) {
                    Ty::Float => self.coerce(args[0], Scalar::F32),
                    Ty::S(s) if s.is_float() => {}
                    Ty::Err => return Ty::Err,
                    Ty::S(_) | Ty::Int => {
                        self.error(id, format!("`{name}` applies to floats"));
                        return Ty::Err;
                    }
                }
                return Ty::S(Scalar::Bool);
            }
            ToBits => {
                return match self.synth(args[0]) {
                    Ty::Float | Ty::S(Scalar::F32) => {
                        self.coerce(args[0], Scalar::F32);
                        Ty::S(Scalar::U32)
                    }
                    Ty::S(Scalar::F64) => Ty::S(Scalar::U64),
                    Ty::Err => Ty::Err,
                    Ty::S(s) => {
                        let why = if s.is_half() {
                            "; kernels have no 16-bit integers: widen it, `(x as f32).to_bits()`"
                        } else {
                            ""
                        };
                        self.error(
                            id,
                            format!(
                                "`to_bits` applies to `f32` and `f64`, not `{}`{why}",
                                s.rust_name()
                            ),
                        );
                        Ty::Err
                    }
                    Ty::Int => {
                        self.error(id, "`to_bits` applies to `f32` and `f64`");
                        Ty::Err
                    }
                };
            }
            _ => {}
        }
        let carries = matches!(op, MulHi | AddCarry | SubBorrow);
        let t = if carries {
            match self.unify_pair(args[0], args[1], "operands") {
                Some(s) => Ty::S(s),
                None => self.synth(args[0]),
            }
        } else {
            self.synth(args[0])
        };
        let s = match t {
            Ty::Err => return Ty::Err,
            Ty::S(s) if s.is_int() => s,
            Ty::Int if !carries => {
                self.coerce(args[0], Scalar::I32);
                Scalar::I32
            }
            Ty::Int => {
                self.error(
                    id,
                    format!("`{name}`: give the operands a type, such as `7u32`"),
                );
                return Ty::Err;
            }
            _ => {
                self.error(id, format!("`{name}` applies to integers"));
                return Ty::Err;
            }
        };
        match op {
            MulHi | AddCarry | SubBorrow => {
                if s != Scalar::U32 && s != Scalar::U64 {
                    self.error(
                        id,
                        format!(
                            "`{name}` applies to `u32` and `u64` in kernels, not `{}`",
                            s.rust_name()
                        ),
                    );
                    return Ty::Err;
                }
                if op == MulHi {
                    return Ty::S(s);
                }
                self.check(args[2], Scalar::Bool);
                Ty::S(Scalar::Bool)
            }
            CountOnes | LeadingZeros | TrailingZeros => Ty::S(Scalar::U32),
            RotateLeft | RotateRight => {
                self.check(args[1], Scalar::U32);
                Ty::S(s)
            }
            _ => Ty::S(s),
        }
    }
}

/// A literal's type: its suffix's, or integer- or float-like until the context fixes it (its
/// range is checked then, in `literal_ranges`).
fn literal_ty(lit: Literal) -> Ty {
    match lit {
        Literal::Bool(_) => Ty::S(Scalar::Bool),
        Literal::Float(_, Some(s)) | Literal::Int(_, Some(s)) => Ty::S(s),
        Literal::Float(_, None) => Ty::Float,
        Literal::Int(_, None) => Ty::Int,
    }
}

fn is_logic(op: BinaryOp) -> bool {
    matches!(op, BinaryOp::And | BinaryOp::Or)
}
