//! Reporting schedules (报送周期), one per document, and keeping a document's obligations in
//! step with its schedule and assignments.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{assignments, measures, obligations, reports, schedules};
use super::DbConn;
use crate::domain::schedule::{self, plan_obligations, Cadence, Schedule};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = schedules)]
pub struct ScheduleRow {
    pub document_id: i32,
    pub cadence: String,
    pub starts_on: NaiveDate,
    pub periods: i32,
    pub custom_periods: String,
    pub due_days: i32,
    pub co_days: i32,
    pub updated_at: NaiveDateTime,
    /// The report form asks for 存在问题 (problems) and 下步打算 (next steps) besides 工作进展.
    pub ask_problems: bool,
    pub ask_next_steps: bool,
    /// Due on this day of the period's last month instead of `due_days` after it.
    pub due_day: Option<i32>,
}

impl ScheduleRow {
    /// The domain schedule. Custom periods were checked when saved.
    pub fn schedule(&self) -> Result<Schedule, String> {
        let cadence = match self.cadence.as_str() {
            "weekly" => Cadence::Weekly,
            "monthly" => Cadence::Monthly,
            "quarterly" => Cadence::Quarterly,
            "half_yearly" => Cadence::HalfYearly,
            "yearly" => Cadence::Yearly,
            _ => Cadence::Custom(schedule::parse_custom_periods(&self.custom_periods)?),
        };
        Ok(Schedule {
            cadence,
            starts_on: self.starts_on,
            periods: self.periods.max(0) as u32,
            due_days: self.due_days.max(0) as u32,
            due_day: self.due_day.and_then(|d| u32::try_from(d).ok()),
            co_days: self.co_days.max(0) as u32,
        })
    }
}

pub fn find(conn: &mut DbConn, document_id: i32) -> QueryResult<Option<ScheduleRow>> {
    schedules::table
        .find(document_id)
        .select(ScheduleRow::as_select())
        .first(conn)
        .optional()
}

/// Inserts or replaces a document's schedule (portable: delete, then insert).
pub fn save(conn: &mut DbConn, row: &ScheduleRow) -> QueryResult<()> {
    diesel::delete(schedules::table.find(row.document_id)).execute(conn)?;
    diesel::insert_into(schedules::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// What bringing obligations in step changed.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct SyncOutcome {
    pub created: usize,
    pub updated: usize,
    pub removed: usize,
    /// Obligations no longer in the schedule but kept, because reports were made on them.
    pub kept: usize,
}

/// Makes a document's obligations match its schedule and assignments: new ones are created,
/// due dates follow the schedule (except where an extension moved them), and obligations the
/// schedule no longer calls for are removed unless a report was made on them. Call inside the
/// transaction that changed the schedule or the assignments.
pub fn sync_obligations(conn: &mut DbConn, document_id: i32) -> QueryResult<SyncOutcome> {
    let calendar = super::calendar::load(conn)?;
    sync_obligations_with(conn, document_id, &calendar)
}

/// [`sync_obligations`] with the calendar already loaded (when many documents follow one
/// change of it).
pub fn sync_obligations_with(
    conn: &mut DbConn,
    document_id: i32,
    calendar: &crate::domain::calendar::Calendar,
) -> QueryResult<SyncOutcome> {
    let Some(row) = find(conn, document_id)? else {
        return Ok(SyncOutcome::default());
    };
    let Ok(schedule) = row.schedule() else {
        return Ok(SyncOutcome::default());
    };
    type Assigned = (i32, i32, String, Option<NaiveDate>, Option<NaiveDate>);
    let assigned: Vec<Assigned> = assignments::table
        .inner_join(measures::table)
        .filter(measures::document_id.eq(document_id))
        .select((
            assignments::measure_id,
            assignments::department_id,
            assignments::role,
            measures::deadline,
            measures::closed_on,
        ))
        .load(conn)?;
    let plan_input: Vec<schedule::Assignment> = assigned
        .iter()
        .map(|(m, d, role, deadline, closed_on)| schedule::Assignment {
            measure_id: *m,
            department_id: *d,
            lead: role == "lead",
            deadline: *deadline,
            closed_on: *closed_on,
        })
        .collect();
    let planned = plan_obligations(&schedule, &plan_input, calendar);

    type Existing = (i32, i32, i32, String, String, NaiveDate, Option<NaiveDate>);
    let existing: Vec<Existing> = obligations::table
        .filter(obligations::document_id.eq(document_id))
        .select((
            obligations::id,
            obligations::measure_id,
            obligations::department_id,
            obligations::period_key,
            obligations::role,
            obligations::due_on,
            obligations::original_due_on,
        ))
        .load(conn)?;
    let with_reports: Vec<i32> = reports::table
        .inner_join(obligations::table)
        .filter(obligations::document_id.eq(document_id))
        .select(obligations::id)
        .distinct()
        .load(conn)?;
    let mut by_key: HashMap<(i32, i32, String), Existing> = existing
        .into_iter()
        .map(|e| ((e.1, e.2, e.3.clone()), e))
        .collect();

    let mut outcome = SyncOutcome::default();
    for p in &planned {
        let role = if p.lead { "lead" } else { "co" };
        match by_key.remove(&(p.measure_id, p.department_id, p.period.key.clone())) {
            Some((id, _, _, _, old_role, due, original)) => {
                // An extension moved this due date: it stands.
                let due_on = if original.is_some() { due } else { p.due_on };
                if old_role != role || due_on != due {
                    diesel::update(obligations::table.find(id))
                        .set((obligations::role.eq(role), obligations::due_on.eq(due_on)))
                        .execute(conn)?;
                    outcome.updated += 1;
                }
            }
            None => {
                diesel::insert_into(obligations::table)
                    .values((
                        obligations::document_id.eq(document_id),
                        obligations::measure_id.eq(p.measure_id),
                        obligations::department_id.eq(p.department_id),
                        obligations::role.eq(role),
                        obligations::period_key.eq(&p.period.key),
                        obligations::period_label.eq(&p.period.label),
                        obligations::period_start.eq(p.period.start),
                        obligations::period_end.eq(p.period.end),
                        obligations::due_on.eq(p.due_on),
                        obligations::state.eq("open"),
                    ))
                    .execute(conn)?;
                outcome.created += 1;
            }
        }
    }
    for (id, ..) in by_key.into_values() {
        if with_reports.contains(&id) {
            outcome.kept += 1;
        } else {
            diesel::delete(obligations::table.find(id)).execute(conn)?;
            outcome.removed += 1;
        }
    }
    Ok(outcome)
}
