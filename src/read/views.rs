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
use crate::web::progress::{self, LightRules, MeasureProgress, ObligationView};

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

#[derive(Debug, Clone, Serialize)]
pub struct MeasureView {
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
    pub progress: MeasureProgress,
    /// The chase log (催办记录) of the obligations `user` may see.
    pub chase: Vec<ChaseView>,
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
    Ok(crate::db::chase::for_measure(conn, measure_id)?
        .into_iter()
        .filter(|c| c.obligation_id.is_some_and(|id| visible.contains(&id)))
        .map(|c| ChaseView {
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
        })
        .collect())
}

/// A measure as `user` may see it: the plan in full, progress scoped to what they may read.
pub fn measure(
    conn: &mut DbConn,
    id: i32,
    user: &CurrentUser,
    rules: &LightRules,
) -> Result<MeasureView, AppError> {
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
    let progress = progress::measure_progress(conn, user, id, rules)?;
    let chase = chase_of(conn, id, user, &progress)?;
    Ok(MeasureView {
        chase,
        section_heading: measure
            .section
            .zip(measure.section_title.as_deref())
            .map(|(o, t)| heading(o, t)),
        paragraphs: measure.body.lines().map(str::to_string).collect(),
        parts: crate::domain::importer::units::parts_of(&measure.body, None),
        previous: pick(measure.number - 1),
        next: pick(measure.number + 1),
        progress,
        document,
        measure,
        lead,
        co,
        assignments,
        warnings,
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
    /// The department's obligations, for those who may see them.
    pub obligations: Option<Vec<ObligationView>>,
}

/// A department; its obligations only for the office, leaders and its own liaisons.
pub fn department(
    conn: &mut DbConn,
    id: i32,
    user: &CurrentUser,
    rules: &LightRules,
) -> Result<DepartmentView, AppError> {
    let department =
        departments::find(conn, id)?.ok_or_else(|| AppError::not_found("department"))?;
    let aliases = departments::aliases_of(conn, id)?;
    let numbers = document_numbers(conn)?;
    let (lead, co) = links(departments::measures_of(conn, Some(id))?, &numbers)
        .remove(&id)
        .unwrap_or_default();
    let obligations = if progress::visible_to(user, id, None) {
        Some(
            obligations::for_department(conn, id)?
                .into_iter()
                .map(|o| ObligationView::new(o, rules))
                .collect(),
        )
    } else {
        None
    };
    Ok(DepartmentView {
        department,
        aliases,
        lead,
        co,
        obligations,
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
