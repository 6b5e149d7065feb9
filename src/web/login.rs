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
    cookie, cookie_value, csrf_refused, removal, CsrfForm, Viewer, DEVICE_COOKIE, LANG_COOKIE,
    LOGIN_CSRF_COOKIE, SESSION_COOKIE,
};
use crate::web::respond::see_other;
use crate::web::state::AppState;
use crate::web::templates::Page;

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    /// Set when a report arrived after the session ended: `draft` (kept as a draft) or
    /// `none` (it could not be kept).
    kept: Option<String>,
}

#[derive(Serialize)]
struct LoginData {
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
    notice: Option<String>,
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
    let lang = crate::web::auth::request_lang(&req);
    // Keep an existing token so that two open login tabs both work.
    let csrf = cookie_value(&req, LOGIN_CSRF_COOKIE)
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
            notice: match query.kept.as_deref() {
                Some("draft") => Some(crate::i18n::t(lang, "login.draft_kept", &[])),
                Some("none") => Some(crate::i18n::t(lang, "login.session_ended", &[])),
                _ => None,
            },
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
    let expected = cookie_value(&req, LOGIN_CSRF_COOKIE);
    if !expected.is_some_and(|e| !e.is_empty() && security::same_secret(&e, &form.csrf_token)) {
        return Err(csrf_refused());
    }
    if form.username.len() > 64 || form.password.len() > 256 {
        return Err(AppError::Validation(crate::i18n::tr(
            "web.login.too_long",
            &[],
        )));
    }
    let lang = crate::web::auth::request_lang(&req);
    let username = form.username.trim().to_lowercase();
    let device = cookie_value(&req, DEVICE_COOKIE).and_then(|c| device_of(&state, &c, &username));
    let trusted = device
        .as_deref()
        .is_some_and(|d| state.guard.device_trusted(d));
    let refuse = |status, key: &str, args: &[(&str, &str)]| {
        login_page(
            &state,
            &req,
            status,
            LoginData {
                csrf: form.csrf_token.clone(),
                next: safe_next(&form.next).unwrap_or("/").to_string(),
                username: form.username.clone(),
                error: Some(crate::i18n::t(lang, key, args)),
                notice: None,
            },
        )
    };
    if !trusted {
        // Guessing from one address slows down; a browser that signed in before is exempt.
        if let Err(wait) = state.guard.check_address(peer_ip(&req)) {
            tracing::warn!(address = ?peer_ip(&req), "sign-in attempts throttled");
            let seconds = wait.as_secs().max(1).to_string();
            let mut res = refuse(
                actix_web::http::StatusCode::TOO_MANY_REQUESTS,
                "login.throttled",
                &[("seconds", &seconds)],
            )?;
            res.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from_str(&seconds).expect("digits"),
            );
            return Ok(res);
        }
    }
    let now = state.clock.now();
    let name = username.clone();
    let candidate = state
        .db(move |conn| Ok(accounts::login_candidate(conn, &name)?))
        .await?;
    let allowed = match &candidate {
        Some(user) => accounts::login_allowed(user, trusted, now),
        None => Err(accounts::LoginFailure::UnknownUser),
    };
    // The slow hash runs without a database connection, a few at a time.
    let matched = match &allowed {
        Ok(()) => {
            let hash = candidate
                .as_ref()
                .map(|u| u.password_hash.clone())
                .unwrap_or_default();
            verify_bounded(&state, form.password.clone(), Some(hash)).await?
        }
        Err(accounts::LoginFailure::UnknownUser) => {
            verify_bounded(&state, form.password.clone(), None).await?;
            false
        }
        Err(_) => false,
    };
    let outcome = match (candidate, allowed) {
        (Some(user), Ok(())) => {
            let auth = state.settings.auth.clone();
            let previous = cookie_value(&req, SESSION_COOKIE)
                .and_then(|c| state.signer.verify(&c).map(security::sha256_hex));
            state
                .db(move |conn| {
                    match accounts::record_login(conn, user, matched, trusted, now, &auth)? {
                        Ok(user) => {
                            let session =
                                accounts::start_session(conn, &user, previous.as_deref(), now)?;
                            Ok(Ok((user.username, session)))
                        }
                        Err(f) => Ok(Err(f)),
                    }
                })
                .await?
        }
        (_, Err(f)) => Err(f),
        (None, Ok(())) => Err(accounts::LoginFailure::UnknownUser),
    };
    match outcome {
        Ok((username, session)) => {
            if let Some(d) = &device {
                state.guard.device_succeeded(d);
            }
            let next = safe_next(&form.next).unwrap_or("/");
            let secure = state.settings.auth.secure_cookies;
            let value = state.signer.sign(&session.id);
            let mut device_cookie = cookie(
                DEVICE_COOKIE,
                state
                    .signer
                    .sign(&format!("device:{username}:{}", security::random_hex(16))),
                secure,
            );
            device_cookie.set_path("/login");
            device_cookie.set_max_age(actix_web::cookie::time::Duration::days(180));
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, next.to_string()))
                .cookie(cookie(SESSION_COOKIE, value, secure))
                .cookie(removal(LOGIN_CSRF_COOKIE, secure))
                .cookie(device_cookie)
                .finish())
        }
        Err(failure) => {
            tracing::info!(?failure, username = ?username, "sign-in refused");
            match (&device, trusted) {
                (Some(d), true) => state.guard.device_failed(d),
                _ => state.guard.address_failed(peer_ip(&req)),
            }
            refuse(actix_web::http::StatusCode::UNAUTHORIZED, LOGIN_FAILED, &[])
        }
    }
}

/// The device cookie's id when it was issued to this browser for `username`.
fn device_of(state: &AppState, cookie: &str, username: &str) -> Option<String> {
    let value = state.signer.verify(cookie)?;
    let rest = value.strip_prefix("device:")?;
    let (name, id) = rest.rsplit_once(':')?;
    (name == username && !username.is_empty()).then(|| id.to_string())
}

fn peer_ip(req: &HttpRequest) -> std::net::IpAddr {
    req.peer_addr()
        .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |a| a.ip())
}

/// Checks a password against `hash` (or spends the same time against nothing, for an unknown
/// user) on a blocking thread, at most `auth.hash_concurrency` at once. A sign-in that cannot
/// start its hash within ten seconds is answered 503.
async fn verify_bounded(
    state: &AppState,
    password: String,
    hash: Option<String>,
) -> Result<bool, AppError> {
    let permit = actix_web::rt::time::timeout(
        std::time::Duration::from_secs(10),
        state.hashing.clone().acquire_owned(),
    )
    .await
    .map_err(|_| AppError::Unavailable(crate::i18n::tr("service.error.busy", &[])))?
    .map_err(|_| AppError::Unavailable(crate::i18n::tr("service.error.busy", &[])))?;
    let matched = web::block(move || {
        let _permit = permit;
        match hash {
            Some(h) => security::verify_password(&password, &h),
            None => {
                security::verify_against_nothing(&password);
                false
            }
        }
    })
    .await?;
    Ok(matched)
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
    /// One's own calendar feed, if set up.
    feed: Option<crate::web::feeds::FeedInfo>,
}

pub async fn password_form(
    state: web::Data<AppState>,
    viewer: Viewer,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::ChangeOwnPassword)?;
    let me = viewer.user.id;
    let feed = state
        .db(move |conn| crate::web::feeds::info(conn, crate::db::feeds::Owner::User(me)))
        .await?;
    let page = Page::for_viewer(
        &viewer,
        viewer.t("plan.password.heading"),
        "account",
        PasswordData { error: None, feed },
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
                    feed: None,
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
