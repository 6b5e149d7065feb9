//! The outbox (待发消息): rendered messages waiting to be sent — emails, group robot
//! messages (群机器人) and SMS (短信), one row per message and channel. A row is claimed by a
//! conditional update before it is sent, so two workers — threads, processes or servers
//! sharing the database — never send the same row; a failed attempt goes back to the queue
//! with a later `next_attempt_at`, and after the last attempt the row is marked failed for
//! the office to look at and resend.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::outbox;
use super::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: i32,
    pub kind: String,
    pub to_addrs: String,
    pub cc_addrs: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub message_id: String,
    pub item_count: i32,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub claimed_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    /// `email`, `robot` or `sms`.
    pub channel: String,
    /// The unit a robot message goes to.
    pub department_id: Option<i32>,
    /// A robot message's platform body (JSON).
    pub payload: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = outbox)]
pub struct NewMessage<'a> {
    pub kind: &'a str,
    pub to_addrs: &'a str,
    pub cc_addrs: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: &'a str,
    pub message_id: &'a str,
    pub item_count: i32,
    pub state: &'a str,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub channel: &'a str,
    pub department_id: Option<i32>,
    pub payload: &'a str,
}

pub fn insert(conn: &mut DbConn, message: &NewMessage<'_>) -> QueryResult<i32> {
    diesel::insert_into(outbox::table)
        .values(message)
        .returning(outbox::id)
        .get_result(conn)
}

pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<OutboxRow>> {
    outbox::table
        .find(id)
        .select(OutboxRow::as_select())
        .first(conn)
        .optional()
}

/// The newest rows first, optionally in one state and on one channel.
pub fn list(
    conn: &mut DbConn,
    state: Option<&str>,
    channel: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    let mut q = outbox::table
        .select(OutboxRow::as_select())
        .order(outbox::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(state) = state {
        q = q.filter(outbox::state.eq(state.to_string()));
    }
    if let Some(channel) = channel {
        q = q.filter(outbox::channel.eq(channel.to_string()));
    }
    q.load(conn)
}

/// How many rows are on each channel.
pub fn channel_counts(conn: &mut DbConn) -> QueryResult<Vec<(String, i64)>> {
    outbox::table
        .group_by(outbox::channel)
        .select((outbox::channel, diesel::dsl::count_star()))
        .load(conn)
}

/// How many rows are in each state.
pub fn counts(conn: &mut DbConn) -> QueryResult<Vec<(String, i64)>> {
    outbox::table
        .group_by(outbox::state)
        .select((outbox::state, diesel::dsl::count_star()))
        .load(conn)
}

/// Ids of rows whose turn has come, oldest first.
pub fn due(conn: &mut DbConn, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<i32>> {
    outbox::table
        .filter(outbox::state.eq("queued"))
        .filter(outbox::next_attempt_at.le(now))
        .order(outbox::id)
        .select(outbox::id)
        .limit(limit)
        .load(conn)
}

/// Claims the oldest row whose turn has come, for one message to be sent now. Another
/// worker may take a row between the look and the claim; then the next is tried.
pub fn claim_next(
    conn: &mut DbConn,
    worker: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<OutboxRow>> {
    loop {
        let candidates = due(conn, now, 8)?;
        if candidates.is_empty() {
            return Ok(None);
        }
        for id in candidates {
            if let Some(row) = claim(conn, id, worker, now)? {
                return Ok(Some(row));
            }
        }
    }
}

/// Takes a queued row for sending. Only one caller's update matches the `queued` state,
/// whatever the database or the number of workers; the others get `None`.
pub fn claim(
    conn: &mut DbConn,
    id: i32,
    worker: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<OutboxRow>> {
    let taken = diesel::update(
        outbox::table
            .find(id)
            .filter(outbox::state.eq("queued"))
            .filter(outbox::next_attempt_at.le(now)),
    )
    .set((
        outbox::state.eq("sending"),
        outbox::claimed_at.eq(now),
        outbox::claimed_by.eq(worker),
        outbox::attempts.eq(outbox::attempts + 1),
    ))
    .execute(conn)?;
    if taken == 1 {
        find(conn, id)
    } else {
        Ok(None)
    }
}

/// The row as this worker claimed it. The outcome of a send is recorded only while the claim
/// is still the worker's: each `mark_*` updates through this and returns whether it matched.
#[diesel::dsl::auto_type(no_type_alias)]
fn held<'a>(id: i32, worker: &'a str) -> _ {
    let sending: &'static str = "sending";
    outbox::table
        .find(id)
        .filter(outbox::state.eq(sending))
        .filter(outbox::claimed_by.eq(worker))
}

pub fn mark_sent(
    conn: &mut DbConn,
    id: i32,
    worker: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(held(id, worker))
        .set((
            outbox::state.eq("sent"),
            outbox::sent_at.eq(now),
            outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

/// Back to the queue until `retry_at`.
pub fn mark_retry(
    conn: &mut DbConn,
    id: i32,
    worker: &str,
    error: &str,
    retry_at: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(held(id, worker))
        .set((
            outbox::state.eq("queued"),
            outbox::next_attempt_at.eq(retry_at),
            outbox::claimed_at.eq(None::<NaiveDateTime>),
            outbox::claimed_by.eq(None::<String>),
            outbox::last_error.eq(error),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

pub fn mark_failed(conn: &mut DbConn, id: i32, worker: &str, error: &str) -> QueryResult<bool> {
    diesel::update(held(id, worker))
        .set((outbox::state.eq("failed"), outbox::last_error.eq(error)))
        .execute(conn)
        .map(|n| n == 1)
}

/// Rows whose claim is older than `stale` were interrupted mid-send (a crash, a killed
/// process): a worker holds a row only while it sends that one message, which takes at
/// most the mail timeout, so `stale` is far longer than any live claim. The server may have
/// accepted the message before the interruption, so they are not sent again by themselves:
/// they are marked failed, and the office decides. Returns how many.
pub fn fail_interrupted(
    conn: &mut DbConn,
    now: NaiveDateTime,
    stale: Duration,
    error: &str,
) -> QueryResult<usize> {
    diesel::update(
        outbox::table
            .filter(outbox::state.eq("sending"))
            .filter(outbox::claimed_at.lt(now - stale)),
    )
    .set((outbox::state.eq("failed"), outbox::last_error.eq(error)))
    .execute(conn)
}

/// Puts every failed row of `ids` (all failed rows when `None`) back in the queue now, with a
/// fresh count of attempts. Returns the ids requeued.
pub fn requeue_failed_many(
    conn: &mut DbConn,
    ids: Option<&[i32]>,
    now: NaiveDateTime,
) -> QueryResult<Vec<i32>> {
    let mut q = outbox::table
        .filter(outbox::state.eq("failed"))
        .select(outbox::id)
        .order(outbox::id)
        .into_boxed();
    if let Some(ids) = ids {
        q = q.filter(outbox::id.eq_any(ids.to_vec()));
    }
    let found: Vec<i32> = q.load(conn)?;
    let mut done = Vec::with_capacity(found.len());
    for id in found {
        if requeue_failed(conn, id, now)? {
            done.push(id);
        }
    }
    Ok(done)
}

/// Puts a failed row back in the queue now, with a fresh count of attempts. Returns false
/// when the row is not failed.
pub fn requeue_failed(conn: &mut DbConn, id: i32, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(outbox::table.find(id).filter(outbox::state.eq("failed")))
        .set((
            outbox::state.eq("queued"),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(now),
            outbox::claimed_at.eq(None::<NaiveDateTime>),
            outbox::claimed_by.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(n == 1)
}
