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
//! Nodes live in arenas ([`Arena`]: parameters, locals, arrays and expressions) and are
//! referred to by typed handles ([`ExprId`], [`LocalId`], ...); every node carries the span of
//! the source it came from, and so does every statement of a [`Block`]. Expressions have no side effects, except that a [`Expr::Load`]
//! may fail on the CPU backend (out-of-bounds index): they are evaluated where a statement uses
//! them, operands left to right, and `&&`/`||` short-circuit. Statements ([`Stmt`]) hold the
//! effects: declarations, assignments, stores and control flow. An `if` used as an expression
//! in the source is lowered by the front end to a fresh local assigned in both arms, so the IR
//! has no expression-level control flow other than short-circuiting logic.
//!
//! # Types and arithmetic
//!
//! Every value has a [`Scalar`] type: `f16`, `bf16`, `f32`, `f64`, `i32`, `u32`, `i64`, `u64`
//! or `bool`. The IR records only the
//! types the source writes ([`Local::declared_ty`], [`Array::declared_elem`], literal suffixes);
//! `valid` checks them, infers the rest (an unsuffixed float literal is `f32` and an unsuffixed
//! integer `i32` when nothing says otherwise) and returns every expression's, local's and array
//! element's type in a side table (`valid::Info`), which is where back ends read types. Integer
//! arithmetic wraps (two's complement) on every backend. Integer division by zero yields the
//! dividend and remainder by zero yields 0 (WGSL's definition); `MIN / -1` is `MIN`.
//! Shift amounts are `u32` and are taken modulo the type's width (32 or 64). Casts follow Rust's
//! `as`: float to integer truncates toward zero and saturates, NaN giving 0; integer to float
//! and float to narrower float round to nearest, ties to even; integer to integer truncates or
//! extends by the source's signedness. `f16` and `bf16` arithmetic is computed in `f32` and
//! rounded to the type after every operation, which for `+ - * /` and `sqrt` is the correctly
//! rounded result (`f32` has more than twice their precision plus two bits). Float results of
//! the math functions ([`MathFn`]) agree within the per-function tolerance documented in the
//! README.
//!
//! # Names
//!
//! Locals are unique in a kernel: the front end renames a shadowing `let` (`x`, `x_1`, ...), so
//! back ends can declare every local once in its block without further renaming, apart from
//! escaping their own keywords.

use proc_macro2::Span;

mod arena;
mod matrix;
mod ops;
mod types;
mod vector;
mod walk;

pub use arena::{index, Arena, Block, Handle, HandleMap};
pub use matrix::*;
pub use ops::*;
pub use types::*;
pub use vector::*;
pub use walk::*;

/// An expression of [`Kernel::exprs`].
pub type ExprId = Handle<Expr>;

/// A local of [`Kernel::locals`].
pub type LocalId = Handle<Local>;

/// A parameter of [`Kernel::params`].
pub type ParamId = Handle<Param>;

/// An array of [`Kernel::arrays`].
pub type ArrayId = Handle<Array>;

/// A fixed-length array: workgroup shared memory or a private array.
#[derive(Clone, Debug)]
pub struct Array {
    /// A name unique within the kernel, as for locals.
    pub name: String,
    /// The element type written in the source (`shared_array::<f32, N>()`, `[0.0f32; N]`, a
    /// `[T; N]` annotation); `None` when it comes from the fill value, which `valid` types.
    /// Never `bool` in workgroup memory; always written for atomic arrays.
    pub declared_elem: Option<Scalar>,
    /// Number of elements, at least 1; a compile-time constant (0 for a launch-sized array).
    pub len: u32,
    /// For workgroup memory sized at launch, `shared_array::<f32>(n)`: the `u32` scalar
    /// parameter that holds its length (CUDA dynamic shared memory, a WGSL `override`-sized
    /// array, a CPU allocation per task). At most one per kernel.
    pub len_param: Option<ParamId>,
    /// Workgroup or private.
    pub space: Space,
    /// Declared `shared_array::<AtomicU32, N>()` (or `AtomicI32`; workgroup memory only): its
    /// elements are accessed only by [`Stmt::Atomic`].
    pub atomic: bool,
}

/// A kernel: the unit that every back end writes out as one entry point.
#[derive(Clone, Debug)]
pub struct Kernel {
    /// The Rust function's name; also the CUDA `extern "C"` and WGSL entry-point name.
    pub name: String,
    /// Invocations per workgroup in x, y, z; each at least 1.
    pub workgroup_size: [u32; 3],
    /// Parameters in source order; the order of `launch`'s arguments.
    pub params: Arena<Param>,
    /// Every local of the kernel, including `for` loop variables and front-end temporaries,
    /// each spanning its declaration.
    pub locals: Arena<Local>,
    /// Workgroup and private arrays, each spanning its declaration; workgroup arrays exist for
    /// the whole kernel, private ones from their [`Stmt::ArrayDecl`].
    pub arrays: Arena<Array>,
    /// Every expression, each spanning its source.
    pub exprs: Arena<Expr>,
    /// Matrix fragments (see [`matrix`]), each spanning its first `let`; they exist for the
    /// whole kernel, one per subgroup.
    pub matrices: Arena<Matrix>,
    /// The statements run by each invocation.
    pub body: Block,
}

impl Kernel {
    /// The element type of an atomic target as declared: always known, except for an array
    /// whose declared type was rejected (an error was reported).
    pub fn atomic_elem(&self, t: AtomicTarget) -> Option<Scalar> {
        match t {
            AtomicTarget::Slice(p) => match self.param(p).kind {
                ParamKind::Slice { elem, .. } | ParamKind::Scalar(elem) => Some(elem),
            },
            AtomicTarget::Array(a) => self.array(a).declared_elem,
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
        &self.exprs[id]
    }
    /// The span of expression `id`.
    pub fn span(&self, id: ExprId) -> Span {
        self.exprs.span(id)
    }
    /// The local `id` refers to.
    pub fn local(&self, id: LocalId) -> &Local {
        &self.locals[id]
    }
    /// The array `id` refers to.
    pub fn array(&self, id: ArrayId) -> &Array {
        &self.arrays[id]
    }
    /// The kernel's launch-sized workgroup array and the parameter holding its length.
    pub fn launch_sized_array(&self) -> Option<(ArrayId, ParamId)> {
        self.arrays
            .iter()
            .find_map(|(id, a)| a.len_param.map(|p| (id, p)))
    }
    /// Whether the kernel has a [`Stmt::Barrier`].
    pub fn has_barrier(&self) -> bool {
        let mut found = false;
        walk_stmts(&self.body, &mut |s| found |= matches!(s, Stmt::Barrier(_)));
        found
    }
    /// Whether the kernel has a `subgroup_barrier()` (wgpu needs the adapter's
    /// `SUBGROUP_BARRIER` feature for it).
    pub fn has_subgroup_barrier(&self) -> bool {
        let mut found = false;
        walk_stmts(&self.body, &mut |s| {
            found |= matches!(s, Stmt::Barrier(Barrier::Subgroup))
        });
        found
    }
    /// Whether the kernel uses subgroup operations or intrinsics (wgpu needs the adapter's
    /// `SUBGROUP` feature for it).
    pub fn uses_subgroups(&self) -> bool {
        let mut found = false;
        walk_stmts(&self.body, &mut |s| {
            found |= matches!(s, Stmt::Subgroup { .. } | Stmt::Barrier(Barrier::Subgroup))
        });
        found
            || self
                .exprs
                .values()
                .any(|e| matches!(e, Expr::SubgroupId(_)))
    }
    /// Whether the kernel uses matrix tiles ([`Stmt::Matrix`]).
    pub fn uses_matrices(&self) -> bool {
        !self.matrices.is_empty()
    }
    /// The fragment `id` refers to.
    pub fn matrix(&self, id: MatrixId) -> &Matrix {
        &self.matrices[id]
    }
    /// The element type of the memory `mem` (`None`: an array whose type was rejected).
    pub fn mem_elem(&self, mem: Memory) -> Option<Scalar> {
        self.atomic_elem(mem.into())
    }
    /// The source name of the memory `mem`.
    pub fn mem_name(&self, mem: Memory) -> &str {
        self.atomic_name(mem.into())
    }
    /// The kernel's vector accesses ([`Stmt::Vector`]), in source order.
    pub fn vector_ops(&self) -> Vec<&VectorOp> {
        let mut ops = Vec::new();
        walk_stmts(&self.body, &mut |s| {
            if let Stmt::Vector(op) = s {
                ops.push(op);
            }
        });
        ops
    }
    /// Lanes of the widest vector access ([`Stmt::Vector`]) of slice `p`; 1 when none.
    pub fn vector_lanes(&self, p: ParamId) -> u32 {
        self.vector_ops()
            .iter()
            .filter(|op| op.mem() == Memory::Slice(p))
            .map(|op| op.width())
            .fold(1, u32::max)
    }
    /// The parameter `id` refers to.
    pub fn param(&self, id: ParamId) -> &Param {
        &self.params[id]
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

/// A local variable.
#[derive(Clone, Debug)]
pub struct Local {
    /// A name unique within the kernel (see "Names" in the module docs).
    pub name: String,
    /// The type written in the source (`let x: f32`), or fixed by the front end for its
    /// temporaries; `None` when `valid` infers it from the initialiser or a later use.
    pub declared_ty: Option<Scalar>,
    /// Declared `let mut` (or a front-end temporary).
    pub mutable: bool,
}

/// The kinds of [`Stmt::Barrier`]: which invocations wait, and which memory they order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Barrier {
    /// `barrier()`, CUDA's `__syncthreads()`: waits until every invocation of the workgroup
    /// reaches it; what any of them wrote before it, to workgroup memory or to storage buffers,
    /// is visible to all of them after it (WGSL `storageBarrier(); workgroupBarrier();`).
    Full,
    /// `workgroup_barrier()`: as [`Barrier::Full`] for workgroup memory only (WGSL
    /// `workgroupBarrier()`, cheaper where storage writes need no ordering).
    Workgroup,
    /// `subgroup_barrier()`, CUDA's `__syncwarp()`: waits until every invocation of the
    /// subgroup reaches it, and orders the memory they write (WGSL `subgroupBarrier()`, which
    /// needs wgpu's `SUBGROUP_BARRIER`).
    Subgroup,
}

impl Barrier {
    /// The intrinsic's name in the source.
    pub fn name(self) -> &'static str {
        match self {
            Barrier::Full => "barrier",
            Barrier::Workgroup => "workgroup_barrier",
            Barrier::Subgroup => "subgroup_barrier",
        }
    }
    /// The barrier an intrinsic named `name` is, if it is one.
    pub fn from_name(name: &str) -> Option<Barrier> {
        [Barrier::Full, Barrier::Workgroup, Barrier::Subgroup]
            .into_iter()
            .find(|b| b.name() == name)
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

/// Plain (not atomic) memory that matrix tiles and vectors are loaded from and stored to: a
/// slice parameter or a workgroup array.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Memory {
    /// A slice parameter (`&[T]` or, for stores, `&mut [T]`).
    Slice(ParamId),
    /// A workgroup array.
    Array(ArrayId),
}

impl From<Memory> for AtomicTarget {
    /// The same memory as the element target the rest of the IR names it by.
    fn from(mem: Memory) -> Self {
        match mem {
            Memory::Slice(p) => AtomicTarget::Slice(p),
            Memory::Array(a) => AtomicTarget::Array(a),
        }
    }
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
    /// A bit or multi-limb integer operation ([`IntOp`]); its arguments, receiver first.
    Int {
        /// The operation.
        op: IntOp,
        /// Its arguments.
        args: Vec<ExprId>,
    },
    /// Stands in for an expression the front end rejected (an error was reported).
    Error,
}

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
    /// A barrier (see [`Barrier`]). A workgroup barrier is allowed only where control flow is
    /// uniform across the workgroup, a subgroup barrier where it is uniform across the subgroup.
    Barrier(Barrier),
    /// An operation on matrix fragments ([`MatrixOp`]), run by the whole subgroup: like a
    /// subgroup operation it must be reached by every lane of a subgroup, with operands the
    /// same across it (`proc::uniform`).
    Matrix(MatrixOp),
    /// A vector load or store ([`VectorOp`]): 2 or 4 consecutive elements accessed as one.
    Vector(VectorOp),
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
        /// Lower bound: the first value, or the last when `reverse`.
        start: ExprId,
        /// Upper bound, exclusive unless `inclusive`.
        end: ExprId,
        /// Increment; 1 when absent. A step of 0 is treated as 1.
        step: Option<ExprId>,
        /// `a..=b`: `end` is included.
        inclusive: bool,
        /// `(a..b).rev()` (and `.rev().step_by(s)`): from the upper bound down to `start`.
        reverse: bool,
        /// `#[unroll]`: the front end has checked that the bounds and step are integer
        /// literals, ascending, with at most `proc::unroll::MAX_UNROLL` values and no `break` or
        /// `continue` of the loop's own; WGSL writes it out whatever its size, CUDA adds
        /// `#pragma unroll`, the CPU back end leaves it to LLVM (`proc::unroll`).
        unroll: bool,
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
