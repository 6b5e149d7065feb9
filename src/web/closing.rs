//! Closing a measure (办结/销号) from its page: the lead unit's request with its closing
//! evidence (multipart), the office's decision, and the closing files.

use actix_multipart::Multipart;
use actix_web::{web, HttpResponse};

use crate::authz::{require, Action};
use crate::db::closures;
use crate::error::AppError;
use crate::security;
use crate::web::auth::{csrf_refused, CsrfForm, Viewer};
use crate::web::pages::{measure_page, ClosingTyped, MeasureTyped};
use crate::web::respond::{flash, see_other};
use crate::web::state::AppState;
use crate::web::upload;

/// Shows the measure page again with what was typed, when a closing form failed on input.
async fn again(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    measure_id: i32,
    mut typed: ClosingTyped,
    result: Result<HttpResponse, AppError>,
) -> Result<HttpResponse, AppError> {
    match result {
        Err(AppError::Invalid { field, message }) => {
            match field {
                "summary" => typed.summary_error = Some(message),
                "decision_comment" => typed.decision_error = Some(message),
                _ => typed.errors.push(message),
            }
            let typed = Some(MeasureTyped::Closing(typed));
            measure_page(state, viewer, measure_id, typed, Default::default()).await
        }
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            use actix_web::ResponseError;
            typed.status = Some(e.status_code());
            typed.errors.push(e.user_message());
            let typed = Some(MeasureTyped::Closing(typed));
            measure_page(state, viewer, measure_id, typed, Default::default()).await
        }
        other => other,
    }
}

/// `POST /measures/{id}/closure`: the lead unit asks to close the measure (multipart:
/// csrf_token, summary, evidence files).
pub async fn request(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i32>,
    body: Multipart,
) -> Result<HttpResponse, AppError> {
    let measure_id = id.into_inner();
    let user = viewer.user.clone();
    state
        .db(move |conn| Ok(crate::closing::may_request(conn, &user, measure_id)?))
        .await?;
    let up = upload::read(body, &state.evidence, state.settings.evidence).await?;
    if !security::same_secret(up.field("csrf_token"), &viewer.csrf) {
        return Err(csrf_refused());
    }
    let typed = ClosingTyped {
        summary: up.field("summary").to_string(),
        ..ClosingTyped::default()
    };
    if !up.refused.is_empty() {
        let mut typed = typed;
        typed.errors = up.refused.into_iter().map(|r| r.message).collect();
        let typed = Some(MeasureTyped::Closing(typed));
        return measure_page(&state, &viewer, measure_id, typed, Default::default()).await;
    }
    let (user, v, at) = (viewer.user.clone(), viewer.clone(), state.stamp());
    let summary = typed.summary.clone();
    let result = crate::web::reports::save_with_files(&state, up.files, move |conn, files| {
        crate::closing::request(conn, &user, measure_id, &summary, files, at)?;
        flash(conn, &v, &v.t("plan.closing.requested"))
    })
    .await
    .map(|()| see_other(format!("/measures/{measure_id}#closing")));
    again(&state, &viewer, measure_id, typed, result).await
}

/// `POST /closures/{id}/decide`: the office approves (销号) or refuses a closing request.
pub async fn decide(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    post: CsrfForm<crate::web::reports::DecisionForm>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm { viewer, form } = post;
    require(&viewer.user, Action::Administer)?;
    let closure_id = id.into_inner();
    let measure_id = state
        .db(move |conn| Ok(closures::find(conn, closure_id)?.map(|c| c.measure_id)))
        .await?
        .ok_or_else(|| AppError::not_found("closure"))?;
    let typed = ClosingTyped {
        decision_comment: form.comment.clone(),
        ..ClosingTyped::default()
    };
    let approve = match form.decision.as_str() {
        "approve" => true,
        "refuse" => false,
        _ => {
            let e = AppError::Invalid {
                field: "decision_comment",
                message: viewer.t("plan.closing.pick_decision"),
            };
            return again(&state, &viewer, measure_id, typed, Err(e)).await;
        }
    };
    let (user, v, at) = (viewer.user.clone(), viewer.clone(), state.stamp());
    let comment = form.comment;
    let result = state
        .db(move |conn| {
            crate::closing::decide(conn, &user, closure_id, approve, &comment, at)?;
            let key = if approve {
                "plan.closing.approved_flash"
            } else {
                "plan.closing.refused_flash"
            };
            flash(conn, &v, &v.t(key))
        })
        .await
        .map(|()| see_other(format!("/measures/{measure_id}#closing")));
    again(&state, &viewer, measure_id, typed, result).await
}

/// `GET /closures/files/{id}`: closing evidence, for the office, leaders and the lead unit.
pub async fn file(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i32>,
    query: web::Query<crate::web::reports::EvidenceQuery>,
) -> Result<HttpResponse, AppError> {
    let (user, id) = (viewer.user.clone(), id.into_inner());
    let file = state
        .db(move |conn| {
            let file =
                closures::find_file(conn, id)?.ok_or_else(|| AppError::not_found("evidence"))?;
            let c = closures::find(conn, file.closure_id)?
                .ok_or_else(|| AppError::not_found("evidence"))?;
            let lead = Some(c.department_id);
            if !crate::read::scope::visible_to(&user, c.department_id, lead) {
                return Err(AppError::Forbidden(crate::i18n::tr(
                    "web.progress.own_obligations_only",
                    &[],
                )));
            }
            Ok(file)
        })
        .await?;
    let inline = query.inline();
    crate::web::reports::serve_stored(
        &state,
        &file.sha256,
        file.filename,
        file.content_type,
        inline,
    )
    .await
}
