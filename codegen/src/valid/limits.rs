//! Limits every target shares, checked after typing: workgroup memory within CUDA's static
//! shared memory, and whole subgroups for kernels that use them.

use super::MAX_WORKGROUP_BYTES;
use crate::error::Error;
use crate::ir::*;

/// Subgroups must be complete: CUDA's warp shuffles read undefined values from lanes that do
/// not exist, and the CPU runs subgroups of 32, so a kernel with subgroup operations needs a
/// multiple of 32 invocations per workgroup; so does one with matrix tiles, whose fragments are
/// spread over a subgroup of 32 on every target. The error is at the first such operation.
pub(super) fn whole_subgroups(kernel: &Kernel) -> Option<Error> {
    let n = kernel.invocations_per_group();
    if n.is_multiple_of(32) {
        return None;
    }
    let (mut site, mut what) = (None, "subgroup operations need whole subgroups");
    walk_stmts_spanned(&kernel.body, &mut |s, span| {
        if site.is_none() {
            match s {
                Stmt::Subgroup { .. } => site = Some(span),
                Stmt::Matrix(_) => (site, what) = (Some(span), "matrix tiles need whole warps"),
                _ => {}
            }
        }
    });
    let site = site.or_else(|| {
        kernel
            .exprs
            .iter()
            .find(|(_, e)| matches!(e, Expr::SubgroupId(_)))
            .map(|(id, _)| kernel.span(id))
    })?;
    Some(Error::new(
        site,
        format!(
            "{what}: a workgroup of a multiple of 32 invocations (a \
             CUDA warp; the CPU runs subgroups of 32), and this kernel's has {n}; change \
             `workgroup_size`"
        ),
    ))
}

/// Workgroup memory must fit CUDA's static shared memory (48 KiB); WebGPU guarantees only
/// 16 KiB, so more is checked against the adapter's limit at launch. The error is at the
/// array that crosses the limit; `elems` are the arrays' element types.
pub(super) fn workgroup_memory(kernel: &Kernel, elems: &HandleMap<Array, Scalar>) -> Option<Error> {
    let mut total = 0u64;
    for (id, a) in kernel.arrays.iter() {
        if a.space != Space::Workgroup {
            continue;
        }
        total += a.len as u64 * elems[id].size() as u64;
        if total > MAX_WORKGROUP_BYTES {
            return Some(Error::new(
                kernel.arrays.span(id),
                format!(
                    "this kernel's workgroup memory reaches {total} bytes here, over the 49152 \
                     bytes (48 KiB) of static shared memory a CUDA block may have; use smaller \
                     arrays (WebGPU guarantees only 16 KiB)"
                ),
            ));
        }
    }
    None
}
