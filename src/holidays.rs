//! The office edits a year's holiday calendar (节假日安排): the year is checked, stored over
//! the shipped one, audited, and every document's due dates are brought in step with it —
//! all in one transaction, so a failed save moves nothing.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::authz::{Action, CurrentUser};
use crate::db::audit::{self, Details, NewAuditEntry};
use crate::db::schema::documents;
use crate::db::DbConn;
use crate::domain::calendar::{check_year, parse_days, YearDays};
use crate::reporting::ReportingError;

/// The years the office may edit: from the first shipped year to five years ahead.
pub fn editable(year: i32, this_year: i32) -> bool {
    (2020..=this_year + 5).contains(&year)
}

/// Checks what the office typed for `year` into a year's days, naming the field at fault.
pub fn parse_year(year: i32, holidays: &str, workdays: &str) -> Result<YearDays, ReportingError> {
    let field = |e: crate::domain::calendar::DaysError| ReportingError::Field {
        field: e.field,
        message: e.message,
    };
    let days = YearDays {
        year,
        holidays: parse_days(year, "holidays", holidays).map_err(field)?,
        workdays: parse_days(year, "workdays", workdays).map_err(field)?,
    };
    check_year(&days).map_err(field)?;
    Ok(days)
}

/// Saves a year and moves the due dates it changes (except those an extension set). Returns
/// how many obligations' due dates moved.
pub fn save_year(
    conn: &mut DbConn,
    user: &CurrentUser,
    days: &YearDays,
    now: NaiveDateTime,
) -> Result<usize, ReportingError> {
    crate::authz::require(user, Action::Administer)
        .map_err(|e| ReportingError::Forbidden(e.to_string()))?;
    crate::db::transaction(conn, |conn| {
        crate::db::calendar::save(conn, days, &user.username, now)?;
        let ids: Vec<i32> = documents::table.select(documents::id).load(conn)?;
        let calendar = crate::db::calendar::load(conn)?;
        let mut moved = 0;
        for id in ids {
            moved += crate::db::schedules::sync_obligations_with(conn, id, &calendar)?.updated;
        }
        audit::record(
            conn,
            NewAuditEntry {
                at: now,
                actor: &user.username,
                action: "calendar.save",
                entity: "calendar",
                entity_id: Some(days.year),
                summary: &Details::new("calendar.save")
                    .arg("year", days.year)
                    .arg("holidays", days.holidays.len())
                    .arg("workdays", days.workdays.len())
                    .arg("moved", moved)
                    .to_string(),
            },
        )?;
        Ok(moved)
    })
}
