//! The on-disk cache of compiled kernels (NVRTC output), so a process never compiles what an
//! earlier one did.
//!
//! Directory: `KERNELFORGE_CACHE_DIR`, else the platform's cache directory + `kernelforge`
//! (`$XDG_CACHE_HOME` or `~/.cache` on Linux, `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on
//! Windows); `KERNELFORGE_CACHE_DIR=off` turns it off. An entry is written to a temporary
//! file in the same directory and renamed into place, so concurrent processes see either no
//! entry or a whole one. Each file holds its full key (the kernel's CUDA C, the architecture,
//! the driver and compiler versions) and is used only when the key matches byte for byte: a
//! hash collision or a truncated file is a miss, never wrong code.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

const MAGIC: &[u8; 8] = b"KFCACHE1";

/// A cache directory.
#[derive(Clone, Debug)]
pub struct DiskCache {
    dir: PathBuf,
}

/// The platform cache directory for kernelforge, before `KERNELFORGE_CACHE_DIR`.
fn platform_dir() -> Option<PathBuf> {
    let env = |v: &str| {
        std::env::var_os(v)
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
    };
    let base = if cfg!(target_os = "windows") {
        env("LOCALAPPDATA")
    } else if cfg!(target_os = "macos") {
        env("HOME").map(|h| h.join("Library/Caches"))
    } else {
        env("XDG_CACHE_HOME").or_else(|| env("HOME").map(|h| h.join(".cache")))
    }?;
    Some(base.join("kernelforge"))
}

/// 64-bit FNV-1a: names files only; the full key inside each file decides a hit.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in *p {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl DiskCache {
    /// The cache at `KERNELFORGE_CACHE_DIR` or the platform directory; `None` when turned off
    /// or when no directory can be found.
    pub fn from_env() -> Option<DiskCache> {
        let dir = match std::env::var_os("KERNELFORGE_CACHE_DIR") {
            Some(v) if v == "off" => return None,
            Some(v) if !v.is_empty() => PathBuf::from(v),
            _ => platform_dir()?,
        };
        Some(DiskCache { dir })
    }

    /// A cache in `dir` (created on first write).
    pub fn at(dir: impl Into<PathBuf>) -> DiskCache {
        DiskCache { dir: dir.into() }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of an entry named `name` (a kernel name: kept readable in the file name) with
    /// key `key`.
    pub fn path(&self, name: &str, key: &[u8]) -> PathBuf {
        let safe: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .take(64)
            .collect();
        self.dir.join(format!(
            "{safe}-{:016x}.bin",
            fnv1a(&[name.as_bytes(), key])
        ))
    }

    /// The bytes stored under (`name`, `key`), if a whole entry with exactly that key exists.
    pub fn get(&self, name: &str, key: &[u8]) -> Option<Vec<u8>> {
        let data = std::fs::read(self.path(name, key)).ok()?;
        let rest = data.strip_prefix(MAGIC.as_slice())?;
        let (len, rest) = rest.split_first_chunk::<8>()?;
        let key_len = usize::try_from(u64::from_le_bytes(*len)).ok()?;
        if rest.len() < key_len || &rest[..key_len] != key {
            return None;
        }
        let rest = &rest[key_len..];
        let (len, payload) = rest.split_first_chunk::<8>()?;
        let payload_len = usize::try_from(u64::from_le_bytes(*len)).ok()?;
        (payload.len() == payload_len).then(|| payload.to_vec())
    }

    /// Stores `bytes` under (`name`, `key`): written to a temporary file, then renamed over
    /// the entry, so readers never see part of it.
    ///
    /// # Errors
    /// The I/O error when the directory or file cannot be written.
    pub fn put(&self, name: &str, key: &[u8], bytes: &[u8]) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let path = self.path(name, key);
        let tmp = temp_path(
            &self.dir,
            path.file_name().and_then(|f| f.to_str()).unwrap_or("entry"),
        );
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(MAGIC)?;
            f.write_all(&(key.len() as u64).to_le_bytes())?;
            f.write_all(key)?;
            f.write_all(&(bytes.len() as u64).to_le_bytes())?;
            f.write_all(bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)
        };
        let r = write();
        if r.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        r
    }
}

/// A file name in `dir` for writing `name` before renaming it into place, unique to this
/// process and call (threads of one process may write the same entry at once).
pub(crate) fn temp_path(dir: &Path, name: &str) -> PathBuf {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    dir.join(format!(
        ".tmp-{}-{}-{name}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("kf-cache-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn round_trip_and_key_check() {
        let c = DiskCache::at(scratch("rt"));
        assert_eq!(c.get("k", b"key"), None);
        c.put("k", b"key", b"payload").unwrap();
        assert_eq!(c.get("k", b"key").as_deref(), Some(&b"payload"[..]));
        assert_eq!(c.get("k", b"other key"), None);
        // A file whose key differs (as after a hash collision) is a miss.
        let p = c.path("k", b"key");
        let mut data = std::fs::read(&p).unwrap();
        data[16] ^= 1;
        std::fs::write(&p, &data).unwrap();
        assert_eq!(c.get("k", b"key"), None);
        // So is a truncated one.
        c.put("k", b"key", b"payload").unwrap();
        let data = std::fs::read(&p).unwrap();
        std::fs::write(&p, &data[..data.len() - 1]).unwrap();
        assert_eq!(c.get("k", b"key"), None);
        let _ = std::fs::remove_dir_all(c.dir());
    }

    #[test]
    fn concurrent_writers_never_expose_half_an_entry() {
        let c = DiskCache::at(scratch("conc"));
        let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::thread::scope(|s| {
            for t in 0..8 {
                let (c, payload) = (&c, &payload);
                s.spawn(move || {
                    for _ in 0..20 {
                        if t % 2 == 0 {
                            c.put("big", b"key", payload).unwrap();
                        }
                        if let Some(got) = c.get("big", b"key") {
                            assert!(got == *payload, "a reader saw a partial entry");
                        }
                    }
                });
            }
        });
        assert_eq!(c.get("big", b"key").as_deref(), Some(payload.as_slice()));
        let leftovers = std::fs::read_dir(c.dir())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.file_name().to_string_lossy().starts_with(".tmp"))
            })
            .count();
        assert_eq!(leftovers, 0);
        let _ = std::fs::remove_dir_all(c.dir());
    }
}
