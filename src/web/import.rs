//! Importing a plan through the browser (导入文件): upload a text file or paste the text, see
//! the parse — sections, measures, lead and co units, warnings — correct a unit's name or a
//! measure's units, and confirm. The same importer and the same store as `duban import`;
//! nothing is kept between the steps but the text the form carries back.

use std::collections::{HashMap, HashSet};

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use futures_util::StreamExt;
use serde::Serialize;

use crate::authz::{require, Action};
use crate::db::documents::StoreError;
use crate::domain::importer::corrections::{self, split_units, Corrections};
use crate::domain::importer::{self, ParsedDocument};
use crate::error::AppError;
use crate::i18n::tr;
use crate::reporting::ScheduleInput;
use crate::security;
use crate::web::auth::{csrf_refused, Viewer};
use crate::web::respond::{flash, see_other};
use crate::web::state::AppState;
use crate::web::templates::Page;

/// The largest plan accepted, in bytes of UTF-8 text (the bundled plan is about 20 KB).
const MAX_TEXT: usize = 2 * 1024 * 1024;
/// The largest file accepted: a `.docx` or PDF carries pictures and fonts beside its text.
const MAX_FILE: usize = 20 * 1024 * 1024;
/// Units listed for renaming in the preview: a plan names tens; a paste of thousands lists
/// the first ones and says how many more there are.
const MAX_UNITS_SHOWN: usize = 1_000;
/// Fields of the preview form: a few per unit and per measure.
const MAX_FIELDS: usize = 2_000;

/// The form as posted: every text field by name, the file's bytes as the `text` source when
/// one was chosen.
struct Posted {
    fields: HashMap<String, String>,
}

impl Posted {
    fn get(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

fn too_large() -> AppError {
    AppError::TooLarge(tr(
        "web.import.too_large",
        &[("mb", &(MAX_TEXT / 1024 / 1024).to_string())],
    ))
}

/// Reads the multipart form under the limits; checks its CSRF token.
async fn read_form(viewer: &Viewer, mut body: Multipart) -> Result<Posted, AppError> {
    let broken = |e: actix_multipart::MultipartError| {
        AppError::Validation(tr("web.form.upload_broken", &[("error", &e.to_string())]))
    };
    let mut fields = HashMap::new();
    let mut total = 0usize;
    let mut file: Option<Vec<u8>> = None;
    while let Some(field) = body.next().await {
        let mut field = field.map_err(broken)?;
        let name = field.name().unwrap_or("").to_string();
        let is_file = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .is_some();
        if fields.len() >= MAX_FIELDS {
            return Err(AppError::TooLarge(tr("web.form.too_many_fields", &[])));
        }
        let mut value = Vec::new();
        let limit = if is_file {
            MAX_FILE
        } else {
            MAX_TEXT * 2 + 256 * 1024
        };
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(broken)?;
            total += chunk.len();
            if value.len() + chunk.len() > limit || total > MAX_FILE + MAX_TEXT * 2 + 256 * 1024 {
                return Err(too_large());
            }
            value.extend_from_slice(&chunk);
        }
        if is_file && name == "file" {
            if !value.is_empty() {
                file = Some(value);
            }
            continue;
        }
        let value = String::from_utf8(value)
            .map_err(|_| AppError::Validation(tr("web.form.not_utf8", &[("field", &name)])))?;
        fields.insert(name, value);
    }
    let token = fields.get("csrf_token").map_or("", String::as_str);
    if !security::same_secret(token, &viewer.csrf) {
        return Err(csrf_refused());
    }
    if let Some(bytes) = file {
        // A file wins over pasted text. It is recognised by content (text in any common
        // encoding, .docx, a saved web page, a PDF) off the worker threads: reading a PDF
        // is work.
        let text = actix_web::web::block(move || importer::formats::extract(&bytes))
            .await?
            .map_err(|e| AppError::Validation(e.to_string()))?
            .text;
        fields.insert("text".into(), text);
    }
    if fields.get("text").is_some_and(|t| t.len() > MAX_TEXT) {
        return Err(too_large());
    }
    Ok(Posted { fields })
}

/// The units of a measure as the form lists them: the lead first.
fn units_of(doc: &ParsedDocument, m: &importer::ParsedMeasure) -> String {
    doc.lead_of(m)
        .into_iter()
        .chain(doc.co_of(m))
        .collect::<Vec<_>>()
        .join("、")
}

/// The corrections typed into the preview form, against the parse of its text.
fn corrections_in(form: &Posted, original: &ParsedDocument) -> Corrections {
    let mut c = Corrections::default();
    for (i, d) in original.departments.iter().enumerate() {
        let to = form.get(&format!("rename_{i}")).trim();
        if !to.is_empty() && to != d.name {
            c.renames.push((d.name.clone(), to.to_string()));
        }
    }
    for m in &original.measures {
        let Some(typed) = form.fields.get(&format!("units_{}", m.number)) else {
            continue;
        };
        let typed = split_units(typed);
        if typed.join("、") != units_of(original, m) && !typed.is_empty() {
            c.units.push((m.number, typed));
        }
    }
    c
}

#[derive(Serialize, Default)]
struct FormData {
    text: String,
    error: Option<String>,
}

#[derive(Serialize)]
struct UnitRow {
    index: usize,
    name: String,
    /// What the office typed, or the name.
    value: String,
    measures: usize,
    known: bool,
    warned: bool,
}

#[derive(Serialize)]
struct MeasureRow {
    number: u32,
    label: String,
    title: String,
    lead: Option<String>,
    co: Vec<String>,
    /// The units field: as typed, or as parsed.
    units: String,
    warnings: Vec<String>,
    /// 办结时限: the date it names, and the words as written.
    deadline: Option<chrono::NaiveDate>,
    deadline_text: Option<String>,
}

#[derive(Serialize)]
struct SectionRows {
    ordinal: Option<u32>,
    title: String,
    measures: Vec<MeasureRow>,
}

#[derive(Serialize)]
struct PreviewData {
    text: String,
    number: Option<String>,
    title: Option<String>,
    issued_on: Option<String>,
    measure_count: usize,
    unit_count: usize,
    new_units: usize,
    warnings: Vec<String>,
    units: Vec<UnitRow>,
    /// Units past the first `MAX_UNITS_SHOWN`, not listed for renaming.
    units_hidden: usize,
    sections: Vec<SectionRows>,
    corrected: usize,
    starts_on: String,
    exists: Option<i32>,
    replace: bool,
    error: Option<String>,
}

fn form_page(
    state: &AppState,
    viewer: &Viewer,
    data: FormData,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let page = Page::for_viewer(viewer, viewer.t("import.title"), "import", data);
    state.page_with_status("admin_import", &page, status)
}

/// `GET /admin/import`.
pub async fn import_form(
    state: web::Data<AppState>,
    viewer: Viewer,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::Administer)?;
    form_page(&state, &viewer, FormData::default(), StatusCode::OK)
}

/// Parses the posted text and applies the posted corrections; an error is for the person.
fn parse_posted(form: &Posted) -> Result<(ParsedDocument, ParsedDocument, Corrections), String> {
    let text = form.get("text");
    let original = importer::parse(text).map_err(|e| match e {
        importer::ImportError::Empty => tr("web.import.empty", &[]),
        importer::ImportError::NoMeasures => tr("web.import.no_measures", &[]),
        other => other.to_string(),
    })?;
    let c = corrections_in(form, &original);
    let fixed = corrections::apply(&original, &c)?;
    Ok((original, fixed, c))
}

#[allow(clippy::too_many_arguments)]
fn preview_data(
    form: &Posted,
    original: &ParsedDocument,
    fixed: &ParsedDocument,
    c: &Corrections,
    known: &HashSet<String>,
    exists: Option<i32>,
    today: chrono::NaiveDate,
    error: Option<String>,
) -> PreviewData {
    let warned_measures: HashMap<u32, Vec<String>> =
        fixed.warnings.iter().fold(HashMap::new(), |mut acc, w| {
            if let Some(n) = w.measure {
                acc.entry(n).or_default().push(w.message.clone());
            }
            acc
        });
    let uses = |doc: &ParsedDocument, i: usize| {
        doc.measures
            .iter()
            .filter(|m| m.assignments.iter().any(|a| a.department == i))
            .count()
    };
    let units_hidden = original.departments.len().saturating_sub(MAX_UNITS_SHOWN);
    let units = original
        .departments
        .iter()
        .enumerate()
        .take(MAX_UNITS_SHOWN)
        .map(|(index, d)| {
            let typed = form.get(&format!("rename_{index}")).trim();
            let value = if typed.is_empty() {
                d.name.clone()
            } else {
                typed.to_string()
            };
            UnitRow {
                index,
                known: known.contains(&value),
                warned: original.warnings.iter().any(|w| {
                    w.message.contains(&d.name) && w.kind == importer::WarningKind::OutOfPlace
                }),
                measures: uses(original, index),
                name: d.name.clone(),
                value,
            }
        })
        .collect();
    let mut sections: Vec<SectionRows> = Vec::new();
    for m in &fixed.measures {
        if sections.last().is_none_or(|s| s.ordinal != m.section) {
            let title = m
                .section
                .and_then(|o| fixed.sections.iter().find(|s| s.ordinal == o))
                .map(|s| s.title.clone())
                .unwrap_or_default();
            sections.push(SectionRows {
                ordinal: m.section,
                title,
                measures: Vec::new(),
            });
        }
        let original_m = original.measures.iter().find(|o| o.number == m.number);
        let units = form
            .fields
            .get(&format!("units_{}", m.number))
            .cloned()
            .or_else(|| original_m.map(|o| units_of(original, o)))
            .unwrap_or_default();
        if let Some(s) = sections.last_mut() {
            s.measures.push(MeasureRow {
                number: m.number,
                label: m.label.clone(),
                title: m.title.clone(),
                lead: fixed.lead_of(m).map(str::to_string),
                co: fixed.co_of(m).into_iter().map(str::to_string).collect(),
                units,
                warnings: warned_measures.get(&m.number).cloned().unwrap_or_default(),
                deadline: m.deadline,
                deadline_text: m.deadline_text.clone(),
            });
        }
    }
    let starts_on = form.get("starts_on").trim();
    PreviewData {
        text: form.get("text").to_string(),
        number: fixed.number.clone(),
        title: fixed.title.clone(),
        issued_on: fixed.issued_on.map(|d| d.to_string()),
        measure_count: fixed.measures.len(),
        unit_count: fixed.departments.len(),
        new_units: fixed
            .departments
            .iter()
            .filter(|d| !known.contains(&d.name))
            .count(),
        warnings: fixed
            .warnings
            .iter()
            .filter(|w| w.measure.is_none())
            .map(|w| w.message.clone())
            .collect(),
        units,
        units_hidden,
        sections,
        corrected: c.renames.len() + c.units.len(),
        starts_on: if starts_on.is_empty() {
            today.to_string()
        } else {
            starts_on.to_string()
        },
        exists,
        replace: !form.get("replace").is_empty(),
        error,
    }
}

fn preview_page(
    state: &AppState,
    viewer: &Viewer,
    data: PreviewData,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let page = Page::for_viewer(viewer, viewer.t("import.preview_title"), "import", data);
    state.page_with_status("admin_import_preview", &page, status)
}

/// The directory's names and aliases, and the id of a stored document with this number.
fn lookups(
    conn: &mut crate::db::DbConn,
    number: Option<String>,
) -> Result<(HashSet<String>, Option<i32>), AppError> {
    let known = crate::db::departments::known_names(conn)?;
    let exists = match number {
        Some(n) => crate::db::documents::find_by_number(conn, &n)?,
        None => None,
    };
    Ok((known, exists))
}

/// The posted form, the parse of its text before and after its corrections, and the
/// corrections; or the first form again, saying why the text could not be read.
async fn read_and_parse(
    state: &AppState,
    viewer: &Viewer,
    body: Multipart,
) -> Result<Result<(Posted, ParsedDocument, ParsedDocument, Corrections), HttpResponse>, AppError> {
    let form = read_form(viewer, body).await?;
    // A large paste takes a while to parse: off the worker threads.
    let (form, parsed) = state
        .offload(move || {
            let parsed = parse_posted(&form);
            Ok((form, parsed))
        })
        .await?;
    match parsed {
        Ok((original, fixed, c)) => Ok(Ok((form, original, fixed, c))),
        Err(error) => {
            let data = FormData {
                text: form.get("text").to_string(),
                error: Some(error),
            };
            form_page(state, viewer, data, StatusCode::UNPROCESSABLE_ENTITY).map(Err)
        }
    }
}

/// `POST /admin/import/preview`: the parse, with any corrections applied.
pub async fn preview(
    state: web::Data<AppState>,
    viewer: Viewer,
    body: Multipart,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::Administer)?;
    let (form, original, fixed, c) = match read_and_parse(&state, &viewer, body).await? {
        Ok(parsed) => parsed,
        Err(page) => return Ok(page),
    };
    let number = fixed.number.clone();
    let (known, exists) = state.db(move |conn| lookups(conn, number)).await?;
    let today = state.today();
    let (st, v) = (state.clone(), viewer.clone());
    // The preview of a large plan is a large page: rendered off the worker threads too.
    let html = state
        .offload(move || {
            let data = preview_data(&form, &original, &fixed, &c, &known, exists, today, None);
            let page = Page::for_viewer(&v, v.t("import.preview_title"), "import", data);
            st.templates.render("admin_import_preview", &page)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// `POST /admin/import/confirm`: stores the corrected parse with its schedule, in one
/// transaction, as `duban import` does.
pub async fn confirm(
    state: web::Data<AppState>,
    viewer: Viewer,
    body: Multipart,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::Administer)?;
    let (form, original, fixed, c) = match read_and_parse(&state, &viewer, body).await? {
        Ok(parsed) => parsed,
        Err(page) => return Ok(page),
    };
    let today = state.today();
    let starts_on = match form.get("starts_on").trim() {
        "" => Ok(today),
        s => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| tr("web.import.bad_start_date", &[("value", s)])),
    };
    let schedule = starts_on.map(|d| ScheduleInput::defaults(&state.settings.reporting, d));
    let replace = !form.get("replace").is_empty();
    let text = form.get("text").to_string();
    let now = state.clock.now();
    let actor = viewer.user.username.clone();
    let stored = {
        let fixed = fixed.clone();
        let v = viewer.clone();
        state
            .db(move |conn| {
                let schedule = match schedule {
                    Ok(s) => s,
                    Err(m) => return Ok(Err(m)),
                };
                let result = crate::reporting::import_document(
                    conn, &fixed, &text, replace, &actor, now, &schedule,
                );
                match result {
                    Ok((outcome, sync)) => {
                        let message = v.t_with(
                            "import.done",
                            &[
                                ("measures", &outcome.measures.to_string()),
                                ("units", &outcome.new_departments.to_string()),
                                ("obligations", &sync.created.to_string()),
                            ],
                        );
                        flash(conn, &v, &message)?;
                        Ok(Ok(outcome.document_id))
                    }
                    Err(StoreError::Exists { number, .. }) => Ok(Err(
                        v.t_with("import.exists", &[("number", number.as_str())])
                    )),
                    Err(StoreError::HasReports { number, reports }) => Ok(Err(v.t_with(
                        "import.has_reports",
                        &[
                            ("number", number.as_str()),
                            ("reports", &reports.to_string()),
                        ],
                    ))),
                    Err(StoreError::Invalid(m)) => Ok(Err(m)),
                    Err(StoreError::Db(e)) => Err(e.into()),
                }
            })
            .await?
    };
    match stored {
        Ok(id) => Ok(see_other(format!("/documents/{id}"))),
        Err(error) => {
            let number = fixed.number.clone();
            let (known, exists) = state.db(move |conn| lookups(conn, number)).await?;
            let data = preview_data(
                &form,
                &original,
                &fixed,
                &c,
                &known,
                exists,
                today,
                Some(error),
            );
            preview_page(&state, &viewer, data, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}
