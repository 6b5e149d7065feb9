//! 常用意见: review comments the office keeps, to reuse with one click.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::schema::canned_comments;
use super::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = canned_comments)]
pub struct CannedComment {
    pub id: i32,
    pub body: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

/// Every kept comment, oldest first (the office's own order of habit).
pub fn list(conn: &mut DbConn) -> QueryResult<Vec<CannedComment>> {
    canned_comments::table
        .order(canned_comments::id)
        .select(CannedComment::as_select())
        .load(conn)
}

pub fn find_by_body(conn: &mut DbConn, body: &str) -> QueryResult<Option<CannedComment>> {
    canned_comments::table
        .filter(canned_comments::body.eq(body))
        .select(CannedComment::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<CannedComment>> {
    canned_comments::table
        .find(id)
        .select(CannedComment::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut DbConn, body: &str, by: &str, at: NaiveDateTime) -> QueryResult<i32> {
    diesel::insert_into(canned_comments::table)
        .values((
            canned_comments::body.eq(body),
            canned_comments::created_by.eq(by),
            canned_comments::created_at.eq(at),
        ))
        .execute(conn)?;
    canned_comments::table
        .filter(canned_comments::body.eq(body))
        .select(canned_comments::id)
        .first(conn)
}

pub fn delete(conn: &mut DbConn, id: i32) -> QueryResult<usize> {
    diesel::delete(canned_comments::table.find(id)).execute(conn)
}
