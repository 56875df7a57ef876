//! The IR's types and values known at compile time: scalars, parameter kinds, where arrays
//! live, literals and associated constants.

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
        /// and written only by [`Stmt::Atomic`](super::Stmt::Atomic), never by
        /// [`Expr::Load`](super::Expr::Load) or [`Stmt::Store`](super::Stmt::Store).
        atomic: bool,
    },
}

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
