//! Users (用户): people who sign in, with their role and, for liaisons, their department.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{departments, sessions, users};
use super::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i32,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub role: String,
    pub department_id: Option<i32>,
    pub active: bool,
    #[serde(skip)]
    pub password_hash: String,
    pub failed_logins: i32,
    pub locked_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    /// Interface language (zh, en); `None` follows the browser.
    pub language: Option<String>,
    /// Mobile number for SMS reminders; shown only on the office's pages.
    #[serde(skip)]
    pub mobile: String,
}

/// A user with their department's name, for lists.
#[derive(Debug, Clone, Serialize)]
pub struct UserListing {
    #[serde(flatten)]
    pub user: User,
    pub department: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub email: &'a str,
    pub role: &'a str,
    pub department_id: Option<i32>,
    pub active: bool,
    pub password_hash: &'a str,
    pub failed_logins: i32,
    pub created_at: NaiveDateTime,
}

/// The fields an administrator edits.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = users, treat_none_as_null = true)]
pub struct UserChanges<'a> {
    pub display_name: &'a str,
    pub email: &'a str,
    pub role: &'a str,
    pub department_id: Option<i32>,
    pub active: bool,
}

pub fn create(conn: &mut DbConn, new: &NewUser<'_>) -> QueryResult<i32> {
    diesel::insert_into(users::table)
        .values(new)
        .returning(users::id)
        .get_result(conn)
}

pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_username(conn: &mut DbConn, username: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::username.eq(username))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

/// The display names of these user names, in one query (names without a user are left out).
pub fn display_names(
    conn: &mut DbConn,
    usernames: &[&str],
) -> QueryResult<std::collections::HashMap<String, String>> {
    let mut wanted: Vec<&str> = usernames.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    let mut out = std::collections::HashMap::new();
    // Bounded batches keep the statement within every backend's parameter limit.
    for chunk in wanted.chunks(500) {
        let rows: Vec<(String, String)> = users::table
            .filter(users::username.eq_any(chunk))
            .select((users::username, users::display_name))
            .load(conn)?;
        out.extend(rows);
    }
    Ok(out)
}

/// Every user with their department's name: one query.
pub fn list(conn: &mut DbConn) -> QueryResult<Vec<UserListing>> {
    let rows: Vec<(User, Option<String>)> = users::table
        .left_join(departments::table)
        .order(users::username)
        .select((User::as_select(), departments::name.nullable()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(user, department)| UserListing { user, department })
        .collect())
}

pub fn update(conn: &mut DbConn, id: i32, changes: &UserChanges<'_>) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(changes)
        .execute(conn)
}

/// Sets a new password hash and clears any lockout.
pub fn set_password(conn: &mut DbConn, id: i32, hash: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(hash),
            users::failed_logins.eq(0),
            users::locked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
}

pub fn set_login_failures(
    conn: &mut DbConn,
    id: i32,
    failures: i32,
    locked_until: Option<NaiveDateTime>,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            users::failed_logins.eq(failures),
            users::locked_until.eq(locked_until),
        ))
        .execute(conn)
}

/// Ends every session of a user (after a password change, a disable, a role change).
pub fn end_sessions(conn: &mut DbConn, id: i32) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(id))).execute(conn)
}

/// Sets a user's interface language (`None`: follow the browser).
pub fn set_language(conn: &mut DbConn, id: i32, language: Option<&str>) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::language.eq(language))
        .execute(conn)
}

/// Saves a person's mobile number (checked by the caller).
pub fn set_mobile(conn: &mut DbConn, id: i32, mobile: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::mobile.eq(mobile))
        .execute(conn)
}

/// The mobile numbers of active people of these units, by unit.
pub fn mobiles_of(
    conn: &mut DbConn,
    department_ids: &[i32],
) -> QueryResult<std::collections::HashMap<i32, Vec<String>>> {
    let mut out: std::collections::HashMap<i32, Vec<String>> = Default::default();
    for chunk in department_ids.chunks(500) {
        let rows: Vec<(Option<i32>, String)> = users::table
            .filter(users::department_id.eq_any(chunk.to_vec()))
            .filter(users::active.eq(true))
            .filter(users::mobile.ne(""))
            .select((users::department_id, users::mobile))
            .load(conn)?;
        for (d, m) in rows {
            if let Some(d) = d {
                out.entry(d).or_default().push(m);
            }
        }
    }
    Ok(out)
}

/// The addresses of the active people in a role who have one.
pub fn emails_of_role(conn: &mut DbConn, role: &str) -> QueryResult<Vec<String>> {
    users::table
        .filter(users::role.eq(role))
        .filter(users::active.eq(true))
        .filter(users::email.ne(""))
        .order(users::id)
        .select(users::email)
        .load(conn)
}
