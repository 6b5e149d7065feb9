//! The office's holiday calendar per year (节假日安排), stored over the shipped years.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::calendar_years;
use super::DbConn;
use crate::domain::calendar::{Calendar, YearDays};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = calendar_years)]
pub struct YearRow {
    pub year: i32,
    pub holidays: String,
    pub workdays: String,
    pub updated_at: NaiveDateTime,
    pub updated_by: String,
}

fn dates(s: &str) -> Vec<NaiveDate> {
    s.split(',')
        .filter_map(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok())
        .collect()
}

fn joined(days: &[NaiveDate]) -> String {
    days.iter()
        .map(NaiveDate::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

impl YearRow {
    pub fn days(&self) -> YearDays {
        YearDays {
            year: self.year,
            holidays: dates(&self.holidays),
            workdays: dates(&self.workdays),
        }
    }
}

pub fn stored(conn: &mut DbConn) -> QueryResult<Vec<YearRow>> {
    calendar_years::table
        .order(calendar_years::year)
        .select(YearRow::as_select())
        .load(conn)
}

/// The calendar in force: the shipped years, with the office's saved years in their place.
pub fn load(conn: &mut DbConn) -> QueryResult<Calendar> {
    let years: Vec<YearDays> = stored(conn)?.iter().map(YearRow::days).collect();
    Ok(Calendar::with_stored(&years))
}

/// Saves a year (portable upsert: delete, then insert). Call inside the transaction that
/// records it and brings due dates in step.
pub fn save(
    conn: &mut DbConn,
    days: &YearDays,
    actor: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(calendar_years::table.find(days.year)).execute(conn)?;
    diesel::insert_into(calendar_years::table)
        .values((
            calendar_years::year.eq(days.year),
            calendar_years::holidays.eq(joined(&days.holidays)),
            calendar_years::workdays.eq(joined(&days.workdays)),
            calendar_years::updated_at.eq(now),
            calendar_years::updated_by.eq(actor),
        ))
        .execute(conn)
        .map(|_| ())
}
