//! Departments (责任单位): the directory, with how many measures each leads and co-operates on.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;

use super::schema::{assignments, department_aliases, departments, measures};
use super::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = departments)]
pub struct Department {
    pub id: i32,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DepartmentSummary {
    #[serde(flatten)]
    pub department: Department,
    pub lead_count: i64,
    pub co_count: i64,
}

/// A measure a department is named on, and in which role.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct DepartmentMeasure {
    pub department_id: i32,
    pub role: String,
    pub measure_id: i32,
    pub document_id: i32,
    pub number: i32,
    pub label: String,
    pub title: String,
}

/// Every department with its counts: two queries, whatever the number of departments.
pub fn list(conn: &mut DbConn) -> QueryResult<Vec<DepartmentSummary>> {
    let all: Vec<Department> = departments::table
        .order(departments::id)
        .select(Department::as_select())
        .load(conn)?;
    let mut counts: HashMap<(i32, String), i64> = assignments::table
        .group_by((assignments::department_id, assignments::role))
        .select((
            assignments::department_id,
            assignments::role,
            diesel::dsl::count_star(),
        ))
        .load::<(i32, String, i64)>(conn)?
        .into_iter()
        .map(|(d, r, n)| ((d, r), n))
        .collect();
    Ok(all
        .into_iter()
        .map(|d| DepartmentSummary {
            lead_count: counts.remove(&(d.id, "lead".into())).unwrap_or(0),
            co_count: counts.remove(&(d.id, "co".into())).unwrap_or(0),
            department: d,
        })
        .collect())
}

pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<Department>> {
    departments::table
        .find(id)
        .select(Department::as_select())
        .first(conn)
        .optional()
}

pub fn aliases_of(conn: &mut DbConn, id: i32) -> QueryResult<Vec<String>> {
    department_aliases::table
        .filter(department_aliases::department_id.eq(id))
        .order(department_aliases::alias)
        .select(department_aliases::alias)
        .load(conn)
}

/// The measures one department (or every department) is named on, in document order.
pub fn measures_of(
    conn: &mut DbConn,
    department_id: Option<i32>,
) -> QueryResult<Vec<DepartmentMeasure>> {
    let mut query = assignments::table
        .inner_join(measures::table)
        .select((
            assignments::department_id,
            assignments::role,
            measures::id,
            measures::document_id,
            measures::number,
            measures::label,
            measures::title,
        ))
        .order((
            assignments::department_id,
            measures::document_id,
            measures::number,
        ))
        .into_boxed();
    if let Some(id) = department_id {
        query = query.filter(assignments::department_id.eq(id));
    }
    query.load(conn)
}
