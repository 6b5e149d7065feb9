//! The office's actions on many ledger rows at once (批量操作): accept the submitted reports
//! (批量通过), chase now (一键催办) and record a phone chase (电话催办). Each runs in one
//! transaction and answers, row by row, what was done and what was skipped and why; a row
//! that changed meanwhile is skipped, never half done.

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::authz::{require, Action, CurrentUser};
use crate::db::audit::{self, Details, NewAuditEntry};
use crate::db::chase::{self, NewChase};
use crate::db::obligations::{self, ObligationRow};
use crate::db::{reports, DbConn};
use crate::domain::reminders::Waiting;
use crate::error::AppError;
use crate::i18n::tr;
use crate::reporting::{self, Decision, ReportingError};

/// At most this many rows in one bulk action.
pub const MAX_ROWS: usize = 500;

/// A row left alone, and why, in the viewer's language.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub obligation_id: i32,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct BulkOutcome {
    pub done: Vec<i32>,
    pub skipped: Vec<Skipped>,
    /// Emails queued (一键催办).
    pub emails: usize,
}

impl BulkOutcome {
    fn skip(&mut self, obligation_id: i32, key: &str) {
        self.skipped.push(Skipped {
            obligation_id,
            reason: tr(key, &[]),
        });
    }
}

/// The rows to act on: known ids, at most [`MAX_ROWS`]; unknown ones are skipped.
fn load(
    conn: &mut DbConn,
    ids: &[i32],
    out: &mut BulkOutcome,
) -> Result<Vec<ObligationRow>, AppError> {
    if ids.is_empty() {
        return Err(AppError::Validation(tr("ledger.bulk.nothing_chosen", &[])));
    }
    if ids.len() > MAX_ROWS {
        return Err(AppError::Validation(tr(
            "ledger.bulk.too_many",
            &[("max", &MAX_ROWS.to_string())],
        )));
    }
    let mut unique: Vec<i32> = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let rows = obligations::by_ids(conn, &unique)?;
    for id in &unique {
        if !rows.iter().any(|r| r.id == *id) {
            out.skip(*id, "ledger.bulk.skip_unknown");
        }
    }
    let mut rows = rows;
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

/// The entry of a bulk action: `details` (keyed by the action) with how many rows were done
/// and skipped, and the ids of those done.
fn record(
    conn: &mut DbConn,
    user: &CurrentUser,
    now: NaiveDateTime,
    action: &str,
    out: &BulkOutcome,
    details: Details,
) -> Result<(), AppError> {
    let done: Vec<String> = out.done.iter().map(|i| i.to_string()).collect();
    let details = details
        .arg("done", out.done.len())
        .arg("skipped", out.skipped.len())
        .arg_or_none("ids", Some(done.join(", ")));
    audit::record(
        conn,
        NewAuditEntry {
            at: now,
            actor: &user.username,
            action,
            entity: "obligation",
            entity_id: None,
            summary: &details.to_string(),
        },
    )?;
    Ok(())
}

/// 批量通过: accepts the report waiting for review on each chosen obligation.
pub fn accept(
    conn: &mut DbConn,
    user: &CurrentUser,
    ids: &[i32],
    now: NaiveDateTime,
) -> Result<BulkOutcome, AppError> {
    require(user, Action::Administer)?;
    crate::db::transaction(conn, |conn| {
        let mut out = BulkOutcome::default();
        let rows = load(conn, ids, &mut out)?;
        let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
        let mut latest: std::collections::HashMap<i32, reports::Report> = Default::default();
        for r in reports::for_obligations(conn, &ids)? {
            latest.insert(r.obligation_id, r);
        }
        for row in &rows {
            match latest.get(&row.id) {
                Some(r) if r.state == "submitted" => {
                    match reporting::review(conn, user, r.id, Decision::Accept, "", &[], now) {
                        Ok(()) => out.done.push(row.id),
                        Err(ReportingError::Conflict(_)) => {
                            out.skip(row.id, "ledger.bulk.skip_reviewed")
                        }
                        Err(e) => return Err(AppError::from(e)),
                    }
                }
                Some(r) if r.state == "accepted" => out.skip(row.id, "ledger.bulk.skip_accepted"),
                _ => out.skip(row.id, "ledger.bulk.skip_not_submitted"),
            }
        }
        let details = Details::new("ledger.bulk_accept");
        record(conn, user, now, "ledger.bulk_accept", &out, details)?;
        Ok(out)
    })
}

/// Why an obligation needs no chase, if it does not.
fn no_chase_reason(row: &ObligationRow) -> Option<&'static str> {
    match row.state.as_str() {
        "accepted" => Some("ledger.bulk.skip_accepted"),
        "submitted" => Some("ledger.bulk.skip_submitted"),
        _ => None,
    }
}

/// 一键催办: one reminder now to each chosen obligation's unit, through the outbox, recorded
/// in the chase log as chased by `user`.
pub fn chase_now(
    conn: &mut DbConn,
    runner: &crate::reminders::Runner<'_>,
    user: &CurrentUser,
    ids: &[i32],
    now: NaiveDateTime,
) -> Result<BulkOutcome, AppError> {
    require(user, Action::Administer)?;
    let policy = crate::reminders::effective_policy(conn, runner.settings)?;
    crate::db::transaction(conn, |conn| {
        let mut out = BulkOutcome::default();
        let rows = load(conn, ids, &mut out)?;
        let (directory, _) = chase::directory(conn, &policy.office_emails)?;
        let mut items = Vec::new();
        for row in &rows {
            if let Some(reason) = no_chase_reason(row) {
                out.skip(row.id, reason);
            } else if directory
                .departments
                .get(&row.department_id)
                .is_none_or(|a| a.is_empty())
            {
                out.skip(row.id, "ledger.bulk.skip_no_address");
            } else {
                items.push(Waiting {
                    obligation_id: row.id,
                    department_id: row.department_id,
                    due_on: row.due_on,
                });
            }
        }
        let (summary, _) = runner
            .chase_now(conn, now, &user.username, &items)
            .map_err(AppError::Internal)?;
        out.done = items.iter().map(|w| w.obligation_id).collect();
        out.emails = summary.emails;
        record(
            conn,
            user,
            now,
            "ledger.bulk_chase",
            &out,
            Details::new("ledger.bulk_chase").arg("emails", summary.emails),
        )?;
        Ok(out)
    })
}

/// 电话催办: records a phone call about each chosen obligation, with what was said.
pub fn phone_chase(
    conn: &mut DbConn,
    user: &CurrentUser,
    ids: &[i32],
    note: &str,
    today: chrono::NaiveDate,
    now: NaiveDateTime,
) -> Result<BulkOutcome, AppError> {
    require(user, Action::Administer)?;
    let note = crate::domain::text::strip_format(note.trim()).into_owned();
    if note.is_empty() {
        return Err(AppError::Validation(tr(
            "ledger.bulk.phone_needs_note",
            &[],
        )));
    }
    if note.chars().count() > 500 {
        return Err(AppError::Validation(tr("ledger.bulk.note_too_long", &[])));
    }
    let stamp = now.and_utc().timestamp_micros();
    crate::db::transaction(conn, |conn| {
        let mut out = BulkOutcome::default();
        let rows = load(conn, ids, &mut out)?;
        for row in &rows {
            if let Some(reason) = no_chase_reason(row) {
                out.skip(row.id, reason);
                continue;
            }
            let key = format!("phone:{}:{stamp}", row.id);
            let days = (row.due_on - today).num_days();
            let recorded = chase::try_record(
                conn,
                &NewChase {
                    reminder_key: &key,
                    stage: "phone",
                    stage_n: 0,
                    obligation_id: Some(row.id),
                    document_id: Some(row.document_id),
                    department_id: Some(row.department_id),
                    days: i32::try_from(days).unwrap_or(i32::MIN),
                    recipients: "",
                    outbox_id: None,
                    planned_at: now,
                    actor: &user.username,
                    note: &note,
                },
            )?;
            if recorded {
                out.done.push(row.id);
            } else {
                out.skip(row.id, "ledger.bulk.skip_reviewed");
            }
        }
        record(
            conn,
            user,
            now,
            "ledger.bulk_phone",
            &out,
            Details::new("ledger.bulk_phone").arg("note", &note),
        )?;
        Ok(out)
    })
}
