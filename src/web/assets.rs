//! Static assets: served from the binary, no outside source.

use actix_web::http::header;
use actix_web::HttpResponse;

const STYLESHEET: &str = include_str!("../../assets/app.css");
const FAVICON: &str = include_str!("../../assets/favicon.svg");
const REPORT_FORM: &str = include_str!("../../assets/report-form.js");
const REVIEW_FORM: &str = include_str!("../../assets/review-form.js");

fn asset(content_type: &'static str, max_age: u32, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, format!("public, max-age={max_age}")))
        .body(body)
}

pub async fn stylesheet() -> HttpResponse {
    asset("text/css; charset=utf-8", 3600, STYLESHEET)
}

pub async fn favicon() -> HttpResponse {
    asset("image/svg+xml", 86400, FAVICON)
}

/// The report form's checks in the browser (type and size before uploading).
pub async fn report_form_script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", 3600, REPORT_FORM)
}

/// The review form's 常用意见 chips: a click puts the comment into the box.
pub async fn review_form_script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", 3600, REVIEW_FORM)
}
