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
/// the entry is read, and lists (`list`, `clauses`) are records of their own, read the same
/// way and joined. Stored in `summary` as JSON; `read::audit::details_text` reads it back,
/// and shows any other text (older entries) as it is.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Details {
    #[serde(rename = "k")]
    pub key: String,
    #[serde(rename = "a", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, String>,
    #[serde(rename = "w", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub words: BTreeMap<String, String>,
    /// Enumerations (单位负责人、督查室), joined by `admin.list_sep`.
    #[serde(rename = "l", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub lists: BTreeMap<String, Vec<Details>>,
    /// Parts of a sentence (角色 … → …；单位 … → …), joined by
    /// `admin.audit.details.clause_sep`.
    #[serde(rename = "c", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub clauses: BTreeMap<String, Vec<Details>>,
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

    /// A value that may be missing: shown as written, or as the word for none (无) when it
    /// is missing or empty.
    pub fn arg_or_none(self, name: &str, value: Option<impl std::fmt::Display>) -> Self {
        match value.map(|v| v.to_string()).filter(|v| !v.is_empty()) {
            Some(v) => self.arg(name, v),
            None => self.word(name, "common.none"),
        }
    }

    /// Yes or no, in the reader's language.
    pub fn yes_no(self, name: &str, yes: bool) -> Self {
        let word = if yes { "yes" } else { "no" };
        self.word(name, format!("admin.audit.words.{word}"))
    }

    /// A record that is only a word, for a list of words.
    pub fn of_word(catalog_key: &str) -> Self {
        Details::new("word").word("word", catalog_key)
    }

    /// An enumeration of records (none reads as 无).
    pub fn list(mut self, name: &str, items: impl IntoIterator<Item = Details>) -> Self {
        self.lists
            .insert(name.to_string(), items.into_iter().collect());
        self
    }

    /// Parts of a sentence, each a record (none reads as 无).
    pub fn clauses(mut self, name: &str, items: impl IntoIterator<Item = Details>) -> Self {
        self.clauses
            .insert(name.to_string(), items.into_iter().collect());
        self
    }

    /// A change of one thing from `before` to `after`, both values as written (missing or
    /// empty ones read as 无): a clause of `change.<what>`.
    pub fn change(
        what: &str,
        before: impl std::fmt::Display,
        after: impl std::fmt::Display,
    ) -> Self {
        Details::new(&format!("change.{what}"))
            .arg_or_none("before", Some(before))
            .arg_or_none("after", Some(after))
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
