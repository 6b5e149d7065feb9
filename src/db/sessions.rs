//! Sign-in sessions. The cookie carries a random id; the table keeps only its SHA-256, the
//! CSRF token of the session and a one-shot flash message.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{departments, sessions, users};
use super::users::User;
use super::DbConn;

/// A live session and its user.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub id_hash: String,
    pub csrf_token: String,
    pub flash: Option<String>,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub user: User,
    pub department: Option<String>,
}

pub fn create(
    conn: &mut DbConn,
    id_hash: &str,
    user_id: i32,
    csrf_token: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::id_hash.eq(id_hash),
            sessions::user_id.eq(user_id),
            sessions::csrf_token.eq(csrf_token),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The session and its user, in one query. Disabled users have no live session.
pub fn find(conn: &mut DbConn, id_hash: &str) -> QueryResult<Option<SessionUser>> {
    type Row = (
        String,
        String,
        Option<String>,
        NaiveDateTime,
        NaiveDateTime,
        User,
        Option<String>,
    );
    let row: Option<Row> = sessions::table
        .inner_join(users::table.left_join(departments::table))
        .filter(sessions::id_hash.eq(id_hash))
        .filter(users::active.eq(true))
        .select((
            sessions::id_hash,
            sessions::csrf_token,
            sessions::flash,
            sessions::created_at,
            sessions::last_seen_at,
            User::as_select(),
            departments::name.nullable(),
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(
        |(id_hash, csrf_token, flash, created_at, last_seen_at, user, department)| SessionUser {
            id_hash,
            csrf_token,
            flash,
            created_at,
            last_seen_at,
            user,
            department,
        },
    ))
}

pub fn touch(conn: &mut DbConn, id_hash: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(sessions::table.find(id_hash))
        .set(sessions::last_seen_at.eq(now))
        .execute(conn)
}

pub fn set_flash(conn: &mut DbConn, id_hash: &str, flash: Option<&str>) -> QueryResult<usize> {
    diesel::update(sessions::table.find(id_hash))
        .set(sessions::flash.eq(flash))
        .execute(conn)
}

pub fn delete(conn: &mut DbConn, id_hash: &str) -> QueryResult<usize> {
    diesel::delete(sessions::table.find(id_hash)).execute(conn)
}

/// Removes the sessions that ended: idle since `idle_before` or created before
/// `created_before`.
pub fn delete_ended(
    conn: &mut DbConn,
    idle_before: NaiveDateTime,
    created_before: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(
        sessions::table.filter(
            sessions::last_seen_at
                .lt(idle_before)
                .or(sessions::created_at.lt(created_before)),
        ),
    )
    .execute(conn)
}
