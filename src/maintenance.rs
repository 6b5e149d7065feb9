//! Keeping the data safe: the collector for files no report references, the integrity
//! check, and backup and restore (a consistent copy of the SQLite database and of the
//! evidence files its rows reference, with a manifest of checksums).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::{DatabaseUrl, Settings};
use crate::db::{reports, DbConn};
use crate::storage::{create_private_dir, private_file, Collected, EvidenceStore};

/// Removes staged uploads whose writer is gone and stored files that no evidence row
/// references and that are older than the configured grace.
pub fn collect_garbage(conn: &mut DbConn, settings: &Settings) -> anyhow::Result<Collected> {
    let referenced = reports::referenced_digests(conn)?;
    let store = EvidenceStore::new(&settings.data_dir);
    let collected = store
        .collect(&referenced, settings.orphan_grace)
        .context("collecting unreferenced files")?;
    if collected != Collected::default() {
        tracing::info!(
            staged = collected.staged,
            files = collected.files,
            bytes = collected.bytes,
            "removed abandoned uploads and unreferenced evidence files"
        );
    }
    Ok(collected)
}

/// What the integrity check found.
#[derive(Debug, Default, Serialize)]
pub struct Check {
    /// Evidence files that rows reference, all present with the right content.
    pub files_ok: usize,
    pub problems: Vec<String>,
}

/// Checks the database (SQLite's `integrity_check`, a query on PostgreSQL) and that every
/// file an evidence row references is present with the digest it is stored under.
pub fn check(conn: &mut DbConn, settings: &Settings) -> anyhow::Result<Check> {
    let mut out = Check::default();
    if let DbConn::Sqlite(c) = conn {
        #[derive(QueryableByName)]
        struct Line {
            #[diesel(sql_type = diesel::sql_types::Text)]
            integrity_check: String,
        }
        let lines: Vec<Line> = diesel::sql_query("PRAGMA integrity_check").load(c)?;
        for l in lines.into_iter().filter(|l| l.integrity_check != "ok") {
            out.problems
                .push(format!("database: {}", l.integrity_check));
        }
    } else {
        conn.batch_execute("SELECT 1")?;
    }
    let store = EvidenceStore::new(&settings.data_dir);
    let mut digests: Vec<String> = reports::referenced_digests(conn)?.into_iter().collect();
    digests.sort();
    for digest in digests {
        let Some(path) = store.path_of(&digest) else {
            out.problems
                .push(format!("evidence {digest}: not a SHA-256 digest"));
            continue;
        };
        match sha256_of(&path) {
            Ok((actual, _)) if actual == digest => out.files_ok += 1,
            Ok((actual, _)) => out
                .problems
                .push(format!("evidence {digest}: content has digest {actual}")),
            Err(e) => out.problems.push(format!("evidence {digest}: {e}")),
        }
    }
    Ok(out)
}

fn sha256_of(path: &Path) -> std::io::Result<(String, u64)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    let digest = hasher.finalize();
    Ok((digest.iter().map(|b| format!("{b:02x}")).collect(), size))
}

/// The manifest of a backup, written last: a directory without one is not a backup.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub created_at: chrono::NaiveDateTime,
    /// "sqlite", or "postgres" (whose database is dumped with `pg_dump`, see README).
    pub database: String,
    /// Paths relative to the backup directory → size and SHA-256.
    pub files: BTreeMap<String, ManifestEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManifestEntry {
    pub size: u64,
    pub sha256: String,
}

const MANIFEST: &str = "manifest.json";
const DATABASE_FILE: &str = "duban.db";

fn is_empty_dir(dir: &Path) -> anyhow::Result<bool> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e).with_context(|| format!("reading {}", dir.display())),
    }
}

/// Copies `from` to `to` (a new private file), returning its size and digest.
fn copy_file(from: &Path, to: &Path) -> anyhow::Result<ManifestEntry> {
    if let Some(parent) = to.parent() {
        create_private_dir(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let mut input =
        std::fs::File::open(from).with_context(|| format!("reading {}", from.display()))?;
    let mut output = private_file(to).with_context(|| format!("writing {}", to.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        std::io::Write::write_all(&mut output, &buf[..n])
            .with_context(|| format!("writing {}", to.display()))?;
        size += n as u64;
    }
    output.sync_all()?;
    let digest = hasher.finalize();
    Ok(ManifestEntry {
        size,
        sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
    })
}

/// What a backup holds.
#[derive(Debug, Serialize)]
pub struct BackupSummary {
    pub database: bool,
    pub files: usize,
    pub bytes: u64,
}

/// Makes a consistent copy into `dir` (new or empty) while the server runs: SQLite's
/// `VACUUM INTO` writes a snapshot of the database as of one moment, then the evidence
/// files that snapshot references are copied (a referenced file is never removed, so they
/// are all there), each with its checksum in the manifest. On PostgreSQL the evidence is
/// copied and the database is left to `pg_dump`.
pub fn backup(conn: &mut DbConn, settings: &Settings, dir: &Path) -> anyhow::Result<BackupSummary> {
    if !is_empty_dir(dir)? {
        bail!(
            "{} is not empty: a backup goes into a new or empty directory",
            dir.display()
        );
    }
    create_private_dir(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut files = BTreeMap::new();
    let (database, digests) = match conn {
        DbConn::Sqlite(c) => {
            let target = dir.join(DATABASE_FILE);
            let target_text = target
                .to_str()
                .context("the backup directory's path is not valid UTF-8")?;
            diesel::sql_query("VACUUM INTO ?")
                .bind::<diesel::sql_types::Text, _>(target_text)
                .execute(c)
                .with_context(|| format!("writing the database snapshot {}", target.display()))?;
            let mut snapshot = DbConn::Sqlite(diesel::SqliteConnection::establish(target_text)?);
            let digests = reports::referenced_digests(&mut snapshot)?;
            drop(snapshot);
            let (sha256, size) = sha256_of(&target)?;
            files.insert(DATABASE_FILE.to_string(), ManifestEntry { size, sha256 });
            ("sqlite", digests)
        }
        DbConn::Pg(_) => ("postgres", reports::referenced_digests(conn)?),
    };
    let store = EvidenceStore::new(&settings.data_dir);
    let mut digests: Vec<String> = digests.into_iter().collect();
    digests.sort();
    let mut bytes = 0;
    for digest in &digests {
        let source = store
            .path_of(digest)
            .with_context(|| format!("evidence row names `{digest}`, not a digest"))?;
        let relative = format!("evidence/{}/{}/{digest}", &digest[..2], &digest[2..4]);
        let entry = copy_file(&source, &dir.join(&relative))?;
        if entry.sha256 != *digest {
            bail!(
                "evidence file {} does not match its digest",
                source.display()
            );
        }
        bytes += entry.size;
        files.insert(relative, entry);
    }
    let manifest = Manifest {
        format: 1,
        created_at: chrono::Utc::now().naive_utc(),
        database: database.to_string(),
        files,
    };
    crate::storage::write_atomically(&dir.join(MANIFEST), &serde_json::to_vec_pretty(&manifest)?)?;
    Ok(BackupSummary {
        database: database == "sqlite",
        files: digests.len(),
        bytes,
    })
}

/// Reads a backup's manifest and checks every file it lists against its checksum.
pub fn verify_backup(dir: &Path) -> anyhow::Result<Manifest> {
    let text = std::fs::read(dir.join(MANIFEST))
        .with_context(|| format!("{} has no {MANIFEST}: not a complete backup", dir.display()))?;
    let manifest: Manifest =
        serde_json::from_slice(&text).context("the manifest is not readable")?;
    for (relative, entry) in &manifest.files {
        if relative.contains("..") || relative.starts_with('/') {
            bail!("the manifest names `{relative}`, outside the backup");
        }
        let (sha256, size) = sha256_of(&dir.join(relative))
            .with_context(|| format!("reading {relative} of the backup"))?;
        if sha256 != entry.sha256 || size != entry.size {
            bail!("{relative} of the backup does not match its checksum: the backup is damaged");
        }
    }
    Ok(manifest)
}

/// Restores a backup into the configured database (SQLite) and data directory. Refuses a
/// target that holds data unless `force`.
pub fn restore(settings: &Settings, dir: &Path, force: bool) -> anyhow::Result<BackupSummary> {
    let manifest = verify_backup(dir)?;
    let evidence_dir = settings.data_dir.join("evidence");
    let db_path: Option<PathBuf> = match &settings.database {
        DatabaseUrl::Sqlite(p) => Some(p.clone()),
        DatabaseUrl::Postgres(_) => None,
    };
    if manifest.database == "sqlite" && db_path.is_none() {
        bail!("this backup holds an SQLite database; DATABASE_URL names PostgreSQL");
    }
    if manifest.database == "postgres" && db_path.is_some() {
        bail!("this backup was taken on PostgreSQL: restore its pg_dump, then run restore with DATABASE_URL set to that server to restore the evidence files");
    }
    let occupied = db_path
        .as_ref()
        .is_some_and(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > 0))
        || !is_empty_dir(&evidence_dir)?;
    if occupied && !force {
        bail!(
            "{} already holds data: stop the server and pass --force to replace it",
            settings.data_dir.display()
        );
    }
    create_private_dir(&settings.data_dir)?;
    let mut bytes = 0;
    let mut files = 0;
    for (relative, entry) in &manifest.files {
        if relative == DATABASE_FILE {
            continue;
        }
        let Some(rest) = relative.strip_prefix("evidence/") else {
            continue;
        };
        let target = evidence_dir.join(rest);
        if target.exists() {
            std::fs::remove_file(&target)?;
        }
        copy_file(&dir.join(relative), &target)?;
        bytes += entry.size;
        files += 1;
    }
    if let Some(db_path) = db_path {
        if let Some(parent) = db_path.parent().filter(|p| !p.as_os_str().is_empty()) {
            create_private_dir(parent)?;
        }
        // The copy is written beside the target and renamed over it; the old database's
        // journal files would not belong to it.
        let mut tmp = db_path.as_os_str().to_owned();
        tmp.push(".restoring");
        let tmp = PathBuf::from(tmp);
        let _ = std::fs::remove_file(&tmp);
        copy_file(&dir.join(DATABASE_FILE), &tmp)?;
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut side = db_path.as_os_str().to_owned();
            side.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(side));
        }
        std::fs::rename(&tmp, &db_path)
            .with_context(|| format!("replacing {}", db_path.display()))?;
    }
    Ok(BackupSummary {
        database: manifest.database == "sqlite",
        files,
        bytes,
    })
}
