mod common;
use kernelforge::prelude::*;
use std::time::Instant;

#[compute_kernel(workgroup_size = 256)]
pub fn xor64(a: &[u64], b: &[u64], out: &mut [u64]) {
    let i = global_id().x;
    if i < out.len() {
        out[i] = a[i] ^ b[i];
    }
}
#[compute_kernel(workgroup_size = 256)]
pub fn xor32x2(a: &[u32], b: &[u32], out: &mut [u32]) {
    let i = global_id().x;
    if i < out.len() / 2 {
        out[2 * i] = a[2 * i] ^ b[2 * i];
        out[2 * i + 1] = a[2 * i + 1] ^ b[2 * i + 1];
    }
}
#[compute_kernel(workgroup_size = 256)]
pub fn xor32(a: &[u32], b: &[u32], out: &mut [u32]) {
    let i = global_id().x;
    if i < out.len() {
        out[i] = a[i] ^ b[i];
    }
}

#[compute_kernel(workgroup_size = 256)]
pub fn xor32x4(a: &[u32], b: &[u32], out: &mut [u32]) {
    let i = global_id().x;
    if i < out.len() / 4 {
        let mut v = Vec4::load(a, i);
        let w = Vec4::load(b, i);
        v.x = v.x ^ w.x;
        v.y = v.y ^ w.y;
        v.z = v.z ^ w.z;
        v.w = v.w ^ w.w;
        v.store(out, i);
    }
}

#[compute_kernel(workgroup_size = 256)]
pub fn xor64x2(a: &[u64], b: &[u64], out: &mut [u64]) {
    let i = global_id().x;
    if i < out.len() / 2 {
        let mut v = Vec2::load(a, i);
        let w = Vec2::load(b, i);
        v.x = v.x ^ w.x;
        v.y = v.y ^ w.y;
        v.store(out, i);
    }
}

#[test]
fn scratch() {
    let dev = Device::wgpu().unwrap();
    let n = 1 << 24;
    let a = dev.upload(&vec![3u64; n]).unwrap();
    let b = dev.upload(&vec![5u64; n]).unwrap();
    let mut o = dev.zeros::<u64>(n).unwrap();
    let a3 = dev.upload(&vec![3u32; 2 * n]).unwrap();
    let b3 = dev.upload(&vec![5u32; 2 * n]).unwrap();
    let mut o3 = dev.zeros::<u32>(2 * n).unwrap();
    for _ in 0..3 {
        let mut t = vec![];
        for k in 0..5 {
            let s = Instant::now();
            match k {
                0 => xor64::launch(&dev, Grid::linear(n), &a, &b, &mut o).unwrap(),
                3 => xor32x4::launch(&dev, Grid::linear(n / 2), &a3, &b3, &mut o3).unwrap(),
                4 => xor64x2::launch(&dev, Grid::linear(n / 2), &a, &b, &mut o).unwrap(),
                1 => xor32x2::launch(&dev, Grid::linear(n), &a3, &b3, &mut o3).unwrap(),
                _ => xor32::launch(&dev, Grid::linear(2 * n), &a3, &b3, &mut o3).unwrap(),
            }
            dev.synchronize().unwrap();
            t.push(s.elapsed().as_secs_f64() * 1e3);
        }
        eprintln!(
            "xor64 {:.1} ms, xor32x2 {:.1} ms, xor32 {:.1} ms x4 {:.1} 64x2 {:.1}",
            t[0], t[1], t[2], t[3], t[4]
        );
        eprintln!("{}", xor64x2::KERNEL.wgsl_source);
    }
}
