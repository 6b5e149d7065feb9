//! Reading a report upload (multipart): text fields, and evidence files streamed to disk
//! while their size is counted against the limits and their first bytes are checked. Nothing
//! is buffered whole. A file over the limit or of a refused type is refused on its own (its
//! bytes are read past, not kept) and the rest of the form is still read, so the form can be
//! shown again with everything typed; a body cut off mid-way ends the request and leaves no
//! file behind.
//!
//! Files that passed their checks on a form that failed are kept in the store and carried
//! back to the browser as signed tokens (`carried` fields), so they need not be chosen again:
//! the next submission sends the tokens back, and only the person they were issued to can use
//! them.

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

/// A file the upload refused, and why.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub message: String,
    /// 413 for size, 415 for type.
    pub too_large: bool,
}

impl Refusal {
    pub fn error(&self) -> AppError {
        if self.too_large {
            AppError::TooLarge(self.message.clone())
        } else {
            AppError::Unsupported(self.message.clone())
        }
    }
}

pub struct Upload {
    /// Text fields in the order they came; a name may come more than once.
    pub fields: Vec<(String, String)>,
    pub files: Vec<StagedEvidence>,
    pub refused: Vec<Refusal>,
}

impl Upload {
    /// The field's value (the last one, if it came more than once), or "".
    pub fn field(&self, name: &str) -> &str {
        self.fields
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of a field that may come more than once.
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A file refused for its size: `key` names the limit (`web.upload.<key>`) of `limit` bytes.
fn over(file: &str, key: &str, limit: u64) -> Refusal {
    Refusal {
        message: tr(
            &format!("web.upload.{key}"),
            &[("file", file), ("mb", &mb(limit).to_string())],
        ),
        too_large: true,
    }
}

/// What a refused file's remaining bytes may add before the request is cut off: the limits
/// bound what is kept, this bounds what is read past.
fn read_past_limit(limits: &EvidenceSettings) -> u64 {
    limits.max_report.saturating_mul(2) + (MAX_TEXT_TOTAL as u64)
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
        fields: Vec::new(),
        files: Vec::new(),
        refused: Vec::new(),
    };
    // Bytes of files kept, and of everything read.
    let mut total: u64 = 0;
    let mut read: u64 = 0;
    let mut text_total: usize = 0;
    let read_past = read_past_limit(&limits);
    let cut_off = || {
        AppError::TooLarge(tr(
            "web.upload.report_too_large",
            &[("mb", &mb(limits.max_report).to_string())],
        ))
    };
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
                let mut refusal = (upload.files.len() >= MAX_FILES).then(|| Refusal {
                    message: tr(
                        "web.upload.too_many_files",
                        &[("max", &MAX_FILES.to_string())],
                    ),
                    too_large: true,
                });
                let mut staged = store
                    .stage()
                    .map_err(|e| AppError::io("staging an upload", e))?;
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(broken)?;
                    read += chunk.len() as u64;
                    if read > read_past {
                        return Err(cut_off());
                    }
                    if refusal.is_some() {
                        continue;
                    }
                    if staged.size() + chunk.len() as u64 > limits.max_file {
                        refusal = Some(over(&original, "file_too_large", limits.max_file));
                        continue;
                    }
                    if total + chunk.len() as u64 > limits.max_report {
                        refusal = Some(over(&original, "report_too_large_file", limits.max_report));
                        continue;
                    }
                    total += chunk.len() as u64;
                    staged
                        .write(&chunk)
                        .map_err(|e| AppError::io("writing an upload", e))?;
                }
                if let Some(refusal) = refusal {
                    // What was written of it counts no more.
                    total -= staged.size();
                    upload.refused.push(refusal);
                    continue;
                }
                // A file input left empty arrives as a nameless, empty part.
                if staged.size() == 0 && original.is_empty() {
                    continue;
                }
                match sniff(staged.head(), &original) {
                    Some(kind) => upload.files.push(StagedEvidence {
                        filename: sanitize_filename(&original, kind),
                        staged,
                        kind,
                    }),
                    None => {
                        total -= staged.size();
                        upload.refused.push(Refusal {
                            message: tr("web.upload.unsupported_type", &[("file", &original)]),
                            too_large: false,
                        });
                    }
                }
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
                upload.fields.push((name, value));
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

/// A kept file carried through a failed form: what the page shows and the token that brings
/// it back.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Carried {
    pub token: String,
    pub filename: String,
    pub size: i64,
}

/// Sets carried tokens apart from anything else the same key signs.
const CARRIED: &str = "carried:";

#[derive(serde::Serialize, serde::Deserialize)]
struct CarriedClaim {
    /// The person the token was issued to.
    u: i32,
    s: String,
    z: i64,
    t: String,
    n: String,
}

/// Tokens for files kept on behalf of `user_id`.
pub fn carry(
    signer: &crate::security::CookieSigner,
    user_id: i32,
    files: &[NewEvidence],
) -> Vec<Carried> {
    files
        .iter()
        .map(|f| {
            let claim = CarriedClaim {
                u: user_id,
                s: f.sha256.clone(),
                z: f.size,
                t: f.content_type.clone(),
                n: f.filename.clone(),
            };
            let json = serde_json::to_string(&claim).unwrap_or_default();
            Carried {
                token: signer.sign(&format!("{CARRIED}{json}")),
                filename: f.filename.clone(),
                size: f.size,
            }
        })
        .collect()
}

/// The files behind the tokens a form sent back: only tokens signed by this server for this
/// person count (others are ignored, as if never sent); a file the collector has removed
/// since is refused, naming it, so it is chosen again.
pub fn carried<'a>(
    signer: &crate::security::CookieSigner,
    store: &EvidenceStore,
    user_id: i32,
    tokens: impl Iterator<Item = &'a str>,
) -> (Vec<NewEvidence>, Vec<Refusal>) {
    let mut files: Vec<NewEvidence> = Vec::new();
    let mut refused = Vec::new();
    for token in tokens {
        let Some(claim) = signer
            .verify(token)
            .and_then(|value| value.strip_prefix(CARRIED))
            .and_then(|json| serde_json::from_str::<CarriedClaim>(json).ok())
            .filter(|c| c.u == user_id)
        else {
            continue;
        };
        if files
            .iter()
            .any(|f| f.sha256 == claim.s && f.filename == claim.n)
        {
            continue;
        }
        if store.path_of(&claim.s).is_none_or(|p| !p.exists()) {
            refused.push(Refusal {
                message: tr("web.upload.carried_gone", &[("file", &claim.n)]),
                too_large: false,
            });
            continue;
        }
        files.push(NewEvidence {
            sha256: claim.s,
            size: claim.z,
            filename: claim.n,
            content_type: claim.t,
        });
    }
    (files, refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carried_files_come_back_only_for_their_person_and_while_stored() {
        let dir = tempfile::tempdir().unwrap();
        let store = EvidenceStore::new(dir.path());
        let signer = crate::security::CookieSigner::new(b"a key for the test only");
        let mut staged = store.stage().unwrap();
        staged.write(b"%PDF-1.7 evidence").unwrap();
        let kept = store.keep(staged).unwrap();
        let file = NewEvidence {
            sha256: kept.sha256.clone(),
            size: kept.size as i64,
            filename: "表.pdf".into(),
            content_type: "application/pdf".into(),
        };
        let tokens = carry(&signer, 7, &[file]);
        let token = tokens[0].token.as_str();
        let (files, refused) = carried(&signer, &store, 7, [token].into_iter());
        assert_eq!((files.len(), refused.len()), (1, 0));
        assert_eq!(files[0].filename, "表.pdf");
        // Another person, a forged token, or a session cookie's value: ignored.
        let other = crate::security::CookieSigner::new(b"another key");
        let forged = carry(&other, 7, &files)[0].token.clone();
        let cookie = signer.sign("0123abcd");
        for (user, t) in [(8, token), (7, forged.as_str()), (7, cookie.as_str())] {
            let (files, refused) = carried(&signer, &store, user, [t].into_iter());
            assert!(files.is_empty() && refused.is_empty(), "{t}");
        }
        // Removed by the collector since: said, so it is chosen again.
        std::fs::remove_file(store.path_of(&kept.sha256).unwrap()).unwrap();
        let (files, refused) = carried(&signer, &store, 7, [token].into_iter());
        assert!(files.is_empty());
        assert!(refused[0].message.contains("表.pdf"));
    }
}
