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

/// A CSV cell: always quoted, inner quotes doubled, spreadsheet formulas defused.
pub fn csv_field(s: &str) -> String {
    // Quote always; double inner quotes; defuse spreadsheet formulas.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A sheet's frame: its name, headers in bold, column widths, and the header row frozen.
pub fn xlsx_frame(
    sheet: &mut rust_xlsxwriter::Worksheet,
    name: &str,
    headers: &[&str],
    widths: &[f64],
) -> Result<(), AppError> {
    sheet.set_name(name).map_err(xlsx_error)?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (c, h) in headers.iter().enumerate() {
        sheet
            .write_with_format(0, c as u16, *h, &bold)
            .map_err(xlsx_error)?;
    }
    for (c, width) in widths.iter().enumerate() {
        sheet
            .set_column_width(c as u16, *width)
            .map_err(xlsx_error)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
    Ok(())
}

pub fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::Internal(anyhow::anyhow!("writing XLSX: {e}"))
}

/// A download with a UTF-8 file name, never cached.
pub fn attachment(bytes: Vec<u8>, content_type: &str, filename: &str) -> HttpResponse {
    use actix_web::http::header::{
        Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
    };
    HttpResponse::Ok()
        .content_type(content_type.to_string())
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: filename.as_bytes().to_vec(),
            })],
        })
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes)
}

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
