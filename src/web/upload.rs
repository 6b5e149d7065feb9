//! Reading a report upload (multipart): text fields, and evidence files streamed to disk
//! while their size is counted against the limits and their first bytes are checked. Nothing
//! is buffered whole; a file over the limit, of a refused type, or cut off mid-way ends the
//! request and leaves no file behind.

use std::collections::HashMap;

use actix_multipart::Multipart;
use futures_util::StreamExt;

use crate::config::EvidenceSettings;
use crate::db::reports::NewEvidence;
use crate::domain::reporting::{sanitize_filename, sniff, EvidenceType};
use crate::error::AppError;
use crate::i18n::tr;
use crate::storage::{EvidenceStore, Staged};

/// The name of the file field, as the contract names it.
pub const EVIDENCE_FIELD: &str = "evidence";
const MAX_TEXT_FIELD: usize = 64 * 1024;
/// All text fields together: a form has a handful, never megabytes.
const MAX_TEXT_TOTAL: usize = 256 * 1024;
const MAX_FIELDS: usize = 32;
const MAX_FILES: usize = 50;

/// A file that arrived whole and passed the checks, not yet kept.
pub struct StagedEvidence {
    pub staged: Staged,
    pub filename: String,
    pub kind: EvidenceType,
}

pub struct Upload {
    pub fields: HashMap<String, String>,
    pub files: Vec<StagedEvidence>,
}

impl Upload {
    pub fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

fn mb(bytes: u64) -> u64 {
    bytes / (1024 * 1024)
}

/// Reads the whole multipart body under the limits.
pub async fn read(
    mut body: Multipart,
    store: &EvidenceStore,
    limits: EvidenceSettings,
) -> Result<Upload, AppError> {
    let broken = |e: actix_multipart::MultipartError| {
        AppError::Validation(tr("web.form.upload_broken", &[("error", &e.to_string())]))
    };
    let mut upload = Upload {
        fields: HashMap::new(),
        files: Vec::new(),
    };
    let mut total: u64 = 0;
    let mut text_total: usize = 0;
    while let Some(field) = body.next().await {
        let mut field = field.map_err(broken)?;
        let name = field.name().unwrap_or("").to_string();
        let filename = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(str::to_string);
        match filename {
            Some(original) => {
                if name != EVIDENCE_FIELD {
                    return Err(AppError::Validation(tr(
                        "web.upload.wrong_field",
                        &[("field", EVIDENCE_FIELD), ("name", &name)],
                    )));
                }
                if upload.files.len() >= MAX_FILES {
                    return Err(AppError::TooLarge(tr(
                        "web.upload.too_many_files",
                        &[("max", &MAX_FILES.to_string())],
                    )));
                }
                let mut staged = store
                    .stage()
                    .map_err(|e| AppError::io("staging an upload", e))?;
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(broken)?;
                    total += chunk.len() as u64;
                    if staged.size() + chunk.len() as u64 > limits.max_file {
                        return Err(AppError::TooLarge(tr(
                            "web.upload.file_too_large",
                            &[
                                ("file", &original),
                                ("mb", &mb(limits.max_file).to_string()),
                            ],
                        )));
                    }
                    if total > limits.max_report {
                        return Err(AppError::TooLarge(tr(
                            "web.upload.report_too_large",
                            &[("mb", &mb(limits.max_report).to_string())],
                        )));
                    }
                    staged
                        .write(&chunk)
                        .map_err(|e| AppError::io("writing an upload", e))?;
                }
                // A file input left empty arrives as a nameless, empty part.
                if staged.size() == 0 && original.is_empty() {
                    continue;
                }
                let kind = sniff(staged.head(), &original).ok_or_else(|| {
                    AppError::Unsupported(tr("web.upload.unsupported_type", &[("file", &original)]))
                })?;
                upload.files.push(StagedEvidence {
                    filename: sanitize_filename(&original, kind),
                    staged,
                    kind,
                });
            }
            None => {
                if upload.fields.len() >= MAX_FIELDS {
                    return Err(AppError::TooLarge(tr("web.form.too_many_fields", &[])));
                }
                let mut value: Vec<u8> = Vec::new();
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(broken)?;
                    text_total += chunk.len();
                    if value.len() + chunk.len() > MAX_TEXT_FIELD || text_total > MAX_TEXT_TOTAL {
                        return Err(AppError::TooLarge(tr(
                            "web.upload.field_too_long",
                            &[("field", &name)],
                        )));
                    }
                    value.extend_from_slice(&chunk);
                }
                let value = String::from_utf8(value).map_err(|_| {
                    AppError::Validation(tr("web.form.not_utf8", &[("field", &name)]))
                })?;
                upload.fields.insert(name, value);
            }
        }
    }
    Ok(upload)
}

/// Keeps staged files in the store; returns them ready to reference. A file kept here is
/// never removed by this request, even if the transaction that was to reference it fails:
/// an identical file may be what another report references (the collector removes files
/// no row references).
pub fn keep_all(
    store: &EvidenceStore,
    files: Vec<StagedEvidence>,
) -> Result<Vec<NewEvidence>, AppError> {
    let mut kept = Vec::with_capacity(files.len());
    for f in files {
        let k = store
            .keep(f.staged)
            .map_err(|e| AppError::io("storing evidence", e))?;
        kept.push(NewEvidence {
            sha256: k.sha256,
            size: k.size as i64,
            filename: f.filename,
            content_type: f.kind.mime.to_string(),
        });
    }
    Ok(kept)
}
