//! The IR's operators and intrinsics: id intrinsics and their components, unary and binary
//! operators, math functions, atomic and subgroup operations.

use super::Scalar;

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
    /// `sinh(x)`
    Sinh,
    /// `cosh(x)`
    Cosh,
    /// `tan(x)`
    Tan,
    /// `asin(x)`
    Asin,
    /// `acos(x)`
    Acos,
    /// `atan(x)`
    Atan,
    /// `y.atan2(x)` / `atan2(y, x)`: the angle of `(x, y)`, in `(-pi, pi]`
    Atan2,
    /// `log10(x)`
    Log10,
    /// `rsqrt(x)` = `1 / sqrt(x)` (CUDA's `rsqrtf`, WGSL's `inverseSqrt`)
    Rsqrt,
    /// `recip(x)` = `1 / x`
    Recip,
    /// `x.copysign(y)`: the magnitude of `x` with the sign bit of `y`
    Copysign,
    /// `x.signum()`: 1.0 for `+0.0` and positive `x`, -1.0 for `-0.0` and negative `x`, NaN
    /// for NaN (Rust's rule; WGSL's `sign` gives 0 for zeros)
    Signum,
    /// `x.hypot(y)` = `sqrt(x * x + y * y)` without intermediate overflow
    Hypot,
    /// `erf(x)`, the error function (PyTorch's exact GELU is `x * (1 + erf(x / sqrt 2)) / 2`)
    Erf,
    /// `x.exp_m1()` = `e^x - 1`, accurate near 0
    ExpM1,
    /// `x.ln_1p()` = `ln(1 + x)`, accurate near 0
    Ln1p,
}

impl MathFn {
    /// All functions, for lookup by name.
    pub const ALL: [MathFn; 33] = [
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
        MathFn::Sinh,
        MathFn::Cosh,
        MathFn::Tan,
        MathFn::Asin,
        MathFn::Acos,
        MathFn::Atan,
        MathFn::Atan2,
        MathFn::Log10,
        MathFn::Rsqrt,
        MathFn::Recip,
        MathFn::Copysign,
        MathFn::Signum,
        MathFn::Hypot,
        MathFn::Erf,
        MathFn::ExpM1,
        MathFn::Ln1p,
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
            Sinh => "sinh",
            Cosh => "cosh",
            Tan => "tan",
            Asin => "asin",
            Acos => "acos",
            Atan => "atan",
            Atan2 => "atan2",
            Log10 => "log10",
            Rsqrt => "rsqrt",
            Recip => "recip",
            Copysign => "copysign",
            Signum => "signum",
            Hypot => "hypot",
            Erf => "erf",
            ExpM1 => "exp_m1",
            Ln1p => "ln_1p",
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
            Min | Max | Pow | Atan2 | Copysign | Hypot => 2,
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

/// An atomic operation of [`Stmt::Atomic`](super::Stmt::Atomic), named by its method in the source (Rust's
/// `AtomicU32` methods). Every one is relaxed: atomic as a whole, unordered with other memory
/// accesses (WGSL has only relaxed atomics). Arithmetic wraps; `Min`/`Max` compare as the
/// element type (signed for `i32`).
///
/// On `f32` (`AtomicF32`) the arithmetic rounds like `+`, `Min`/`Max` are `f32::min`/`max`,
/// and `CompareExchange` compares bits (as CUDA's `atomicCAS` and the `atomic_float` crate
/// do: `-0.0` differs from `0.0`, a NaN equals itself). The bitwise operations do not exist.
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
    /// Whether the operation exists on atomics of element type `elem` (`None`: not yet known,
    /// accepted): the bitwise ones do not on `f32`.
    pub fn defined_on(self, elem: Option<Scalar>) -> bool {
        let bitwise = matches!(self, AtomicOp::And | AtomicOp::Or | AtomicOp::Xor);
        !(bitwise && elem.is_some_and(|e| e.is_float()))
    }
    /// Whether it yields a value (the previous or current value of the element).
    pub fn returns(self) -> bool {
        self != AtomicOp::Store
    }
}

/// A subgroup collective of [`Stmt::Subgroup`](super::Stmt::Subgroup). A subgroup is a set of invocations of one
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
    /// `subgroup_id()`: the subgroup's index in its workgroup, `0..num_subgroups()` (CUDA's
    /// warp index, linear local id / 32). The same for every lane of a subgroup.
    Id,
    /// `num_subgroups()`: subgroups per workgroup.
    Count,
}

impl SubgroupId {
    /// The function's name in the kernel language.
    pub fn name(self) -> &'static str {
        match self {
            SubgroupId::Size => "subgroup_size",
            SubgroupId::InvocationId => "subgroup_invocation_id",
            SubgroupId::Id => "subgroup_id",
            SubgroupId::Count => "num_subgroups",
        }
    }
}

/// The bit and multi-limb operations of [`Expr::Int`](super::Expr::Int), Rust's integer
/// methods of the same names. Operands and results are as Rust types them; the pair results of
/// `overflowing_add`, `carrying_add`, `borrowing_sub` and `widening_mul` are two expressions:
/// the value is an ordinary wrapping operator, the second part one of `MulHi`, `AddCarry`,
/// `SubBorrow`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IntOp {
    /// `x.count_ones()`: the number of one bits, `u32`.
    CountOnes,
    /// `x.leading_zeros()`: zero bits above the highest one (the width for 0), `u32`.
    LeadingZeros,
    /// `x.trailing_zeros()`: zero bits below the lowest one (the width for 0), `u32`.
    TrailingZeros,
    /// `x.rotate_left(n)`, `n: u32` taken modulo the width.
    RotateLeft,
    /// `x.rotate_right(n)`, `n: u32` taken modulo the width.
    RotateRight,
    /// `x.reverse_bits()`.
    ReverseBits,
    /// The high half of the double-width product of two unsigned integers of one type (the
    /// second result of `widening_mul`).
    MulHi,
    /// The carry out of `a + b + c` for unsigned `a`, `b` and `c: bool`, a `bool` (the second
    /// result of `overflowing_add` and `carrying_add`).
    AddCarry,
    /// The borrow out of `a - b - c` for unsigned `a`, `b` and `c: bool`, a `bool` (the second
    /// result of `overflowing_sub` and `borrowing_sub`).
    SubBorrow,
    /// `x.to_bits()` of an `f32` or `f64`: its bits as a `u32` or `u64`.
    ToBits,
    /// `f32::from_bits(u)` or `f64::from_bits(u)`: the float of that type with bits `u`.
    FromBits(Scalar),
    /// `x.is_nan()` of any float type, a `bool`: decided on the bits (or, for WGSL's `f64`,
    /// by an ordered comparison), never by `x != x`, which a shader compiler may fold away.
    IsNan,
    /// `x.is_finite()` of any float type, a `bool`: neither infinite nor NaN, decided as
    /// `IsNan` is.
    IsFinite,
}

impl IntOp {
    /// The Rust method's name (both methods' for the carries), for messages.
    pub fn name(self) -> &'static str {
        match self {
            IntOp::CountOnes => "count_ones",
            IntOp::LeadingZeros => "leading_zeros",
            IntOp::TrailingZeros => "trailing_zeros",
            IntOp::RotateLeft => "rotate_left",
            IntOp::RotateRight => "rotate_right",
            IntOp::ReverseBits => "reverse_bits",
            IntOp::MulHi => "widening_mul",
            IntOp::AddCarry => "overflowing_add`/`carrying_add",
            IntOp::SubBorrow => "overflowing_sub`/`borrowing_sub",
            IntOp::ToBits => "to_bits",
            IntOp::FromBits(_) => "from_bits",
            IntOp::IsNan => "is_nan",
            IntOp::IsFinite => "is_finite",
        }
    }

    /// The operation a method call on a value denotes, with its argument count besides the
    /// receiver (the single-result methods only).
    pub fn from_method(name: &str) -> Option<(IntOp, usize)> {
        Some(match name {
            "count_ones" => (IntOp::CountOnes, 0),
            "leading_zeros" => (IntOp::LeadingZeros, 0),
            "trailing_zeros" => (IntOp::TrailingZeros, 0),
            "rotate_left" => (IntOp::RotateLeft, 1),
            "rotate_right" => (IntOp::RotateRight, 1),
            "reverse_bits" => (IntOp::ReverseBits, 0),
            "to_bits" => (IntOp::ToBits, 0),
            "is_nan" => (IntOp::IsNan, 0),
            "is_finite" => (IntOp::IsFinite, 0),
            _ => return None,
        })
    }
}
