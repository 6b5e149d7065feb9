//! 督办通报 as generated: the inputs and the `.docx`, kept for downloading later.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::schema::circulars;
use super::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = circulars)]
pub struct CircularRow {
    pub id: i32,
    pub document_id: i32,
    pub number: String,
    pub title: String,
    pub window_label: String,
    pub inputs: String,
    pub sha256: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = circulars)]
pub struct NewCircular<'a> {
    pub document_id: i32,
    pub number: &'a str,
    pub title: &'a str,
    pub window_label: &'a str,
    pub inputs: &'a str,
    pub file: &'a [u8],
    pub sha256: &'a str,
    pub created_by: &'a str,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, c: &NewCircular<'_>) -> QueryResult<i32> {
    diesel::insert_into(circulars::table)
        .values(c)
        .returning(circulars::id)
        .get_result(conn)
}

pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<CircularRow>> {
    circulars::table
        .find(id)
        .select(CircularRow::as_select())
        .first(conn)
        .optional()
}

/// The stored `.docx`.
pub fn file(conn: &mut DbConn, id: i32) -> QueryResult<Option<Vec<u8>>> {
    circulars::table
        .find(id)
        .select(circulars::file)
        .first(conn)
        .optional()
}

/// A document's circulars, newest first.
pub fn of_document(conn: &mut DbConn, document_id: i32) -> QueryResult<Vec<CircularRow>> {
    circulars::table
        .filter(circulars::document_id.eq(document_id))
        .order(circulars::id.desc())
        .select(CircularRow::as_select())
        .limit(50)
        .load(conn)
}

pub fn mark_sent(conn: &mut DbConn, id: i32, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(circulars::table.find(id))
        .set(circulars::sent_at.eq(now))
        .execute(conn)
}
