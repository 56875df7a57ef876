//! The kernelforge IR: one kernel, independent of any target.
//!
//! # The model
//!
//! A [`Kernel`] follows the SIMT model shared by CUDA and WGSL: its [`body`](Kernel::body) runs
//! once per *invocation* (CUDA: thread) of a *grid*. Invocations are grouped into *workgroups*
//! (CUDA: blocks) of [`workgroup_size`](Kernel::workgroup_size) invocations. Every invocation
//! sees the same parameters and differs only in the values of the id intrinsics
//! ([`Builtin`]). The grid is a whole number of workgroups; invocations past the end of the data
//! run too, so kernels bounds-check (`if i < y.len() { ... }`).
//!
//! # Parameters
//!
//! [`Param`]s are scalars passed by value, read-only storage slices (`&[T]`) and read-write
//! storage slices (`&mut [T]`). A slice's length is read with [`Expr::Len`] and is a `u32`.
//! Slices given to one launch never alias: Rust's borrow rules forbid it at the call site.
//! Invocations may write the same element of a `&mut` slice; as on a GPU, which write wins is
//! unspecified (a data race is the kernel author's bug, never undefined behaviour on the CPU).
//!
//! # Expressions and statements
//!
//! Expressions live in an arena ([`Kernel::exprs`]) and are referred to by [`ExprId`]; each has
//! a span in [`Kernel::spans`]. Expressions have no side effects, except that a [`Expr::Load`]
//! may fail on the CPU backend (out-of-bounds index): they are evaluated where a statement uses
//! them, operands left to right, and `&&`/`||` short-circuit. Statements ([`Stmt`]) hold the
//! effects: declarations, assignments, stores and control flow. An `if` used as an expression
//! in the source is lowered by the front end to a fresh local assigned in both arms, so the IR
//! has no expression-level control flow other than short-circuiting logic.
//!
//! # Types and arithmetic
//!
//! Every value has a [`Scalar`] type: `f32`, `i32`, `u32` or `bool`. Types are checked by
//! `valid`, which also gives each unsuffixed literal its type from context (an unsuffixed float
//! literal is `f32` and an unsuffixed integer `i32` when nothing says otherwise). Integer
//! arithmetic wraps (two's complement) on every backend. Integer division by zero yields the
//! dividend and remainder by zero yields 0 (WGSL's definition); `i32::MIN / -1` is `i32::MIN`.
//! Shift amounts are `u32` and are taken modulo 32. Float-to-integer casts truncate toward zero
//! and saturate, NaN giving 0 (Rust's `as`). Float results of the math functions
//! ([`MathFn`]) agree within the per-function tolerance documented in the README.
//!
//! # Names
//!
//! Locals are unique in a kernel: the front end renames a shadowing `let` (`x`, `x_1`, ...), so
//! back ends can declare every local once in its block without further renaming, apart from
//! escaping their own keywords.

use proc_macro2::Span;

/// A scalar type: the types of values, locals and slice elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scalar {
    /// IEEE 754 binary32.
    F32,
    /// Two's-complement 32-bit signed integer; arithmetic wraps.
    I32,
    /// 32-bit unsigned integer; arithmetic wraps. Indices and lengths have this type.
    U32,
    /// Truth value. Not allowed as a slice element (not host-shareable in WGSL).
    Bool,
}

impl Scalar {
    /// The Rust spelling of the type (`f32`, ...), used in messages and the CPU back end.
    pub fn rust_name(self) -> &'static str {
        match self {
            Scalar::F32 => "f32",
            Scalar::I32 => "i32",
            Scalar::U32 => "u32",
            Scalar::Bool => "bool",
        }
    }
    /// Whether the type is `i32` or `u32`.
    pub fn is_int(self) -> bool {
        matches!(self, Scalar::I32 | Scalar::U32)
    }
    /// Size in bytes of one element in a buffer.
    pub fn size(self) -> u32 {
        4
    }
}

/// Index of an expression in [`Kernel::exprs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExprId(pub u32);

/// Index of a local in [`Kernel::locals`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocalId(pub u32);

/// Index of a parameter in [`Kernel::params`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParamId(pub u32);

/// Index of an array in [`Kernel::arrays`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ArrayId(pub u32);

/// Where an array lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Space {
    /// One array per workgroup, shared by its invocations (CUDA `__shared__`, WGSL
    /// `var<workgroup>`), declared with `shared_array::<T, N>()`. Its contents are unspecified
    /// until written (CUDA does not clear it; the CPU backend reuses it across the workgroups
    /// of a task).
    Workgroup,
    /// One array per invocation (`let mut a = [v; N];`), filled with `v` where declared.
    Private,
}

/// A fixed-length array: workgroup shared memory or a private array.
#[derive(Clone, Debug)]
pub struct Array {
    /// A name unique within the kernel, as for locals.
    pub name: String,
    /// Element type (not `bool` in workgroup memory); `None` until `valid` infers it from the
    /// fill value of `[v; N]`.
    pub elem: Option<Scalar>,
    /// Number of elements, at least 1; a compile-time constant.
    pub len: u32,
    /// Workgroup or private.
    pub space: Space,
    /// Declared `shared_array::<AtomicU32, N>()` (or `AtomicI32`; workgroup memory only): its
    /// elements are accessed only by [`Stmt::Atomic`].
    pub atomic: bool,
    /// Where it was declared.
    pub span: Span,
}

impl Array {
    /// The element type (`f32` before inference).
    pub fn elem(&self) -> Scalar {
        self.elem.unwrap_or(Scalar::F32)
    }
    /// Size in bytes.
    pub fn bytes(&self) -> u64 {
        self.len as u64 * self.elem().size() as u64
    }
}

/// A kernel: the unit that every back end writes out as one entry point.
#[derive(Clone, Debug)]
pub struct Kernel {
    /// The Rust function's name; also the CUDA `extern "C"` and WGSL entry-point name.
    pub name: String,
    /// Invocations per workgroup in x, y, z; each at least 1.
    pub workgroup_size: [u32; 3],
    /// Parameters in source order; the order of `launch`'s arguments.
    pub params: Vec<Param>,
    /// Every local of the kernel, including `for` loop variables and front-end temporaries.
    pub locals: Vec<Local>,
    /// Workgroup and private arrays; workgroup arrays exist for the whole kernel, private
    /// ones from their [`Stmt::ArrayDecl`].
    pub arrays: Vec<Array>,
    /// The expression arena.
    pub exprs: Vec<Expr>,
    /// `spans[e.0]` is the source span of `exprs[e.0]`.
    pub spans: Vec<Span>,
    /// The statements run by each invocation.
    pub body: Block,
}

impl Kernel {
    /// The element type of an atomic target.
    pub fn atomic_elem(&self, t: AtomicTarget) -> Scalar {
        match t {
            AtomicTarget::Slice(p) => match self.param(p).kind {
                ParamKind::Slice { elem, .. } | ParamKind::Scalar(elem) => elem,
            },
            AtomicTarget::Array(a) => self.array(a).elem(),
        }
    }
    /// The source name of an atomic target.
    pub fn atomic_name(&self, t: AtomicTarget) -> &str {
        match t {
            AtomicTarget::Slice(p) => &self.param(p).name,
            AtomicTarget::Array(a) => &self.array(a).name,
        }
    }
    /// The expression `id` refers to.
    pub fn expr(&self, id: ExprId) -> &Expr {
        &self.exprs[id.0 as usize]
    }
    /// The span of expression `id`.
    pub fn span(&self, id: ExprId) -> Span {
        self.spans[id.0 as usize]
    }
    /// The local `id` refers to.
    pub fn local(&self, id: LocalId) -> &Local {
        &self.locals[id.0 as usize]
    }
    /// The array `id` refers to.
    pub fn array(&self, id: ArrayId) -> &Array {
        &self.arrays[id.0 as usize]
    }
    /// Bytes of workgroup memory the kernel declares.
    pub fn workgroup_bytes(&self) -> u64 {
        self.arrays
            .iter()
            .filter(|a| a.space == Space::Workgroup)
            .map(Array::bytes)
            .sum()
    }
    /// Whether the kernel has a [`Stmt::Barrier`].
    pub fn has_barrier(&self) -> bool {
        let mut found = false;
        walk_stmts(&self.body, &mut |s| {
            found |= matches!(s, Stmt::Barrier { .. })
        });
        found
    }
    /// Whether the kernel uses subgroup operations or intrinsics (wgpu needs the adapter's
    /// `SUBGROUP` feature for it).
    pub fn uses_subgroups(&self) -> bool {
        let mut found = false;
        walk_stmts(&self.body, &mut |s| {
            found |= matches!(s, Stmt::Subgroup { .. })
        });
        found || self.exprs.iter().any(|e| matches!(e, Expr::SubgroupId(_)))
    }
    /// The parameter `id` refers to.
    pub fn param(&self, id: ParamId) -> &Param {
        &self.params[id.0 as usize]
    }
    /// Total invocations per workgroup.
    pub fn invocations_per_group(&self) -> u32 {
        self.workgroup_size.iter().product()
    }
}

/// A kernel parameter.
#[derive(Clone, Debug)]
pub struct Param {
    /// The source name.
    pub name: String,
    /// What is passed.
    pub kind: ParamKind,
}

/// How a parameter is passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// A scalar passed by value, the same for every invocation.
    Scalar(Scalar),
    /// A storage slice of `elem` (never `bool`); `mutable` for `&mut [T]`.
    Slice {
        /// Element type.
        elem: Scalar,
        /// `&mut [T]` (read-write) rather than `&[T]` (read-only); true for atomic slices.
        mutable: bool,
        /// `&[AtomicU32]` or `&[AtomicI32]` (`elem` is `u32` or `i32`): its elements are read
        /// and written only by [`Stmt::Atomic`], never by [`Expr::Load`] or [`Stmt::Store`].
        atomic: bool,
    },
}

/// A local variable.
#[derive(Clone, Debug)]
pub struct Local {
    /// A name unique within the kernel (see "Names" in the module docs).
    pub name: String,
    /// The type; `None` until `valid` infers it from the initialiser or a later use.
    pub ty: Option<Scalar>,
    /// Declared `let mut` (or a front-end temporary).
    pub mutable: bool,
    /// Where it was declared.
    pub span: Span,
}

/// An id intrinsic. Each component is a `u32`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Builtin {
    /// `global_id()`: `group_id() * group_size() + local_id()`, per component.
    GlobalId,
    /// `local_id()`: the invocation's position in its workgroup.
    LocalId,
    /// `group_id()`: the workgroup's position in the grid.
    GroupId,
    /// `group_size()`: the kernel's workgroup size.
    GroupSize,
    /// `num_groups()`: the grid's size in workgroups.
    NumGroups,
}

impl Builtin {
    /// The intrinsic's source name.
    pub fn name(self) -> &'static str {
        match self {
            Builtin::GlobalId => "global_id",
            Builtin::LocalId => "local_id",
            Builtin::GroupId => "group_id",
            Builtin::GroupSize => "group_size",
            Builtin::NumGroups => "num_groups",
        }
    }
}

/// A component of a three-component id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Axis {
    /// `.x`
    X,
    /// `.y`
    Y,
    /// `.z`
    Z,
}

impl Axis {
    /// 0, 1 or 2.
    pub fn index(self) -> usize {
        self as usize
    }
    /// `x`, `y` or `z`.
    pub fn name(self) -> &'static str {
        ["x", "y", "z"][self as usize]
    }
}

/// A literal as written; unsuffixed literals get their type in `valid`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Literal {
    /// A float literal; `None` suffix means "from context, else f32".
    Float(f64, Option<Scalar>),
    /// An integer literal; `None` suffix means "from context, else i32".
    Int(u64, Option<Scalar>),
    /// `true` or `false`.
    Bool(bool),
}

/// A unary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-x` on `f32` and `i32` (wrapping).
    Neg,
    /// `!x`: logical not on `bool`, bitwise not on integers.
    Not,
}

/// A binary operator. Both operands have the same type except for shifts (right operand `u32`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/` (see the module docs for integer division by zero)
    Div,
    /// `%`
    Rem,
    /// `&` on integers or bools
    BitAnd,
    /// `|` on integers or bools
    BitOr,
    /// `^` on integers or bools
    BitXor,
    /// `<<`, amount modulo 32
    Shl,
    /// `>>`, arithmetic for `i32`, logical for `u32`
    Shr,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `&&`, short-circuit
    And,
    /// `||`, short-circuit
    Or,
}

impl BinaryOp {
    /// Whether the result is `bool` whatever the operand type.
    pub fn is_comparison(self) -> bool {
        use BinaryOp::*;
        matches!(self, Eq | Ne | Lt | Le | Gt | Ge)
    }
    /// The operator's source spelling.
    pub fn symbol(self) -> &'static str {
        use BinaryOp::*;
        match self {
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            Rem => "%",
            BitAnd => "&",
            BitOr => "|",
            BitXor => "^",
            Shl => "<<",
            Shr => ">>",
            Eq => "==",
            Ne => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            And => "&&",
            Or => "||",
        }
    }
}

/// A math function, callable as a method (`x.sqrt()`) or a free function (`sqrt(x)`).
///
/// Float functions take and return `f32`. `Abs`, `Min`, `Max` and `Clamp` also take integers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MathFn {
    /// `abs(x)`; `i32::MIN.abs()` wraps to `i32::MIN`.
    Abs,
    /// `min(a, b)`
    Min,
    /// `max(a, b)`
    Max,
    /// `clamp(x, lo, hi)` = `min(max(x, lo), hi)`
    Clamp,
    /// `sqrt(x)`
    Sqrt,
    /// `exp(x)`
    Exp,
    /// `exp2(x)`
    Exp2,
    /// `ln(x)`, the natural logarithm
    Ln,
    /// `log2(x)`
    Log2,
    /// `tanh(x)`
    Tanh,
    /// `sin(x)`
    Sin,
    /// `cos(x)`
    Cos,
    /// `pow(x, y)` / `x.powf(y)`
    Pow,
    /// `floor(x)`
    Floor,
    /// `ceil(x)`
    Ceil,
    /// `round(x)`: half away from zero, as Rust and CUDA's `roundf`
    Round,
    /// `mul_add(a, b, c)` = `a * b + c` with one rounding (fused)
    MulAdd,
}

impl MathFn {
    /// All functions, for lookup by name.
    pub const ALL: [MathFn; 17] = [
        MathFn::Abs,
        MathFn::Min,
        MathFn::Max,
        MathFn::Clamp,
        MathFn::Sqrt,
        MathFn::Exp,
        MathFn::Exp2,
        MathFn::Ln,
        MathFn::Log2,
        MathFn::Tanh,
        MathFn::Sin,
        MathFn::Cos,
        MathFn::Pow,
        MathFn::Floor,
        MathFn::Ceil,
        MathFn::Round,
        MathFn::MulAdd,
    ];
    /// The source name (`pow` also answers to `powf`).
    pub fn name(self) -> &'static str {
        use MathFn::*;
        match self {
            Abs => "abs",
            Min => "min",
            Max => "max",
            Clamp => "clamp",
            Sqrt => "sqrt",
            Exp => "exp",
            Exp2 => "exp2",
            Ln => "ln",
            Log2 => "log2",
            Tanh => "tanh",
            Sin => "sin",
            Cos => "cos",
            Pow => "pow",
            Floor => "floor",
            Ceil => "ceil",
            Round => "round",
            MulAdd => "mul_add",
        }
    }
    /// Finds a function by source name.
    pub fn from_name(name: &str) -> Option<MathFn> {
        if name == "powf" {
            return Some(MathFn::Pow);
        }
        Self::ALL.iter().copied().find(|f| f.name() == name)
    }
    /// Number of arguments, counting the receiver of the method form.
    pub fn arity(self) -> usize {
        use MathFn::*;
        match self {
            Min | Max | Pow => 2,
            Clamp | MulAdd => 3,
            _ => 1,
        }
    }
    /// Whether integer arguments are accepted.
    pub fn accepts_int(self) -> bool {
        matches!(
            self,
            MathFn::Abs | MathFn::Min | MathFn::Max | MathFn::Clamp
        )
    }
}

/// An associated constant such as `f32::MAX`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Constant {
    /// `f32::INFINITY`
    F32Infinity,
    /// `f32::NEG_INFINITY`
    F32NegInfinity,
    /// `f32::MAX`
    F32Max,
    /// `f32::MIN` (the most negative finite value)
    F32Min,
    /// `f32::EPSILON`
    F32Epsilon,
    /// `u32::MAX`
    U32Max,
    /// `i32::MAX`
    I32Max,
    /// `i32::MIN`
    I32Min,
}

impl Constant {
    /// The type of the constant.
    pub fn ty(self) -> Scalar {
        use Constant::*;
        match self {
            F32Infinity | F32NegInfinity | F32Max | F32Min | F32Epsilon => Scalar::F32,
            U32Max => Scalar::U32,
            I32Max | I32Min => Scalar::I32,
        }
    }
    /// The constant's bits as a `u32` (bit pattern of the value in its type).
    pub fn bits(self) -> u32 {
        use Constant::*;
        match self {
            F32Infinity => f32::INFINITY.to_bits(),
            F32NegInfinity => f32::NEG_INFINITY.to_bits(),
            F32Max => f32::MAX.to_bits(),
            F32Min => f32::MIN.to_bits(),
            F32Epsilon => f32::EPSILON.to_bits(),
            U32Max => u32::MAX,
            I32Max => i32::MAX as u32,
            I32Min => i32::MIN as u32,
        }
    }
    /// Looks up `ty::NAME`.
    pub fn from_path(ty: &str, name: &str) -> Option<Constant> {
        use Constant::*;
        Some(match (ty, name) {
            ("f32", "INFINITY") => F32Infinity,
            ("f32", "NEG_INFINITY") => F32NegInfinity,
            ("f32", "MAX") => F32Max,
            ("f32", "MIN") => F32Min,
            ("f32", "EPSILON") => F32Epsilon,
            ("u32", "MAX") => U32Max,
            ("i32", "MAX") => I32Max,
            ("i32", "MIN") => I32Min,
            _ => return None,
        })
    }
}

/// An atomic operation of [`Stmt::Atomic`], named by its method in the source (Rust's
/// `AtomicU32` methods). Every one is relaxed: atomic as a whole, unordered with other memory
/// accesses (WGSL has only relaxed atomics). Arithmetic wraps; `Min`/`Max` compare as the
/// element type (signed for `i32`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AtomicOp {
    /// `load()`: the current value.
    Load,
    /// `store(v)`: writes `v`; returns nothing.
    Store,
    /// `fetch_add(v)`
    Add,
    /// `fetch_sub(v)`
    Sub,
    /// `fetch_min(v)`
    Min,
    /// `fetch_max(v)`
    Max,
    /// `fetch_and(v)`
    And,
    /// `fetch_or(v)`
    Or,
    /// `fetch_xor(v)`
    Xor,
    /// `swap(v)`: writes `v`.
    Exchange,
    /// `compare_exchange(current, new)`: writes `new` if the element equals `current`. Returns
    /// the previous value (CUDA's `atomicCAS`), so it succeeded exactly when that equals
    /// `current`; it never fails spuriously.
    CompareExchange,
}

impl AtomicOp {
    /// All operations, for lookup by method name.
    pub const ALL: [AtomicOp; 11] = [
        AtomicOp::Load,
        AtomicOp::Store,
        AtomicOp::Add,
        AtomicOp::Sub,
        AtomicOp::Min,
        AtomicOp::Max,
        AtomicOp::And,
        AtomicOp::Or,
        AtomicOp::Xor,
        AtomicOp::Exchange,
        AtomicOp::CompareExchange,
    ];
    /// The method's source name.
    pub fn method(self) -> &'static str {
        use AtomicOp::*;
        match self {
            Load => "load",
            Store => "store",
            Add => "fetch_add",
            Sub => "fetch_sub",
            Min => "fetch_min",
            Max => "fetch_max",
            And => "fetch_and",
            Or => "fetch_or",
            Xor => "fetch_xor",
            Exchange => "swap",
            CompareExchange => "compare_exchange",
        }
    }
    /// Finds an operation by method name.
    pub fn from_method(name: &str) -> Option<AtomicOp> {
        Self::ALL.iter().copied().find(|op| op.method() == name)
    }
    /// Number of value operands (the ordering arguments not counted).
    pub fn operands(self) -> usize {
        match self {
            AtomicOp::Load => 0,
            AtomicOp::CompareExchange => 2,
            _ => 1,
        }
    }
    /// Number of `Ordering` arguments Rust's method takes.
    pub fn orderings(self) -> usize {
        match self {
            AtomicOp::CompareExchange => 2,
            _ => 1,
        }
    }
    /// Whether it yields a value (the previous or current value of the element).
    pub fn returns(self) -> bool {
        self != AtomicOp::Store
    }
}

/// A subgroup collective of [`Stmt::Subgroup`]. A subgroup is a set of invocations of one
/// workgroup that run in lockstep: on CUDA a warp of 32 consecutive linear local ids, on the CPU
/// the same 32, on wgpu the adapter's choice (`subgroup_size()` says how many).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SubgroupOp {
    /// `subgroup_add(v)`: the sum over the subgroup (wrapping for integers).
    Add,
    /// `subgroup_min(v)`
    Min,
    /// `subgroup_max(v)`
    Max,
    /// `subgroup_broadcast(v, lane)`: `v` of invocation `lane` of the subgroup.
    Broadcast,
    /// `subgroup_shuffle_xor(v, mask)`: `v` of invocation `subgroup_invocation_id() ^ mask`.
    ShuffleXor,
}

impl SubgroupOp {
    /// Every operation.
    pub const ALL: [SubgroupOp; 5] = [
        SubgroupOp::Add,
        SubgroupOp::Min,
        SubgroupOp::Max,
        SubgroupOp::Broadcast,
        SubgroupOp::ShuffleXor,
    ];
    /// The function's name in the kernel language.
    pub fn name(self) -> &'static str {
        match self {
            SubgroupOp::Add => "subgroup_add",
            SubgroupOp::Min => "subgroup_min",
            SubgroupOp::Max => "subgroup_max",
            SubgroupOp::Broadcast => "subgroup_broadcast",
            SubgroupOp::ShuffleXor => "subgroup_shuffle_xor",
        }
    }
    /// The operation a function name denotes.
    pub fn from_name(name: &str) -> Option<SubgroupOp> {
        SubgroupOp::ALL.into_iter().find(|o| o.name() == name)
    }
    /// Whether it takes a lane or mask argument after the value.
    pub fn has_arg(self) -> bool {
        matches!(self, SubgroupOp::Broadcast | SubgroupOp::ShuffleXor)
    }
}

/// The subgroup's intrinsics, both `u32`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SubgroupId {
    /// `subgroup_size()`: invocations per subgroup (32 on CUDA and the CPU).
    Size,
    /// `subgroup_invocation_id()`: the invocation's lane in its subgroup, `0..subgroup_size()`.
    InvocationId,
}

impl SubgroupId {
    /// The function's name in the kernel language.
    pub fn name(self) -> &'static str {
        match self {
            SubgroupId::Size => "subgroup_size",
            SubgroupId::InvocationId => "subgroup_invocation_id",
        }
    }
}

/// What a [`Stmt::Atomic`] operates on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AtomicTarget {
    /// An atomic slice parameter (`&[AtomicU32]`, `&[AtomicI32]`).
    Slice(ParamId),
    /// An atomic workgroup array (`shared_array::<AtomicU32, N>()`).
    Array(ArrayId),
}

/// An expression. See the module docs for evaluation rules.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A literal.
    Literal(Literal),
    /// An associated constant such as `f32::MAX`.
    Constant(Constant),
    /// The value of a scalar parameter.
    Param(ParamId),
    /// The current value of a local.
    Local(LocalId),
    /// One component of an id intrinsic.
    Builtin(Builtin, Axis),
    /// `subgroup_size()` or `subgroup_invocation_id()`, `u32`.
    SubgroupId(SubgroupId),
    /// `s.len()` of a slice parameter, as `u32`.
    Len(ParamId),
    /// `s[index]` of a slice parameter; `index` is `u32`. Out of bounds is an error on the CPU
    /// backend, clamped by robust access on wgpu, and undefined on CUDA.
    Load {
        /// The slice.
        slice: ParamId,
        /// The element index.
        index: ExprId,
    },
    /// `a[index]` of an array; `index` is `u32`. Out of bounds is an error on the CPU backend,
    /// clamped on wgpu, and undefined on CUDA.
    ArrayLoad {
        /// The array.
        array: ArrayId,
        /// The element index.
        index: ExprId,
    },
    /// A unary operation.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// The operand.
        arg: ExprId,
    },
    /// A binary operation.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Left operand.
        left: ExprId,
        /// Right operand.
        right: ExprId,
    },
    /// `expr as ty`.
    Cast {
        /// The value converted.
        expr: ExprId,
        /// The target type.
        to: Scalar,
    },
    /// A math function call.
    Math {
        /// The function.
        fun: MathFn,
        /// Its arguments, receiver first.
        args: Vec<ExprId>,
    },
    /// Stands in for an expression the front end rejected (an error was reported).
    Error,
}

/// A block: statements run in order; locals declared in it go out of scope at its end.
pub type Block = Vec<Stmt>;

/// A statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    /// Declares a local, with an initial value or else zero.
    Let {
        /// The local declared.
        local: LocalId,
        /// Its initial value.
        init: Option<ExprId>,
    },
    /// Assigns a mutable local.
    Assign {
        /// The local assigned.
        local: LocalId,
        /// The new value.
        value: ExprId,
    },
    /// Stores into an element of a `&mut` slice.
    Store {
        /// The slice (a `&mut [T]` parameter).
        slice: ParamId,
        /// The element index (`u32`).
        index: ExprId,
        /// The value stored.
        value: ExprId,
    },
    /// An atomic operation on element `index` of an atomic slice or workgroup array:
    /// `s[index].op(args)`.
    Atomic {
        /// The slice or array.
        target: AtomicTarget,
        /// The element index (`u32`). Out of bounds is an error on the CPU backend, clamped or
        /// dropped by robust access on wgpu, and undefined on CUDA.
        index: ExprId,
        /// The operation.
        op: AtomicOp,
        /// Its value operands, of the element type ([`AtomicOp::operands`] of them).
        args: Vec<ExprId>,
        /// The local that receives the returned value, of the element type.
        result: Option<LocalId>,
    },
    /// A subgroup (warp) collective, `result = subgroup_<op>(value[, arg])`: every invocation
    /// of the subgroup contributes `value` and receives its result. Like a barrier it must be
    /// reached by the whole workgroup (`proc::uniform`).
    Subgroup {
        /// The operation.
        op: SubgroupOp,
        /// The contributed value: `f32`, `i32` or `u32`.
        value: ExprId,
        /// The lane (`Broadcast`) or lane mask (`ShuffleXor`), `u32`.
        arg: Option<ExprId>,
        /// The local that receives the result, of the type of `value`.
        result: LocalId,
        /// An expression spanning the call, for errors.
        site: ExprId,
    },
    /// Declares a private array and fills it with `init` (zero when absent).
    ArrayDecl {
        /// The array, of [`Space::Private`].
        array: ArrayId,
        /// The value of every element.
        init: Option<ExprId>,
    },
    /// Stores into an element of an array.
    ArrayStore {
        /// The array.
        array: ArrayId,
        /// The element index (`u32`).
        index: ExprId,
        /// The value stored.
        value: ExprId,
    },
    /// `barrier()`: waits until every invocation of the workgroup reaches it; workgroup
    /// memory written before it is visible to every invocation of the workgroup after it (CUDA
    /// `__syncthreads()`, WGSL `workgroupBarrier()`). It orders workgroup memory only, not
    /// storage buffers. Allowed only where control flow is uniform across the workgroup.
    Barrier {
        /// A `true` literal whose span is the call, for messages; never evaluated.
        site: ExprId,
    },
    /// `if cond { accept } else { reject }`.
    If {
        /// A `bool`.
        cond: ExprId,
        /// Run when `cond` is true.
        accept: Block,
        /// Run when `cond` is false.
        reject: Block,
    },
    /// `for var in start..end` or `for var in (start..end).step_by(step)`: `end` and `step` are
    /// evaluated once before the first iteration; `var` is immutable in the body; `continue`
    /// moves on to the next value.
    For {
        /// The loop variable, `u32` or `i32`.
        var: LocalId,
        /// First value.
        start: ExprId,
        /// Exclusive end.
        end: ExprId,
        /// Increment; 1 when absent. A step of 0 is treated as 1.
        step: Option<ExprId>,
        /// The body.
        body: Block,
    },
    /// `while cond { body }`.
    While {
        /// A `bool`, evaluated before each iteration.
        cond: ExprId,
        /// The body.
        body: Block,
    },
    /// `loop { body }`, left with `break` or `return`.
    Loop {
        /// The body.
        body: Block,
    },
    /// `break` out of the innermost loop.
    Break,
    /// `continue` the innermost loop.
    Continue,
    /// Ends this invocation.
    Return,
}

/// Calls `f` on every statement of `block`, nested ones included, in source order.
pub fn walk_stmts<'a>(block: &'a [Stmt], f: &mut impl FnMut(&'a Stmt)) {
    for stmt in block {
        f(stmt);
        match stmt {
            Stmt::If { accept, reject, .. } => {
                walk_stmts(accept, f);
                walk_stmts(reject, f);
            }
            Stmt::For { body, .. } | Stmt::While { body, .. } | Stmt::Loop { body } => {
                walk_stmts(body, f)
            }
            _ => {}
        }
    }
}

/// Calls `f` on every expression the statements of `block` use, nested blocks included, and on
/// every operand under them.
pub fn walk_exprs(kernel: &Kernel, block: &[Stmt], f: &mut impl FnMut(ExprId)) {
    let mut stack: Vec<ExprId> = Vec::new();
    walk_stmts(block, &mut |s| stack.extend(stmt_exprs(s)));
    while let Some(e) = stack.pop() {
        f(e);
        stack.extend(expr_operands(kernel.expr(e)));
    }
}

/// Calls `f(slice, index)` on every store to and load from a slice in `block`, nested blocks
/// included (atomics not: they are not loads or stores).
pub fn walk_slice_accesses(kernel: &Kernel, block: &[Stmt], f: &mut impl FnMut(ParamId, ExprId)) {
    walk_stmts(block, &mut |s| {
        if let Stmt::Store { slice, index, .. } = s {
            f(*slice, *index);
        }
    });
    walk_exprs(kernel, block, &mut |e| {
        if let Expr::Load { slice, index } = kernel.expr(e) {
            f(*slice, *index);
        }
    });
}

/// Calls `f(array, index)` on every store to and load from an array in `block`, nested blocks
/// included (atomics not), as [`walk_slice_accesses`] does for slices.
pub fn walk_array_accesses(kernel: &Kernel, block: &[Stmt], f: &mut impl FnMut(ArrayId, ExprId)) {
    walk_stmts(block, &mut |s| {
        if let Stmt::ArrayStore { array, index, .. } = s {
            f(*array, *index);
        }
    });
    walk_exprs(kernel, block, &mut |e| {
        if let Expr::ArrayLoad { array, index } = kernel.expr(e) {
            f(*array, *index);
        }
    });
}

/// The expressions a statement uses directly (not those of nested blocks).
pub fn stmt_exprs(stmt: &Stmt) -> Vec<ExprId> {
    match stmt {
        Stmt::Let { init, .. } => init.iter().copied().collect(),
        Stmt::Assign { value, .. } => vec![*value],
        Stmt::Store { index, value, .. } | Stmt::ArrayStore { index, value, .. } => {
            vec![*index, *value]
        }
        Stmt::ArrayDecl { init, .. } => init.iter().copied().collect(),
        Stmt::Atomic { index, args, .. } => {
            let mut v = vec![*index];
            v.extend(args.iter().copied());
            v
        }
        Stmt::Subgroup { value, arg, .. } => {
            let mut v = vec![*value];
            v.extend(arg.iter().copied());
            v
        }
        Stmt::If { cond, .. } | Stmt::While { cond, .. } => vec![*cond],
        Stmt::For {
            start, end, step, ..
        } => {
            let mut v = vec![*start, *end];
            v.extend(step.iter().copied());
            v
        }
        Stmt::Loop { .. } | Stmt::Break | Stmt::Continue | Stmt::Return | Stmt::Barrier { .. } => {
            vec![]
        }
    }
}

/// The direct operands of an expression.
pub fn expr_operands(expr: &Expr) -> Vec<ExprId> {
    match expr {
        Expr::Load { index, .. } | Expr::ArrayLoad { index, .. } => vec![*index],
        Expr::Unary { arg, .. } => vec![*arg],
        Expr::Binary { left, right, .. } => vec![*left, *right],
        Expr::Cast { expr, .. } => vec![*expr],
        Expr::Math { args, .. } => args.clone(),
        _ => vec![],
    }
}
