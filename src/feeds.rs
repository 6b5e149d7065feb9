//! Calendar feeds (日历订阅) of due dates: a unit's (set up by the office) or a person's own
//! (a liaison's unit, a leader's overseen units, the office's every unit), at a secret URL
//! shown once. Creating and revoking are audited; fetching is read-only but for a
//! last-fetched time kept at most hourly.

use chrono::{NaiveDate, NaiveDateTime};

use crate::authz::CurrentUser;
use crate::db::audit::{self, Details, NewAuditEntry};
use crate::db::feeds::{self, Owner};
use crate::db::DbConn;
use crate::domain::accounts::Role;
use crate::domain::feeds::{ics, FeedEvent};
use crate::domain::reporting::ObligationState;
use crate::i18n::tr;
use crate::reporting::ReportingError;

/// A feed carries due dates from this many days back …
const DAYS_BACK: i64 = 60;
/// … to this many ahead, at most this many.
const DAYS_AHEAD: i64 = 400;
const MOST: i64 = 2000;

fn forbidden() -> ReportingError {
    ReportingError::Forbidden(tr("web.feeds.forbidden", &[]))
}

/// Who may set up or revoke a feed: the office any; a person their own.
fn may_manage(user: &CurrentUser, owner: Owner) -> bool {
    user.is_admin() || owner == Owner::User(user.id)
}

fn owner_words(conn: &mut DbConn, owner: Owner) -> Result<String, ReportingError> {
    Ok(match owner {
        Owner::Department(d) => {
            crate::db::departments::find(conn, d)?
                .ok_or_else(|| ReportingError::NotFound(tr("web.feeds.not_found", &[])))?
                .name
        }
        Owner::User(u) => {
            crate::db::users::find(conn, u)?
                .ok_or_else(|| ReportingError::NotFound(tr("web.feeds.not_found", &[])))?
                .username
        }
    })
}

/// A new feed for `owner` (the one before stops working). Returns the secret token, which
/// is kept only as its digest.
pub fn create(
    conn: &mut DbConn,
    user: &CurrentUser,
    owner: Owner,
    now: NaiveDateTime,
) -> Result<String, ReportingError> {
    if !may_manage(user, owner) {
        return Err(forbidden());
    }
    let token = crate::security::random_hex(24);
    let digest = crate::security::sha256_hex(&token);
    crate::db::transaction(conn, |conn| {
        let whose = owner_words(conn, owner)?;
        let id = feeds::create(conn, owner, &digest, &user.username, now)?;
        audit::record(
            conn,
            NewAuditEntry {
                at: now,
                actor: &user.username,
                action: "feed.create",
                entity: "calendar_feed",
                entity_id: Some(id),
                summary: &Details::new("feed.create").arg("owner", &whose).to_string(),
            },
        )?;
        Ok::<(), ReportingError>(())
    })?;
    Ok(token)
}

/// Stops the owner's feed. Returns whether there was one.
pub fn revoke(
    conn: &mut DbConn,
    user: &CurrentUser,
    owner: Owner,
    now: NaiveDateTime,
) -> Result<bool, ReportingError> {
    if !may_manage(user, owner) {
        return Err(forbidden());
    }
    crate::db::transaction(conn, |conn| {
        let Some(feed) = feeds::active(conn, owner)? else {
            return Ok(false);
        };
        let whose = owner_words(conn, owner)?;
        feeds::revoke(conn, owner, now)?;
        audit::record(
            conn,
            NewAuditEntry {
                at: now,
                actor: &user.username,
                action: "feed.revoke",
                entity: "calendar_feed",
                entity_id: Some(feed.id),
                summary: &Details::new("feed.revoke").arg("owner", &whose).to_string(),
            },
        )?;
        Ok(true)
    })
}

/// The feed behind `token`, as iCalendar text; `None` for an unknown or revoked token, or a
/// person no longer active.
pub fn render(
    conn: &mut DbConn,
    token: &str,
    base_url: &str,
    today: NaiveDate,
    now: NaiveDateTime,
) -> Result<Option<String>, ReportingError> {
    if token.len() != 48 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let Some(feed) = feeds::find(conn, &crate::security::sha256_hex(token))? else {
        return Ok(None);
    };
    let Some(owner) = feed.owner() else {
        return Ok(None);
    };
    // Whose units: a unit's own; a person's as their role sees them.
    let (scope, name, show_unit): (Option<Vec<i32>>, String, bool) = match owner {
        Owner::Department(d) => {
            let Some(dept) = crate::db::departments::find(conn, d)? else {
                return Ok(None);
            };
            (Some(vec![d]), dept.name, false)
        }
        Owner::User(u) => {
            let Some(person) = crate::db::users::find(conn, u)?.filter(|p| p.active) else {
                return Ok(None);
            };
            match Role::parse(&person.role).ok() {
                Some(Role::Admin) => (None, person.display_name, true),
                Some(Role::Leader) => (
                    Some(crate::db::oversight::departments_of(conn, u)?),
                    person.display_name,
                    true,
                ),
                _ => (
                    Some(person.department_id.into_iter().collect()),
                    person.display_name,
                    false,
                ),
            }
        }
    };
    let calendar = crate::db::calendar::load(conn)?;
    let rows = crate::db::obligations::for_feed(
        conn,
        scope.as_deref(),
        today - chrono::Duration::days(DAYS_BACK),
        today + chrono::Duration::days(DAYS_AHEAD),
        MOST,
    )?;
    feeds::touch(conn, &feed, now)?;
    let host = base_url
        .split("://")
        .nth(1)
        .unwrap_or(base_url)
        .split('/')
        .next()
        .unwrap_or("duban");
    let events: Vec<FeedEvent> = rows
        .into_iter()
        .map(|ob| {
            let role = tr(
                if ob.role == "lead" {
                    "common.role.lead"
                } else {
                    "common.role.co"
                },
                &[],
            );
            let unit = if show_unit {
                format!("{} ", ob.department)
            } else {
                String::new()
            };
            let document = ob
                .document_number
                .as_deref()
                .map(|d| format!("{d} "))
                .unwrap_or_default();
            let standing = ObligationState::parse(&ob.state)
                .standing(ob.due_on, ob.handed_in_on, today)
                .text();
            let mut description = vec![
                format!("{}：{}", tr("web.feeds.period", &[]), ob.period_label),
                format!("{}：{}", tr("web.feeds.standing", &[]), standing),
            ];
            if let Some(before) = ob.original_due_on {
                description.push(tr("web.feeds.extended", &[("date", &before.to_string())]));
            }
            if !calendar.has_year(chrono::Datelike::year(&ob.due_on)) {
                description.push(tr("common.weekends_only", &[]));
            }
            FeedEvent {
                uid: format!("obligation-{}@{host}", ob.id),
                due_on: ob.due_on,
                summary: tr(
                    "web.feeds.summary",
                    &[
                        ("unit", &unit),
                        ("document", &document),
                        ("label", &ob.measure_label),
                        ("title", &ob.measure_title),
                        ("role", &role),
                    ],
                ),
                description: description.join("\n"),
                url: format!("{base_url}/obligations/{}", ob.id),
            }
        })
        .collect();
    let title = tr("web.feeds.name", &[("name", &name)]);
    Ok(Some(ics(
        &title,
        &events,
        now.and_utc(),
        &tr("web.feeds.reminder", &[]),
    )))
}
