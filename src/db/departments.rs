//! Departments (责任单位): the directory, with how many measures each leads and co-operates on.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;

use super::audit::Details;
use super::schema::{assignments, department_aliases, departments, measures};
use super::DbConn;
use crate::i18n::tr;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = departments)]
pub struct Department {
    pub id: i32,
    pub name: String,
    pub email: String,
    /// The department head's address (单位负责人), copied on escalations.
    pub head_email: String,
    /// Its group robot's platform (`wecom`, `dingtalk`, `feishu`, `generic`), empty: none.
    /// None of the channels is serialised with a unit: pages and the API show them to the
    /// office explicitly (`ApiChannels`, the unit's admin page).
    #[serde(skip)]
    pub webhook_kind: String,
    /// The robot's address holds its token and is never shown whole (`mask_url`).
    #[serde(skip)]
    pub webhook_url: String,
    /// The signing secret: never shown again after saving.
    #[serde(skip)]
    pub webhook_secret: String,
    /// Mobile numbers for SMS, comma-separated.
    #[serde(skip)]
    pub mobile: String,
}

/// A unit's chasing channels beyond email, as saved (checked by `domain::channels`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Channels {
    pub webhook: Option<crate::domain::channels::Webhook>,
    pub mobile: String,
}

/// A unit's channels with a patch laid over them, checked as a whole (a new platform with
/// the old address is checked too). Absent fields keep what is saved.
pub fn patched_channels(
    before: &Department,
    kind: Option<&str>,
    url: Option<&str>,
    secret: Option<&str>,
    mobile: Option<&str>,
) -> Result<Channels, crate::domain::channels::ChannelError> {
    use crate::domain::channels::{parse_mobiles, parse_webhook};
    let kind = kind.unwrap_or(&before.webhook_kind);
    // Removing the robot takes its address and secret with it.
    let none = kind.trim().is_empty() || kind.trim() == "none";
    let url = if none {
        ""
    } else {
        url.unwrap_or(&before.webhook_url)
    };
    let secret = if none {
        ""
    } else {
        secret.unwrap_or(&before.webhook_secret)
    };
    Ok(Channels {
        webhook: parse_webhook(kind, url, secret)?,
        mobile: parse_mobiles(mobile.unwrap_or(&before.mobile))?,
    })
}

impl Department {
    pub fn channels(&self) -> Channels {
        Channels {
            webhook: crate::domain::channels::WebhookKind::parse(&self.webhook_kind).map(|kind| {
                crate::domain::channels::Webhook {
                    kind,
                    url: self.webhook_url.clone(),
                    secret: self.webhook_secret.clone(),
                }
            }),
            mobile: self.mobile.clone(),
        }
    }
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

/// A department by its name or one of its aliases.
/// The channels of these units that have a robot or mobile numbers, in one query.
pub fn channels_of(
    conn: &mut DbConn,
    ids: &[i32],
) -> QueryResult<std::collections::HashMap<i32, Channels>> {
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<Department> = departments::table
            .filter(departments::id.eq_any(chunk.to_vec()))
            .filter(
                departments::webhook_kind
                    .ne("")
                    .or(departments::mobile.ne("")),
            )
            .select(Department::as_select())
            .load(conn)?;
        for d in rows {
            out.insert(d.id, d.channels());
        }
    }
    Ok(out)
}

pub fn find_by_name_or_alias(conn: &mut DbConn, name: &str) -> QueryResult<Option<Department>> {
    match owner_of(conn, name)? {
        Some(id) => find(conn, id),
        None => Ok(None),
    }
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

/// Who makes a change and when: every state change is recorded with both.
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    pub actor: &'a str,
    pub at: chrono::NaiveDateTime,
}

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("{}", tr("service.departments.not_found", &[]))]
    NotFound,
    #[error("{}", tr("service.departments.name_taken", &[("name", .0.as_str())]))]
    NameTaken(String),
    #[error("{}", tr("service.departments.merge_into_itself", &[]))]
    MergeIntoItself,
    /// Why the merge cannot be done, already in the request's language.
    #[error("{}", tr("service.departments.cannot_merge", &[("reason", .0.as_str())]))]
    BothReported(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// What an edit sets; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct DepartmentEdit {
    pub name: Option<String>,
    pub email: Option<String>,
    pub head_email: Option<String>,
    pub aliases: Option<Vec<String>>,
    /// The whole new set of channels (already checked), or none to leave them.
    pub channels: Option<Channels>,
}

/// Which department, if any, a name or alias already stands for.
fn owner_of(conn: &mut DbConn, name: &str) -> QueryResult<Option<i32>> {
    let by_name: Option<i32> = departments::table
        .filter(departments::name.eq(name))
        .select(departments::id)
        .first(conn)
        .optional()?;
    if by_name.is_some() {
        return Ok(by_name);
    }
    department_aliases::table
        .filter(department_aliases::alias.eq(name))
        .select(department_aliases::department_id)
        .first(conn)
        .optional()
}

fn replace_aliases(conn: &mut DbConn, id: i32, aliases: &[String]) -> Result<(), EditError> {
    diesel::delete(department_aliases::table.filter(department_aliases::department_id.eq(id)))
        .execute(conn)?;
    for alias in aliases {
        if owner_of(conn, alias)?.is_some_and(|owner| owner != id) {
            return Err(EditError::NameTaken(alias.clone()));
        }
        diesel::insert_into(department_aliases::table)
            .values((
                department_aliases::department_id.eq(id),
                department_aliases::alias.eq(alias),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Renames a department, sets its email addresses and aliases, in one transaction with its
/// audit entry. A renamed department keeps its old name as an alias, so later imports that
/// use it still find the department.
pub fn edit(
    conn: &mut DbConn,
    id: i32,
    edit: &DepartmentEdit,
    change: Change<'_>,
) -> Result<Department, EditError> {
    crate::db::transaction(conn, |conn| {
        let before = find(conn, id)?.ok_or(EditError::NotFound)?;
        let old_aliases = aliases_of(conn, id)?;
        let name = edit.name.clone().unwrap_or_else(|| before.name.clone());
        let email = edit.email.clone().unwrap_or_else(|| before.email.clone());
        let head_email = edit
            .head_email
            .clone()
            .unwrap_or_else(|| before.head_email.clone());
        let mut aliases = edit.aliases.clone().unwrap_or_else(|| old_aliases.clone());
        if name != before.name {
            if owner_of(conn, &name)?.is_some_and(|owner| owner != id) {
                return Err(EditError::NameTaken(name));
            }
            if !aliases.contains(&before.name) {
                aliases.push(before.name.clone());
            }
        }
        aliases.retain(|a| *a != name);
        let channels = edit.channels.clone().unwrap_or_else(|| before.channels());
        let (kind, url, secret) = channels.webhook.as_ref().map_or(("", "", ""), |w| {
            (w.kind.as_str(), w.url.as_str(), w.secret.as_str())
        });
        diesel::update(departments::table.find(id))
            .set((
                departments::name.eq(&name),
                departments::email.eq(&email),
                departments::head_email.eq(&head_email),
                departments::webhook_kind.eq(kind),
                departments::webhook_url.eq(url),
                departments::webhook_secret.eq(secret),
                departments::mobile.eq(&channels.mobile),
            ))
            .execute(conn)?;
        replace_aliases(conn, id, &aliases)?;

        let mut parts = Vec::new();
        if name != before.name {
            parts.push(Details::change("name", &before.name, &name));
        }
        if email != before.email {
            parts.push(Details::change("email", &before.email, &email));
        }
        if head_email != before.head_email {
            parts.push(Details::change(
                "head_email",
                &before.head_email,
                &head_email,
            ));
        }
        parts.extend(channel_changes(
            &before,
            kind,
            url,
            secret,
            &channels.mobile,
        ));
        let mut sorted = aliases.clone();
        sorted.sort();
        if sorted != old_aliases {
            parts.push(Details::change(
                "aliases",
                old_aliases.join("、"),
                sorted.join("、"),
            ));
        }
        if parts.is_empty() {
            parts.push(Details::new("change.nothing"));
        }
        let summary = Details::new("department.update")
            .arg("name", &name)
            .clauses("changes", parts)
            .to_string();
        super::audit::record(
            conn,
            super::audit::NewAuditEntry {
                at: change.at,
                actor: change.actor,
                action: "department.update",
                entity: "department",
                entity_id: Some(id),
                summary: &summary,
            },
        )?;
        Ok(Department {
            id,
            name,
            email,
            head_email,
            webhook_kind: kind.to_string(),
            webhook_url: url.to_string(),
            webhook_secret: secret.to_string(),
            mobile: channels.mobile.clone(),
        })
    })
}

/// What changed in a unit's channels, for the audit log: the robot's platform in words, its
/// address without its token, the secret only as set, changed or removed, mobile numbers with
/// their middle digits hidden.
fn channel_changes(
    before: &Department,
    kind: &str,
    url: &str,
    secret: &str,
    mobile: &str,
) -> Vec<Details> {
    use crate::domain::channels::mask_url;
    let kind_word = |k: &str| {
        if k.is_empty() {
            "common.none".to_string()
        } else {
            format!("domain.channels.kind.{k}")
        }
    };
    let hide = |m: &str| -> String {
        m.split(',')
            .filter(|n| !n.is_empty())
            .map(|n| {
                format!(
                    "{}****{}",
                    &n[..3.min(n.len())],
                    &n[n.len().saturating_sub(4)..]
                )
            })
            .collect::<Vec<_>>()
            .join("、")
    };
    let mut parts = Vec::new();
    if kind != before.webhook_kind {
        parts.push(
            Details::new("change.webhook_kind")
                .word("from", kind_word(&before.webhook_kind))
                .word("to", kind_word(kind)),
        );
    }
    if url != before.webhook_url {
        parts.push(Details::change(
            "webhook_url",
            mask_url(&before.webhook_url),
            mask_url(url),
        ));
    }
    if secret != before.webhook_secret {
        parts.push(Details::new(
            match (before.webhook_secret.is_empty(), secret.is_empty()) {
                (true, _) => "change.secret_set",
                (false, true) => "change.secret_removed",
                (false, false) => "change.secret_changed",
            },
        ));
    }
    if mobile != before.mobile {
        parts.push(Details::change(
            "mobile",
            hide(&before.mobile),
            hide(mobile),
        ));
    }
    parts
}

/// What a merge moved.
#[derive(Debug, Clone, Serialize)]
pub struct MergeOutcome {
    pub assignments_moved: usize,
    pub assignments_combined: usize,
    pub users_moved: usize,
}

/// Merges `source` into `target` in one transaction: its assignments (where both are named
/// on one measure, the stronger role stays), its liaisons and its names move to `target`,
/// and `source` is deleted.
pub fn merge(
    conn: &mut DbConn,
    source: i32,
    target: i32,
    change: Change<'_>,
) -> Result<MergeOutcome, EditError> {
    if source == target {
        return Err(EditError::MergeIntoItself);
    }
    crate::db::transaction(conn, |conn| {
        let from = find(conn, source)?.ok_or(EditError::NotFound)?;
        let into = find(conn, target)?.ok_or(EditError::NotFound)?;
        let moving: Vec<(i32, i32, String)> = assignments::table
            .filter(assignments::department_id.eq(source))
            .select((assignments::id, assignments::measure_id, assignments::role))
            .load(conn)?;
        let measure_ids: Vec<i32> = moving.iter().map(|m| m.1).collect();
        let existing: HashMap<i32, (i32, String)> = assignments::table
            .filter(assignments::department_id.eq(target))
            .filter(assignments::measure_id.eq_any(&measure_ids))
            .select((assignments::measure_id, assignments::id, assignments::role))
            .load::<(i32, i32, String)>(conn)?
            .into_iter()
            .map(|(m, id, role)| (m, (id, role)))
            .collect();
        let mut outcome = MergeOutcome {
            assignments_moved: 0,
            assignments_combined: 0,
            users_moved: 0,
        };
        for (id, measure_id, role) in &moving {
            match existing.get(measure_id) {
                Some((kept, kept_role)) => {
                    if role == "lead" && kept_role != "lead" {
                        diesel::update(assignments::table.find(kept))
                            .set(assignments::role.eq("lead"))
                            .execute(conn)?;
                    }
                    diesel::delete(assignments::table.find(id)).execute(conn)?;
                    outcome.assignments_combined += 1;
                }
                None => {
                    diesel::update(assignments::table.find(id))
                        .set(assignments::department_id.eq(target))
                        .execute(conn)?;
                    outcome.assignments_moved += 1;
                }
            }
        }
        move_obligations(conn, source, target)?;
        move_receipts(conn, source, target)?;
        // The chase log stays with the work it chased.
        diesel::update(
            super::schema::chase_log::table
                .filter(super::schema::chase_log::department_id.eq(source)),
        )
        .set(super::schema::chase_log::department_id.eq(target))
        .execute(conn)?;
        outcome.users_moved = diesel::update(
            super::schema::users::table.filter(super::schema::users::department_id.eq(source)),
        )
        .set(super::schema::users::department_id.eq(target))
        .execute(conn)?;
        diesel::update(
            department_aliases::table.filter(department_aliases::department_id.eq(source)),
        )
        .set(department_aliases::department_id.eq(target))
        .execute(conn)?;
        // Leaders who oversaw the merged unit oversee the one it became.
        super::oversight::move_links(conn, source, target)?;
        diesel::delete(departments::table.find(source)).execute(conn)?;
        // Roles and due dates follow the combined assignments.
        let documents: Vec<i32> = assignments::table
            .inner_join(measures::table)
            .filter(assignments::department_id.eq(target))
            .select(measures::document_id)
            .distinct()
            .load(conn)?;
        for document_id in documents {
            super::schedules::sync_obligations(conn, document_id)?;
        }
        diesel::insert_into(department_aliases::table)
            .values((
                department_aliases::department_id.eq(target),
                department_aliases::alias.eq(&from.name),
            ))
            .execute(conn)?;
        let summary = Details::new("department.merge")
            .arg("from", &from.name)
            .arg("into", &into.name)
            .arg("moved", outcome.assignments_moved)
            .arg("combined", outcome.assignments_combined)
            .arg("users", outcome.users_moved)
            .to_string();
        super::audit::record(
            conn,
            super::audit::NewAuditEntry {
                at: change.at,
                actor: change.actor,
                action: "department.merge",
                entity: "department",
                entity_id: Some(target),
                summary: &summary,
            },
        )?;
        Ok(outcome)
    })
}

/// Moves a department's obligations to another. Where both have one for the same measure
/// and period, the one with reports stays; if both have reports, the merge is refused.
fn move_obligations(conn: &mut DbConn, source: i32, target: i32) -> Result<(), EditError> {
    use super::schema::{obligations, reports};
    let with_reports: Vec<i32> = reports::table
        .inner_join(obligations::table)
        .filter(obligations::department_id.eq_any([source, target]))
        .select(obligations::id)
        .distinct()
        .load(conn)?;
    let theirs: HashMap<(i32, String), i32> = obligations::table
        .filter(obligations::department_id.eq(target))
        .select((
            obligations::measure_id,
            obligations::period_key,
            obligations::id,
        ))
        .load::<(i32, String, i32)>(conn)?
        .into_iter()
        .map(|(m, p, id)| ((m, p), id))
        .collect();
    let ours: Vec<(i32, i32, String)> = obligations::table
        .filter(obligations::department_id.eq(source))
        .select((
            obligations::id,
            obligations::measure_id,
            obligations::period_key,
        ))
        .load(conn)?;
    for (id, measure, period) in ours {
        if let Some(&other) = theirs.get(&(measure, period.clone())) {
            match (with_reports.contains(&id), with_reports.contains(&other)) {
                (true, true) => {
                    return Err(EditError::BothReported(tr(
                        "service.departments.both_reported",
                        &[("period", &period)],
                    )))
                }
                (false, _) => {
                    diesel::delete(obligations::table.find(id)).execute(conn)?;
                    continue;
                }
                (true, false) => {
                    diesel::delete(obligations::table.find(other)).execute(conn)?;
                }
            }
        }
        diesel::update(obligations::table.find(id))
            .set(obligations::department_id.eq(target))
            .execute(conn)?;
    }
    Ok(())
}

/// Moves receipts, keeping the target's where both have one for a document.
fn move_receipts(conn: &mut DbConn, source: i32, target: i32) -> QueryResult<()> {
    use super::schema::receipts;
    let theirs: Vec<i32> = receipts::table
        .filter(receipts::department_id.eq(target))
        .select(receipts::document_id)
        .load(conn)?;
    diesel::delete(
        receipts::table
            .filter(receipts::department_id.eq(source))
            .filter(receipts::document_id.eq_any(&theirs)),
    )
    .execute(conn)?;
    diesel::update(receipts::table.filter(receipts::department_id.eq(source)))
        .set(receipts::department_id.eq(target))
        .execute(conn)?;
    Ok(())
}

/// Every department name and alias, for telling new units from known ones: two queries.
pub fn known_names(conn: &mut DbConn) -> QueryResult<std::collections::HashSet<String>> {
    let mut names: std::collections::HashSet<String> = departments::table
        .select(departments::name)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    names.extend(
        department_aliases::table
            .select(department_aliases::alias)
            .load::<String>(conn)?,
    );
    Ok(names)
}

/// A new unit named while editing a measure; returns its id.
pub fn create(conn: &mut DbConn, name: &str, now: chrono::NaiveDateTime) -> QueryResult<i32> {
    diesel::insert_into(departments::table)
        .values((
            departments::name.eq(name),
            departments::email.eq(""),
            departments::created_at.eq(now),
        ))
        .returning(departments::id)
        .get_result(conn)
}

/// Every unit's name, in order: what a form offers to pick from.
pub fn names(conn: &mut DbConn) -> QueryResult<Vec<String>> {
    departments::table
        .select(departments::name)
        .order(departments::name)
        .load(conn)
}

/// Units by id and name, in name order: every unit, or those with work on one document.
pub fn id_names(conn: &mut DbConn, document_id: Option<i32>) -> QueryResult<Vec<(i32, String)>> {
    match document_id {
        Some(doc) => departments::table
            .filter(
                departments::id.eq_any(
                    assignments::table
                        .inner_join(super::schema::measures::table)
                        .filter(super::schema::measures::document_id.eq(doc))
                        .select(assignments::department_id),
                ),
            )
            .order(departments::name)
            .select((departments::id, departments::name))
            .load(conn),
        None => departments::table
            .order(departments::name)
            .select((departments::id, departments::name))
            .load(conn),
    }
}

/// Units nobody can be written to: no address of their own and no active liaison with one.
/// The units no reminder can reach, by name: no email of their own or of an active person,
/// no group robot, and — when an SMS gateway is configured (`sms_on`) — no mobile number of
/// their own or of an active person.
pub fn unreachable(conn: &mut DbConn, sms_on: bool) -> QueryResult<Vec<String>> {
    use super::schema::users;
    let mut q = departments::table
        .filter(departments::email.eq(""))
        .filter(departments::webhook_kind.eq(""))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            users::table
                .filter(users::department_id.eq(departments::id.nullable()))
                .filter(users::active.eq(true))
                .filter(users::email.ne("")),
        )))
        .select(departments::name)
        .order(departments::name)
        .into_boxed();
    if sms_on {
        q = q
            .filter(departments::mobile.eq(""))
            .filter(diesel::dsl::not(diesel::dsl::exists(
                users::table
                    .filter(users::department_id.eq(departments::id.nullable()))
                    .filter(users::active.eq(true))
                    .filter(users::mobile.ne("")),
            )));
    }
    q.load(conn)
}
