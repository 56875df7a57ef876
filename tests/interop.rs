//! Interop with a program that owns its GPU: on wgpu (lavapipe in CI) a device and buffer the
//! test creates itself, written by its own compute pass and read by a kernel, then written
//! by a kernel and read back through the caller's handles; on CUDA (where a GPU exists) a
//! caller's cudarc stream and `CudaSlice`. Misuse is an `Err`.

#![cfg(all(feature = "wgpu", feature = "cuda"))]

mod common;

use common::skip_or_fail;
use kernelforge::prelude::*;

/// `y[i] = x[i] * 2 + 1`.
#[compute_kernel(workgroup_size = 64)]
pub fn twice_plus_one(x: &[u32], y: &mut [u32]) {
    let i = global_id().x;
    if i < y.len() {
        y[i] = x[i] * 2 + 1;
    }
}

/// The caller's own shader: `buf[i] = i * 3`.
const FILL_WGSL: &str = "@group(0) @binding(0) var<storage, read_write> buf: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x < arrayLength(&buf) {
        buf[id.x] = id.x * 3u;
    }
}
";

/// A device and queue as a program that owns its GPU makes them, or `None` (skipped).
fn own_device() -> Option<(wgpu::Device, wgpu::Queue)> {
    let instance = wgpu::Instance::default();
    let adapter = pollster::block_on(instance.request_adapter(&Default::default()));
    let adapter = match adapter {
        Ok(a) => a,
        Err(e) => {
            skip_or_fail("wgpu", &format!("no adapter: {e}"));
            return None;
        }
    };
    match pollster::block_on(adapter.request_device(&Default::default())) {
        Ok(pair) => Some(pair),
        Err(e) => {
            skip_or_fail("wgpu", &format!("no device: {e}"));
            None
        }
    }
}

use kernelforge::wgpu;

#[test]
fn wgpu_interop_shares_the_callers_device_and_buffers() {
    let Some((device, queue)) = own_device() else {
        return;
    };
    let n = 1000u32;
    let usage =
        wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
    let mine = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("caller's"),
        size: n as u64 * 4,
        usage,
        mapped_at_creation: false,
    });
    // The caller's own pass writes the buffer.
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: None,
        source: wgpu::ShaderSource::Wgsl(FILL_WGSL.into()),
    });
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: None,
        layout: None,
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    });
    let group = device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &pipeline.get_bind_group_layout(0),
        entries: &[wgpu::BindGroupEntry {
            binding: 0,
            resource: mine.as_entire_binding(),
        }],
    });
    let mut enc = device.create_command_encoder(&Default::default());
    {
        let mut pass = enc.begin_compute_pass(&Default::default());
        pass.set_pipeline(&pipeline);
        pass.set_bind_group(0, &group, &[]);
        pass.dispatch_workgroups(n.div_ceil(64), 1, 1);
    }
    queue.submit([enc.finish()]);

    // A kernel reads it on the same device and queue.
    let dev = Device::from_wgpu(device.clone(), queue.clone());
    assert_eq!(dev.backend(), Backend::Wgpu);
    let x = Buffer::<u32>::from_wgpu(&dev, mine.clone(), n as usize).unwrap();
    let mut y = dev.zeros::<u32>(n as usize).unwrap();
    twice_plus_one::launch(&dev, Grid::linear(n as usize), &x, &mut y).unwrap();
    let want: Vec<u32> = (0..n).map(|i| i * 6 + 1).collect();
    assert_eq!(y.to_vec().unwrap(), want);

    // A kernel writes the caller's buffer (through a view), and the caller's handle sees it.
    {
        let mut out = Buffer::<u32>::from_wgpu(&dev, mine.clone(), n as usize).unwrap();
        let yv = y.slice(10..20).unwrap();
        twice_plus_one::launch(
            &dev,
            Grid::linear(10),
            &yv,
            &mut out.slice_mut(..10).unwrap(),
        )
        .unwrap();
        assert!(std::ptr::eq(out.as_wgpu().unwrap(), out.as_wgpu().unwrap()));
    }
    let staging = device.create_buffer(&wgpu::BufferDescriptor {
        label: None,
        size: 40,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let (dh, qh) = dev.wgpu_handles().unwrap();
    let mut enc = dh.create_command_encoder(&Default::default());
    enc.copy_buffer_to_buffer(&mine, 0, &staging, 0, 40);
    qh.submit([enc.finish()]);
    staging.map_async(wgpu::MapMode::Read, .., |r| r.unwrap());
    device.poll(wgpu::PollType::wait_indefinitely()).unwrap();
    let got: Vec<u32> = bytemuck::cast_slice(&staging.get_mapped_range(..).unwrap()).to_vec();
    let want: Vec<u32> = (10..20).map(|i| (i * 6 + 1) * 2 + 1).collect();
    assert_eq!(got, want);
}

#[test]
fn wgpu_interop_misuse_is_an_error() {
    let Some((device, queue)) = own_device() else {
        return;
    };
    let dev = Device::from_wgpu(device.clone(), queue);
    let buffer = |size, usage| {
        device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size,
            usage,
            mapped_at_creation: false,
        })
    };
    let storage =
        wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
    let e = Buffer::<f32>::from_wgpu(&dev, buffer(64, wgpu::BufferUsages::STORAGE), 16)
        .unwrap_err()
        .to_string();
    assert!(e.contains("COPY_SRC"), "{e}");
    let e = Buffer::<f32>::from_wgpu(&dev, buffer(64, storage), 17)
        .unwrap_err()
        .to_string();
    assert!(e.contains("64 bytes") && e.contains("68"), "{e}");
    let e = Buffer::<f32>::from_wgpu(&Device::cpu(), buffer(64, storage), 16)
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a wgpu device"), "{e}");
    assert!(Device::cpu().wgpu_handles().is_none());
    // A short buffer (not a whole `vec4`) still runs elementwise kernels, on the scalar path.
    let short = Buffer::<u32>::from_wgpu(&dev, buffer(12, storage), 3).unwrap();
    let mut y = dev.zeros::<u32>(3).unwrap();
    twice_plus_one::launch(&dev, Grid::linear(3), &short, &mut y).unwrap();
    assert_eq!(y.to_vec().unwrap(), [1, 1, 1]);
}

#[test]
fn cuda_interop_shares_the_callers_stream_and_slices() {
    // cudarc panics without a driver: ask kernelforge first, which skips with the reason.
    if common::device(Backend::Cuda).is_none() {
        return;
    }
    let ctx = match kernelforge::cudarc::driver::CudaContext::new(0) {
        Ok(ctx) => ctx,
        Err(e) => return skip_or_fail("cuda", &format!("no CUDA GPU: {e:?}")),
    };
    let stream = ctx.new_stream().unwrap();
    let dev = Device::from_cuda_stream(stream.clone()).unwrap();
    let host: Vec<u32> = (0..1000).collect();
    let slice = stream.clone_htod(&host).unwrap();
    let x = Buffer::from_cuda(&dev, slice).unwrap();
    let mut y = dev.zeros::<u32>(1000).unwrap();
    twice_plus_one::launch(&dev, Grid::linear(1000), &x, &mut y).unwrap();
    let back = y.into_cuda().unwrap();
    let got = stream.clone_dtoh(&back).unwrap();
    assert_eq!(got, host.iter().map(|v| v * 2 + 1).collect::<Vec<_>>());
    assert!(std::sync::Arc::ptr_eq(dev.cuda_stream().unwrap(), &stream));
}
