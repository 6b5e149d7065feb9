//! HTML pages for reading the plan: thin handlers that check access, load a view and render
//! its template.

use actix_web::{http::header, web, HttpResponse};

use crate::authz::{require, Action};
use crate::db::documents;
use crate::error::AppError;
use crate::web::auth::Viewer;
use crate::web::progress;
use crate::web::state::AppState;
use crate::web::templates::Page;
use crate::web::views;

#[derive(serde::Serialize)]
struct IndexData {
    documents: Vec<documents::DocumentSummary>,
    /// A liaison's own department's measures, shown first.
    mine: Option<views::DepartmentView>,
    /// A liaison's work: overdue, due soon, returned, drafts, receipts to acknowledge.
    desk: Option<progress::Desk>,
}

pub async fn index(state: web::Data<AppState>, viewer: Viewer) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::ReadPlan)?;
    let department = viewer.user.department_id;
    let user = viewer.user.clone();
    let (documents, mine, desk) = state
        .db_lit(move |conn, rules| {
            let (mine, desk) = match department {
                Some(id) => (
                    Some(views::department(conn, id, &user, rules)?),
                    Some(progress::desk(conn, id, rules)?),
                ),
                None => (None, None),
            };
            Ok((documents::list(conn)?, mine, desk))
        })
        .await?;
    let data = IndexData {
        documents,
        mine,
        desk,
    };
    state.page(
        "index",
        &Page::for_viewer(&viewer, viewer.t("plan.index.heading"), "documents", data),
    )
}

pub async fn document(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::ReadPlan)?;
    let id = id.into_inner();
    let view = state
        .db_lit(move |conn, rules| views::document(conn, id, rules))
        .await?;
    let title = view
        .document
        .title
        .clone()
        .or_else(|| view.document.number.clone())
        .unwrap_or_else(|| viewer.t("plan.document.untitled"));
    state.page(
        "document",
        &Page::for_viewer(&viewer, title, "documents", view),
    )
}

pub async fn measure(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::ReadPlan)?;
    let id = id.into_inner();
    let user = viewer.user.clone();
    let view = state
        .db_lit(move |conn, rules| views::measure(conn, id, &user, rules))
        .await?;
    let title = viewer.t_with(
        "plan.measure.title",
        &[
            ("label", &view.measure.label),
            ("title", &view.measure.title),
        ],
    );
    state.page(
        "measure",
        &Page::for_viewer(&viewer, title, "documents", view),
    )
}

pub async fn departments(
    state: web::Data<AppState>,
    viewer: Viewer,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::ReadPlan)?;
    let view = state.db(views::directory).await?;
    state.page(
        "departments",
        &Page::for_viewer(
            &viewer,
            viewer.t("plan.departments.heading"),
            "departments",
            view,
        ),
    )
}

pub async fn department(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::ReadPlan)?;
    let id = id.into_inner();
    let user = viewer.user.clone();
    let view = state
        .db_lit(move |conn, rules| views::department(conn, id, &user, rules))
        .await?;
    let title = view.department.name.clone();
    state.page(
        "department",
        &Page::for_viewer(&viewer, title, "departments", view),
    )
}

const STYLESHEET: &str = include_str!("../../assets/app.css");

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLESHEET)
}

/// `200 ok` when the database answers. The check has a connection of its own, so it never
/// waits behind page work for one, and gives up after two seconds.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.health.clone();
    let check = web::block(move || -> Result<(), String> {
        use diesel::connection::SimpleConnection;
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        conn.batch_execute("SELECT 1").map_err(|e| e.to_string())
    });
    let answer = match actix_web::rt::time::timeout(std::time::Duration::from_secs(2), check).await
    {
        Ok(Ok(result)) => result,
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("no answer within 2 s".to_string()),
    };
    match answer {
        Ok(()) => HttpResponse::Ok()
            .content_type("text/plain")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body("ok"),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain")
                .insert_header((header::RETRY_AFTER, "5"))
                .body("database unavailable")
        }
    }
}
