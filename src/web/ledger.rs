//! The ledger (督办台账) over HTTP: the page with its filter form and bulk actions, the print
//! view, the CSV and XLSX exports and `GET /api/v1/obligations`. Each parses one
//! `LedgerFilter` from the query string and calls `read::ledger`.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use serde::Serialize;

use crate::authz::{require, Action};
use crate::bulk::{self, BulkOutcome};
use crate::error::AppError;
use crate::read::filter::{self, LedgerFilter};
use crate::read::ledger::{self, FilterChoices, Ledger, LedgerRow};
use crate::web::auth::{ApiCaller, CsrfForm, Viewer};
use crate::web::respond::{attachment, csv_field, flash, see_other, xlsx_error, xlsx_frame, XLSX};
use crate::web::state::AppState;
use crate::web::templates::Page;

/// The exports and the print view hold at most this many rows.
pub const EXPORT_ROWS: i64 = 20_000;
const PRINT_ROWS: i64 = 2_000;

fn local(state: &AppState, t: NaiveDateTime) -> String {
    crate::clock::local_time(t, state.settings.timezone)
}

/// A row as the page shows it: times in the office's time zone.
#[derive(Serialize)]
struct RowView {
    #[serde(flatten)]
    row: LedgerRow,
    chased: Option<String>,
    reported: Option<String>,
}

fn row_views(state: &AppState, rows: Vec<LedgerRow>) -> Vec<RowView> {
    rows.into_iter()
        .map(|row| RowView {
            chased: row.last_chased_at.map(|t| local(state, t)),
            reported: row
                .latest_report
                .as_ref()
                .and_then(|r| r.submitted_at)
                .map(|t| local(state, t)),
            row,
        })
        .collect()
}

/// The filter as the form shows it.
#[derive(Serialize)]
struct FormValues {
    state: &'static str,
    light: &'static str,
    role: &'static str,
    sort: &'static str,
    window: &'static str,
    q: String,
    overdue_days_min: String,
    due_from: String,
    due_to: String,
    returned: bool,
    unacknowledged: bool,
    /// 我分管的单位 (a leader's choice).
    mine: bool,
    per_page: u32,
    /// A filter of the folded part is set: the page shows it open.
    more_set: bool,
    windows: Vec<Opt>,
    states: Vec<Opt>,
    lights: Vec<Opt>,
    sorts: Vec<Opt>,
}

/// One option of a fixed select; the page names it through the catalog.
#[derive(Serialize)]
struct Opt {
    value: &'static str,
    selected: bool,
}

fn options(values: &[&'static str], chosen: &str) -> Vec<Opt> {
    values
        .iter()
        .map(|v| Opt {
            value: v,
            selected: *v == chosen,
        })
        .collect()
}

impl FormValues {
    fn of(f: &LedgerFilter) -> FormValues {
        let state = f.state.map_or("", filter::state_str);
        let light = f.light.map_or("", |l| l.as_str());
        let sort = filter::sort_str(f.sort);
        let window = f.window.map_or("", |w| w.as_str());
        FormValues {
            windows: options(&["month", "quarter", "year"], window),
            states: options(
                &[
                    "pending",
                    "overdue",
                    "open",
                    "submitted",
                    "returned",
                    "accepted",
                ],
                state,
            ),
            lights: options(&["red", "yellow", "green", "done"], light),
            sorts: options(&["urgent", "due", "due_desc", "unit", "measure"], sort),
            state,
            light,
            role: f.role.unwrap_or(""),
            sort,
            window,
            q: f.q.clone().unwrap_or_default(),
            overdue_days_min: f
                .overdue_days_min
                .map(|n| n.to_string())
                .unwrap_or_default(),
            due_from: f.due_from.map(|d| d.to_string()).unwrap_or_default(),
            due_to: f.due_to.map(|d| d.to_string()).unwrap_or_default(),
            returned: f.returned,
            unacknowledged: f.unacknowledged,
            mine: f.mine,
            per_page: f.per_page,
            more_set: f.section.is_some()
                || f.measure.is_some()
                || f.role.is_some()
                || f.period.is_some()
                || f.window.is_some()
                || f.light.is_some()
                || f.overdue_days_min.is_some()
                || f.due_from.is_some()
                || f.due_to.is_some()
                || f.returned
                || f.unacknowledged
                || f.mine
                || f.sort != crate::db::obligations::LedgerSort::Urgent
                || f.per_page != filter::PAGE_SIZES[0],
        }
    }
}

/// A state chip above the table: its count and the link that selects it.
#[derive(Serialize)]
struct Chip {
    state: &'static str,
    count: i64,
    href: String,
    current: bool,
}

#[derive(Serialize)]
struct PageLink {
    n: u32,
    href: String,
    current: bool,
}

#[derive(Serialize)]
struct LedgerPage {
    #[serde(flatten)]
    ledger: LedgerMeta,
    rows: Vec<RowView>,
    choices: FilterChoices,
    form: FormValues,
    chips: Vec<Chip>,
    pages: Vec<PageLink>,
    previous: Option<String>,
    next: Option<String>,
    /// The filter's query string (no page), for exports, print and the bulk form's return.
    query: String,
    can_bulk: bool,
    per_page_choices: [u32; 3],
}

#[derive(Serialize)]
struct LedgerMeta {
    total_count: i64,
    page: u32,
    per_page: u32,
    pages_total: u32,
    first: i64,
    last: i64,
    today: chrono::NaiveDate,
}

fn page_links(f: &LedgerFilter, l: &Ledger) -> Vec<PageLink> {
    // The first, the last and two either side of the current page.
    let mut shown: Vec<u32> = vec![1, l.pages];
    shown.extend((l.page.saturating_sub(2)..=l.page + 2).filter(|p| (1..=l.pages).contains(p)));
    shown.sort_unstable();
    shown.dedup();
    shown
        .into_iter()
        .map(|n| PageLink {
            n,
            href: format!("/ledger?{}", f.query_with(&[("page", Some(n.to_string()))])),
            current: n == l.page,
        })
        .collect()
}

fn chips(f: &LedgerFilter, l: &Ledger) -> Vec<Chip> {
    let c = &l.counts;
    let chip = |state: &'static str, count: i64| Chip {
        state,
        count,
        href: format!(
            "/ledger?{}",
            f.query_with(&[
                ("state", (!state.is_empty()).then(|| state.to_string())),
                ("page", None),
            ])
        ),
        current: f.state.map_or("", filter::state_str) == state,
    };
    vec![
        chip("", c.total),
        chip("pending", c.total - c.accepted),
        chip("overdue", c.overdue),
        chip("open", c.open),
        chip("submitted", c.submitted),
        chip("returned", c.returned),
        chip("accepted", c.accepted),
    ]
}

pub async fn page(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::ReadPlan)?;
    let f = LedgerFilter::parse(req.query_string(), true)?;
    let what = format!("ledger|{}|{}", f.query_with(&[]), f.page);
    let drawn = state
        .drawn(&viewer, &what, || draw_page(&state, &viewer, f))
        .await?;
    state.drawn_page(&viewer, "ledger", &drawn, actix_web::http::StatusCode::OK)
}

async fn draw_page(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    f: LedgerFilter,
) -> Result<crate::web::cache::Drawn, AppError> {
    let user = viewer.user.clone();
    let filter = f.clone();
    let (l, choices) = state
        .db_lit(move |conn, rules| {
            let l = ledger::ledger(conn, &user, &filter, rules)?;
            let choices = ledger::choices(conn, &user, &filter)?;
            Ok((l, choices))
        })
        .await?;
    let query = f.query_with(&[]);
    let link = |p: u32| format!("/ledger?{}", f.query_with(&[("page", Some(p.to_string()))]));
    let data = LedgerPage {
        chips: chips(&f, &l),
        pages: page_links(&f, &l),
        previous: (l.page > 1).then(|| link(l.page - 1)),
        next: (l.page < l.pages).then(|| link(l.page + 1)),
        ledger: LedgerMeta {
            total_count: l.total_count,
            page: l.page,
            per_page: l.per_page,
            pages_total: l.pages,
            first: l.rows.first().map_or(0, |r| r.seq),
            last: l.rows.last().map_or(0, |r| r.seq),
            today: l.today,
        },
        rows: row_views(state, l.rows),
        choices,
        form: FormValues::of(&f),
        query,
        can_bulk: viewer.user.is_admin(),
        per_page_choices: filter::PAGE_SIZES,
    };
    state.templates.draw(
        "ledger",
        Page::for_viewer(viewer, viewer.t("ledger.title"), "ledger", data),
    )
}

/// Every row of the selection, for the exports and the print view.
async fn all_rows(
    state: &web::Data<AppState>,
    viewer_user: crate::authz::CurrentUser,
    f: LedgerFilter,
    limit: i64,
) -> Result<(Vec<LedgerRow>, FilterChoices), AppError> {
    state
        .db_lit(move |conn, rules| {
            let rows = ledger::all_rows(conn, &viewer_user, &f, rules, limit)?;
            let choices = ledger::choices(conn, &viewer_user, &f)?;
            Ok((rows, choices))
        })
        .await
}

#[derive(Serialize)]
struct PrintPage {
    rows: Vec<RowView>,
    document_name: Option<String>,
    today: chrono::NaiveDate,
    count: usize,
    truncated: bool,
}

pub async fn print(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::ReadPlan)?;
    let f = LedgerFilter::parse(req.query_string(), false)?;
    let (rows, choices) = all_rows(&state, viewer.user.clone(), f, PRINT_ROWS + 1).await?;
    let truncated = rows.len() as i64 > PRINT_ROWS;
    let rows: Vec<LedgerRow> = rows.into_iter().take(PRINT_ROWS as usize).collect();
    let data = PrintPage {
        count: rows.len(),
        rows: row_views(&state, rows),
        document_name: choices.document_name,
        today: state.today(),
        truncated,
    };
    state.page(
        "ledger_print",
        &Page::for_viewer(&viewer, viewer.t("ledger.title"), "ledger", data),
    )
}

const HEADERS: [&str; 12] = [
    "序号",
    "文件",
    "措施编号",
    "措施",
    "责任单位",
    "牵头/配合",
    "周期",
    "截止日期",
    "状态",
    "逾期天数",
    "本期进展",
    "最近催办",
];

fn cells(state: &AppState, r: &LedgerRow) -> [String; 12] {
    let o = &r.obligation;
    let progress = r
        .latest_report
        .as_ref()
        .map(|l| format!("{}%　{}", l.percent, l.summary))
        .unwrap_or_default();
    [
        r.seq.to_string(),
        o.document_number.clone().unwrap_or_default(),
        o.measure_label.clone(),
        o.measure_title.clone(),
        o.department.clone(),
        o.role_label.to_string(),
        o.period_label.clone(),
        o.due_on.to_string(),
        o.state_label.clone(),
        r.overdue_days.map(|d| d.to_string()).unwrap_or_default(),
        progress,
        r.last_chased_at
            .map(|t| local(state, t))
            .unwrap_or_default(),
    ]
}

fn file_name(choices: &FilterChoices, today: chrono::NaiveDate, ext: &str) -> String {
    let name: String = choices
        .document_name
        .as_deref()
        .map(|n| {
            n.chars()
                .filter(|c| !"/\\:*?\"<>|".contains(*c))
                .take(40)
                .collect()
        })
        .unwrap_or_default();
    if name.is_empty() {
        format!("督办台账-{today}.{ext}")
    } else {
        format!("督办台账-{name}-{today}.{ext}")
    }
}

pub async fn export_csv(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::ReadPlan)?;
    let f = LedgerFilter::parse(req.query_string(), false)?;
    let (rows, choices) = all_rows(&state, viewer.user.clone(), f, EXPORT_ROWS).await?;
    let mut out = String::from("\u{feff}");
    out.push_str(&HEADERS.join(","));
    out.push_str("\r\n");
    for r in &rows {
        let line: Vec<String> = cells(&state, r).iter().map(|c| csv_field(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    Ok(attachment(
        out.into_bytes(),
        "text/csv; charset=utf-8",
        &file_name(&choices, state.today(), "csv"),
    ))
}

pub async fn export_xlsx(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::ReadPlan)?;
    let f = LedgerFilter::parse(req.query_string(), false)?;
    let (rows, choices) = all_rows(&state, viewer.user.clone(), f, EXPORT_ROWS).await?;
    let today = state.today();
    let lines: Vec<[String; 12]> = rows.iter().map(|r| cells(&state, r)).collect();
    let overdue: Vec<Option<i64>> = rows.iter().map(|r| r.overdue_days).collect();
    let bytes = state
        .offload(move || {
            let mut book = rust_xlsxwriter::Workbook::new();
            let sheet = book.add_worksheet();
            let widths = [6., 16., 8., 40., 22., 8., 12., 12., 18., 8., 40., 16.];
            xlsx_frame(sheet, "督办台账", &HEADERS, &widths)?;
            for (i, line) in lines.iter().enumerate() {
                let row = i as u32 + 1;
                for (c, v) in line.iter().enumerate() {
                    match (c, overdue[i]) {
                        (0, _) => sheet.write(row, 0, (i + 1) as u32),
                        (9, Some(d)) => sheet.write(row, 9, d as f64),
                        _ => sheet.write(row, c as u16, v.as_str()),
                    }
                    .map_err(xlsx_error)?;
                }
            }
            book.save_to_buffer().map_err(xlsx_error)
        })
        .await?;
    Ok(attachment(bytes, XLSX, &file_name(&choices, today, "xlsx")))
}

/// The contract's obligation row.
#[derive(Serialize)]
struct ApiObligation {
    id: i32,
    document: i32,
    document_number: Option<String>,
    measure: ApiMeasureRef,
    department: String,
    department_id: i32,
    role: String,
    period: String,
    period_label: String,
    due_on: chrono::NaiveDate,
    state: &'static str,
    light: &'static str,
    overdue_days: Option<i64>,
    latest_report: Option<ApiLatest>,
    last_chased_at: Option<NaiveDateTime>,
}

#[derive(Serialize)]
struct ApiMeasureRef {
    id: i32,
    number: i32,
    label: String,
    title: String,
}

#[derive(Serialize)]
struct ApiLatest {
    id: i32,
    version: i32,
    summary: String,
    percent: i32,
    submitted_at: Option<NaiveDateTime>,
}

#[derive(Serialize)]
struct ApiLedger {
    total_count: i64,
    page: u32,
    per_page: u32,
    obligations: Vec<ApiObligation>,
}

pub async fn api(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    require(&caller.user, Action::ReadPlan)?;
    let f = LedgerFilter::parse(req.query_string(), false)?;
    // What a caller may see follows from who they are (their role and unit).
    let what = format!(
        "api/obligations|{}|{}|{}",
        caller.user.id,
        f.query_with(&[]),
        f.page
    );
    let drawn = state.cached(&what, || api_body(&state, &caller, f)).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(drawn.html.clone()))
}

async fn api_body(
    state: &web::Data<AppState>,
    caller: &ApiCaller,
    f: LedgerFilter,
) -> Result<crate::web::cache::Drawn, AppError> {
    let user = caller.user.clone();
    let l = state
        .db_lit(move |conn, rules| ledger::ledger(conn, &user, &f, rules))
        .await?;
    let body = ApiLedger {
        total_count: l.total_count,
        page: l.page,
        per_page: l.per_page,
        obligations: l
            .rows
            .into_iter()
            .map(|r| {
                let o = r.obligation;
                ApiObligation {
                    id: o.id,
                    document: o.document_id,
                    document_number: o.document_number,
                    measure: ApiMeasureRef {
                        id: o.measure_id,
                        number: r.measure_number,
                        label: o.measure_label,
                        title: o.measure_title,
                    },
                    department: o.department,
                    department_id: o.department_id,
                    role: o.role,
                    period: o.period,
                    period_label: o.period_label,
                    due_on: o.due_on,
                    state: o.state,
                    light: o.light,
                    overdue_days: r.overdue_days,
                    latest_report: r.latest_report.map(|l| ApiLatest {
                        id: l.id,
                        version: l.version,
                        summary: l.summary,
                        percent: l.percent,
                        submitted_at: l.submitted_at,
                    }),
                    last_chased_at: r.last_chased_at,
                }
            })
            .collect(),
    };
    Ok(crate::web::cache::Drawn {
        title: String::new(),
        html: serde_json::to_string(&body).map_err(|e| AppError::Internal(e.into()))?,
    })
}

/// Says what a bulk action did, in one line: done, and skipped grouped by reason.
fn outcome_line(viewer: &Viewer, action: &str, out: &BulkOutcome) -> String {
    let mut reasons: Vec<(String, usize)> = Vec::new();
    for s in &out.skipped {
        match reasons.iter_mut().find(|(r, _)| *r == s.reason) {
            Some((_, n)) => *n += 1,
            None => reasons.push((s.reason.clone(), 1)),
        }
    }
    let mut line = viewer.t_with(
        &format!("ledger.bulk.done_{action}"),
        &[
            ("n", &out.done.len().to_string()),
            ("emails", &out.emails.to_string()),
        ],
    );
    if !out.skipped.is_empty() {
        let why: Vec<String> = reasons
            .into_iter()
            .map(|(r, n)| {
                viewer.t_with(
                    "ledger.bulk.reason_count",
                    &[("reason", &r), ("n", &n.to_string())],
                )
            })
            .collect();
        line.push_str(&viewer.t_with(
            "ledger.bulk.skipped",
            &[
                ("n", &out.skipped.len().to_string()),
                ("why", &why.join(&viewer.t("ledger.bulk.separator"))),
            ],
        ));
    }
    line
}

/// `POST /ledger/bulk`: the office acts on the chosen rows, then returns to the same view.
pub async fn bulk_action(
    state: web::Data<AppState>,
    post: CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm { viewer, form } = post;
    require(&viewer.user, Action::Administer)?;
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut ids = Vec::new();
    for (k, v) in &form {
        if k == "ids" {
            ids.push(v.parse::<i32>().map_err(|_| {
                AppError::Validation(viewer.t_with("ledger.bulk.bad_id", &[("value", v)]))
            })?);
        }
    }
    // Back to the view the office acted from (its filter only; never another site).
    let back =
        LedgerFilter::parse(&field("return"), true).or_else(|_| LedgerFilter::parse("", true))?;
    let back = format!("/ledger?{}", back.query_with(&[("page", None)]));
    let action = field("action");
    let note = field("note");
    let (user, now, today) = (viewer.user.clone(), state.clock.now(), state.today());
    let settings = state.settings.clone();
    let mailroom = state.mailroom.clone();
    let act = action.clone();
    let result = state
        .db(move |conn| match act.as_str() {
            "accept" => bulk::accept(conn, &user, &ids, now),
            "chase" => {
                let runner = mailroom.runner(&settings);
                bulk::chase_now(conn, &runner, &user, &ids, now)
            }
            "phone" => bulk::phone_chase(conn, &user, &ids, &note, today, now),
            other => Err(AppError::Validation(crate::i18n::tr(
                "ledger.bulk.unknown_action",
                &[("action", other)],
            ))),
        })
        .await;
    let message = match &result {
        Ok(out) => {
            if action == "chase" && out.emails > 0 {
                state.mailroom.nudge();
            }
            outcome_line(&viewer, &action, out)
        }
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => e.user_message(),
        Err(_) => return result.map(|_| HttpResponse::Ok().finish()),
    };
    let v = viewer.clone();
    state.db(move |conn| flash(conn, &v, &message)).await?;
    Ok(see_other(back))
}
