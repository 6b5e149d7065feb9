//! The audit log (操作日志): append-only, one row per state change — who, when, what.
//! Nothing in this module updates or deletes a row.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::schema::audit_log;
use super::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    pub id: i32,
    pub at: NaiveDateTime,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<i32>,
    pub summary: String,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = audit_log)]
pub struct NewAuditEntry<'a> {
    pub at: NaiveDateTime,
    pub actor: &'a str,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: Option<i32>,
    pub summary: &'a str,
}

/// What an entry says beyond its action, kept as a catalog key (`admin.audit.details.<key>`)
/// with its values, so the log reads in each reader's language: values are filled in as
/// written (names, numbers, dates, comments), words (`word`) are catalog keys looked up when
/// the entry is read. Stored in `summary` as JSON; `read::audit::details_text` reads it back,
/// and shows any other text (older entries) as it is.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Details {
    #[serde(rename = "k")]
    pub key: String,
    #[serde(rename = "a", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, String>,
    #[serde(rename = "w", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub words: BTreeMap<String, String>,
}

impl Details {
    pub fn new(key: &str) -> Self {
        Details {
            key: key.to_string(),
            ..Details::default()
        }
    }

    /// A value shown as written.
    pub fn arg(mut self, name: &str, value: impl std::fmt::Display) -> Self {
        self.args.insert(name.to_string(), value.to_string());
        self
    }

    /// A word shown in the reader's language: the catalog key of its text.
    pub fn word(mut self, name: &str, catalog_key: impl Into<String>) -> Self {
        self.words.insert(name.to_string(), catalog_key.into());
        self
    }
}

impl std::fmt::Display for Details {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&serde_json::to_string(self).map_err(|_| std::fmt::Error)?)
    }
}

/// Appends one entry; call it inside the transaction that makes the change.
pub fn record(conn: &mut DbConn, entry: NewAuditEntry<'_>) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values(&entry)
        .execute(conn)
        .map(|_| ())
}

/// Entries about one entity, oldest first.
pub fn for_entity(conn: &mut DbConn, entity: &str, entity_id: i32) -> QueryResult<Vec<AuditEntry>> {
    audit_log::table
        .filter(audit_log::entity.eq(entity))
        .filter(audit_log::entity_id.eq(entity_id))
        .order(audit_log::id)
        .select(AuditEntry::as_select())
        .load(conn)
}

/// What the audit page filters by; every part optional.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub entity: Option<String>,
    /// UTC, inclusive.
    pub from: Option<NaiveDateTime>,
    /// UTC, exclusive.
    pub until: Option<NaiveDateTime>,
    pub limit: i64,
}

/// Entries matching the filter, newest first.
pub fn search(conn: &mut DbConn, filter: &AuditFilter) -> QueryResult<Vec<AuditEntry>> {
    let mut query = audit_log::table
        .select(AuditEntry::as_select())
        .order(audit_log::id.desc())
        .limit(filter.limit)
        .into_boxed();
    if let Some(actor) = &filter.actor {
        query = query.filter(audit_log::actor.eq(actor.clone()));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_log::action.eq(action.clone()));
    }
    if let Some(entity) = &filter.entity {
        query = query.filter(audit_log::entity.eq(entity.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_log::at.ge(from));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_log::at.lt(until));
    }
    query.load(conn)
}

/// The newest audit entry's id: it moves with every change, so it tells whether anything
/// derived from the data (a cached scorecard) is still current.
pub fn latest_id(conn: &mut DbConn) -> QueryResult<i32> {
    Ok(audit_log::table
        .select(diesel::dsl::max(audit_log::id))
        .first::<Option<i32>>(conn)?
        .unwrap_or(0))
}
