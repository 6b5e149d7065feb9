//! Closing a measure (办结/销号). The lead unit asks, with a closing account and evidence,
//! once every obligation due so far is accepted; the office approves or refuses. A closed
//! measure plans no obligation due after its closing day: those not yet begun are removed.
//! Every step is audited.

use crate::authz::{self, Action, CurrentUser};
use crate::clock::Stamp;
use crate::db::audit::{self, Details, NewAuditEntry};
use crate::db::closures;
use crate::db::reports::NewEvidence;
use crate::db::{measures, schedules, DbConn};
use crate::i18n::tr;
use crate::reporting::ReportingError;

type Result<T> = std::result::Result<T, ReportingError>;

/// The longest closing account and decision comment.
pub const SUMMARY_CHARS: usize = 5000;

fn require(user: &CurrentUser, action: Action) -> Result<()> {
    authz::require(user, action).map_err(|e| ReportingError::Forbidden(e.to_string()))
}

fn field(field: &'static str, key: &str, args: &[(&str, &str)]) -> ReportingError {
    ReportingError::Field {
        field,
        message: tr(key, args),
    }
}

fn record(
    conn: &mut DbConn,
    user: &CurrentUser,
    at: Stamp,
    action: &str,
    id: i32,
    summary: &str,
) -> Result<()> {
    audit::record(
        conn,
        NewAuditEntry {
            at: at.now,
            actor: &user.username,
            action,
            entity: "closure",
            entity_id: Some(id),
            summary,
        },
    )?;
    Ok(())
}

/// The lead unit of a measure, which alone may ask to close it.
fn lead_of(conn: &mut DbConn, measure_id: i32) -> Result<i32> {
    measures::lead_of(conn, measure_id)?
        .ok_or_else(|| ReportingError::Conflict(tr("service.closing.no_lead", &[])))
}

/// Refuses while obligations due so far are not all accepted.
fn require_nothing_open(conn: &mut DbConn, measure_id: i32, at: Stamp) -> Result<()> {
    let open = closures::open_due(conn, measure_id, at.today)?;
    if open > 0 {
        return Err(field(
            "closure",
            "service.closing.open_obligations",
            &[("n", &open.to_string())],
        ));
    }
    Ok(())
}

/// Whether `user` may ask to close this measure (acts for its lead unit): checked before an
/// upload is read.
pub fn may_request(conn: &mut DbConn, user: &CurrentUser, measure_id: i32) -> Result<()> {
    let lead = lead_of(conn, measure_id)?;
    require(
        user,
        Action::ActFor {
            department_id: lead,
        },
    )
}

/// The lead unit asks to close a measure.
pub fn request(
    conn: &mut DbConn,
    user: &CurrentUser,
    measure_id: i32,
    summary: &str,
    files: &[NewEvidence],
    at: Stamp,
) -> Result<i32> {
    let summary = summary.trim();
    crate::db::transaction(conn, |conn| {
        let m = measures::find(conn, measure_id)?.ok_or_else(|| {
            ReportingError::NotFound(tr("service.closing.measure_not_found", &[]))
        })?;
        let lead = lead_of(conn, measure_id)?;
        require(
            user,
            Action::ActFor {
                department_id: lead,
            },
        )?;
        if summary.is_empty() {
            return Err(field("summary", "service.closing.summary_required", &[]));
        }
        if summary.chars().count() > SUMMARY_CHARS {
            return Err(field(
                "summary",
                "service.closing.too_long",
                &[("max", &SUMMARY_CHARS.to_string())],
            ));
        }
        if m.closed_on.is_some() {
            return Err(ReportingError::Conflict(tr(
                "service.closing.already_closed",
                &[],
            )));
        }
        if closures::of_measure(conn, measure_id)?
            .iter()
            .any(|c| c.state == "pending")
        {
            return Err(ReportingError::Conflict(tr(
                "service.closing.already_pending",
                &[],
            )));
        }
        require_nothing_open(conn, measure_id, at)?;
        let id = closures::insert(conn, measure_id, lead, summary, &user.username, at.now)?;
        for f in files {
            closures::add_file(conn, id, f, at.now)?;
        }
        let what = Details::new("closure.request")
            .arg("measure", &m.label)
            .arg("files", files.len())
            .to_string();
        record(conn, user, at, "closure.request", id, &what)?;
        Ok(id)
    })
}

/// The office approves (the measure is closed today) or refuses (with a reason) a request.
pub fn decide(
    conn: &mut DbConn,
    user: &CurrentUser,
    closure_id: i32,
    approve: bool,
    comment: &str,
    at: Stamp,
) -> Result<i32> {
    require(user, Action::Administer)?;
    let comment = comment.trim();
    if !approve && comment.is_empty() {
        return Err(field(
            "decision_comment",
            "service.closing.refusal_reason",
            &[],
        ));
    }
    if comment.chars().count() > SUMMARY_CHARS {
        return Err(field(
            "decision_comment",
            "service.closing.too_long",
            &[("max", &SUMMARY_CHARS.to_string())],
        ));
    }
    crate::db::transaction(conn, |conn| {
        let c = closures::find(conn, closure_id)?.ok_or_else(|| {
            ReportingError::NotFound(tr("service.closing.request_not_found", &[]))
        })?;
        if approve {
            require_nothing_open(conn, c.measure_id, at)?;
        }
        let state = if approve { "approved" } else { "refused" };
        if !closures::decide(conn, c.id, state, &user.username, comment, at.now)? {
            return Err(ReportingError::Conflict(tr(
                "service.closing.already_decided",
                &[],
            )));
        }
        if approve {
            closures::close_measure(conn, c.measure_id, at.today)?;
            let m = measures::find(conn, c.measure_id)?.ok_or_else(|| {
                ReportingError::NotFound(tr("service.closing.measure_not_found", &[]))
            })?;
            let sync = schedules::sync_obligations(conn, m.document_id)?;
            let what = Details::new("closure.approve")
                .arg("measure", &m.label)
                .arg("date", at.today)
                .arg("removed", sync.removed)
                .to_string();
            record(conn, user, at, "closure.approve", c.id, &what)?;
        } else {
            let what = Details::new("closure.refuse")
                .arg("comment", comment)
                .to_string();
            record(conn, user, at, "closure.refuse", c.id, &what)?;
        }
        Ok(c.measure_id)
    })
}
