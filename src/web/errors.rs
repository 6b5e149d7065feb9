//! Errors as people and programs see them: API routes keep the contract's JSON error body;
//! every other route gets an HTML page with the same message. Extractor failures (a bad id in
//! the path, a bad query parameter) become the application's own errors, not actix's text.

use actix_web::body::{BoxBody, EitherBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::{header, StatusCode};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::{AppError, ErrorInfo};
use crate::web::state::AppState;
use crate::web::templates::Page;

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_, _| AppError::not_found("页面").into())
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default()
        .error_handler(|e, _| AppError::Validation(format!("查询参数有误：{e}")).into())
}

pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(256 * 1024)
        .error_handler(|e, _| AppError::Validation(format!("请求内容有误：{e}")).into())
}

/// For a known path asked with a method it does not take.
pub async fn method_not_allowed() -> Result<HttpResponse, AppError> {
    Err(AppError::MethodNotAllowed)
}

/// For unknown routes.
pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::not_found("页面"))
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
            let title = title_of(status);
            state
                .templates
                .render(
                    "error",
                    &Page::new(title, "", &info).in_lang(crate::web::auth::request_lang(&req)),
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

fn title_of(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 | 422 => "请求有误",
        401 => "请先登录",
        403 => "没有权限",
        404 => "找不到页面",
        405 => "不支持的操作",
        409 => "内容已被修改",
        413 => "文件过大",
        415 => "不支持的文件类型",
        503 => "服务暂时不可用",
        _ => "出错了",
    }
}

fn generic(status: StatusCode) -> ErrorInfo {
    ErrorInfo {
        status: status.as_u16(),
        code: match status.as_u16() {
            405 => "method_not_allowed",
            s if s < 500 => "bad_request",
            _ => "internal",
        },
        message: match status.as_u16() {
            405 => "该地址不支持这种请求方式".into(),
            s if s < 500 => "请求无法处理，请检查后重试".into(),
            _ => "服务器内部错误，请稍后再试".into(),
        },
    }
}
