//! 督办通报: the office generates a circular for a document and a window — the numbers from
//! the same facts and ranking as the scorecard, its 文号 and 下步工作要求 as typed — stores it
//! with its inputs (audited), and sends word of it: to leaders by email with the link, and to
//! each ranked unit by email and group robot with that unit's own standing only.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::authz::{require, Action, CurrentUser};
use crate::db::audit::{self, Details, NewAuditEntry};
use crate::db::circulars::{self, NewCircular};
use crate::db::DbConn;
use crate::domain::circular::{docx, summarise, Circular, RankLine, Words};
use crate::domain::scoring::Weights;
use crate::error::AppError;
use crate::i18n::tr;
use crate::read::progress::LightRules;
use crate::read::scorecard::{load, ScorecardQuery};

/// What the office types on the circular form.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CircularForm {
    #[serde(default)]
    pub issuer: String,
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub requirements: String,
}

impl CircularForm {
    /// Trimmed and checked: the issuer is needed; lengths are bounded.
    pub fn checked(&self) -> Result<CircularForm, AppError> {
        let issuer = self.issuer.trim();
        if issuer.is_empty() {
            return Err(AppError::Validation(tr(
                "service.circular.issuer_needed",
                &[],
            )));
        }
        if issuer.chars().count() > 60 || self.number.trim().chars().count() > 60 {
            return Err(AppError::Validation(tr("service.circular.too_long", &[])));
        }
        if self.requirements.chars().count() > 5000 {
            return Err(AppError::Validation(tr(
                "service.circular.requirements_too_long",
                &[],
            )));
        }
        Ok(CircularForm {
            issuer: issuer.to_string(),
            number: self.number.trim().to_string(),
            requirements: self.requirements.trim().to_string(),
        })
    }
}

fn words(summary: &crate::domain::circular::Summary, c: &CircularContext) -> Words {
    let n = |v: usize| v.to_string();
    Words {
        opening: tr(
            "service.circular.opening",
            &[
                ("title", &c.document_title),
                ("number", &c.document_number),
                ("window", &c.window_label),
            ],
        ),
        overall_heading: tr("service.circular.overall_heading", &[]),
        overall: tr(
            "service.circular.overall",
            &[
                ("window", &c.window_label),
                ("measures", &n(summary.measures)),
                ("due", &n(summary.due)),
                ("on_time", &n(summary.on_time)),
                ("late", &n(summary.late)),
                ("returned", &n(summary.returned)),
                ("overdue", &n(summary.overdue)),
            ],
        ),
        units_heading: tr("service.circular.units_heading", &[]),
        on_time: tr("service.circular.on_time", &[]),
        late: tr("service.circular.late", &[]),
        overdue: tr("service.circular.overdue", &[]),
        returned: tr("service.circular.returned", &[]),
        none: tr("service.circular.none", &[]),
        ranking_heading: tr("service.circular.ranking_heading", &[]),
        columns: [
            "rank",
            "unit",
            "score",
            "timeliness",
            "first_pass",
            "completion",
            "light",
        ]
        .map(|k| tr(&format!("service.circular.columns.{k}"), &[])),
        requirements_heading: tr("service.circular.requirements_heading", &[]),
        number_blank: tr("service.circular.number_blank", &[]),
    }
}

struct CircularContext {
    document_title: String,
    document_number: String,
    window_label: String,
}

/// Builds, stores and audits a circular. Returns its id.
#[allow(clippy::too_many_arguments)]
pub fn generate(
    conn: &mut DbConn,
    user: &CurrentUser,
    query: &ScorecardQuery,
    form: &CircularForm,
    rules: &LightRules,
    weights: &Weights,
    tz: chrono_tz::Tz,
    now: NaiveDateTime,
) -> Result<i32, AppError> {
    require(user, Action::Administer)?;
    let form = form.checked()?;
    let view = load(conn, query, rules, weights, tz)?;
    let doc_id = view.document.id;
    let local = |t: NaiveDateTime| crate::clock::local_date(t, tz);
    let window = &view.window;
    let facts: Vec<_> = crate::db::scores::facts(conn, doc_id, &local)?
        .into_iter()
        .filter(|(key, f)| match &view.period {
            Some(p) => key == p,
            None => {
                window.from.is_none_or(|from| f.due_on >= from)
                    && window.to.is_none_or(|to| f.due_on <= to)
            }
        })
        .map(|(_, f)| f)
        .collect();
    let measures: i64 = crate::db::schema::measures::table
        .filter(crate::db::schema::measures::document_id.eq(doc_id))
        .count()
        .get_result(conn)?;
    let order: Vec<(i32, String)> = view
        .rows
        .iter()
        .map(|r| (r.department_id, r.name.clone()))
        .collect();
    let (summary, lists) = summarise(measures as usize, &facts, &order, rules.today);
    if summary.due == 0 {
        return Err(AppError::Validation(tr(
            "service.circular.nothing_due",
            &[("window", &window.label)],
        )));
    }
    let document_title = view.document.title.clone().unwrap_or_default();
    let cx = CircularContext {
        document_title: document_title.clone(),
        document_number: view.document.number.clone().unwrap_or_default(),
        window_label: window.label.clone(),
    };
    let ranking = view
        .rows
        .iter()
        .map(|r| RankLine {
            rank: r.rank.map_or("—".into(), |n| n.to_string()),
            name: r.name.clone(),
            score: r.score.map_or("—".into(), |s| format!("{s:.1}")),
            timeliness: r.shown[0].clone(),
            first_pass: r.shown[1].clone(),
            completion: r.shown[2].clone(),
            light: crate::i18n::text(&format!("common.light.{}", r.light)).to_string(),
        })
        .collect();
    let circular = Circular {
        issuer: form.issuer.clone(),
        number: form.number.clone(),
        title: tr("service.circular.title", &[("title", &document_title)]),
        document_title,
        document_number: cx.document_number.clone(),
        window_label: cx.window_label.clone(),
        date: rules.today,
        words: words(&summary, &cx),
        summary,
        lists,
        ranking,
        requirements: form.requirements.clone(),
    };
    let bytes = docx(&circular).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    let digest = {
        use sha2::Digest;
        let hash = sha2::Sha256::digest(&bytes);
        hash.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let inputs = serde_json::to_string(&circular).map_err(|e| AppError::Internal(e.into()))?;
    crate::db::transaction(conn, |conn| -> Result<i32, AppError> {
        let id = circulars::insert(
            conn,
            &NewCircular {
                document_id: doc_id,
                number: &circular.number,
                title: &circular.title,
                window_label: &circular.window_label,
                inputs: &inputs,
                file: &bytes,
                sha256: &digest,
                created_by: &user.username,
                created_at: now,
            },
        )?;
        audit::record(
            conn,
            NewAuditEntry {
                at: now,
                actor: &user.username,
                action: "circular.create",
                entity: "circular",
                entity_id: Some(id),
                summary: &Details::new("circular.create")
                    .arg("window", &circular.window_label)
                    .arg_or_none(
                        "number",
                        Some(circular.number.clone()).filter(|n| !n.is_empty()),
                    )
                    .arg("due", summary.due)
                    .arg("on_time", summary.on_time)
                    .arg("late", summary.late)
                    .arg("overdue", summary.overdue)
                    .to_string(),
            },
        )?;
        Ok(id)
    })
}

/// What a stored circular says.
pub fn inputs(row: &circulars::CircularRow) -> Option<Circular> {
    serde_json::from_str(&row.inputs).ok()
}

/// Queues word of a circular: an email to every active leader with an address (the link to
/// the circular), and to each ranked unit by email and robot with its own standing. Returns
/// how many messages were queued. Audited; sending again is refused.
pub fn send(
    conn: &mut DbConn,
    user: &CurrentUser,
    id: i32,
    settings: &crate::config::Settings,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    require(user, Action::Administer)?;
    let row = circulars::find(conn, id)?.ok_or_else(|| AppError::not_found("circular"))?;
    if row.sent_at.is_some() {
        return Err(AppError::Conflict(tr("service.circular.already_sent", &[])));
    }
    let circular = inputs(&row).ok_or_else(|| AppError::not_found("circular"))?;
    let link = format!("{}/circulars/{id}", settings.base_url);
    let from = &settings.mail.from;
    let leaders = crate::db::users::emails_of_role(conn, "leader")?;
    let (directory, names) = crate::db::chase::directory(conn, &[])?;
    let by_name: std::collections::HashMap<&str, i32> =
        names.iter().map(|(id, n)| (n.as_str(), *id)).collect();
    let ids: Vec<i32> = names.keys().copied().collect();
    let channels = crate::db::departments::channels_of(conn, &ids)?;
    let overall = circular.words.overall.clone();
    crate::db::transaction(conn, |conn| -> Result<usize, AppError> {
        let mut notice = crate::reminders::Notice {
            kind: "circular",
            subject: &circular.title,
            from,
            now,
            queued: 0,
        };
        if !leaders.is_empty() {
            let text = tr(
                "service.circular.to_leaders",
                &[("overall", &overall), ("link", &link)],
            );
            notice.email(conn, &leaders, None, &text)?;
        }
        for line in &circular.ranking {
            let Some(&unit) = by_name.get(line.name.as_str()) else {
                continue;
            };
            let standing = tr(
                "service.circular.to_unit",
                &[
                    ("title", &circular.title),
                    ("unit", &line.name),
                    ("rank", &line.rank),
                    ("of", &circular.ranking.len().to_string()),
                    ("score", &line.score),
                    ("light", &line.light),
                    ("requirements", &circular.requirements),
                    ("site", &settings.base_url),
                ],
            );
            if let Some(addresses) = directory.departments.get(&unit).filter(|a| !a.is_empty()) {
                notice.email(conn, addresses, Some(unit), &standing)?;
            }
            if let Some(hook) = channels.get(&unit).and_then(|c| c.webhook.as_ref()) {
                notice.robot(conn, hook, unit, &line.name, &standing)?;
            }
        }
        let queued = notice.queued;
        circulars::mark_sent(conn, id, now)?;
        audit::record(
            conn,
            NewAuditEntry {
                at: now,
                actor: &user.username,
                action: "circular.send",
                entity: "circular",
                entity_id: Some(id),
                summary: &Details::new("circular.send")
                    .arg("messages", queued)
                    .arg("leaders", leaders.len())
                    .to_string(),
            },
        )?;
        Ok(queued)
    })
}
