//! 批示: leaders' instructions on measures and obligations.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::schema::instructions;
use super::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = instructions)]
pub struct InstructionRow {
    pub id: i32,
    pub measure_id: i32,
    pub obligation_id: Option<i32>,
    pub body: String,
    pub author: String,
    pub author_name: String,
    pub created_at: NaiveDateTime,
}

#[allow(clippy::too_many_arguments)]
pub fn insert(
    conn: &mut DbConn,
    measure_id: i32,
    obligation_id: Option<i32>,
    body: &str,
    author: &str,
    author_name: &str,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    diesel::insert_into(instructions::table)
        .values((
            instructions::measure_id.eq(measure_id),
            instructions::obligation_id.eq(obligation_id),
            instructions::body.eq(body),
            instructions::author.eq(author),
            instructions::author_name.eq(author_name),
            instructions::created_at.eq(now),
        ))
        .returning(instructions::id)
        .get_result(conn)
}

/// What an obligation's page shows: its own instructions and its measure's, newest first.
pub fn for_obligation(
    conn: &mut DbConn,
    obligation_id: i32,
    measure_id: i32,
) -> QueryResult<Vec<InstructionRow>> {
    instructions::table
        .filter(
            instructions::obligation_id
                .eq(obligation_id)
                .or(instructions::measure_id
                    .eq(measure_id)
                    .and(instructions::obligation_id.is_null())),
        )
        .order(instructions::id.desc())
        .select(InstructionRow::as_select())
        .load(conn)
}

/// A measure's own instructions (to all its units), newest first.
pub fn for_measure(conn: &mut DbConn, measure_id: i32) -> QueryResult<Vec<InstructionRow>> {
    instructions::table
        .filter(instructions::measure_id.eq(measure_id))
        .filter(instructions::obligation_id.is_null())
        .order(instructions::id.desc())
        .select(InstructionRow::as_select())
        .load(conn)
}
