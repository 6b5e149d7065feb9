//! The JSON API under `/api/v1`, as the contract describes it.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::db::{departments, documents};
use crate::error::AppError;
use crate::web::state::AppState;
use crate::web::views::{self, ApiMeasure};

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

pub async fn documents(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
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
    query: web::Query<MeasuresQuery>,
) -> Result<HttpResponse, AppError> {
    let document = query.document;
    let items = state
        .db(move |conn| {
            if let Some(id) = document {
                documents::find(conn, id)?.ok_or_else(|| AppError::not_found("文件"))?;
            }
            views::measure_items(conn, document)
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

/// `GET /api/v1/measures/{id}`. Obligations, reports and reminders are listed as they come to
/// exist; an imported measure has none yet.
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
    lead: Option<String>,
    co: Vec<String>,
    assignments: Vec<ApiAssignment>,
    warnings: Vec<String>,
    light: &'static str,
    obligations: Vec<serde_json::Value>,
    reports: Vec<serde_json::Value>,
    reminders: Vec<serde_json::Value>,
}

pub async fn measure(
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let v = state.db(move |conn| views::measure(conn, id)).await?;
    let body = ApiMeasureDetail {
        id: v.measure.id,
        document: ApiDocumentRef {
            id: v.document.id,
            number: v.document.number,
            title: v.document.title,
        },
        number: v.measure.number,
        label: v.measure.label,
        section: v.measure.section,
        section_title: v.measure.section_title,
        title: v.measure.title,
        text: v.measure.body,
        lead: v.lead.map(|d| d.name),
        co: v.co.into_iter().map(|d| d.name).collect(),
        assignments: v
            .assignments
            .into_iter()
            .map(|a| ApiAssignment {
                department_id: a.department_id,
                department: a.department,
                role: a.role,
                position: a.position,
            })
            .collect(),
        warnings: v.warnings,
        light: "none",
        obligations: Vec::new(),
        reports: Vec::new(),
        reminders: Vec::new(),
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
}

pub async fn departments(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let list = state.db(|conn| Ok(departments::list(conn)?)).await?;
    let body: Vec<ApiDepartment> = list
        .into_iter()
        .map(|d| ApiDepartment {
            id: d.department.id,
            name: d.department.name,
            email: d.department.email,
            lead_count: d.lead_count,
            co_count: d.co_count,
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}
