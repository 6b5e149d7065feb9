//! The reporting loop's operations, shared by pages and the API: importing a plan with its
//! schedule, saving and submitting reports, review, extensions, dispatch and receipt. Each
//! checks access through `authz`, then writes in one transaction with its audit entry.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::authz::{allows, Action, CurrentUser};
use crate::clock::Stamp;
use crate::config::ReportingSettings;
use crate::db::audit::{self, Details, NewAuditEntry};
use crate::db::documents::{self, ImportOutcome, StoreError};
use crate::db::reports::{self, NewEvidence};
use crate::db::schedules::{self, ScheduleRow, SyncOutcome};
use crate::db::{canned, extensions, obligations, receipts, DbConn};
use crate::domain::importer::ParsedDocument;
use crate::domain::reporting::ReportContent;
use crate::domain::schedule::parse_custom_periods;
use crate::error::AppError;
use crate::i18n::tr;

#[derive(Debug, thiserror::Error)]
pub enum ReportingError {
    #[error("{0}")]
    Invalid(String),
    /// Bad input in one named field, shown beside it.
    #[error("{message}")]
    Field {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl From<ReportingError> for AppError {
    fn from(e: ReportingError) -> Self {
        match e {
            ReportingError::Invalid(m) => AppError::Validation(m),
            ReportingError::Field { field, message } => AppError::Invalid { field, message },
            ReportingError::Conflict(m) => AppError::Conflict(m),
            ReportingError::NotFound(m) => AppError::NotFound(m),
            ReportingError::Forbidden(m) => AppError::Forbidden(m),
            ReportingError::Db(e) => AppError::from(e),
        }
    }
}

type Result<T> = std::result::Result<T, ReportingError>;

fn record(
    conn: &mut DbConn,
    actor: &str,
    at: NaiveDateTime,
    action: &str,
    entity: &str,
    entity_id: i32,
    summary: &str,
) -> QueryResult<()> {
    audit::record(
        conn,
        NewAuditEntry {
            at,
            actor,
            action,
            entity,
            entity_id: Some(entity_id),
            summary,
        },
    )
}

/// An obligation `user` may act for (its unit's liaisons, the office).
fn obligation_acted_for(
    conn: &mut DbConn,
    user: &CurrentUser,
    obligation_id: i32,
) -> Result<obligations::ObligationRow> {
    let ob = obligations::find(conn, obligation_id)?.ok_or_else(|| {
        ReportingError::NotFound(tr("service.reporting.obligation_not_found", &[]))
    })?;
    require(
        user,
        Action::ActFor {
            department_id: ob.department_id,
        },
    )?;
    Ok(ob)
}

fn require(user: &CurrentUser, action: Action) -> Result<()> {
    crate::authz::require(user, action).map_err(|e| ReportingError::Forbidden(e.to_string()))
}

/// A schedule as the office enters it.
#[derive(Debug, Clone)]
pub struct ScheduleInput {
    pub cadence: String,
    pub starts_on: NaiveDate,
    pub periods: i32,
    pub custom_periods: String,
    pub due_days: i32,
    pub co_days: i32,
    /// The report template: whether 存在问题 and 下步打算 are asked for.
    pub ask_problems: bool,
    pub ask_next_steps: bool,
    /// A fixed day of the period's last month (每月25日前) instead of `due_days`.
    pub due_day: Option<i32>,
}

/// The cadences a schedule may have (报送周期).
pub const CADENCES: [&str; 6] = [
    "weekly",
    "monthly",
    "quarterly",
    "half_yearly",
    "yearly",
    "custom",
];

impl ScheduleInput {
    pub fn defaults(settings: &ReportingSettings, starts_on: NaiveDate) -> Self {
        ScheduleInput {
            cadence: settings.cadence.clone(),
            starts_on,
            periods: settings.periods as i32,
            custom_periods: String::new(),
            due_days: settings.due_days as i32,
            co_days: settings.co_days as i32,
            ask_problems: true,
            ask_next_steps: true,
            due_day: None,
        }
    }

    fn validate(&self, document_id: i32, now: NaiveDateTime) -> Result<ScheduleRow> {
        let invalid = |key: &str| ReportingError::Invalid(tr(key, &[]));
        if !CADENCES.contains(&self.cadence.as_str()) {
            return Err(invalid("service.reporting.invalid_cadence"));
        }
        if !(1..=120).contains(&self.periods) {
            return Err(invalid("service.reporting.invalid_periods"));
        }
        if !(0..=90).contains(&self.due_days) || !(0..=90).contains(&self.co_days) {
            return Err(invalid("service.reporting.invalid_days"));
        }
        if let Some(day) = self.due_day {
            if !(1..=31).contains(&day) {
                return Err(invalid("service.reporting.invalid_due_day"));
            }
            if self.cadence == "weekly" || self.cadence == "custom" {
                return Err(invalid("service.reporting.due_day_needs_months"));
            }
        }
        if self.cadence == "custom" {
            parse_custom_periods(&self.custom_periods).map_err(|m| {
                ReportingError::Invalid(tr(
                    "service.reporting.invalid_custom_periods",
                    &[("message", &m)],
                ))
            })?;
        }
        Ok(ScheduleRow {
            document_id,
            cadence: self.cadence.clone(),
            starts_on: self.starts_on,
            periods: self.periods,
            custom_periods: self.custom_periods.trim().to_string(),
            due_days: self.due_days,
            co_days: self.co_days,
            updated_at: now,
            ask_problems: self.ask_problems,
            ask_next_steps: self.ask_next_steps,
            due_day: self.due_day,
        })
    }
}

/// Imports a parsed document with its reporting schedule, in one transaction.
pub fn import_document(
    conn: &mut DbConn,
    parsed: &ParsedDocument,
    source_text: &str,
    replace: bool,
    actor: &str,
    now: NaiveDateTime,
    schedule: &ScheduleInput,
) -> std::result::Result<(ImportOutcome, SyncOutcome), StoreError> {
    crate::db::transaction(conn, |conn| {
        let outcome = documents::store(conn, parsed, source_text, replace, actor, now)?;
        let row = schedule
            .validate(outcome.document_id, now)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        schedules::save(conn, &row)?;
        let sync = schedules::sync_obligations(conn, outcome.document_id)?;
        Ok((outcome, sync))
    })
}

/// Changes a document's schedule; obligations follow.
pub fn set_schedule(
    conn: &mut DbConn,
    user: &CurrentUser,
    document_id: i32,
    input: &ScheduleInput,
    now: NaiveDateTime,
) -> Result<SyncOutcome> {
    require(user, Action::Administer)?;
    let row = input.validate(document_id, now)?;
    crate::db::transaction(conn, |conn| {
        documents::find(conn, document_id)?.ok_or_else(|| {
            ReportingError::NotFound(tr("service.reporting.document_not_found", &[]))
        })?;
        schedules::save(conn, &row)?;
        let sync = schedules::sync_obligations(conn, document_id)?;
        let asked = |yes: bool| {
            let word = if yes { "asked" } else { "not_asked" };
            format!("admin.audit.words.{word}")
        };
        let summary = Details::new("schedule.update")
            .word("cadence", format!("plan.schedule.{}", row.cadence))
            .arg("starts_on", row.starts_on)
            .arg("periods", row.periods)
            .arg("due_days", row.due_days)
            .arg_or_none("due_day", row.due_day)
            .arg("co_days", row.co_days)
            .word("problems", asked(row.ask_problems))
            .word("next_steps", asked(row.ask_next_steps))
            .arg("created", sync.created)
            .arg("updated", sync.updated)
            .arg("removed", sync.removed)
            .arg("kept", sync.kept)
            .to_string();
        record(
            conn,
            &user.username,
            now,
            "schedule.update",
            "document",
            document_id,
            &summary,
        )?;
        Ok(sync)
    })
}

/// Saves a report on an obligation: a draft, or a submission that freezes the version.
/// After a return the next version starts (keeping the files the office did not mark
/// insufficient). `revision` is the draft's revision the person edited: if someone saved
/// it since, nothing is overwritten.
#[allow(clippy::too_many_arguments)]
pub fn save_report(
    conn: &mut DbConn,
    user: &CurrentUser,
    obligation_id: i32,
    content: &ReportContent,
    submit: bool,
    revision: Option<i32>,
    files: &[NewEvidence],
    keep: Option<&[i32]>,
    at: Stamp,
) -> Result<i32> {
    let now = at.now;
    crate::db::transaction(conn, |conn| {
        let ob = obligation_acted_for(conn, user, obligation_id)?;
        let state = if submit { "submitted" } else { "draft" };
        let latest = reports::latest(conn, obligation_id)?;
        let (report_id, version) = match &latest {
            Some(r) if r.state == "draft" => {
                if revision.is_some_and(|rev| rev != r.revision) {
                    return Err(stale(r));
                }
                if !reports::update_draft(
                    conn,
                    r.id,
                    r.revision,
                    state,
                    content,
                    &user.username,
                    now,
                )? {
                    return Err(stale(r));
                }
                // The files the person unticked leave the draft.
                if let Some(keep) = keep {
                    reports::keep_only_evidence(conn, r.id, keep)?;
                }
                (r.id, r.version)
            }
            Some(r) if r.state == "submitted" => {
                return Err(ReportingError::Conflict(tr(
                    "service.reporting.submitted_awaiting_review",
                    &[
                        ("version", &r.version.to_string()),
                        ("at", &r.submitted_at.unwrap_or(r.updated_at).to_string()),
                    ],
                )))
            }
            Some(r) if r.state == "accepted" => {
                return Err(ReportingError::Conflict(tr(
                    "service.reporting.already_accepted",
                    &[("version", &r.version.to_string())],
                )))
            }
            previous => {
                let version = previous.as_ref().map_or(1, |r| r.version + 1);
                let id = reports::insert(
                    conn,
                    obligation_id,
                    version,
                    state,
                    content,
                    &user.username,
                    now,
                )?;
                // A revision keeps the files the office did not mark insufficient, or, from
                // the form, those the person left ticked (沿用上版).
                if let Some(prev) = previous {
                    for e in reports::evidence_of(conn, &[prev.id])? {
                        let kept = match keep {
                            Some(ids) => ids.contains(&e.id),
                            None => !e.insufficient,
                        };
                        if kept {
                            let copy = NewEvidence {
                                sha256: e.sha256,
                                size: e.size,
                                filename: e.filename,
                                content_type: e.content_type,
                            };
                            reports::add_evidence(conn, id, &copy, now)?;
                        }
                    }
                }
                (id, version)
            }
        };
        for f in files {
            reports::add_evidence(conn, report_id, f, now)?;
        }
        if submit {
            obligations::set_state(conn, obligation_id, "submitted")?;
            obligations::mark_handed_in(conn, obligation_id, at.today)?;
        }
        let action = if submit {
            "report.submit"
        } else {
            "report.draft"
        };
        let summary = Details::new(action)
            .arg("version", version)
            .arg("department", &ob.department)
            .arg("measure", &ob.measure_label)
            .arg("period", &ob.period_label)
            .arg("percent", content.percent)
            .arg("files", files.len())
            .to_string();
        record(
            conn,
            &user.username,
            now,
            action,
            "report",
            report_id,
            &summary,
        )?;
        Ok(report_id)
    })
}

fn stale(r: &reports::Report) -> ReportingError {
    ReportingError::Conflict(tr(
        "service.reporting.stale_draft",
        &[
            ("author", &r.author),
            ("at", &r.updated_at.to_string()),
            ("revision", &r.revision.to_string()),
            ("percent", &r.percent.to_string()),
            ("summary", &r.summary.chars().take(40).collect::<String>()),
        ],
    ))
}

/// 通过 or 退回.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Accept,
    Return,
}

impl Decision {
    pub fn parse(s: &str) -> Result<Decision> {
        match s.trim() {
            "accept" => Ok(Decision::Accept),
            "return" => Ok(Decision::Return),
            other => Err(ReportingError::Invalid(tr(
                "service.reporting.invalid_decision",
                &[("value", other)],
            ))),
        }
    }
}

/// Reviews a submitted report. A return needs a comment; files may be marked insufficient.
pub fn review(
    conn: &mut DbConn,
    user: &CurrentUser,
    report_id: i32,
    decision: Decision,
    comment: &str,
    insufficient: &[i32],
    now: NaiveDateTime,
) -> Result<()> {
    require(user, Action::Administer)?;
    let comment = comment.trim();
    if decision == Decision::Return && comment.is_empty() {
        return Err(ReportingError::Field {
            field: "comment",
            message: tr("service.reporting.return_needs_comment", &[]),
        });
    }
    if comment.chars().count() > 2000 {
        return Err(ReportingError::Field {
            field: "comment",
            message: tr("service.reporting.comment_too_long", &[]),
        });
    }
    crate::db::transaction(conn, |conn| {
        let r = reports::find(conn, report_id)?.ok_or_else(|| {
            ReportingError::NotFound(tr("service.reporting.report_not_found", &[]))
        })?;
        let (to, verb) = match decision {
            Decision::Accept => ("accepted", "accept"),
            Decision::Return => ("returned", "return"),
        };
        if r.state != "submitted"
            || !reports::transition(conn, r.id, "submitted", to, r.revision, now)?
        {
            return Err(ReportingError::Conflict(tr(
                "service.reporting.not_awaiting_review",
                &[("version", &r.version.to_string()), ("state", &r.state)],
            )));
        }
        reports::add_review(conn, r.id, &user.username, verb, comment, now)?;
        if decision == Decision::Return && !insufficient.is_empty() {
            reports::mark_insufficient(conn, r.id, insufficient)?;
        }
        obligations::set_state(conn, r.obligation_id, to)?;
        let action = format!("report.{verb}");
        let summary = Details::new(&action)
            .arg("version", r.version)
            .arg_or_none("comment", Some(comment))
            .to_string();
        record(conn, &user.username, now, &action, "report", r.id, &summary)?;
        Ok(())
    })
}

/// A liaison takes a submitted report back before the office has reviewed it (撤回): it is
/// their draft again, and the obligation waits as before (open, or returned when an earlier
/// version was returned).
pub fn withdraw_report(
    conn: &mut DbConn,
    user: &CurrentUser,
    report_id: i32,
    now: NaiveDateTime,
) -> Result<i32> {
    crate::db::transaction(conn, |conn| {
        let r = reports::find(conn, report_id)?.ok_or_else(|| {
            ReportingError::NotFound(tr("service.reporting.report_not_found", &[]))
        })?;
        let ob = obligation_acted_for(conn, user, r.obligation_id)?;
        if r.state != "submitted" || !reports::withdraw(conn, r.id, r.revision, now)? {
            return Err(ReportingError::Conflict(tr(
                "service.reporting.withdraw_reviewed",
                &[("version", &r.version.to_string())],
            )));
        }
        let back_to = if r.version > 1 { "returned" } else { "open" };
        obligations::set_state(conn, ob.id, back_to)?;
        if r.version == 1 {
            obligations::clear_handed_in(conn, ob.id)?;
        }
        let what = Details::new("report.withdraw")
            .arg("version", r.version)
            .arg("measure", &ob.measure_label)
            .arg("period", &ob.period_label)
            .to_string();
        record(
            conn,
            &user.username,
            now,
            "report.withdraw",
            "report",
            r.id,
            &what,
        )?;
        Ok(ob.id)
    })
}

/// The most comments the office keeps (常用意见), and the longest one.
pub const CANNED_MAX: usize = 50;
pub const CANNED_CHARS: usize = 500;

/// Keeps a review comment for reuse; keeping one already kept changes nothing.
pub fn keep_canned(
    conn: &mut DbConn,
    user: &CurrentUser,
    body: &str,
    now: NaiveDateTime,
) -> Result<Option<i32>> {
    require(user, Action::Administer)?;
    let body = body.trim();
    let field = |key: &str| ReportingError::Field {
        field: "comment",
        message: tr(key, &[("max", &CANNED_CHARS.to_string())]),
    };
    if body.is_empty() {
        return Err(field("service.reporting.canned_empty"));
    }
    if body.chars().count() > CANNED_CHARS {
        return Err(field("service.reporting.canned_too_long"));
    }
    crate::db::transaction(conn, |conn| {
        if canned::find_by_body(conn, body)?.is_some() {
            return Ok(None);
        }
        if canned::list(conn)?.len() >= CANNED_MAX {
            return Err(ReportingError::Field {
                field: "comment",
                message: tr(
                    "service.reporting.canned_full",
                    &[("max", &CANNED_MAX.to_string())],
                ),
            });
        }
        let id = canned::insert(conn, body, &user.username, now)?;
        record(
            conn,
            &user.username,
            now,
            "canned.add",
            "canned_comment",
            id,
            &Details::new("canned.add").arg("body", body).to_string(),
        )?;
        Ok(Some(id))
    })
}

pub fn drop_canned(
    conn: &mut DbConn,
    user: &CurrentUser,
    id: i32,
    now: NaiveDateTime,
) -> Result<()> {
    require(user, Action::Administer)?;
    crate::db::transaction(conn, |conn| {
        let c = canned::find(conn, id)?.ok_or_else(|| {
            ReportingError::NotFound(tr("service.reporting.canned_not_found", &[]))
        })?;
        canned::delete(conn, id)?;
        record(
            conn,
            &user.username,
            now,
            "canned.remove",
            "canned_comment",
            id,
            &Details::new("canned.remove")
                .arg("body", &c.body)
                .to_string(),
        )?;
        Ok(())
    })
}

/// A liaison asks for a later due date.
pub fn request_extension(
    conn: &mut DbConn,
    user: &CurrentUser,
    obligation_id: i32,
    requested: NaiveDate,
    reason: &str,
    today: NaiveDate,
    now: NaiveDateTime,
) -> Result<i32> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(ReportingError::Invalid(tr(
            "service.reporting.extension_reason",
            &[],
        )));
    }
    crate::db::transaction(conn, |conn| {
        let ob = obligation_acted_for(conn, user, obligation_id)?;
        if requested <= today || requested <= ob.due_on {
            return Err(ReportingError::Invalid(tr(
                "service.reporting.extension_too_early",
                &[
                    ("today", &today.to_string()),
                    ("due_on", &ob.due_on.to_string()),
                ],
            )));
        }
        if requested > ob.due_on + Duration::days(366) {
            return Err(ReportingError::Invalid(tr(
                "service.reporting.extension_too_long",
                &[],
            )));
        }
        if ob.state == "accepted" {
            return Err(ReportingError::Conflict(tr(
                "service.reporting.extension_not_needed",
                &[],
            )));
        }
        if extensions::for_obligations(conn, &[obligation_id])?
            .iter()
            .any(|e| e.state == "pending")
        {
            return Err(ReportingError::Conflict(tr(
                "service.reporting.extension_pending",
                &[],
            )));
        }
        let id = extensions::create(
            conn,
            obligation_id,
            &user.username,
            ob.due_on,
            requested,
            reason,
            now,
        )?;
        let summary = Details::new("extension.request")
            .arg("department", &ob.department)
            .arg("measure", &ob.measure_label)
            .arg("period", &ob.period_label)
            .arg("from", ob.due_on)
            .arg("to", requested)
            .arg("reason", reason)
            .to_string();
        record(
            conn,
            &user.username,
            now,
            "extension.request",
            "extension",
            id,
            &summary,
        )?;
        Ok(id)
    })
}

/// The office approves (moving the due date, keeping the original) or rejects.
pub fn decide_extension(
    conn: &mut DbConn,
    user: &CurrentUser,
    extension_id: i32,
    approve: bool,
    comment: &str,
    now: NaiveDateTime,
) -> Result<()> {
    require(user, Action::Administer)?;
    crate::db::transaction(conn, |conn| {
        let ext = extensions::find(conn, extension_id)?.ok_or_else(|| {
            ReportingError::NotFound(tr("service.reporting.extension_not_found", &[]))
        })?;
        let state = if approve { "approved" } else { "rejected" };
        if !extensions::decide(conn, ext.id, state, &user.username, comment.trim(), now)? {
            return Err(ReportingError::Conflict(tr(
                "service.reporting.extension_decided",
                &[("state", &ext.state)],
            )));
        }
        if approve {
            let ob = obligations::find(conn, ext.obligation_id)?.ok_or_else(|| {
                ReportingError::NotFound(tr("service.reporting.obligation_not_found", &[]))
            })?;
            let original = ob.original_due_on.unwrap_or(ob.due_on);
            obligations::extend(conn, ob.id, original, ext.requested_due_on)?;
        }
        let action = format!("extension.{}", if approve { "approve" } else { "reject" });
        let summary = Details::new(&action)
            .arg("from", ext.previous_due_on)
            .arg("to", ext.requested_due_on)
            .arg_or_none("comment", Some(comment.trim()))
            .to_string();
        record(
            conn,
            &user.username,
            now,
            &action,
            "extension",
            ext.id,
            &summary,
        )?;
        Ok(())
    })
}

/// Dispatches a document (下发): every assigned department must acknowledge receipt.
pub fn dispatch(
    conn: &mut DbConn,
    user: &CurrentUser,
    document_id: i32,
    today: NaiveDate,
    settings: &ReportingSettings,
    now: NaiveDateTime,
) -> Result<usize> {
    require(user, Action::Administer)?;
    crate::db::transaction(conn, |conn| {
        documents::find(conn, document_id)?.ok_or_else(|| {
            ReportingError::NotFound(tr("service.reporting.document_not_found", &[]))
        })?;
        let due = today + Duration::days(settings.receipt_days.into());
        let created = receipts::dispatch(conn, document_id, due, now)?;
        let summary = Details::new("document.dispatch")
            .arg("departments", created)
            .arg("due", due)
            .to_string();
        record(
            conn,
            &user.username,
            now,
            "document.dispatch",
            "document",
            document_id,
            &summary,
        )?;
        Ok(created)
    })
}

/// A liaison acknowledges receipt for their department.
pub fn acknowledge(
    conn: &mut DbConn,
    user: &CurrentUser,
    document_id: i32,
    now: NaiveDateTime,
) -> Result<()> {
    let department_id = user
        .department_id
        .filter(|d| allows(user, Action::ActFor { department_id: *d }))
        .ok_or_else(|| {
            ReportingError::Forbidden(tr("service.reporting.liaison_only_acknowledge", &[]))
        })?;
    crate::db::transaction(conn, |conn| {
        if !receipts::acknowledge(conn, document_id, department_id, &user.username, now)? {
            return Err(ReportingError::Conflict(tr(
                "service.reporting.nothing_to_acknowledge",
                &[],
            )));
        }
        let summary = Details::new("document.acknowledge")
            .arg_or_none("department", user.department.as_deref())
            .to_string();
        record(
            conn,
            &user.username,
            now,
            "document.acknowledge",
            "document",
            document_id,
            &summary,
        )?;
        Ok(())
    })
}

/// Sets or clears a measure's completion deadline (办结时限); its obligations follow (no
/// period starting after the deadline).
pub fn set_deadline(
    conn: &mut DbConn,
    user: &CurrentUser,
    measure_id: i32,
    deadline: Option<NaiveDate>,
    now: NaiveDateTime,
) -> Result<SyncOutcome> {
    require(user, Action::Administer)?;
    crate::db::transaction(conn, |conn| {
        let document =
            crate::db::measures::set_deadline(conn, measure_id, deadline)?.ok_or_else(|| {
                ReportingError::NotFound(tr("service.reporting.measure_not_found", &[]))
            })?;
        let sync = schedules::sync_obligations(conn, document)?;
        let summary = Details::new("measure.deadline")
            .arg_or_none("deadline", deadline)
            .arg("created", sync.created)
            .arg("removed", sync.removed)
            .arg("kept", sync.kept)
            .to_string();
        record(
            conn,
            &user.username,
            now,
            "measure.deadline",
            "measure",
            measure_id,
            &summary,
        )?;
        Ok(sync)
    })
}

/// A change to a measure after import, as the office types it or the API sends it. `None`
/// leaves that part as it is.
#[derive(Debug, Clone, Default)]
pub struct MeasureEdit {
    pub title: Option<String>,
    pub text: Option<String>,
    /// A department's name (an alias, or a new unit), or its id as digits.
    pub lead: Option<Option<String>>,
    pub co: Option<Vec<String>>,
    /// `Some(None)` clears the deadline.
    pub deadline: Option<Option<NaiveDate>>,
}

/// What an edit did, for the person's message.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct MeasureEdited {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub created_units: Vec<String>,
    pub obligations_created: usize,
    pub obligations_removed: usize,
}

/// Edits a measure: title, text, lead and co units, deadline. Obligations follow: a new unit
/// gets its obligations, a removed unit loses its open ones; a unit that has reported on the
/// measure cannot be removed. The measure's import warnings are settled. One transaction,
/// audited.
pub fn edit_measure(
    conn: &mut DbConn,
    user: &CurrentUser,
    measure_id: i32,
    edit: &MeasureEdit,
    now: NaiveDateTime,
) -> Result<MeasureEdited> {
    use crate::db::departments;
    use crate::db::measures;
    require(user, Action::Administer)?;
    let invalid = |key: &str, args: &[(&str, &str)]| ReportingError::Invalid(tr(key, args));
    if let Some(t) = &edit.title {
        let n = t.trim().chars().count();
        if n == 0 || n > 200 || t.chars().any(char::is_control) {
            return Err(invalid("service.reporting.measure_title", &[]));
        }
    }
    if edit
        .text
        .as_ref()
        .is_some_and(|t| t.chars().count() > 20_000)
    {
        return Err(invalid("service.reporting.measure_text", &[]));
    }
    crate::db::transaction(conn, |conn| {
        let m = measures::find(conn, measure_id)?.ok_or_else(|| {
            ReportingError::NotFound(tr("service.reporting.measure_not_found", &[]))
        })?;
        let mut out = MeasureEdited::default();
        let mut changes: Vec<Details> = Vec::new();
        if edit.title.is_some() || edit.text.is_some() {
            let title = edit
                .title
                .as_deref()
                .map_or(m.title.clone(), |t| t.trim().to_string());
            let text = edit
                .text
                .as_deref()
                .map_or(m.body.clone(), |t| t.trim().to_string());
            measures::update_text(conn, m.id, &title, &text)?;
            if title != m.title {
                changes.push(Details::change("title", &m.title, &title));
            }
            if text != m.body {
                changes.push(Details::new("change.text"));
            }
        }
        if edit.lead.is_some() || edit.co.is_some() {
            let current = measures::assignments_of_measure(conn, m.id)?;
            let current_lead = current
                .iter()
                .find(|a| a.role == "lead")
                .map(|a| a.department_id);
            let current_co: Vec<i32> = current
                .iter()
                .filter(|a| a.role != "lead")
                .map(|a| a.department_id)
                .collect();
            let mut resolve = |name: &str, conn: &mut DbConn| -> Result<i32> {
                let name = crate::domain::text::strip_format(name.trim()).into_owned();
                if let Ok(id) = name.parse::<i32>() {
                    return departments::find(conn, id)?.map(|d| d.id).ok_or_else(|| {
                        invalid("service.reporting.unknown_unit", &[("name", &name)])
                    });
                }
                if let Some(d) = departments::find_by_name_or_alias(conn, &name)? {
                    return Ok(d.id);
                }
                let valid = crate::domain::accounts::parse_department_name(&name)
                    .map_err(|_| invalid("service.reporting.unknown_unit", &[("name", &name)]))?;
                let id = departments::create(conn, &valid, now)?;
                out.created_units.push(valid);
                Ok(id)
            };
            let lead = match &edit.lead {
                Some(Some(name)) if !name.trim().is_empty() => Some(resolve(name, conn)?),
                Some(_) => None,
                None => current_lead,
            };
            let co: Vec<i32> = match &edit.co {
                Some(names) => {
                    let mut ids = Vec::new();
                    for n in names.iter().filter(|n| !n.trim().is_empty()) {
                        ids.push(resolve(n, conn)?);
                    }
                    ids
                }
                None => current_co.clone(),
            };
            let mut units: Vec<(i32, &str)> = Vec::new();
            if let Some(l) = lead {
                units.push((l, "lead"));
            }
            for c in co {
                if !units.iter().any(|(d, _)| *d == c) {
                    units.push((c, "co"));
                }
            }
            if units.len() > 200 {
                return Err(invalid("service.reporting.too_many_units", &[]));
            }
            let before: Vec<i32> = current.iter().map(|a| a.department_id).collect();
            let removed: Vec<i32> = before
                .iter()
                .copied()
                .filter(|d| !units.iter().any(|(u, _)| u == d))
                .collect();
            let reported = measures::departments_with_reports(conn, m.id)?;
            // Names of the units before the change come with the assignments; the new
            // list is read back in one query once written.
            let name_before = |id: i32| {
                current
                    .iter()
                    .find(|a| a.department_id == id)
                    .map(|a| a.department.clone())
                    .unwrap_or_default()
            };
            if let Some(blocked) = removed.iter().find(|d| reported.contains(d)) {
                return Err(ReportingError::Conflict(tr(
                    "service.reporting.unit_has_reports",
                    &[("name", &name_before(*blocked))],
                )));
            }
            out.removed = removed.iter().map(|d| name_before(*d)).collect();
            measures::replace_assignments(conn, m.id, &units)?;
            let after = measures::assignments_of_measure(conn, m.id)?;
            out.added = after
                .iter()
                .filter(|a| !before.contains(&a.department_id))
                .map(|a| a.department.clone())
                .collect();
            let named = |lead: bool| {
                after
                    .iter()
                    .filter(|a| (a.role == "lead") == lead)
                    .map(|a| a.department.as_str())
                    .collect::<Vec<_>>()
                    .join("、")
            };
            changes.push(
                Details::new("change.units")
                    .arg_or_none("lead", Some(named(true)))
                    .arg_or_none("co", Some(named(false))),
            );
        }
        if let Some(deadline) = edit.deadline {
            measures::set_deadline_text(conn, m.id, deadline, None)?;
            changes.push(
                Details::new("change.deadline")
                    .arg_or_none("before", m.deadline)
                    .arg_or_none("after", deadline),
            );
        }
        let sync = schedules::sync_obligations(conn, m.document_id)?;
        out.obligations_created = sync.created;
        out.obligations_removed = sync.removed;
        // The office has looked at this measure: what the import flagged is settled.
        measures::clear_warnings(conn, m.id)?;
        if changes.is_empty() {
            changes.push(Details::new("change.nothing"));
        }
        let summary = Details::new("measure.edit")
            .arg("measure", &m.label)
            .clauses("changes", changes)
            .arg("created", sync.created)
            .arg("removed", sync.removed)
            .to_string();
        record(
            conn,
            &user.username,
            now,
            "measure.edit",
            "measure",
            m.id,
            &summary,
        )?;
        Ok(out)
    })
}
