use crate::backend::Backend;

/// Result with kernelforge's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong at run time. Each message names the cause and the fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A backend cannot be used on this machine or build.
    #[error("the {backend} backend is unavailable: {reason}")]
    Unavailable {
        /// The backend asked for.
        backend: Backend,
        /// Why, and what would make it available.
        reason: String,
    },
    /// An environment variable has a value kernelforge does not understand.
    #[error("{var}={value:?} is not understood; {expected}")]
    BadEnv {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// What it accepts.
        expected: &'static str,
    },
    /// A kernel indexed a slice out of its bounds (reported by the CPU backend).
    #[error(
        "kernel `{kernel}` indexed `{param}` out of bounds: index {index}, length {len}; guard \
         the access with `if i < {param}.len()` or launch a smaller grid"
    )]
    OutOfBounds {
        /// The kernel.
        kernel: &'static str,
        /// The slice parameter.
        param: &'static str,
        /// The index used.
        index: u32,
        /// The slice's length.
        len: usize,
    },
    /// A kernel indexed a workgroup or private array out of its bounds (reported by the CPU
    /// backend).
    #[error(
        "kernel `{kernel}` indexed array `{array}` out of bounds: index {index}, length {len}; \
         keep the index below the array's length (it is fixed when the array is declared)"
    )]
    ArrayOutOfBounds {
        /// The kernel.
        kernel: &'static str,
        /// The array's name in the kernel.
        array: &'static str,
        /// The index used.
        index: u32,
        /// The array's length.
        len: usize,
    },
    /// Two invocations accessed one element, at least one writing, with nothing ordering
    /// them (found by the CPU backend's race check: `Device::cpu_checked`,
    /// `KERNELFORGE_CHECK=races`).
    #[error(
        "kernel `{kernel}` has a data race on {target}, element {index}: {first}, and {second}, \
         with no barrier between them; put a barrier between the two accesses (`barrier()` for \
         storage buffers, `workgroup_barrier()` for workgroup arrays), use an atomic, or have \
         one invocation make both"
    )]
    DataRace {
        /// The kernel.
        kernel: &'static str,
        /// The buffer parameter or workgroup array, e.g. "buffer `y`", "workgroup array `tile`".
        target: String,
        /// The element.
        index: u32,
        /// The access seen first: who, what and where ("invocation 3 of workgroup 0 wrote it at
        /// line 12").
        first: String,
        /// The access that raced with it.
        second: String,
    },
    /// A read of a workgroup array element that no invocation of the workgroup wrote in the
    /// launch (found by the race check, as compute-sanitizer's initcheck).
    #[error(
        "kernel `{kernel}` reads workgroup array `{array}` at element {index}, which nothing in \
         the workgroup wrote: {read}; write the element before reading it (and put a \
         `workgroup_barrier()` between), or read only what the workgroup filled"
    )]
    UninitializedRead {
        /// The kernel.
        kernel: &'static str,
        /// The workgroup array.
        array: &'static str,
        /// The element.
        index: u32,
        /// Who read it and where.
        read: String,
    },
    /// A buffer operation (write, read, copy, fill) given the wrong length or a buffer of
    /// another device.
    #[error("`{op}`: {message}")]
    Buffer {
        /// The operation, e.g. `Buffer::write`.
        op: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// Arguments that do not match the kernel's parameters.
    #[error("kernel `{kernel}`: {message}")]
    BadArguments {
        /// The kernel.
        kernel: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The kernel needs a capability this device lacks.
    #[error("kernel `{kernel}` needs {what}, which {device} lacks; {fix}")]
    Unsupported {
        /// The kernel.
        kernel: &'static str,
        /// The capability.
        what: &'static str,
        /// The device, by name.
        device: String,
        /// What to do instead.
        fix: &'static str,
    },
    /// A size beyond what kernelforge or the backend supports.
    #[error("{what} is too large: {value} exceeds the limit {limit}; {fix}")]
    TooLarge {
        /// What is too large.
        what: &'static str,
        /// Its size.
        value: u64,
        /// The limit.
        limit: u64,
        /// How to stay within it.
        fix: &'static str,
    },
    /// A kernel's code could not be compiled or loaded for the device (WGSL pipeline creation,
    /// NVRTC, the driver refusing PTX).
    #[error("kernel `{kernel}` could not be compiled or loaded on {device}: {message}")]
    Compile {
        /// The kernel.
        kernel: &'static str,
        /// The device, by name.
        device: String,
        /// What failed, every step tried, and the remedy.
        message: String,
    },
    /// The device stopped working (GPU reset, driver crash, device removed).
    #[error(
        "{device} was lost while {context}: {message}; its buffers are gone: create a new Device \
         (or opt in to per-launch CPU fallback with Device::set_cpu_fallback)"
    )]
    DeviceLost {
        /// The device, by name.
        device: String,
        /// What kernelforge was doing.
        context: String,
        /// The backend's message.
        message: String,
    },
    /// An allocation that does not fit in the device's free memory.
    #[error(
        "out of memory on {device}: {requested} bytes asked, {}; free buffers, use \
         smaller ones, or use another device",
        match free { Some(f) => format!("{f} bytes free"), None => "free memory unknown".into() }
    )]
    OutOfMemory {
        /// The device, by name.
        device: String,
        /// Bytes asked for.
        requested: u64,
        /// Bytes free when asked, where the backend knows.
        free: Option<u64>,
    },
    /// An error reported by wgpu or the GPU driver under it.
    #[error("wgpu error while {context}: {message}")]
    Wgpu {
        /// What kernelforge was doing.
        context: String,
        /// wgpu's message.
        message: String,
    },
    /// An error reported by the CUDA driver or NVRTC.
    #[error("CUDA error while {context}: {message}")]
    Cuda {
        /// What kernelforge was doing.
        context: String,
        /// The driver's or NVRTC's message.
        message: String,
    },
}

impl Error {
    /// Whether the failure is the device's rather than the caller's: a kernel that could not be
    /// compiled or loaded, a lost device, or memory exhausted. These are the failures a
    /// per-launch CPU fallback ([`Device::set_cpu_fallback`](crate::Device::set_cpu_fallback))
    /// recovers from.
    pub fn is_device_failure(&self) -> bool {
        matches!(
            self,
            Error::Compile { .. } | Error::DeviceLost { .. } | Error::OutOfMemory { .. }
        )
    }
}
