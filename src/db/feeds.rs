//! Calendar feeds (日历订阅): a secret URL per unit or per person, kept as its SHA-256.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::calendar_feeds;
use super::DbConn;

/// Whose due dates a feed carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Department(i32),
    User(i32),
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = calendar_feeds)]
pub struct FeedRow {
    pub id: i32,
    pub department_id: Option<i32>,
    pub user_id: Option<i32>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub last_fetched_at: Option<NaiveDateTime>,
}

impl FeedRow {
    pub fn owner(&self) -> Option<Owner> {
        match (self.department_id, self.user_id) {
            (Some(d), None) => Some(Owner::Department(d)),
            (None, Some(u)) => Some(Owner::User(u)),
            _ => None,
        }
    }
}

/// The owner's live feed, if any.
pub fn active(conn: &mut DbConn, owner: Owner) -> QueryResult<Option<FeedRow>> {
    let q = calendar_feeds::table
        .filter(calendar_feeds::revoked_at.is_null())
        .select(FeedRow::as_select())
        .into_boxed();
    let q = match owner {
        Owner::Department(d) => q.filter(calendar_feeds::department_id.eq(d)),
        Owner::User(u) => q.filter(calendar_feeds::user_id.eq(u)),
    };
    q.first(conn).optional()
}

/// Revokes the owner's live feed; returns whether there was one.
pub fn revoke(conn: &mut DbConn, owner: Owner, now: NaiveDateTime) -> QueryResult<bool> {
    let Some(feed) = active(conn, owner)? else {
        return Ok(false);
    };
    diesel::update(calendar_feeds::table.find(feed.id))
        .set(calendar_feeds::revoked_at.eq(now))
        .execute(conn)
        .map(|n| n == 1)
}

/// A new feed for the owner, revoking the one before. Call inside a transaction.
pub fn create(
    conn: &mut DbConn,
    owner: Owner,
    token_hash: &str,
    actor: &str,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    revoke(conn, owner, now)?;
    let (department, user) = match owner {
        Owner::Department(d) => (Some(d), None),
        Owner::User(u) => (None, Some(u)),
    };
    diesel::insert_into(calendar_feeds::table)
        .values((
            calendar_feeds::token_hash.eq(token_hash),
            calendar_feeds::department_id.eq(department),
            calendar_feeds::user_id.eq(user),
            calendar_feeds::created_by.eq(actor),
            calendar_feeds::created_at.eq(now),
        ))
        .returning(calendar_feeds::id)
        .get_result(conn)
}

/// The live feed with this token's digest.
pub fn find(conn: &mut DbConn, token_hash: &str) -> QueryResult<Option<FeedRow>> {
    calendar_feeds::table
        .filter(calendar_feeds::token_hash.eq(token_hash))
        .filter(calendar_feeds::revoked_at.is_null())
        .select(FeedRow::as_select())
        .first(conn)
        .optional()
}

/// Notes that a calendar fetched the feed (at most once an hour, to keep fetches read-only
/// most of the time).
pub fn touch(conn: &mut DbConn, feed: &FeedRow, now: NaiveDateTime) -> QueryResult<()> {
    if feed
        .last_fetched_at
        .is_none_or(|t| now - t > chrono::Duration::hours(1))
    {
        diesel::update(calendar_feeds::table.find(feed.id))
            .set(calendar_feeds::last_fetched_at.eq(now))
            .execute(conn)?;
    }
    Ok(())
}
