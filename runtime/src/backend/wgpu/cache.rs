//! wgpu's pipeline cache, persisted in kernelforge's disk cache (adapters with
//! `PIPELINE_CACHE`, Vulkan): loaded when a device is opened, saved after each new pipeline.

use crate::cache::DiskCache;

/// A pipeline cache loaded from, and saved to, one entry of the disk cache.
pub(super) struct PipelineDiskCache {
    pub(super) cache: wgpu::PipelineCache,
    dir: DiskCache,
    /// wgpu's key for the adapter (vendor and device), plus the driver, naming the entry.
    key: String,
    /// Bytes loaded from disk when the device was opened (0: none).
    pub(super) loaded: usize,
}

/// The disk-cache entry name of wgpu pipeline caches.
const PIPELINE_ENTRY: &str = "wgpu-pipelines";

impl PipelineDiskCache {
    /// The cache of `adapter`'s pipelines, seeded from disk, when the adapter has
    /// `PIPELINE_CACHE` (Vulkan), wgpu can key it, and the kernel cache is on.
    pub(super) fn open(
        device: &wgpu::Device,
        info: &wgpu::AdapterInfo,
    ) -> Option<PipelineDiskCache> {
        if !device.features().contains(wgpu::Features::PIPELINE_CACHE) {
            return None;
        }
        let dir = DiskCache::from_env()?;
        let key = format!(
            "{}\ndriver={} {}",
            wgpu::util::pipeline_cache_key(info)?,
            info.driver,
            info.driver_info
        );
        let data = dir.get(PIPELINE_ENTRY, key.as_bytes());
        let loaded = data.as_ref().map_or(0, Vec::len);
        // SAFETY: `data` is only ever bytes that `PipelineCache::get_data` returned for an
        // adapter with this key (written by `save` below into an entry that is read back only
        // whole and with its key matching byte for byte); wgpu checks its own header
        // (adapter, driver, length) too, and `fallback` makes a rejected blob an empty cache.
        let cache = unsafe {
            device.create_pipeline_cache(&wgpu::PipelineCacheDescriptor {
                label: Some("kernelforge"),
                data: data.as_deref(),
                fallback: true,
            })
        };
        tracing::debug!(bytes = loaded, dir = %dir.dir().display(), "wgpu pipeline cache");
        Some(PipelineDiskCache {
            cache,
            dir,
            key,
            loaded,
        })
    }

    /// Writes the cache's current contents to disk (atomically); a failure is logged.
    pub(super) fn save(&self) {
        let Some(data) = self.cache.get_data() else {
            return;
        };
        if let Err(e) = self.dir.put(PIPELINE_ENTRY, self.key.as_bytes(), &data) {
            tracing::warn!(
                dir = %self.dir.dir().display(),
                "cannot write the wgpu pipeline cache: {e}; set KERNELFORGE_CACHE_DIR to a \
                 writable directory"
            );
        }
    }
}
