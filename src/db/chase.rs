//! The chase log (催办记录): one row per reminder planned, keyed by its idempotency key —
//! per measure × department × period (the obligation) and stage — with whom it went to and
//! the email that carried it. The unique key is what makes a reminder go out once: a second
//! planner that tries the same key fails to insert it and leaves it alone.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{chase_log, departments, obligations, outbox, reminder_policy};
use super::DbConn;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = chase_log)]
pub struct NewChase<'a> {
    pub reminder_key: &'a str,
    pub stage: &'a str,
    pub stage_n: i32,
    pub obligation_id: Option<i32>,
    pub document_id: Option<i32>,
    pub department_id: Option<i32>,
    pub days: i32,
    pub recipients: &'a str,
    pub outbox_id: Option<i32>,
    pub planned_at: NaiveDateTime,
    /// Who chased: `system` for the planner, the person's user name for a manual chase.
    pub actor: &'a str,
    /// What was said, for a phone chase (电话催办).
    pub note: &'a str,
}

/// Records one reminder unless its key is already recorded (by this run's competitor, say).
/// Runs in a savepoint, so a duplicate key leaves the caller's transaction usable on every
/// backend. Returns whether this call recorded it.
pub fn try_record(conn: &mut DbConn, row: &NewChase<'_>) -> QueryResult<bool> {
    let inserted = crate::db::transaction(conn, |conn| {
        diesel::insert_into(chase_log::table)
            .values(row)
            .execute(conn)
    });
    match inserted {
        Ok(_) => Ok(true),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The keys already recorded among `keys`.
pub fn known_keys(conn: &mut DbConn, keys: &[String]) -> QueryResult<HashSet<String>> {
    let mut out = HashSet::new();
    // Bounded batches: SQLite allows a limited number of bound parameters.
    for chunk in keys.chunks(500) {
        let found: Vec<String> = chase_log::table
            .filter(chase_log::reminder_key.eq_any(chunk))
            .select(chase_log::reminder_key)
            .load(conn)?;
        out.extend(found);
    }
    Ok(out)
}

/// A chase as pages and the API show it.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct ChaseEntry {
    pub id: i32,
    pub stage: String,
    pub stage_n: i32,
    pub obligation_id: Option<i32>,
    pub department_id: Option<i32>,
    pub days: i32,
    pub recipients: String,
    pub planned_at: NaiveDateTime,
    pub department: Option<String>,
    pub period_key: Option<String>,
    pub period_label: Option<String>,
    pub email_state: Option<String>,
    pub sent_at: Option<NaiveDateTime>,
    pub actor: String,
    pub note: String,
}

/// The chases about a measure's obligations (of one unit, with `only`), newest first, at
/// most `limit`: one query.
pub fn for_measure(
    conn: &mut DbConn,
    measure_id: i32,
    only: Option<i32>,
    limit: i64,
) -> QueryResult<Vec<ChaseEntry>> {
    let mut q = chase_log::table
        .inner_join(obligations::table)
        .left_join(departments::table)
        .left_join(outbox::table)
        .filter(obligations::measure_id.eq(measure_id))
        .into_boxed();
    if let Some(d) = only {
        q = q.filter(obligations::department_id.eq(d));
    }
    q.order((chase_log::planned_at.desc(), chase_log::id.desc()))
        .limit(limit)
        .select((
            chase_log::id,
            chase_log::stage,
            chase_log::stage_n,
            chase_log::obligation_id,
            chase_log::department_id,
            chase_log::days,
            chase_log::recipients,
            chase_log::planned_at,
            departments::name.nullable(),
            obligations::period_key.nullable(),
            obligations::period_label.nullable(),
            outbox::state.nullable(),
            outbox::sent_at.nullable(),
            chase_log::actor,
            chase_log::note,
        ))
        .load(conn)
}

/// The newest chase entry's id: automatic reminders write the chase log without an audit
/// entry, so cached pages that show 最近催办 also look at it.
pub fn latest_id(conn: &mut DbConn) -> QueryResult<i32> {
    Ok(chase_log::table
        .select(diesel::dsl::max(chase_log::id))
        .first::<Option<i32>>(conn)?
        .unwrap_or(0))
}

/// The latest chase of each of these obligations: one query.
pub fn last_chased(
    conn: &mut DbConn,
    obligation_ids: &[i32],
) -> QueryResult<std::collections::HashMap<i32, NaiveDateTime>> {
    let rows: Vec<(Option<i32>, Option<NaiveDateTime>)> = chase_log::table
        .filter(chase_log::obligation_id.eq_any(obligation_ids))
        .group_by(chase_log::obligation_id)
        .select((
            chase_log::obligation_id,
            diesel::dsl::max(chase_log::planned_at),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, at)| Some((id?, at?)))
        .collect())
}

/// The office's stored policy (JSON), if it has edited one.
pub fn stored_policy(conn: &mut DbConn) -> QueryResult<Option<String>> {
    reminder_policy::table
        .find(1)
        .select(reminder_policy::policy)
        .first(conn)
        .optional()
}

/// Stores the office's policy (JSON), replacing any earlier one.
pub fn store_policy(
    conn: &mut DbConn,
    json: &str,
    actor: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let updated = diesel::update(reminder_policy::table.find(1))
        .set((
            reminder_policy::policy.eq(json),
            reminder_policy::updated_at.eq(at),
            reminder_policy::updated_by.eq(actor),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(reminder_policy::table)
            .values((
                reminder_policy::id.eq(1),
                reminder_policy::policy.eq(json),
                reminder_policy::updated_at.eq(at),
                reminder_policy::updated_by.eq(actor),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Obligations not handed in (open or returned) due by `until`: what planning looks at.
pub fn waiting(
    conn: &mut DbConn,
    until: chrono::NaiveDate,
) -> QueryResult<Vec<crate::domain::reminders::Waiting>> {
    let rows: Vec<(i32, i32, chrono::NaiveDate)> = obligations::table
        .filter(obligations::state.eq_any(["open", "returned"]))
        .filter(obligations::due_on.le(until))
        .select((
            obligations::id,
            obligations::department_id,
            obligations::due_on,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(obligation_id, department_id, due_on)| crate::domain::reminders::Waiting {
                obligation_id,
                department_id,
                due_on,
            },
        )
        .collect())
}

/// Receipts not acknowledged, due by `until`.
pub fn unacknowledged(
    conn: &mut DbConn,
    until: chrono::NaiveDate,
) -> QueryResult<Vec<crate::domain::reminders::Unacknowledged>> {
    use super::schema::receipts;
    let rows: Vec<(i32, i32, chrono::NaiveDate)> = receipts::table
        .filter(receipts::acknowledged_at.is_null())
        .filter(receipts::due_on.le(until))
        .select((
            receipts::document_id,
            receipts::department_id,
            receipts::due_on,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(document_id, department_id, due_on)| crate::domain::reminders::Unacknowledged {
                document_id,
                department_id,
                due_on,
            },
        )
        .collect())
}

/// Who can be written to, and every department's name: two queries.
pub fn directory(
    conn: &mut DbConn,
    office_emails: &[String],
) -> QueryResult<(
    crate::domain::reminders::Directory,
    std::collections::HashMap<i32, String>,
)> {
    use super::schema::users;
    use crate::mail::split_addresses;
    let mut dir = crate::domain::reminders::Directory::default();
    let mut names = std::collections::HashMap::new();
    let depts: Vec<(i32, String, String, String)> = departments::table
        .select((
            departments::id,
            departments::name,
            departments::email,
            departments::head_email,
        ))
        .load(conn)?;
    for (id, name, email, head) in depts {
        names.insert(id, name);
        dir.departments
            .insert(id, split_addresses(&email).map(str::to_string).collect());
        dir.heads
            .insert(id, split_addresses(&head).map(str::to_string).collect());
    }
    let people: Vec<(String, Option<i32>, String)> = users::table
        .filter(users::active.eq(true))
        .filter(users::email.ne(""))
        .order(users::id)
        .select((users::role, users::department_id, users::email))
        .load(conn)?;
    dir.office = office_emails.to_vec();
    for (role, department, email) in people {
        let list = match (role.as_str(), department) {
            ("liaison", Some(d)) => dir.departments.entry(d).or_default(),
            ("admin", _) => &mut dir.office,
            _ => continue,
        };
        if !list.iter().any(|a| a.eq_ignore_ascii_case(&email)) {
            list.push(email);
        }
    }
    for (department, email) in super::oversight::leader_addresses(conn)? {
        let list = dir.leaders.entry(department).or_default();
        if !list.iter().any(|a| a.eq_ignore_ascii_case(&email)) {
            list.push(email);
        }
    }
    Ok((dir, names))
}

/// A department's overdue obligations, for the weekly digest.
#[derive(Debug, Clone, Queryable)]
pub struct OverdueCount {
    pub department_id: i32,
    pub department: String,
    pub overdue: i64,
    pub earliest_due: Option<chrono::NaiveDate>,
}

/// Overdue obligations by department, most first: one query.
pub fn overdue_by_department(
    conn: &mut DbConn,
    today: chrono::NaiveDate,
) -> QueryResult<Vec<OverdueCount>> {
    obligations::table
        .inner_join(departments::table)
        .filter(obligations::state.eq_any(["open", "returned"]))
        .filter(obligations::due_on.lt(today))
        .group_by((departments::id, departments::name))
        .select((
            departments::id,
            departments::name,
            diesel::dsl::count_star(),
            diesel::dsl::min(obligations::due_on),
        ))
        .order(diesel::dsl::count_star().desc())
        .load(conn)
}

/// Points the chase rows with these keys at the email that carries them.
pub fn attach(conn: &mut DbConn, keys: &[String], outbox_id: i32) -> QueryResult<usize> {
    diesel::update(chase_log::table.filter(chase_log::reminder_key.eq_any(keys)))
        .set(chase_log::outbox_id.eq(outbox_id))
        .execute(conn)
}
