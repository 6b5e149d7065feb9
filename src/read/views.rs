//! View models: what pages and the API show, assembled from a fixed number of queries per
//! view (the count does not grow with the number of measures or departments).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde::Serialize;

use crate::authz::CurrentUser;
use crate::db::departments::{self, Department, DepartmentMeasure, DepartmentSummary};
use crate::db::documents::{self, Document};
use crate::db::measures::{self, DepartmentRef, MeasureDetail, Responsible};
use crate::db::receipts::{self, ReceiptRow};
use crate::db::schedules::{self, ScheduleRow};
use crate::db::{obligations, DbConn};
use crate::domain::importer::text::chinese_numeral;
use crate::domain::reporting::Light;
use crate::error::AppError;
use crate::read::progress::{self, LightRules, MeasureProgress, TimelineEntry};

/// A measure in a list: its units, and whether the import flagged it.
#[derive(Debug, Clone, Serialize)]
pub struct MeasureItem {
    pub id: i32,
    pub document_id: i32,
    pub number: i32,
    pub label: String,
    pub title: String,
    pub section: Option<i32>,
    pub lead: Option<DepartmentRef>,
    pub co: Vec<DepartmentRef>,
    pub warned: bool,
    /// The worst light of the measure's obligations, with its words.
    pub light: &'static str,
    pub light_label: &'static str,
    /// The earliest due date not yet done.
    pub due_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SectionView {
    pub ordinal: i32,
    pub heading: String,
    pub measures: Vec<MeasureItem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WarningView {
    pub measure_id: Option<i32>,
    pub kind: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DocumentView {
    pub document: Document,
    pub sections: Vec<SectionView>,
    pub measure_count: usize,
    pub department_count: usize,
    pub warnings: Vec<WarningView>,
    pub schedule: Option<ScheduleRow>,
    /// Light counts over the measures, for the summary line.
    pub lights: Vec<LightCount>,
    pub receipts: Vec<ReceiptRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LightCount {
    pub light: &'static str,
    pub light_label: &'static str,
    pub count: usize,
}

fn heading(ordinal: i32, title: &str) -> String {
    format!("{}、{}", chinese_numeral(ordinal.max(0) as u32), title)
}

/// Measures with their lead and co units and lights: a fixed number of queries for any
/// number of measures.
pub fn measure_items(
    conn: &mut DbConn,
    document_id: Option<i32>,
    rules: &LightRules,
) -> Result<Vec<MeasureItem>, AppError> {
    let rows = measures::list(conn, document_id)?;
    let mut responsible =
        measures::group_by_measure(measures::assignments_of_document(conn, document_id)?);
    let lights = progress::measure_lights(&obligations::statuses(conn, document_id)?, rules);
    Ok(rows
        .into_iter()
        .map(|m| {
            let Responsible { lead, co } = responsible.remove(&m.id).unwrap_or_default();
            let (light, due_on) = lights.get(&m.id).copied().unwrap_or((Light::None, None));
            MeasureItem {
                light: light.as_str(),
                light_label: light.label(),
                due_on,
                id: m.id,
                document_id: m.document_id,
                number: m.number,
                label: m.label,
                title: m.title,
                section: m.section,
                lead,
                co,
                warned: false,
            }
        })
        .collect())
}

pub fn document(conn: &mut DbConn, id: i32, rules: &LightRules) -> Result<DocumentView, AppError> {
    let document = documents::find(conn, id)?.ok_or_else(|| AppError::not_found("document"))?;
    let sections = documents::sections_of(conn, id)?;
    let mut items = measure_items(conn, Some(id), rules)?;
    let lights = [
        Light::Red,
        Light::Yellow,
        Light::Green,
        Light::Done,
        Light::None,
    ]
    .into_iter()
    .map(|l| LightCount {
        light: l.as_str(),
        light_label: l.label(),
        count: items.iter().filter(|m| m.light == l.as_str()).count(),
    })
    .filter(|c| c.count > 0)
    .collect();
    let stored_warnings = documents::warnings_of(conn, id)?;

    let warned: HashSet<i32> = stored_warnings
        .iter()
        .filter_map(|w| w.measure_id)
        .collect();
    let departments: HashSet<i32> = items
        .iter()
        .flat_map(|m| m.lead.iter().chain(&m.co).map(|d| d.id))
        .collect();
    for m in &mut items {
        m.warned = warned.contains(&m.id);
    }
    let measure_count = items.len();

    let mut by_section: HashMap<Option<i32>, Vec<MeasureItem>> = HashMap::new();
    for m in items {
        by_section.entry(m.section).or_default().push(m);
    }
    // Measures that stand before any section heading come first, under a plain heading.
    let mut views = Vec::new();
    if let Some(loose) = by_section.remove(&None) {
        views.push(SectionView {
            ordinal: 0,
            heading: "措施".into(),
            measures: loose,
        });
    }
    views.extend(sections.into_iter().map(|s| SectionView {
        heading: heading(s.ordinal, &s.title),
        measures: by_section.remove(&Some(s.ordinal)).unwrap_or_default(),
        ordinal: s.ordinal,
    }));

    Ok(DocumentView {
        schedule: schedules::find(conn, id)?,
        receipts: receipts::for_document(conn, id)?,
        lights,
        document,
        sections: views,
        measure_count,
        department_count: departments.len(),
        warnings: stored_warnings
            .into_iter()
            .map(|w| WarningView {
                measure_id: w.measure_id,
                kind: w.kind,
                message: w.message,
            })
            .collect(),
    })
}

/// A neighbouring measure, for previous/next links.
#[derive(Debug, Clone, Serialize)]
pub struct Neighbour {
    pub id: i32,
    pub label: String,
    pub title: String,
}

/// What every view of a measure starts with: the plan's text, its units and neighbours.
#[derive(Debug, Clone, Serialize)]
pub struct MeasureHead {
    pub document: Document,
    pub measure: MeasureDetail,
    pub section_heading: Option<String>,
    pub paragraphs: Vec<String>,
    /// Who does which part, where the measure's sub-tasks each name their own units.
    pub parts: Vec<crate::domain::importer::units::Part>,
    pub lead: Option<DepartmentRef>,
    pub co: Vec<DepartmentRef>,
    pub assignments: Vec<measures::AssignmentRow>,
    pub warnings: Vec<String>,
    pub previous: Option<Neighbour>,
    pub next: Option<Neighbour>,
}

/// A measure with its whole history, for the API.
#[derive(Debug, Clone, Serialize)]
pub struct MeasureView {
    #[serde(flatten)]
    pub head: MeasureHead,
    pub progress: MeasureProgress,
    /// The chase log (催办记录) of the obligations `user` may see.
    pub chase: Vec<ChaseView>,
}

/// The plan's side of a measure: a fixed number of queries.
pub fn measure_head(conn: &mut DbConn, id: i32) -> Result<MeasureHead, AppError> {
    let measure = measures::find(conn, id)?.ok_or_else(|| AppError::not_found("measure"))?;
    let document = documents::find(conn, measure.document_id)?
        .ok_or_else(|| AppError::not_found("document"))?;
    let assignments = measures::assignments_of_measure(conn, id)?;
    let Responsible { lead, co } = measures::group_by_measure(assignments.clone())
        .remove(&id)
        .unwrap_or_default();
    let warnings = measures::warnings_of_measure(conn, id)?;
    let neighbours = measures::neighbours(conn, measure.document_id, measure.number)?;
    let pick = |n: i32| {
        neighbours
            .iter()
            .find(|m| m.number == n)
            .map(|m| Neighbour {
                id: m.id,
                label: m.label.clone(),
                title: m.title.clone(),
            })
    };
    Ok(MeasureHead {
        section_heading: measure
            .section
            .zip(measure.section_title.as_deref())
            .map(|(o, t)| heading(o, t)),
        paragraphs: measure.body.lines().map(str::to_string).collect(),
        parts: crate::domain::importer::units::parts_of(&measure.body, None),
        previous: pick(measure.number - 1),
        next: pick(measure.number + 1),
        document,
        measure,
        lead,
        co,
        assignments,
        warnings,
    })
}

/// One reminder sent about an obligation.
#[derive(Debug, Clone, Serialize)]
pub struct ChaseView {
    pub at: chrono::NaiveDateTime,
    pub stage: String,
    pub stage_n: i32,
    pub obligation_id: Option<i32>,
    pub department: String,
    pub period: String,
    pub period_label: String,
    pub days: i32,
    /// Addresses, for the office only.
    pub recipients: Option<String>,
    pub state: Option<String>,
    pub sent_at: Option<chrono::NaiveDateTime>,
    /// Who chased (a person for a manual or phone chase; `system` for the planner).
    pub actor: String,
    /// What was said on a phone chase.
    pub note: String,
}

/// The chase log of a measure, limited to the obligations shown to the viewer.
fn chase_of(
    conn: &mut DbConn,
    measure_id: i32,
    user: &CurrentUser,
    progress: &MeasureProgress,
) -> Result<Vec<ChaseView>, AppError> {
    let visible: std::collections::HashSet<i32> =
        progress.obligations.iter().map(|o| o.id).collect();
    let office = user.is_admin();
    Ok(
        crate::db::chase::for_measure(conn, measure_id, None, i64::MAX)?
            .into_iter()
            .filter(|c| c.obligation_id.is_some_and(|id| visible.contains(&id)))
            .map(|c| chase_view(c, office))
            .collect(),
    )
}

fn chase_view(c: crate::db::chase::ChaseEntry, office: bool) -> ChaseView {
    ChaseView {
        at: c.planned_at,
        stage: c.stage,
        stage_n: c.stage_n,
        obligation_id: c.obligation_id,
        department: c.department.unwrap_or_default(),
        period: c.period_key.unwrap_or_default(),
        period_label: c.period_label.unwrap_or_default(),
        days: c.days,
        recipients: office.then_some(c.recipients),
        state: c.email_state,
        sent_at: c.sent_at,
        actor: c.actor,
        note: c.note,
    }
}

/// A measure as `user` may see it: the plan in full, progress scoped to what they may read.
pub fn measure(
    conn: &mut DbConn,
    id: i32,
    user: &CurrentUser,
    rules: &LightRules,
) -> Result<MeasureView, AppError> {
    let head = measure_head(conn, id)?;
    let progress = progress::measure_progress(conn, user, id, rules)?;
    let chase = chase_of(conn, id, user, &progress)?;
    Ok(MeasureView {
        head,
        progress,
        chase,
    })
}

/// A measure link in the department views.
#[derive(Debug, Clone, Serialize)]
pub struct MeasureLink {
    pub measure_id: i32,
    pub label: String,
    pub title: String,
    /// The document's number, where the department works on more than one document.
    pub document: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DirectoryEntry {
    pub id: i32,
    pub name: String,
    pub email: String,
    pub lead_count: i64,
    pub co_count: i64,
    pub lead: Vec<MeasureLink>,
    pub co: Vec<MeasureLink>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DirectoryView {
    pub departments: Vec<DirectoryEntry>,
}

/// Splits a department's measures into lead and co links.
fn links(
    rows: Vec<DepartmentMeasure>,
    numbers: &HashMap<i32, String>,
) -> HashMap<i32, (Vec<MeasureLink>, Vec<MeasureLink>)> {
    let mut map: HashMap<i32, (Vec<MeasureLink>, Vec<MeasureLink>)> = HashMap::new();
    for r in rows {
        let entry = map.entry(r.department_id).or_default();
        let link = MeasureLink {
            measure_id: r.measure_id,
            label: r.label,
            title: r.title,
            document: numbers.get(&r.document_id).cloned().unwrap_or_default(),
        };
        if r.role == "lead" {
            entry.0.push(link);
        } else {
            entry.1.push(link);
        }
    }
    map
}

fn document_numbers(conn: &mut DbConn) -> Result<HashMap<i32, String>, AppError> {
    Ok(documents::labels(conn)?.into_iter().collect())
}

pub fn directory(conn: &mut DbConn) -> Result<DirectoryView, AppError> {
    let all: Vec<DepartmentSummary> = departments::list(conn)?;
    let numbers = document_numbers(conn)?;
    let mut by_department = links(departments::measures_of(conn, None)?, &numbers);
    Ok(DirectoryView {
        departments: all
            .into_iter()
            .map(|d| {
                let (lead, co) = by_department.remove(&d.department.id).unwrap_or_default();
                DirectoryEntry {
                    id: d.department.id,
                    name: d.department.name,
                    email: d.department.email,
                    lead_count: d.lead_count,
                    co_count: d.co_count,
                    lead,
                    co,
                }
            })
            .collect(),
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct DepartmentView {
    pub department: Department,
    pub aliases: Vec<String>,
    pub lead: Vec<MeasureLink>,
    pub co: Vec<MeasureLink>,
}

/// A department, its aliases and the measures it leads or shares.
pub fn department(conn: &mut DbConn, id: i32) -> Result<DepartmentView, AppError> {
    let department =
        departments::find(conn, id)?.ok_or_else(|| AppError::not_found("department"))?;
    let aliases = departments::aliases_of(conn, id)?;
    let numbers = document_numbers(conn)?;
    let (lead, co) = links(departments::measures_of(conn, Some(id))?, &numbers)
        .remove(&id)
        .unwrap_or_default();
    Ok(DepartmentView {
        department,
        aliases,
        lead,
        co,
    })
}

/// The contract's measure in `GET /api/v1/measures`.
#[derive(Debug, Clone, Serialize)]
pub struct ApiMeasure {
    pub id: i32,
    pub document: i32,
    pub number: i32,
    pub label: String,
    pub section: Option<i32>,
    pub title: String,
    pub lead: Option<String>,
    pub co: Vec<String>,
    /// green, yellow, red, done — or none while the measure has no reporting obligation.
    pub light: &'static str,
    pub due_on: Option<NaiveDate>,
}

impl From<MeasureItem> for ApiMeasure {
    fn from(m: MeasureItem) -> Self {
        ApiMeasure {
            id: m.id,
            document: m.document_id,
            number: m.number,
            label: m.label,
            section: m.section,
            title: m.title,
            lead: m.lead.map(|d| d.name),
            co: m.co.into_iter().map(|d| d.name).collect(),
            light: m.light,
            due_on: m.due_on,
        }
    }
}

/// What a measure page asks for beyond the measure: which page of periods, the whole
/// timeline.
#[derive(Debug, Clone, Copy, Default)]
pub struct MeasurePageOptions {
    pub periods_page: usize,
    pub all_events: bool,
}

/// Rows of a measure or unit page's "now" sections: this period, and what is still open.
#[derive(Debug, Clone, Serialize)]
pub struct NowView {
    /// Rows are named by their unit (a measure's page), else by their measure.
    pub by_unit: bool,
    /// The period being reported now (the first not yet due, else the latest).
    pub current_label: Option<String>,
    pub current: Vec<crate::read::ledger::LedgerRow>,
    /// Overdue and not handed in, first ten.
    pub open: crate::read::workbench::DeskList,
    /// The ledger's query string for this page's obligations.
    pub ledger_query: String,
}

/// A measure page at any volume: the plan, this period's units, the open items, a grid of
/// one page of periods, the last ten events and chases. A fixed number of bounded queries.
#[derive(Debug, Clone, Serialize)]
pub struct MeasurePage {
    #[serde(flatten)]
    pub head: MeasureHead,
    pub light: &'static str,
    pub light_label: &'static str,
    pub now: NowView,
    pub grid: crate::read::grid::Grid,
    pub timeline: Vec<TimelineEntry>,
    /// Older entries are not shown.
    pub timeline_folded: bool,
    pub chase: Vec<ChaseView>,
    /// Older chases are not shown.
    pub chase_folded: bool,
    /// 办结: whether it is closed, its requests, what the viewer may do.
    pub closing: crate::read::closing::ClosingView,
}

/// Events and chases shown before "show all".
pub const RECENT: i64 = 10;

fn now_view(
    conn: &mut DbConn,
    user: &CurrentUser,
    base: crate::read::filter::LedgerFilter,
    rules: &LightRules,
) -> Result<NowView, AppError> {
    use crate::db::obligations::{LedgerSort, LedgerState};
    use crate::read::filter::LedgerFilter;
    // The period being reported: the soonest due not yet past, else the latest.
    let current_period = crate::db::obligations::current_period(
        conn,
        &crate::read::ledger::selection(user, &base, rules),
    )?;
    let current = match &current_period {
        Some((key, _)) => {
            crate::read::ledger::list(
                conn,
                user,
                &LedgerFilter {
                    period: Some(key.clone()),
                    sort: LedgerSort::Measure,
                    per_page: crate::read::filter::MAX_PER_PAGE,
                    page: 1,
                    ..base.clone()
                },
                rules,
            )?
            .rows
        }
        None => Vec::new(),
    };
    let open = crate::read::ledger::list(
        conn,
        user,
        &LedgerFilter {
            state: Some(LedgerState::Overdue),
            sort: LedgerSort::Due,
            per_page: crate::read::workbench::LIST_ROWS,
            page: 1,
            ..base.clone()
        },
        rules,
    )?;
    let ledger_query = base.query_with(&[]);
    Ok(NowView {
        by_unit: base.measure.is_some(),
        current_label: current_period.map(|(_, l)| l),
        current,
        open: crate::read::workbench::DeskList {
            heading: "plan.now.open",
            urgent: true,
            show_unit: true,
            total: open.total_count,
            more: (open.total_count > open.rows.len() as i64).then(|| {
                LedgerFilter {
                    state: Some(LedgerState::Overdue),
                    ..base.clone()
                }
                .query_with(&[])
            }),
            rows: open
                .rows
                .into_iter()
                .map(|row| crate::read::workbench::DeskRow { row, comment: None })
                .collect(),
        },
        ledger_query,
    })
}

/// A measure's light now: red while anything is overdue, else the worst of this period.
fn current_light(now: &NowView) -> Light {
    if now.open.total > 0 {
        return Light::Red;
    }
    now.current
        .iter()
        .map(|r| match r.obligation.light {
            "red" => Light::Red,
            "yellow" => Light::Yellow,
            "green" => Light::Green,
            "done" => Light::Done,
            _ => Light::None,
        })
        .max()
        .unwrap_or(Light::None)
}

pub fn measure_page(
    conn: &mut DbConn,
    id: i32,
    user: &CurrentUser,
    rules: &LightRules,
    options: MeasurePageOptions,
) -> Result<MeasurePage, AppError> {
    let head = measure_head(conn, id)?;
    let lead = head.lead.as_ref().map(|d| d.id);
    let only = progress::only_unit(user, lead);
    let base = crate::read::filter::LedgerFilter {
        measure: Some(id),
        department: only,
        page: 1,
        per_page: crate::read::filter::PAGE_SIZES[0],
        ..Default::default()
    };
    let now = now_view(conn, user, base, rules)?;
    let closing = crate::read::closing::closing_view(conn, user, id, head.measure.closed_on, lead)?;
    let light = if closing.closed_on.is_some() {
        Light::Closed
    } else {
        current_light(&now)
    };
    let grid = crate::read::grid::load(
        conn,
        crate::read::grid::Axis::Measure { id, only },
        options.periods_page.max(1),
        rules,
    )?;
    let limit = (!options.all_events).then_some(RECENT);
    let (mut timeline, timeline_folded) = progress::measure_timeline(conn, user, id, limit)?;
    let lead_name = head.lead.as_ref().map_or("", |d| d.name.as_str());
    timeline.extend(crate::read::closing::timeline_entries(&closing, lead_name));
    timeline.sort_by_key(|t| std::cmp::Reverse(t.at));
    // People by display name.
    let names = crate::read::names::Names::load(conn, timeline.iter().map(|t| t.by.as_str()))?;
    for t in &mut timeline {
        names.rename(&mut t.by);
    }
    let office = user.is_admin();
    let mut chase: Vec<ChaseView> = crate::db::chase::for_measure(conn, id, only, RECENT + 1)?
        .into_iter()
        .map(|c| chase_view(c, office))
        .collect();
    let chase_folded = chase.len() as i64 > RECENT;
    chase.truncate(RECENT as usize);
    Ok(MeasurePage {
        head,
        light: light.as_str(),
        light_label: light.label(),
        timeline_folded,
        now,
        grid,
        timeline,
        chase,
        chase_folded,
        closing,
    })
}

/// A unit's page: its measures, and — for those who may see them — this period's work, the
/// open items and a grid of its measures over one page of periods.
#[derive(Debug, Clone, Serialize)]
pub struct DepartmentPage {
    #[serde(flatten)]
    pub view: DepartmentView,
    pub now: Option<NowView>,
    pub grid: Option<crate::read::grid::Grid>,
}

pub fn department_page(
    conn: &mut DbConn,
    id: i32,
    user: &CurrentUser,
    rules: &LightRules,
    periods_page: usize,
) -> Result<DepartmentPage, AppError> {
    let view = department(conn, id)?;
    if !crate::read::visible_to(user, id, None) {
        return Ok(DepartmentPage {
            view,
            now: None,
            grid: None,
        });
    }
    let base = crate::read::filter::LedgerFilter {
        department: Some(id),
        page: 1,
        per_page: crate::read::filter::PAGE_SIZES[0],
        ..Default::default()
    };
    let now = now_view(conn, user, base, rules)?;
    let grid = crate::read::grid::load(
        conn,
        crate::read::grid::Axis::Department { id },
        periods_page.max(1),
        rules,
    )?;
    Ok(DepartmentPage {
        view,
        now: Some(now),
        grid: Some(grid),
    })
}
