//! Signing in and out, and changing one's own password.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::accounts;
use crate::authz::{require, Action};
use crate::db::departments::Change;
use crate::domain::accounts::safe_next;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::security;
use crate::web::auth::{
    cookie, csrf_refused, removal, CsrfForm, Viewer, LANG_COOKIE, LOGIN_CSRF_COOKIE, SESSION_COOKIE,
};
use crate::web::respond::see_other;
use crate::web::state::AppState;
use crate::web::templates::Page;

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

#[derive(Serialize)]
struct LoginData {
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
}

/// One message for every kind of failure, so the form does not reveal which user names exist.
const LOGIN_FAILED: &str = "login.failed";

fn login_page(
    state: &AppState,
    req: &HttpRequest,
    status: actix_web::http::StatusCode,
    data: LoginData,
) -> Result<HttpResponse, AppError> {
    let lang = crate::web::auth::request_lang(req);
    let title = crate::i18n::t(lang, "login.title", &[]);
    let html = state
        .templates
        .render("login", &Page::new(title, "", &data).in_lang(lang))?;
    let secure = state.settings.auth.secure_cookies;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(cookie(LOGIN_CSRF_COOKIE, data.csrf, secure))
        .body(html))
}

pub async fn login_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, AppError> {
    let next = query
        .next
        .as_deref()
        .and_then(safe_next)
        .unwrap_or("/")
        .to_string();
    // Keep an existing token so that two open login tabs both work.
    let csrf = req
        .cookie(LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| v.len() == 64)
        .unwrap_or_else(|| security::random_hex(32));
    login_page(
        &state,
        &req,
        actix_web::http::StatusCode::OK,
        LoginData {
            csrf,
            next,
            username: String::new(),
            error: None,
        },
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf_token: String,
}

pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let expected = req.cookie(LOGIN_CSRF_COOKIE).map(|c| c.value().to_string());
    if !expected.is_some_and(|e| !e.is_empty() && security::same_secret(&e, &form.csrf_token)) {
        return Err(csrf_refused());
    }
    if form.username.len() > 64 || form.password.len() > 256 {
        return Err(AppError::Validation(crate::i18n::tr(
            "web.login.too_long",
            &[],
        )));
    }
    let now = state.clock.now();
    let auth = state.settings.auth.clone();
    let (username, password) = (form.username.clone(), form.password);
    let outcome = state
        .db(move |conn| {
            let user = match accounts::check_login(conn, &username, &password, now, &auth)? {
                Ok(user) => user,
                Err(failure) => return Ok(Err(failure)),
            };
            let session = accounts::start_session(conn, &user, now)?;
            Ok(Ok(session))
        })
        .await?;
    match outcome {
        Ok(session) => {
            let next = safe_next(&form.next).unwrap_or("/");
            let secure = state.settings.auth.secure_cookies;
            let value = state.signer.sign(&session.id);
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, next.to_string()))
                .cookie(cookie(SESSION_COOKIE, value, secure))
                .cookie(removal(LOGIN_CSRF_COOKIE, secure))
                .finish())
        }
        Err(failure) => {
            tracing::info!(?failure, "sign-in refused");
            login_page(
                &state,
                &req,
                actix_web::http::StatusCode::UNAUTHORIZED,
                LoginData {
                    csrf: form.csrf_token,
                    next: safe_next(&form.next).unwrap_or("/").to_string(),
                    username: form.username,
                    error: Some(crate::i18n::t(
                        crate::web::auth::request_lang(&req),
                        LOGIN_FAILED,
                        &[],
                    )),
                },
            )
        }
    }
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn logout(
    state: web::Data<AppState>,
    post: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let viewer = post.viewer;
    let now = state.clock.now();
    let user_id = viewer.user.id;
    let session = viewer.session.clone();
    state
        .db(move |conn| {
            let user = crate::db::users::find(conn, user_id)?
                .ok_or_else(|| AppError::not_found("user"))?;
            Ok(accounts::end_session(conn, &session, &user, now)?)
        })
        .await?;
    let secure = state.settings.auth.secure_cookies;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/login"))
        .cookie(removal(SESSION_COOKIE, secure))
        .finish())
}

#[derive(Serialize)]
struct PasswordData {
    error: Option<String>,
}

pub async fn password_form(
    state: web::Data<AppState>,
    viewer: Viewer,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::ChangeOwnPassword)?;
    let page = Page::for_viewer(
        &viewer,
        viewer.t("plan.password.heading"),
        "account",
        PasswordData { error: None },
    );
    state.page("account_password", &page)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

pub async fn change_password(
    state: web::Data<AppState>,
    post: CsrfForm<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm { viewer, form } = post;
    require(&viewer.user, Action::ChangeOwnPassword)?;
    let now = state.clock.now();
    let wrong_current = viewer.t("plan.password.wrong_current");
    let mismatch = viewer.t("plan.password.mismatch");
    let changed = viewer.t("plan.password.changed");
    let (user_id, username, session) = (
        viewer.user.id,
        viewer.user.username.clone(),
        viewer.session.clone(),
    );
    let outcome = state
        .db(move |conn| {
            let user = crate::db::users::find(conn, user_id)?
                .ok_or_else(|| AppError::not_found("user"))?;
            if !security::verify_password(&form.current, &user.password_hash) {
                return Ok(Err(wrong_current));
            }
            if form.password != form.confirm {
                return Ok(Err(mismatch));
            }
            let change = Change {
                actor: &username,
                at: now,
            };
            match accounts::set_password(conn, user_id, &form.password, Some(&session), change) {
                Ok(()) => {
                    crate::db::sessions::set_flash(conn, &session, Some(&changed))?;
                    Ok(Ok(()))
                }
                Err(accounts::AccountError::Invalid(m)) => Ok(Err(m)),
                Err(e) => Err(e.into()),
            }
        })
        .await?;
    match outcome {
        Ok(()) => Ok(see_other("/")),
        Err(message) => {
            let page = Page::for_viewer(
                &viewer,
                viewer.t("plan.password.heading"),
                "account",
                PasswordData {
                    error: Some(message),
                },
            );
            let html = state.templates.render("account_password", &page)?;
            Ok(HttpResponse::UnprocessableEntity()
                .content_type("text/html; charset=utf-8")
                .body(html))
        }
    }
}

/// Where the language switch returns to: the page it was pressed on (the same-origin
/// `Referer`), else the home page.
fn back_to(req: &HttpRequest) -> String {
    let host = req.connection_info().host().to_string();
    req.headers()
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| (&rest[..i], &rest[i..])))
        .filter(|(authority, _)| *authority == host)
        .and_then(|(_, path)| safe_next(path))
        .filter(|p| !p.starts_with("/language/"))
        .unwrap_or("/")
        .to_string()
}

/// `GET /language/{code}`: the switch for visitors not signed in; remembered in a cookie.
pub async fn set_language_cookie(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::parse(&code).ok_or_else(|| {
        AppError::NotFound(crate::i18n::tr(
            "web.login.unknown_language",
            &[("code", code.as_str())],
        ))
    })?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, back_to(&req)))
        .cookie(language_cookie(lang, state.settings.auth.secure_cookies))
        .finish())
}

fn language_cookie(lang: Lang, secure: bool) -> actix_web::cookie::Cookie<'static> {
    let mut c = crate::web::auth::cookie(LANG_COOKIE, lang.code().to_string(), secure);
    c.set_max_age(actix_web::cookie::time::Duration::days(365));
    c
}

#[derive(Deserialize)]
pub struct LanguageForm {
    language: String,
}

/// `POST /account/language`: a signed-in person's own language, kept with their account.
pub async fn set_language(
    state: web::Data<AppState>,
    req: HttpRequest,
    post: CsrfForm<LanguageForm>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm { viewer, form } = post;
    let lang = Lang::parse(&form.language).ok_or_else(|| {
        AppError::Validation(crate::i18n::tr(
            "web.login.unknown_language",
            &[("code", &form.language)],
        ))
    })?;
    let now = state.clock.now();
    let user = viewer.user.clone();
    state
        .db(move |conn| Ok(accounts::set_language(conn, &user, lang, now)?))
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, back_to(&req)))
        .cookie(language_cookie(lang, state.settings.auth.secure_cookies))
        .finish())
}
