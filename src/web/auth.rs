//! Authentication: the session cookie for pages, bearer tokens for the API (never cookies),
//! and the CSRF synchronizer token that every state-changing form carries.

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::authz::CurrentUser;
use crate::db::users::User;
use crate::db::{sessions, tokens};
use crate::domain::accounts::Role;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::security;
use crate::web::state::AppState;

pub const SESSION_COOKIE: &str = "duban_session";
/// Before sign-in there is no session: the login form's CSRF token lives in its own cookie
/// (double submit).
pub const LOGIN_CSRF_COOKIE: &str = "duban_login_csrf";

/// The interface language chosen in this browser (set by the language switch).
pub const LANG_COOKIE: &str = "duban_lang";

/// Set at sign-in, sent only to the login form: this browser signed in to that account
/// before (see `web::guard`).
pub const DEVICE_COOKIE: &str = "duban_device";

/// A cookie's name on the wire. Behind https the names carry the `__Host-` prefix (the
/// browser then accepts them only with `Secure`, for this host and path `/`, so a sibling
/// subdomain cannot plant one); the device cookie, whose path is `/login`, `__Secure-`.
pub fn wire_name(name: &'static str, secure: bool) -> String {
    match (secure, name) {
        (false, _) => name.to_string(),
        (true, DEVICE_COOKIE) => format!("__Secure-{name}"),
        (true, _) => format!("__Host-{name}"),
    }
}

fn secure_site(req: &HttpRequest) -> bool {
    req.app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.settings.auth.secure_cookies)
}

/// The value of one of duban's cookies, under its name on the wire.
pub fn cookie_value(req: &HttpRequest, name: &'static str) -> Option<String> {
    req.cookie(&wire_name(name, secure_site(req)))
        .map(|c| c.value().to_string())
}

/// The language of a request without a signed-in person: the switch's cookie, else the
/// browser's `Accept-Language`, else Chinese.
pub fn request_lang(req: &HttpRequest) -> Lang {
    cookie_value(req, LANG_COOKIE)
        .and_then(|c| Lang::parse(&c))
        .unwrap_or_else(|| {
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .map_or(Lang::Zh, Lang::from_accept_language)
        })
}

pub fn current_user(user: &User, department: Option<String>) -> CurrentUser {
    CurrentUser {
        id: user.id,
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        // The column is constrained to the three roles.
        role: Role::parse(&user.role).unwrap_or(Role::Leader),
        department_id: user.department_id,
        department,
    }
}

fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))
}

/// A signed-in person on a page. Without a live session the request is sent to the login
/// page, and comes back after sign-in.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: CurrentUser,
    /// The session's id digest.
    pub session: String,
    pub csrf: String,
    pub flash: Option<String>,
    /// The person's own choice, else the browser's.
    pub lang: Lang,
    /// For the office: what waits for it, shown beside the navigation's entries.
    pub waiting: Option<crate::read::workbench::Waiting>,
}

impl Viewer {
    /// A text of the catalog in this person's language.
    pub fn t(&self, key: &str) -> String {
        crate::i18n::t(self.lang, key, &[])
    }

    pub fn t_with(&self, key: &str, args: &[(&str, &str)]) -> String {
        crate::i18n::t(self.lang, key, args)
    }
}

impl FromRequest for Viewer {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = state_of(req);
        let cookie = cookie_value(req, SESSION_COOKIE);
        let browser_lang = request_lang(req);
        let next = if req.method() == actix_web::http::Method::GET {
            req.uri()
                .path_and_query()
                .map_or("/".to_string(), |p| p.as_str().to_string())
        } else {
            "/".to_string()
        };
        Box::pin(async move {
            let state = state?;
            let login = || AppError::LoginRequired(next.clone());
            let raw = cookie
                .as_deref()
                .and_then(|c| state.signer.verify(c))
                .ok_or_else(login)?;
            let id_hash = security::sha256_hex(raw);
            let now = state.clock.now();
            let idle = state.settings.auth.idle_timeout;
            let lifetime = state.settings.auth.session_lifetime;
            let found = state
                .db(move |conn| {
                    let Some(s) = sessions::find(conn, &id_hash)? else {
                        return Ok(None);
                    };
                    // An ended session is refused but kept until the next sign-in clears it:
                    // a report sent just after it ended is still saved as a draft (see
                    // `ended_session`).
                    if has_ended(&s, now, idle, lifetime) {
                        return Ok(None);
                    }
                    // Written at most once a minute: reading a page is not a write.
                    if now - s.last_seen_at > chrono::Duration::minutes(1) {
                        sessions::touch(conn, &id_hash, now)?;
                    }
                    if s.flash.is_some() {
                        sessions::set_flash(conn, &id_hash, None)?;
                    }
                    let waiting = if s.user.role == Role::Admin.as_str() {
                        Some(crate::read::workbench::waiting(conn)?)
                    } else {
                        None
                    };
                    Ok(Some((s, waiting)))
                })
                .await?;
            let (s, waiting) = found.ok_or_else(login)?;
            let lang = s
                .user
                .language
                .as_deref()
                .and_then(Lang::parse)
                .unwrap_or(browser_lang);
            crate::i18n::set_current(lang);
            Ok(Viewer {
                lang,
                user: current_user(&s.user, s.department),
                session: s.id_hash,
                csrf: s.csrf_token,
                flash: s.flash,
                waiting,
            })
        })
    }
}

/// A session ends when idle for `idle` or `lifetime` after sign-in.
fn has_ended(
    s: &sessions::SessionUser,
    now: chrono::NaiveDateTime,
    idle: chrono::Duration,
    lifetime: chrono::Duration,
) -> bool {
    now - s.last_seen_at > idle || now - s.created_at > lifetime
}

/// How long after a session ended a form it sent is still saved as the person's draft.
const ENDED_GRACE_HOURS: i64 = 24;

/// The person whose session ended (idle or too old) not long ago, with the session's CSRF
/// token and id: a report form they send is saved as their draft rather than lost. Only
/// the browser holding the signed cookie and the session's CSRF token can send such a form.
pub async fn ended_session(
    req: &HttpRequest,
) -> Result<Option<(CurrentUser, String, String)>, AppError> {
    let state = state_of(req)?;
    let Some(raw) = cookie_value(req, SESSION_COOKIE)
        .as_deref()
        .and_then(|c| state.signer.verify(c).map(str::to_string))
    else {
        return Ok(None);
    };
    let id_hash = security::sha256_hex(&raw);
    let now = state.clock.now();
    let idle = state.settings.auth.idle_timeout;
    let lifetime = state.settings.auth.session_lifetime;
    let grace = chrono::Duration::hours(ENDED_GRACE_HOURS);
    state
        .db(move |conn| {
            let Some(s) = sessions::find(conn, &id_hash)? else {
                return Ok(None);
            };
            let recent = now - s.last_seen_at <= idle + grace;
            Ok((has_ended(&s, now, idle, lifetime) && recent)
                .then(|| (current_user(&s.user, s.department), s.csrf_token, s.id_hash)))
        })
        .await
}

/// The owner of the bearer token an API request carries.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    pub user: CurrentUser,
}

impl FromRequest for ApiCaller {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = state_of(req);
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string());
        Box::pin(async move {
            let state = state?;
            let token = token.filter(|t| !t.is_empty()).ok_or_else(|| {
                AppError::Unauthorized(crate::i18n::tr("web.auth.token_required", &[]))
            })?;
            let hash = security::sha256_hex(&token);
            let now = state.clock.now();
            let found = state
                .db(move |conn| {
                    let found = tokens::find_user(conn, &hash)?;
                    if let Some((id, last_used, _, _)) = &found {
                        if last_used.is_none_or(|t| now - t > chrono::Duration::minutes(1)) {
                            tokens::touch(conn, *id, now)?;
                        }
                    }
                    Ok(found)
                })
                .await?;
            let (_, _, user, department) = found.ok_or_else(|| {
                AppError::Unauthorized(crate::i18n::tr("web.auth.token_invalid", &[]))
            })?;
            Ok(ApiCaller {
                user: current_user(&user, department),
            })
        })
    }
}

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf_token: String,
}

/// A form whose only field is the CSRF token (a button).
#[derive(serde::Deserialize)]
pub struct NoFields {}

/// A form post from a signed-in person, checked against the session's CSRF token before the
/// handler sees it. A post without a valid token is refused with 403 and changes nothing.
pub struct CsrfForm<T> {
    pub viewer: Viewer,
    pub form: T,
}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let viewer = Viewer::from_request(req, payload);
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let viewer = viewer.await?;
            let body = body.await.map_err(|e| {
                AppError::Validation(crate::i18n::tr(
                    "web.form.unreadable",
                    &[("error", &e.to_string())],
                ))
            })?;
            let field: CsrfField = serde_urlencoded::from_bytes(&body)
                .map_err(|_| AppError::Validation(crate::i18n::tr("web.form.invalid", &[])))?;
            if !security::same_secret(&field.csrf_token, &viewer.csrf) {
                return Err(csrf_refused());
            }
            let form = serde_urlencoded::from_bytes(&body).map_err(|e| {
                AppError::Validation(crate::i18n::tr(
                    "web.form.invalid_detail",
                    &[("error", &e.to_string())],
                ))
            })?;
            Ok(CsrfForm { viewer, form })
        })
    }
}

pub fn csrf_refused() -> AppError {
    AppError::Forbidden(crate::i18n::tr("web.form.csrf_refused", &[]))
}

/// A cookie as duban sets them: HttpOnly, SameSite=Lax, Secure (and prefixed, see
/// `wire_name`) behind https.
pub fn cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(wire_name(name, secure), value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .finish()
}

/// A cookie that tells the browser to forget `name`.
pub fn removal(name: &'static str, secure: bool) -> Cookie<'static> {
    let mut c = cookie(name, String::new(), secure);
    c.set_max_age(CookieDuration::ZERO);
    c
}
