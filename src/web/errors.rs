//! Errors as people and programs see them: API routes keep the contract's JSON error body;
//! every other route gets an HTML page with the same message. Extractor failures (a bad id in
//! the path, a bad query parameter) become the application's own errors, not actix's text.

use actix_web::body::{BoxBody, EitherBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::{header, StatusCode};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::{AppError, ErrorInfo};
use crate::i18n::tr;
use crate::web::state::AppState;
use crate::web::templates::Page;

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_, _| AppError::not_found("page").into())
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|e, _| {
        AppError::Validation(tr("web.form.bad_query", &[("error", &e.to_string())])).into()
    })
}

pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(256 * 1024)
        .error_handler(|e, _| {
            AppError::Validation(tr("web.form.bad_body", &[("error", &e.to_string())])).into()
        })
}

/// For a known path asked with a method it does not take.
pub async fn method_not_allowed() -> Result<HttpResponse, AppError> {
    Err(AppError::MethodNotAllowed)
}

/// For unknown routes.
pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::not_found("page"))
}

pub fn is_api(req: &HttpRequest) -> bool {
    req.path().starts_with("/api/")
}

/// Turns an error response on a page route into an HTML error page.
pub fn render_html<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let status = res.status();
    let known = res.response().extensions().get::<ErrorInfo>().cloned();
    let is_html = res
        .response()
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html && known.is_none() {
        // A page the handler rendered itself (a form shown again with its errors).
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    if is_api(res.request()) && known.is_some() {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let info = known.unwrap_or_else(|| generic(status));
    let (req, _) = res.into_parts();
    if is_api(&req) {
        // An error that did not come from the application (405, for one): same JSON shape.
        let body = serde_json::json!({"error": {"code": info.code, "message": info.message}});
        let res = HttpResponse::build(status).json(body).map_into_right_body();
        return Ok(ErrorHandlerResponse::Response(ServiceResponse::new(
            req, res,
        )));
    }
    let html = req
        .app_data::<web::Data<AppState>>()
        .and_then(|state| {
            // The request's language, refined to the signed-in person's own choice: the
            // language the error's message was written in.
            let title = title_of(status);
            state
                .templates
                .render(
                    "error",
                    &Page::new(title, "", &info).in_lang(crate::i18n::current()),
                )
                .map_err(|e| tracing::error!(error = %e, "error page failed to render"))
                .ok()
        })
        .unwrap_or_else(|| info.message.clone());
    let res: HttpResponse<EitherBody<B, BoxBody>> = HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(html)
        .map_into_right_body();
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(
        req, res,
    )))
}

fn title_of(status: StatusCode) -> String {
    let key = match status.as_u16() {
        400 | 422 => "bad_request",
        401 => "login",
        403 => "forbidden",
        404 => "not_found",
        405 => "method",
        409 => "conflict",
        413 => "too_large",
        415 => "unsupported",
        503 => "unavailable",
        _ => "other",
    };
    tr(&format!("web.errors.title.{key}"), &[])
}

fn generic(status: StatusCode) -> ErrorInfo {
    ErrorInfo {
        status: status.as_u16(),
        code: match status.as_u16() {
            405 => "method_not_allowed",
            s if s < 500 => "bad_request",
            _ => "internal",
        },
        message: tr(
            match status.as_u16() {
                405 => "web.errors.generic.method_not_allowed",
                s if s < 500 => "web.errors.generic.bad_request",
                _ => "web.errors.generic.internal",
            },
            &[],
        ),
        field: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{with_lang, Lang};

    #[test]
    fn error_pages_speak_the_request_language() {
        assert_eq!(title_of(StatusCode::NOT_FOUND), "找不到页面");
        with_lang(Lang::En, || {
            assert_eq!(title_of(StatusCode::NOT_FOUND), "Page not found");
            assert_eq!(
                generic(StatusCode::METHOD_NOT_ALLOWED).message,
                "This address does not accept this kind of request."
            );
        });
    }
}
