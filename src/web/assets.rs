//! Static assets besides the stylesheet: served from the binary, no outside source.

use actix_web::http::header;
use actix_web::HttpResponse;

const FAVICON: &str = include_str!("../../assets/favicon.svg");

pub async fn favicon() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(FAVICON)
}

const REPORT_FORM: &str = include_str!("../../assets/report-form.js");

/// The report form's checks in the browser (type and size before uploading).
pub async fn report_form_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(REPORT_FORM)
}
