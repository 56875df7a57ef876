//! Conversions between `f32` and the half types written without branches, so that LLVM
//! vectorises the loops that use them; `half`'s own conversions pick F16C at run time per
//! element (or take a branchy fallback), which keeps a loop scalar: a `f16` kernel then moved
//! under 4 GB/s where its `f32` form moved 26. Results are bit-identical with `half`'s (checked
//! below over every `f16` and a sweep of `f32`s): round to nearest even, overflow to infinity,
//! NaN kept quiet with the top of its payload.
//!
//! Choices are bitwise blends under masks: LLVM turned `if` chains of the same values into
//! branches inside the kernels' loops (not in isolation), which kept them scalar.
//!
//! Method: the exponent is rebiased in integer arithmetic for normal values and the rounding
//! is an add of `0x0fff` (`0x7fff` for bf16) plus the lowest kept bit; subnormal `f16`s go
//! through one float addition of a power of two, whose rounding is the one wanted; widening is
//! one multiply by 2^112 (F. Giesen, "Half to float done quic", 2012: `half_to_float_fast5`
//! and `float_to_half_fast3_rtne`).

/// All ones when `c` holds, else zero: a blend mask, so that choices compile to bitwise
/// selects, which vectorise, rather than to branches.
#[inline(always)]
fn mask(c: bool) -> u32 {
    (c as u32).wrapping_neg()
}

/// `a` where `m` is all ones, `b` where it is zero.
#[inline(always)]
fn blend(m: u32, a: u32, b: u32) -> u32 {
    (a & m) | (b & !m)
}

/// The bits of `x` rounded to `f16`.
#[inline(always)]
pub fn f16_bits(x: f32) -> u16 {
    let b = x.to_bits();
    let sign = (b >> 16) & 0x8000;
    let u = b & 0x7fff_ffff;
    // Normal: rebias the exponent by -112, round the 13 dropped bits to nearest even.
    let normal = (u
        .wrapping_sub(0x3800_0000)
        .wrapping_add(0x0fff + ((u >> 13) & 1)))
        >> 13;
    // Subnormal: adding 0.5 aligns the value's bits to the f16 subnormal grid, rounding as the
    // FPU does (to nearest even); what is left above 0.5's bits is the f16 pattern.
    let sub = (f32::from_bits(u) + 0.5)
        .to_bits()
        .wrapping_sub(0x3f00_0000);
    let nan = 0x7e00 | ((u >> 13) & 0x3ff);
    let r = blend(mask(u < 0x3880_0000), sub, normal);
    let r = blend(mask(u >= 0x477f_f000), 0x7c00, r);
    let r = blend(mask(u > 0x7f80_0000), nan, r);
    (r | sign) as u16
}

/// The `f32` value of the `f16` with bits `h`.
#[inline(always)]
pub fn f16_to_f32(h: u16) -> f32 {
    let h = h as u32;
    let sign = (h & 0x8000) << 16;
    let o = (h & 0x7fff) << 13;
    // The bits as an f32 are the value times 2^-112; one multiply by 2^112 restores it,
    // exactly, for normals and subnormals alike (the multiply normalises the latter).
    let v = (f32::from_bits(o) * f32::from_bits(0x7780_0000)).to_bits();
    // Infinity and NaN: the top exponent, the payload kept and NaN made quiet.
    let special = 0x7f80_0000 | o | (mask(o & 0x007f_e000 != 0) & 0x0040_0000);
    let r = blend(mask(o >= 0x0f80_0000), special, v);
    f32::from_bits(r | sign)
}

/// The bits of `x` rounded to `bf16`.
#[inline(always)]
pub fn bf16_bits(x: f32) -> u16 {
    let b = x.to_bits();
    let rounded = b.wrapping_add(0x7fff + ((b >> 16) & 1)) >> 16;
    let quiet = (b >> 16) | 0x0040;
    blend(mask((b & 0x7fff_ffff) > 0x7f80_0000), quiet, rounded) as u16
}

/// The `f32` value of the `bf16` with bits `h` (exact; a NaN is made quiet, as `half` does).
#[inline(always)]
pub fn bf16_to_f32(h: u16) -> f32 {
    let h = h as u32;
    f32::from_bits((h | (mask(h & 0x7fff > 0x7f80) & 0x0040)) << 16)
}

#[cfg(test)]
mod tests {
    use super::*;
    use half::{bf16, f16};

    #[test]
    fn every_f16_widens_as_half_does() {
        for h in 0..=u16::MAX {
            let want = f16::from_bits(h).to_f32();
            let got = f16_to_f32(h);
            assert_eq!(got.to_bits(), want.to_bits(), "{h:#06x}");
            assert_eq!(
                bf16_to_f32(h).to_bits(),
                bf16::from_bits(h).to_f32().to_bits()
            );
        }
    }

    #[test]
    fn f32s_round_as_half_does() {
        // f32s with low bits at and around the rounding points of f16 (12 bits) and bf16 (16
        // bits), over a third of all signs, exponents and high mantissas, plus a
        // pseudo-random sweep.
        let lows = [
            0u32, 1, 0x7ff, 0x800, 0x801, 0xfff, 0x1000, 0x1001, 0x7fff, 0x8000, 0x8001,
        ];
        let mut r = 0x1234_5678u32;
        for high in (0..1u32 << 20).step_by(3) {
            for &low in &lows {
                let bits = (high << 12) ^ low;
                let x = f32::from_bits(bits);
                assert_eq!(f16_bits(x), f16::from_f32(x).to_bits(), "f16 {bits:#010x}");
                assert_eq!(
                    bf16_bits(x),
                    bf16::from_f32(x).to_bits(),
                    "bf16 {bits:#010x}"
                );
            }
            r ^= r << 13;
            r ^= r >> 17;
            r ^= r << 5;
            let x = f32::from_bits(r);
            assert_eq!(f16_bits(x), f16::from_f32(x).to_bits(), "f16 {r:#010x}");
            assert_eq!(bf16_bits(x), bf16::from_f32(x).to_bits(), "bf16 {r:#010x}");
        }
    }
}
