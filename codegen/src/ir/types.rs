//! The IR's types and values known at compile time: scalars, parameter kinds, where arrays
//! live, literals and associated constants.

/// A scalar type: the types of values, locals and slice elements.
///
/// The order of the variants is part of the generated code's determinism (helpers are written
/// in this order): new types go at the end.
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
    /// IEEE 754 binary16 (`half::f16`): arithmetic is computed in `f32` and rounded to
    /// nearest-even after every operation.
    F16,
    /// bfloat16 (`half::bf16`): the top 16 bits of an `f32`; arithmetic as for `F16`.
    BF16,
    /// IEEE 754 binary64.
    F64,
    /// Two's-complement 64-bit signed integer; arithmetic wraps.
    I64,
    /// 64-bit unsigned integer; arithmetic wraps.
    U64,
}

impl Scalar {
    /// Every type, in declaration order.
    pub const ALL: [Scalar; 9] = [
        Scalar::F32,
        Scalar::I32,
        Scalar::U32,
        Scalar::Bool,
        Scalar::F16,
        Scalar::BF16,
        Scalar::F64,
        Scalar::I64,
        Scalar::U64,
    ];
    /// The Rust spelling of the type (`f32`, ...), used in messages and the CPU back end.
    pub fn rust_name(self) -> &'static str {
        match self {
            Scalar::F32 => "f32",
            Scalar::I32 => "i32",
            Scalar::U32 => "u32",
            Scalar::Bool => "bool",
            Scalar::F16 => "f16",
            Scalar::BF16 => "bf16",
            Scalar::F64 => "f64",
            Scalar::I64 => "i64",
            Scalar::U64 => "u64",
        }
    }
    /// The type a Rust name denotes (`f32`, ...).
    pub fn from_rust_name(name: &str) -> Option<Scalar> {
        Scalar::ALL.into_iter().find(|s| s.rust_name() == name)
    }
    /// Whether the type is an integer (`i32`, `u32`, `i64`, `u64`).
    pub fn is_int(self) -> bool {
        matches!(self, Scalar::I32 | Scalar::U32 | Scalar::I64 | Scalar::U64)
    }
    /// Whether the type is a float (`f16`, `bf16`, `f32`, `f64`).
    pub fn is_float(self) -> bool {
        matches!(self, Scalar::F16 | Scalar::BF16 | Scalar::F32 | Scalar::F64)
    }
    /// Whether the type is a signed integer.
    pub fn is_signed_int(self) -> bool {
        matches!(self, Scalar::I32 | Scalar::I64)
    }
    /// Whether the type is 16 bits wide and computed in `f32` (`f16`, `bf16`).
    pub fn is_half(self) -> bool {
        matches!(self, Scalar::F16 | Scalar::BF16)
    }
    /// Whether the type is 64 bits wide.
    pub fn is_wide(self) -> bool {
        matches!(self, Scalar::F64 | Scalar::I64 | Scalar::U64)
    }
    /// Width in bits (`bool`: 32, as it travels in buffers and parameters).
    pub fn bits(self) -> u32 {
        self.size() * 8
    }
    /// Size in bytes of one element in a buffer.
    pub fn size(self) -> u32 {
        match self {
            Scalar::F16 | Scalar::BF16 => 2,
            Scalar::F64 | Scalar::I64 | Scalar::U64 => 8,
            _ => 4,
        }
    }
    /// Explicitly stored fraction bits of a float type (10, 7, 23, 52); 0 for other types.
    pub fn mantissa_bits(self) -> u32 {
        match self {
            Scalar::F16 => 10,
            Scalar::BF16 => 7,
            Scalar::F32 => 23,
            Scalar::F64 => 52,
            _ => 0,
        }
    }
    /// `(MIN, MAX)` of an integer type; `None` for floats and `bool`.
    pub fn int_range(self) -> Option<(i128, i128)> {
        Some(match self {
            Scalar::I32 => (i32::MIN as i128, i32::MAX as i128),
            Scalar::U32 => (0, u32::MAX as i128),
            Scalar::I64 => (i64::MIN as i128, i64::MAX as i128),
            Scalar::U64 => (0, u64::MAX as i128),
            _ => return None,
        })
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

/// An associated constant such as `f32::MAX` or `u64::MAX`: a kind of constant of a type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Constant {
    /// The type, which is also the constant's type.
    pub ty: Scalar,
    /// Which constant of the type.
    pub kind: ConstantKind,
}

/// Which associated constant of a type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConstantKind {
    /// `MAX`: the largest finite value.
    Max,
    /// `MIN`: the smallest (most negative finite) value.
    Min,
    /// `INFINITY` (floats)
    Infinity,
    /// `NEG_INFINITY` (floats)
    NegInfinity,
    /// `EPSILON` (floats): the difference between 1.0 and the next larger value.
    Epsilon,
    /// `NAN` (floats): the canonical quiet NaN.
    Nan,
    /// `BITS` (integers): the width in bits, a `u32`.
    Bits,
}

impl ConstantKind {
    /// Every kind, for lookup by name.
    pub const ALL: [ConstantKind; 7] = [
        ConstantKind::Max,
        ConstantKind::Min,
        ConstantKind::Infinity,
        ConstantKind::NegInfinity,
        ConstantKind::Epsilon,
        ConstantKind::Nan,
        ConstantKind::Bits,
    ];
    /// The constant's Rust name.
    pub fn name(self) -> &'static str {
        match self {
            ConstantKind::Max => "MAX",
            ConstantKind::Min => "MIN",
            ConstantKind::Infinity => "INFINITY",
            ConstantKind::NegInfinity => "NEG_INFINITY",
            ConstantKind::Epsilon => "EPSILON",
            ConstantKind::Nan => "NAN",
            ConstantKind::Bits => "BITS",
        }
    }
}

/// The value of a constant: a float (exact in its type) or an integer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ConstValue {
    /// A float value, exactly representable in the constant's type.
    Float(f64),
    /// An integer value.
    Int(i128),
}

impl Constant {
    /// The type of the constant's value (`u32` for `BITS`).
    pub fn ty(self) -> Scalar {
        match self.kind {
            ConstantKind::Bits => Scalar::U32,
            _ => self.ty,
        }
    }
    /// The constant's value.
    pub fn value(self) -> ConstValue {
        use ConstantKind::*;
        if self.kind == Bits {
            return ConstValue::Int(self.ty.bits() as i128);
        }
        if let Some((lo, hi)) = self.ty.int_range() {
            return ConstValue::Int(if self.kind == Max { hi } else { lo });
        }
        // Floats: (MAX, EPSILON) per type; MIN is -MAX.
        let (max, eps) = match self.ty {
            Scalar::F16 => (65504.0, 2f64.powi(-10)),
            Scalar::BF16 => (f64::from(f32::from_bits(0x7f7f_0000)), 2f64.powi(-7)),
            Scalar::F64 => (f64::MAX, f64::EPSILON),
            _ => (f64::from(f32::MAX), f64::from(f32::EPSILON)),
        };
        ConstValue::Float(match self.kind {
            Max => max,
            Min => -max,
            Infinity => f64::INFINITY,
            NegInfinity => f64::NEG_INFINITY,
            Epsilon => eps,
            _ => f64::NAN,
        })
    }
    /// Looks up `ty::NAME`.
    pub fn from_path(ty: &str, name: &str) -> Option<Constant> {
        let ty = Scalar::from_rust_name(ty).filter(|&s| s != Scalar::Bool)?;
        let kind = ConstantKind::ALL.into_iter().find(|k| k.name() == name)?;
        let ok = match kind {
            ConstantKind::Max | ConstantKind::Min => true,
            ConstantKind::Bits => ty.is_int(),
            _ => ty.is_float(),
        };
        ok.then_some(Constant { ty, kind })
    }
}
