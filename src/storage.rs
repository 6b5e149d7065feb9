//! Evidence files on disk, addressed by their SHA-256: `<data dir>/evidence/ab/cd/<digest>`.
//! An upload streams into a temporary file while it is hashed and counted; only a complete,
//! accepted file is fsynced and renamed into place. A staged file that is dropped without
//! being kept is deleted, so a failed upload leaves nothing behind.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

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

    /// A new temporary file to stream an upload into.
    pub fn stage(&self) -> std::io::Result<Staged> {
        let dir = self.root.join("tmp");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("upload-{}", crate::security::random_hex(16)));
        let file = File::options().write(true).create_new(true).open(&path)?;
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
            false
        } else {
            std::fs::create_dir_all(target.parent().expect("nested path"))?;
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

    /// Removes a stored file (after a transaction that was to reference it failed).
    pub fn discard(&self, sha256: &str) {
        if let Some(path) = self.path_of(sha256) {
            let _ = std::fs::remove_file(path);
        }
    }
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
}
