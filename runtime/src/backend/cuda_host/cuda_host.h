// kernelforge: CUDA's execution model on the CPU, so that the CUDA C the CUDA back end generates
// runs, and is compared with the CPU backend, on a machine without a GPU.
//
// The model is HIP-CPU's (ROCm's header-only HIP on the CPU), written small and with CUDA's
// 32-lane warps:
// - a launch runs its blocks on the caller's threads (the runtime hands each rayon task a range
//   of blocks); a block's threads are fibers on one OS thread, switched only at barriers, so a
//   block without barriers or warp operations runs its threads one after another. The fibers
//   live for one call. Each kernel's library keeps its symbols to itself (compiled with
//   hidden visibility and no STB_GNU_UNIQUE, which would otherwise merge the `inline`
//   thread-locals of every kernel's library into one);
// - `__shared__` variables are `thread_local`: one copy per OS thread, which runs one block at a
//   time, so the threads of a block share it and blocks on other threads do not;
// - `__syncthreads()` waits for every live thread of the block, `__syncwarp()` and the shuffles
//   for every live lane of the warp (32 consecutive linear thread ids); a thread that returned
//   counts as arrived, as on Volta and later. A barrier that can never complete (threads of a
//   block waiting at different barriers) is reported as an error, not a hang;
// - atomics are `std::atomic_ref` operations (blocks on other threads run concurrently);
// - `__half` and `__nv_bfloat16` are 16-bit storage types with CUDA's round-to-nearest-even
//   conversions (a NaN becomes the canonical 0x7fff, and widens to 0x7fffffff, as
//   cuda_fp16.hpp's own host conversions give);
// - float-to-integer conversions saturate and send NaN to 0, as PTX's `cvt.rzi` does;
// - the math functions are the C library's (within CUDA's documented ulp bounds or better).
// What this cannot show: the driver, PTX and its JIT, the hardware's memory ordering between
// blocks, timing, and the precision of CUDA's own math library.

#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <math.h>
#include <stdio.h>
#include <sys/mman.h>
#include <type_traits>
#include <utility>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
// Block scope `thread_local` is static: one array per OS thread, i.e. per running block.
#define __shared__ thread_local

struct uint3 {
    unsigned int x, y, z;
};
typedef uint3 dim3;

// ---------------------------------------------------------------------------------------------
// Fibers and the block scheduler.

namespace kf {

// Bytes of stack per thread of a block (`mmap`ed without reserving, touched pages only).
constexpr size_t kStack = 128 << 10;
// The largest launch-sized (dynamic) shared memory: an H100's opt-in limit.
constexpr size_t kDynShared = 227 << 10;

enum State { Runnable, Waiting, Done };

struct Fiber {
    void* sp = nullptr;  // saved stack pointer while switched out
    uint3 tid{};
    unsigned lin = 0;  // linear thread id in the block
    State state = Done;
    const unsigned long long* wait_on = nullptr;  // the generation of the barrier waited at
    unsigned long long wait_gen = 0;
};

struct Barrier {
    unsigned arrived = 0, live = 0;
    unsigned long long gen = 0;
};

struct Block;
using Body = void (*)(Block*);

struct Block {
    Fiber* fibers = nullptr;
    unsigned n = 0, cap = 0;
    char* stacks = nullptr;
    void* main_sp = nullptr;
    Fiber* cur = nullptr;
    Barrier block;
    Barrier warps[32];
    unsigned long long slots[1024];  // what each lane offers to a shuffle
    Body body = nullptr;             // runs one thread (`cur`)
    ~Block() {
        if (stacks) munmap(stacks, (size_t)cap * kStack);
        delete[] fibers;
    }
};

// The block this OS thread runs (owned by `run`, for the length of one call: the fibers and
// their stacks never outlive the call, so nothing is left behind when the library unloads).
inline thread_local Block* t_block = nullptr;
inline thread_local Fiber* t_cur = nullptr;
inline thread_local uint3 t_block_idx{}, t_block_dim{}, t_grid_dim{};

}  // namespace kf

// The launch-sized shared array (`extern __shared__ ... kf_shared_dyn[]` in the source).
thread_local __attribute__((aligned(16))) unsigned char kf_shared_dyn[kf::kDynShared];

#define threadIdx (::kf::t_cur->tid)
#define blockIdx (::kf::t_block_idx)
#define blockDim (::kf::t_block_dim)
#define gridDim (::kf::t_grid_dim)

// `kf_ctx_switch(save, to)`: saves the callee-saved registers and the stack pointer in `*save`
// and resumes the context whose stack pointer is `to`.
extern "C" void kf_ctx_switch(void** save, void* to);
#if defined(__x86_64__)
asm(R"(
.text
.p2align 4
.globl kf_ctx_switch
.hidden kf_ctx_switch
.type kf_ctx_switch,@function
kf_ctx_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
.size kf_ctx_switch, .-kf_ctx_switch
)");
#elif defined(__aarch64__)
asm(R"(
.text
.p2align 4
.globl kf_ctx_switch
.hidden kf_ctx_switch
.type kf_ctx_switch,%function
kf_ctx_switch:
    sub sp, sp, #176
    stp x19, x20, [sp, #0]
    stp x21, x22, [sp, #16]
    stp x23, x24, [sp, #32]
    stp x25, x26, [sp, #48]
    stp x27, x28, [sp, #64]
    stp x29, x30, [sp, #80]
    stp d8, d9, [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
    mov x9, sp
    str x9, [x0]
    mov sp, x1
    ldp x19, x20, [sp, #0]
    ldp x21, x22, [sp, #16]
    ldp x23, x24, [sp, #32]
    ldp x25, x26, [sp, #48]
    ldp x27, x28, [sp, #64]
    ldp x29, x30, [sp, #80]
    ldp d8, d9, [sp, #96]
    ldp d10, d11, [sp, #112]
    ldp d12, d13, [sp, #128]
    ldp d14, d15, [sp, #144]
    add sp, sp, #176
    ret
.size kf_ctx_switch, .-kf_ctx_switch
)");
#else
#error "kernelforge's CUDA host harness switches fibers on x86-64 and AArch64 only"
#endif

namespace kf {

// A barrier's live count dropped to its arrivals: release the waiters.
inline void release_if_complete(Barrier& b) {
    if (b.arrived > 0 && b.arrived >= b.live) {
        b.arrived = 0;
        b.gen++;
    }
}

// Every fiber's first frame: runs threads until the process ends (a fiber is reused for the
// same linear thread id of every block its OS thread runs).
[[noreturn]] inline void fiber_main() {
    for (;;) {
        Block& b = *t_block;
        Fiber* f = b.cur;
        b.body(&b);
        f->state = Done;
        b.block.live--;
        b.warps[f->lin / 32].live--;
        release_if_complete(b.block);
        release_if_complete(b.warps[f->lin / 32]);
        kf_ctx_switch(&f->sp, b.main_sp);
    }
}

// A fresh context on `stack_top` that starts in `fiber_main`.
inline void* fresh_context(char* stack_top) {
    uintptr_t top = (uintptr_t)stack_top & ~(uintptr_t)15;
#if defined(__x86_64__)
    void** sp = (void**)top;
    *--sp = nullptr;               // fiber_main's return address (it never returns)
    *--sp = (void*)&fiber_main;    // where kf_ctx_switch's `ret` goes
    for (int i = 0; i < 6; i++) *--sp = nullptr;  // rbp rbx r12-r15
    return sp;
#else
    char* sp = (char*)top - 176;
    std::memset(sp, 0, 176);
    ((void**)sp)[11] = (void*)&fiber_main;  // x30, the link register `ret` jumps to
    return sp;
#endif
}

// Waits at `bar` until every live thread of its group arrived.
inline void wait_at(Barrier& bar) {
    Block& b = *t_block;
    Fiber* f = t_cur;
    bar.arrived++;
    if (bar.arrived >= bar.live) {
        release_if_complete(bar);
        return;
    }
    f->state = Waiting;
    f->wait_on = &bar.gen;
    f->wait_gen = bar.gen;
    kf_ctx_switch(&f->sp, b.main_sp);
}

// Grows the pool to `n` fibers (their stacks reserved once per OS thread).
inline bool reserve(Block& b, unsigned n) {
    if (n <= b.cap) return true;
    if (b.stacks) munmap(b.stacks, (size_t)b.cap * kStack);
    delete[] b.fibers;
    b.fibers = nullptr;
    b.cap = 0;
    void* m = mmap(nullptr, (size_t)n * kStack, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) {
        b.stacks = nullptr;
        return false;
    }
    b.stacks = (char*)m;
    b.fibers = new Fiber[n];
    b.cap = n;
    for (unsigned i = 0; i < n; i++) {
        // A guard page below each stack turns an overflow into a fault, not corruption.
        mprotect(b.stacks + (size_t)i * kStack, 4096, PROT_NONE);
        b.fibers[i].sp = fresh_context(b.stacks + (size_t)(i + 1) * kStack);
    }
    return true;
}

inline void set_tid(Fiber& f, unsigned lin, uint3 dim) {
    f.lin = lin;
    f.tid = uint3{lin % dim.x, (lin / dim.x) % dim.y, lin / (dim.x * dim.y)};
}

// Runs the current block's `n` threads as fibers; `false` (with `err`) when a barrier could
// never complete.
inline bool run_fibers(Block& b, unsigned n, char* err, size_t errlen) {
    b.n = n;
    b.block = Barrier{0, n, b.block.gen};
    for (unsigned w = 0; w < 32; w++) {
        unsigned first = w * 32;
        b.warps[w] = Barrier{0, first < n ? (n - first < 32 ? n - first : 32) : 0, b.warps[w].gen};
    }
    for (unsigned i = 0; i < n; i++) {
        set_tid(b.fibers[i], i, t_block_dim);
        b.fibers[i].state = Runnable;
    }
    unsigned done = 0;
    while (done < n) {
        bool progress = false;
        done = 0;
        for (unsigned i = 0; i < n; i++) {
            Fiber& f = b.fibers[i];
            if (f.state == Waiting && *f.wait_on != f.wait_gen) f.state = Runnable;
            if (f.state == Runnable) {
                b.cur = &f;
                t_cur = &f;
                kf_ctx_switch(&b.main_sp, f.sp);
                progress = true;
            }
            if (f.state == Done) done++;
        }
        if (!progress && done < n) {
            unsigned at_block = 0, at_warp = 0;
            for (unsigned i = 0; i < n; i++) {
                Fiber& f = b.fibers[i];
                if (f.state != Waiting) continue;
                if (f.wait_on == &b.block.gen) at_block++;
                else at_warp++;
            }
            snprintf(err, errlen,
                     "block (%u, %u, %u) can never leave a barrier: %u threads wait at "
                     "__syncthreads() and %u at a warp barrier or shuffle while %u have returned "
                     "(a barrier under control flow that differs between threads)",
                     t_block_idx.x, t_block_idx.y, t_block_idx.z, at_block, at_warp, done);
            // The waiting fibers are abandoned: give the pool fresh contexts.
            for (unsigned i = 0; i < b.cap; i++)
                b.fibers[i].sp = fresh_context(b.stacks + (size_t)(i + 1) * kStack);
            return false;
        }
    }
    return true;
}

// One launch as the runtime describes it (runtime/src/backend/cuda_host/launch.rs).
struct Launch {
    void** args;            // one pointer per kernel parameter, to its value
    unsigned nargs;
    unsigned grid[3];       // gridDim
    unsigned block[3];      // blockDim
    unsigned long long first, last;  // the linear block ids this call runs
    int fibers;             // 0: the kernel has no barrier or warp operation
    char* err;
    unsigned errlen;
};

template <class... A, size_t... I>
void call_with(void (*k)(A...), void** a, std::index_sequence<I...>) {
    k(*static_cast<std::remove_cv_t<A>*>(a[I])...);
}

template <class... A>
int run(void (*k)(A...), const Launch* l) {
    if (l->nargs != sizeof...(A)) {
        snprintf(l->err, l->errlen, "the kernel takes %u parameters but the launch passed %u",
                 (unsigned)sizeof...(A), l->nargs);
        return 1;
    }
    static thread_local void (*kernel)(A...);
    static thread_local void** args;
    kernel = k;
    args = l->args;
    Block b;
    t_block = &b;
    b.body = [](Block*) { call_with(kernel, args, std::index_sequence_for<A...>{}); };
    t_grid_dim = uint3{l->grid[0], l->grid[1], l->grid[2]};
    t_block_dim = uint3{l->block[0], l->block[1], l->block[2]};
    unsigned n = l->block[0] * l->block[1] * l->block[2];
    if (l->fibers && !reserve(b, n)) {
        snprintf(l->err, l->errlen, "could not reserve %u fiber stacks", n);
        return 1;
    }
    Fiber solo;
    for (unsigned long long id = l->first; id < l->last; id++) {
        unsigned long long gx = l->grid[0], gy = l->grid[1];
        t_block_idx = uint3{(unsigned)(id % gx), (unsigned)((id / gx) % gy), (unsigned)(id / (gx * gy))};
        if (l->fibers) {
            if (!run_fibers(b, n, l->err, l->errlen)) return 2;
            continue;
        }
        t_cur = &solo;
        for (unsigned i = 0; i < n; i++) {
            set_tid(solo, i, t_block_dim);
            b.body(&b);
        }
    }
    return 0;
}

}  // namespace kf

// ---------------------------------------------------------------------------------------------
// Barriers and warp operations.

inline void __syncthreads() { kf::wait_at(kf::t_block->block); }
inline void __syncwarp(unsigned mask = 0xffffffffu) {
    (void)mask;
    kf::wait_at(kf::t_block->warps[kf::t_cur->lin / 32]);
}

namespace kf {
// Every lane offers `v`, then takes lane `from`'s offer (its own where `from` is outside the
// warp's live lanes).
template <class T>
T exchange(T v, unsigned from_lane) {
    static_assert(sizeof(T) <= 8, "a shuffle moves at most 64 bits");
    Block& b = *t_block;
    unsigned lin = t_cur->lin, base = lin & ~31u;
    std::memcpy(&b.slots[lin], &v, sizeof(T));
    __syncwarp();
    unsigned from = base + (from_lane & 31);
    T r = v;
    if (from < b.n) std::memcpy(&r, &b.slots[from], sizeof(T));
    __syncwarp();
    return r;
}
}  // namespace kf

template <class T>
inline T __shfl_sync(unsigned mask, T v, int src, int width = 32) {
    (void)mask;
    (void)width;
    return kf::exchange(v, (unsigned)src);
}
template <class T>
inline T __shfl_xor_sync(unsigned mask, T v, int m, int width = 32) {
    (void)mask;
    (void)width;
    return kf::exchange(v, (kf::t_cur->lin & 31) ^ (unsigned)m);
}

// ---------------------------------------------------------------------------------------------
// 16-bit floats.

struct __half {
    unsigned short __x;
};
struct __nv_bfloat16 {
    unsigned short __x;
};

namespace kf {
inline unsigned f32_bits(float f) {
    unsigned u;
    std::memcpy(&u, &f, 4);
    return u;
}
inline float bits_f32(unsigned u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
// Round to nearest even, as `cvt.rn.f16.f32`.
inline unsigned short f32_to_f16(float f) {
    unsigned x = f32_bits(f);
    unsigned sign = (x >> 16) & 0x8000u, ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) return 0x7fffu;  // any NaN: the canonical one, unsigned
    if (ax >= 0x477ff000u) return (unsigned short)(sign | 0x7c00u);  // rounds past 65504
    if (ax < 0x38800000u) {                                           // below 2^-14: subnormal
        unsigned e = ax >> 23;
        if (e < 102) return (unsigned short)sign;
        unsigned m = (ax & 0x7fffffu) | 0x800000u, shift = 126 - e;
        unsigned r = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (r & 1))) r++;
        return (unsigned short)(sign | r);
    }
    unsigned r = ax - (112u << 23);
    r += 0xfffu + ((r >> 13) & 1);
    return (unsigned short)(sign | (r >> 13));
}
inline float f16_to_f32(unsigned short h) {
    unsigned sign = (unsigned)(h & 0x8000u) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ffu;
    // A NaN becomes the canonical 0x7fffffff (cuda_fp16.hpp: "discard sign of a NaN").
    if (e == 0x1f) return bits_f32(m ? 0x7fffffffu : (sign | 0x7f800000u));
    if (e == 0) {
        if (m == 0) return bits_f32(sign);
        float v = (float)m * 5.9604644775390625e-08f;  // m * 2^-24, exact
        return sign ? -v : v;
    }
    return bits_f32(sign | ((e + 112) << 23) | (m << 13));
}
inline unsigned short f32_to_bf16(float f) {
    unsigned x = f32_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return 0x7fffu;
    return (unsigned short)((x + 0x7fffu + ((x >> 16) & 1)) >> 16);
}
}  // namespace kf

inline float __half2float(__half h) { return kf::f16_to_f32(h.__x); }
inline __half __float2half_rn(float f) { return __half{kf::f32_to_f16(f)}; }
inline __half __float2half(float f) { return __float2half_rn(f); }
inline __half __ushort_as_half(unsigned short u) { return __half{u}; }
inline unsigned short __half_as_ushort(__half h) { return h.__x; }
inline float __bfloat162float(__nv_bfloat16 h) { return kf::bits_f32((unsigned)h.__x << 16); }
inline __nv_bfloat16 __float2bfloat16_rn(float f) { return __nv_bfloat16{kf::f32_to_bf16(f)}; }
inline __nv_bfloat16 __float2bfloat16(float f) { return __float2bfloat16_rn(f); }
inline __nv_bfloat16 __ushort_as_bfloat16(unsigned short u) { return __nv_bfloat16{u}; }
inline unsigned short __bfloat16_as_ushort(__nv_bfloat16 h) { return h.__x; }

// Arithmetic as sm_53+/sm_80+ do it: rounded once to the 16-bit type. Computing in f32 and
// rounding gives exactly that for + - * / (f32 has more than twice the significand bits).
#define KF_HALF_OPS(T, TO_F, FROM_F)                                                         \
    inline T operator+(T a, T b) { return FROM_F(TO_F(a) + TO_F(b)); }                       \
    inline T operator-(T a, T b) { return FROM_F(TO_F(a) - TO_F(b)); }                       \
    inline T operator*(T a, T b) { return FROM_F(TO_F(a) * TO_F(b)); }                       \
    inline T operator/(T a, T b) { return FROM_F(TO_F(a) / TO_F(b)); }                       \
    inline T operator-(T a) { return T{(unsigned short)(a.__x ^ 0x8000u)}; }                \
    inline T& operator+=(T& a, T b) { return a = a + b; }                                    \
    inline T& operator-=(T& a, T b) { return a = a - b; }                                    \
    inline T& operator*=(T& a, T b) { return a = a * b; }                                    \
    inline T& operator/=(T& a, T b) { return a = a / b; }                                    \
    inline bool operator==(T a, T b) { return TO_F(a) == TO_F(b); }                          \
    inline bool operator!=(T a, T b) { return TO_F(a) != TO_F(b); }                          \
    inline bool operator<(T a, T b) { return TO_F(a) < TO_F(b); }                            \
    inline bool operator<=(T a, T b) { return TO_F(a) <= TO_F(b); }                          \
    inline bool operator>(T a, T b) { return TO_F(a) > TO_F(b); }                            \
    inline bool operator>=(T a, T b) { return TO_F(a) >= TO_F(b); }
KF_HALF_OPS(__half, __half2float, __float2half_rn)
KF_HALF_OPS(__nv_bfloat16, __bfloat162float, __float2bfloat16_rn)
#undef KF_HALF_OPS

// ---------------------------------------------------------------------------------------------
// Bit reinterpretation, conversions, integer intrinsics.

inline unsigned int __float_as_uint(float f) { return kf::f32_bits(f); }
inline int __float_as_int(float f) { return (int)kf::f32_bits(f); }
inline float __uint_as_float(unsigned int u) { return kf::bits_f32(u); }
inline float __int_as_float(int i) { return kf::bits_f32((unsigned)i); }
inline long long __double_as_longlong(double d) {
    long long r;
    std::memcpy(&r, &d, 8);
    return r;
}
inline double __longlong_as_double(long long l) {
    double r;
    std::memcpy(&r, &l, 8);
    return r;
}

namespace kf {
// Truncation toward zero that saturates at the type's range and sends NaN to 0 (`cvt.rzi`).
template <class I>
I trunc_sat(double v) {
    if (v != v) return 0;
    constexpr double lo = (double)std::numeric_limits<I>::min();
    // 2^(bits) or 2^(bits-1): the first value past the range, exact in a double.
    constexpr double hi = std::is_signed_v<I> ? -lo : 2.0 * ((double)(std::numeric_limits<I>::max() / 2 + 1));
    if (v <= lo) return std::numeric_limits<I>::min();
    if (v >= hi) return std::numeric_limits<I>::max();
    return (I)v;
}
// `v` rounded toward zero to a float (`cvt.rz.f32.*`): the nearest, stepped back toward zero
// when it is further from zero than `v` (the comparison is exact in long double).
inline float to_f32_rz(long double v) {
    float f = (float)v;
    if (fabsl((long double)f) > fabsl(v)) f = nextafterf(f, 0.0f);
    return f;
}
}  // namespace kf

inline int __float2int_rz(float f) { return kf::trunc_sat<int>(f); }
inline unsigned int __float2uint_rz(float f) { return kf::trunc_sat<unsigned int>(f); }
inline long long __float2ll_rz(float f) { return kf::trunc_sat<long long>(f); }
inline unsigned long long __float2ull_rz(float f) { return kf::trunc_sat<unsigned long long>(f); }
inline int __double2int_rz(double d) { return kf::trunc_sat<int>(d); }
inline unsigned int __double2uint_rz(double d) { return kf::trunc_sat<unsigned int>(d); }
inline long long __double2ll_rz(double d) { return kf::trunc_sat<long long>(d); }
inline unsigned long long __double2ull_rz(double d) { return kf::trunc_sat<unsigned long long>(d); }
inline float __ll2float_rz(long long v) { return kf::to_f32_rz((long double)v); }
inline float __ull2float_rz(unsigned long long v) { return kf::to_f32_rz((long double)v); }
inline float __double2float_rz(double d) {
    if (d != d) return (float)d;
    return kf::to_f32_rz((long double)d);
}

inline unsigned int __brev(unsigned int x) {
    unsigned r = 0;
    for (int i = 0; i < 32; i++) r |= ((x >> i) & 1u) << (31 - i);
    return r;
}
inline unsigned long long __brevll(unsigned long long x) {
    unsigned long long r = 0;
    for (int i = 0; i < 64; i++) r |= ((x >> i) & 1ull) << (63 - i);
    return r;
}
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz((unsigned)x); }
inline int __clzll(long long x) { return x == 0 ? 64 : __builtin_clzll((unsigned long long)x); }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __ffsll(long long x) { return __builtin_ffsll(x); }
inline int __popc(unsigned int x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline unsigned int __funnelshift_l(unsigned int lo, unsigned int hi, unsigned int s) {
    unsigned long long v = ((unsigned long long)hi << 32) | lo;
    return (unsigned)((v << (s & 31)) >> 32);
}
inline unsigned int __funnelshift_r(unsigned int lo, unsigned int hi, unsigned int s) {
    unsigned long long v = ((unsigned long long)hi << 32) | lo;
    return (unsigned)(v >> (s & 31));
}
inline unsigned int __funnelshift_lc(unsigned int lo, unsigned int hi, unsigned int s) {
    unsigned long long v = ((unsigned long long)hi << 32) | lo;
    return (unsigned)((v << (s < 32 ? s : 32)) >> 32);
}
inline unsigned int __funnelshift_rc(unsigned int lo, unsigned int hi, unsigned int s) {
    unsigned long long v = ((unsigned long long)hi << 32) | lo;
    return (unsigned)(v >> (s < 32 ? s : 32));
}
inline unsigned int __umulhi(unsigned int a, unsigned int b) {
    return (unsigned)(((unsigned long long)a * b) >> 32);
}
inline int __mulhi(int a, int b) { return (int)(((long long)a * b) >> 32); }
inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b) {
    return (unsigned long long)(((unsigned __int128)a * b) >> 64);
}
inline long long __mul64hi(long long a, long long b) {
    return (long long)(((__int128)a * b) >> 64);
}

// CUDA's overloaded `min`/`max`: the usual arithmetic conversions for integers, `fminf`/`fmaxf`
// (a NaN operand loses) for floats.
template <class A, class B>
inline auto min(A a, B b) {
    using C = std::common_type_t<A, B>;
    return (C)a < (C)b ? (C)a : (C)b;
}
template <class A, class B>
inline auto max(A a, B b) {
    using C = std::common_type_t<A, B>;
    return (C)a > (C)b ? (C)a : (C)b;
}
inline float min(float a, float b) { return fminf(a, b); }
inline float max(float a, float b) { return fmaxf(a, b); }
inline double min(double a, double b) { return fmin(a, b); }
inline double max(double a, double b) { return fmax(a, b); }

inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }

// ---------------------------------------------------------------------------------------------
// Atomics: global and shared memory alike, through `std::atomic_ref`.

template <class T, class V>
inline T atomicAdd(T* p, V v) {
    return std::atomic_ref<T>(*p).fetch_add((T)v);
}
template <class T, class V>
inline T atomicSub(T* p, V v) {
    return std::atomic_ref<T>(*p).fetch_sub((T)v);
}
template <class T, class V>
inline T atomicAnd(T* p, V v) {
    return std::atomic_ref<T>(*p).fetch_and((T)v);
}
template <class T, class V>
inline T atomicOr(T* p, V v) {
    return std::atomic_ref<T>(*p).fetch_or((T)v);
}
template <class T, class V>
inline T atomicXor(T* p, V v) {
    return std::atomic_ref<T>(*p).fetch_xor((T)v);
}
template <class T, class V>
inline T atomicExch(T* p, V v) {
    return std::atomic_ref<T>(*p).exchange((T)v);
}
template <class T, class C, class V>
inline T atomicCAS(T* p, C compare, V v) {
    T expected = (T)compare;
    std::atomic_ref<T>(*p).compare_exchange_strong(expected, (T)v);
    return expected;
}
namespace kf {
// Replaces `*p` with `v` while `better(v, old)`, by compare-exchange; returns the old value.
template <class T, class Better>
inline T atomic_replace_while(T* p, T v, Better better) {
    std::atomic_ref<T> a(*p);
    T old = a.load();
    while (better(v, old) && !a.compare_exchange_weak(old, v)) {
    }
    return old;
}
}  // namespace kf
template <class T, class V>
inline T atomicMin(T* p, V v) {
    return kf::atomic_replace_while(p, (T)v, [](T x, T old) { return x < old; });
}
template <class T, class V>
inline T atomicMax(T* p, V v) {
    return kf::atomic_replace_while(p, (T)v, [](T x, T old) { return x > old; });
}
