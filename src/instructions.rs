//! 批示: a leader leaves an instruction on a unit's obligation or on a measure (all its
//! units). It is stored, audited, shown to the units concerned and the office, and sent to each
//! unit through its channels (email to its addresses, its group robot, SMS) — all in one
//! transaction.

use chrono::NaiveDateTime;

use crate::authz::{require, Action, CurrentUser};
use crate::db::audit::{self, Details, NewAuditEntry};
use crate::db::outbox::{self, NewMessage};
use crate::db::DbConn;
use crate::error::AppError;
use crate::i18n::tr;

/// What a 批示 is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Obligation(i32),
    Measure(i32),
}

/// The text as typed, trimmed: 1 to 2000 characters.
pub fn checked_body(body: &str) -> Result<String, AppError> {
    let body = body.trim();
    if body.is_empty() {
        return Err(AppError::Invalid {
            field: "body",
            message: tr("service.instruction.empty", &[]),
        });
    }
    if body.chars().count() > 2000 {
        return Err(AppError::Invalid {
            field: "body",
            message: tr("service.instruction.too_long", &[]),
        });
    }
    Ok(body.to_string())
}

/// Records a 批示 and queues it to the units concerned. Returns its id.
pub fn leave(
    conn: &mut DbConn,
    user: &CurrentUser,
    target: Target,
    body: &str,
    settings: &crate::config::Settings,
    now: NaiveDateTime,
) -> Result<i32, AppError> {
    require(user, Action::Instruct)?;
    let body = checked_body(body)?;
    let (measure_id, obligation, units, link) = match target {
        Target::Obligation(id) => {
            let ob = crate::db::obligations::find(conn, id)?
                .ok_or_else(|| AppError::not_found("obligation"))?;
            (
                ob.measure_id,
                Some(ob.clone()),
                vec![ob.department_id],
                format!("{}/obligations/{id}", settings.base_url),
            )
        }
        Target::Measure(id) => {
            let units = crate::db::measures::assignments_of_measure(conn, id)?
                .into_iter()
                .map(|a| a.department_id)
                .collect::<Vec<_>>();
            if crate::db::measures::find(conn, id)?.is_none() {
                return Err(AppError::not_found("measure"));
            }
            (
                id,
                None,
                units,
                format!("{}/measures/{id}", settings.base_url),
            )
        }
    };
    let measure = crate::db::measures::find(conn, measure_id)?
        .ok_or_else(|| AppError::not_found("measure"))?;
    let what = match &obligation {
        Some(ob) => tr(
            "service.instruction.on_obligation",
            &[
                ("label", &measure.label),
                ("title", &measure.title),
                ("period", &ob.period_label),
            ],
        ),
        None => tr(
            "service.instruction.on_measure",
            &[("label", &measure.label), ("title", &measure.title)],
        ),
    };
    let (directory, names) = crate::db::chase::directory(conn, &[])?;
    let channels = crate::db::departments::channels_of(conn, &units)?;
    let people = crate::db::users::mobiles_of(conn, &units)?;
    let from = settings.mail.from.clone();
    let sms_on = settings.sms.is_some();
    crate::db::transaction(conn, |conn| -> Result<i32, AppError> {
        let id = crate::db::instructions::insert(
            conn,
            measure_id,
            obligation.as_ref().map(|o| o.id),
            &body,
            &user.username,
            &user.display_name,
            now,
        )?;
        let subject = tr(
            "service.instruction.subject",
            &[("leader", &user.display_name), ("what", &what)],
        );
        let mut queued = 0usize;
        for unit in &units {
            let unit_name = names.get(unit).cloned().unwrap_or_default();
            let text = tr(
                "service.instruction.message",
                &[
                    ("unit", &unit_name),
                    ("leader", &user.display_name),
                    ("what", &what),
                    ("body", &body),
                    ("link", &link),
                ],
            );
            let mut queue =
                |channel: &'static str, to: &str, text: &str, html: &str, payload: &str| {
                    outbox::insert(
                        conn,
                        &NewMessage {
                            kind: "instruction",
                            to_addrs: to,
                            cc_addrs: "",
                            subject: &subject,
                            body_text: text,
                            body_html: html,
                            message_id: &crate::mail::new_message_id(&from),
                            item_count: 1,
                            state: "queued",
                            next_attempt_at: now,
                            created_at: now,
                            channel,
                            department_id: Some(*unit),
                            payload,
                        },
                    )
                    .map(|_| queued += 1)
                };
            if let Some(addresses) = directory.departments.get(unit).filter(|a| !a.is_empty()) {
                let html = format!(
                    "<p>{}</p>",
                    handlebars::html_escape(&text).replace('\n', "<br>")
                );
                queue("email", &addresses.join(", "), &text, &html, "")?;
            }
            if let Some(hook) = channels.get(unit).and_then(|c| c.webhook.as_ref()) {
                let (markdown, payload) =
                    crate::domain::channels::notice(hook, &subject, &text, &unit_name);
                let to = crate::domain::channels::robot_label(hook);
                queue("robot", &to, &text, &markdown, &payload)?;
            }
            if sms_on {
                let short = tr(
                    "service.instruction.sms",
                    &[
                        ("unit", &unit_name),
                        ("leader", &user.display_name),
                        ("label", &measure.label),
                        ("site", &settings.base_url),
                    ],
                );
                let unit_numbers = channels.get(unit).map(|c| c.mobile.as_str()).unwrap_or("");
                let mut sent: Vec<&str> = Vec::new();
                let theirs = people.get(unit).into_iter().flatten().map(String::as_str);
                for m in unit_numbers
                    .split(',')
                    .filter(|m| !m.is_empty())
                    .chain(theirs)
                {
                    if !sent.contains(&m) {
                        sent.push(m);
                        queue("sms", m, &short, "", "")?;
                    }
                }
            }
        }
        audit::record(
            conn,
            NewAuditEntry {
                at: now,
                actor: &user.username,
                action: "instruction.create",
                entity: match target {
                    Target::Obligation(_) => "obligation",
                    Target::Measure(_) => "measure",
                },
                entity_id: Some(match target {
                    Target::Obligation(o) => o,
                    Target::Measure(m) => m,
                }),
                summary: &Details::new("instruction.create")
                    .arg("what", &what)
                    .arg("units", units.len())
                    .arg("messages", queued)
                    .to_string(),
            },
        )?;
        Ok(id)
    })
}
