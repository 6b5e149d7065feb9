//! Views of the reporting loop: obligations with their lights, a measure's timeline, the
//! obligation page with its versions and forms, a liaison's desk, the office's queues. What a
//! liaison sees is scoped here to their own department (and, where it leads a measure, the
//! contributions of the co-responsible units).

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

use crate::authz::{allows, Action, CurrentUser};
use crate::db::extensions::{self, Extension};
use crate::db::obligations::{self, ObligationRow};
use crate::db::receipts;
use crate::db::reports::{self, Evidence, Report, Review};
use crate::db::{measures, DbConn};
use crate::domain::reporting::{light, Light, ObligationState, Progress};
use crate::error::AppError;
use crate::i18n::tr;
use crate::read::scope::{may_see_report, visible_to};

/// What a light needs beyond the obligation: today's date and late receipts.
#[derive(Debug, Clone)]
pub struct LightRules {
    pub today: NaiveDate,
    pub yellow_days: u32,
    /// (document, department) pairs whose receipt is overdue.
    late_receipts: HashSet<(i32, i32)>,
    /// The years with a holiday calendar; due dates in other years moved past weekends only.
    calendar_years: std::collections::BTreeSet<i32>,
}

impl LightRules {
    pub fn load(conn: &mut DbConn, today: NaiveDate, yellow_days: u32) -> Result<Self, AppError> {
        let late_receipts = receipts::all(conn)?
            .into_iter()
            .filter(|(_, _, due, acknowledged)| !acknowledged && today > *due)
            .map(|(doc, dept, _, _)| (doc, dept))
            .collect();
        Ok(LightRules {
            today,
            yellow_days,
            late_receipts,
            calendar_years: crate::db::calendar::load(conn)?.years(),
        })
    }

    /// Whether `due` lies in a year without a holiday calendar.
    pub fn weekends_only(&self, due: NaiveDate) -> bool {
        use chrono::Datelike;
        !self.calendar_years.contains(&due.year())
    }

    pub fn of(&self, ob: &ObligationRow) -> Light {
        light(
            ObligationState::parse(&ob.state),
            ob.due_on,
            ob.handed_in_on,
            self.today,
            self.yellow_days,
            self.late_receipts
                .contains(&(ob.document_id, ob.department_id)),
        )
    }

    pub fn of_status(&self, s: &obligations::ObligationStatus) -> Light {
        light(
            s.state,
            s.due_on,
            s.handed_in_on,
            self.today,
            self.yellow_days,
            self.late_receipts
                .contains(&(s.document_id, s.department_id)),
        )
    }
}

/// An obligation as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct ObligationView {
    pub id: i32,
    pub document_id: i32,
    pub document_number: Option<String>,
    pub measure_id: i32,
    pub measure_label: String,
    pub measure_title: String,
    pub department_id: i32,
    pub department: String,
    pub role: String,
    pub role_label: &'static str,
    pub period: String,
    pub period_label: String,
    pub due_on: NaiveDate,
    /// The due date lies in a year without a holiday calendar (moved past weekends only).
    pub weekends_only: bool,
    pub original_due_on: Option<NaiveDate>,
    /// The contract's state: open, submitted, returned, accepted or overdue.
    pub state: &'static str,
    /// What the state means today (`common.standing`): its key, and its words in the
    /// reader's language, such as 逾期报送（迟 3 天）· 待审核.
    pub standing: &'static str,
    pub state_label: String,
    pub handed_in_on: Option<NaiveDate>,
    pub light: &'static str,
    pub light_label: &'static str,
}

impl ObligationView {
    pub fn new(ob: ObligationRow, rules: &LightRules) -> Self {
        let l = rules.of(&ob);
        let state = ObligationState::parse(&ob.state);
        let public = state.public(ob.due_on, rules.today);
        let standing = state.standing(ob.due_on, ob.handed_in_on, rules.today);
        ObligationView {
            id: ob.id,
            document_id: ob.document_id,
            document_number: ob.document_number,
            measure_id: ob.measure_id,
            measure_label: ob.measure_label,
            measure_title: ob.measure_title,
            department_id: ob.department_id,
            department: ob.department,
            role_label: if ob.role == "lead" {
                "牵头"
            } else {
                "配合"
            },
            role: ob.role,
            period: ob.period_key,
            period_label: ob.period_label,
            due_on: ob.due_on,
            weekends_only: rules.weekends_only(ob.due_on),
            original_due_on: ob.original_due_on,
            state: public,
            standing: standing.key,
            state_label: standing.text(),
            handed_in_on: ob.handed_in_on,
            light: l.as_str(),
            light_label: l.label(),
        }
    }
}

fn lead_department(conn: &mut DbConn, measure_id: i32) -> Result<Option<i32>, AppError> {
    Ok(measures::lead_of(conn, measure_id)?)
}

/// The worst light and next open due date of each measure, from its obligations' statuses.
pub fn measure_lights(
    statuses: &[obligations::ObligationStatus],
    rules: &LightRules,
) -> HashMap<i32, (Light, Option<NaiveDate>)> {
    let mut map: HashMap<i32, (Light, Option<NaiveDate>)> = HashMap::new();
    for s in statuses {
        let entry = map.entry(s.measure_id).or_insert((Light::None, None));
        entry.0 = entry.0.max(rules.of_status(s));
        if s.state != ObligationState::Accepted {
            entry.1 = Some(entry.1.map_or(s.due_on, |d: NaiveDate| d.min(s.due_on)));
        }
    }
    map
}

#[derive(Debug, Clone, Serialize)]
pub struct VersionView {
    #[serde(flatten)]
    pub report: Report,
    pub state_label: &'static str,
    pub progress_label: &'static str,
    pub evidence: Vec<Evidence>,
    pub reviews: Vec<Review>,
    /// 工作进展's paragraphs.
    pub paragraphs: Vec<String>,
    /// The report's text under the template's headings (工作进展, 存在问题, 下步打算) when it
    /// has more than the first; empty otherwise (the paragraphs are shown alone).
    pub sections: Vec<TextSection>,
}

/// One heading of a report's text and its paragraphs.
#[derive(Debug, Clone, Serialize)]
pub struct TextSection {
    /// `summary`, `problems` or `next_steps` (the catalog's `domain.reporting.field.*`).
    pub field: &'static str,
    pub paragraphs: Vec<String>,
}

/// A report's text under its headings, leaving out the empty ones; empty when only
/// 工作进展 was written.
fn sections_of(r: &Report) -> Vec<TextSection> {
    if r.problems.is_empty() && r.next_steps.is_empty() {
        return Vec::new();
    }
    [
        ("summary", &r.summary),
        ("problems", &r.problems),
        ("next_steps", &r.next_steps),
    ]
    .into_iter()
    .filter(|(_, text)| !text.is_empty())
    .map(|(field, text)| TextSection {
        field,
        paragraphs: text.lines().map(str::to_string).collect(),
    })
    .collect()
}

fn report_state_label(state: &str) -> &'static str {
    match state {
        "draft" | "submitted" | "returned" | "accepted" => {
            crate::i18n::text(&format!("common.report_state.{state}"))
        }
        _ => "",
    }
}

/// A report's state in the request's language (empty when unknown).
fn report_state_text(state: &str) -> String {
    match state {
        "draft" | "submitted" | "returned" | "accepted" => {
            tr(&format!("common.report_state.{state}"), &[])
        }
        _ => String::new(),
    }
}

/// A report's progress in the request's language (empty when unknown).
fn progress_text(progress: &str) -> String {
    match progress {
        "on_track" | "at_risk" | "completed" => tr(&format!("common.progress.{progress}"), &[]),
        _ => String::new(),
    }
}

pub fn versions_of(conn: &mut DbConn, reports: Vec<Report>) -> Result<Vec<VersionView>, AppError> {
    let ids: Vec<i32> = reports.iter().map(|r| r.id).collect();
    let mut evidence: HashMap<i32, Vec<Evidence>> = HashMap::new();
    for e in reports::evidence_of(conn, &ids)? {
        evidence.entry(e.report_id).or_default().push(e);
    }
    let mut reviews: HashMap<i32, Vec<Review>> = HashMap::new();
    for r in reports::reviews_of(conn, &ids)? {
        reviews.entry(r.report_id).or_default().push(r);
    }
    Ok(reports
        .into_iter()
        .map(|r| VersionView {
            state_label: report_state_label(&r.state),
            progress_label: Progress::parse(&r.progress).map_or("", Progress::label),
            evidence: evidence.remove(&r.id).unwrap_or_default(),
            reviews: reviews.remove(&r.id).unwrap_or_default(),
            paragraphs: r.summary.lines().map(str::to_string).collect(),
            sections: sections_of(&r),
            report: r,
        })
        .collect())
}

/// One thing that happened on a measure, for its timeline.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineEntry {
    pub at: NaiveDateTime,
    pub department: String,
    pub period_label: String,
    pub obligation_id: i32,
    /// What happened, in the request's language (kept for older callers); pages show
    /// `detail` through the catalog (`reporting.timeline.<kind>`).
    pub what: String,
    pub by: String,
    pub text: String,
    #[serde(flatten)]
    pub detail: TimelineDetail,
}

/// The raw facts of a timeline entry, for the catalog's `reporting.timeline.<kind>` texts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TimelineDetail {
    /// report, accepted, returned, extension_requested, extension_approved or
    /// extension_rejected.
    pub kind: &'static str,
    pub version: Option<i32>,
    /// The report's state (draft, submitted, returned, accepted), for kind `report`.
    pub report_state: Option<String>,
    pub percent: Option<i32>,
    /// on_track, at_risk or completed, for kind `report`.
    pub progress: Option<String>,
    pub requested_due_on: Option<NaiveDate>,
    pub previous_due_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MeasureProgress {
    pub light: &'static str,
    pub light_label: &'static str,
    pub obligations: Vec<ObligationView>,
    pub timeline: Vec<TimelineEntry>,
    /// For the API: the visible report versions.
    #[serde(skip)]
    pub reports: Vec<(ObligationView, VersionView)>,
}

/// A measure's obligations and timeline, as far as `user` may see them.
pub fn measure_progress(
    conn: &mut DbConn,
    user: &CurrentUser,
    measure_id: i32,
    rules: &LightRules,
) -> Result<MeasureProgress, AppError> {
    let lead = lead_department(conn, measure_id)?;
    let all = obligations::for_measure(conn, measure_id)?;
    let worst = all.iter().map(|o| rules.of(o)).max().unwrap_or(Light::None);
    let visible: Vec<ObligationRow> = all
        .into_iter()
        .filter(|o| visible_to(user, o.department_id, lead))
        .collect();
    let ids: Vec<i32> = visible.iter().map(|o| o.id).collect();
    let by_id: HashMap<i32, ObligationView> = visible
        .iter()
        .map(|o| (o.id, ObligationView::new(o.clone(), rules)))
        .collect();
    let reports: Vec<Report> = reports::for_obligations(conn, &ids)?
        .into_iter()
        .filter(|r| may_see_report(user, r, by_id[&r.obligation_id].department_id))
        .collect();
    let exts = extensions::for_obligations(conn, &ids)?;
    let versions = versions_of(conn, reports)?;

    let mut timeline = Vec::new();
    for v in &versions {
        let ob = &by_id[&v.report.obligation_id];
        let entry = |at, what: String, by: &str, text: String, detail| TimelineEntry {
            at,
            department: ob.department.clone(),
            period_label: ob.period_label.clone(),
            obligation_id: ob.id,
            what,
            by: by.to_string(),
            text,
            detail,
        };
        let r = &v.report;
        timeline.push(entry(
            r.submitted_at.unwrap_or(r.updated_at),
            tr(
                "reporting.timeline.report",
                &[
                    ("version", &r.version.to_string()),
                    ("state", &report_state_text(&r.state)),
                    ("percent", &r.percent.to_string()),
                    ("progress", &progress_text(&r.progress)),
                ],
            ),
            &r.author,
            r.summary.chars().take(200).collect(),
            TimelineDetail {
                kind: "report",
                version: Some(r.version),
                report_state: Some(r.state.clone()),
                percent: Some(r.percent),
                progress: Some(r.progress.clone()),
                ..TimelineDetail::default()
            },
        ));
        for rv in &v.reviews {
            let kind = if rv.decision == "accept" {
                "accepted"
            } else {
                "returned"
            };
            let what = tr(
                &format!("reporting.timeline.{kind}"),
                &[("version", &r.version.to_string())],
            );
            let detail = TimelineDetail {
                kind,
                version: Some(r.version),
                ..TimelineDetail::default()
            };
            timeline.push(entry(
                rv.created_at,
                what,
                &rv.reviewer,
                rv.comment.clone(),
                detail,
            ));
        }
    }
    for e in &exts {
        let ob = &by_id[&e.obligation_id];
        let mut push = |at, what: String, by: &str, text: String, kind| {
            timeline.push(TimelineEntry {
                at,
                department: ob.department.clone(),
                period_label: ob.period_label.clone(),
                obligation_id: ob.id,
                what,
                by: by.to_string(),
                text,
                detail: TimelineDetail {
                    kind,
                    requested_due_on: Some(e.requested_due_on),
                    previous_due_on: Some(e.previous_due_on),
                    ..TimelineDetail::default()
                },
            })
        };
        push(
            e.created_at,
            tr(
                "reporting.timeline.extension_requested",
                &[
                    ("requested", &e.requested_due_on.to_string()),
                    ("previous", &e.previous_due_on.to_string()),
                ],
            ),
            &e.requested_by,
            e.reason.clone(),
            "extension_requested",
        );
        if let (Some(at), Some(by)) = (e.decided_at, &e.decided_by) {
            let kind = if e.state == "approved" {
                "extension_approved"
            } else {
                "extension_rejected"
            };
            let what = tr(&format!("reporting.timeline.{kind}"), &[]);
            push(at, what, by, e.decision_comment.clone(), kind);
        }
    }
    timeline.sort_by_key(|t| t.at);

    let reports = versions
        .into_iter()
        .map(|v| (by_id[&v.report.obligation_id].clone(), v))
        .collect();
    let mut obligations: Vec<ObligationView> = visible
        .into_iter()
        .map(|o| ObligationView::new(o, rules))
        .collect();
    obligations.sort_by(|a, b| (a.due_on, &a.department).cmp(&(b.due_on, &b.department)));
    Ok(MeasureProgress {
        light: worst.as_str(),
        light_label: worst.label(),
        obligations,
        timeline,
        reports,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct LastPeriod {
    pub period_label: String,
    pub percent: i32,
    /// Whether the form now holds its text (复制上期内容 was asked for).
    pub copied: bool,
}

/// What the report form starts with.
#[derive(Debug, Clone, Serialize)]
pub struct ReportForm {
    pub summary: String,
    pub problems: String,
    pub next_steps: String,
    /// The document's report template: 存在问题 and 下步打算 are shown when asked for, or
    /// when the report already holds such text.
    pub ask_problems: bool,
    pub ask_next_steps: bool,
    /// As typed: a form shown again keeps what was entered, valid or not.
    pub percent: String,
    pub progress: String,
    /// The draft's revision being edited, for the stale-save check.
    pub revision: Option<i32>,
}

/// A co-responsible unit's latest submitted contribution, beside the lead's report.
#[derive(Debug, Clone, Serialize)]
pub struct Contribution {
    pub obligation: ObligationView,
    pub report: Option<VersionView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ObligationPage {
    pub obligation: ObligationView,
    pub versions: Vec<VersionView>,
    /// What happened when, oldest first: versions handed in, reviews, extensions.
    pub events: Vec<Event>,
    pub contributions: Vec<Contribution>,
    pub extensions: Vec<Extension>,
    pub can_report: bool,
    pub form: Option<ReportForm>,
    /// The version waiting for the office's review, if the viewer is the office.
    pub review: Option<VersionView>,
    pub can_extend: bool,
    /// The submitted version the viewer may still take back (撤回) before review.
    pub can_withdraw: Option<i32>,
    /// The unit's last report on this measure for an earlier period (上期), which a new
    /// period's form starts from: its percent, and its text on 复制上期内容.
    pub last_period: Option<LastPeriod>,
    /// The files the report form holds already: the draft's, or the returned version's that
    /// carry over (沿用上版); each may be unticked to drop it.
    pub attached: Vec<Evidence>,
    pub attached_from_previous: bool,
    pub today: NaiveDate,
    /// 批示 on this obligation and on its measure, newest first; whether the viewer (a
    /// leader) may leave one; the section shows when there is one or the viewer may.
    pub instructions: Vec<crate::db::instructions::InstructionRow>,
    pub can_instruct: bool,
    pub show_instructions: bool,
    pub instruction_action: String,
}

/// The obligation page; `copy_last` starts a new period's form from the last period's text.
pub fn obligation_page(
    conn: &mut DbConn,
    user: &CurrentUser,
    id: i32,
    rules: &LightRules,
    copy_last: bool,
) -> Result<ObligationPage, AppError> {
    let ob = obligations::find(conn, id)?.ok_or_else(|| AppError::not_found("obligation"))?;
    let ob_measure = ob.measure_id;
    let lead = lead_department(conn, ob.measure_id)?;
    if !visible_to(user, ob.department_id, lead) {
        return Err(AppError::Forbidden(tr(
            "web.progress.own_obligations_only",
            &[],
        )));
    }
    let may_act = allows(
        user,
        Action::ActFor {
            department_id: ob.department_id,
        },
    );
    let reports: Vec<Report> = reports::for_obligations(conn, &[id])?
        .into_iter()
        .filter(|r| may_see_report(user, r, ob.department_id))
        .collect();
    let mut versions = versions_of(conn, reports)?;
    let mut exts = extensions::for_obligations(conn, &[id])?;
    let can_extend =
        may_act && ob.state != "accepted" && !exts.iter().any(|e| e.state == "pending");
    rename_people(conn, &mut versions, &mut exts)?;
    let events = events_of(&versions, &exts);
    let latest = versions.last();
    let state = latest.map(|v| v.report.state.as_str());
    let can_report = may_act && !matches!(state, Some("submitted" | "accepted"));
    let can_withdraw = latest
        .filter(|v| may_act && v.report.state == "submitted")
        .map(|v| v.report.id);
    // A first version starts from the last period: its percent, and its text when asked.
    let last = match (can_report, latest) {
        (true, None) => {
            reports::last_period_report(conn, ob.measure_id, ob.department_id, ob.period_start)?
        }
        _ => None,
    };
    let last_period = last.as_ref().map(|(r, label)| LastPeriod {
        period_label: label.clone(),
        percent: r.percent,
        copied: copy_last,
    });
    let (attached, attached_from_previous) = match latest {
        Some(v) if can_report && v.report.state == "draft" => (v.evidence.clone(), false),
        Some(v) if can_report && v.report.state == "returned" => (v.evidence.clone(), true),
        _ => (Vec::new(), false),
    };
    let (ask_problems, ask_next_steps) = crate::db::schedules::find(conn, ob.document_id)?
        .map_or((true, true), |s| (s.ask_problems, s.ask_next_steps));
    let form = can_report.then(|| match latest {
        Some(v) => ReportForm {
            summary: v.report.summary.clone(),
            problems: v.report.problems.clone(),
            next_steps: v.report.next_steps.clone(),
            ask_problems: ask_problems || !v.report.problems.is_empty(),
            ask_next_steps: ask_next_steps || !v.report.next_steps.is_empty(),
            percent: v.report.percent.to_string(),
            progress: v.report.progress.clone(),
            revision: (v.report.state == "draft").then_some(v.report.revision),
        },
        None => ReportForm {
            summary: match &last {
                Some((r, _)) if copy_last => r.summary.clone(),
                _ => String::new(),
            },
            problems: match &last {
                Some((r, _)) if copy_last && ask_problems => r.problems.clone(),
                _ => String::new(),
            },
            next_steps: match &last {
                Some((r, _)) if copy_last && ask_next_steps => r.next_steps.clone(),
                _ => String::new(),
            },
            ask_problems,
            ask_next_steps,
            percent: last.as_ref().map_or(0, |(r, _)| r.percent).to_string(),
            progress: "on_track".into(),
            revision: None,
        },
    });
    let review = (user.is_admin() && state == Some("submitted"))
        .then(|| latest.cloned())
        .flatten();
    // The lead unit's page shows what the co units contributed for the same period.
    let mut contributions = Vec::new();
    if ob.role == "lead" {
        let co: Vec<ObligationRow> = obligations::for_measure(conn, ob.measure_id)?
            .into_iter()
            .filter(|o| o.role == "co" && o.period_key == ob.period_key)
            .collect();
        let ids: Vec<i32> = co.iter().map(|o| o.id).collect();
        let mut latest_by: HashMap<i32, Report> = HashMap::new();
        for r in reports::for_obligations(conn, &ids)? {
            if r.state != "draft" {
                latest_by.insert(r.obligation_id, r);
            }
        }
        let submitted: Vec<Report> = latest_by.values().cloned().collect();
        let mut shown = versions_of(conn, submitted)?;
        rename_people(conn, &mut shown, &mut [])?;
        let mut views: HashMap<i32, VersionView> = shown
            .into_iter()
            .map(|v| (v.report.obligation_id, v))
            .collect();
        for o in co {
            contributions.push(Contribution {
                report: views.remove(&o.id),
                obligation: ObligationView::new(o, rules),
            });
        }
    }
    let instructions = crate::db::instructions::for_obligation(conn, id, ob_measure)?;
    Ok(ObligationPage {
        obligation: ObligationView::new(ob, rules),
        versions,
        events,
        contributions,
        extensions: exts,
        can_report,
        form,
        review,
        can_extend,
        can_withdraw,
        last_period,
        attached,
        attached_from_previous,
        today: rules.today,
        show_instructions: !instructions.is_empty() || allows(user, Action::Instruct),
        instructions,
        can_instruct: allows(user, Action::Instruct),
        instruction_action: format!("/obligations/{id}/instruction"),
    })
}

/// One thing that happened on an obligation, for its page's 经过.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub at: NaiveDateTime,
    /// Who did it, by display name.
    pub by: String,
    pub text: String,
    #[serde(flatten)]
    pub detail: TimelineDetail,
}

/// The events of one obligation's versions and extensions, oldest first.
pub fn events_of(versions: &[VersionView], exts: &[Extension]) -> Vec<Event> {
    let mut out = Vec::new();
    for v in versions {
        let r = &v.report;
        if let Some(at) = r.submitted_at {
            out.push(Event {
                at,
                by: r.author.clone(),
                text: String::new(),
                detail: TimelineDetail {
                    kind: "report",
                    version: Some(r.version),
                    percent: Some(r.percent),
                    progress: Some(r.progress.clone()),
                    ..TimelineDetail::default()
                },
            });
        }
        for rv in &v.reviews {
            out.push(Event {
                at: rv.created_at,
                by: rv.reviewer.clone(),
                text: rv.comment.clone(),
                detail: TimelineDetail {
                    kind: if rv.decision == "accept" {
                        "accepted"
                    } else {
                        "returned"
                    },
                    version: Some(r.version),
                    ..TimelineDetail::default()
                },
            });
        }
    }
    for e in exts {
        let detail = |kind| TimelineDetail {
            kind,
            requested_due_on: Some(e.requested_due_on),
            previous_due_on: Some(e.previous_due_on),
            ..TimelineDetail::default()
        };
        out.push(Event {
            at: e.created_at,
            by: e.requested_by.clone(),
            text: e.reason.clone(),
            detail: detail("extension_requested"),
        });
        if let (Some(at), Some(by)) = (e.decided_at, &e.decided_by) {
            out.push(Event {
                at,
                by: by.clone(),
                text: e.decision_comment.clone(),
                detail: detail(if e.state == "approved" {
                    "extension_approved"
                } else {
                    "extension_rejected"
                }),
            });
        }
    }
    out.sort_by_key(|e| e.at);
    out
}

/// Shows people by display name on a page's versions, reviews and extensions.
fn rename_people(
    conn: &mut DbConn,
    versions: &mut [VersionView],
    exts: &mut [Extension],
) -> Result<(), AppError> {
    let mut wanted: Vec<&str> = Vec::new();
    for v in versions.iter() {
        wanted.push(&v.report.author);
        wanted.extend(v.reviews.iter().map(|r| r.reviewer.as_str()));
    }
    for e in exts.iter() {
        wanted.push(&e.requested_by);
        wanted.extend(e.decided_by.as_deref());
    }
    let names = crate::read::names::Names::load(conn, wanted)?;
    for v in versions.iter_mut() {
        names.rename(&mut v.report.author);
        for r in &mut v.reviews {
            names.rename(&mut r.reviewer);
        }
    }
    for e in exts.iter_mut() {
        names.rename(&mut e.requested_by);
        if let Some(by) = e.decided_by.as_mut() {
            names.rename(by);
        }
    }
    Ok(())
}

/// A report waiting for review, with its obligation.
#[derive(Debug, Clone, Serialize)]
pub struct QueueItem {
    pub obligation: ObligationView,
    pub report: Report,
    /// The author by display name.
    pub author: String,
    /// Days it has waited for review.
    pub waited_days: i64,
    /// Its page, opened from the queue (filled in by the page).
    pub link: String,
}

/// One choice of a queue filter, with how many reports wait under it.
#[derive(Debug, Clone, Serialize)]
pub struct QueueChoice {
    pub value: String,
    pub label: String,
    pub count: i64,
    pub selected: bool,
}

/// The office's review queue (审核队列): one page, oldest first, its filters and counts.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewQueue {
    pub total: i64,
    pub page: u32,
    pub pages: u32,
    pub items: Vec<QueueItem>,
    pub documents: Vec<QueueChoice>,
    pub units: Vec<QueueChoice>,
    pub periods: Vec<QueueChoice>,
    /// The filters as a query string (without page), for links that keep them.
    pub query: String,
    /// The neighbouring pages' addresses.
    pub previous: Option<String>,
    pub next: Option<String>,
}

/// Reports shown per queue page.
pub const QUEUE_PAGE: i64 = 50;

/// The queue's filters as a query string: what 下一条 and the pages carry.
pub fn queue_query(w: &reports::QueueWhere) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if let Some(d) = w.document_id {
        pairs.push(("document", d.to_string()));
    }
    if let Some(d) = w.department_id {
        pairs.push(("unit", d.to_string()));
    }
    if let Some(p) = &w.period_key {
        pairs.push(("period", p.clone()));
    }
    serde_urlencoded::to_string(&pairs).unwrap_or_default()
}

fn queue_page_link(w: &reports::QueueWhere, page: u32) -> String {
    let q = queue_query(w);
    let sep = if q.is_empty() { "" } else { "&" };
    format!("/admin/reviews?{q}{sep}page={page}")
}

pub fn review_queue(
    conn: &mut DbConn,
    rules: &LightRules,
    w: &reports::QueueWhere,
    page: u32,
) -> Result<ReviewQueue, AppError> {
    let page = page.max(1);
    let (total, waiting) =
        reports::awaiting_review(conn, w, i64::from(page - 1) * QUEUE_PAGE, QUEUE_PAGE)?;
    let pages = u32::try_from((total + QUEUE_PAGE - 1) / QUEUE_PAGE)
        .unwrap_or(u32::MAX)
        .max(1);
    if page > pages {
        return Err(AppError::Validation(tr(
            "ledger.page_past_end",
            &[("page", &page.to_string()), ("pages", &pages.to_string())],
        )));
    }
    let ids: Vec<i32> = waiting.iter().map(|r| r.obligation_id).collect();
    let mut obs: HashMap<i32, ObligationRow> = obligations::by_ids(conn, &ids)?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let names = crate::read::names::Names::load(conn, waiting.iter().map(|r| r.author.as_str()))?;
    let items = waiting
        .into_iter()
        .filter_map(|r| {
            let ob = obs.remove(&r.obligation_id)?;
            let at = r.submitted_at.unwrap_or(r.updated_at).date();
            Some(QueueItem {
                obligation: ObligationView::new(ob, rules),
                author: names.of(&r.author),
                waited_days: (rules.today - at).num_days().max(0),
                link: String::new(),
                report: r,
            })
        })
        .collect();

    let facets = reports::queue_facets(conn)?;
    let doc_names: HashMap<i32, String> = crate::db::documents::labels(conn)?.into_iter().collect();
    let unit_names: HashMap<i32, String> = crate::db::departments::id_names(conn, None)?
        .into_iter()
        .collect();
    let choice = |value: String, label: String, count, selected| QueueChoice {
        value,
        label,
        count,
        selected,
    };
    let mut documents: Vec<QueueChoice> = facets
        .documents
        .into_iter()
        .map(|(id, n)| {
            let label = doc_names.get(&id).cloned().unwrap_or_default();
            choice(id.to_string(), label, n, w.document_id == Some(id))
        })
        .collect();
    documents.sort_by(|a, b| a.label.cmp(&b.label));
    let mut units: Vec<QueueChoice> = facets
        .departments
        .into_iter()
        .map(|(id, n)| {
            let label = unit_names.get(&id).cloned().unwrap_or_default();
            choice(id.to_string(), label, n, w.department_id == Some(id))
        })
        .collect();
    units.sort_by(|a, b| a.label.cmp(&b.label));
    let mut periods: Vec<QueueChoice> = facets
        .periods
        .into_iter()
        .map(|(key, label, n)| {
            let selected = w.period_key.as_deref() == Some(key.as_str());
            choice(key, label, n, selected)
        })
        .collect();
    periods.sort_by(|a, b| a.value.cmp(&b.value));
    Ok(ReviewQueue {
        total,
        page,
        pages,
        items,
        documents,
        units,
        periods,
        previous: (page > 1).then(|| queue_page_link(w, page - 1)),
        next: (page < pages).then(|| queue_page_link(w, page + 1)),
        query: queue_query(w),
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct ExtensionItem {
    pub obligation: ObligationView,
    pub extension: Extension,
}

pub fn extension_queue(
    conn: &mut DbConn,
    rules: &LightRules,
) -> Result<Vec<ExtensionItem>, AppError> {
    let pending = extensions::pending(conn)?;
    let ids: Vec<i32> = pending.iter().map(|e| e.obligation_id).collect();
    let obs: HashMap<i32, ObligationRow> = obligations::by_ids(conn, &ids)?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    Ok(pending
        .into_iter()
        .filter_map(|e| {
            let ob = obs.get(&e.obligation_id)?.clone();
            Some(ExtensionItem {
                obligation: ObligationView::new(ob, rules),
                extension: e,
            })
        })
        .collect())
}

/// The unit a viewer's view of a measure is limited to: none for the office, leaders and the
/// lead unit's liaisons; their own unit for a co unit's liaison.
pub fn measure_only(
    conn: &mut DbConn,
    user: &CurrentUser,
    measure_id: i32,
) -> Result<Option<i32>, AppError> {
    Ok(only_unit(user, lead_department(conn, measure_id)?))
}

/// [`measure_only`] for a measure whose lead unit is known.
pub fn only_unit(user: &CurrentUser, lead: Option<i32>) -> Option<i32> {
    use crate::read::scope::Scope;
    match Scope::of(user) {
        Scope::All => None,
        Scope::Unit(d) if lead == Some(d) => None,
        Scope::Unit(d) => Some(d),
        Scope::Nothing => Some(0),
    }
}

/// A measure's timeline, newest first: the latest `limit` events (all when `None`), and
/// whether there are more. A fixed number of queries, each bounded by `limit`.
pub fn measure_timeline(
    conn: &mut DbConn,
    user: &CurrentUser,
    measure_id: i32,
    limit: Option<i64>,
) -> Result<(Vec<TimelineEntry>, bool), AppError> {
    use crate::db::timeline;
    let only = measure_only(conn, user, measure_id)?;
    // One more than shown tells whether there are more.
    let n = limit.map_or(100_000, |l| l + 1);
    let mut out = Vec::new();
    for (r, place) in timeline::reports(conn, measure_id, only, n)? {
        out.push(TimelineEntry {
            at: timeline::report_time(&r),
            department: place.department,
            period_label: place.period_label,
            obligation_id: place.obligation_id,
            what: tr(
                "reporting.timeline.report",
                &[
                    ("version", &r.version.to_string()),
                    ("state", &report_state_text(&r.state)),
                    ("percent", &r.percent.to_string()),
                    ("progress", &progress_text(&r.progress)),
                ],
            ),
            by: r.author.clone(),
            text: r.summary.chars().take(200).collect(),
            detail: TimelineDetail {
                kind: "report",
                version: Some(r.version),
                report_state: Some(r.state.clone()),
                percent: Some(r.percent),
                progress: Some(r.progress.clone()),
                ..TimelineDetail::default()
            },
        });
    }
    for (rv, version, place) in timeline::reviews(conn, measure_id, only, n)? {
        let kind = if rv.decision == "accept" {
            "accepted"
        } else {
            "returned"
        };
        out.push(TimelineEntry {
            at: rv.created_at,
            department: place.department,
            period_label: place.period_label,
            obligation_id: place.obligation_id,
            what: tr(
                &format!("reporting.timeline.{kind}"),
                &[("version", &version.to_string())],
            ),
            by: rv.reviewer,
            text: rv.comment,
            detail: TimelineDetail {
                kind,
                version: Some(version),
                ..TimelineDetail::default()
            },
        });
    }
    for (e, place) in timeline::extensions(conn, measure_id, only, n)? {
        let detail = |kind| TimelineDetail {
            kind,
            requested_due_on: Some(e.requested_due_on),
            previous_due_on: Some(e.previous_due_on),
            ..TimelineDetail::default()
        };
        out.push(TimelineEntry {
            at: e.created_at,
            department: place.department.clone(),
            period_label: place.period_label.clone(),
            obligation_id: place.obligation_id,
            what: tr(
                "reporting.timeline.extension_requested",
                &[
                    ("requested", &e.requested_due_on.to_string()),
                    ("previous", &e.previous_due_on.to_string()),
                ],
            ),
            by: e.requested_by.clone(),
            text: e.reason.clone(),
            detail: detail("extension_requested"),
        });
        if let (Some(at), Some(by)) = (e.decided_at, &e.decided_by) {
            let kind = if e.state == "approved" {
                "extension_approved"
            } else {
                "extension_rejected"
            };
            out.push(TimelineEntry {
                at,
                department: place.department,
                period_label: place.period_label,
                obligation_id: place.obligation_id,
                what: tr(&format!("reporting.timeline.{kind}"), &[]),
                by: by.clone(),
                text: e.decision_comment.clone(),
                detail: detail(kind),
            });
        }
    }
    out.sort_by_key(|e| std::cmp::Reverse(e.at));
    let shown = usize::try_from(limit.unwrap_or(i64::MAX)).unwrap_or(usize::MAX);
    let more = out.len() > shown;
    out.truncate(shown);
    Ok((out, more))
}
