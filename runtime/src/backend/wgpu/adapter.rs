//! Adapters: enumerating them, ranking them (discrete > integrated > virtual > other > CPU
//! implementations), describing them, and their facts for `kernelforge info`.

use crate::info::AdapterInfo;

fn instance() -> wgpu::Instance {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
    desc.backends = wgpu::Backends::PRIMARY;
    wgpu::Instance::new(desc)
}

fn rank(t: wgpu::DeviceType) -> u8 {
    match t {
        wgpu::DeviceType::DiscreteGpu => 4,
        wgpu::DeviceType::IntegratedGpu => 3,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 1,
        wgpu::DeviceType::Cpu => 0,
    }
}

pub(super) fn adapters() -> Vec<wgpu::Adapter> {
    let mut v = pollster::block_on(instance().enumerate_adapters(wgpu::Backends::PRIMARY));
    v.sort_by_key(|a| std::cmp::Reverse(rank(a.get_info().device_type)));
    v
}

pub(super) fn describe(info: &wgpu::AdapterInfo) -> String {
    format!(
        "{} ({:?}, {:?}, driver {} {})",
        info.name, info.backend, info.device_type, info.driver, info.driver_info
    )
}

/// Whether an adapter that is not a CPU implementation exists.
pub(crate) fn hardware_present() -> bool {
    adapters()
        .iter()
        .any(|a| a.get_info().device_type != wgpu::DeviceType::Cpu)
}

/// Every adapter's facts for `kernelforge info`, best first.
pub(crate) fn info() -> Vec<AdapterInfo> {
    adapters()
        .iter()
        .map(|a| {
            let info = a.get_info();
            let l = a.limits();
            let f = a.features();
            AdapterInfo {
                name: info.name.clone(),
                backend: format!("{:?}", info.backend),
                device_type: format!("{:?}", info.device_type),
                driver: format!("{} {}", info.driver, info.driver_info),
                max_workgroup_storage: l.max_compute_workgroup_storage_size,
                max_invocations_per_workgroup: l.max_compute_invocations_per_workgroup,
                max_storage_binding: l.max_storage_buffer_binding_size,
                max_workgroups_per_dimension: l.max_compute_workgroups_per_dimension,
                f16: f.contains(wgpu::Features::SHADER_F16),
                f64: f.contains(wgpu::Features::SHADER_F64),
                subgroups: f
                    .contains(wgpu::Features::SUBGROUP)
                    .then_some((info.subgroup_min_size, info.subgroup_max_size)),
                int64: f.contains(wgpu::Features::SHADER_INT64),
                timestamp_queries: f.contains(wgpu::Features::TIMESTAMP_QUERY),
                pipeline_cache: f.contains(wgpu::Features::PIPELINE_CACHE),
            }
        })
        .collect()
}
