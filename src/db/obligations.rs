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

/// Every obligation of one department, soonest due first.
pub fn for_department(conn: &mut DbConn, department_id: i32) -> QueryResult<Vec<ObligationRow>> {
    joined!()
        .filter(obligations::department_id.eq(department_id))
        .order((obligations::due_on, measures::number))
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
}

pub fn statuses(conn: &mut DbConn, document_id: Option<i32>) -> QueryResult<Vec<ObligationStatus>> {
    let rows: Vec<(i32, i32, i32, NaiveDate, String)> = match document_id {
        Some(id) => obligations::table
            .filter(obligations::document_id.eq(id))
            .select((
                obligations::measure_id,
                obligations::department_id,
                obligations::document_id,
                obligations::due_on,
                obligations::state,
            ))
            .load(conn)?,
        None => obligations::table
            .select((
                obligations::measure_id,
                obligations::department_id,
                obligations::document_id,
                obligations::due_on,
                obligations::state,
            ))
            .load(conn)?,
    };
    Ok(rows
        .into_iter()
        .map(
            |(measure_id, department_id, document_id, due_on, state)| ObligationStatus {
                measure_id,
                department_id,
                document_id,
                due_on,
                state: crate::domain::reporting::ObligationState::parse(&state),
            },
        )
        .collect())
}
