//! What form handlers answer with: a redirect after a change (Post/Redirect/Get), and the
//! one-line message the next page shows.

use actix_web::http::header;
use actix_web::HttpResponse;

use crate::db::{sessions, DbConn};
use crate::error::AppError;
use crate::web::auth::Viewer;

/// 303 to `location`.
pub fn see_other(location: impl Into<String>) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.into()))
        .finish()
}

/// Sets the message the next page shows (once).
pub fn flash(conn: &mut DbConn, viewer: &Viewer, message: &str) -> Result<(), AppError> {
    sessions::set_flash(conn, &viewer.session, Some(message))?;
    Ok(())
}
