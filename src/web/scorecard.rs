//! The leaders' scorecard (考核): ranking, components, trend and ranking charts (SVG drawn on
//! the server), the measure × department heat map, breakdowns, and exports (XLSX, CSV). Every
//! view loads in a fixed number of queries, whatever the number of departments.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::Serialize;

use crate::authz::{require, Action};
use crate::db::documents::{self, Document};
use crate::db::obligations;
use crate::domain::scoring::Weights;
use crate::error::AppError;
use crate::read::scorecard::{load, RankRow, ScorecardQuery, ScorecardView};
use crate::read::views;
use crate::web::auth::{ApiCaller, Viewer};
use crate::web::respond::{attachment, csv_field, xlsx_error, xlsx_frame, XLSX};
use crate::web::state::AppState;
use crate::web::templates::Page;

/// The window as the viewer reads it, "as of" today: 本年（2026年）· 截至 2026-05-01. (The
/// exports keep the Chinese label.)
fn period_label_for(view: &ScorecardView, viewer: &Viewer) -> String {
    viewer.t_with(
        "scorecard.window_as_of",
        &[
            ("window", &view.window.label),
            ("date", &view.today.to_string()),
        ],
    )
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

/// The scorecard's body for a query, in the viewer's language: from the cache while the data
/// has not changed since it was drawn, else computed, drawn and kept. It shows no form, so one
/// drawing serves everyone.
async fn body(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    query: ScorecardQuery,
) -> Result<std::sync::Arc<crate::web::cache::Drawn>, AppError> {
    // 我分管的单位 depends on who is asking: only then is the viewer part of the key.
    let leader = viewer.user.role == crate::domain::accounts::Role::Leader;
    let mine = query.mine() && leader;
    let what = format!(
        "scorecard|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{}|{}|{}",
        query.document,
        query.period,
        query.window,
        query.from,
        query.to,
        query.trend,
        if mine { viewer.user.id } else { 0 },
        leader,
        viewer.lang.code()
    );
    state
        .cached(&what, || async {
            let mut view = load_for(state, query).await?;
            view.period_label = period_label_for(&view, viewer);
            view.leader = leader;
            if mine {
                let me = viewer.user.id;
                let units = state
                    .db(move |conn| Ok(crate::db::oversight::departments_of(conn, me)?))
                    .await?;
                view.only(&units);
            }
            let (st, lang) = (state.clone(), viewer.lang);
            let html = state
                .offload(move || st.templates.render_part("scorecard_body", lang, &view))
                .await?;
            Ok(crate::web::cache::Drawn {
                title: String::new(),
                html,
            })
        })
        .await
}

#[derive(Serialize)]
struct Body<'a> {
    body: &'a str,
    /// The selection, for the office's link to a circular (督办通报) of it.
    query: String,
}

/// The selection as a query string for `/circulars/new`.
fn circular_query(q: &ScorecardQuery) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if let Some(d) = q.document {
        pairs.push(("document", d.to_string()));
    }
    for (k, v) in [
        ("period", &q.period),
        ("window", &q.window),
        ("from", &q.from),
        ("to", &q.to),
    ] {
        if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
            pairs.push((k, v.clone()));
        }
    }
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// A leader's home: the scorecard of the latest document.
pub async fn home(state: &web::Data<AppState>, viewer: &Viewer) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::ReadScorecard)?;
    let latest = state
        .db(|conn| Ok(crate::db::documents::labels(conn)?.last().map(|d| d.0)))
        .await?;
    let query = ScorecardQuery {
        document: latest,
        ..ScorecardQuery::default()
    };
    let body = body(state, viewer, query.clone()).await?;
    state.page(
        "scorecard",
        &Page::for_viewer(
            viewer,
            viewer.t("scorecard.title"),
            "home",
            Body {
                body: &body.html,
                query: circular_query(&query),
            },
        ),
    )
}

pub async fn page(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<ScorecardQuery>,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, AppError> {
    // A liaison reads their own unit's score: the scorecard is their unit's page.
    if let (crate::domain::accounts::Role::Liaison, Some(own)) =
        (viewer.user.role, viewer.user.department_id)
    {
        let q = req.query_string();
        let to = format!(
            "/scorecard/departments/{own}{}{q}",
            if q.is_empty() { "" } else { "?" }
        );
        return Ok(HttpResponse::SeeOther()
            .insert_header((actix_web::http::header::LOCATION, to))
            .finish());
    }
    require(&viewer.user, Action::ReadScorecard)?;
    let query = query.into_inner();
    let body = body(&state, &viewer, query.clone()).await?;
    state.page(
        "scorecard",
        &Page::for_viewer(
            &viewer,
            viewer.t("scorecard.title"),
            "scorecard",
            Body {
                body: &body.html,
                query: circular_query(&query),
            },
        ),
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
    /// How many units are ranked.
    ranked: usize,
    /// Whether the viewer may go back to the whole scorecard.
    can_score: bool,
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
    let department_id = id.into_inner();
    require(&viewer.user, Action::ReadScoreOf { department_id })?;
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
        period_label: period_label_for(&view, &viewer),
        row: view
            .rows
            .iter()
            .find(|r| r.department_id == department_id)
            .cloned(),
        ranked: view.rows.iter().filter(|r| r.rank.is_some()).count(),
        can_score: crate::authz::allows(&viewer.user, Action::ReadScorecard),
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

const SCORE_HEADERS: [&str; 10] = [
    "排名",
    "单位",
    "得分",
    "按时报送率",
    "一次通过率",
    "完成率",
    "平均进度",
    "扣分",
    "当前状态",
    "较上一区间",
];

/// A unit's light and its change against the previous window, in the exports' words.
fn light_and_change(r: &RankRow) -> (String, String) {
    let light = crate::i18n::with_lang(crate::i18n::Lang::Zh, || {
        crate::i18n::text(&format!("common.light.{}", r.light)).to_string()
    });
    (light, r.change.clone().unwrap_or_default())
}

/// The scorecard as CSV (UTF-8 with a BOM, so Excel reads the Chinese right).
fn scorecard_csv(view: &ScorecardView) -> String {
    let mut out = String::from("\u{feff}");
    out.push_str(&SCORE_HEADERS.join(","));
    out.push_str("\r\n");
    let num = |x: Option<f64>| x.map_or(String::new(), |v| format!("{v:.4}"));
    for r in &view.rows {
        let (light, change) = light_and_change(r);
        let cells = [
            r.rank.map_or(String::new(), |x| x.to_string()),
            csv_field(&r.name),
            r.score.map_or("暂无到期任务".into(), |s| format!("{s:.1}")),
            num(r.timeliness),
            num(r.first_pass),
            num(r.completion),
            num(r.progress),
            format!("{:.1}", r.penalty),
            csv_field(&light),
            change,
        ];
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

fn scorecard_xlsx(view: &ScorecardView) -> Result<Vec<u8>, AppError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let widths = [6.0, 28.0, 10.0, 12.0, 12.0, 10.0, 10.0, 8.0, 10.0, 10.0];
    xlsx_frame(sheet, "考核排名", &SCORE_HEADERS, &widths)?;
    let share = Format::new().set_num_format("0.0%");
    let one = Format::new().set_num_format("0.0");
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
        let (light, change) = light_and_change(r);
        sheet.write(row, 8, light).map_err(xlsx_error)?;
        sheet.write(row, 9, change).map_err(xlsx_error)?;
    }
    book.save_to_buffer().map_err(xlsx_error)
}

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
    let widths = [6.0, 36.0, 18.0, 40.0, 10.0, 14.0];
    xlsx_frame(sheet, "措施状态", &MEASURE_HEADERS, &widths)?;
    let wrap = Format::new().set_text_wrap();
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
    /// The unit's light now: green, yellow, red, done, closed or none.
    light: &'static str,
    /// Against the previous window: up, down, same, or null.
    trend: Option<&'static str>,
    previous_score: Option<f64>,
    components: ApiComponents,
}

#[derive(Serialize)]
struct ApiScorecard {
    document: i32,
    period: Option<String>,
    window: crate::read::scorecard::WindowView,
    weights: Weights,
    departments: Vec<ApiScore>,
}

/// `GET /api/v1/scorecard?document=ID[&period=P][&window=W[&from=&to=]]`. A liaison gets
/// their own unit's row only.
pub async fn api(
    state: web::Data<AppState>,
    caller: ApiCaller,
    query: web::Query<ScorecardQuery>,
) -> Result<HttpResponse, AppError> {
    let own = match (caller.user.role, caller.user.department_id) {
        (crate::domain::accounts::Role::Liaison, Some(own)) => Some(own),
        _ => {
            require(&caller.user, Action::ReadScorecard)?;
            None
        }
    };
    let view = load_for(&state, query.into_inner()).await?;
    let body = ApiScorecard {
        document: view.document.id,
        period: view.period.clone(),
        window: view.window.clone(),
        weights: view.weights,
        departments: view
            .rows
            .into_iter()
            .filter(|r| own.is_none_or(|d| d == r.department_id))
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
                light: r.light,
                trend: r.trend,
                previous_score: r.previous_score,
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
