//! 节假日安排: the office's page for each year's days off and make-up working days.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::Datelike;
use serde::{Deserialize, Serialize};

use crate::authz::{require, Action};
use crate::domain::calendar::{format_days, shipped, YearDays};
use crate::error::AppError;
use crate::holidays::{editable, parse_year, save_year};
use crate::reporting::ReportingError;
use crate::web::auth::{CsrfForm, Viewer};
use crate::web::respond::{flash, see_other};
use crate::web::state::AppState;
use crate::web::templates::Page;

#[derive(Deserialize, Default)]
pub struct YearQuery {
    #[serde(default)]
    year: Option<i32>,
}

#[derive(Deserialize, Serialize, Clone, Default)]
pub struct YearForm {
    /// Missing or not a number: 0, refused as a year after the access check.
    #[serde(default)]
    year: i32,
    #[serde(default)]
    holidays: String,
    #[serde(default)]
    workdays: String,
}

#[derive(Serialize)]
struct YearLine {
    year: i32,
    /// `office` (saved here), `shipped` (the defaults) or `missing`.
    source: &'static str,
    holidays: usize,
    workdays: usize,
    updated_by: Option<String>,
    updated_at: Option<chrono::NaiveDateTime>,
    current: bool,
}

#[derive(Serialize)]
struct CalendarData {
    years: Vec<YearLine>,
    form: YearForm,
    source: &'static str,
    error: Option<String>,
    /// The field the error belongs to: `holidays` or `workdays`.
    error_field: Option<&'static str>,
}

/// The years listed, with where each one's days come from, and the chosen year's days.
fn listing(
    conn: &mut crate::db::DbConn,
    chosen: i32,
    this_year: i32,
) -> Result<(Vec<YearLine>, Option<YearDays>, &'static str), AppError> {
    let stored = crate::db::calendar::stored(conn)?;
    let shipped = shipped();
    let first = shipped
        .iter()
        .map(|y| y.year)
        .chain(stored.iter().map(|r| r.year))
        .min()
        .unwrap_or(this_year)
        .min(this_year);
    let last = stored
        .iter()
        .map(|r| r.year)
        .max()
        .unwrap_or(this_year)
        .max(this_year + 1)
        .max(chosen);
    let mut years = Vec::new();
    let mut days = None;
    let mut source = "missing";
    for year in first..=last {
        let line = if let Some(r) = stored.iter().find(|r| r.year == year) {
            let d = r.days();
            let line = YearLine {
                year,
                source: "office",
                holidays: d.holidays.len(),
                workdays: d.workdays.len(),
                updated_by: Some(r.updated_by.clone()),
                updated_at: Some(r.updated_at),
                current: year == chosen,
            };
            if year == chosen {
                days = Some(d);
            }
            line
        } else if let Some(d) = shipped.iter().find(|y| y.year == year) {
            if year == chosen {
                days = Some(d.clone());
            }
            YearLine {
                year,
                source: "shipped",
                holidays: d.holidays.len(),
                workdays: d.workdays.len(),
                updated_by: None,
                updated_at: None,
                current: year == chosen,
            }
        } else {
            YearLine {
                year,
                source: "missing",
                holidays: 0,
                workdays: 0,
                updated_by: None,
                updated_at: None,
                current: year == chosen,
            }
        };
        if line.current {
            source = line.source;
        }
        years.push(line);
    }
    Ok((years, days, source))
}

fn calendar_page(
    state: &AppState,
    viewer: &Viewer,
    data: CalendarData,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let page = Page::for_viewer(viewer, viewer.t("admin.calendar.title"), "reminders", data);
    state.page_with_status("admin_calendar", &page, status)
}

/// `GET /admin/calendar[?year=Y]`.
pub async fn calendar(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<YearQuery>,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::Administer)?;
    let today = state.today();
    let this_year = today.year();
    // From November, next year's calendar is the one to fill in.
    let chosen = query.year.unwrap_or(if today.month() >= 11 {
        this_year + 1
    } else {
        this_year
    });
    if !editable(chosen, this_year) {
        return Err(AppError::Validation(viewer.t_with(
            "admin.calendar.bad_year",
            &[("year", &chosen.to_string())],
        )));
    }
    let (years, days, source) = state
        .db(move |conn| listing(conn, chosen, this_year))
        .await?;
    let form = YearForm {
        year: chosen,
        holidays: days
            .as_ref()
            .map(|d| format_days(&d.holidays))
            .unwrap_or_default(),
        workdays: days
            .as_ref()
            .map(|d| format_days(&d.workdays))
            .unwrap_or_default(),
    };
    let data = CalendarData {
        years,
        form,
        source,
        error: None,
        error_field: None,
    };
    calendar_page(&state, &viewer, data, StatusCode::OK)
}

/// `POST /admin/calendar`: saves a year and moves the due dates it changes.
pub async fn save(
    state: web::Data<AppState>,
    post: CsrfForm<YearForm>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm { viewer, form } = post;
    require(&viewer.user, Action::Administer)?;
    let this_year = state.today().year();
    let refused = |error: String, field: Option<&'static str>, form: YearForm| {
        let state = state.clone();
        let viewer = viewer.clone();
        async move {
            let chosen = form.year;
            let (years, _, source) = state
                .db(move |conn| listing(conn, chosen, this_year))
                .await?;
            let data = CalendarData {
                years,
                form,
                source,
                error: Some(error),
                error_field: field,
            };
            calendar_page(&state, &viewer, data, StatusCode::UNPROCESSABLE_ENTITY)
        }
    };
    if !editable(form.year, this_year) {
        let message = viewer.t_with(
            "admin.calendar.bad_year",
            &[("year", &form.year.to_string())],
        );
        return Err(AppError::Validation(message));
    }
    let days = match parse_year(form.year, &form.holidays, &form.workdays) {
        Ok(days) => days,
        Err(ReportingError::Field { field, message }) => {
            return refused(message, Some(field), form).await
        }
        Err(e) => return Err(e.into()),
    };
    let now = state.clock.now();
    let user = viewer.user.clone();
    let year = form.year;
    let v = viewer.clone();
    state
        .db(move |conn| {
            let moved = save_year(conn, &user, &days, now)?;
            let message = v.t_with(
                "admin.calendar.saved",
                &[("year", &year.to_string()), ("moved", &moved.to_string())],
            );
            flash(conn, &v, &message)
        })
        .await?;
    Ok(see_other(format!("/admin/calendar?year={year}")))
}
