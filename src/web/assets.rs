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
