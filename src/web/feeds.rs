//! Calendar feeds on the web: the public `.ics` at its secret address, and setting one up or
//! revoking it — a person's own on the account page, a unit's on its admin page.

use actix_web::{web, HttpResponse};

use crate::db::feeds::Owner;
use crate::error::AppError;
use crate::web::auth::{CsrfForm, NoFields, Viewer};
use crate::web::respond::{flash, see_other};
use crate::web::state::AppState;

/// What a page shows of a feed: when it was set up and last fetched (never its address,
/// which is shown once when it is made).
#[derive(serde::Serialize, Clone)]
pub struct FeedInfo {
    pub created_at: chrono::NaiveDateTime,
    pub created_by: String,
    pub last_fetched_at: Option<chrono::NaiveDateTime>,
}

pub fn info(conn: &mut crate::db::DbConn, owner: Owner) -> Result<Option<FeedInfo>, AppError> {
    Ok(crate::db::feeds::active(conn, owner)?.map(|f| FeedInfo {
        created_at: f.created_at,
        created_by: f.created_by,
        last_fetched_at: f.last_fetched_at,
    }))
}

/// `GET /calendar/{token}.ics`: no sign-in; the token is the key.
pub async fn feed(
    state: web::Data<AppState>,
    file: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Some(token) = file.into_inner().strip_suffix(".ics").map(str::to_string) else {
        return Err(AppError::not_found("calendar feed"));
    };
    let (base, today, now) = (
        state.settings.base_url.clone(),
        state.today(),
        state.clock.now(),
    );
    let text = state
        .db(move |conn| Ok(crate::feeds::render(conn, &token, &base, today, now)?))
        .await?;
    match text {
        Some(text) => Ok(HttpResponse::Ok()
            .content_type("text/calendar; charset=utf-8")
            .insert_header(("Cache-Control", "no-store"))
            .insert_header(("Content-Disposition", "inline; filename=\"duban.ics\""))
            .body(text)),
        None => Err(AppError::not_found("calendar feed")),
    }
}

async fn make(
    state: &AppState,
    viewer: Viewer,
    owner: Owner,
    back: String,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let base = state.settings.base_url.clone();
    state
        .db(move |conn| {
            let token = crate::feeds::create(conn, &viewer.user, owner, now)?;
            let url = format!("{base}/calendar/{token}.ics");
            flash(
                conn,
                &viewer,
                &viewer.t_with("web.feeds.made", &[("url", &url)]),
            )
        })
        .await?;
    Ok(see_other(&back))
}

async fn stop(
    state: &AppState,
    viewer: Viewer,
    owner: Owner,
    back: String,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    state
        .db(move |conn| {
            let had = crate::feeds::revoke(conn, &viewer.user, owner, now)?;
            let key = if had {
                "web.feeds.revoked"
            } else {
                "web.feeds.none"
            };
            flash(conn, &viewer, &viewer.t(key))
        })
        .await?;
    Ok(see_other(&back))
}

/// `POST /account/calendar`: a new address for one's own feed.
pub async fn create_own(
    state: web::Data<AppState>,
    post: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let owner = Owner::User(post.viewer.user.id);
    make(
        &state,
        post.viewer,
        owner,
        "/account/password#calendar".into(),
    )
    .await
}

/// `POST /account/calendar/revoke`.
pub async fn revoke_own(
    state: web::Data<AppState>,
    post: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let owner = Owner::User(post.viewer.user.id);
    stop(
        &state,
        post.viewer,
        owner,
        "/account/password#calendar".into(),
    )
    .await
}

/// `POST /admin/departments/{id}/calendar`: a unit's feed, set up by the office.
pub async fn create_unit(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    post: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let back = format!("/admin/departments/{id}#calendar");
    make(&state, post.viewer, Owner::Department(id), back).await
}

/// `POST /admin/departments/{id}/calendar/revoke`.
pub async fn revoke_unit(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    post: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let back = format!("/admin/departments/{id}#calendar");
    stop(&state, post.viewer, Owner::Department(id), back).await
}
