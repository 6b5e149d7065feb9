//! What scoring needs, aggregated in SQL: per obligation, its first submission, its highest
//! reported percent and whether it was ever returned or accepted. A fixed number of queries
//! for any number of obligations.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::{count_star, max, min};
use diesel::prelude::*;

use super::schema::{assignments, departments, measures, obligations, reports, reviews};
use super::DbConn;
use crate::domain::scoring::ObligationFacts;

/// The scoring facts of every obligation of a document, each with its period's key (periods
/// are picked out in memory: the trend needs them all anyway).
pub fn facts(
    conn: &mut DbConn,
    document_id: i32,
    local_date: &dyn Fn(NaiveDateTime) -> NaiveDate,
) -> QueryResult<Vec<(String, ObligationFacts)>> {
    let rows: Vec<(i32, i32, String, NaiveDate, String)> = obligations::table
        .filter(obligations::document_id.eq(document_id))
        .select((
            obligations::id,
            obligations::department_id,
            obligations::role,
            obligations::due_on,
            obligations::period_key,
        ))
        .load(conn)?;

    let q = reports::table
        .inner_join(obligations::table)
        .filter(obligations::document_id.eq(document_id))
        .filter(reports::submitted_at.is_not_null())
        .group_by(reports::obligation_id)
        .select((
            reports::obligation_id,
            min(reports::submitted_at),
            max(reports::percent),
        ));
    let submitted: HashMap<i32, (Option<NaiveDateTime>, Option<i32>)> = q
        .load::<(i32, Option<NaiveDateTime>, Option<i32>)>(conn)?
        .into_iter()
        .map(|(id, first, pct)| (id, (first, pct)))
        .collect();

    let q = reviews::table
        .inner_join(reports::table.inner_join(obligations::table))
        .filter(obligations::document_id.eq(document_id))
        .group_by((reports::obligation_id, reviews::decision))
        .select((reports::obligation_id, reviews::decision, count_star()));
    let mut decisions: HashMap<i32, (bool, bool)> = HashMap::new();
    for (id, decision, _) in q.load::<(i32, String, i64)>(conn)? {
        let entry = decisions.entry(id).or_default();
        if decision == "return" {
            entry.0 = true;
        } else {
            entry.1 = true;
        }
    }

    Ok(rows
        .into_iter()
        .map(|(id, department_id, role, due_on, period_key)| {
            let (first, percent) = submitted.get(&id).copied().unwrap_or((None, None));
            let (returned, accepted) = decisions.get(&id).copied().unwrap_or_default();
            (
                period_key,
                ObligationFacts {
                    obligation_id: id,
                    department_id,
                    lead: role == "lead",
                    due_on,
                    first_submitted_on: first.map(local_date),
                    reviewed: returned || accepted,
                    returned,
                    accepted,
                    percent: percent.unwrap_or(0),
                },
            )
        })
        .collect())
}

/// The departments assigned on a document, with their names.
pub fn departments_of(conn: &mut DbConn, document_id: i32) -> QueryResult<Vec<(i32, String)>> {
    assignments::table
        .inner_join(measures::table)
        .inner_join(departments::table)
        .filter(measures::document_id.eq(document_id))
        .select((departments::id, departments::name))
        .distinct()
        .order(departments::id)
        .load(conn)
}
