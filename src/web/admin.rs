//! The office's administration pages (督查室): users, departments (edit, merge), API tokens
//! and the audit log. Every handler requires `Action::Administer`; every change goes through
//! a transaction that writes its audit entry.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::accounts::{self, AccountError, UserInput};
use crate::authz::{require, Action};
use crate::db::audit::{self, AuditFilter};
use crate::db::departments::{self, DepartmentEdit, EditError};
use crate::db::users::{self, UserListing};
use crate::db::{tokens, DbConn};
use crate::domain::accounts::{parse_aliases, parse_department_name, parse_email_list, Role};
use crate::error::AppError;
use crate::web::auth::{CsrfForm, NoFields, Viewer};
use crate::web::respond::{flash, see_other};
use crate::web::state::AppState;
use crate::web::templates::Page;

/// Renders a form page again, with the person's input and what was wrong.
fn form_again<T: Serialize>(
    state: &AppState,
    template: &str,
    page: &Page<T>,
) -> Result<HttpResponse, AppError> {
    let html = state.templates.render(template, page)?;
    Ok(HttpResponse::build(StatusCode::UNPROCESSABLE_ENTITY)
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// After a form's database work: `None` means it was saved (go to `location`); `Some` holds
/// the form's data to show again with its error.
fn respond<T: Serialize>(
    state: &AppState,
    viewer: &Viewer,
    result: Option<T>,
    location: String,
    template: &str,
    title: &str,
    nav: &'static str,
) -> Result<HttpResponse, AppError> {
    match result {
        None => Ok(see_other(location)),
        Some(data) => form_again(state, template, &Page::for_viewer(viewer, title, nav, data)),
    }
}

#[derive(Serialize, Clone)]
struct Choice {
    id: i32,
    /// The id as form values carry it.
    value: String,
    name: String,
}

#[derive(Serialize, Clone)]
struct RoleChoice {
    value: &'static str,
    label: &'static str,
}

fn role_choices() -> Vec<RoleChoice> {
    Role::ALL
        .iter()
        .map(|r| RoleChoice {
            value: r.as_str(),
            label: r.label(),
        })
        .collect()
}

fn department_choices(conn: &mut DbConn) -> Result<Vec<Choice>, AppError> {
    Ok(departments::list(conn)?
        .into_iter()
        .map(|d| Choice {
            id: d.department.id,
            value: d.department.id.to_string(),
            name: d.department.name,
        })
        .collect())
}

/// A user form as typed, kept to fill the form again.
#[derive(Deserialize, Serialize, Clone, Default)]
pub struct UserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    department_id: String,
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    password: String,
}

impl UserForm {
    fn input(&self) -> Result<UserInput, AppError> {
        let department_id = match self.department_id.trim() {
            "" => None,
            id => Some(id.parse().map_err(|_| {
                AppError::Validation(crate::i18n::tr("web.admin.bad_department", &[]))
            })?),
        };
        Ok(UserInput {
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            email: self.email.clone(),
            role: self.role.clone(),
            department_id,
            department_name: None,
            active: self.active.is_some(),
        })
    }
}

#[derive(Serialize)]
struct UserRow {
    #[serde(flatten)]
    listing: UserListing,
    role_label: &'static str,
}

#[derive(Serialize)]
struct UsersData {
    users: Vec<UserRow>,
    departments: Vec<Choice>,
    roles: Vec<RoleChoice>,
    form: UserForm,
    error: Option<String>,
}

fn users_data(
    conn: &mut DbConn,
    form: UserForm,
    error: Option<String>,
) -> Result<UsersData, AppError> {
    let users = users::list(conn)?
        .into_iter()
        .map(|listing| UserRow {
            role_label: Role::parse(&listing.user.role).map_or("", Role::label),
            listing,
        })
        .collect();
    Ok(UsersData {
        users,
        departments: department_choices(conn)?,
        roles: role_choices(),
        form,
        error,
    })
}

pub async fn users_page(
    state: web::Data<AppState>,
    viewer: Viewer,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::Administer)?;
    let form = UserForm {
        role: "liaison".into(),
        ..UserForm::default()
    };
    let data = state.db(move |conn| users_data(conn, form, None)).await?;
    state.page(
        "admin_users",
        &Page::for_viewer(&viewer, viewer.t("admin.users.title"), "users", data),
    )
}

/// What a form handler's database work came to: done, or a message for the form.
enum Outcome<T> {
    Done(T),
    Invalid(String),
}

fn outcome<T>(result: Result<T, AccountError>) -> Result<Outcome<T>, AppError> {
    match result {
        Ok(v) => Ok(Outcome::Done(v)),
        Err(AccountError::Invalid(m) | AccountError::Conflict(m)) => Ok(Outcome::Invalid(m)),
        Err(e) => Err(e.into()),
    }
}

pub async fn create_user(
    state: web::Data<AppState>,
    post: CsrfForm<UserForm>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm { viewer, form } = post;
    require(&viewer.user, Action::Administer)?;
    let now = state.clock.now();
    let v = viewer.clone();
    let result = state
        .db(move |conn| {
            let mut input = form.input()?;
            input.active = true;
            let change = v.user.change(now);
            match outcome(accounts::create_user(conn, &input, &form.password, change))? {
                Outcome::Done(_) => {
                    let message = v.t_with(
                        "admin.users.created",
                        &[("username", input.username.trim())],
                    );
                    flash(conn, &v, &message)?;
                    Ok(None)
                }
                Outcome::Invalid(m) => {
                    let mut kept = form.clone();
                    kept.password.clear();
                    Ok(Some(users_data(conn, kept, Some(m))?))
                }
            }
        })
        .await?;
    respond(
        &state,
        &viewer,
        result,
        "/admin/users".into(),
        "admin_users",
        &viewer.t("admin.users.title"),
        "users",
    )
}

#[derive(Serialize)]
struct UserData {
    id: i32,
    username: String,
    departments: Vec<Choice>,
    roles: Vec<RoleChoice>,
    form: UserForm,
    error: Option<String>,
    /// For a leader: the units they oversee (分管单位), ticked.
    oversight: Option<Vec<Ticked>>,
    /// Their mobile number for SMS, as saved or as typed.
    mobile: String,
}

#[derive(Serialize)]
struct Ticked {
    id: i32,
    name: String,
    ticked: bool,
}

fn user_data(
    conn: &mut DbConn,
    id: i32,
    form: Option<UserForm>,
    error: Option<String>,
) -> Result<UserData, AppError> {
    let user = users::find(conn, id)?.ok_or_else(|| AppError::not_found("user"))?;
    let form = form.unwrap_or_else(|| UserForm {
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        email: user.email.clone(),
        role: user.role.clone(),
        department_id: user
            .department_id
            .map(|d| d.to_string())
            .unwrap_or_default(),
        active: user.active.then(|| "on".into()),
        password: String::new(),
    });
    let departments = department_choices(conn)?;
    let oversight = if user.role == "leader" {
        let mine = crate::db::oversight::departments_of(conn, id)?;
        Some(
            departments
                .iter()
                .map(|d| Ticked {
                    id: d.id,
                    name: d.name.clone(),
                    ticked: mine.contains(&d.id),
                })
                .collect(),
        )
    } else {
        None
    };
    Ok(UserData {
        id,
        username: user.username,
        departments,
        oversight,
        roles: role_choices(),
        form,
        error,
        mobile: user.mobile.clone(),
    })
}

pub async fn user_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::Administer)?;
    let id = id.into_inner();
    let data = state
        .db(move |conn| user_data(conn, id, None, None))
        .await?;
    let title = viewer.t_with("admin.user.title", &[("username", data.username.as_str())]);
    state.page(
        "admin_user",
        &Page::for_viewer(&viewer, title, "users", data),
    )
}

#[derive(Deserialize)]
pub struct MobileForm {
    #[serde(default)]
    mobile: String,
}

/// `POST /admin/users/{id}/mobile`: a person's mobile number for SMS.
pub async fn set_mobile(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    post: CsrfForm<MobileForm>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm { viewer, form } = post;
    require(&viewer.user, Action::Administer)?;
    let id = id.into_inner();
    let now = state.clock.now();
    let v = viewer.clone();
    let result = state
        .db(move |conn| {
            match outcome(accounts::set_mobile(
                conn,
                id,
                &form.mobile,
                v.user.change(now),
            ))? {
                Outcome::Done(()) => {
                    flash(conn, &v, &v.t("admin.user.mobile_saved"))?;
                    Ok(None)
                }
                Outcome::Invalid(m) => {
                    let mut data = user_data(conn, id, None, Some(m))?;
                    data.mobile = form.mobile.clone();
                    Ok(Some(data))
                }
            }
        })
        .await?;
    respond(
        &state,
        &viewer,
        result,
        format!("/admin/users/{id}"),
        "admin_user",
        &viewer.t("admin.user.title_plain"),
        "users",
    )
}

/// `POST /admin/users/{id}/oversight`: the units a leader oversees (repeated `department`).
pub async fn set_oversight(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    post: CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm { viewer, form } = post;
    require(&viewer.user, Action::Administer)?;
    let id = id.into_inner();
    let ids: Vec<i32> = form
        .iter()
        .filter(|(k, _)| k == "department")
        .map(|(_, v)| {
            v.parse()
                .map_err(|_| AppError::Validation(crate::i18n::tr("web.admin.bad_department", &[])))
        })
        .collect::<Result<_, _>>()?;
    let now = state.clock.now();
    let v = viewer.clone();
    let result = state
        .db(move |conn| {
            match outcome(accounts::set_oversight(conn, id, &ids, v.user.change(now)))? {
                Outcome::Done(()) => {
                    flash(conn, &v, &v.t("admin.user.oversight_saved"))?;
                    Ok(None)
                }
                Outcome::Invalid(m) => Ok(Some(user_data(conn, id, None, Some(m))?)),
            }
        })
        .await?;
    respond(
        &state,
        &viewer,
        result,
        format!("/admin/users/{id}"),
        "admin_user",
        &viewer.t("admin.user.title_plain"),
        "users",
    )
}

pub async fn update_user(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    post: CsrfForm<UserForm>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm { viewer, form } = post;
    require(&viewer.user, Action::Administer)?;
    let id = id.into_inner();
    let now = state.clock.now();
    let v = viewer.clone();
    let result = state
        .db(move |conn| {
            let input = form.input()?;
            let change = v.user.change(now);
            match outcome(accounts::update_user(conn, id, &input, change))? {
                Outcome::Done(()) => {
                    flash(conn, &v, &v.t("admin.user.saved"))?;
                    Ok(None)
                }
                Outcome::Invalid(m) => Ok(Some(user_data(conn, id, Some(form), Some(m))?)),
            }
        })
        .await?;
    respond(
        &state,
        &viewer,
        result,
        format!("/admin/users/{id}"),
        "admin_user",
        &viewer.t("admin.user.title_plain"),
        "users",
    )
}

#[derive(Deserialize)]
pub struct PasswordReset {
    #[serde(default)]
    password: String,
}

pub async fn reset_password(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    post: CsrfForm<PasswordReset>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm { viewer, form } = post;
    require(&viewer.user, Action::Administer)?;
    let id = id.into_inner();
    let now = state.clock.now();
    let v = viewer.clone();
    let result = state
        .db(move |conn| {
            let change = v.user.change(now);
            let keep = (v.user.id == id).then_some(v.session.as_str());
            match outcome(accounts::set_password(
                conn,
                id,
                &form.password,
                keep,
                change,
            ))? {
                Outcome::Done(()) => {
                    flash(conn, &v, &v.t("admin.user.password_reset"))?;
                    Ok(None)
                }
                Outcome::Invalid(m) => Ok(Some(user_data(conn, id, None, Some(m))?)),
            }
        })
        .await?;
    respond(
        &state,
        &viewer,
        result,
        format!("/admin/users/{id}"),
        "admin_user",
        &viewer.t("admin.user.title_plain"),
        "users",
    )
}

#[derive(Deserialize, Serialize, Clone, Default)]
pub struct DepartmentForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    head_email: String,
    #[serde(default)]
    aliases: String,
    /// The group robot: platform, a new address (empty: keep), a new secret (empty: keep;
    /// never shown again), or `clear_secret` to remove it.
    #[serde(default)]
    webhook_kind: String,
    #[serde(default)]
    webhook_url: String,
    #[serde(default, skip_serializing)]
    webhook_secret: String,
    #[serde(default)]
    clear_secret: String,
    #[serde(default)]
    mobile: String,
}

#[derive(Serialize)]
struct Liaison {
    display_name: String,
    username: String,
}

#[derive(Serialize)]
struct DepartmentData {
    id: i32,
    name: String,
    form: DepartmentForm,
    others: Vec<Choice>,
    lead_count: i64,
    co_count: i64,
    liaisons: Vec<Liaison>,
    error: Option<String>,
    /// The saved robot's address without its token, and whether a secret is saved.
    webhook_saved: String,
    secret_set: bool,
    webhook_kinds: Vec<&'static str>,
    /// The unit's calendar feed, if set up.
    feed: Option<crate::web::feeds::FeedInfo>,
}

fn department_data(
    conn: &mut DbConn,
    id: i32,
    form: Option<DepartmentForm>,
    error: Option<String>,
) -> Result<DepartmentData, AppError> {
    let dept = departments::find(conn, id)?.ok_or_else(|| AppError::not_found("department"))?;
    let aliases = departments::aliases_of(conn, id)?;
    let all = departments::list(conn)?;
    let counts = all.iter().find(|d| d.department.id == id);
    let liaisons = users::list(conn)?
        .into_iter()
        .filter(|u| u.user.department_id == Some(id))
        .map(|u| Liaison {
            display_name: u.user.display_name,
            username: u.user.username,
        })
        .collect();
    Ok(DepartmentData {
        id,
        lead_count: counts.map_or(0, |c| c.lead_count),
        co_count: counts.map_or(0, |c| c.co_count),
        form: form.unwrap_or_else(|| DepartmentForm {
            name: dept.name.clone(),
            email: dept.email.replace(',', ", "),
            head_email: dept.head_email.replace(',', ", "),
            aliases: aliases.join("\n"),
            webhook_kind: dept.webhook_kind.clone(),
            mobile: dept.mobile.replace(',', ", "),
            ..DepartmentForm::default()
        }),
        webhook_saved: crate::domain::channels::mask_url(&dept.webhook_url),
        secret_set: !dept.webhook_secret.is_empty(),
        webhook_kinds: crate::domain::channels::WebhookKind::ALL
            .iter()
            .map(|k| k.as_str())
            .collect(),
        feed: crate::web::feeds::info(conn, crate::db::feeds::Owner::Department(id))?,
        name: dept.name,
        others: all
            .into_iter()
            .filter(|d| d.department.id != id)
            .map(|d| Choice {
                id: d.department.id,
                value: d.department.id.to_string(),
                name: d.department.name,
            })
            .collect(),
        liaisons,
        error,
    })
}

pub async fn department_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::Administer)?;
    let id = id.into_inner();
    let data = state
        .db(move |conn| department_data(conn, id, None, None))
        .await?;
    let title = viewer.t_with("admin.department.title", &[("name", data.name.as_str())]);
    state.page(
        "admin_department",
        &Page::for_viewer(&viewer, title, "departments", data),
    )
}

fn department_outcome<T>(result: Result<T, EditError>) -> Result<Outcome<T>, AppError> {
    match result {
        Ok(v) => Ok(Outcome::Done(v)),
        Err(
            e @ (EditError::NameTaken(_) | EditError::MergeIntoItself | EditError::BothReported(_)),
        ) => Ok(Outcome::Invalid(e.to_string())),
        Err(e) => Err(e.into()),
    }
}

pub async fn update_department(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    post: CsrfForm<DepartmentForm>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm { viewer, form } = post;
    require(&viewer.user, Action::Administer)?;
    let id = id.into_inner();
    let now = state.clock.now();
    let v = viewer.clone();
    let result = state
        .db(move |conn| {
            let parsed = parse_department_name(&form.name).and_then(|name| {
                Ok(DepartmentEdit {
                    name: Some(name),
                    email: Some(parse_email_list(&form.email)?),
                    head_email: Some(parse_email_list(&form.head_email)?),
                    aliases: Some(parse_aliases(&form.aliases)?),
                    channels: None,
                })
            });
            let before =
                departments::find(conn, id)?.ok_or_else(|| AppError::not_found("department"))?;
            let typed = |v: &str| (!v.trim().is_empty()).then(|| v.to_string());
            let secret = if form.clear_secret == "1" {
                Some(String::new())
            } else {
                typed(&form.webhook_secret)
            };
            let channels = departments::patched_channels(
                &before,
                Some(&form.webhook_kind),
                typed(&form.webhook_url).as_deref(),
                secret.as_deref(),
                Some(&form.mobile),
            )
            .map_err(|e| e.message);
            let parsed = parsed.and_then(|mut edit| {
                edit.channels = Some(channels?);
                Ok(edit)
            });
            let edit = match parsed {
                Ok(edit) => edit,
                Err(m) => return Ok(Some(department_data(conn, id, Some(form), Some(m))?)),
            };
            let change = v.user.change(now);
            match department_outcome(departments::edit(conn, id, &edit, change))? {
                Outcome::Done(_) => {
                    flash(conn, &v, &v.t("admin.department.saved"))?;
                    Ok(None)
                }
                Outcome::Invalid(m) => Ok(Some(department_data(conn, id, Some(form), Some(m))?)),
            }
        })
        .await?;
    respond(
        &state,
        &viewer,
        result,
        format!("/admin/departments/{id}"),
        "admin_department",
        &viewer.t("admin.department.title_plain"),
        "departments",
    )
}

#[derive(Deserialize)]
pub struct MergeForm {
    #[serde(default)]
    target: String,
}

pub async fn merge_department(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    post: CsrfForm<MergeForm>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm { viewer, form } = post;
    require(&viewer.user, Action::Administer)?;
    let source = id.into_inner();
    let now = state.clock.now();
    let v = viewer.clone();
    let result = state
        .db(move |conn| {
            let Ok(target) = form.target.trim().parse::<i32>() else {
                let m = v.t("admin.department.choose_target");
                return Ok(Err(department_data(conn, source, None, Some(m))?));
            };
            let change = v.user.change(now);
            match department_outcome(departments::merge(conn, source, target, change))? {
                Outcome::Done(o) => {
                    let message = v.t_with(
                        "admin.department.merged",
                        &[
                            ("moved", &o.assignments_moved.to_string()),
                            ("combined", &o.assignments_combined.to_string()),
                            ("users", &o.users_moved.to_string()),
                        ],
                    );
                    flash(conn, &v, &message)?;
                    Ok(Ok(target))
                }
                Outcome::Invalid(m) => Ok(Err(department_data(conn, source, None, Some(m))?)),
            }
        })
        .await?;
    match result {
        Ok(target) => Ok(see_other(format!("/admin/departments/{target}"))),
        Err(data) => form_again(
            &state,
            "admin_department",
            &Page::for_viewer(
                &viewer,
                viewer.t("admin.department.title_plain"),
                "departments",
                data,
            ),
        ),
    }
}

#[derive(Serialize)]
struct TokensData {
    tokens: Vec<tokens::TokenListing>,
}

pub async fn tokens_page(
    state: web::Data<AppState>,
    viewer: Viewer,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::Administer)?;
    let tokens = state.db(|conn| Ok(tokens::list(conn)?)).await?;
    state.page(
        "admin_tokens",
        &Page::for_viewer(
            &viewer,
            viewer.t("admin.tokens.title"),
            "tokens",
            TokensData { tokens },
        ),
    )
}

pub async fn revoke_token(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    post: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let viewer = post.viewer;
    require(&viewer.user, Action::Administer)?;
    let id = id.into_inner();
    let now = state.clock.now();
    state
        .db(move |conn| {
            let change = viewer.user.change(now);
            accounts::revoke_token(conn, id, change)?;
            let message = viewer.t_with("admin.tokens.revoked_flash", &[("id", &id.to_string())]);
            flash(conn, &viewer, &message)
        })
        .await?;
    Ok(see_other("/admin/tokens"))
}

#[derive(Deserialize, Serialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    user: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    entity: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// One choice of the log's filters, in the reader's language.
#[derive(Serialize)]
struct LogChoice {
    value: &'static str,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
struct AuditData {
    actions: Vec<LogChoice>,
    entities: Vec<LogChoice>,
    query: AuditQuery,
    /// The same filters for the CSV download.
    csv: String,
    entries: Vec<crate::read::audit::AuditRow>,
    limit: i64,
    error: Option<String>,
}

/// A date filter; `field` names the catalog text of the field, for the message.
fn day(s: &str, viewer: &Viewer, field: &str) -> Result<Option<NaiveDate>, String> {
    match s.trim() {
        "" => Ok(None),
        d => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| viewer.t_with("admin.audit.bad_date", &[("field", &viewer.t(field))])),
    }
}

/// The log's filters from the query; a date that is not one, or an action or object type
/// the log does not know, is refused by name.
fn audit_filter(
    state: &AppState,
    viewer: &Viewer,
    query: &AuditQuery,
    limit: i64,
) -> Result<AuditFilter, String> {
    use crate::read::audit::{ACTIONS, ENTITIES};
    let from = day(&query.from, viewer, "admin.audit.from_field")?;
    let to = day(&query.to, viewer, "admin.audit.to_field")?;
    let known = |value: &str, list: &[&str]| -> Result<Option<String>, String> {
        match value.trim() {
            "" => Ok(None),
            v if list.contains(&v) => Ok(Some(v.to_string())),
            v => Err(viewer.t_with("admin.audit.unknown_filter", &[("value", v)])),
        }
    };
    // Dates are days in the office's time zone; the log keeps UTC.
    let tz = state.settings.timezone;
    let utc = move |d: NaiveDate| {
        d.and_time(NaiveTime::MIN)
            .and_local_timezone(tz)
            .earliest()
            .map(|t| t.naive_utc())
    };
    Ok(AuditFilter {
        actor: Some(query.user.trim().to_string()).filter(|s| !s.is_empty()),
        action: known(&query.action, ACTIONS)?,
        entity: known(&query.entity, ENTITIES)?,
        from: from.and_then(utc),
        until: to.and_then(|d| d.succ_opt()).and_then(utc),
        limit,
    })
}

pub async fn audit_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    use crate::read::audit::{action_label, entity_label, ACTIONS, ENTITIES};
    require(&viewer.user, Action::Administer)?;
    let query = query.into_inner();
    const LIMIT: i64 = 500;
    let (entries, error, status) = match audit_filter(&state, &viewer, &query, LIMIT) {
        Ok(filter) => (
            state
                .db(move |conn| {
                    let found = audit::search(conn, &filter)?;
                    crate::read::audit::rows(conn, found)
                })
                .await?,
            None,
            actix_web::http::StatusCode::OK,
        ),
        Err(m) => (
            Vec::new(),
            Some(m),
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        ),
    };
    let choices = |list: &[&'static str], chosen: &str, label: fn(&str) -> String| {
        list.iter()
            .map(|v| LogChoice {
                value: v,
                label: label(v),
                selected: *v == chosen.trim(),
            })
            .collect()
    };
    let data = AuditData {
        actions: choices(ACTIONS, &query.action, action_label),
        entities: choices(ENTITIES, &query.entity, entity_label),
        csv: serde_urlencoded::to_string(&query).unwrap_or_default(),
        query,
        entries,
        limit: LIMIT,
        error,
    };
    let page = Page::for_viewer(&viewer, viewer.t("admin.audit.title"), "audit", data);
    let html = state.templates.render("admin_audit", &page)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// `GET /admin/audit.csv`: the filtered log (up to 50,000 entries), in the reader's language.
pub async fn audit_csv(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    use crate::web::respond::{attachment, csv_field};
    require(&viewer.user, Action::Administer)?;
    let filter = audit_filter(&state, &viewer, &query, 50_000).map_err(AppError::Validation)?;
    let rows = state
        .db(move |conn| {
            let found = audit::search(conn, &filter)?;
            crate::read::audit::rows(conn, found)
        })
        .await?;
    let tz = state.settings.timezone;
    let mut out = String::from("\u{feff}");
    let head: Vec<String> = ["at", "actor", "action", "entity", "summary"]
        .iter()
        .map(|k| csv_field(&viewer.t(&format!("admin.audit.{k}"))))
        .collect();
    out.push_str(&head.join(","));
    out.push_str("\r\n");
    for r in rows {
        let at = crate::clock::local_time(r.at, tz);
        let line = [at, r.actor, r.action, r.object, r.summary].map(|c| csv_field(&c));
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    Ok(attachment(
        out.into_bytes(),
        "text/csv; charset=utf-8",
        &format!("audit-{}.csv", state.today()),
    ))
}

/// `GET /admin/audit/goto/{entity}/{id}`: the page of a report, extension request or closing
/// request an entry names (the obligation or measure it belongs to).
pub async fn audit_goto(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<(String, i32)>,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::Administer)?;
    let (entity, id) = path.into_inner();
    let to = state
        .db(move |conn| {
            let gone = || AppError::not_found("object");
            Ok(match entity.as_str() {
                "report" => {
                    let r = crate::db::reports::find(conn, id)?.ok_or_else(gone)?;
                    format!("/obligations/{}", r.obligation_id)
                }
                "extension" => {
                    let e = crate::db::extensions::find(conn, id)?.ok_or_else(gone)?;
                    format!("/obligations/{}", e.obligation_id)
                }
                "closure" => {
                    let c = crate::db::closures::find(conn, id)?.ok_or_else(gone)?;
                    format!("/measures/{}#closing", c.measure_id)
                }
                _ => return Err(gone()),
            })
        })
        .await?;
    Ok(see_other(to))
}
