//! HTML pages for reading the plan: thin handlers that check access, load a view and render
//! its template.

use actix_web::{http::header, web, HttpResponse};

use crate::authz::{require, Action};
use crate::db::documents;
use crate::error::AppError;
use crate::read::views;
use crate::read::workbench;
use crate::web::auth::Viewer;
use crate::web::state::AppState;
use crate::web::templates::Page;

#[derive(serde::Serialize)]
struct IndexData {
    documents: Vec<documents::DocumentSummary>,
    /// A liaison's own unit and the measures it leads and shares.
    mine: Option<views::DepartmentView>,
    /// A liaison's work: returned, overdue, due soon, drafts, receipts to acknowledge.
    desk: Option<workbench::Desk>,
    /// The office's counts and its most overdue items.
    office: Option<workbench::OfficeBench>,
    /// A year whose holiday calendar the office should enter: this year's when missing, and
    /// from 1 November next year's.
    calendar_missing: Option<i32>,
}

/// Each role's home (工作台): the office's counts, a liaison's desk, a leader's scorecard.
pub async fn index(state: web::Data<AppState>, viewer: Viewer) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::ReadPlan)?;
    if viewer.user.role == crate::domain::accounts::Role::Leader {
        return crate::web::scorecard::home(&state, &viewer).await;
    }
    // The office's tiles count delivery failures, which change without an audit entry: its
    // workbench is kept per count.
    // The calendar warning depends on the day as well.
    let today = state.today();
    let (what, missing) = if viewer.user.is_admin() {
        let (failed, missing) = state
            .db(move |conn| {
                Ok((
                    workbench::failed_deliveries(conn)?,
                    workbench::calendar_missing(conn, today)?,
                ))
            })
            .await?;
        (
            format!("index|failed {failed}|calendar {missing:?}"),
            missing,
        )
    } else {
        ("index".to_string(), None)
    };
    let drawn = state
        .drawn(&viewer, &what, || draw_index(&state, &viewer, missing))
        .await?;
    state.drawn_page(&viewer, "home", &drawn, actix_web::http::StatusCode::OK)
}

async fn draw_index(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    calendar_missing: Option<i32>,
) -> Result<crate::web::cache::Drawn, AppError> {
    let department = viewer.user.department_id;
    let user = viewer.user.clone();
    let office = viewer.user.is_admin();
    let sms_on = state.settings.sms.is_some();
    let data = state
        .db_lit(move |conn, rules| {
            let (mine, desk) = match department {
                Some(id) => (
                    Some(views::department(conn, id)?),
                    Some(workbench::desk(conn, &user, id, rules)?),
                ),
                None => (None, None),
            };
            let office = if office {
                Some(workbench::office(conn, &user, rules, sms_on)?)
            } else {
                None
            };
            Ok(IndexData {
                documents: documents::list(conn)?,
                mine,
                desk,
                office,
                calendar_missing,
            })
        })
        .await?;
    state.templates.draw(
        "index",
        Page::for_viewer(viewer, viewer.t("plan.index.heading"), "home", data),
    )
}

/// `GET /documents`: every plan, for every role.
pub async fn documents_list(
    state: web::Data<AppState>,
    viewer: Viewer,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::ReadPlan)?;
    let data = state
        .db(|conn| {
            Ok(IndexData {
                documents: documents::list(conn)?,
                mine: None,
                desk: None,
                office: None,
                calendar_missing: None,
            })
        })
        .await?;
    state.page(
        "index",
        &Page::for_viewer(&viewer, viewer.t("plan.index.heading"), "documents", data),
    )
}

/// A measure or unit page's choices: the page of periods, and the whole timeline.
#[derive(Debug, Default, serde::Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    periods: Option<usize>,
    #[serde(default)]
    events: Option<String>,
}

pub async fn document(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::ReadPlan)?;
    let id = id.into_inner();
    let drawn = state
        .drawn(&viewer, &format!("document|{id}"), || async {
            let view = state
                .db_lit(move |conn, rules| views::document(conn, id, rules))
                .await?;
            let title = view
                .document
                .title
                .clone()
                .or_else(|| view.document.number.clone())
                .unwrap_or_else(|| viewer.t("plan.document.untitled"));
            state.templates.draw(
                "document",
                Page::for_viewer(&viewer, title, "documents", view),
            )
        })
        .await?;
    state.drawn_page(
        &viewer,
        "documents",
        &drawn,
        actix_web::http::StatusCode::OK,
    )
}

pub async fn measure(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i32>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::ReadPlan)?;
    let options = views::MeasurePageOptions {
        periods_page: query.periods.unwrap_or(1),
        all_events: query.events.as_deref() == Some("all"),
    };
    measure_page(&state, &viewer, id.into_inner(), None, options).await
}

/// The office's form for fixing a measure after import, as shown or as typed.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct MeasureEditForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub lead: String,
    /// Co units, one a line or separated by 、 or commas.
    #[serde(default)]
    pub co: String,
    #[serde(default)]
    pub deadline: String,
}

/// What was typed into one of the measure page's forms, shown again when it failed.
pub enum MeasureTyped {
    /// The office's edit form, and what was wrong with it.
    Edit(MeasureEditForm, String),
    /// The closing request or decision (办结).
    Closing(ClosingTyped),
    /// A leader's 批示, and what was wrong with it.
    Instruction(String, String),
}

/// The 批示 section as the `instructions` partial draws it.
#[derive(Debug, Clone, serde::Serialize)]
struct InstructionBlock {
    show: bool,
    items: Vec<crate::db::instructions::InstructionRow>,
    can: bool,
    action: String,
    typed: String,
    error: Option<String>,
    on_obligation: bool,
}

/// The closing forms as typed, with their messages beside the fields.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ClosingTyped {
    pub summary: String,
    pub summary_error: Option<String>,
    pub decision_comment: String,
    pub decision_error: Option<String>,
    /// Refused files, or what stands in the way of closing.
    pub errors: Vec<String>,
    /// The answer's status: 422 for bad input, 409 for a request that no longer fits.
    #[serde(skip)]
    pub status: Option<actix_web::http::StatusCode>,
}

/// The measure page; `typed` (the edit form as posted, and what was wrong with it) shows the
/// form open with everything typed. As shown (not typed), it is drawn once while the data
/// does not change.
pub async fn measure_page(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    id: i32,
    typed: Option<MeasureTyped>,
    options: views::MeasurePageOptions,
) -> Result<HttpResponse, AppError> {
    if typed.is_some() {
        let (drawn, status) = draw_measure(state, viewer, id, typed, options).await?;
        return state.drawn_page(viewer, "documents", &drawn, status);
    }
    let what = format!(
        "measure|{id}|{}|{}",
        options.periods_page, options.all_events
    );
    let drawn = state
        .drawn(viewer, &what, || async {
            Ok(draw_measure(state, viewer, id, None, options).await?.0)
        })
        .await?;
    state.drawn_page(viewer, "documents", &drawn, actix_web::http::StatusCode::OK)
}

async fn draw_measure(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    id: i32,
    typed: Option<MeasureTyped>,
    options: views::MeasurePageOptions,
) -> Result<(crate::web::cache::Drawn, actix_web::http::StatusCode), AppError> {
    let user = viewer.user.clone();
    let admin = crate::authz::allows(&viewer.user, Action::Administer);
    let can_instruct = crate::authz::allows(&viewer.user, Action::Instruct);
    let (view, units, instructions) = state
        .db_lit(move |conn, rules| {
            let view = views::measure_page(conn, id, &user, rules, options)?;
            let instructions = crate::db::instructions::for_measure(conn, id)?;
            // The office picks units from those of the document when it edits the measure
            // (or types a new one).
            let units = if admin {
                crate::db::departments::id_names(conn, Some(view.head.document.id))?
                    .into_iter()
                    .map(|(_, name)| name)
                    .collect()
            } else {
                Vec::new()
            };
            Ok((view, units, instructions))
        })
        .await?;
    let title = viewer.t_with(
        "plan.measure.title",
        &[
            ("label", &view.head.measure.label),
            ("title", &view.head.measure.title),
        ],
    );
    #[derive(serde::Serialize)]
    struct Data {
        #[serde(flatten)]
        view: views::MeasurePage,
        edit: MeasureEditForm,
        edit_error: Option<String>,
        units: Vec<String>,
        closing_typed: ClosingTyped,
        instructions: InstructionBlock,
    }
    let (instruction_typed, instruction_error) = match &typed {
        Some(MeasureTyped::Instruction(body, error)) => (body.clone(), Some(error.clone())),
        _ => (String::new(), None),
    };
    let instruction_failed = instruction_error.is_some();
    let (typed, closing_typed) = match typed {
        Some(MeasureTyped::Closing(c)) => (None, Some(c)),
        Some(MeasureTyped::Edit(form, error)) => (Some((form, error)), None),
        _ => (None, None),
    };
    let failed = (typed.is_some() || closing_typed.is_some() || instruction_failed).then(|| {
        closing_typed
            .as_ref()
            .and_then(|c| c.status)
            .unwrap_or(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY)
    });
    let (edit, edit_error, status) = match typed {
        Some((form, error)) => (
            form,
            Some(error),
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        ),
        None => (
            MeasureEditForm {
                title: view.head.measure.title.clone(),
                text: view.head.measure.body.clone(),
                lead: view
                    .head
                    .lead
                    .as_ref()
                    .map(|l| l.name.clone())
                    .unwrap_or_default(),
                co: view
                    .head
                    .co
                    .iter()
                    .map(|c| c.name.clone())
                    .collect::<Vec<_>>()
                    .join("\n"),
                deadline: view
                    .head
                    .measure
                    .deadline
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            },
            None,
            failed.unwrap_or(actix_web::http::StatusCode::OK),
        ),
    };
    let page = Page::for_viewer(
        viewer,
        title,
        "documents",
        Data {
            view,
            edit,
            edit_error,
            units,
            closing_typed: closing_typed.unwrap_or_default(),
            instructions: InstructionBlock {
                show: !instructions.is_empty() || can_instruct,
                items: instructions,
                can: can_instruct,
                action: format!("/measures/{id}/instruction"),
                typed: instruction_typed,
                error: instruction_error,
                on_obligation: false,
            },
        },
    );
    Ok((state.templates.draw("measure", page)?, status))
}

/// `POST /admin/measures/{id}`: the office fixes a measure (title, text, units, deadline).
pub async fn edit_measure(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    post: crate::web::auth::CsrfForm<MeasureEditForm>,
) -> Result<HttpResponse, AppError> {
    let crate::web::auth::CsrfForm { viewer, form } = post;
    require(&viewer.user, Action::Administer)?;
    let id = id.into_inner();
    let deadline = match form.deadline.trim() {
        "" => Ok(None),
        d => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| viewer.t("plan.measure.edit_bad_date")),
    };
    let deadline = match deadline {
        Ok(d) => d,
        Err(message) => {
            return measure_page(
                &state,
                &viewer,
                id,
                Some(MeasureTyped::Edit(form, message)),
                Default::default(),
            )
            .await
        }
    };
    let co: Vec<String> = form
        .co
        .split(['\n', '\r', '、', ',', '，', ';', '；'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let edit = crate::reporting::MeasureEdit {
        title: Some(form.title.clone()),
        text: Some(form.text.clone()),
        lead: Some(Some(form.lead.trim().to_string()).filter(|l| !l.is_empty())),
        co: Some(co),
        deadline: Some(deadline),
    };
    let (user, now, v) = (viewer.user.clone(), state.clock.now(), viewer.clone());
    let result = state
        .db(move |conn| {
            let done = crate::reporting::edit_measure(conn, &user, id, &edit, now)?;
            let message = v.t_with(
                "plan.measure.edited",
                &[
                    ("created", &done.obligations_created.to_string()),
                    ("removed", &done.obligations_removed.to_string()),
                ],
            );
            crate::web::respond::flash(conn, &v, &message)
        })
        .await;
    match result {
        Ok(()) => Ok(crate::web::respond::see_other(format!("/measures/{id}"))),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            measure_page(
                &state,
                &viewer,
                id,
                Some(MeasureTyped::Edit(form, e.user_message())),
                Default::default(),
            )
            .await
        }
        Err(e) => Err(e),
    }
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
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::ReadPlan)?;
    let id = id.into_inner();
    let periods = query.periods.unwrap_or(1);
    let drawn = state
        .drawn(&viewer, &format!("department|{id}|{periods}"), || async {
            let user = viewer.user.clone();
            let view = state
                .db_lit(move |conn, rules| views::department_page(conn, id, &user, rules, periods))
                .await?;
            state.templates.draw(
                "department",
                Page::for_viewer(
                    &viewer,
                    view.view.department.name.clone(),
                    "departments",
                    view,
                ),
            )
        })
        .await?;
    state.drawn_page(
        &viewer,
        "departments",
        &drawn,
        actix_web::http::StatusCode::OK,
    )
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

#[derive(serde::Deserialize)]
pub struct InstructionForm {
    #[serde(default)]
    body: String,
}

impl InstructionForm {
    pub fn body(&self) -> &str {
        &self.body
    }
}

/// `POST /measures/{id}/instruction`: a leader's 批示 on a measure, to all its units.
pub async fn instruct_measure(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    post: crate::web::auth::CsrfForm<InstructionForm>,
) -> Result<HttpResponse, AppError> {
    let crate::web::auth::CsrfForm { viewer, form } = post;
    require(&viewer.user, Action::Instruct)?;
    let id = id.into_inner();
    match leave_instruction(
        &state,
        &viewer,
        crate::instructions::Target::Measure(id),
        &form.body,
    )
    .await?
    {
        None => Ok(crate::web::respond::see_other(format!(
            "/measures/{id}#instructions"
        ))),
        Some(error) => {
            let options = views::MeasurePageOptions {
                periods_page: 1,
                all_events: false,
            };
            measure_page(
                &state,
                &viewer,
                id,
                Some(MeasureTyped::Instruction(form.body, error)),
                options,
            )
            .await
        }
    }
}

/// Records a 批示 and nudges delivery; `Some(message)` when the text was refused.
pub async fn leave_instruction(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    target: crate::instructions::Target,
    body: &str,
) -> Result<Option<String>, AppError> {
    let (user, settings, now) = (
        viewer.user.clone(),
        state.settings.clone(),
        state.clock.now(),
    );
    let body = body.to_string();
    let v = viewer.clone();
    let result = state
        .db(move |conn| {
            match crate::instructions::leave(conn, &user, target, &body, &settings, now) {
                Ok(_) => {
                    crate::web::respond::flash(conn, &v, &v.t("reporting.instruction.sent"))?;
                    Ok(None)
                }
                Err(AppError::Invalid { message, .. }) => Ok(Some(message)),
                Err(e) => Err(e),
            }
        })
        .await?;
    if result.is_none() {
        state.mailroom.nudge();
    }
    Ok(result)
}
