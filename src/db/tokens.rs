//! API tokens (接口令牌): bearer tokens for integrations, stored as SHA-256 digests.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{api_tokens, departments, users};
use super::users::User;
use super::DbConn;

#[derive(Debug, Clone, Queryable, Serialize)]
pub struct TokenListing {
    pub id: i32,
    pub label: String,
    pub owner: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

pub fn create(
    conn: &mut DbConn,
    user_id: i32,
    label: &str,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::user_id.eq(user_id),
            api_tokens::label.eq(label),
            api_tokens::token_hash.eq(token_hash),
            api_tokens::created_at.eq(now),
        ))
        .returning(api_tokens::id)
        .get_result(conn)
}

/// A live token's id and last use, with its active user and the user's department name.
pub type TokenOwner = (i32, Option<NaiveDateTime>, User, Option<String>);

/// The token's owner, if the token is live and its user active.
pub fn find_user(conn: &mut DbConn, token_hash: &str) -> QueryResult<Option<TokenOwner>> {
    api_tokens::table
        .inner_join(users::table.left_join(departments::table))
        .filter(api_tokens::token_hash.eq(token_hash))
        .filter(api_tokens::revoked_at.is_null())
        .filter(users::active.eq(true))
        .select((
            api_tokens::id,
            api_tokens::last_used_at,
            User::as_select(),
            departments::name.nullable(),
        ))
        .first(conn)
        .optional()
}

pub fn touch(conn: &mut DbConn, id: i32, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(api_tokens::table.find(id))
        .set(api_tokens::last_used_at.eq(now))
        .execute(conn)
}

/// Revokes every live token of a user (a disabled account's tokens never come back to
/// life when it is enabled again). Returns how many.
pub fn revoke_all_of(conn: &mut DbConn, user_id: i32, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        api_tokens::table
            .filter(api_tokens::user_id.eq(user_id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(now))
    .execute(conn)
}

/// Revokes a live token; returns the owner's username, or `None` when there is no such
/// live token.
pub fn revoke(conn: &mut DbConn, id: i32, now: NaiveDateTime) -> QueryResult<Option<String>> {
    let owner: Option<String> = api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::id.eq(id))
        .filter(api_tokens::revoked_at.is_null())
        .select(users::username)
        .first(conn)
        .optional()?;
    if owner.is_some() {
        diesel::update(api_tokens::table.find(id))
            .set(api_tokens::revoked_at.eq(now))
            .execute(conn)?;
    }
    Ok(owner)
}

pub fn list(conn: &mut DbConn) -> QueryResult<Vec<TokenListing>> {
    api_tokens::table
        .inner_join(users::table)
        .order(api_tokens::id.desc())
        .select((
            api_tokens::id,
            api_tokens::label,
            users::username,
            api_tokens::created_at,
            api_tokens::last_used_at,
            api_tokens::revoked_at,
        ))
        .load(conn)
}
