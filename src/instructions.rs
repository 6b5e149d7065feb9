//! 批示: a leader leaves an instruction on a unit's obligation or on a measure (all its
//! units). It is stored, audited, shown to the units concerned and the office, and sent to each
//! unit through its channels (email to its addresses, its group robot, SMS) — all in one
//! transaction.

use chrono::NaiveDateTime;

use crate::authz::{require, Action, CurrentUser};
use crate::db::audit::{self, Details, NewAuditEntry};
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
            // A measure that does not exist is refused by the lookup below.
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
        let mut notice = crate::reminders::Notice {
            kind: "instruction",
            subject: &subject,
            from: &from,
            now,
            queued: 0,
        };
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
            if let Some(addresses) = directory.departments.get(unit).filter(|a| !a.is_empty()) {
                notice.email(conn, addresses, Some(*unit), &text)?;
            }
            if let Some(hook) = channels.get(unit).and_then(|c| c.webhook.as_ref()) {
                notice.robot(conn, hook, *unit, &unit_name, &text)?;
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
                let numbers = crate::domain::channels::unit_mobiles(
                    channels.get(unit).map_or("", |c| c.mobile.as_str()),
                    people.get(unit).map_or(&[], Vec::as_slice),
                );
                for m in numbers {
                    notice.sms(conn, m, *unit, &short)?;
                }
            }
        }
        let queued = notice.queued;
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
