//! A measure's closing (办结/销号) as its page shows it: whether it is closed, its requests
//! with their files and decisions, and what the viewer may do.

use serde::Serialize;

use crate::authz::{allows, Action, CurrentUser};
use crate::db::closures::{self, Closure, ClosureFile};
use crate::db::DbConn;
use crate::error::AppError;
use crate::read::names::Names;
use crate::read::progress::{TimelineDetail, TimelineEntry};

#[derive(Debug, Clone, Serialize)]
pub struct ClosureRequest {
    #[serde(flatten)]
    pub closure: Closure,
    pub files: Vec<ClosureFile>,
    pub paragraphs: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct ClosingView {
    pub closed_on: Option<chrono::NaiveDate>,
    pub requests: Vec<ClosureRequest>,
    /// The lead unit's liaison (or the office) may ask to close it now.
    pub can_request: bool,
    /// The office may decide the pending request.
    pub pending: Option<i32>,
    pub can_decide: bool,
    /// Whether the viewer may read the closing evidence (the office, leaders, the lead unit).
    pub can_read_files: bool,
}

/// Two queries, whatever the history.
pub fn closing_view(
    conn: &mut DbConn,
    user: &CurrentUser,
    measure_id: i32,
    closed_on: Option<chrono::NaiveDate>,
    lead: Option<i32>,
) -> Result<ClosingView, AppError> {
    let all = closures::of_measure(conn, measure_id)?;
    let ids: Vec<i32> = all.iter().map(|c| c.id).collect();
    let files = closures::files_of(conn, &ids)?;
    let names = Names::load(
        conn,
        all.iter()
            .flat_map(|c| [Some(c.requested_by.as_str()), c.decided_by.as_deref()])
            .flatten(),
    )?;
    let pending = all.iter().find(|c| c.state == "pending").map(|c| c.id);
    let can_read_files = crate::read::scope::visible_to(user, lead.unwrap_or(0), lead);
    let requests = all
        .into_iter()
        .map(|mut c| {
            names.rename(&mut c.requested_by);
            if let Some(by) = c.decided_by.as_mut() {
                names.rename(by);
            }
            let mine: Vec<ClosureFile> = if can_read_files {
                files
                    .iter()
                    .filter(|f| f.closure_id == c.id)
                    .cloned()
                    .collect()
            } else {
                Vec::new()
            };
            ClosureRequest {
                paragraphs: c.summary.lines().map(str::to_string).collect(),
                closure: c,
                files: mine,
            }
        })
        .collect();
    let acts_for_lead =
        lead.is_some_and(|department_id| allows(user, Action::ActFor { department_id }));
    Ok(ClosingView {
        closed_on,
        requests,
        can_request: closed_on.is_none() && pending.is_none() && acts_for_lead,
        can_decide: pending.is_some() && user.is_admin(),
        pending,
        can_read_files,
    })
}

/// The closing steps as timeline entries (no obligation: `obligation_id` 0).
pub fn timeline_entries(view: &ClosingView, lead_name: &str) -> Vec<TimelineEntry> {
    let mut out = Vec::new();
    for r in &view.requests {
        let c = &r.closure;
        let entry = |at, kind, by: &str, text: &str| TimelineEntry {
            at,
            department: lead_name.to_string(),
            period_label: String::new(),
            obligation_id: 0,
            what: crate::i18n::tr(&format!("reporting.timeline.{kind}"), &[]),
            by: by.to_string(),
            text: text.to_string(),
            detail: TimelineDetail {
                kind,
                ..TimelineDetail::default()
            },
        };
        out.push(entry(
            c.requested_at,
            "closure_requested",
            &c.requested_by,
            "",
        ));
        if let (Some(at), Some(by)) = (c.decided_at, c.decided_by.as_deref()) {
            let kind = if c.state == "approved" {
                "closure_approved"
            } else {
                "closure_refused"
            };
            out.push(entry(at, kind, by, &c.decision_comment));
        }
    }
    out
}
