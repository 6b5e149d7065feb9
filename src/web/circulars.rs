//! 督办通报 pages: the form (from the scorecard's or the ledger's selection), the print view,
//! the `.docx` download and sending.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::authz::{require, Action};
use crate::circulars::{generate, inputs, send, CircularForm};
use crate::domain::circular::Circular;
use crate::error::AppError;
use crate::read::scorecard::ScorecardQuery;
use crate::web::auth::{CsrfForm, NoFields, Viewer};
use crate::web::respond::{attachment, flash, see_other};
use crate::web::state::AppState;
use crate::web::templates::Page;

/// The form as posted: the scorecard's selection and what the office typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CircularPost {
    #[serde(default)]
    document: i32,
    #[serde(default)]
    period: String,
    #[serde(default)]
    window: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    number: String,
    #[serde(default)]
    requirements: String,
}

impl CircularPost {
    fn query(&self) -> ScorecardQuery {
        let some = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
        ScorecardQuery {
            document: Some(self.document).filter(|d| *d > 0),
            period: some(&self.period),
            window: some(&self.window),
            from: some(&self.from),
            to: some(&self.to),
            ..ScorecardQuery::default()
        }
    }

    fn form(&self) -> CircularForm {
        CircularForm {
            issuer: self.issuer.clone(),
            number: self.number.clone(),
            requirements: self.requirements.clone(),
        }
    }

    fn of(query: &ScorecardQuery) -> CircularPost {
        CircularPost {
            document: query.document.unwrap_or(0),
            period: query.period.clone().unwrap_or_default(),
            window: query.window.clone().unwrap_or_default(),
            from: query.from.clone().unwrap_or_default(),
            to: query.to.clone().unwrap_or_default(),
            ..CircularPost::default()
        }
    }
}

#[derive(Serialize)]
struct Past {
    id: i32,
    title: String,
    number: String,
    window_label: String,
    created_at: chrono::NaiveDateTime,
    created_by: String,
    sent_at: Option<chrono::NaiveDateTime>,
}

#[derive(Serialize)]
struct FormData {
    post: CircularPost,
    document_title: String,
    window_label: String,
    documents: Vec<crate::read::scorecard::Choice>,
    windows: Vec<crate::read::scorecard::Choice>,
    periods: Vec<crate::read::scorecard::Choice>,
    past: Vec<Past>,
    error: Option<String>,
}

async fn form_page(
    state: &AppState,
    viewer: &Viewer,
    post: CircularPost,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let query = post.query();
    let (weights, tz) = (state.settings.scoring, state.settings.timezone);
    let mut post = post;
    let (view, past) = state
        .db_lit(move |conn, rules| {
            // A window that cannot be scored still shows the form, with the message.
            let view = match crate::read::scorecard::load(conn, &query, rules, &weights, tz) {
                Ok(v) => v,
                Err(AppError::Validation(_)) => crate::read::scorecard::load(
                    conn,
                    &ScorecardQuery {
                        document: query.document,
                        ..ScorecardQuery::default()
                    },
                    rules,
                    &weights,
                    tz,
                )?,
                Err(e) => return Err(e),
            };
            let past = crate::db::circulars::of_document(conn, view.document.id)?
                .into_iter()
                .map(|c| Past {
                    id: c.id,
                    title: c.title,
                    number: c.number,
                    window_label: c.window_label,
                    created_at: c.created_at,
                    created_by: c.created_by,
                    sent_at: c.sent_at,
                })
                .collect::<Vec<_>>();
            Ok((view, past))
        })
        .await?;
    post.document = view.document.id;
    if post.issuer.is_empty() {
        post.issuer = format!(
            "{}{}",
            view.document.issuing_office.clone().unwrap_or_default(),
            viewer.t("web.circulars.office")
        );
    }
    if post.requirements.is_empty() && error.is_none() {
        post.requirements = viewer.t("service.circular.default_requirements");
    }
    let data = FormData {
        post,
        document_title: view.document.title.clone().unwrap_or_default(),
        window_label: view.window.label.clone(),
        documents: view.documents.clone(),
        windows: view.windows.clone(),
        periods: view.periods.clone(),
        past,
        error,
    };
    let page = Page::for_viewer(viewer, viewer.t("web.circulars.title"), "scorecard", data);
    state.page_with_status("circular_form", &page, status)
}

/// `GET /circulars/new?document=…&window=…`: the form, for the scorecard's selection.
pub async fn new(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<ScorecardQuery>,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::Administer)?;
    let post = CircularPost::of(&query);
    form_page(&state, &viewer, post, None, StatusCode::OK).await
}

/// `POST /circulars`: generates and stores the circular, then shows it.
pub async fn create(
    state: web::Data<AppState>,
    post: CsrfForm<CircularPost>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm { viewer, form } = post;
    require(&viewer.user, Action::Administer)?;
    let (weights, tz, now) = (
        state.settings.scoring,
        state.settings.timezone,
        state.clock.now(),
    );
    let user = viewer.user.clone();
    let query = form.query();
    let typed = form.form();
    let result = state
        .db_lit(move |conn, rules| {
            Ok(generate(
                conn, &user, &query, &typed, rules, &weights, tz, now,
            ))
        })
        .await?;
    match result {
        Ok(id) => Ok(see_other(format!("/circulars/{id}"))),
        Err(AppError::Validation(message)) => {
            form_page(
                &state,
                &viewer,
                form,
                Some(message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

#[derive(Serialize)]
struct ShowData {
    id: i32,
    circular: Circular,
    date: String,
    number: String,
    requirements: Vec<String>,
    sent_at: Option<chrono::NaiveDateTime>,
    created_by: String,
    admin: bool,
}

/// `GET /circulars/{id}`: the print view (leaders and the office).
pub async fn show(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::ReadScorecard)?;
    let id = id.into_inner();
    let row = state
        .db(move |conn| Ok(crate::db::circulars::find(conn, id)?))
        .await?
        .ok_or_else(|| AppError::not_found("circular"))?;
    let circular = inputs(&row).ok_or_else(|| AppError::not_found("circular"))?;
    let data = ShowData {
        id,
        date: crate::domain::circular::chinese_date(circular.date),
        number: if circular.number.is_empty() {
            circular.words.number_blank.clone()
        } else {
            circular.number.clone()
        },
        requirements: circular
            .requirements
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
        sent_at: row.sent_at,
        created_by: row.created_by,
        admin: viewer.user.is_admin(),
        circular,
    };
    let title = data.circular.title.clone();
    state.page(
        "circular",
        &Page::for_viewer(&viewer, title, "scorecard", data),
    )
}

/// `GET /circulars/{id}/docx`: the Word file as stored.
pub async fn download(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::ReadScorecard)?;
    let id = id.into_inner();
    let (row, bytes) = state
        .db(move |conn| {
            Ok((
                crate::db::circulars::find(conn, id)?,
                crate::db::circulars::file(conn, id)?,
            ))
        })
        .await?;
    let (Some(row), Some(bytes)) = (row, bytes) else {
        return Err(AppError::not_found("circular"));
    };
    let name = format!("{}（{}）.docx", row.title, row.window_label);
    Ok(attachment(
        bytes,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        &name,
    ))
}

/// `POST /circulars/{id}/send`: word of it to leaders and units, once.
pub async fn send_out(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    post: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm { viewer, .. } = post;
    require(&viewer.user, Action::Administer)?;
    let id = id.into_inner();
    let now = state.clock.now();
    let settings = state.settings.clone();
    let v = viewer.clone();
    state
        .db(move |conn| {
            let n = send(conn, &v.user, id, &settings, now)?;
            flash(
                conn,
                &v,
                &v.t_with("web.circulars.sent", &[("n", &n.to_string())]),
            )
        })
        .await?;
    state.mailroom.nudge();
    Ok(see_other(format!("/circulars/{id}")))
}
