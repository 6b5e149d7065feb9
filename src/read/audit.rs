//! The audit log (操作日志) as people read it: who by display name, what in the reader's
//! language, and a link to the object an entry names.

use serde::Serialize;

use crate::db::audit::{AuditEntry, Details};
use crate::db::DbConn;
use crate::error::AppError;
use crate::i18n::{current, text, tr, Catalog};
use crate::read::names::Names;

/// The actions the log records, for the filter (catalog `admin.audit.actions.<action>`).
pub const ACTIONS: &[&str] = &[
    "user.login",
    "user.logout",
    "user.login_failed",
    "user.locked",
    "user.create",
    "user.update",
    "user.disable",
    "user.password",
    "user.language",
    "user.oversight",
    "user.mobile",
    "token.create",
    "token.revoke",
    "session.key",
    "document.import",
    "document.replace",
    "document.dispatch",
    "document.acknowledge",
    "demo.generate",
    "department.update",
    "department.merge",
    "measure.edit",
    "measure.deadline",
    "schedule.update",
    "report.draft",
    "report.submit",
    "report.accept",
    "report.return",
    "report.withdraw",
    "extension.request",
    "extension.approve",
    "extension.reject",
    "ledger.bulk_accept",
    "ledger.bulk_chase",
    "ledger.bulk_phone",
    "outbox.resend",
    "reminders.policy",
    "reminders.queue",
    "reminders.chase_now",
    "calendar.save",
    "feed.create",
    "instruction.create",
    "circular.create",
    "circular.send",
    "feed.revoke",
    "canned.add",
    "canned.remove",
    "closure.request",
    "closure.approve",
    "closure.refuse",
];

/// The kinds of object entries name, for the filter (catalog `admin.audit.entities.<kind>`).
pub const ENTITIES: &[&str] = &[
    "document",
    "measure",
    "obligation",
    "report",
    "extension",
    "closure",
    "department",
    "user",
    "token",
    "outbox",
    "reminder_policy",
    "calendar",
    "calendar_feed",
    "circular",
    "canned_comment",
    "session",
];

/// One entry as the page and the CSV show it.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRow {
    pub at: chrono::NaiveDateTime,
    /// The actor's display name (as recorded where no user has that name).
    pub actor: String,
    pub action: String,
    /// The object, such as 报告 #3182 (empty when the entry names none).
    pub object: String,
    /// Its page, where it has one.
    pub link: Option<String>,
    pub summary: String,
}

/// An action in the reader's language; one the catalog does not know is named as other.
pub fn action_label(action: &str) -> String {
    if ACTIONS.contains(&action) {
        text(&format!("admin.audit.actions.{action}")).to_string()
    } else {
        tr("admin.audit.other_action", &[])
    }
}

pub fn entity_label(entity: &str) -> String {
    if ENTITIES.contains(&entity) {
        text(&format!("admin.audit.entities.{entity}")).to_string()
    } else {
        tr("admin.audit.other_entity", &[])
    }
}

/// Where an object's page is: directly, or (reports, extensions, closing requests) through
/// the log's own redirect, which finds the obligation or measure they belong to.
pub fn link_of(entity: &str, id: i32) -> Option<String> {
    Some(match entity {
        "document" => format!("/documents/{id}"),
        "measure" => format!("/measures/{id}"),
        "obligation" => format!("/obligations/{id}"),
        "department" => format!("/departments/{id}"),
        "user" => format!("/admin/users/{id}"),
        "token" => "/admin/tokens".to_string(),
        "outbox" => "/admin/outbox".to_string(),
        "reminder_policy" => "/admin/reminders".to_string(),
        "canned_comment" => "/admin/reviews".to_string(),
        "circular" => format!("/circulars/{id}"),
        "calendar" => format!("/admin/calendar?year={id}"),
        "report" | "extension" | "closure" => format!("/admin/audit/goto/{entity}/{id}"),
        _ => return None,
    })
}

/// An entry's details in the reader's language (see `db::audit::Details`); text that is not
/// such a record, or names a key the catalog does not have, is shown as it was written.
pub fn details_text(raw: &str) -> String {
    raw.starts_with('{')
        .then(|| serde_json::from_str::<Details>(raw).ok())
        .flatten()
        .and_then(|details| render(&details))
        .unwrap_or_else(|| raw.to_string())
}

/// A record's sentence with its values, words and lists filled in; `None` when the catalog
/// lacks its key or one of its items'.
fn render(details: &Details) -> Option<String> {
    let key = format!("admin.audit.details.{}", details.key);
    Catalog::get().text(current(), &key)?;
    let mut values: Vec<(String, String)> = details
        .args
        .iter()
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    values.extend(
        details
            .words
            .iter()
            .map(|(name, word)| (name.clone(), text(word).to_string())),
    );
    for (lists, sep) in [
        (&details.lists, "admin.list_sep"),
        (&details.clauses, "admin.audit.details.clause_sep"),
    ] {
        for (name, items) in lists {
            let parts = items.iter().map(render).collect::<Option<Vec<_>>>()?;
            let joined = if parts.is_empty() {
                text("common.none").to_string()
            } else {
                parts.join(text(sep))
            };
            values.push((name.clone(), joined));
        }
    }
    let args: Vec<(&str, &str)> = values
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    Some(tr(&key, &args))
}

/// The rows of these entries: one query for the actors' names.
pub fn rows(conn: &mut DbConn, entries: Vec<AuditEntry>) -> Result<Vec<AuditRow>, AppError> {
    let names = Names::load(conn, entries.iter().map(|e| e.actor.as_str()))?;
    Ok(entries
        .into_iter()
        .map(|e| {
            let object = match (e.entity.as_str(), e.entity_id) {
                ("", _) => String::new(),
                (kind, Some(id)) => format!("{} #{id}", entity_label(kind)),
                (kind, None) => entity_label(kind),
            };
            AuditRow {
                at: e.at,
                actor: names.of(&e.actor),
                action: action_label(&e.action),
                link: e.entity_id.and_then(|id| link_of(&e.entity, id)),
                object,
                summary: details_text(&e.summary),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_action_and_object_has_words_in_both_languages() {
        use crate::i18n::{with_lang, Lang};
        for lang in [Lang::Zh, Lang::En] {
            with_lang(lang, || {
                for a in ACTIONS {
                    let label = action_label(a);
                    assert!(!label.is_empty() && !label.contains('.'), "{a}: {label:?}");
                }
                for e in ENTITIES {
                    assert!(!entity_label(e).is_empty(), "{e}");
                }
            });
        }
        with_lang(Lang::Zh, || {
            assert_eq!(action_label("user.login"), "登录");
            assert_eq!(action_label("made.up"), "其他操作");
        });
    }

    #[test]
    fn details_read_in_the_readers_language_and_other_text_as_written() {
        use crate::i18n::{with_lang, Lang};
        let login = Details::new("user.login_failed")
            .arg("count", 3)
            .to_string();
        assert!(login.starts_with('{'), "{login}");
        let role = Details::new("user.create")
            .arg("username", "renshe")
            .arg("department", "地区人社局")
            .word("role", "common.role.liaison")
            .to_string();
        with_lang(Lang::Zh, || {
            assert_eq!(details_text(&login), "连续第 3 次密码错误");
            let text = details_text(&role);
            assert!(text.contains("renshe") && text.contains("联络员"), "{text}");
            assert!(text.contains("地区人社局"), "{text}");
            // Older entries, and keys the catalog does not know, are shown as written.
            assert_eq!(details_text("signed in"), "signed in");
            let unknown = r#"{"k":"made.up"}"#;
            assert_eq!(details_text(unknown), unknown);
        });
        with_lang(Lang::En, || {
            assert_eq!(details_text(&login), "wrong password, 3 in a row");
            assert!(details_text(&role).contains("Liaison"));
        });
    }

    #[test]
    fn words_lists_and_clauses_read_in_the_readers_language() {
        use crate::i18n::{with_lang, Lang};
        let update = Details::new("user.update")
            .arg("username", "renshe")
            .clauses(
                "changes",
                [
                    Details::new("change.role")
                        .word("before", "common.role.liaison")
                        .word("after", "common.role.leader"),
                    Details::change("email", "", "hr@example.cn"),
                ],
            )
            .to_string();
        let rung = Details::new("reminders.rung").arg("days", 7).list(
            "copy",
            [
                Details::of_word("admin.reminders.copy_leaders"),
                Details::of_word("admin.reminders.copy_office"),
            ],
        );
        let nobody = Details::new("reminders.rung")
            .arg("days", 3)
            .list("copy", [])
            .to_string();
        let broken = Details::new("reminders.rung")
            .list("copy", [Details::new("made.up")])
            .to_string();
        with_lang(Lang::Zh, || {
            assert_eq!(
                details_text(&update),
                "账号 renshe：角色 联络员 → 领导；邮箱 无 → hr@example.cn"
            );
            assert_eq!(
                details_text(&rung.to_string()),
                "逾期 7 天抄送分管领导、督查室"
            );
            assert_eq!(details_text(&nobody), "逾期 3 天抄送无");
            // An item the catalog does not know: the whole entry as written.
            assert_eq!(details_text(&broken), broken);
        });
        with_lang(Lang::En, || {
            assert_eq!(
                details_text(&update),
                "renshe: role Liaison → Leader; email None → hr@example.cn"
            );
            assert_eq!(
                details_text(&rung.to_string()),
                "7 days overdue, copy Leaders in charge, The office"
            );
        });
    }

    #[test]
    fn every_details_key_written_in_the_code_has_words_in_both_languages() {
        use crate::i18n::Lang;
        let catalog = Catalog::get();
        let mut keys: Vec<String> = ACTIONS
            .iter()
            .filter(|a| **a != "session.key")
            .map(|a| a.to_string())
            .collect();
        // Literal keys: those given to `Details::new` and `Details::change` as a string.
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut dirs = vec![std::path::PathBuf::from(src)];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                let code = std::fs::read_to_string(&path).unwrap();
                for (call, prefix) in [("Details::new(\"", ""), ("Details::change(\"", "change.")] {
                    for part in code.split(call).skip(1) {
                        let key = part.split('"').next().unwrap();
                        keys.push(format!("{prefix}{key}"));
                    }
                }
            }
        }
        keys.retain(|k| k != "made.up");
        assert!(keys.len() > 60, "{keys:?}");
        for key in keys {
            for lang in [Lang::Zh, Lang::En] {
                let full = format!("admin.audit.details.{key}");
                assert!(catalog.text(lang, &full).is_some(), "{full} ({lang:?})");
            }
        }
    }

    #[test]
    fn objects_link_to_their_pages() {
        assert_eq!(link_of("measure", 5).as_deref(), Some("/measures/5"));
        assert_eq!(
            link_of("report", 3182).as_deref(),
            Some("/admin/audit/goto/report/3182")
        );
        assert_eq!(link_of("session", 1), None);
    }
}
