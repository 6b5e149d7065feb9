//! The leaders' scorecard (考核): ranking, components, trend and ranking charts (SVG drawn on
//! the server), the measure × department heat map, breakdowns, and exports (XLSX, CSV). Every
//! view loads in a fixed number of queries, whatever the number of departments.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::authz::{require, Action};
use crate::db::documents::{self, Document};
use crate::db::{obligations, schedules, scores, DbConn};
use crate::domain::reporting::Light;
use crate::domain::scoring::{scorecard, DepartmentScore, ObligationFacts, Weights};
use crate::error::AppError;
use crate::web::auth::{ApiCaller, Viewer};
use crate::web::progress::LightRules;
use crate::web::state::AppState;
use crate::web::templates::Page;
use crate::web::views::{self, LightCount};

/// Which document and period a scorecard is for.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct ScorecardQuery {
    document: Option<i32>,
    /// A period key; absent or empty: the document to date.
    #[serde(default)]
    period: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One ranked department.
#[derive(Debug, Clone, Serialize)]
pub struct RankRow {
    pub department_id: i32,
    pub name: String,
    pub rank: Option<usize>,
    pub score: Option<f64>,
    pub timeliness: Option<f64>,
    pub first_pass: Option<f64>,
    pub completion: Option<f64>,
    pub progress: Option<f64>,
    pub penalty: f64,
    /// For the page: shares as percentages, `—` where nothing is measured.
    pub shown: [String; 4],
}

#[derive(Debug, Clone, Serialize)]
pub struct Bar {
    pub y: usize,
    pub text_y: usize,
    pub width: f64,
    pub name: String,
    pub score: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub name: String,
    pub points: String,
    pub colour: &'static str,
    pub legend_y: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tick {
    pub x: f64,
    pub label: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Trend {
    pub lines: Vec<Line>,
    pub faint: Vec<String>,
    pub ticks: Vec<Tick>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HeatCell {
    pub light: &'static str,
    pub light_label: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct HeatRow {
    pub measure_id: i32,
    pub label: String,
    pub title: String,
    pub cells: Vec<HeatCell>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScorecardView {
    pub document: Document,
    pub documents: Vec<Choice>,
    pub periods: Vec<Choice>,
    pub period: Option<String>,
    pub period_label: String,
    pub weights: Weights,
    pub rows: Vec<RankRow>,
    pub summary: Vec<LightCount>,
    pub bars: Vec<Bar>,
    pub bars_height: usize,
    pub trend: Trend,
    pub heat_departments: Vec<String>,
    pub heat: Vec<HeatRow>,
    /// Export links carry the same selection.
    pub query: String,
    #[serde(skip)]
    pub scores: Vec<DepartmentScore>,
    #[serde(skip)]
    pub names: HashMap<i32, String>,
    /// The day a whole-document scorecard runs to.
    #[serde(skip)]
    pub today: NaiveDate,
}

impl ScorecardView {
    /// The period as the viewer reads it: "as of" today for the document to date. (The
    /// exports keep the Chinese label.)
    fn period_label_for(&self, viewer: &Viewer) -> String {
        match self.period {
            Some(_) => self.period_label.clone(),
            None => viewer.t_with("scorecard.as_of", &[("date", &self.today.to_string())]),
        }
    }
}

const COLOURS: [&str; 6] = [
    "#a61b1b", "#1d4ed8", "#15803d", "#b45309", "#7e22ce", "#0f766e",
];

fn pct(x: Option<f64>) -> String {
    x.map_or("—".into(), |v| format!("{:.0}%", v * 100.0))
}

/// Everything the scorecard shows, for a document and a period (or the document to date).
pub fn load(
    conn: &mut DbConn,
    query: &ScorecardQuery,
    rules: &LightRules,
    weights: &Weights,
    tz: chrono_tz::Tz,
) -> Result<ScorecardView, AppError> {
    let all_docs = documents::labels(conn)?;
    let doc_id = query
        .document
        .or_else(|| all_docs.first().map(|d| d.0))
        .ok_or_else(|| AppError::not_found("document"))?;
    let document = documents::find(conn, doc_id)?.ok_or_else(|| AppError::not_found("document"))?;
    let period = query.period.clone().filter(|p| !p.is_empty());

    let schedule_periods = match schedules::find(conn, doc_id)? {
        Some(row) => row.schedule().map(|s| s.periods()).unwrap_or_default(),
        None => Vec::new(),
    };
    if let Some(p) = &period {
        if !schedule_periods.iter().any(|sp| &sp.key == p) {
            return Err(AppError::Validation(crate::i18n::tr(
                "web.scorecard.no_such_period",
                &[("period", p)],
            )));
        }
    }
    let departments = scores::departments_of(conn, doc_id)?;
    let names: HashMap<i32, String> = departments.iter().cloned().collect();
    let ids: Vec<i32> = departments.iter().map(|d| d.0).collect();
    let local = |t: chrono::NaiveDateTime| crate::clock::local_date(t, tz);
    let facts = scores::facts(conn, doc_id, &local)?;
    let in_window = |key: &str| period.as_deref().is_none_or(|p| p == key);
    let window: Vec<ObligationFacts> = facts
        .iter()
        .filter(|(k, _)| in_window(k))
        .map(|(_, f)| f.clone())
        .collect();
    let card = scorecard(&ids, &window, rules.today, weights);

    let rows: Vec<RankRow> = card
        .iter()
        .map(|s| RankRow {
            department_id: s.department_id,
            name: names.get(&s.department_id).cloned().unwrap_or_default(),
            rank: s.rank,
            score: s.score,
            timeliness: s.components.timeliness,
            first_pass: s.components.first_pass,
            completion: s.components.completion,
            progress: s.components.progress,
            penalty: s.components.penalty,
            shown: [
                pct(s.components.timeliness),
                pct(s.components.first_pass),
                pct(s.components.completion),
                pct(s.components.progress),
            ],
        })
        .collect();

    // The ranking as bars (scored departments only).
    let bars: Vec<Bar> = rows
        .iter()
        .filter_map(|r| r.score.map(|s| (r, s)))
        .enumerate()
        .map(|(i, (r, s))| Bar {
            y: i * 22 + 4,
            text_y: i * 22 + 17,
            width: (s * 4.0).max(1.0),
            name: r.name.clone(),
            score: format!("{s:.1}"),
        })
        .collect();
    let bars_height = bars.len() * 22 + 8;

    // Each department's score period by period, for the periods already due.
    let due_periods: Vec<_> = schedule_periods
        .iter()
        .filter(|p| {
            facts
                .iter()
                .any(|(k, f)| *k == p.key && f.due_on < rules.today)
        })
        .collect();
    let step = if due_periods.len() > 1 {
        600.0 / (due_periods.len() - 1) as f64
    } else {
        0.0
    };
    let mut series: HashMap<i32, Vec<(f64, f64)>> = HashMap::new();
    for (i, p) in due_periods.iter().enumerate() {
        let of_period: Vec<ObligationFacts> = facts
            .iter()
            .filter(|(k, _)| *k == p.key)
            .map(|(_, f)| f.clone())
            .collect();
        for s in scorecard(&ids, &of_period, rules.today, weights) {
            if let Some(score) = s.score {
                let x = 60.0 + step * i as f64;
                let y = 20.0 + (100.0 - score) * 2.0;
                series.entry(s.department_id).or_default().push((x, y));
            }
        }
    }
    let points = |v: &[(f64, f64)]| {
        v.iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let top: Vec<i32> = rows
        .iter()
        .filter(|r| r.score.is_some())
        .take(COLOURS.len())
        .map(|r| r.department_id)
        .collect();
    let trend = Trend {
        lines: top
            .iter()
            .enumerate()
            .filter_map(|(i, id)| {
                series.get(id).map(|v| Line {
                    name: names.get(id).cloned().unwrap_or_default(),
                    points: points(v),
                    colour: COLOURS[i],
                    legend_y: 30 + i * 18,
                })
            })
            .collect(),
        faint: ids
            .iter()
            .filter(|id| !top.contains(id))
            .filter_map(|id| series.get(id).map(|v| points(v)))
            .collect(),
        ticks: due_periods
            .iter()
            .enumerate()
            .map(|(i, p)| Tick {
                x: 60.0 + step * i as f64,
                label: p.label.clone(),
            })
            .collect(),
    };

    // The heat map: each measure × department, its worst light in the window.
    let obs = obligations::for_document(conn, Some(doc_id))?;
    let measures = crate::db::measures::list(conn, Some(doc_id))?;
    let column: HashMap<i32, usize> = ids.iter().enumerate().map(|(i, d)| (*d, i)).collect();
    let mut grid: HashMap<i32, Vec<Light>> = HashMap::new();
    for o in obs.iter().filter(|o| in_window(&o.period_key)) {
        let row = grid
            .entry(o.measure_id)
            .or_insert_with(|| vec![Light::None; ids.len()]);
        if let Some(&c) = column.get(&o.department_id) {
            row[c] = row[c].max(rules.of(o));
        }
    }
    let mut counts: HashMap<Light, usize> = HashMap::new();
    let heat: Vec<HeatRow> = measures
        .into_iter()
        .map(|m| {
            let cells = grid
                .remove(&m.id)
                .unwrap_or_else(|| vec![Light::None; ids.len()]);
            let worst = cells.iter().copied().max().unwrap_or(Light::None);
            *counts.entry(worst).or_default() += 1;
            HeatRow {
                measure_id: m.id,
                label: m.label,
                title: m.title,
                cells: cells
                    .into_iter()
                    .map(|l| HeatCell {
                        light: l.as_str(),
                        light_label: l.label(),
                    })
                    .collect(),
            }
        })
        .collect();
    let summary = [
        Light::Green,
        Light::Yellow,
        Light::Red,
        Light::Done,
        Light::None,
    ]
    .into_iter()
    .map(|l| LightCount {
        light: l.as_str(),
        light_label: l.label(),
        count: counts.get(&l).copied().unwrap_or(0),
    })
    .collect();

    let period_label = period
        .as_ref()
        .and_then(|p| schedule_periods.iter().find(|sp| &sp.key == p))
        .map_or_else(|| format!("截至 {}", rules.today), |p| p.label.clone());
    let query_string = serde_urlencoded::to_string([
        ("document", doc_id.to_string()),
        ("period", period.clone().unwrap_or_default()),
    ])
    .unwrap_or_default();
    Ok(ScorecardView {
        documents: all_docs
            .into_iter()
            .map(|(id, label)| Choice {
                selected: id == doc_id,
                value: id.to_string(),
                label,
            })
            .collect(),
        periods: schedule_periods
            .iter()
            .map(|p| Choice {
                value: p.key.clone(),
                label: p.label.clone(),
                selected: period.as_deref() == Some(p.key.as_str()),
            })
            .collect(),
        heat_departments: ids
            .iter()
            .map(|d| names.get(d).cloned().unwrap_or_default())
            .collect(),
        document,
        period,
        period_label,
        weights: *weights,
        rows,
        summary,
        bars,
        bars_height,
        trend,
        heat,
        query: query_string,
        scores: card,
        names,
        today: rules.today,
    })
}

async fn load_for(
    state: &web::Data<AppState>,
    query: ScorecardQuery,
) -> Result<ScorecardView, AppError> {
    let (weights, tz) = (state.settings.scoring, state.settings.timezone);
    state
        .db_lit(move |conn, rules| load(conn, &query, rules, &weights, tz))
        .await
}

pub async fn page(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<ScorecardQuery>,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::ReadScorecard)?;
    let mut view = load_for(&state, query.into_inner()).await?;
    view.period_label = view.period_label_for(&viewer);
    state.page(
        "scorecard",
        &Page::for_viewer(&viewer, viewer.t("scorecard.title"), "scorecard", view),
    )
}

#[derive(Debug, Clone, Serialize)]
struct BreakdownRow {
    obligation_id: i32,
    measure_label: String,
    measure_title: String,
    period_label: String,
    /// `lead` or `co`.
    role: String,
    due_on: NaiveDate,
    weight: f64,
    on_time: bool,
    first_pass: Option<bool>,
    accepted: bool,
    percent: i32,
    overdue_days: i64,
    penalty: f64,
    points: String,
}

#[derive(Debug, Clone, Serialize)]
struct BreakdownView {
    document: Document,
    department: String,
    period_label: String,
    row: Option<RankRow>,
    weights: Weights,
    contributions: Vec<BreakdownRow>,
    total: String,
    query: String,
}

pub async fn breakdown(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i32>,
    query: web::Query<ScorecardQuery>,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::ReadScorecard)?;
    let department_id = id.into_inner();
    let view = load_for(&state, query.into_inner()).await?;
    let score = view
        .scores
        .iter()
        .find(|s| s.department_id == department_id)
        .cloned()
        .ok_or_else(|| AppError::not_found("department"))?;
    let ids: Vec<i32> = score
        .contributions
        .iter()
        .map(|c| c.obligation_id)
        .collect();
    let rows = state
        .db(move |conn| Ok(obligations::by_ids(conn, &ids)?))
        .await?;
    let by_id: HashMap<i32, obligations::ObligationRow> =
        rows.into_iter().map(|o| (o.id, o)).collect();
    let contributions: Vec<BreakdownRow> = score
        .contributions
        .iter()
        .filter_map(|c| {
            let o = by_id.get(&c.obligation_id)?;
            Some(BreakdownRow {
                obligation_id: c.obligation_id,
                measure_label: o.measure_label.clone(),
                measure_title: o.measure_title.clone(),
                period_label: o.period_label.clone(),
                role: if o.role == "lead" { "lead" } else { "co" }.to_string(),
                due_on: o.due_on,
                weight: c.weight,
                on_time: c.on_time,
                first_pass: c.first_pass,
                accepted: c.accepted,
                percent: c.percent,
                overdue_days: c.overdue_days,
                penalty: c.penalty,
                points: format!("{:+.2}", c.points),
            })
        })
        .collect();
    let total: f64 = score.contributions.iter().map(|c| c.points).sum();
    let data = BreakdownView {
        document: view.document.clone(),
        department: view.names.get(&department_id).cloned().unwrap_or_default(),
        period_label: view.period_label_for(&viewer),
        row: view
            .rows
            .iter()
            .find(|r| r.department_id == department_id)
            .cloned(),
        weights: view.weights,
        contributions,
        total: format!("{total:.2}"),
        query: view.query.clone(),
    };
    let title = viewer.t_with(
        "scorecard.breakdown.title",
        &[("department", data.department.as_str())],
    );
    state.page(
        "score_breakdown",
        &Page::for_viewer(&viewer, title, "scorecard", data),
    )
}

const SCORE_HEADERS: [&str; 8] = [
    "排名",
    "单位",
    "得分",
    "按时报送率",
    "一次通过率",
    "完成率",
    "平均进度",
    "扣分",
];

/// The scorecard as CSV (UTF-8 with a BOM, so Excel reads the Chinese right).
fn scorecard_csv(view: &ScorecardView) -> String {
    let mut out = String::from("\u{feff}");
    out.push_str(&SCORE_HEADERS.join(","));
    out.push_str("\r\n");
    let num = |x: Option<f64>| x.map_or(String::new(), |v| format!("{v:.4}"));
    for r in &view.rows {
        let cells = [
            r.rank.map_or(String::new(), |x| x.to_string()),
            csv_field(&r.name),
            r.score.map_or("暂无到期任务".into(), |s| format!("{s:.1}")),
            num(r.timeliness),
            num(r.first_pass),
            num(r.completion),
            num(r.progress),
            format!("{:.1}", r.penalty),
        ];
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

fn csv_field(s: &str) -> String {
    // Quote always; double inner quotes; defuse spreadsheet formulas.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::Internal(anyhow::anyhow!("writing XLSX: {e}"))
}

fn scorecard_xlsx(view: &ScorecardView) -> Result<Vec<u8>, AppError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("考核排名").map_err(xlsx_error)?;
    let bold = Format::new().set_bold();
    let share = Format::new().set_num_format("0.0%");
    let one = Format::new().set_num_format("0.0");
    for (c, h) in SCORE_HEADERS.iter().enumerate() {
        sheet
            .write_with_format(0, c as u16, *h, &bold)
            .map_err(xlsx_error)?;
    }
    for (i, r) in view.rows.iter().enumerate() {
        let row = i as u32 + 1;
        if let Some(rank) = r.rank {
            sheet.write(row, 0, rank as u32).map_err(xlsx_error)?;
        }
        sheet.write(row, 1, r.name.as_str()).map_err(xlsx_error)?;
        match r.score {
            Some(s) => sheet.write_with_format(row, 2, s, &one),
            None => sheet.write(row, 2, "暂无到期任务"),
        }
        .map_err(xlsx_error)?;
        for (c, v) in [r.timeliness, r.first_pass, r.completion, r.progress]
            .into_iter()
            .enumerate()
        {
            if let Some(v) = v {
                sheet
                    .write_with_format(row, c as u16 + 3, v, &share)
                    .map_err(xlsx_error)?;
            }
        }
        sheet
            .write_with_format(row, 7, r.penalty, &one)
            .map_err(xlsx_error)?;
    }
    for (c, width) in [6.0, 28.0, 10.0, 12.0, 12.0, 10.0, 10.0, 8.0]
        .into_iter()
        .enumerate()
    {
        sheet
            .set_column_width(c as u16, width)
            .map_err(xlsx_error)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
    book.save_to_buffer().map_err(xlsx_error)
}

fn attachment(bytes: Vec<u8>, content_type: &str, filename: &str) -> HttpResponse {
    use actix_web::http::header::{
        Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
    };
    HttpResponse::Ok()
        .content_type(content_type.to_string())
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: filename.as_bytes().to_vec(),
            })],
        })
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes)
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub async fn export_xlsx(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<ScorecardQuery>,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::ReadScorecard)?;
    let view = load_for(&state, query.into_inner()).await?;
    let bytes = scorecard_xlsx(&view)?;
    Ok(attachment(
        bytes,
        XLSX,
        &format!("考核排名-{}.xlsx", view.period_label),
    ))
}

pub async fn export_csv(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<ScorecardQuery>,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::ReadScorecard)?;
    let view = load_for(&state, query.into_inner()).await?;
    let body = scorecard_csv(&view).into_bytes();
    Ok(attachment(
        body,
        "text/csv; charset=utf-8",
        &format!("考核排名-{}.csv", view.period_label),
    ))
}

const MEASURE_HEADERS: [&str; 6] = [
    "编号",
    "措施",
    "牵头单位",
    "配合单位",
    "状态",
    "最近截止日期",
];

async fn measure_rows(
    state: &web::Data<AppState>,
    document: Option<i32>,
) -> Result<Vec<[String; 6]>, AppError> {
    let items = state
        .db_lit(move |conn, rules| {
            let doc = match document {
                Some(d) => d,
                None => documents::labels(conn)?
                    .first()
                    .map(|d| d.0)
                    .ok_or_else(|| AppError::not_found("document"))?,
            };
            views::measure_items(conn, Some(doc), rules)
        })
        .await?;
    Ok(items
        .into_iter()
        .map(|m| {
            [
                m.label,
                m.title,
                m.lead.map(|d| d.name).unwrap_or_default(),
                m.co.into_iter()
                    .map(|d| d.name)
                    .collect::<Vec<_>>()
                    .join("、"),
                m.light_label.to_string(),
                m.due_on.map(|d| d.to_string()).unwrap_or_default(),
            ]
        })
        .collect())
}

pub async fn measures_csv(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<ScorecardQuery>,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::ReadPlan)?;
    let rows = measure_rows(&state, query.document).await?;
    let mut out = String::from("\u{feff}");
    out.push_str(&MEASURE_HEADERS.join(","));
    out.push_str("\r\n");
    for r in rows {
        let cells: Vec<String> = r.iter().map(|c| csv_field(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    Ok(attachment(
        out.into_bytes(),
        "text/csv; charset=utf-8",
        "措施状态.csv",
    ))
}

pub async fn measures_xlsx(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<ScorecardQuery>,
) -> Result<HttpResponse, AppError> {
    use rust_xlsxwriter::{Format, Workbook};
    require(&viewer.user, Action::ReadPlan)?;
    let rows = measure_rows(&state, query.document).await?;
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("措施状态").map_err(xlsx_error)?;
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    for (c, h) in MEASURE_HEADERS.iter().enumerate() {
        sheet
            .write_with_format(0, c as u16, *h, &bold)
            .map_err(xlsx_error)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        match r[0].parse::<u32>() {
            Ok(n) => sheet.write(row, 0, n),
            Err(_) => sheet.write(row, 0, r[0].as_str()),
        }
        .map_err(xlsx_error)?;
        for (c, cell) in r.iter().enumerate().skip(1) {
            sheet
                .write_with_format(row, c as u16, cell.as_str(), &wrap)
                .map_err(xlsx_error)?;
        }
    }
    for (c, width) in [6.0, 36.0, 18.0, 40.0, 10.0, 14.0].into_iter().enumerate() {
        sheet
            .set_column_width(c as u16, width)
            .map_err(xlsx_error)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
    let bytes = book.save_to_buffer().map_err(xlsx_error)?;
    Ok(attachment(bytes, XLSX, "措施状态.xlsx"))
}

#[derive(Serialize)]
struct ApiComponents {
    timeliness: Option<f64>,
    first_pass: Option<f64>,
    completion: Option<f64>,
    progress: Option<f64>,
    penalty: f64,
}

#[derive(Serialize)]
struct ApiScore {
    department_id: i32,
    name: String,
    /// `null` while the department has nothing due.
    score: Option<f64>,
    rank: Option<usize>,
    status: &'static str,
    components: ApiComponents,
}

#[derive(Serialize)]
struct ApiScorecard {
    document: i32,
    period: Option<String>,
    weights: Weights,
    departments: Vec<ApiScore>,
}

/// `GET /api/v1/scorecard?document=ID[&period=P]`.
pub async fn api(
    state: web::Data<AppState>,
    caller: ApiCaller,
    query: web::Query<ScorecardQuery>,
) -> Result<HttpResponse, AppError> {
    require(&caller.user, Action::ReadScorecard)?;
    let view = load_for(&state, query.into_inner()).await?;
    let body = ApiScorecard {
        document: view.document.id,
        period: view.period.clone(),
        weights: view.weights,
        departments: view
            .rows
            .into_iter()
            .map(|r| ApiScore {
                department_id: r.department_id,
                status: if r.score.is_some() {
                    "scored"
                } else {
                    "nothing_due"
                },
                name: r.name,
                score: r.score,
                rank: r.rank,
                components: ApiComponents {
                    timeliness: r.timeliness,
                    first_pass: r.first_pass,
                    completion: r.completion,
                    progress: r.progress,
                    penalty: r.penalty,
                },
            })
            .collect(),
    };
    Ok(HttpResponse::Ok().json(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("地区\"人社\"局"), "\"地区\"\"人社\"\"局\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "\"'=HYPERLINK(1)\"");
    }
}
