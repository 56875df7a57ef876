//! The GPU backends' bounds check (`Device::set_bounds_check`, `KERNELFORGE_CHECK=bounds`):
//! which checked version a launch runs, and the error its fault record makes.
//!
//! A checked kernel ([`BoundsChecked`]) takes a fault record of [`RECORD_BYTES`] bytes, zeroed
//! before the launch: four `u32`s, a flag, the slot of the slice or array indexed out of
//! bounds, the index and the length. The layout is kernelforge-codegen's `proc::bounds`.

use crate::error::{Error, Result};
use crate::kernel::{BoundsChecked, KernelDesc};

/// Bytes of the fault record.
#[allow(dead_code)] // read by the GPU backends alone, absent from a CPU-only build
pub(crate) const RECORD_BYTES: usize = 16;

/// `desc`'s bounds-checked versions, or the error a launch on `device` returns without them.
///
/// # Errors
/// [`Error::Unsupported`] when kernelforge was built without its `check` feature.
pub(crate) fn checked(desc: &KernelDesc, device: String) -> Result<&'static BoundsChecked> {
    desc.bounds_checked.ok_or_else(|| Error::Unsupported {
        kernel: desc.name,
        what: "a bounds-checked version",
        device: format!("{device}, bounds check on"),
        fix: "build kernelforge with its `check` feature, which embeds each kernel's checked \
              CUDA C and WGSL (kernelforge's own tests turn it on), or turn the check off",
    })
}

/// The error for the fault record `record` (its bytes, as the launch left them) of a checked
/// launch of `desc`: `Ok` when no access was out of bounds, else the error the CPU backend
/// gives for the same access.
#[allow(dead_code)] // called by the GPU backends alone, absent from a CPU-only build
pub(crate) fn outcome(desc: &KernelDesc, checked: &BoundsChecked, record: &[u8]) -> Result<()> {
    let word = |i: usize| {
        record
            .get(4 * i..4 * i + 4)
            .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    if word(0) == 0 {
        return Ok(());
    }
    let (slot, index, len) = (word(1) as usize, word(2), word(3) as usize);
    match desc.params.get(slot) {
        Some(p) => Err(Error::OutOfBounds {
            kernel: desc.name,
            param: p.name,
            index,
            len,
        }),
        None => Err(Error::ArrayOutOfBounds {
            kernel: desc.name,
            array: checked
                .arrays
                .get(slot - desc.params.len())
                .copied()
                .unwrap_or("?"),
            index,
            len,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::{ParamDesc, ScalarType};

    fn desc() -> KernelDesc {
        fn no_cpu(
            _: &crate::cpu_rt::Launch,
            _: &crate::cpu_rt::Args,
        ) -> std::result::Result<(), crate::cpu_rt::Fault> {
            Ok(())
        }
        static PARAMS: [ParamDesc; 2] = [
            ParamDesc {
                name: "n",
                ty: ScalarType::U32,
                slice: None,
                vector_lanes: 1,
            },
            ParamDesc {
                name: "y",
                ty: ScalarType::F32,
                slice: Some(true),
                vector_lanes: 1,
            },
        ];
        KernelDesc {
            name: "k",
            workgroup_size: [64, 1, 1],
            params: &PARAMS,
            cuda_source: "",
            ptx: None,
            cubins: &[],
            wgsl_source: "",
            wgsl_x4_source: None,
            workgroup_bytes: 0,
            subgroups: false,
            shared_len: None,
            subgroup_barrier: false,
            shader_f16: false,
            shader_f64: false,
            cpu: no_cpu,
            cpu_checked: None,
            bounds_checked: None,
        }
    }

    const CHECKED: BoundsChecked = BoundsChecked {
        cuda_source: "",
        wgsl_source: "",
        arrays: &["tile", "acc"],
    };

    fn record(words: [u32; 4]) -> Vec<u8> {
        words.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    #[test]
    fn a_record_names_the_slice_or_array_it_holds() {
        let d = desc();
        assert!(outcome(&d, &CHECKED, &record([0, 0, 0, 0])).is_ok());
        let e = outcome(&d, &CHECKED, &record([1, 1, 70, 64])).unwrap_err();
        assert!(
            matches!(
                e,
                Error::OutOfBounds {
                    kernel: "k",
                    param: "y",
                    index: 70,
                    len: 64
                }
            ),
            "{e}"
        );
        let e = outcome(&d, &CHECKED, &record([1, 3, 4, 4])).unwrap_err();
        assert!(
            matches!(
                e,
                Error::ArrayOutOfBounds {
                    array: "acc",
                    index: 4,
                    len: 4,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn without_checked_versions_a_checked_launch_is_unsupported() {
        let e = checked(&desc(), "a GPU".into()).unwrap_err();
        assert!(e.to_string().contains("`check` feature"), "{e}");
    }
}
