//! What happened on a measure, newest first and bounded: report versions handed in, reviews,
//! extension requests. Each finder takes the unit a viewer is limited to (`only`) and a row
//! limit, so a measure page reads ten events whatever the history holds.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::extensions::Extension;
use super::reports::{Report, Review};
use super::schema::{departments, extensions, obligations, reports, reviews};
use super::DbConn;

/// Where an event happened: the obligation, its unit and its period.
#[derive(Debug, Clone, Queryable)]
pub struct Place {
    pub obligation_id: i32,
    pub department: String,
    pub period_label: String,
}

/// Handed-in versions (drafts are the unit's own), newest first.
pub fn reports(
    conn: &mut DbConn,
    measure_id: i32,
    only: Option<i32>,
    limit: i64,
) -> QueryResult<Vec<(Report, Place)>> {
    let mut q = reports::table
        .inner_join(obligations::table.inner_join(departments::table))
        .filter(obligations::measure_id.eq(measure_id))
        .filter(reports::state.ne("draft"))
        .into_boxed();
    if let Some(d) = only {
        q = q.filter(obligations::department_id.eq(d));
    }
    q.order((reports::submitted_at.desc(), reports::id.desc()))
        .limit(limit)
        .select((
            Report::as_select(),
            (
                obligations::id,
                departments::name,
                obligations::period_label,
            ),
        ))
        .load(conn)
}

/// Reviews with the version they decided, newest first.
pub fn reviews(
    conn: &mut DbConn,
    measure_id: i32,
    only: Option<i32>,
    limit: i64,
) -> QueryResult<Vec<(Review, i32, Place)>> {
    let mut q = reviews::table
        .inner_join(reports::table.inner_join(obligations::table.inner_join(departments::table)))
        .filter(obligations::measure_id.eq(measure_id))
        .into_boxed();
    if let Some(d) = only {
        q = q.filter(obligations::department_id.eq(d));
    }
    q.order((reviews::created_at.desc(), reviews::id.desc()))
        .limit(limit)
        .select((
            Review::as_select(),
            reports::version,
            (
                obligations::id,
                departments::name,
                obligations::period_label,
            ),
        ))
        .load(conn)
}

/// Extension requests, newest first.
pub fn extensions(
    conn: &mut DbConn,
    measure_id: i32,
    only: Option<i32>,
    limit: i64,
) -> QueryResult<Vec<(Extension, Place)>> {
    let mut q = extensions::table
        .inner_join(obligations::table.inner_join(departments::table))
        .filter(obligations::measure_id.eq(measure_id))
        .into_boxed();
    if let Some(d) = only {
        q = q.filter(obligations::department_id.eq(d));
    }
    q.order((extensions::created_at.desc(), extensions::id.desc()))
        .limit(limit)
        .select((
            Extension::as_select(),
            (
                obligations::id,
                departments::name,
                obligations::period_label,
            ),
        ))
        .load(conn)
}

/// When a report version counts as handed in, for ordering: its submission, else its last
/// change.
pub fn report_time(r: &Report) -> NaiveDateTime {
    r.submitted_at.unwrap_or(r.updated_at)
}
