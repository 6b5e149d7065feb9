//! Receipts (签收): a dispatched document waits for each assigned department to acknowledge
//! it; an acknowledgement not made in time is itself overdue.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{assignments, departments, documents, measures, receipts};
use super::DbConn;

#[derive(Debug, Clone, Queryable, Serialize)]
pub struct ReceiptRow {
    pub id: i32,
    pub document_id: i32,
    pub department_id: i32,
    pub dispatched_at: NaiveDateTime,
    pub due_on: NaiveDate,
    pub acknowledged_at: Option<NaiveDateTime>,
    pub acknowledged_by: Option<String>,
    pub department: String,
    pub document_number: Option<String>,
    pub document_title: Option<String>,
}

type Select = (
    receipts::id,
    receipts::document_id,
    receipts::department_id,
    receipts::dispatched_at,
    receipts::due_on,
    receipts::acknowledged_at,
    receipts::acknowledged_by,
    departments::name,
    documents::number,
    documents::title,
);

const SELECT: Select = (
    receipts::id,
    receipts::document_id,
    receipts::department_id,
    receipts::dispatched_at,
    receipts::due_on,
    receipts::acknowledged_at,
    receipts::acknowledged_by,
    departments::name,
    documents::number,
    documents::title,
);

/// Creates a receipt for every department assigned on the document that has none yet;
/// returns how many.
pub fn dispatch(
    conn: &mut DbConn,
    document_id: i32,
    due_on: NaiveDate,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let assigned: Vec<i32> = assignments::table
        .inner_join(measures::table)
        .filter(measures::document_id.eq(document_id))
        .select(assignments::department_id)
        .distinct()
        .load(conn)?;
    let existing: Vec<i32> = receipts::table
        .filter(receipts::document_id.eq(document_id))
        .select(receipts::department_id)
        .load(conn)?;
    let mut created = 0;
    for department_id in assigned.into_iter().filter(|d| !existing.contains(d)) {
        diesel::insert_into(receipts::table)
            .values((
                receipts::document_id.eq(document_id),
                receipts::department_id.eq(department_id),
                receipts::dispatched_at.eq(now),
                receipts::due_on.eq(due_on),
            ))
            .execute(conn)?;
        created += 1;
    }
    Ok(created)
}

pub fn for_document(conn: &mut DbConn, document_id: i32) -> QueryResult<Vec<ReceiptRow>> {
    receipts::table
        .inner_join(departments::table)
        .inner_join(documents::table.on(documents::id.eq(receipts::document_id)))
        .filter(receipts::document_id.eq(document_id))
        .order(departments::name)
        .select(SELECT)
        .load(conn)
}

pub fn for_department(conn: &mut DbConn, department_id: i32) -> QueryResult<Vec<ReceiptRow>> {
    receipts::table
        .inner_join(departments::table)
        .inner_join(documents::table.on(documents::id.eq(receipts::document_id)))
        .filter(receipts::department_id.eq(department_id))
        .order(receipts::due_on)
        .select(SELECT)
        .load(conn)
}

/// Every receipt (for lights across documents).
pub fn all(conn: &mut DbConn) -> QueryResult<Vec<(i32, i32, NaiveDate, bool)>> {
    receipts::table
        .select((
            receipts::document_id,
            receipts::department_id,
            receipts::due_on,
            receipts::acknowledged_at.is_not_null(),
        ))
        .load(conn)
}

/// Acknowledges a department's receipt; `false` when there was nothing to acknowledge.
pub fn acknowledge(
    conn: &mut DbConn,
    document_id: i32,
    department_id: i32,
    by: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        receipts::table
            .filter(receipts::document_id.eq(document_id))
            .filter(receipts::department_id.eq(department_id))
            .filter(receipts::acknowledged_at.is_null()),
    )
    .set((
        receipts::acknowledged_at.eq(now),
        receipts::acknowledged_by.eq(by),
    ))
    .execute(conn)
    .map(|n| n > 0)
}

/// Receipts not yet acknowledged, over every document: one count.
pub fn unacknowledged_count(conn: &mut DbConn) -> QueryResult<i64> {
    receipts::table
        .filter(receipts::acknowledged_at.is_null())
        .count()
        .get_result(conn)
}
