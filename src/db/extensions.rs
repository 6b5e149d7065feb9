//! Extension requests (延期申请): a liaison asks for a later due date; the office decides.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::extensions;
use super::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = extensions)]
pub struct Extension {
    pub id: i32,
    pub obligation_id: i32,
    pub requested_by: String,
    pub previous_due_on: NaiveDate,
    pub requested_due_on: NaiveDate,
    pub reason: String,
    pub state: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub decision_comment: String,
    pub created_at: NaiveDateTime,
}

pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<Extension>> {
    extensions::table
        .find(id)
        .select(Extension::as_select())
        .first(conn)
        .optional()
}

pub fn create(
    conn: &mut DbConn,
    obligation_id: i32,
    by: &str,
    previous: NaiveDate,
    requested: NaiveDate,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    diesel::insert_into(extensions::table)
        .values((
            extensions::obligation_id.eq(obligation_id),
            extensions::requested_by.eq(by),
            extensions::previous_due_on.eq(previous),
            extensions::requested_due_on.eq(requested),
            extensions::reason.eq(reason),
            extensions::state.eq("pending"),
            extensions::decision_comment.eq(""),
            extensions::created_at.eq(now),
        ))
        .returning(extensions::id)
        .get_result(conn)
}

/// Records a decision on a pending request; `false` if it was decided already.
pub fn decide(
    conn: &mut DbConn,
    id: i32,
    state: &str,
    by: &str,
    comment: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        extensions::table
            .filter(extensions::id.eq(id))
            .filter(extensions::state.eq("pending")),
    )
    .set((
        extensions::state.eq(state),
        extensions::decided_by.eq(by),
        extensions::decided_at.eq(now),
        extensions::decision_comment.eq(comment),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

pub fn for_obligations(conn: &mut DbConn, ids: &[i32]) -> QueryResult<Vec<Extension>> {
    extensions::table
        .filter(extensions::obligation_id.eq_any(ids))
        .order(extensions::id)
        .select(Extension::as_select())
        .load(conn)
}

pub fn pending(conn: &mut DbConn) -> QueryResult<Vec<Extension>> {
    extensions::table
        .filter(extensions::state.eq("pending"))
        .order(extensions::id)
        .select(Extension::as_select())
        .load(conn)
}

/// Requests waiting for the office: one count.
pub fn pending_count(conn: &mut DbConn) -> QueryResult<i64> {
    extensions::table
        .filter(extensions::state.eq("pending"))
        .count()
        .get_result(conn)
}
