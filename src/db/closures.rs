//! Closing a measure (办结/销号): the lead unit's request with its closing evidence, and the
//! office's decision.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::reports::NewEvidence;
use super::schema::{closure_files, closures, measures, obligations};
use super::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = closures)]
pub struct Closure {
    pub id: i32,
    pub measure_id: i32,
    pub department_id: i32,
    pub summary: String,
    /// pending, approved or refused.
    pub state: String,
    pub requested_by: String,
    pub requested_at: NaiveDateTime,
    pub decided_by: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub decision_comment: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = closure_files)]
pub struct ClosureFile {
    pub id: i32,
    pub closure_id: i32,
    #[serde(skip)]
    pub sha256: String,
    pub size: i64,
    pub filename: String,
    pub content_type: String,
    pub created_at: NaiveDateTime,
}

pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<Closure>> {
    closures::table
        .find(id)
        .select(Closure::as_select())
        .first(conn)
        .optional()
}

/// A measure's requests, oldest first.
pub fn of_measure(conn: &mut DbConn, measure_id: i32) -> QueryResult<Vec<Closure>> {
    closures::table
        .filter(closures::measure_id.eq(measure_id))
        .order(closures::id)
        .select(Closure::as_select())
        .load(conn)
}

pub fn files_of(conn: &mut DbConn, closure_ids: &[i32]) -> QueryResult<Vec<ClosureFile>> {
    closure_files::table
        .filter(closure_files::closure_id.eq_any(closure_ids))
        .order(closure_files::id)
        .select(ClosureFile::as_select())
        .load(conn)
}

pub fn find_file(conn: &mut DbConn, id: i32) -> QueryResult<Option<ClosureFile>> {
    closure_files::table
        .find(id)
        .select(ClosureFile::as_select())
        .first(conn)
        .optional()
}

/// Requests waiting for the office's decision, oldest first.
pub fn pending(conn: &mut DbConn) -> QueryResult<Vec<Closure>> {
    closures::table
        .filter(closures::state.eq("pending"))
        .order(closures::requested_at)
        .select(Closure::as_select())
        .load(conn)
}

pub fn insert(
    conn: &mut DbConn,
    measure_id: i32,
    department_id: i32,
    summary: &str,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<i32> {
    diesel::insert_into(closures::table)
        .values((
            closures::measure_id.eq(measure_id),
            closures::department_id.eq(department_id),
            closures::summary.eq(summary),
            closures::state.eq("pending"),
            closures::requested_by.eq(by),
            closures::requested_at.eq(at),
        ))
        .execute(conn)?;
    closures::table
        .filter(closures::measure_id.eq(measure_id))
        .filter(closures::state.eq("pending"))
        .select(closures::id)
        .order(closures::id.desc())
        .first(conn)
}

pub fn add_file(
    conn: &mut DbConn,
    closure_id: i32,
    f: &NewEvidence,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(closure_files::table)
        .values((
            closure_files::closure_id.eq(closure_id),
            closure_files::sha256.eq(&f.sha256),
            closure_files::size.eq(f.size),
            closure_files::filename.eq(&f.filename),
            closure_files::content_type.eq(&f.content_type),
            closure_files::created_at.eq(at),
        ))
        .execute(conn)
}

/// Decides a pending request; false when it was no longer pending.
pub fn decide(
    conn: &mut DbConn,
    id: i32,
    state: &str,
    by: &str,
    comment: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(closures::table.find(id))
        .filter(closures::state.eq("pending"))
        .set((
            closures::state.eq(state),
            closures::decided_by.eq(by),
            closures::decided_at.eq(at),
            closures::decision_comment.eq(comment),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

pub fn close_measure(conn: &mut DbConn, measure_id: i32, on: NaiveDate) -> QueryResult<usize> {
    diesel::update(measures::table.find(measure_id))
        .set(measures::closed_on.eq(on))
        .execute(conn)
}

/// A measure's obligations due by `today` that are not yet accepted: what stands in the way
/// of closing it.
pub fn open_due(conn: &mut DbConn, measure_id: i32, today: NaiveDate) -> QueryResult<i64> {
    obligations::table
        .filter(obligations::measure_id.eq(measure_id))
        .filter(obligations::due_on.le(today))
        .filter(obligations::state.ne("accepted"))
        .count()
        .get_result(conn)
}

/// Digests the closing evidence refers to (the file collector keeps them).
pub fn referenced_digests(conn: &mut DbConn) -> QueryResult<Vec<String>> {
    closure_files::table
        .select(closure_files::sha256)
        .distinct()
        .load(conn)
}
