//! Documents (文件): rows, finders, and storing an imported document in one transaction.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::audit::{self, Details, NewAuditEntry};
use super::schema::{
    assignments, department_aliases, departments, documents, import_warnings, measures, sections,
};
use super::DbConn;
use crate::domain::importer::ParsedDocument;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = documents)]
pub struct Document {
    pub id: i32,
    pub number: Option<String>,
    pub title: Option<String>,
    pub issuing_office: Option<String>,
    pub issued_on: Option<NaiveDate>,
    pub imported_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = documents)]
struct NewDocument<'a> {
    number: Option<&'a str>,
    title: Option<&'a str>,
    issuing_office: Option<&'a str>,
    issued_on: Option<NaiveDate>,
    source_text: &'a str,
    imported_at: NaiveDateTime,
}

/// A document with its measure count, for lists.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentSummary {
    #[serde(flatten)]
    pub document: Document,
    pub measure_count: i64,
    pub warning_count: i64,
}

#[derive(Debug, Clone, Queryable, Serialize)]
pub struct Section {
    pub id: i32,
    pub ordinal: i32,
    pub title: String,
}

#[derive(Debug, Clone, Queryable, Serialize)]
pub struct ImportWarning {
    pub measure_id: Option<i32>,
    pub kind: String,
    pub message: String,
}

/// Every document with its counts: two grouped queries, whatever the number of documents.
pub fn list(conn: &mut DbConn) -> QueryResult<Vec<DocumentSummary>> {
    let docs: Vec<Document> = documents::table
        .order(documents::id)
        .select(Document::as_select())
        .load(conn)?;
    let measure_counts: HashMap<i32, i64> = measures::table
        .group_by(measures::document_id)
        .select((measures::document_id, diesel::dsl::count_star()))
        .load::<(i32, i64)>(conn)?
        .into_iter()
        .collect();
    let warning_counts: HashMap<i32, i64> = import_warnings::table
        .group_by(import_warnings::document_id)
        .select((import_warnings::document_id, diesel::dsl::count_star()))
        .load::<(i32, i64)>(conn)?
        .into_iter()
        .collect();
    Ok(docs
        .into_iter()
        .map(|d| DocumentSummary {
            measure_count: measure_counts.get(&d.id).copied().unwrap_or(0),
            warning_count: warning_counts.get(&d.id).copied().unwrap_or(0),
            document: d,
        })
        .collect())
}

/// Every document's id with its number (文号), or its title where it has none.
pub fn labels(conn: &mut DbConn) -> QueryResult<Vec<(i32, String)>> {
    let rows: Vec<(i32, Option<String>, Option<String>)> = documents::table
        .order(documents::id)
        .select((documents::id, documents::number, documents::title))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, number, title)| {
            let label = number.or(title).unwrap_or_else(|| {
                crate::i18n::tr("service.documents.untitled", &[("id", &id.to_string())])
            });
            (id, label)
        })
        .collect())
}

pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<Document>> {
    documents::table
        .find(id)
        .select(Document::as_select())
        .first(conn)
        .optional()
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    documents::table.count().get_result(conn)
}

pub fn sections_of(conn: &mut DbConn, document_id: i32) -> QueryResult<Vec<Section>> {
    sections::table
        .filter(sections::document_id.eq(document_id))
        .order(sections::ordinal)
        .select((sections::id, sections::ordinal, sections::title))
        .load(conn)
}

pub fn warnings_of(conn: &mut DbConn, document_id: i32) -> QueryResult<Vec<ImportWarning>> {
    import_warnings::table
        .filter(import_warnings::document_id.eq(document_id))
        .order(import_warnings::id)
        .select((
            import_warnings::measure_id,
            import_warnings::kind,
            import_warnings::message,
        ))
        .load(conn)
}

/// What an import stored.
#[derive(Debug, Clone, Serialize)]
pub struct ImportOutcome {
    pub document_id: i32,
    pub measures: usize,
    pub departments: usize,
    pub new_departments: usize,
    pub warnings: usize,
    pub replaced: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("document {number} already exists (id {id}); use --replace to replace it")]
    Exists { number: String, id: i32 },
    #[error(
        "document {number} already has {reports} progress reports; replacing it would delete them"
    )]
    HasReports { number: String, reports: i64 },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// Stores a parsed document — document, sections, departments, measures, assignments and
/// warnings — in one transaction: a failure leaves nothing behind. Departments already known
/// (by name or alias, from earlier documents or a merge) are reused.
pub fn store(
    conn: &mut DbConn,
    parsed: &ParsedDocument,
    source_text: &str,
    replace: bool,
    actor: &str,
    now: NaiveDateTime,
) -> Result<ImportOutcome, StoreError> {
    crate::db::transaction(conn, |conn| {
        let mut replaced = false;
        if let Some(number) = &parsed.number {
            let existing: Option<i32> = documents::table
                .filter(documents::number.eq(number))
                .select(documents::id)
                .first(conn)
                .optional()?;
            if let Some(id) = existing {
                if !replace {
                    return Err(StoreError::Exists {
                        number: number.clone(),
                        id,
                    });
                }
                let reports: i64 = super::schema::reports::table
                    .inner_join(super::schema::obligations::table)
                    .filter(super::schema::obligations::document_id.eq(id))
                    .count()
                    .get_result(conn)?;
                if reports > 0 {
                    return Err(StoreError::HasReports {
                        number: number.clone(),
                        reports,
                    });
                }
                delete(conn, id)?;
                replaced = true;
            }
        }

        let document_id: i32 = diesel::insert_into(documents::table)
            .values(NewDocument {
                number: parsed.number.as_deref(),
                title: parsed.title.as_deref(),
                issuing_office: parsed.issuing_office.as_deref(),
                issued_on: parsed.issued_on,
                source_text,
                imported_at: now,
            })
            .returning(documents::id)
            .get_result(conn)?;

        let mut section_ids: HashMap<u32, i32> = HashMap::new();
        for s in &parsed.sections {
            let id: i32 = diesel::insert_into(sections::table)
                .values((
                    sections::document_id.eq(document_id),
                    sections::ordinal.eq(s.ordinal as i32),
                    sections::title.eq(&s.title),
                ))
                .returning(sections::id)
                .get_result(conn)?;
            section_ids.insert(s.ordinal, id);
        }

        let (department_ids, new_departments) = resolve_departments(conn, parsed, now)?;

        let mut measure_ids: HashMap<u32, i32> = HashMap::new();
        for m in &parsed.measures {
            let id: i32 = diesel::insert_into(measures::table)
                .values((
                    measures::document_id.eq(document_id),
                    measures::section_id.eq(m.section.and_then(|s| section_ids.get(&s).copied())),
                    measures::number.eq(m.number as i32),
                    measures::label.eq(&m.label),
                    measures::title.eq(&m.title),
                    measures::body.eq(&m.text),
                    measures::deadline.eq(m.deadline),
                    measures::deadline_text.eq(m.deadline_text.as_deref()),
                ))
                .returning(measures::id)
                .get_result(conn)?;
            measure_ids.insert(m.number, id);
            // Two names in the text may be one stored department (after a merge): the first
            // listing, which is also the stronger role, stands.
            let mut assigned = Vec::with_capacity(m.assignments.len());
            for a in &m.assignments {
                let department_id = department_ids[a.department];
                if assigned.contains(&department_id) {
                    continue;
                }
                diesel::insert_into(assignments::table)
                    .values((
                        assignments::measure_id.eq(id),
                        assignments::department_id.eq(department_id),
                        assignments::role.eq(a.role.as_str()),
                        assignments::position.eq(assigned.len() as i32),
                    ))
                    .execute(conn)?;
                assigned.push(department_id);
            }
        }

        for w in &parsed.warnings {
            diesel::insert_into(import_warnings::table)
                .values((
                    import_warnings::document_id.eq(document_id),
                    import_warnings::measure_id
                        .eq(w.measure.and_then(|n| measure_ids.get(&n).copied())),
                    import_warnings::kind.eq(w.kind.as_str()),
                    import_warnings::message.eq(&w.message),
                ))
                .execute(conn)?;
        }

        let outcome = ImportOutcome {
            document_id,
            measures: parsed.measures.len(),
            departments: parsed.departments.len(),
            new_departments,
            warnings: parsed.warnings.len(),
            replaced,
        };
        let action = if replaced {
            "document.replace"
        } else {
            "document.import"
        };
        let details = match parsed.number.as_deref() {
            Some(number) => Details::new(action).arg("number", number),
            None => Details::new(action).word("number", "admin.audit.words.no_number"),
        };
        let summary = details
            .arg("title", parsed.title.as_deref().unwrap_or(""))
            .arg("measures", outcome.measures)
            .arg("departments", outcome.departments)
            .arg("new", outcome.new_departments)
            .arg("warnings", outcome.warnings)
            .to_string();
        audit::record(
            conn,
            NewAuditEntry {
                at: now,
                actor,
                action,
                entity: "document",
                entity_id: Some(document_id),
                summary: &summary,
            },
        )?;
        Ok(outcome)
    })
}

/// Maps each parsed department to a stored one, creating those not known yet. Returns the ids
/// in the parsed order and how many were new.
fn resolve_departments(
    conn: &mut DbConn,
    parsed: &ParsedDocument,
    now: NaiveDateTime,
) -> QueryResult<(Vec<i32>, usize)> {
    let mut by_name: HashMap<String, i32> = departments::table
        .select((departments::name, departments::id))
        .load::<(String, i32)>(conn)?
        .into_iter()
        .collect();
    let mut by_alias: HashMap<String, i32> = department_aliases::table
        .select((department_aliases::alias, department_aliases::department_id))
        .load::<(String, i32)>(conn)?
        .into_iter()
        .collect();

    let mut ids = Vec::with_capacity(parsed.departments.len());
    let mut created = 0;
    for dept in &parsed.departments {
        let known = by_name
            .get(&dept.name)
            .or_else(|| by_alias.get(&dept.name))
            .copied();
        let id = match known {
            Some(id) => id,
            None => {
                let id: i32 = diesel::insert_into(departments::table)
                    .values((
                        departments::name.eq(&dept.name),
                        departments::email.eq(""),
                        departments::created_at.eq(now),
                    ))
                    .returning(departments::id)
                    .get_result(conn)?;
                by_name.insert(dept.name.clone(), id);
                created += 1;
                id
            }
        };
        // Other forms the text uses become aliases, unless they already name something.
        for alias in &dept.aliases {
            if by_name.contains_key(alias) || by_alias.contains_key(alias) {
                continue;
            }
            diesel::insert_into(department_aliases::table)
                .values((
                    department_aliases::department_id.eq(id),
                    department_aliases::alias.eq(alias),
                ))
                .execute(conn)?;
            by_alias.insert(alias.clone(), id);
        }
        ids.push(id);
    }
    Ok((ids, created))
}

/// Deletes a document and everything that hangs on it (not its departments, which other
/// documents may share).
fn delete(conn: &mut DbConn, id: i32) -> QueryResult<()> {
    let measure_ids = measures::table
        .filter(measures::document_id.eq(id))
        .select(measures::id);
    diesel::delete(import_warnings::table.filter(import_warnings::document_id.eq(id)))
        .execute(conn)?;
    diesel::delete(assignments::table.filter(assignments::measure_id.eq_any(measure_ids)))
        .execute(conn)?;
    diesel::delete(measures::table.filter(measures::document_id.eq(id))).execute(conn)?;
    diesel::delete(sections::table.filter(sections::document_id.eq(id))).execute(conn)?;
    diesel::delete(documents::table.find(id)).execute(conn)?;
    Ok(())
}

/// The id of the stored document with this number (文号), if any.
pub fn find_by_number(conn: &mut DbConn, number: &str) -> QueryResult<Option<i32>> {
    documents::table
        .filter(documents::number.eq(number))
        .select(documents::id)
        .first(conn)
        .optional()
}
