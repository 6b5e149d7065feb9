//! Pages and API routes of the reporting loop: the obligation page and its forms (report,
//! extension, review), the office's queues, schedule and dispatch, receipts, evidence
//! downloads, and the contract's report API.

use actix_multipart::Multipart;
use actix_web::http::header::{
    self, Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::authz::{require, Action, CurrentUser};
use crate::db::reports::{self, NewEvidence};
use crate::db::{obligations, DbConn};
use crate::domain::reporting::{field_messages, parse_report, FieldError, ReportFields};
use crate::error::AppError;
use crate::i18n::tr;
use crate::read::progress::{self, LightRules, ObligationView, VersionView};
use crate::reporting::{self, Decision, ScheduleInput};
use crate::security;
use crate::web::auth::{csrf_refused, ApiCaller, CsrfForm, NoFields, Viewer};
use crate::web::respond::{flash, see_other};
use crate::web::state::AppState;
use crate::web::templates::Page;
use crate::web::upload::{self, Upload};

/// Renders the obligation page, with an error above its forms when `error` is set.
async fn obligation_view(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    id: i32,
    error: Option<(actix_web::http::StatusCode, Option<String>)>,
    typed: Option<Typed>,
) -> Result<HttpResponse, AppError> {
    let user = viewer.user.clone();
    let copy_last = typed.as_ref().is_some_and(|t| t.copy_last);
    let queue = match typed.as_ref().and_then(|t| t.queue.as_deref()) {
        Some(q) => Some(queue_where(q)?),
        None => None,
    };
    let (view, review_extra) = state
        .db_lit(move |conn, rules| {
            let view = progress::obligation_page(conn, &user, id, rules, copy_last)?;
            let extra = match &view.review {
                Some(v) => Some(review_extra(conn, &v.report, queue.as_ref())?),
                None => None,
            };
            Ok((view, extra))
        })
        .await?;
    let title = viewer.t_with(
        "reporting.obligation.title",
        &[
            ("measure", &view.obligation.measure_label),
            ("department", &view.obligation.department),
            ("period", &view.obligation.period_label),
        ],
    );
    #[derive(Serialize)]
    struct Data {
        #[serde(flatten)]
        page: progress::ObligationPage,
        error: Option<String>,
        /// What was typed, when the form is shown again (empty otherwise).
        typed: Typed,
        limits: FormLimits,
        /// For the office's review: kept comments and the next waiting report.
        review_extra: Option<ReviewExtra>,
    }
    let (status, message) = match error {
        Some((s, m)) => (s, m),
        None => (actix_web::http::StatusCode::OK, None),
    };
    let mut view = view;
    if let (Some(form), Some(t)) = (
        view.form.as_mut(),
        typed.as_ref().filter(|t| t.report_typed),
    ) {
        form.summary.clone_from(&t.summary);
        form.problems.clone_from(&t.problems);
        form.next_steps.clone_from(&t.next_steps);
        form.percent.clone_from(&t.percent);
        form.progress.clone_from(&t.progress);
    }
    let page = Page::for_viewer(
        viewer,
        title,
        "documents",
        Data {
            page: view,
            error: message,
            typed: typed.unwrap_or_default(),
            limits: FormLimits::new(&state.settings.evidence),
            review_extra,
        },
    );
    let html = state.templates.render("obligation", &page)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(html))
}

pub async fn obligation_page(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    viewer: Viewer,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::ReadPlan)?;
    // Opened from the review queue: 下一条 keeps its filters. `copy=last`: 复制上期内容.
    let pairs = query_pairs(req.query_string())?;
    let queue = pairs
        .iter()
        .find(|(k, _)| k == "queue")
        .map(|(_, v)| v.clone());
    let copy_last = pairs.iter().any(|(k, v)| k == "copy" && v == "last");
    let typed = (queue.is_some() || copy_last).then(|| Typed {
        queue,
        copy_last,
        ..Typed::default()
    });
    obligation_view(&state, &viewer, id.into_inner(), None, typed).await
}

/// The pairs of a query string; a malformed one is refused.
fn query_pairs(query: &str) -> Result<Vec<(String, String)>, AppError> {
    serde_urlencoded::from_str(query).map_err(|_| AppError::Validation(tr("web.form.invalid", &[])))
}

/// The review queue's filters from a query string (document, unit, period); anything else,
/// or a value that is not one, is refused by name.
pub fn queue_where(query: &str) -> Result<reports::QueueWhere, AppError> {
    let mut w = reports::QueueWhere::default();
    for (k, v) in query_pairs(query)? {
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        let id = |field: &'static str| {
            v.parse::<i32>().map_err(|_| AppError::Invalid {
                field,
                message: tr("web.reports.queue_bad_filter", &[("value", v)]),
            })
        };
        match k.as_str() {
            "document" => w.document_id = Some(id("document")?),
            "unit" => w.department_id = Some(id("unit")?),
            "period" if v.chars().count() <= 40 => w.period_key = Some(v.to_string()),
            "period" => {
                return Err(AppError::Invalid {
                    field: "period",
                    message: tr("web.reports.queue_bad_filter", &[("value", v)]),
                })
            }
            _ => {}
        }
    }
    Ok(w)
}

/// What the office's review form offers beside the decision.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewExtra {
    /// 常用意见.
    pub canned: Vec<crate::db::canned::CannedComment>,
    /// 下一条: the next waiting report's obligation page, within the same filters.
    pub next: Option<String>,
    /// How many wait in the queue (with its filters), this one included.
    pub waiting: i64,
    /// The queue's filters as a query string ("" for the whole queue).
    pub queue: String,
}

fn review_extra(
    conn: &mut crate::db::DbConn,
    report: &reports::Report,
    queue: Option<&reports::QueueWhere>,
) -> Result<ReviewExtra, AppError> {
    let w = queue.cloned().unwrap_or_default();
    let query = progress::queue_query(&w);
    let next = reports::next_waiting(conn, &w, report)?.map(|r| next_link(r.obligation_id, &query));
    let (waiting, _) = reports::awaiting_review(conn, &w, 0, 0)?;
    Ok(ReviewExtra {
        canned: crate::db::canned::list(conn)?,
        next,
        waiting,
        queue: query,
    })
}

/// An obligation page opened from the queue, keeping its filters.
fn next_link(obligation_id: i32, query: &str) -> String {
    let q = serde_urlencoded::to_string([("queue", query)]).unwrap_or_default();
    format!("/obligations/{obligation_id}?{q}")
}

/// Shows an expected failure (bad input, a stale save) on the obligation page itself;
/// passes anything else on.
async fn or_form_error(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    id: i32,
    result: Result<HttpResponse, AppError>,
    typed: Option<Typed>,
) -> Result<HttpResponse, AppError> {
    use actix_web::ResponseError;
    match result {
        Err(
            e @ (AppError::Validation(_)
            | AppError::Invalid { .. }
            | AppError::Conflict(_)
            | AppError::TooLarge(_)
            | AppError::Unsupported(_)),
        ) => {
            let status = e.status_code();
            obligation_view(
                state,
                viewer,
                id,
                Some((status, Some(e.user_message()))),
                typed,
            )
            .await
        }
        other => other,
    }
}

/// The department an obligation belongs to; the caller must be allowed to act for it.
async fn require_act_for_obligation(
    state: &web::Data<AppState>,
    user: &CurrentUser,
    obligation_id: i32,
) -> Result<(), AppError> {
    let department_id = state
        .db(move |conn| Ok(obligations::find(conn, obligation_id)?.map(|o| o.department_id)))
        .await?
        .ok_or_else(|| AppError::not_found("obligation"))?;
    require(user, Action::ActFor { department_id })
}

/// Keeps the staged files and runs `save` (a transaction that references them). Should it
/// fail, the kept files stay for the collector: another report may reference them.
pub(crate) async fn save_with_files<T, F>(
    state: &web::Data<AppState>,
    files: Vec<upload::StagedEvidence>,
    save: F,
) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn, &[NewEvidence]) -> Result<T, AppError> + Send + 'static,
{
    let store = state.evidence.clone();
    state
        .db(move |conn| {
            let kept = upload::keep_all(&store, files)?;
            save(conn, &kept)
        })
        .await
}

/// The report form's limits, for the browser's checks and the hint under the file field.
#[derive(Debug, Serialize)]
struct FormLimits {
    accept: &'static str,
    max_file: u64,
    max_report: u64,
    max_file_mb: u64,
    max_report_mb: u64,
}

impl FormLimits {
    fn new(limits: &crate::config::EvidenceSettings) -> Self {
        FormLimits {
            accept: crate::domain::reporting::ACCEPTED_EXTENSIONS,
            max_file: limits.max_file,
            max_report: limits.max_report,
            max_file_mb: limits.max_file >> 20,
            max_report_mb: limits.max_report >> 20,
        }
    }
}

/// What a person typed into the report form, shown again when it could not be saved.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Typed {
    pub summary: String,
    pub problems: String,
    pub next_steps: String,
    pub percent: String,
    pub progress: String,
    pub revision: Option<String>,
    /// Files that passed their checks, kept for the next try.
    pub carried: Vec<upload::Carried>,
    /// The review form's comment and the files marked insufficient, as typed.
    pub review_comment: String,
    pub review_insufficient: Vec<i32>,
    /// The review queue's filters this page was opened from (a query string), for 下一条.
    pub queue: Option<String>,
    /// 复制上期内容: start the form from the last period's text.
    #[serde(skip)]
    pub copy_last: bool,
    /// Whether the report form's fields above were typed (not just a page opened).
    #[serde(skip)]
    pub report_typed: bool,
    /// The files already attached (or carried from the last version) left ticked; `None`
    /// when the form listed none.
    pub keep: Option<Vec<i32>>,
    /// Whether `keep` was listed at all: an empty list (every file unticked) must stay empty
    /// when the form comes back, not fall back to the defaults.
    pub keep_listed: bool,
    /// Messages beside their fields: summary, percent, status, evidence, comment.
    pub errors: FieldMessages,
    /// A leader's 批示 as typed, and what was wrong with it.
    pub instruction: String,
    pub instruction_error: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct FieldMessages {
    pub summary: Option<String>,
    pub problems: Option<String>,
    pub next_steps: Option<String>,
    pub percent: Option<String>,
    pub status: Option<String>,
    pub evidence: Vec<String>,
    pub comment: Option<String>,
}

impl FieldMessages {
    fn add(&mut self, e: FieldError) {
        let slot = match e.field {
            "summary" => &mut self.summary,
            "problems" => &mut self.problems,
            "next_steps" => &mut self.next_steps,
            "percent" => &mut self.percent,
            _ => &mut self.status,
        };
        slot.get_or_insert(e.message);
    }
}

/// The report's fields of a multipart form or API post.
fn report_fields(up: &Upload) -> ReportFields<'_> {
    ReportFields {
        summary: up.field("summary"),
        problems: up.field("problems"),
        next_steps: up.field("next_steps"),
        percent: up.field("percent"),
        status: up.field("status"),
    }
}

impl Typed {
    /// The report's fields as typed.
    fn fields(&self) -> ReportFields<'_> {
        ReportFields {
            summary: &self.summary,
            problems: &self.problems,
            next_steps: &self.next_steps,
            percent: &self.percent,
            status: &self.progress,
        }
    }

    fn from_upload(up: &Upload) -> Self {
        Typed {
            summary: up.field("summary").to_string(),
            problems: up.field("problems").to_string(),
            next_steps: up.field("next_steps").to_string(),
            percent: up.field("percent").to_string(),
            progress: up.field("status").to_string(),
            revision: Some(up.field("revision").trim().to_string()).filter(|r| !r.is_empty()),
            report_typed: true,
            keep: (up.field("files_listed") == "1")
                .then(|| up.values("keep").filter_map(|v| v.parse().ok()).collect()),
            keep_listed: up.field("files_listed") == "1",
            ..Typed::default()
        }
    }
}

/// `POST /obligations/{id}/report`: the report form (multipart, with its CSRF token). Nothing
/// typed is lost: a refused file, a bad field or a stale save shows the form again with what
/// was typed, each message beside its field, and the files that passed kept for the next try.
pub async fn post_report_form(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    viewer: Option<Viewer>,
    id: web::Path<i32>,
    body: Multipart,
) -> Result<HttpResponse, AppError> {
    use actix_web::ResponseError;
    let id = id.into_inner();
    let Some(viewer) = viewer else {
        return draft_after_session_ended(&state, &req, id, body).await;
    };
    require_act_for_obligation(&state, &viewer.user, id).await?;
    let up = match upload::read(body, &state.evidence, state.settings.evidence).await {
        Ok(up) => up,
        Err(e) => return or_form_error(&state, &viewer, id, Err(e), None).await,
    };
    if !security::same_secret(up.field("csrf_token"), &viewer.csrf) {
        return Err(csrf_refused());
    }
    let mut typed = Typed::from_upload(&up);
    let revision: Option<i32> = match typed.revision.as_deref() {
        None => None,
        Some(r) => Some(
            r.parse()
                .map_err(|_| AppError::Validation(tr("web.reports.bad_revision", &[])))?,
        ),
    };
    let submit = up.field("action") == "submit";
    let (carried, gone) = upload::carried(
        &state.signer,
        &state.evidence,
        viewer.user.id,
        up.values("carried"),
    );
    let mut refused = up.refused;
    refused.extend(gone);
    // The files that passed are kept now, whatever follows, so they can be carried back.
    let store = state.evidence.clone();
    let staged = up.files;
    let mut files = state
        .offload(move || upload::keep_all(&store, staged))
        .await?;
    files.extend(carried);
    let typed_keep = typed.keep.clone();
    let parsed = parse_report(typed.fields());
    let status = refused.first().map(|r| r.error().status_code());
    typed.errors.evidence = refused.into_iter().map(|r| r.message).collect();
    let content = match parsed {
        Ok(content) if status.is_none() => content,
        parsed => {
            if let Err(errors) = parsed {
                errors.into_iter().for_each(|e| typed.errors.add(e));
            }
            typed.carried = upload::carry(&state.signer, viewer.user.id, &files);
            let status = status.unwrap_or(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY);
            return obligation_view(&state, &viewer, id, Some((status, None)), Some(typed)).await;
        }
    };
    let user = viewer.user.clone();
    let at = state.stamp();
    let v = viewer.clone();
    let kept = files.clone();
    let keep = typed_keep;
    let saved = state
        .db(move |conn| {
            reporting::save_report(
                conn,
                &user,
                id,
                &content,
                submit,
                revision,
                &kept,
                keep.as_deref(),
                at,
            )?;
            let message = v.t(if submit {
                "reporting.flash.submitted"
            } else {
                "reporting.flash.draft_saved"
            });
            flash(conn, &v, &message)
        })
        .await;
    let result = saved.map(|()| see_other(format!("/obligations/{id}")));
    if result.is_err() {
        typed.carried = upload::carry(&state.signer, viewer.user.id, &files);
    }
    or_form_error(&state, &viewer, id, result, Some(typed)).await
}

/// A report form that arrives after its session ended: saved as the person's draft (never
/// submitted: they confirm after signing in again), the ended session cleared, and the person
/// sent to sign in and back to the obligation, told that the draft was kept.
async fn draft_after_session_ended(
    state: &web::Data<AppState>,
    req: &actix_web::HttpRequest,
    id: i32,
    body: Multipart,
) -> Result<HttpResponse, AppError> {
    let back = format!("/obligations/{id}");
    let login = || AppError::LoginRequired(back.clone());
    let Some((user, csrf, session)) = crate::web::auth::ended_session(req).await? else {
        return Err(login());
    };
    if require_act_for_obligation(state, &user, id).await.is_err() {
        return Err(login());
    }
    let up = upload::read(body, &state.evidence, state.settings.evidence).await?;
    if !security::same_secret(up.field("csrf_token"), &csrf) {
        return Err(login());
    }
    let typed = Typed::from_upload(&up);
    let keep = typed.keep.clone();
    let (carried, _) = upload::carried(
        &state.signer,
        &state.evidence,
        user.id,
        up.values("carried"),
    );
    let revision = typed.revision.as_deref().and_then(|r| r.parse().ok());
    let content = parse_report(typed.fields()).ok();
    let store = state.evidence.clone();
    let staged = up.files;
    let at = state.stamp();
    let saved = state
        .db(move |conn| {
            let Some(content) = content else {
                return Ok(false);
            };
            let mut files = upload::keep_all(&store, staged)?;
            files.extend(carried);
            let saved = reporting::save_report(
                conn,
                &user,
                id,
                &content,
                false,
                revision,
                &files,
                keep.as_deref(),
                at,
            )
            .is_ok();
            crate::db::sessions::delete(conn, &session)?;
            Ok(saved)
        })
        .await?;
    let kept = if saved { "draft" } else { "none" };
    let query =
        serde_urlencoded::to_string([("next", back.as_str()), ("kept", kept)]).unwrap_or_default();
    Ok(see_other(format!("/login?{query}")))
}

#[derive(Deserialize)]
pub struct ExtensionForm {
    #[serde(default)]
    due_on: String,
    #[serde(default)]
    reason: String,
}

fn parse_date(field: &str, s: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::Validation(tr("web.reports.bad_date", &[("field", field)])))
}

pub async fn request_extension(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    post: CsrfForm<ExtensionForm>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm { viewer, form } = post;
    let id = id.into_inner();
    require_act_for_obligation(&state, &viewer.user, id).await?;
    let result = async {
        let due = parse_date("due_on", &form.due_on)?;
        let (user, v, today, now) = (
            viewer.user.clone(),
            viewer.clone(),
            state.today(),
            state.clock.now(),
        );
        state
            .db(move |conn| {
                reporting::request_extension(conn, &user, id, due, &form.reason, today, now)?;
                flash(conn, &v, &v.t("reporting.flash.extension_requested"))
            })
            .await?;
        Ok(see_other(format!("/obligations/{id}")))
    }
    .await;
    or_form_error(&state, &viewer, id, result, None).await
}

/// `POST /reports/{id}/review` (form): 通过 or 退回修改 (the button pressed), the comment,
/// the files marked insufficient, 存为常用意见, and the queue it was opened from. From the
/// queue, the office goes on to the next waiting report (下一条); a refused review comes back
/// with what was typed.
pub async fn review_form(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    viewer: Viewer,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::Administer)?;
    let report_id = id.into_inner();
    // Repeated checkbox fields: parse pairs by hand.
    let pairs = query_pairs(std::str::from_utf8(&body).unwrap_or(""))?;
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map_or("", |(_, v)| v.as_str())
            .to_string()
    };
    if !security::same_secret(&get("csrf_token"), &viewer.csrf) {
        return Err(csrf_refused());
    }
    let decision_text = get("decision");
    let comment = get("comment");
    let keep = get("keep") == "1";
    let insufficient: Vec<i32> = pairs
        .iter()
        .filter(|(n, _)| n == "insufficient")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let queue = pairs
        .iter()
        .find(|(n, _)| n == "queue")
        .map(|(_, v)| v.clone());
    let typed = Typed {
        review_comment: comment.clone(),
        review_insufficient: insufficient.clone(),
        queue: queue.clone(),
        ..Typed::default()
    };
    let queue_w = match &queue {
        Some(q) => Some(queue_where(q)?),
        None => None,
    };
    let (user, v, now) = (viewer.user.clone(), viewer.clone(), state.clock.now());
    let obligation = state
        .db(move |conn| Ok(reports::find(conn, report_id)?.map(|r| r.obligation_id)))
        .await?
        .ok_or_else(|| AppError::not_found("report"))?;
    let result = state
        .db(move |conn| {
            let decision = Decision::parse(&decision_text)?;
            crate::db::transaction(conn, |conn| {
                reporting::review(
                    conn,
                    &user,
                    report_id,
                    decision,
                    &comment,
                    &insufficient,
                    now,
                )?;
                if keep && !comment.trim().is_empty() {
                    reporting::keep_canned(conn, &user, &comment, now)?;
                }
                Ok::<_, AppError>(())
            })?;
            let mut message = v.t(match decision {
                Decision::Accept => "reporting.flash.accepted",
                Decision::Return => "reporting.flash.returned",
            });
            let to = match &queue_w {
                None => format!("/obligations/{obligation}"),
                Some(w) => {
                    let query = progress::queue_query(w);
                    let reviewed = reports::find(conn, report_id)?
                        .ok_or_else(|| AppError::not_found("report"))?;
                    match reports::next_waiting(conn, w, &reviewed)? {
                        Some(next) => {
                            message.push_str(&v.t("reporting.flash.next"));
                            next_link(next.obligation_id, &query)
                        }
                        None => {
                            message.push_str(&v.t("reporting.flash.queue_done"));
                            format!("/admin/reviews?{query}")
                        }
                    }
                }
            };
            flash(conn, &v, &message)?;
            Ok(to)
        })
        .await;
    match result {
        Ok(to) => Ok(see_other(to)),
        Err(AppError::Invalid {
            field: "comment",
            message,
        }) => {
            let mut typed = typed;
            typed.errors.comment = Some(message);
            let status = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
            obligation_view(
                &state,
                &viewer,
                obligation,
                Some((status, None)),
                Some(typed),
            )
            .await
        }
        Err(e) => or_form_error(&state, &viewer, obligation, Err(e), Some(typed)).await,
    }
}

/// `POST /reports/{id}/withdraw`: the unit takes a submitted report back before review.
pub async fn withdraw(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    post: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let viewer = post.viewer;
    let (user, v, now, id) = (
        viewer.user.clone(),
        viewer.clone(),
        state.clock.now(),
        id.into_inner(),
    );
    let obligation = state
        .db(move |conn| Ok(reports::find(conn, id)?.map(|r| r.obligation_id)))
        .await?
        .ok_or_else(|| AppError::not_found("report"))?;
    let result = state
        .db(move |conn| {
            reporting::withdraw_report(conn, &user, id, now)?;
            flash(conn, &v, &v.t("reporting.flash.withdrawn"))
        })
        .await
        .map(|()| see_other(format!("/obligations/{obligation}")));
    or_form_error(&state, &viewer, obligation, result, None).await
}

/// `POST /admin/comments/{id}/delete`: drops a kept comment.
pub async fn drop_canned(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    post: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let viewer = post.viewer;
    require(&viewer.user, Action::Administer)?;
    let (user, v, now, id) = (
        viewer.user.clone(),
        viewer.clone(),
        state.clock.now(),
        id.into_inner(),
    );
    let back = state
        .db(move |conn| {
            reporting::drop_canned(conn, &user, id, now)?;
            flash(conn, &v, &v.t("reporting.flash.canned_dropped"))?;
            Ok("/admin/reviews".to_string())
        })
        .await?;
    Ok(see_other(back))
}

#[derive(Serialize)]
struct QueueData<T: Serialize> {
    items: Vec<T>,
}

pub async fn review_queue(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    viewer: Viewer,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::Administer)?;
    let pairs = query_pairs(req.query_string())?;
    let page: u32 = match pairs.iter().find(|(k, _)| k == "page") {
        Some((_, p)) => {
            p.trim()
                .parse()
                .ok()
                .filter(|p| *p >= 1)
                .ok_or_else(|| AppError::Invalid {
                    field: "page",
                    message: tr("web.reports.queue_bad_filter", &[("value", p)]),
                })?
        }
        None => 1,
    };
    let w = queue_where(req.query_string())?;
    #[derive(Serialize)]
    struct Data {
        #[serde(flatten)]
        queue: progress::ReviewQueue,
        canned: Vec<crate::db::canned::CannedComment>,
    }
    let data = state
        .db_lit(move |conn, rules| {
            let mut queue = progress::review_queue(conn, rules, &w, page)?;
            for item in &mut queue.items {
                item.link = next_link(item.obligation.id, &queue.query);
            }
            Ok(Data {
                queue,
                canned: crate::db::canned::list(conn)?,
            })
        })
        .await?;
    state.page(
        "admin_reviews",
        &Page::for_viewer(
            &viewer,
            viewer.t("reporting.reviews.heading"),
            "reviews",
            data,
        ),
    )
}

pub async fn extension_queue(
    state: web::Data<AppState>,
    viewer: Viewer,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::Administer)?;
    let items = state.db_lit(progress::extension_queue).await?;
    state.page(
        "admin_extensions",
        &Page::for_viewer(
            &viewer,
            viewer.t("reporting.extensions.heading"),
            "extensions",
            QueueData { items },
        ),
    )
}

/// An approve-or-refuse form: an extension request, a closing request.
#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    pub(crate) decision: String,
    #[serde(default)]
    pub(crate) comment: String,
}

pub async fn decide_extension(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    post: CsrfForm<DecisionForm>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm { viewer, form } = post;
    require(&viewer.user, Action::Administer)?;
    let approve = match form.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(AppError::Validation(tr("web.reports.bad_decision", &[]))),
    };
    let (id, user, v, now) = (
        id.into_inner(),
        viewer.user.clone(),
        viewer.clone(),
        state.clock.now(),
    );
    state
        .db(move |conn| {
            reporting::decide_extension(conn, &user, id, approve, &form.comment, now)?;
            let message = v.t(if approve {
                "reporting.flash.extension_approved"
            } else {
                "reporting.flash.extension_rejected"
            });
            flash(conn, &v, &message)
        })
        .await?;
    Ok(see_other("/admin/extensions"))
}

#[derive(Deserialize)]
pub struct ScheduleForm {
    #[serde(default)]
    cadence: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    periods: String,
    #[serde(default)]
    custom_periods: String,
    #[serde(default)]
    due_days: String,
    /// A fixed day of the period's last month; empty: `due_days` after the period.
    #[serde(default)]
    due_day: String,
    #[serde(default)]
    co_days: String,
    /// The report template's checkboxes, present when `template_listed` is.
    ask_problems: Option<String>,
    ask_next_steps: Option<String>,
    template_listed: Option<String>,
}

pub async fn set_schedule(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    post: CsrfForm<ScheduleForm>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm { viewer, form } = post;
    require(&viewer.user, Action::Administer)?;
    let number = |field: &str, s: &str| {
        s.trim()
            .parse::<i32>()
            .map_err(|_| AppError::Validation(tr("web.reports.not_integer", &[("field", field)])))
    };
    let input = ScheduleInput {
        cadence: form.cadence.clone(),
        starts_on: parse_date("starts_on", &form.starts_on)?,
        periods: number("periods", &form.periods)?,
        custom_periods: form.custom_periods.clone(),
        due_days: number("due_days", &form.due_days)?,
        due_day: match form.due_day.trim() {
            "" => None,
            day => Some(number("due_day", day)?),
        },
        co_days: number("co_days", &form.co_days)?,
        ask_problems: form.template_listed.is_none() || form.ask_problems.is_some(),
        ask_next_steps: form.template_listed.is_none() || form.ask_next_steps.is_some(),
    };
    let (id, user, v, now) = (
        id.into_inner(),
        viewer.user.clone(),
        viewer.clone(),
        state.clock.now(),
    );
    state
        .db(move |conn| {
            let sync = reporting::set_schedule(conn, &user, id, &input, now)?;
            let kept_note = if sync.kept > 0 {
                v.t_with(
                    "reporting.flash.schedule_kept",
                    &[("kept", &sync.kept.to_string())],
                )
            } else {
                String::new()
            };
            let message = v.t_with(
                "reporting.flash.schedule_saved",
                &[
                    ("created", &sync.created.to_string()),
                    ("updated", &sync.updated.to_string()),
                    ("removed", &sync.removed.to_string()),
                    ("kept_note", &kept_note),
                ],
            );
            flash(conn, &v, &message)
        })
        .await?;
    Ok(see_other(format!("/documents/{id}")))
}

pub async fn dispatch(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    post: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let viewer = post.viewer;
    require(&viewer.user, Action::Administer)?;
    let (id, today, now) = (id.into_inner(), state.today(), state.clock.now());
    let settings = state.settings.reporting.clone();
    state
        .db(move |conn| {
            let n = reporting::dispatch(conn, &viewer.user, id, today, &settings, now)?;
            let message = viewer.t_with("reporting.flash.dispatched", &[("n", &n.to_string())]);
            flash(conn, &viewer, &message)
        })
        .await?;
    Ok(see_other(format!("/documents/{id}")))
}

pub async fn acknowledge(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    post: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let viewer = post.viewer;
    let (id, now) = (id.into_inner(), state.clock.now());
    state
        .db(move |conn| {
            reporting::acknowledge(conn, &viewer.user, id, now)?;
            flash(conn, &viewer, &viewer.t("reporting.flash.acknowledged"))
        })
        .await?;
    Ok(see_other("/"))
}

/// Checks that `user` may read a report (and so its files); returns the report's
/// obligation and version views.
fn readable_report(
    conn: &mut DbConn,
    user: &CurrentUser,
    report_id: i32,
    rules: &LightRules,
) -> Result<(ObligationView, VersionView), AppError> {
    let report = reports::find(conn, report_id)?.ok_or_else(|| AppError::not_found("report"))?;
    let ob = obligations::find(conn, report.obligation_id)?
        .ok_or_else(|| AppError::not_found("obligation"))?;
    let lead = crate::db::measures::lead_of(conn, ob.measure_id)?;
    let own = crate::authz::allows(
        user,
        Action::ActFor {
            department_id: ob.department_id,
        },
    );
    if !crate::read::visible_to(user, ob.department_id, lead) || (report.state == "draft" && !own) {
        return Err(AppError::Forbidden(tr("web.reports.own_reports_only", &[])));
    }
    let version = progress::versions_of(conn, vec![report])?
        .pop()
        .ok_or_else(|| AppError::not_found("report"))?;
    Ok((ObligationView::new(ob, rules), version))
}

/// Whether an evidence request asks to look at the file in the page (`?inline=1`).
#[derive(Deserialize, Default)]
pub struct EvidenceQuery {
    #[serde(default)]
    inline: Option<String>,
}

impl EvidenceQuery {
    pub fn inline(&self) -> bool {
        self.inline.as_deref() == Some("1")
    }
}

/// A file of evidence. PDF and images may be looked at in the page (`?inline=1`): they are
/// then served inline in a sandbox (`Content-Security-Policy: sandbox`, `nosniff`), framable
/// only by duban's own pages. Everything else is always a download.
async fn evidence_response(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: i32,
    inline: bool,
) -> Result<HttpResponse, AppError> {
    let file = state
        .db_lit(move |conn, rules| {
            let file =
                reports::find_evidence(conn, id)?.ok_or_else(|| AppError::not_found("evidence"))?;
            readable_report(conn, &user, file.report_id, rules)?;
            Ok(file)
        })
        .await?;
    serve_stored(
        &state,
        &file.sha256,
        file.filename,
        file.content_type,
        inline,
    )
    .await
}

/// A stored file as a download, or (PDF and images, when asked) inline in a sandbox.
pub(crate) async fn serve_stored(
    state: &web::Data<AppState>,
    sha256: &str,
    filename: String,
    content_type: String,
    inline: bool,
) -> Result<HttpResponse, AppError> {
    // Read without holding a database connection.
    let path = state
        .evidence
        .path_of(sha256)
        .ok_or_else(|| AppError::not_found("evidence"))?;
    let bytes = web::block(move || {
        std::fs::read(&path).map_err(|e| AppError::io(&format!("reading {}", path.display()), e))
    })
    .await??;
    let inline = inline && crate::domain::reporting::previewable(&content_type);
    let disposition = ContentDisposition {
        disposition: if inline {
            DispositionType::Inline
        } else {
            DispositionType::Attachment
        },
        parameters: vec![DispositionParam::FilenameExt(ExtendedValue {
            charset: Charset::Ext("UTF-8".into()),
            language_tag: None,
            value: filename.into_bytes(),
        })],
    };
    let mut response = HttpResponse::Ok();
    response
        .content_type(content_type)
        .insert_header(disposition)
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if inline {
        response
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                "sandbox; default-src 'none'; img-src 'self'; frame-ancestors 'self'",
            ))
            .insert_header((header::X_FRAME_OPTIONS, "SAMEORIGIN"));
    } else {
        response.insert_header((
            header::CONTENT_SECURITY_POLICY,
            "sandbox; default-src 'none'",
        ));
    }
    Ok(response.body(bytes))
}

pub async fn evidence_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i32>,
    query: web::Query<EvidenceQuery>,
) -> Result<HttpResponse, AppError> {
    let inline = query.inline();
    evidence_response(state, viewer.user, id.into_inner(), inline).await
}

pub async fn evidence_api(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    evidence_response(state, caller.user, id.into_inner(), false).await
}

/// The contract's report.
#[derive(Serialize)]
pub struct ApiReport {
    id: i32,
    measure: i32,
    department: String,
    period: String,
    version: i32,
    summary: String,
    /// 存在问题 and 下步打算 ("" when not given).
    problems: String,
    next_steps: String,
    percent: i32,
    status: String,
    state: String,
    author: String,
    submitted_at: Option<chrono::NaiveDateTime>,
    review: Option<ApiReview>,
    evidence: Vec<ApiEvidence>,
}

#[derive(Serialize)]
struct ApiReview {
    decision: String,
    comment: String,
    reviewer: String,
    at: chrono::NaiveDateTime,
}

#[derive(Serialize)]
struct ApiEvidence {
    id: i32,
    filename: String,
    size: i64,
    sha256: String,
    content_type: String,
    insufficient: bool,
    url: String,
}

impl ApiReport {
    pub fn new(ob: &ObligationView, v: VersionView) -> Self {
        ApiReport {
            id: v.report.id,
            measure: ob.measure_id,
            department: ob.department.clone(),
            period: ob.period.clone(),
            version: v.report.version,
            summary: v.report.summary,
            problems: v.report.problems,
            next_steps: v.report.next_steps,
            percent: v.report.percent,
            status: v.report.progress,
            state: v.report.state,
            author: v.report.author,
            submitted_at: v.report.submitted_at,
            review: v.reviews.into_iter().last().map(|r| ApiReview {
                decision: r.decision,
                comment: r.comment,
                reviewer: r.reviewer,
                at: r.created_at,
            }),
            evidence: v
                .evidence
                .into_iter()
                .map(|e| ApiEvidence {
                    url: format!("/api/v1/evidence/{}", e.id),
                    id: e.id,
                    filename: e.filename,
                    size: e.size,
                    sha256: e.sha256,
                    content_type: e.content_type,
                    insufficient: e.insufficient,
                })
                .collect(),
        }
    }
}

async fn api_report(
    state: &web::Data<AppState>,
    user: CurrentUser,
    report_id: i32,
) -> Result<ApiReport, AppError> {
    let (ob, v) = state
        .db_lit(move |conn, rules| readable_report(conn, &user, report_id, rules))
        .await?;
    Ok(ApiReport::new(&ob, v))
}

pub async fn get_report(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let report = api_report(&state, caller.user, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(report))
}

/// `POST /api/v1/measures/{id}/reports` (multipart): submits a report for the caller's
/// department (the office may name `department`, by id or name).
pub async fn post_report_api(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i32>,
    body: Multipart,
) -> Result<HttpResponse, AppError> {
    let user = caller.user;
    if user.role == crate::domain::accounts::Role::Leader {
        return Err(AppError::Forbidden(tr(
            "web.reports.leader_cannot_report",
            &[],
        )));
    }
    let measure_id = id.into_inner();
    let exists = state
        .db(move |conn| Ok(crate::db::measures::find(conn, measure_id)?.is_some()))
        .await?;
    if !exists {
        return Err(AppError::not_found("measure"));
    }
    let up: Upload = upload::read(body, &state.evidence, state.settings.evidence).await?;
    if let Some(refused) = up.refused.first() {
        return Err(refused.error());
    }
    let content = parse_report(report_fields(&up)).map_err(|e| AppError::Invalid {
        field: e[0].field,
        message: field_messages(&e),
    })?;
    let period = up.field("period").trim().to_string();
    if period.is_empty() {
        return Err(AppError::Invalid {
            field: "period",
            message: tr("web.reports.period_required", &[]),
        });
    }
    let department = up.field("department").trim().to_string();
    let at = state.stamp();
    let u = user.clone();
    let report_id = save_with_files(&state, up.files, move |conn, files| {
        let department_id = match (u.department_id, department.as_str()) {
            (Some(own), "") => own,
            (_, "") => {
                return Err(AppError::Validation(tr(
                    "web.reports.department_required",
                    &[],
                )))
            }
            (_, name) => {
                let by_id = name.parse::<i32>().ok();
                let found = match by_id {
                    Some(id) => crate::db::departments::find(conn, id)?,
                    None => crate::db::departments::find_by_name_or_alias(conn, name)?,
                };
                found
                    .ok_or_else(|| {
                        AppError::Validation(tr(
                            "web.reports.unknown_department",
                            &[("name", name)],
                        ))
                    })?
                    .id
            }
        };
        require(&u, Action::ActFor { department_id })?;
        let ob = obligations::find_for_department(conn, measure_id, department_id, &period)?
            .ok_or_else(|| AppError::Invalid {
                field: "period",
                message: tr("web.reports.no_such_period", &[("period", &period)]),
            })?;
        Ok(reporting::save_report(
            conn, &u, ob.id, &content, true, None, files, None, at,
        )?)
    })
    .await?;
    let report = api_report(&state, user, report_id).await?;
    Ok(HttpResponse::Created().json(report))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviewRequest {
    decision: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    insufficient: Vec<i32>,
}

pub async fn review_api(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i32>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    // Access first, then the body: a liaison hears "not allowed", not "bad JSON".
    require(&caller.user, Action::Administer)?;
    let body: ReviewRequest = serde_json::from_slice(&body)
        .map_err(|e| AppError::Validation(tr("web.form.bad_body", &[("error", &e.to_string())])))?;
    let (report_id, user, now) = (id.into_inner(), caller.user.clone(), state.clock.now());
    state
        .db(move |conn| {
            let decision = Decision::parse(&body.decision)?;
            Ok(reporting::review(
                conn,
                &user,
                report_id,
                decision,
                &body.comment,
                &body.insufficient,
                now,
            )?)
        })
        .await?;
    let report = api_report(&state, caller.user, report_id).await?;
    Ok(HttpResponse::Ok().json(report))
}

#[derive(Deserialize)]
pub struct DeadlineForm {
    #[serde(default)]
    deadline: String,
}

/// `POST /admin/measures/{id}/deadline`: sets (or, empty, clears) 办结时限.
pub async fn set_deadline(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    post: CsrfForm<DeadlineForm>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm { viewer, form } = post;
    require(&viewer.user, Action::Administer)?;
    let deadline = match form.deadline.trim() {
        "" => None,
        d => Some(parse_date("deadline", d)?),
    };
    let (id, now) = (id.into_inner(), state.clock.now());
    state
        .db(move |conn| {
            let sync = reporting::set_deadline(conn, &viewer.user, id, deadline, now)?;
            let message = match deadline {
                Some(d) => viewer.t_with(
                    "reporting.flash.deadline_set",
                    &[
                        ("date", &d.to_string()),
                        ("removed", &sync.removed.to_string()),
                    ],
                ),
                None => viewer.t_with(
                    "reporting.flash.deadline_cleared",
                    &[("created", &sync.created.to_string())],
                ),
            };
            flash(conn, &viewer, &message)
        })
        .await?;
    Ok(see_other(format!("/measures/{id}")))
}

/// `POST /obligations/{id}/instruction`: a leader's 批示 on one unit's obligation.
pub async fn instruct_obligation(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    post: CsrfForm<crate::web::pages::InstructionForm>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm { viewer, form } = post;
    require(&viewer.user, Action::Instruct)?;
    let id = id.into_inner();
    let body = form.body().to_string();
    match crate::web::pages::leave_instruction(
        &state,
        &viewer,
        crate::instructions::Target::Obligation(id),
        &body,
    )
    .await?
    {
        None => Ok(see_other(format!("/obligations/{id}#instructions"))),
        Some(error) => {
            let typed = Typed {
                instruction: body,
                instruction_error: Some(error),
                ..Typed::default()
            };
            obligation_view(
                &state,
                &viewer,
                id,
                Some((actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, None)),
                Some(typed),
            )
            .await
        }
    }
}
