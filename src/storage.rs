//! Evidence files on disk, addressed by their SHA-256: `<data dir>/evidence/ab/cd/<digest>`.
//! An upload streams into a temporary file while it is hashed and counted; only a complete,
//! accepted file is fsynced and renamed into place. A staged file that is dropped without
//! being kept is deleted, so a failed upload leaves nothing behind.
//!
//! A stored file is never removed by the request that stored it, even when that request
//! fails: an identical file may be what another, successful report references. Files that
//! no evidence row references are removed only by the collector (`duban gc`, and at
//! start-up), and only once they are older than a grace period, so a file whose row is
//! still being written is safe. A staged upload is locked by its writer for as long as it is
//! open; the collector removes only staged files whose writer is gone (a crash, `kill -9`),
//! whichever instance sharing the directory left them.

use std::collections::HashSet;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

#[derive(Debug, Clone)]
pub struct EvidenceStore {
    root: PathBuf,
}

impl EvidenceStore {
    pub fn new(data_dir: &Path) -> Self {
        EvidenceStore {
            root: data_dir.join("evidence"),
        }
    }

    /// Where a file with this digest lives. The digest is checked to be one, so a stored
    /// value can never point outside the store.
    pub fn path_of(&self, sha256: &str) -> Option<PathBuf> {
        let ok = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit());
        ok.then(|| {
            self.root
                .join(&sha256[..2])
                .join(&sha256[2..4])
                .join(sha256)
        })
    }

    fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// A new temporary file to stream an upload into. It is created under a hidden name,
    /// locked, and only then given its `upload-` name, so the collector never sees an
    /// unlocked upload that is still being written.
    pub fn stage(&self) -> std::io::Result<Staged> {
        let dir = self.tmp_dir();
        create_private_dir(&dir)?;
        let name = crate::security::random_hex(16);
        let fresh = dir.join(format!(".new-{name}"));
        let path = dir.join(format!("upload-{name}"));
        let file = private_file(&fresh)?;
        file.lock()?;
        std::fs::rename(&fresh, &path)?;
        Ok(Staged {
            path,
            file: Some(file),
            hasher: Sha256::new(),
            size: 0,
            head: Vec::with_capacity(16),
            kept: false,
        })
    }

    /// Moves a finished upload to its place. Returns the digest and whether the file is new
    /// to the store (an identical file may be there already).
    pub fn keep(&self, mut staged: Staged) -> std::io::Result<Kept> {
        let file = staged.file.take().expect("a staged file is kept once");
        file.sync_all()?;
        drop(file);
        let sha256 = hex(&staged.hasher.clone().finalize());
        let target = self
            .path_of(&sha256)
            .expect("a SHA-256 digest is 64 hex digits");
        let created = if target.exists() {
            std::fs::remove_file(&staged.path)?;
            // A fresh modification time keeps the collector's grace period from running out
            // on an old unreferenced copy while the row that references it is written.
            File::options()
                .write(true)
                .open(&target)?
                .set_modified(SystemTime::now())?;
            false
        } else {
            create_private_dir(target.parent().expect("nested path"))?;
            std::fs::rename(&staged.path, &target)?;
            if let Some(dir) = target.parent() {
                // The rename is durable once its directory is.
                File::open(dir).and_then(|d| d.sync_all())?;
            }
            true
        };
        staged.kept = true;
        Ok(Kept {
            sha256,
            size: staged.size,
            created,
        })
    }

    /// Removes staged uploads whose writer is gone, and stored files that no row references
    /// (`referenced` holds every digest that evidence rows name) and that were last written
    /// more than `grace` ago. Returns what it removed.
    pub fn collect(
        &self,
        referenced: &HashSet<String>,
        grace: Duration,
    ) -> std::io::Result<Collected> {
        let mut out = Collected::default();
        let now = SystemTime::now();
        let old = |meta: &std::fs::Metadata| {
            meta.modified()
                .ok()
                .and_then(|m| now.duration_since(m).ok())
                .is_some_and(|age| age > grace)
        };
        if let Ok(entries) = std::fs::read_dir(self.tmp_dir()) {
            for entry in entries {
                let entry = entry?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let path = entry.path();
                let abandoned = if name.starts_with("upload-") {
                    // Whoever writes an upload holds its lock until the file is kept or dropped.
                    match File::open(&path) {
                        Ok(f) => f.try_lock().is_ok(),
                        Err(_) => false,
                    }
                } else {
                    // `.new-` files live for a moment between creation and locking.
                    entry.metadata().is_ok_and(|m| old(&m))
                };
                if abandoned && std::fs::remove_file(&path).is_ok() {
                    out.staged += 1;
                }
            }
        }
        for (digest, path) in self.stored()? {
            if referenced.contains(&digest) {
                continue;
            }
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if old(&meta) && std::fs::remove_file(&path).is_ok() {
                out.files += 1;
                out.bytes += meta.len();
            }
        }
        Ok(out)
    }

    /// Every stored file: digest and path.
    pub fn stored(&self) -> std::io::Result<Vec<(String, PathBuf)>> {
        let mut out = Vec::new();
        for first in read_subdirs(&self.root)? {
            if first.file_name().is_some_and(|n| n == "tmp") {
                continue;
            }
            for second in read_subdirs(&first)? {
                for entry in std::fs::read_dir(&second)? {
                    let entry = entry?;
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if self.path_of(&name).is_some() {
                        out.push((name, entry.path()));
                    }
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

/// What the collector removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Collected {
    /// Staged uploads left by a writer that is gone.
    pub staged: usize,
    /// Stored files no row references.
    pub files: usize,
    pub bytes: u64,
}

fn read_subdirs(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            out.push(entry.path());
        }
    }
    Ok(out)
}

/// Creates a directory (and its parents) readable by the owner only.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates a new file readable by the owner only; fails if it exists.
pub fn private_file(path: &Path) -> std::io::Result<File> {
    let mut options = File::options();
    options.write(true).read(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Writes `bytes` to `path` whole or not at all: a private temporary file beside it, fsynced,
/// then renamed over it.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .map_or("file".into(), |n| n.to_string_lossy()),
        crate::security::random_hex(6)
    ));
    let result = (|| {
        let mut file = private_file(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// What `keep` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub sha256: String,
    pub size: u64,
    /// The file was not in the store before.
    pub created: bool,
}

/// An upload on its way in.
#[derive(Debug)]
pub struct Staged {
    path: PathBuf,
    file: Option<File>,
    hasher: Sha256,
    size: u64,
    head: Vec<u8>,
    kept: bool,
}

impl Staged {
    pub fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        if self.head.len() < 16 {
            let take = (16 - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.hasher.update(chunk);
        self.size += chunk.len() as u64;
        self.file
            .as_mut()
            .expect("writing to a kept file")
            .write_all(chunk)
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The first bytes, by which the file's type is recognised.
    pub fn head(&self) -> &[u8] {
        &self.head
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_kept_by_digest_once_and_dropped_uploads_vanish() {
        let dir = tempfile::tempdir().unwrap();
        let store = EvidenceStore::new(dir.path());
        let mut a = store.stage().unwrap();
        a.write(b"%PDF-1.4 hello").unwrap();
        assert_eq!(a.head(), b"%PDF-1.4 hello");
        let kept = store.keep(a).unwrap();
        assert!(kept.created);
        assert_eq!(kept.size, 14);
        let path = store.path_of(&kept.sha256).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"%PDF-1.4 hello");

        let mut b = store.stage().unwrap();
        b.write(b"%PDF-1.4 hello").unwrap();
        assert!(!store.keep(b).unwrap().created, "same content, same file");

        let mut c = store.stage().unwrap();
        c.write(b"half an upload").unwrap();
        drop(c);
        let left: Vec<_> = std::fs::read_dir(dir.path().join("evidence/tmp"))
            .unwrap()
            .collect();
        assert!(left.is_empty(), "a dropped upload leaves no file");
        assert_eq!(store.path_of("../../etc/passwd"), None);
    }

    #[test]
    fn the_collector_keeps_referenced_recent_and_in_flight_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = EvidenceStore::new(dir.path());
        let keep = |bytes: &[u8]| {
            let mut s = store.stage().unwrap();
            s.write(bytes).unwrap();
            store.keep(s).unwrap().sha256
        };
        let used = keep(b"referenced");
        let orphan = keep(b"orphan");
        let mut writing = store.stage().unwrap();
        writing.write(b"still arriving").unwrap();
        // An upload whose writer died: its file is there, nobody holds its lock.
        let crashed = dir.path().join("evidence/tmp/upload-crashed");
        std::fs::write(&crashed, b"half").unwrap();

        let referenced = HashSet::from([used.clone()]);
        let first = store
            .collect(&referenced, Duration::from_secs(3600))
            .unwrap();
        assert_eq!(
            first,
            Collected {
                staged: 1,
                files: 0,
                bytes: 0
            },
            "young orphans stay"
        );
        assert!(!crashed.exists());
        assert_eq!(
            std::fs::read_dir(dir.path().join("evidence/tmp"))
                .unwrap()
                .count(),
            1
        );

        let second = store.collect(&referenced, Duration::ZERO).unwrap();
        assert_eq!((second.staged, second.files), (0, 1));
        assert!(store.path_of(&used).unwrap().exists());
        assert!(!store.path_of(&orphan).unwrap().exists());
        writing.write(b" and done").unwrap();
        assert!(
            store.keep(writing).is_ok(),
            "the locked upload survived both passes"
        );
        let stored: Vec<String> = store
            .stored()
            .unwrap()
            .into_iter()
            .map(|(d, _)| d)
            .collect();
        assert_eq!(stored.len(), 2);
    }
}
