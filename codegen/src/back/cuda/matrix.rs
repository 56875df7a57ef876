//! Matrix tiles in CUDA C (`ir::matrix`).
//!
//! Every fragment is 8 values per lane of a warp, in the register layout of PTX's
//! `mma.sync.aligned.m16n8k16` (PTX ISA, "Matrix Fragments for mma.m16n8k16 with floating point
//! type"; `g` = lane / 4, `t` = lane % 4): an A fragment holds A[g + 8 ((i >> 1) & 1)][2t +
//! (i & 1) + 8 (i >> 2)] as element `i`, an accumulator C at the same positions, and a B
//! fragment B[2t + (i & 1) + 8 ((i >> 1) & 1)][g + 8 (i >> 2)]; a 16 x 16 x 16 product is two
//! m16n8k16 ones, one per half of the columns. Each lane loads and stores its own elements, so
//! a tile may start at any element and have any stride (`wmma::load_matrix_sync` needs 32-byte
//! alignment), and the layout is documented, so the host harness runs the same code.
//!
//! `matrix_mma` on `f16` and `bf16` fragments is two `mma.sync` instructions (tensor cores) on
//! sm_80 and later; elsewhere (older GPUs, `f32` fragments, the host harness, which defines no
//! `__CUDA_ARCH__`) it is computed with warp shuffles: each lane gathers the 16 A values of its
//! two rows and the 16 B values of its four columns and accumulates with `fmaf` in order of
//! depth, which is the CPU backend's result bit for bit. PTX for an architecture below
//! compute_80 (the default, compute_75) therefore runs the shuffles even on an H100: build
//! with `KERNELFORGE_CUDA_ARCH=compute_90`, or let NVRTC compile for the device, for tensor
//! cores.

use super::writer::Writer;
use crate::back::target_name;
use crate::ir::*;

/// The device functions every kernel with matrix tiles includes: the layout, loads, stores
/// and the shuffle form of the product.
const HELPERS: &str = "\
// Matrix tiles: lane l holds element i of a fragment at (kf_mx_row, kf_mx_col); B: the B layout.
template <int B> __device__ __forceinline__ unsigned int kf_mx_row(unsigned int l, int i) { return B ? (l & 3u) * 2u + (i & 1) + 8u * ((i >> 1) & 1) : (l >> 2) + 8u * ((i >> 1) & 1); }
template <int B> __device__ __forceinline__ unsigned int kf_mx_col(unsigned int l, int i) { return B ? (l >> 2) + 8u * (i >> 2) : (l & 3u) * 2u + (i & 1) + 8u * (i >> 2); }
template <int B, class F, class T> __device__ __forceinline__ void kf_mx_load(F (&v)[8], const T* p, unsigned int o, unsigned int s, bool cm, unsigned int l) {
#pragma unroll
    for (int i = 0; i < 8; ++i) { const unsigned int r = kf_mx_row<B>(l, i), c = kf_mx_col<B>(l, i); v[i] = p[cm ? o + c * s + r : o + r * s + c]; }
}
__device__ __forceinline__ void kf_mx_store(const float (&v)[8], float* p, unsigned int o, unsigned int s, bool cm, unsigned int l) {
#pragma unroll
    for (int i = 0; i < 8; ++i) { const unsigned int r = kf_mx_row<0>(l, i), c = kf_mx_col<0>(l, i); p[cm ? o + c * s + r : o + r * s + c] = v[i]; }
}
__device__ __forceinline__ void kf_mx_fill(float (&v)[8], float x) {
#pragma unroll
    for (int i = 0; i < 8; ++i) v[i] = x;
}
// acc += a b with shuffles: A(g + 8h, k) is element (k & 1) | h << 1 | (k >> 3) << 2 of lane 4g + (k & 7) / 2; B(k, 8h + n) with n < 8 element (k & 1) | (k >> 3) << 1 | h << 2 of lane 4n + (k & 7) / 2.
template <class T> __device__ __forceinline__ void kf_mx_mma_shfl(float (&c)[8], const T (&a)[8], const T (&b)[8], unsigned int l) {
    const unsigned int g = l >> 2, t = l & 3u;
#pragma unroll
    for (int k = 0; k < 16; ++k) {
        const unsigned int q = (unsigned int)((k & 7) >> 1);
        const int ia = (k & 1) | ((k >> 3) << 2), ib = (k & 1) | ((k >> 3) << 1);
        const float a0 = kf_mx_widen(__shfl_sync(0xffffffffu, a[ia], (int)(g * 4u + q)));
        const float a1 = kf_mx_widen(__shfl_sync(0xffffffffu, a[ia | 2], (int)(g * 4u + q)));
#pragma unroll
        for (int e = 0; e < 2; ++e) {
#pragma unroll
            for (int h = 0; h < 2; ++h) {
                const float bv = kf_mx_widen(__shfl_sync(0xffffffffu, b[ib | (h << 2)], (int)((t * 2u + (unsigned int)e) * 4u + q)));
                c[h * 4 + e] = fmaf(a0, bv, c[h * 4 + e]);
                c[h * 4 + 2 + e] = fmaf(a1, bv, c[h * 4 + 2 + e]);
            }
        }
    }
}
";

/// The load of a 16-bit tile from workgroup memory: `ldmatrix` (sm_75 and later) where every
/// row of the tile starts 16 bytes apart from the array's start (`offset` and `stride` multiples
/// of 8 elements, the array `__align__(16)`), else the per-lane loads. `ldmatrix ... .x4` loads
/// four 8 x 8 matrices, lane `l` giving the address of row `l & 7` of matrix `l >> 3`, and hands
/// each lane the two elements of each matrix that the `mma.sync` layout gives it: matrix `q`
/// is the rows `8 (q & 1)..` and columns `8 (q >> 1)..` of the tile (for B: depth and columns),
/// elements `2q, 2q + 1` of the fragment. A tile whose pairs lie across its memory rows (A
/// column-major, B row-major) is read with `.trans`. (PTX ISA, "Warp-level matrix load
/// instruction: ldmatrix".)
const SHARED: &str = "\
template <int B, class T> __device__ __forceinline__ void kf_mx_load_sh(T (&v)[8], const T* p, unsigned int o, unsigned int s, bool cm, unsigned int l) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 750
    if (((o | s) & 7u) == 0u) {
        const unsigned int q = l >> 3, j = l & 7u;
        const unsigned int r = 8u * (q & 1u) + (cm ? 0u : j), c = 8u * (q >> 1) + (cm ? j : 0u);
        const unsigned int a = (unsigned int)__cvta_generic_to_shared(p + (cm ? o + c * s + r : o + r * s + c));
        unsigned int x[4];
        if ((B != 0) != cm) {
            asm volatile(\"ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\" : \"=r\"(x[0]), \"=r\"(x[1]), \"=r\"(x[2]), \"=r\"(x[3]) : \"r\"(a) : \"memory\");
        } else {
            asm volatile(\"ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\" : \"=r\"(x[0]), \"=r\"(x[1]), \"=r\"(x[2]), \"=r\"(x[3]) : \"r\"(a) : \"memory\");
        }
#pragma unroll
        for (int i = 0; i < 4; ++i) { v[2 * i] = kf_mx_half<T>(x[i] & 0xffffu); v[2 * i + 1] = kf_mx_half<T>(x[i] >> 16); }
        return;
    }
#endif
    kf_mx_load<B>(v, p, o, s, cm, l);
}
";

/// The checked load and store (bounds.rs: an index out of bounds claims the fault record and
/// the access does not happen); indices computed in 64 bits and saturated, as on the CPU.
const CHECKED: &str = "\
__device__ __forceinline__ unsigned int kf_mx_ix(unsigned int o, unsigned int s, bool cm, unsigned int r, unsigned int c) { const unsigned long long x = cm ? (unsigned long long)o + (unsigned long long)c * s + r : (unsigned long long)o + (unsigned long long)r * s + c; return x > 0xffffffffull ? 0xffffffffu : (unsigned int)x; }
template <int B, class F, class T> __device__ __forceinline__ void kf_mx_load_chk(F (&v)[8], const T* p, unsigned int len, unsigned int slot, unsigned int* f, unsigned int o, unsigned int s, bool cm, unsigned int l) {
    for (int i = 0; i < 8; ++i) v[i] = kf_ld(p, kf_mx_ix(o, s, cm, kf_mx_row<B>(l, i), kf_mx_col<B>(l, i)), len, slot, f);
}
__device__ __forceinline__ void kf_mx_store_chk(const float (&v)[8], float* p, unsigned int len, unsigned int slot, unsigned int* f, unsigned int o, unsigned int s, bool cm, unsigned int l) {
    for (int i = 0; i < 8; ++i) kf_st(p, kf_mx_ix(o, s, cm, kf_mx_row<0>(l, i), kf_mx_col<0>(l, i)), v[i], len, slot, f);
}
";

/// `matrix_scale_rows`, included where a kernel uses it: row `r` of an accumulator times
/// `p[o + r]`, each lane scaling its elements by their rows' factors.
const SCALE: &str = "\
__device__ __forceinline__ void kf_mx_scale_rows(float (&v)[8], const float* p, unsigned int o, unsigned int l) {
#pragma unroll
    for (int i = 0; i < 8; ++i) v[i] *= p[o + kf_mx_row<0>(l, i)];
}
";

/// [`SCALE`] checked, as [`CHECKED`]'s functions are.
const SCALE_CHECKED: &str = "\
__device__ __forceinline__ void kf_mx_scale_rows_chk(float (&v)[8], const float* p, unsigned int len, unsigned int slot, unsigned int* f, unsigned int o, unsigned int l) {
    for (int i = 0; i < 8; ++i) v[i] *= kf_ld(p, kf_mx_ix(o, 1u, false, kf_mx_row<0>(l, i), 0u), len, slot, f);
}
";

/// `kf_mx_widen` for `t`, declared before the templates that call it.
/// For the 16-bit types, also `kf_mx_half<T>`, the value of 16 bits.
fn widen(t: Scalar) -> &'static str {
    match t {
        Scalar::F16 => "__device__ __forceinline__ float kf_mx_widen(__half v) { return __half2float(v); }\n\
            template <class T> __device__ __forceinline__ T kf_mx_half(unsigned int x);\n\
            template <> __device__ __forceinline__ __half kf_mx_half<__half>(unsigned int x) { return __ushort_as_half((unsigned short)x); }\n",
        Scalar::BF16 => "__device__ __forceinline__ float kf_mx_widen(__nv_bfloat16 v) { return __bfloat162float(v); }\n\
            template <class T> __device__ __forceinline__ T kf_mx_half(unsigned int x);\n\
            template <> __device__ __forceinline__ __nv_bfloat16 kf_mx_half<__nv_bfloat16>(unsigned int x) { return __ushort_as_bfloat16((unsigned short)x); }\n",
        _ => "__device__ __forceinline__ float kf_mx_widen(float v) { return v; }\n",
    }
}

/// `kf_mx_mma` for operands of type `t`: `mma.sync` on sm_80+ for the half types, the
/// shuffles otherwise.
fn mma(t: Scalar) -> String {
    let (ct, bits, ptx) = match t {
        Scalar::F16 => ("__half", "__half_as_ushort", "f16"),
        Scalar::BF16 => ("__nv_bfloat16", "__bfloat16_as_ushort", "bf16"),
        _ => {
            return "__device__ __forceinline__ void kf_mx_mma(float (&c)[8], const float (&a)[8], const float (&b)[8], unsigned int l) { kf_mx_mma_shfl(c, a, b, l); }\n".into();
        }
    };
    format!(
        "__device__ __forceinline__ void kf_mx_mma(float (&c)[8], const {ct} (&a)[8], const {ct} (&b)[8], unsigned int l) {{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    // Two m16n8k16 products on tensor cores, one per half of the columns.
#define KF_MX_PACK(x, y) ((unsigned int){bits}(x) | ((unsigned int){bits}(y) << 16))
    const unsigned int a0 = KF_MX_PACK(a[0], a[1]), a1 = KF_MX_PACK(a[2], a[3]), a2 = KF_MX_PACK(a[4], a[5]), a3 = KF_MX_PACK(a[6], a[7]);
#pragma unroll
    for (int h = 0; h < 2; ++h) {{
        const unsigned int b0 = KF_MX_PACK(b[h * 4], b[h * 4 + 1]), b1 = KF_MX_PACK(b[h * 4 + 2], b[h * 4 + 3]);
        asm volatile(\"mma.sync.aligned.m16n8k16.row.col.f32.{ptx}.{ptx}.f32 {{%0, %1, %2, %3}}, {{%4, %5, %6, %7}}, {{%8, %9}}, {{%0, %1, %2, %3}};\"
                     : \"+f\"(c[h * 4]), \"+f\"(c[h * 4 + 1]), \"+f\"(c[h * 4 + 2]), \"+f\"(c[h * 4 + 3])
                     : \"r\"(a0), \"r\"(a1), \"r\"(a2), \"r\"(a3), \"r\"(b0), \"r\"(b1));
    }}
#undef KF_MX_PACK
#else
    kf_mx_mma_shfl(c, a, b, l);
#endif
}}
"
    )
}

impl Writer<'_> {
    /// The device functions of the kernel's matrix tiles (empty without any).
    pub(super) fn matrix_helpers(&self) -> String {
        let k = self.kernel;
        if !k.uses_matrices() {
            return String::new();
        }
        let mut types: Vec<Scalar> = k.matrices.values().map(|m| m.elem).collect();
        types.push(Scalar::F32);
        types.sort();
        types.dedup();
        let mut o: String = types.iter().map(|&t| widen(t)).collect();
        o.push_str(HELPERS);
        if self.bounds {
            o.push_str(CHECKED);
        } else if k.arrays.iter().any(|(a, _)| self.matrix_array(a)) {
            o.push_str(SHARED);
        }
        let mut scales = false;
        walk_stmts(&k.body, &mut |s| {
            scales |= matches!(s, Stmt::Matrix(MatrixOp::ScaleRows { .. }));
        });
        if scales {
            o.push_str(if self.bounds { SCALE_CHECKED } else { SCALE });
        }
        let operands: std::collections::BTreeSet<Scalar> = k
            .matrices
            .values()
            .filter(|m| m.role == MatrixRole::A)
            .map(|m| m.elem)
            .collect();
        for t in operands {
            o.push_str(&mma(t));
        }
        o
    }

    /// The declarations at the top of the kernel: its lane and its fragments.
    pub(super) fn matrix_decls(&self) -> String {
        let k = self.kernel;
        if !k.uses_matrices() {
            return String::new();
        }
        let [wx, wy, _] = k.workgroup_size;
        let mut o = format!(
            "    const unsigned int kf_lane = (threadIdx.x + {wx}u * (threadIdx.y + {wy}u * \
             threadIdx.z)) & 31u;\n"
        );
        for m in k.matrices.values() {
            let t = super::types::ty(m.elem);
            o.push_str(&format!("    {t} {}[8];\n", target_name(&m.name)));
        }
        o
    }

    /// The line of a matrix operation.
    pub(super) fn matrix_stmt(&mut self, op: &MatrixOp) -> String {
        let k = self.kernel;
        let name = |m: MatrixId| target_name(&k.matrix(m).name);
        match op {
            MatrixOp::Fill { matrix, value } => {
                let v = self.expr(*value);
                format!("kf_mx_fill({}, {v});", name(*matrix))
            }
            MatrixOp::Mma { acc, a, b } => {
                format!(
                    "kf_mx_mma({}, {}, {}, kf_lane);",
                    name(*acc),
                    name(*a),
                    name(*b)
                )
            }
            MatrixOp::Load { matrix, place } => {
                let b = (k.matrix(*matrix).role == MatrixRole::B) as u32;
                let args = self.matrix_args(place);
                let f = if self.bounds {
                    "kf_mx_load_chk"
                } else if k.matrix(*matrix).elem.bits() == 16 && self.shared(place.mem) {
                    "kf_mx_load_sh"
                } else {
                    "kf_mx_load"
                };
                format!("{f}<{b}>({}, {args}, kf_lane);", name(*matrix))
            }
            MatrixOp::Store { matrix, place } => {
                let args = self.matrix_args(place);
                let f = if self.bounds {
                    "kf_mx_store_chk"
                } else {
                    "kf_mx_store"
                };
                format!("{f}({}, {args}, kf_lane);", name(*matrix))
            }
            MatrixOp::ScaleRows {
                matrix,
                mem,
                offset,
            } => {
                let (n, len, slot) = self.bound((*mem).into());
                let o = self.expr(*offset);
                let m = name(*matrix);
                if self.bounds {
                    format!(
                        "kf_mx_scale_rows_chk({m}, {n}, {len}, {slot}u, kf_fault, {o}, kf_lane);"
                    )
                } else {
                    format!("kf_mx_scale_rows({m}, {n}, {o}, kf_lane);")
                }
            }
        }
    }

    /// Whether `mem` is a workgroup array.
    fn shared(&self, mem: Memory) -> bool {
        matches!(mem, Memory::Array(a) if self.kernel.arrays[a].space == Space::Workgroup)
    }

    /// Whether a load of a 16-bit tile reads the workgroup array `a` (`kf_mx_load_sh`, see
    /// [`Self::matrix_stmt`]); such an array is declared `__align__(16)`, for `ldmatrix`.
    pub(super) fn matrix_array(&self, a: ArrayId) -> bool {
        let mut any = false;
        walk_stmts(&self.kernel.body, &mut |s| {
            if let Stmt::Matrix(MatrixOp::Load { matrix, place }) = s {
                any |= place.mem == Memory::Array(a)
                    && self.shared(place.mem)
                    && self.kernel.matrix(*matrix).elem.bits() == 16;
            }
        });
        any
    }

    /// `memory, offset, stride, column-major` (with the length, slot and fault record
    /// after the memory when checked).
    fn matrix_args(&mut self, place: &MatrixPlace) -> String {
        let MatrixPlace {
            mem,
            offset,
            stride,
            layout: l,
        } = *place;
        let (n, len, slot) = self.bound(mem.into());
        let (o, s) = (self.expr(offset), self.expr(stride));
        let cm = match l {
            Layout::RowMajor => "false".to_string(),
            Layout::ColMajor => "true".to_string(),
            Layout::ColMajorIf(c) => self.expr(c),
        };
        if self.bounds {
            format!("{n}, {len}, {slot}u, kf_fault, {o}, {s}, {cm}")
        } else {
            format!("{n}, {o}, {s}, {cm}")
        }
    }
}
