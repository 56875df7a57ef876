//! PTX ISA versions against CUDA driver versions: which PTX a driver loads, and what the CUDA
//! backend does when it will not. Pure functions, so the rules are tested without a GPU.
//!
//! Source: the release notes of the PTX ISA (PTX ISA 9.0 = CUDA 13.0, 8.8 = 12.9, 8.7 = 12.8,
//! 8.6 = 12.7, 8.5 = 12.5 and 12.6, 8.0-8.4 = 12.0-12.4, 7.x = 11.x). A driver JIT-compiles PTX
//! of its own CUDA version's ISA or older and refuses newer PTX with
//! `CUDA_ERROR_UNSUPPORTED_PTX_VERSION`.

/// A CUDA version in the driver API's encoding: `major * 1000 + minor * 10` (13000 = CUDA 13.0).
pub type CudaVersion = i32;

/// `"CUDA 13.0"` for 13000.
pub fn cuda_version_name(v: CudaVersion) -> String {
    format!("CUDA {}.{}", v / 1000, (v % 1000) / 10)
}

/// The highest PTX ISA version (major, minor) a driver of CUDA version `driver` loads.
pub fn max_ptx_isa(driver: CudaVersion) -> (u32, u32) {
    let (major, minor) = (driver / 1000, (driver % 1000) / 10);
    match (major, minor) {
        (m, _) if m >= 14 => (9, 9),
        (13, n) => (9, n as u32),
        (12, n) if n <= 4 => (8, n as u32),
        (12, 5 | 6) => (8, 5),
        (12, n) => (8, (n - 1).min(8) as u32),
        (11, n) => (7, n as u32),
        _ => (6, 0),
    }
}

/// The oldest CUDA driver version that loads PTX ISA `isa` (the inverse of [`max_ptx_isa`]).
pub fn min_driver_for_isa(isa: (u32, u32)) -> CudaVersion {
    let (major, minor) = (isa.0 as i32, isa.1 as i32);
    match (major, minor) {
        (m, _) if m >= 10 => 14000,
        (9, n) => 13000 + 10 * n,
        (8, n) if n <= 4 => 12000 + 10 * n,
        (8, 5) => 12050,
        (8, n) => 12000 + 10 * (n + 1).min(9),
        (7, n) => 11000 + 10 * n,
        _ => 10000,
    }
}

/// The `.version` of a PTX text, as (major, minor).
pub fn ptx_isa(ptx: &str) -> Option<(u32, u32)> {
    let line = ptx
        .lines()
        .find(|l| l.trim_start().starts_with(".version"))?;
    let v = line.split_whitespace().nth(1)?;
    let (a, b) = v.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// How the CUDA backend will get a kernel's code onto the GPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PtxPlan {
    /// The driver loads the PTX embedded at build time.
    Embedded,
    /// NVRTC compiles the kernel's CUDA C at first launch (no PTX embedded, or the driver
    /// refuses its ISA), for the GPU's own architecture, cached on disk.
    Nvrtc,
    /// Neither works: CUDA launches fail, and [`Device::best`](crate::Device::best) skips CUDA.
    Unloadable,
    /// No driver to judge against.
    NoDriver,
}

/// The CUDA backend's plan for the embedded PTX on this driver, with the reason in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PtxVerdict {
    /// What will happen.
    pub plan: PtxPlan,
    /// Why, and the remedy where one is needed.
    pub message: String,
}

/// The rebuild advice for PTX that is too new for a driver.
pub const REBUILD_ADVICE: &str = "rebuild with an nvcc no newer than the driver (the pinned pip \
    toolkit nvidia-cuda-nvcc==13.0.88 emits PTX ISA 9.0, which CUDA 13.0 drivers load) or update \
    the NVIDIA driver";

/// Judges embedded PTX of ISA `embedded` (`None`: nothing embedded) against a driver of
/// version `driver` (`None`: no driver) with NVRTC of version `nvrtc` (`None`: not found).
pub fn ptx_verdict(
    embedded: Option<(u32, u32)>,
    driver: Option<CudaVersion>,
    nvrtc: Option<(i32, i32)>,
) -> PtxVerdict {
    let nvrtc_text = |(a, b): (i32, i32)| format!("NVRTC {a}.{b}");
    let Some(driver) = driver else {
        let message = match embedded {
            Some(v) => format!(
                "no CUDA driver; the embedded PTX (ISA {}.{}) needs {} or newer",
                v.0,
                v.1,
                cuda_version_name(min_driver_for_isa(v))
            ),
            None => "no CUDA driver and no embedded PTX".into(),
        };
        return PtxVerdict {
            plan: PtxPlan::NoDriver,
            message,
        };
    };
    let max = max_ptx_isa(driver);
    let driver_name = cuda_version_name(driver);
    let why = match embedded {
        Some(v) if v <= max => {
            return PtxVerdict {
                plan: PtxPlan::Embedded,
                message: format!(
                    "the driver ({driver_name}, PTX ISA up to {}.{}) loads the embedded PTX \
                     (ISA {}.{})",
                    max.0, max.1, v.0, v.1
                ),
            }
        }
        Some(v) => format!(
            "the embedded PTX has ISA {}.{} (made for {} or newer), but this driver \
             ({driver_name}) loads PTX ISA up to {}.{}; {REBUILD_ADVICE}",
            v.0,
            v.1,
            cuda_version_name(min_driver_for_isa(v)),
            max.0,
            max.1
        ),
        None => "no PTX was embedded (nvcc was not found at build time)".into(),
    };
    match nvrtc {
        Some(n) => {
            let newer = n.0 * 1000 + n.1 * 10 > driver && n.0 > driver / 1000;
            PtxVerdict {
                plan: PtxPlan::Nvrtc,
                message: format!(
                    "{why}; {} compiles the CUDA C for this GPU at first launch (cached on \
                     disk){}",
                    nvrtc_text(n),
                    if newer {
                        format!(
                            ", though an NVRTC of a newer CUDA major version than the driver \
                             ({driver_name}) may make code the driver refuses too"
                        )
                    } else {
                        String::new()
                    }
                ),
            }
        }
        None => PtxVerdict {
            plan: PtxPlan::Unloadable,
            message: format!(
                "{why}; NVRTC (libnvrtc), which would recompile the CUDA C, was not found: \
                 install it (pip install nvidia-cuda-nvrtc) and put its lib folder on \
                 LD_LIBRARY_PATH"
            ),
        },
    }
}

/// The embedded cubin to load on a GPU of compute capability `cc` (major, minor): the one for
/// exactly `cc`, else the one of the same major with the highest minor below the GPU's (a cubin
/// for sm_XY runs on sm_XZ with Z >= Y, per the CUDA C Programming Guide's binary
/// compatibility rule). `cubins` holds (10 x major + minor, bytes), as `KernelDesc::cubins`.
#[cfg_attr(not(feature = "cuda"), allow(dead_code))]
pub fn pick_cubin(cubins: &[(u32, &'static [u8])], cc: (i32, i32)) -> Option<(u32, &'static [u8])> {
    let (major, minor) = (u32::try_from(cc.0).ok()?, u32::try_from(cc.1).ok()?);
    cubins
        .iter()
        .copied()
        .filter(|&(sm, _)| sm / 10 == major && sm % 10 <= minor)
        .max_by_key(|&(sm, _)| sm)
}

#[cfg(test)]
mod tests {
    use super::*;

    // PTX headers as nvcc and NVRTC write them.
    const NVCC_13_0: &str = "//\n// Generated by NVIDIA NVVM Compiler\n//\n// Compiler Build ID: \
        CL-36037853\n// Cuda compilation tools, release 13.0, V13.0.88\n// Based on NVVM 20.0.0\n\
        //\n\n.version 9.0\n.target sm_75\n.address_size 64\n";
    const NVCC_13_5: &str = "// Cuda compilation tools, release 13.5\n.version 9.5\n.target \
        sm_75\n.address_size 64\n";
    const NVCC_12_4: &str = ".version 8.4\n.target sm_75\n.address_size 64\n";

    #[test]
    fn reads_the_version_line() {
        assert_eq!(ptx_isa(NVCC_13_0), Some((9, 0)));
        assert_eq!(ptx_isa(NVCC_13_5), Some((9, 5)));
        assert_eq!(ptx_isa(NVCC_12_4), Some((8, 4)));
        assert_eq!(ptx_isa(".target sm_90\n"), None);
        assert_eq!(ptx_isa(".version nine\n"), None);
    }

    #[test]
    fn driver_to_isa_and_back() {
        for (driver, isa) in [
            (13000, (9, 0)),
            (13010, (9, 1)),
            (12090, (8, 8)),
            (12080, (8, 7)),
            (12070, (8, 6)),
            (12060, (8, 5)),
            (12050, (8, 5)),
            (12040, (8, 4)),
            (12000, (8, 0)),
            (11080, (7, 8)),
        ] {
            assert_eq!(max_ptx_isa(driver), isa, "driver {driver}");
            assert!(min_driver_for_isa(isa) <= driver, "isa {isa:?}");
            assert_eq!(max_ptx_isa(min_driver_for_isa(isa)), isa, "isa {isa:?}");
        }
        assert_eq!(cuda_version_name(12040), "CUDA 12.4");
    }

    #[test]
    fn verdicts() {
        // Driver 580 (CUDA 13.0) loads the pinned toolkit's PTX.
        let v = ptx_verdict(ptx_isa(NVCC_13_0), Some(13000), None);
        assert_eq!(v.plan, PtxPlan::Embedded, "{}", v.message);
        // ... but not pip's unpinned 13.5 parts (candle #1846-style mismatch).
        let v = ptx_verdict(ptx_isa(NVCC_13_5), Some(13000), Some((13, 0)));
        assert_eq!(v.plan, PtxPlan::Nvrtc);
        for part in [
            "ISA 9.5",
            "CUDA 13.5",
            "CUDA 13.0",
            "up to 9.0",
            "nvcc==13.0.88",
            "NVRTC",
        ] {
            assert!(v.message.contains(part), "{part}: {}", v.message);
        }
        // Without NVRTC nothing can load it, and the message says what to install.
        let v = ptx_verdict(ptx_isa(NVCC_13_0), Some(12040), None);
        assert_eq!(v.plan, PtxPlan::Unloadable);
        assert!(v.message.contains("CUDA 12.4"), "{}", v.message);
        assert!(v.message.contains("nvidia-cuda-nvrtc"), "{}", v.message);
        // NVRTC of a newer major version is flagged.
        let v = ptx_verdict(ptx_isa(NVCC_13_0), Some(12040), Some((13, 0)));
        assert_eq!(v.plan, PtxPlan::Nvrtc);
        assert!(v.message.contains("newer CUDA major"), "{}", v.message);
        // Older PTX always loads on a newer driver.
        let v = ptx_verdict(ptx_isa(NVCC_12_4), Some(13000), None);
        assert_eq!(v.plan, PtxPlan::Embedded);
        // Nothing embedded: NVRTC or nothing.
        assert_eq!(
            ptx_verdict(None, Some(13000), Some((13, 0))).plan,
            PtxPlan::Nvrtc
        );
        assert_eq!(
            ptx_verdict(None, Some(13000), None).plan,
            PtxPlan::Unloadable
        );
        let v = ptx_verdict(ptx_isa(NVCC_13_0), None, None);
        assert_eq!(v.plan, PtxPlan::NoDriver);
        assert!(v.message.contains("CUDA 13.0 or newer"), "{}", v.message);
    }

    #[test]
    fn cubin_choice_follows_binary_compatibility() {
        static A: [u8; 1] = [80];
        static B: [u8; 1] = [86];
        static C: [u8; 1] = [90];
        let cubins: &[(u32, &'static [u8])] = &[(80, &A), (86, &B), (90, &C)];
        assert_eq!(pick_cubin(cubins, (8, 0)).map(|c| c.0), Some(80));
        assert_eq!(pick_cubin(cubins, (8, 6)).map(|c| c.0), Some(86));
        // sm_89 runs the sm_86 cubin, not sm_90's.
        assert_eq!(pick_cubin(cubins, (8, 9)).map(|c| c.0), Some(86));
        assert_eq!(pick_cubin(cubins, (9, 0)).map(|c| c.0), Some(90));
        // No cubin across majors, nor for a lower minor.
        assert_eq!(pick_cubin(cubins, (10, 0)), None);
        assert_eq!(pick_cubin(cubins, (7, 5)), None);
        assert_eq!(pick_cubin(&[(86, &B)], (8, 0)), None);
        assert_eq!(pick_cubin(&[], (9, 0)), None);
    }
}
