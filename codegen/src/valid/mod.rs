//! Validation: type inference and checking of a lowered kernel.
//!
//! Types follow Rust's rules restricted to the kernel language: both operands of an arithmetic,
//! comparison or bit operator have the same type (no implicit conversions), shift amounts are
//! `u32`, indices are `u32`, conditions are `bool`. An unsuffixed literal, or a local initialised
//! from one, takes its type from the first use that fixes it; otherwise an integer is `i32` and
//! a float `f32`. Inference is two passes over the body: the first only fixes local types, the
//! second checks everything and records each expression's type, reporting every error.

mod limits;
mod typing;

use crate::error::{Error, Errors};
use crate::ir::*;

/// The most workgroup memory a kernel may declare: CUDA's static shared memory per block.
pub const MAX_WORKGROUP_BYTES: u64 = 48 * 1024;

/// The result of validation, a side table of the kernel (naga's `ModuleInfo`): the type of
/// every expression, local and array element, inferred where the source does not write it,
/// and what is uniform across a workgroup. Back ends read types here, never from the IR.
#[derive(Clone, Debug)]
pub struct Info {
    /// Each expression's type (literals resolved from context).
    types: HandleMap<Expr, Scalar>,
    /// Each local's type.
    locals: HandleMap<Local, Scalar>,
    /// Each array's element type.
    arrays: HandleMap<Array, Scalar>,
    /// Uniformity of locals and expressions (the CPU back end splits cooperative kernels by it).
    pub uniform: crate::proc::uniform::Uniformity,
}

impl Info {
    /// The type of expression `id`.
    pub fn ty(&self, id: ExprId) -> Scalar {
        self.types[id]
    }
    /// The type of local `id`.
    pub fn local_ty(&self, id: LocalId) -> Scalar {
        self.locals[id]
    }
    /// The element type of array `id`.
    pub fn array_elem(&self, id: ArrayId) -> Scalar {
        self.arrays[id]
    }
    /// The element type of an atomic slice or array.
    pub fn atomic_elem(&self, kernel: &Kernel, t: AtomicTarget) -> Scalar {
        match t {
            AtomicTarget::Slice(p) => match kernel.param(p).kind {
                ParamKind::Slice { elem, .. } | ParamKind::Scalar(elem) => elem,
            },
            AtomicTarget::Array(a) => self.array_elem(a),
        }
    }
    /// Whether any parameter, expression, local or array of `kernel` has type `s` (back ends
    /// include headers or enable extensions for the types a kernel uses).
    pub fn uses(&self, kernel: &Kernel, s: Scalar) -> bool {
        kernel.params.values().any(|p| match p.kind {
            ParamKind::Scalar(t) | ParamKind::Slice { elem: t, .. } => t == s,
        }) || self.types.values().any(|&t| t == s)
            || self.locals.values().any(|&t| t == s)
            || self.arrays.values().any(|&t| t == s)
    }
    /// Size of array `id` in bytes on the target that stores it widest: a `bf16` element takes
    /// 4 bytes in WGSL, which keeps it as an `f32` (`back/wgsl/bf16.rs`), 2 elsewhere.
    pub fn array_bytes(&self, kernel: &Kernel, id: ArrayId) -> u64 {
        let elem = match self.array_elem(id) {
            Scalar::BF16 => 4,
            t => t.size() as u64,
        };
        kernel.array(id).len as u64 * elem
    }
    /// Bytes of workgroup memory the kernel declares.
    pub fn workgroup_bytes(&self, kernel: &Kernel) -> u64 {
        kernel
            .arrays
            .iter()
            .filter(|(_, a)| a.space == Space::Workgroup)
            .map(|(id, _)| self.array_bytes(kernel, id))
            .sum()
    }
}

/// Validates `kernel` and returns the type of every expression, local and array element.
///
/// # Errors
/// Every type error, each at the span of the expression it is about; barriers and subgroup
/// operations under non-uniform control; workgroup memory over 48 KiB; subgroup operations in
/// workgroups of other than a multiple of 32 invocations. In source order.
pub fn validate(kernel: &Kernel) -> Result<Info, Errors> {
    let typed = typing::infer(kernel);
    let mut errors = typed.errors;
    let mut uniform = crate::proc::uniform::analyse(kernel);
    for (span, msg) in std::mem::take(&mut uniform.violations) {
        errors.push(Error::new(span, msg));
    }
    errors.extend(limits::workgroup_memory(kernel, &typed.arrays));
    errors.extend(limits::whole_subgroups(kernel));
    if errors.is_empty() {
        Ok(Info {
            types: typed.types,
            locals: typed.locals,
            arrays: typed.arrays,
            uniform,
        })
    } else {
        errors.sort_by_key(|e| {
            let s = e.span.start();
            (s.line, s.column)
        });
        Err(Errors(errors))
    }
}
