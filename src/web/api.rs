//! The JSON API under `/api/v1`, as the contract describes it.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::authz::{require, Action};
use crate::db::departments::{Change, DepartmentEdit, EditError};
use crate::db::{departments, documents};
use crate::domain::accounts::{parse_department_name, parse_email_list};
use crate::error::AppError;
use crate::read::views::{self, ApiMeasure};
use crate::web::auth::ApiCaller;
use crate::web::reports::ApiReport;
use crate::web::state::AppState;

#[derive(Serialize)]
struct ApiDocument {
    id: i32,
    number: Option<String>,
    title: Option<String>,
    issuing_office: Option<String>,
    issued_on: Option<chrono::NaiveDate>,
    measure_count: i64,
    warning_count: i64,
}

pub async fn documents(
    state: web::Data<AppState>,
    caller: ApiCaller,
) -> Result<HttpResponse, AppError> {
    require(&caller.user, Action::ReadPlan)?;
    let list = state.db(|conn| Ok(documents::list(conn)?)).await?;
    let body: Vec<ApiDocument> = list
        .into_iter()
        .map(|d| ApiDocument {
            id: d.document.id,
            number: d.document.number,
            title: d.document.title,
            issuing_office: d.document.issuing_office,
            issued_on: d.document.issued_on,
            measure_count: d.measure_count,
            warning_count: d.warning_count,
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasuresQuery {
    document: Option<i32>,
}

pub async fn measures(
    state: web::Data<AppState>,
    caller: ApiCaller,
    query: web::Query<MeasuresQuery>,
) -> Result<HttpResponse, AppError> {
    require(&caller.user, Action::ReadPlan)?;
    let document = query.document;
    let items = state
        .db_lit(move |conn, rules| {
            if let Some(id) = document {
                documents::find(conn, id)?.ok_or_else(|| AppError::not_found("document"))?;
            }
            views::measure_items(conn, document, rules)
        })
        .await?;
    let body: Vec<ApiMeasure> = items.into_iter().map(ApiMeasure::from).collect();
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Serialize)]
struct ApiDocumentRef {
    id: i32,
    number: Option<String>,
    title: Option<String>,
}

#[derive(Serialize)]
struct ApiAssignment {
    department_id: i32,
    department: String,
    role: String,
    position: i32,
}

/// `GET /api/v1/measures/{id}`: the measure with its assignments, and the obligations and
/// reports the caller may see.
#[derive(Serialize)]
struct ApiMeasureDetail {
    id: i32,
    document: ApiDocumentRef,
    number: i32,
    label: String,
    section: Option<i32>,
    section_title: Option<String>,
    title: String,
    text: String,
    /// 办结时限, and the words the plan gave it.
    deadline: Option<chrono::NaiveDate>,
    deadline_text: Option<String>,
    lead: Option<String>,
    co: Vec<String>,
    assignments: Vec<ApiAssignment>,
    warnings: Vec<String>,
    light: &'static str,
    obligations: Vec<ApiObligation>,
    reports: Vec<ApiReport>,
    /// The chase log (催办记录) of the obligations the caller may see.
    reminders: Vec<ApiReminder>,
}

/// A reminder sent about one of the measure's obligations.
#[derive(Serialize)]
struct ApiReminder {
    obligation: Option<i32>,
    department: String,
    period: String,
    /// before, due, overdue, escalation or receipt, with its number (days before, the n-th
    /// overdue notice, the escalation level).
    stage: String,
    stage_n: i32,
    planned_at: chrono::NaiveDateTime,
    /// Addresses (for administrators; null for others).
    recipients: Option<String>,
    /// The carrying email's state: queued, sending, sent or failed.
    email_state: Option<String>,
    sent_at: Option<chrono::NaiveDateTime>,
}

/// The contract's obligation.
#[derive(Serialize)]
struct ApiObligation {
    id: i32,
    period: String,
    period_label: String,
    department: String,
    role: String,
    due_on: chrono::NaiveDate,
    original_due_on: Option<chrono::NaiveDate>,
    state: &'static str,
    light: &'static str,
}

pub async fn measure(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    require(&caller.user, Action::ReadPlan)?;
    let id = id.into_inner();
    let user = caller.user.clone();
    let v = state
        .db_lit(move |conn, rules| views::measure(conn, id, &user, rules))
        .await?;
    let reports = v
        .progress
        .reports
        .iter()
        .map(|(ob, version)| ApiReport::new(ob, version.clone()))
        .collect();
    let obligations = v
        .progress
        .obligations
        .iter()
        .map(|o| ApiObligation {
            id: o.id,
            period: o.period.clone(),
            period_label: o.period_label.clone(),
            department: o.department.clone(),
            role: o.role.clone(),
            due_on: o.due_on,
            original_due_on: o.original_due_on,
            state: o.state,
            light: o.light,
        })
        .collect();
    let body = ApiMeasureDetail {
        id: v.head.measure.id,
        document: ApiDocumentRef {
            id: v.head.document.id,
            number: v.head.document.number,
            title: v.head.document.title,
        },
        number: v.head.measure.number,
        label: v.head.measure.label,
        section: v.head.measure.section,
        section_title: v.head.measure.section_title,
        title: v.head.measure.title,
        text: v.head.measure.body,
        deadline: v.head.measure.deadline,
        deadline_text: v.head.measure.deadline_text,
        lead: v.head.lead.map(|d| d.name),
        co: v.head.co.into_iter().map(|d| d.name).collect(),
        assignments: v
            .head
            .assignments
            .into_iter()
            .map(|a| ApiAssignment {
                department_id: a.department_id,
                department: a.department,
                role: a.role,
                position: a.position,
            })
            .collect(),
        warnings: v.head.warnings,
        light: v.progress.light,
        obligations,
        reports,
        reminders: v
            .chase
            .into_iter()
            .map(|c| ApiReminder {
                obligation: c.obligation_id,
                department: c.department,
                period: c.period,
                stage: c.stage,
                stage_n: c.stage_n,
                planned_at: c.at,
                recipients: c.recipients,
                email_state: c.state,
                sent_at: c.sent_at,
            })
            .collect(),
    };
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Serialize)]
struct ApiDepartment {
    id: i32,
    name: String,
    email: String,
    lead_count: i64,
    co_count: i64,
    /// For the office only: how the unit is chased beyond email.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    channels: Option<ApiChannels>,
}

/// The group robot's platform (empty: none), its address without its token, whether a
/// signing secret is saved (the secret itself is never returned), and mobile numbers.
#[derive(Serialize)]
struct ApiChannels {
    webhook_kind: String,
    webhook_url: String,
    webhook_secret_set: bool,
    mobile: String,
}

impl ApiDepartment {
    fn of(
        d: crate::db::departments::Department,
        lead_count: i64,
        co_count: i64,
        office: bool,
    ) -> Self {
        ApiDepartment {
            id: d.id,
            channels: office.then(|| ApiChannels {
                webhook_url: crate::domain::channels::mask_url(&d.webhook_url),
                webhook_secret_set: !d.webhook_secret.is_empty(),
                webhook_kind: d.webhook_kind.clone(),
                mobile: d.mobile.clone(),
            }),
            name: d.name,
            email: d.email,
            lead_count,
            co_count,
        }
    }
}

pub async fn departments(
    state: web::Data<AppState>,
    caller: ApiCaller,
) -> Result<HttpResponse, AppError> {
    require(&caller.user, Action::ReadPlan)?;
    let office = caller.user.is_admin();
    let list = state.db(|conn| Ok(departments::list(conn)?)).await?;
    let body: Vec<ApiDepartment> = list
        .into_iter()
        .map(|d| ApiDepartment::of(d.department, d.lead_count, d.co_count, office))
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

/// `PATCH /api/v1/departments/{id}`: any of `name`, `email` (several addresses separated by
/// commas).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentPatch {
    name: Option<String>,
    email: Option<String>,
    /// The department head's address(es), copied on escalations.
    head_email: Option<String>,
    /// The group robot: `wecom`, `dingtalk`, `feishu`, `generic`, or empty for none.
    webhook_kind: Option<String>,
    webhook_url: Option<String>,
    /// Absent: kept; empty: removed. Never returned.
    webhook_secret: Option<String>,
    /// Mobile numbers for SMS, comma-separated.
    mobile: Option<String>,
}

impl From<crate::domain::channels::ChannelError> for AppError {
    fn from(e: crate::domain::channels::ChannelError) -> Self {
        AppError::Invalid {
            field: e.field,
            message: e.message,
        }
    }
}

/// `PUT /api/v1/users/{id}/departments` (admin) with `{"department_ids": [...]}`: the units
/// a leader oversees (分管领导), replaced as a whole → `{"user_id", "department_ids"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OversightBody {
    department_ids: Vec<i32>,
}

pub async fn put_oversight(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i32>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    // Who may ask comes before what was asked: the body is read after the check.
    require(&caller.user, Action::Administer)?;
    let id = id.into_inner();
    let ids = serde_json::from_slice::<OversightBody>(&body)
        .map_err(|e| {
            AppError::Validation(crate::i18n::tr(
                "web.form.bad_body",
                &[("error", &e.to_string())],
            ))
        })?
        .department_ids;
    let now = state.clock.now();
    let actor = caller.user.username.clone();
    let saved = state
        .db(move |conn| {
            let change = Change {
                actor: &actor,
                at: now,
            };
            crate::accounts::set_oversight(conn, id, &ids, change)?;
            Ok(crate::db::oversight::departments_of(conn, id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"user_id": id, "department_ids": saved})))
}

pub async fn patch_department(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i32>,
    patch: web::Json<DepartmentPatch>,
) -> Result<HttpResponse, AppError> {
    require(&caller.user, Action::Administer)?;
    let id = id.into_inner();
    let patch = patch.into_inner();
    let edit = DepartmentEdit {
        name: patch
            .name
            .as_deref()
            .map(parse_department_name)
            .transpose()
            .map_err(|m| AppError::Validation(format!("name: {m}")))?,
        email: patch
            .email
            .as_deref()
            .map(parse_email_list)
            .transpose()
            .map_err(|m| AppError::Validation(format!("email: {m}")))?,
        head_email: patch
            .head_email
            .as_deref()
            .map(parse_email_list)
            .transpose()
            .map_err(|m| AppError::Validation(format!("head_email: {m}")))?,
        aliases: None,
        channels: None,
    };
    let now = state.clock.now();
    let actor = caller.user.username.clone();
    let dept = state
        .db(move |conn| {
            let mut edit = edit;
            let touches_channels = patch.webhook_kind.is_some()
                || patch.webhook_url.is_some()
                || patch.webhook_secret.is_some()
                || patch.mobile.is_some();
            if touches_channels {
                let before = crate::db::departments::find(conn, id)?
                    .ok_or_else(|| AppError::not_found("department"))?;
                edit.channels = Some(crate::db::departments::patched_channels(
                    &before,
                    patch.webhook_kind.as_deref(),
                    patch.webhook_url.as_deref(),
                    patch.webhook_secret.as_deref(),
                    patch.mobile.as_deref(),
                )?);
            }
            let change = Change {
                actor: &actor,
                at: now,
            };
            Ok(crate::db::departments::edit(conn, id, &edit, change)?)
        })
        .await?;
    let list = state.db(|conn| Ok(departments::list(conn)?)).await?;
    let counts = list.iter().find(|d| d.department.id == dept.id);
    let (lead, co) = counts.map_or((0, 0), |c| (c.lead_count, c.co_count));
    Ok(HttpResponse::Ok().json(ApiDepartment::of(dept, lead, co, true)))
}

impl From<EditError> for AppError {
    fn from(e: EditError) -> Self {
        match e {
            EditError::NotFound => AppError::not_found("department"),
            EditError::NameTaken(_) => AppError::Conflict(e.to_string()),
            EditError::MergeIntoItself => AppError::Validation(e.to_string()),
            EditError::BothReported(_) => AppError::Conflict(e.to_string()),
            EditError::Db(e) => AppError::from(e),
        }
    }
}

/// `GET /api/v1/me`: who the token belongs to.
pub async fn me(caller: ApiCaller) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(&caller.user))
}

/// Reads a PATCH body for a measure: every field optional; `lead` and `deadline` may be
/// null to clear them. Unknown fields are refused.
fn measure_edit_of(body: &[u8]) -> Result<crate::reporting::MeasureEdit, AppError> {
    use serde_json::Value;
    let bad = |field: &str| {
        AppError::Validation(crate::i18n::tr(
            "web.api.measure_field",
            &[("field", field)],
        ))
    };
    let value: Value = serde_json::from_slice(body).map_err(|_| bad("JSON"))?;
    let object = value.as_object().ok_or_else(|| bad("JSON"))?;
    let mut edit = crate::reporting::MeasureEdit::default();
    let unit = |v: &Value| -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => n.as_i64().map(|n| n.to_string()),
            _ => None,
        }
    };
    for (key, v) in object {
        match key.as_str() {
            "title" => edit.title = Some(v.as_str().ok_or_else(|| bad("title"))?.to_string()),
            "text" => edit.text = Some(v.as_str().ok_or_else(|| bad("text"))?.to_string()),
            "lead" => {
                edit.lead = Some(match v {
                    Value::Null => None,
                    other => Some(unit(other).ok_or_else(|| bad("lead"))?),
                })
            }
            "co" => {
                let list = v.as_array().ok_or_else(|| bad("co"))?;
                edit.co = Some(
                    list.iter()
                        .map(|u| unit(u).ok_or_else(|| bad("co")))
                        .collect::<Result<_, _>>()?,
                );
            }
            "deadline" => {
                edit.deadline = Some(match v {
                    Value::Null => None,
                    Value::String(s) => Some(
                        chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                            .map_err(|_| bad("deadline"))?,
                    ),
                    _ => return Err(bad("deadline")),
                })
            }
            other => return Err(bad(other)),
        }
    }
    Ok(edit)
}

/// `PATCH /api/v1/measures/{id}` (the office): `{"title", "text", "lead", "co", "deadline"}`,
/// any of them; obligations follow. Answers with the measure as `GET` does.
pub async fn patch_measure(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i32>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    // Who may comes before what was asked.
    require(&caller.user, Action::Administer)?;
    let edit = measure_edit_of(&body)?;
    let id = id.into_inner();
    let (user, now) = (caller.user.clone(), state.clock.now());
    state
        .db(move |conn| Ok(crate::reporting::edit_measure(conn, &user, id, &edit, now)?))
        .await?;
    measure(state, caller, web::Path::from(id)).await
}
