//! Obligations (报送任务): one report due from one department on one measure for one period.
//! Finders carry their scope in their name; lists load in one query.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{departments, documents, measures, obligations};
use super::DbConn;

/// An obligation with what pages show beside it.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct ObligationRow {
    pub id: i32,
    pub document_id: i32,
    pub measure_id: i32,
    pub department_id: i32,
    pub role: String,
    pub period_key: String,
    pub period_label: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub due_on: NaiveDate,
    pub original_due_on: Option<NaiveDate>,
    pub state: String,
    /// The day it was first handed in (office-local), if it was.
    pub handed_in_on: Option<NaiveDate>,
    pub department: String,
    pub measure_number: i32,
    pub measure_label: String,
    pub measure_title: String,
    pub document_number: Option<String>,
}

type Select = (
    obligations::id,
    obligations::document_id,
    obligations::measure_id,
    obligations::department_id,
    obligations::role,
    obligations::period_key,
    obligations::period_label,
    obligations::period_start,
    obligations::period_end,
    obligations::due_on,
    obligations::original_due_on,
    obligations::state,
    obligations::handed_in_on,
    departments::name,
    measures::number,
    measures::label,
    measures::title,
    documents::number,
);

const SELECT: Select = (
    obligations::id,
    obligations::document_id,
    obligations::measure_id,
    obligations::department_id,
    obligations::role,
    obligations::period_key,
    obligations::period_label,
    obligations::period_start,
    obligations::period_end,
    obligations::due_on,
    obligations::original_due_on,
    obligations::state,
    obligations::handed_in_on,
    departments::name,
    measures::number,
    measures::label,
    measures::title,
    documents::number,
);

macro_rules! joined {
    () => {
        obligations::table
            .inner_join(departments::table)
            .inner_join(measures::table.inner_join(documents::table))
    };
}

pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<ObligationRow>> {
    joined!()
        .filter(obligations::id.eq(id))
        .select(SELECT)
        .first(conn)
        .optional()
}

/// The obligations of one document, or of every document.
pub fn for_document(
    conn: &mut DbConn,
    document_id: Option<i32>,
) -> QueryResult<Vec<ObligationRow>> {
    let mut query = joined!()
        .order((
            measures::number,
            obligations::period_start,
            obligations::role.desc(),
        ))
        .select(SELECT)
        .into_boxed();
    if let Some(id) = document_id {
        query = query.filter(obligations::document_id.eq(id));
    }
    query.load(conn)
}

pub fn for_measure(conn: &mut DbConn, measure_id: i32) -> QueryResult<Vec<ObligationRow>> {
    joined!()
        .filter(obligations::measure_id.eq(measure_id))
        .order((
            obligations::period_start,
            obligations::role.desc(),
            departments::name,
        ))
        .select(SELECT)
        .load(conn)
}

/// The obligation of a department on a measure for a period.
pub fn find_for_department(
    conn: &mut DbConn,
    measure_id: i32,
    department_id: i32,
    period_key: &str,
) -> QueryResult<Option<ObligationRow>> {
    joined!()
        .filter(obligations::measure_id.eq(measure_id))
        .filter(obligations::department_id.eq(department_id))
        .filter(obligations::period_key.eq(period_key))
        .select(SELECT)
        .first(conn)
        .optional()
}

pub fn set_state(conn: &mut DbConn, id: i32, state: &str) -> QueryResult<usize> {
    diesel::update(obligations::table.find(id))
        .set(obligations::state.eq(state))
        .execute(conn)
}

/// Records the day it was handed in, unless it was handed in before.
pub fn mark_handed_in(conn: &mut DbConn, id: i32, on: NaiveDate) -> QueryResult<usize> {
    diesel::update(obligations::table.find(id))
        .filter(obligations::handed_in_on.is_null())
        .set(obligations::handed_in_on.eq(on))
        .execute(conn)
}

/// Forgets the day handed in, when the only version handed in was withdrawn.
pub fn clear_handed_in(conn: &mut DbConn, id: i32) -> QueryResult<usize> {
    diesel::update(obligations::table.find(id))
        .set(obligations::handed_in_on.eq(None::<NaiveDate>))
        .execute(conn)
}

/// Moves the due date, keeping the first original.
pub fn extend(
    conn: &mut DbConn,
    id: i32,
    original: NaiveDate,
    due_on: NaiveDate,
) -> QueryResult<usize> {
    diesel::update(obligations::table.find(id))
        .set((
            obligations::due_on.eq(due_on),
            obligations::original_due_on.eq(original),
        ))
        .execute(conn)
}

/// The obligations a calendar feed carries: not yet accepted, of these units (all units when
/// `None`), due from `from` to `to`, by due date, at most `limit`.
pub fn for_feed(
    conn: &mut DbConn,
    departments_in: Option<&[i32]>,
    from: NaiveDate,
    to: NaiveDate,
    limit: i64,
) -> QueryResult<Vec<ObligationRow>> {
    let mut q = joined!()
        .filter(obligations::state.ne("accepted"))
        .filter(obligations::due_on.between(from, to))
        .select(SELECT)
        .order((obligations::due_on, obligations::id))
        .limit(limit)
        .into_boxed();
    if let Some(ids) = departments_in {
        q = q.filter(obligations::department_id.eq_any(ids.to_vec()));
    }
    q.load(conn)
}

pub fn by_ids(conn: &mut DbConn, ids: &[i32]) -> QueryResult<Vec<ObligationRow>> {
    joined!()
        .filter(obligations::id.eq_any(ids))
        .select(SELECT)
        .load(conn)
}

/// Just what a light needs, for every obligation of a document (or of all): no joins, no
/// text, so lights on large documents stay cheap.
#[derive(Debug, Clone, Copy)]
pub struct ObligationStatus {
    pub measure_id: i32,
    pub department_id: i32,
    pub document_id: i32,
    pub due_on: NaiveDate,
    pub state: crate::domain::reporting::ObligationState,
    pub handed_in_on: Option<NaiveDate>,
}

type StatusRow = (i32, i32, i32, NaiveDate, String, Option<NaiveDate>);

const STATUS: (
    obligations::measure_id,
    obligations::department_id,
    obligations::document_id,
    obligations::due_on,
    obligations::state,
    obligations::handed_in_on,
) = (
    obligations::measure_id,
    obligations::department_id,
    obligations::document_id,
    obligations::due_on,
    obligations::state,
    obligations::handed_in_on,
);

fn status_of(row: StatusRow) -> ObligationStatus {
    let (measure_id, department_id, document_id, due_on, state, handed_in_on) = row;
    ObligationStatus {
        measure_id,
        department_id,
        document_id,
        due_on,
        state: crate::domain::reporting::ObligationState::parse(&state),
        handed_in_on,
    }
}

pub fn statuses(conn: &mut DbConn, document_id: Option<i32>) -> QueryResult<Vec<ObligationStatus>> {
    let rows: Vec<StatusRow> = match document_id {
        Some(id) => obligations::table
            .filter(obligations::document_id.eq(id))
            .select(STATUS)
            .load(conn)?,
        None => obligations::table.select(STATUS).load(conn)?,
    };
    Ok(rows.into_iter().map(status_of).collect())
}

/// The ledger's selection (督办台账), as plain values already checked by `read::filter`.
/// Every condition is SQL, so counts and pages cost the same whatever the history.
#[derive(Debug, Clone, Default)]
pub struct LedgerWhere {
    /// A liaison's unit: its own obligations and the co units' on measures it leads.
    pub unit_scope: Option<i32>,
    /// A leader's user id: only the units they oversee (我分管的单位).
    pub overseen_by: Option<i32>,
    /// Nothing may be listed (a liaison without a unit).
    pub nothing: bool,
    pub document: Option<i32>,
    pub section: Option<i32>,
    pub measure: Option<i32>,
    pub department: Option<i32>,
    pub role: Option<&'static str>,
    pub period: Option<String>,
    pub due_from: Option<NaiveDate>,
    pub due_to: Option<NaiveDate>,
    pub state: Option<LedgerState>,
    pub light: Option<crate::domain::reporting::Light>,
    /// Overdue by at least this many days (1 or more).
    pub overdue_days_min: Option<i64>,
    /// Returned for revision and not yet handed in again.
    pub returned: bool,
    /// The unit has not acknowledged the document (未签收).
    pub unacknowledged: bool,
    /// Text in the measure's title (already a LIKE pattern, escaped with `\`).
    pub title_like: Option<String>,
    pub today: NaiveDate,
    pub yellow_days: u32,
    /// One part of the urgent order (overdue, waiting, done), for paging through it.
    pub segment: Option<Segment>,
}

/// The parts of the urgent order, each read in due-date order along an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// Past due and not handed in.
    Overdue,
    /// Not done and not overdue: handed in and waiting for review, or not yet due.
    Waiting,
    /// Accepted.
    Done,
}

/// The states the ledger filters by: the contract's five, and 未办结 (all but accepted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerState {
    Open,
    Submitted,
    Returned,
    Accepted,
    Overdue,
    Pending,
    /// Past due and never handed in (overdue, not returned).
    Unreported,
}

/// How the ledger is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LedgerSort {
    /// Overdue first (most days first), then by due date, done last.
    #[default]
    Urgent,
    Due,
    DueDesc,
    Unit,
    Measure,
}

/// Applies a `LedgerWhere` to a boxed query over `obligations` (joined or not).
macro_rules! ledger_filtered {
    ($query:expr, $w:expr, $with_state:expr) => {{
        use super::schema::{assignments, receipts};
        // Subqueries name measures through an alias: the page's query joins the table too.
        let sub = diesel::alias!(super::schema::measures as sub_measures);
        let w: &LedgerWhere = $w;
        let today = w.today;
        let mut q = $query.into_boxed();
        let waiting = ["open", "returned"];
        let late_receipt = diesel::dsl::exists(
            receipts::table
                .filter(receipts::document_id.eq(obligations::document_id))
                .filter(receipts::department_id.eq(obligations::department_id))
                .filter(receipts::acknowledged_at.is_null())
                .filter(receipts::due_on.lt(today)),
        );
        if w.nothing {
            q = q.filter(obligations::id.lt(0));
        }
        if let Some(unit) = w.unit_scope {
            q = q.filter(
                obligations::department_id
                    .eq(unit)
                    .or(obligations::measure_id.eq_any(
                        assignments::table
                            .filter(assignments::department_id.eq(unit))
                            .filter(assignments::role.eq("lead"))
                            .select(assignments::measure_id),
                    )),
            );
        }
        if let Some(d) = w.document {
            q = q.filter(obligations::document_id.eq(d));
        }
        if let Some(s) = w.section {
            q = q.filter(
                obligations::measure_id.eq_any(
                    sub.filter(sub.field(measures::section_id).eq(s))
                        .select(sub.field(measures::id)),
                ),
            );
        }
        if let Some(m) = w.measure {
            q = q.filter(obligations::measure_id.eq(m));
        }
        if let Some(d) = w.department {
            q = q.filter(obligations::department_id.eq(d));
        }
        if let Some(leader) = w.overseen_by {
            use super::schema::leader_departments as ld;
            q = q.filter(
                obligations::department_id.eq_any(
                    ld::table
                        .filter(ld::user_id.eq(leader))
                        .select(ld::department_id),
                ),
            );
        }
        if let Some(r) = w.role {
            q = q.filter(obligations::role.eq(r));
        }
        if let Some(p) = &w.period {
            q = q.filter(obligations::period_key.eq(p.clone()));
        }
        if let Some(d) = w.due_from {
            q = q.filter(obligations::due_on.ge(d));
        }
        if let Some(d) = w.due_to {
            q = q.filter(obligations::due_on.le(d));
        }
        if let Some(pattern) = &w.title_like {
            q = q.filter(
                obligations::measure_id.eq_any(
                    sub.filter(
                        sub.field(measures::title)
                            .like(pattern.clone())
                            .escape('\\'),
                    )
                    .select(sub.field(measures::id)),
                ),
            );
        }
        if let Some(n) = w.overdue_days_min {
            q = q
                .filter(obligations::state.eq_any(waiting))
                .filter(obligations::due_on.le(today - chrono::Duration::days(n.max(1))));
        }
        if w.returned {
            q = q.filter(obligations::state.eq("returned"));
        }
        if w.unacknowledged {
            q = q.filter(diesel::dsl::exists(
                receipts::table
                    .filter(receipts::document_id.eq(obligations::document_id))
                    .filter(receipts::department_id.eq(obligations::department_id))
                    .filter(receipts::acknowledged_at.is_null()),
            ));
        }
        if $with_state {
            match w.state {
                None => {}
                Some(LedgerState::Open) => {
                    q = q
                        .filter(obligations::state.eq("open"))
                        .filter(obligations::due_on.ge(today))
                }
                Some(LedgerState::Returned) => {
                    q = q
                        .filter(obligations::state.eq("returned"))
                        .filter(obligations::due_on.ge(today))
                }
                Some(LedgerState::Submitted) => q = q.filter(obligations::state.eq("submitted")),
                Some(LedgerState::Accepted) => q = q.filter(obligations::state.eq("accepted")),
                Some(LedgerState::Overdue) => {
                    q = q
                        .filter(obligations::state.eq_any(waiting))
                        .filter(obligations::due_on.lt(today))
                }
                Some(LedgerState::Pending) => q = q.filter(obligations::state.ne("accepted")),
                Some(LedgerState::Unreported) => {
                    q = q
                        .filter(obligations::state.eq("open"))
                        .filter(obligations::due_on.lt(today))
                }
            }
        }
        match w.segment {
            None => {}
            Some(Segment::Overdue) => {
                q = q
                    .filter(obligations::state.eq_any(waiting))
                    .filter(obligations::due_on.lt(today))
            }
            Some(Segment::Waiting) => {
                q = q.filter(
                    obligations::state.eq("submitted").or(obligations::state
                        .eq_any(waiting)
                        .and(obligations::due_on.ge(today))),
                )
            }
            Some(Segment::Done) => q = q.filter(obligations::state.eq("accepted")),
        }
        {
            use crate::domain::reporting::Light;
            let soon = today + chrono::Duration::days(i64::from(w.yellow_days));
            match w.light {
                None | Some(Light::None) | Some(Light::Closed) => {}
                Some(Light::Done) => q = q.filter(obligations::state.eq("accepted")),
                Some(Light::Red) => {
                    q = q.filter(obligations::state.ne("accepted")).filter(
                        obligations::state
                            .eq_any(waiting)
                            .and(obligations::due_on.lt(today))
                            .or(late_receipt)
                            // Handed in late, not yet accepted.
                            .or(obligations::state
                                .eq("submitted")
                                .and(obligations::handed_in_on.gt(obligations::due_on.nullable()))),
                    )
                }
                Some(Light::Yellow) => {
                    q = q
                        .filter(diesel::dsl::not(late_receipt))
                        .filter(obligations::due_on.ge(today))
                        .filter(
                            obligations::state.eq("returned").or(obligations::state
                                .eq("open")
                                .and(obligations::due_on.le(soon))),
                        )
                }
                Some(Light::Green) => {
                    q =
                        q.filter(diesel::dsl::not(late_receipt)).filter(
                            obligations::state
                                .eq("submitted")
                                .and(obligations::handed_in_on.is_null().or(
                                    obligations::handed_in_on.le(obligations::due_on.nullable()),
                                ))
                                .or(obligations::state
                                    .eq("open")
                                    .and(obligations::due_on.gt(soon))),
                        )
                }
            }
        }
        q
    }};
}

/// How many obligations the selection holds.
pub fn ledger_count(conn: &mut DbConn, w: &LedgerWhere) -> QueryResult<i64> {
    ledger_filtered!(obligations::table, w, true)
        .count()
        .get_result(conn)
}

/// Counts by the contract's states over the selection without its state filter, for the
/// chips above the table: one count per state.
pub fn ledger_state_counts(
    conn: &mut DbConn,
    w: &LedgerWhere,
) -> QueryResult<std::collections::HashMap<&'static str, i64>> {
    let mut out = std::collections::HashMap::new();
    for (key, state) in [
        ("open", LedgerState::Open),
        ("overdue", LedgerState::Overdue),
        ("submitted", LedgerState::Submitted),
        ("returned", LedgerState::Returned),
        ("accepted", LedgerState::Accepted),
    ] {
        let one = LedgerWhere {
            state: Some(state),
            ..w.clone()
        };
        out.insert(key, ledger_count(conn, &one)?);
    }
    Ok(out)
}

/// One page of the selection's obligation ids, in the chosen order. The urgent order reads
/// its three parts (overdue, waiting, done) one after another, each along the due-date index,
/// so a page costs the same on two years of history as on two months.
pub fn ledger_page(
    conn: &mut DbConn,
    w: &LedgerWhere,
    sort: LedgerSort,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<i32>> {
    ledger_page_counted(conn, w, sort, offset, limit, None)
}

/// [`ledger_page`], given the sizes of the urgent order's three parts when the caller knows
/// them already (from the counts by state).
pub fn ledger_page_counted(
    conn: &mut DbConn,
    w: &LedgerWhere,
    sort: LedgerSort,
    offset: i64,
    limit: i64,
    parts: Option<[i64; 3]>,
) -> QueryResult<Vec<i32>> {
    if sort != LedgerSort::Urgent {
        return sorted_page(conn, w, sort, offset, limit);
    }
    let (mut offset, mut limit) = (offset, limit);
    let mut out = Vec::new();
    for (i, segment) in [Segment::Overdue, Segment::Waiting, Segment::Done]
        .into_iter()
        .enumerate()
    {
        if limit <= 0 {
            break;
        }
        let part = LedgerWhere {
            segment: Some(segment),
            ..w.clone()
        };
        let n = match parts {
            Some(sizes) => sizes[i],
            None => ledger_count(conn, &part)?,
        };
        if offset >= n {
            offset -= n;
            continue;
        }
        let ids = sorted_page(conn, &part, LedgerSort::Due, offset, limit)?;
        limit -= ids.len() as i64;
        offset = 0;
        out.extend(ids);
    }
    Ok(out)
}

fn sorted_page(
    conn: &mut DbConn,
    w: &LedgerWhere,
    sort: LedgerSort,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<i32>> {
    match sort {
        // By date: the obligations table alone, along its (due_on, id) index.
        LedgerSort::Due | LedgerSort::Urgent => ledger_filtered!(obligations::table, w, true)
            .order((obligations::due_on, obligations::id))
            .select(obligations::id)
            .offset(offset)
            .limit(limit)
            .load(conn),
        LedgerSort::DueDesc => ledger_filtered!(obligations::table, w, true)
            .order((obligations::due_on.desc(), obligations::id.desc()))
            .select(obligations::id)
            .offset(offset)
            .limit(limit)
            .load(conn),
        LedgerSort::Unit | LedgerSort::Measure => {
            let q = ledger_filtered!(
                obligations::table
                    .inner_join(departments::table)
                    .inner_join(measures::table),
                w,
                true
            );
            let q = if sort == LedgerSort::Unit {
                q.order((departments::name, obligations::due_on, obligations::id))
            } else {
                q.order((
                    measures::number,
                    obligations::due_on,
                    obligations::role.desc(),
                    departments::name,
                ))
            };
            q.select(obligations::id)
                .offset(offset)
                .limit(limit)
                .load(conn)
        }
    }
}

/// The periods a measure's or a unit's obligations fall in (key, label), newest first.
pub fn periods_of(
    conn: &mut DbConn,
    measure_id: Option<i32>,
    department_id: Option<i32>,
) -> QueryResult<Vec<(String, String)>> {
    let mut q = obligations::table
        .select((
            obligations::period_start,
            obligations::period_key,
            obligations::period_label,
        ))
        .distinct()
        .into_boxed();
    if let Some(m) = measure_id {
        q = q.filter(obligations::measure_id.eq(m));
    }
    if let Some(d) = department_id {
        q = q.filter(obligations::department_id.eq(d));
    }
    let rows: Vec<(NaiveDate, String, String)> = q
        .order((obligations::period_start.desc(), obligations::period_key))
        .load(conn)?;
    let mut out: Vec<(String, String)> = Vec::new();
    for (_, key, label) in rows {
        if !out.iter().any(|(k, _)| *k == key) {
            out.push((key, label));
        }
    }
    Ok(out)
}

/// A measure's or a unit's obligations in these periods (and of one unit, with `only`).
pub fn in_periods(
    conn: &mut DbConn,
    measure_id: Option<i32>,
    department_id: Option<i32>,
    keys: &[String],
) -> QueryResult<Vec<ObligationRow>> {
    let mut q = joined!()
        .filter(obligations::period_key.eq_any(keys))
        .into_boxed();
    if let Some(m) = measure_id {
        q = q.filter(obligations::measure_id.eq(m));
    }
    if let Some(d) = department_id {
        q = q.filter(obligations::department_id.eq(d));
    }
    q.order((
        documents::id,
        measures::number,
        obligations::role.desc(),
        departments::name,
        obligations::period_start.desc(),
    ))
    .select(SELECT)
    .load(conn)
}

/// The period being reported now within the selection: that of the soonest obligation due
/// today or later, else of the latest one (key and label). Two indexed lookups at most.
pub fn current_period(conn: &mut DbConn, w: &LedgerWhere) -> QueryResult<Option<(String, String)>> {
    let next = ledger_filtered!(obligations::table, w, true)
        .filter(obligations::due_on.ge(w.today))
        .order((obligations::due_on, obligations::id))
        .select((obligations::period_key, obligations::period_label))
        .first(conn)
        .optional()?;
    if next.is_some() {
        return Ok(next);
    }
    ledger_filtered!(obligations::table, w, true)
        .order((obligations::due_on.desc(), obligations::id.desc()))
        .select((obligations::period_key, obligations::period_label))
        .first(conn)
        .optional()
}

/// What a light needs for every obligation of a document, with its period's key.
pub fn statuses_with_periods(
    conn: &mut DbConn,
    document_id: i32,
) -> QueryResult<Vec<(ObligationStatus, String)>> {
    let rows: Vec<(StatusRow, String)> = obligations::table
        .filter(obligations::document_id.eq(document_id))
        .select((STATUS, obligations::period_key))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(row, key)| (status_of(row), key))
        .collect())
}
