//! Measures (措施) and their assignments (who leads, who co-operates). Finders load whole
//! documents in a fixed number of queries and group in memory: never a query per measure.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;

use super::schema::{assignments, departments, import_warnings, measures, sections};
use super::DbConn;

/// A measure as lists show it.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct MeasureRow {
    pub id: i32,
    pub document_id: i32,
    pub number: i32,
    pub label: String,
    pub title: String,
    pub section: Option<i32>,
    pub section_title: Option<String>,
}

/// A measure with its full text.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct MeasureDetail {
    pub id: i32,
    pub document_id: i32,
    pub number: i32,
    pub label: String,
    pub title: String,
    pub body: String,
    pub deadline: Option<chrono::NaiveDate>,
    /// The deadline as the plan wrote it (`长期坚持` where it names no date).
    pub deadline_text: Option<String>,
    /// The day the office closed it (办结/销号), if it did.
    pub closed_on: Option<chrono::NaiveDate>,
    pub section: Option<i32>,
    pub section_title: Option<String>,
}

/// One department's part in one measure.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct AssignmentRow {
    pub measure_id: i32,
    pub department_id: i32,
    pub department: String,
    pub role: String,
    pub position: i32,
}

/// A department named on a measure, for display.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DepartmentRef {
    pub id: i32,
    pub name: String,
}

/// The lead unit and co-responsible units of one measure.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Responsible {
    pub lead: Option<DepartmentRef>,
    pub co: Vec<DepartmentRef>,
}

/// Measures of one document, or of all documents, in document order.
pub fn list(conn: &mut DbConn, document_id: Option<i32>) -> QueryResult<Vec<MeasureRow>> {
    let mut query = measures::table
        .left_join(sections::table)
        .select((
            measures::id,
            measures::document_id,
            measures::number,
            measures::label,
            measures::title,
            sections::ordinal.nullable(),
            sections::title.nullable(),
        ))
        .order((measures::document_id, measures::number))
        .into_boxed();
    if let Some(id) = document_id {
        query = query.filter(measures::document_id.eq(id));
    }
    query.load(conn)
}

/// The measures of a document closed by the office (办结).
pub fn closed_ids(conn: &mut DbConn, document_id: i32) -> QueryResult<Vec<i32>> {
    measures::table
        .filter(measures::document_id.eq(document_id))
        .filter(measures::closed_on.is_not_null())
        .select(measures::id)
        .load(conn)
}

pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<MeasureDetail>> {
    measures::table
        .left_join(sections::table)
        .filter(measures::id.eq(id))
        .select((
            measures::id,
            measures::document_id,
            measures::number,
            measures::label,
            measures::title,
            measures::body,
            measures::deadline,
            measures::deadline_text,
            measures::closed_on,
            sections::ordinal.nullable(),
            sections::title.nullable(),
        ))
        .first(conn)
        .optional()
}

/// Assignments of every measure of a document (or of all documents), in the order listed.
pub fn assignments_of_document(
    conn: &mut DbConn,
    document_id: Option<i32>,
) -> QueryResult<Vec<AssignmentRow>> {
    let mut query = assignments::table
        .inner_join(departments::table)
        .inner_join(measures::table)
        .select((
            assignments::measure_id,
            assignments::department_id,
            departments::name,
            assignments::role,
            assignments::position,
        ))
        .order((assignments::measure_id, assignments::position))
        .into_boxed();
    if let Some(id) = document_id {
        query = query.filter(measures::document_id.eq(id));
    }
    query.load(conn)
}

pub fn assignments_of_measure(conn: &mut DbConn, id: i32) -> QueryResult<Vec<AssignmentRow>> {
    assignments::table
        .inner_join(departments::table)
        .filter(assignments::measure_id.eq(id))
        .select((
            assignments::measure_id,
            assignments::department_id,
            departments::name,
            assignments::role,
            assignments::position,
        ))
        .order(assignments::position)
        .load(conn)
}

/// The lead unit (牵头单位) of a measure, if it names one.
pub fn lead_of(conn: &mut DbConn, measure_id: i32) -> QueryResult<Option<i32>> {
    assignments::table
        .filter(assignments::measure_id.eq(measure_id))
        .filter(assignments::role.eq("lead"))
        .select(assignments::department_id)
        .first(conn)
        .optional()
}

pub fn warnings_of_measure(conn: &mut DbConn, id: i32) -> QueryResult<Vec<String>> {
    import_warnings::table
        .filter(import_warnings::measure_id.eq(id))
        .order(import_warnings::id)
        .select(import_warnings::message)
        .load(conn)
}

/// Groups assignment rows (ordered by position) into each measure's lead and co units.
pub fn group_by_measure(rows: Vec<AssignmentRow>) -> HashMap<i32, Responsible> {
    let mut map: HashMap<i32, Responsible> = HashMap::new();
    for row in rows {
        let entry = map.entry(row.measure_id).or_default();
        let dept = DepartmentRef {
            id: row.department_id,
            name: row.department,
        };
        if row.role == "lead" && entry.lead.is_none() {
            entry.lead = Some(dept);
        } else {
            entry.co.push(dept);
        }
    }
    map
}

/// Enough of a measure to link to it.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct MeasureBrief {
    pub id: i32,
    pub number: i32,
    pub label: String,
    pub title: String,
}

/// The measures just before and after `number` in a document.
pub fn neighbours(
    conn: &mut DbConn,
    document_id: i32,
    number: i32,
) -> QueryResult<Vec<MeasureBrief>> {
    measures::table
        .filter(measures::document_id.eq(document_id))
        .filter(measures::number.eq_any([number - 1, number + 1]))
        .select((
            measures::id,
            measures::number,
            measures::label,
            measures::title,
        ))
        .load(conn)
}

/// Sets or clears a measure's completion deadline (办结时限); returns its document.
pub fn set_deadline(
    conn: &mut DbConn,
    id: i32,
    deadline: Option<chrono::NaiveDate>,
) -> QueryResult<Option<i32>> {
    let document: Option<i32> = measures::table
        .find(id)
        .select(measures::document_id)
        .first(conn)
        .optional()?;
    if document.is_some() {
        diesel::update(measures::table.find(id))
            .set(measures::deadline.eq(deadline))
            .execute(conn)?;
    }
    Ok(document)
}

/// Changes a measure's title and text.
pub fn update_text(conn: &mut DbConn, id: i32, title: &str, body: &str) -> QueryResult<usize> {
    diesel::update(measures::table.find(id))
        .set((measures::title.eq(title), measures::body.eq(body)))
        .execute(conn)
}

/// Sets a measure's deadline and the words it was written in.
pub fn set_deadline_text(
    conn: &mut DbConn,
    id: i32,
    deadline: Option<chrono::NaiveDate>,
    text: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(measures::table.find(id))
        .set((
            measures::deadline.eq(deadline),
            measures::deadline_text.eq(text),
        ))
        .execute(conn)
}

/// Replaces a measure's units: `units` in order, the lead first. Returns nothing; the
/// caller syncs the obligations.
pub fn replace_assignments(
    conn: &mut DbConn,
    measure_id: i32,
    units: &[(i32, &str)],
) -> QueryResult<()> {
    diesel::delete(assignments::table.filter(assignments::measure_id.eq(measure_id)))
        .execute(conn)?;
    for (position, (department_id, role)) in units.iter().enumerate() {
        diesel::insert_into(assignments::table)
            .values((
                assignments::measure_id.eq(measure_id),
                assignments::department_id.eq(department_id),
                assignments::role.eq(role),
                assignments::position.eq(position as i32),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Departments with reports on this measure: they cannot be taken off it.
pub fn departments_with_reports(conn: &mut DbConn, measure_id: i32) -> QueryResult<Vec<i32>> {
    use super::schema::{obligations, reports};
    reports::table
        .inner_join(obligations::table)
        .filter(obligations::measure_id.eq(measure_id))
        .select(obligations::department_id)
        .distinct()
        .load(conn)
}

/// Removes the import's warnings about a measure (after the office fixed it).
pub fn clear_warnings(conn: &mut DbConn, measure_id: i32) -> QueryResult<usize> {
    diesel::delete(import_warnings::table.filter(import_warnings::measure_id.eq(measure_id)))
        .execute(conn)
}
