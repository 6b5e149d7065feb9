//! Reminder runs (催办): plan what is due now, queue it — the chase log and the outbox rows
//! in one transaction — and deliver the queue. The server's scheduler and `duban remind`
//! both call `Runner::run_once`; tests drive it with a fixed `now`.
//!
//! A reminder goes out once: its idempotency key is unique in the chase log, so a rerun, a
//! restart or a second instance that plans the same key cannot record it again, and an
//! outbox row is claimed by a conditional update before it is sent.

use std::collections::{BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::authz::{Action, CurrentUser};
use crate::config::Settings;
use crate::db::audit::{self, Details, NewAuditEntry};
use crate::db::chase::{self, NewChase};
use crate::db::outbox::{self, NewMessage};
use crate::db::{obligations, DbConn};
use crate::domain::channels::{mask_mobile, robot_body, RobotMessage};
use crate::domain::reminders::{
    batch, by_unit, plan, Copy, MailKind, Policy, Reminder, Stage, UnitMessage,
};
use crate::i18n::Lang;
use crate::mail::templates::MailTemplates;
use crate::mail::{build_message, new_message_id, DigestRow, Item, MailData, Transport};
use crate::reporting::ReportingError;

/// Who the log names as the actor of automatic runs.
pub const SYSTEM_ACTOR: &str = "system";

/// A row left in `sending` this long was interrupted.
const STALE_SENDING_MINUTES: i64 = 15;

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    /// Reminders newly recorded (or, in a dry run, that would be).
    pub planned: usize,
    /// Emails queued for them.
    pub emails: usize,
    /// Group robot messages queued for them.
    pub robots: usize,
    /// SMS queued for them.
    pub sms: usize,
    /// Reminders held back because nobody at the department has an address.
    pub unaddressed: usize,
    pub sent: usize,
    /// Messages (every channel) whose delivery failed in this run (some will be retried).
    pub failed: usize,
    /// Of the failed, those that will be tried again.
    pub retrying: usize,
}

impl std::fmt::Display for RunSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "planned {}, sent {}, failed {}",
            self.planned, self.sent, self.failed
        )
    }
}

/// One message ready to queue, with the reminders it carries.
#[derive(Debug, Clone, Serialize)]
pub struct Planned {
    /// `email`, `robot` or `sms`.
    pub channel: &'static str,
    pub kind: &'static str,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    pub keys: Vec<String>,
}

impl Planned {
    fn new(e: &crate::domain::reminders::Envelope, subject: String, keys: Vec<String>) -> Self {
        Planned {
            channel: "email",
            kind: e.kind.as_str(),
            to: e.to.clone(),
            cc: e.cc.clone(),
            subject,
            keys,
        }
    }
}

/// The policy in force: the office's stored edits, else the configured one.
pub fn effective_policy(conn: &mut DbConn, settings: &Settings) -> QueryResult<Policy> {
    Ok(chase::stored_policy(conn)?
        .and_then(|json| match serde_json::from_str::<Policy>(&json) {
            Ok(p) => Some(p),
            Err(e) => {
                tracing::warn!("stored reminder policy unreadable ({e}); using the configured one");
                None
            }
        })
        .unwrap_or_else(|| settings.reminders.policy.clone()))
}

/// A policy as the audit log reads it: every setting, in words.
fn policy_details(policy: &Policy) -> Details {
    const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let before: Vec<String> = policy.before_days.iter().map(u32::to_string).collect();
    let rungs = policy.escalation.iter().map(|rung| {
        let copy = rung.copy.iter().map(|c| {
            Details::of_word(match c {
                Copy::DepartmentHead => "admin.reminders.copy_head",
                Copy::Leaders => "admin.reminders.copy_leaders",
                Copy::Office => "admin.reminders.copy_office",
            })
        });
        Details::new("reminders.rung")
            .arg("days", rung.after_days)
            .list("copy", copy)
    });
    let digest = match policy.digest {
        Some(d) => Details::new("reminders.digest")
            .word(
                "weekday",
                format!(
                    "admin.reminders.weekdays.{}",
                    WEEKDAYS[d.weekday.num_days_from_monday() as usize]
                ),
            )
            .arg("hour", d.hour),
        None => Details::of_word("admin.reminders.no_digest"),
    };
    Details::new("reminders.policy")
        .arg_or_none("before", Some(before.join("/")))
        .yes_no("on_due_day", policy.on_due_day)
        .arg("every", policy.overdue_every_days)
        .clauses("escalation", rungs)
        .yes_no("receipts", policy.receipts)
        .list("digest", [digest])
        .yes_no("working_days", policy.working_days)
        .arg_or_none("office", Some(policy.office_emails.join(", ")))
}

/// The office saves a new policy; audited.
pub fn save_policy(
    conn: &mut DbConn,
    user: &CurrentUser,
    policy: &Policy,
    now: NaiveDateTime,
) -> Result<(), ReportingError> {
    crate::authz::require(user, Action::Administer)
        .map_err(|e| ReportingError::Forbidden(e.to_string()))?;
    policy.validate().map_err(ReportingError::Invalid)?;
    let json = serde_json::to_string(policy).map_err(|e| ReportingError::Invalid(e.to_string()))?;
    crate::db::transaction(conn, |conn| {
        chase::store_policy(conn, &json, &user.username, now)?;
        audit::record(
            conn,
            NewAuditEntry {
                at: now,
                actor: &user.username,
                action: "reminders.policy",
                entity: "reminder_policy",
                entity_id: Some(1),
                summary: &policy_details(policy).to_string(),
            },
        )?;
        Ok(())
    })
}

/// The office puts a failed email back in the queue; audited.
pub fn resend(
    conn: &mut DbConn,
    user: &CurrentUser,
    id: i32,
    now: NaiveDateTime,
) -> Result<(), ReportingError> {
    crate::authz::require(user, Action::Administer)
        .map_err(|e| ReportingError::Forbidden(e.to_string()))?;
    crate::db::transaction(conn, |conn| {
        let row = outbox::find(conn, id)?.ok_or_else(|| {
            ReportingError::NotFound(crate::i18n::tr("service.reminders.email_not_found", &[]))
        })?;
        if !outbox::requeue_failed(conn, id, now)? {
            return Err(ReportingError::Conflict(crate::i18n::tr(
                "service.reminders.resend_only_failed",
                &[("state", state_label(&row.state))],
            )));
        }
        audit::record(
            conn,
            NewAuditEntry {
                at: now,
                actor: &user.username,
                action: "outbox.resend",
                entity: "outbox",
                entity_id: Some(id),
                summary: &Details::new("outbox.resend")
                    .arg("subject", &row.subject)
                    .arg("to", &row.to_addrs)
                    .to_string(),
            },
        )?;
        Ok(())
    })
}

/// What to resend in bulk: these ids, or every failed email.
#[derive(Debug, Clone)]
pub enum ResendSelection {
    Ids(Vec<i32>),
    AllFailed,
}

/// What a bulk resend did: the emails put back in the queue, and the ids skipped because
/// they are not failed (already sent, queued, or unknown).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ResendOutcome {
    pub requeued: Vec<i32>,
    pub skipped: Vec<i32>,
}

/// The office puts failed emails back in the queue in one transaction, one audit entry.
pub fn resend_many(
    conn: &mut DbConn,
    user: &CurrentUser,
    selection: &ResendSelection,
    now: NaiveDateTime,
) -> Result<ResendOutcome, ReportingError> {
    crate::authz::require(user, Action::Administer)
        .map_err(|e| ReportingError::Forbidden(e.to_string()))?;
    if let ResendSelection::Ids(ids) = selection {
        if ids.is_empty() || ids.len() > 10_000 {
            return Err(ReportingError::Invalid(crate::i18n::tr(
                "service.reminders.resend_ids",
                &[],
            )));
        }
    }
    crate::db::transaction(conn, |conn| {
        let ids = match selection {
            ResendSelection::Ids(ids) => Some(ids.as_slice()),
            ResendSelection::AllFailed => None,
        };
        let requeued = outbox::requeue_failed_many(conn, ids, now)?;
        let skipped: Vec<i32> = match selection {
            ResendSelection::Ids(ids) => {
                let mut s: Vec<i32> = ids
                    .iter()
                    .copied()
                    .filter(|i| !requeued.contains(i))
                    .collect();
                s.sort_unstable();
                s.dedup();
                s
            }
            ResendSelection::AllFailed => Vec::new(),
        };
        if !requeued.is_empty() {
            let mut ids: Vec<String> = requeued.iter().take(50).map(i32::to_string).collect();
            if requeued.len() > 50 {
                ids.push("…".to_string());
            }
            let summary = Details::new("outbox.resend_many")
                .arg("count", requeued.len())
                .arg("ids", ids.join(", "))
                .to_string();
            audit::record(
                conn,
                NewAuditEntry {
                    at: now,
                    actor: &user.username,
                    action: "outbox.resend",
                    entity: "outbox",
                    entity_id: None,
                    summary: &summary,
                },
            )?;
        }
        Ok(ResendOutcome { requeued, skipped })
    })
}

/// An email's state, in the current language.
pub fn state_label(state: &str) -> &'static str {
    crate::i18n::text(match state {
        "queued" => "common.email_state.queued",
        "sending" => "common.email_state.sending",
        "sent" => "common.email_state.sent",
        "failed" => "common.email_state.failed",
        _ => "service.reminders.unknown_state",
    })
}

/// A reminder's stage, in the current language.
pub fn stage_label(stage: &str) -> &'static str {
    crate::i18n::text(match stage {
        "before" => "common.chase_stage.before",
        "due" => "common.chase_stage.due",
        "overdue" => "common.chase_stage.overdue",
        "escalation" => "common.chase_stage.escalation",
        "receipt" => "common.chase_stage.receipt",
        "digest" => "common.chase_stage.digest",
        "manual" => "common.chase_stage.manual",
        "phone" => "common.chase_stage.phone",
        _ => "service.reminders.unknown_stage",
    })
}

fn stage_parts(stage: Stage) -> (&'static str, i32) {
    let n = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    match stage {
        Stage::Before(d) => ("before", n(d)),
        Stage::DueToday => ("due", 0),
        Stage::Overdue(k) => ("overdue", n(k)),
        Stage::Escalation(l) => ("escalation", n(l)),
        Stage::Receipt(k) => ("receipt", n(k)),
        Stage::Digest(w) => ("digest", n(w)),
        Stage::Manual => ("manual", 0),
    }
}

/// Emails are written in the office's language.
const MAIL_LANG: Lang = Lang::Zh;

fn text(key: &str, args: &[(&str, &str)]) -> String {
    crate::i18n::t(MAIL_LANG, key, args)
}

fn when_text(days: i64) -> String {
    match days {
        d if d > 0 => text("email.item.days_left", &[("days", &d.to_string())]),
        0 => text("email.item.due_today", &[]),
        d => text("email.item.days_overdue", &[("days", &(-d).to_string())]),
    }
}

/// Plans, queues and delivers.
pub struct Runner<'a> {
    pub settings: &'a Settings,
    pub templates: &'a MailTemplates,
    pub transport: &'a Transport,
    /// Robots and the SMS gateway.
    pub courier: &'a crate::mail::http::Courier,
    /// Names this worker in claimed outbox rows.
    pub worker: String,
    /// Raised to stop delivering: lanes finish the message in flight and claim no more.
    pub stop: &'a std::sync::atomic::AtomicBool,
}

/// A unit's items and the channels beyond email that reach it.
struct Route {
    group: UnitMessage,
    webhook: Option<crate::domain::channels::Webhook>,
    mobiles: Vec<String>,
}

impl Route {
    /// Each message this route makes: its channel and its recipient as the outbox shows it
    /// (the robot's platform and masked address, or a mobile number).
    fn recipients(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(hook) = &self.webhook {
            out.push(("robot", crate::domain::channels::robot_label(hook)));
        }
        for m in &self.mobiles {
            out.push(("sms", m.clone()));
        }
        out
    }
}

impl Route {
    /// Counts one message of this route in the run's summary and plan.
    fn count(
        &self,
        channel: &'static str,
        to: String,
        rendered: &UnitRendered,
        keys: &[String],
        summary: &mut RunSummary,
        planned: &mut Vec<Planned>,
    ) {
        if channel == "robot" {
            summary.robots += 1;
        } else {
            summary.sms += 1;
        }
        planned.push(Planned {
            channel,
            kind: self.group.kind.as_str(),
            to: vec![to],
            cc: Vec::new(),
            subject: rendered.message.title.clone(),
            keys: keys.to_vec(),
        });
    }
}

/// A unit's robot message and SMS text.
struct UnitRendered {
    message: RobotMessage,
    sms: String,
}

/// What planning loads besides the reminders themselves.
struct Context {
    today: NaiveDate,
    names: HashMap<i32, String>,
    obligations: HashMap<i32, obligations::ObligationRow>,
    documents: HashMap<i32, String>,
    digest: Vec<DigestRow>,
}

impl Runner<'_> {
    /// One whole run: plan and queue (unless `dry_run`), then deliver what is due.
    pub fn run_once(
        &self,
        conn: &mut DbConn,
        now: NaiveDateTime,
        dry_run: bool,
    ) -> anyhow::Result<(RunSummary, Vec<Planned>)> {
        let (mut summary, planned) = self.queue(conn, now, dry_run)?;
        if !dry_run {
            let delivered = self.deliver(conn, now)?;
            summary.sent = delivered.sent;
            summary.failed = delivered.failed;
            summary.retrying = delivered.retrying;
        }
        Ok((summary, planned))
    }

    /// Plans the reminders due at `now` (UTC), batches them into emails and, unless
    /// `dry_run`, records and queues them in one transaction.
    pub fn queue(
        &self,
        conn: &mut DbConn,
        now: NaiveDateTime,
        dry_run: bool,
    ) -> anyhow::Result<(RunSummary, Vec<Planned>)> {
        use chrono::TimeZone;
        let policy = effective_policy(conn, self.settings)?;
        let local = self.settings.timezone.from_utc_datetime(&now).naive_local();
        let today = local.date();
        let until = today + chrono::Duration::days(policy.horizon_days());
        let waiting = chase::waiting(conn, until)?;
        // The office may have edited the holidays since the last run.
        let calendar = crate::db::calendar::load(conn)?;
        let receipts = chase::unacknowledged(conn, today)?;
        let candidates = plan(
            &waiting,
            &receipts,
            local,
            &policy,
            &calendar,
            &Default::default(),
        );
        let keys: Vec<String> = candidates.iter().map(|r| r.key.clone()).collect();
        let known = chase::known_keys(conn, &keys)?;
        let due: Vec<Reminder> = candidates
            .into_iter()
            .filter(|r| !known.contains(&r.key))
            .collect();
        self.enqueue(conn, now, today, &policy, due, dry_run, SYSTEM_ACTOR)
    }

    /// Chases these obligations now (一键催办), as `actor`: one reminder each to its unit,
    /// recorded in the chase log and queued in the outbox like the planner's, in one
    /// transaction. Returns what was queued; items whose unit has no address are counted
    /// in `unaddressed` and recorded nowhere.
    pub fn chase_now(
        &self,
        conn: &mut DbConn,
        now: NaiveDateTime,
        actor: &str,
        items: &[crate::domain::reminders::Waiting],
    ) -> anyhow::Result<(RunSummary, Vec<Planned>)> {
        use chrono::TimeZone;
        let policy = effective_policy(conn, self.settings)?;
        let today = self
            .settings
            .timezone
            .from_utc_datetime(&now)
            .naive_local()
            .date();
        let stamp = now.and_utc().timestamp_micros();
        let due = items
            .iter()
            .map(|w| Reminder {
                key: format!("manual:{}:{stamp}", w.obligation_id),
                stage: Stage::Manual,
                obligation_id: Some(w.obligation_id),
                document_id: None,
                department_id: Some(w.department_id),
                days: (w.due_on - today).num_days(),
            })
            .collect();
        self.enqueue(conn, now, today, &policy, due, false, actor)
    }

    /// Batches `due` into emails and, unless `dry_run`, records each in the chase log (as
    /// `actor`) and queues the emails, in one transaction.
    #[allow(clippy::too_many_arguments)]
    fn enqueue(
        &self,
        conn: &mut DbConn,
        now: NaiveDateTime,
        today: NaiveDate,
        policy: &Policy,
        due: Vec<Reminder>,
        dry_run: bool,
        actor: &str,
    ) -> anyhow::Result<(RunSummary, Vec<Planned>)> {
        if due.is_empty() {
            return Ok((RunSummary::default(), Vec::new()));
        }

        let (directory, names) = chase::directory(conn, &policy.office_emails)?;
        let mut batches = batch(&due, policy, &directory);
        // The units' robots and mobile numbers: an item that reaches its unit there is not
        // held back even when nobody at the unit has an email address.
        let groups = by_unit(&due);
        let unit_ids: Vec<i32> = groups
            .iter()
            .map(|g| g.department_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let channels = crate::db::departments::channels_of(conn, &unit_ids)?;
        let sms_on = self.settings.sms.is_some();
        // The unit's own numbers and its people's (liaisons with a mobile on their page).
        let people = if sms_on {
            crate::db::users::mobiles_of(conn, &unit_ids)?
        } else {
            HashMap::new()
        };
        let routes: Vec<Route> = groups
            .into_iter()
            .filter_map(|g| {
                let c = channels.get(&g.department_id);
                let mobiles: Vec<String> = if sms_on {
                    crate::domain::channels::unit_mobiles(
                        c.map_or("", |c| c.mobile.as_str()),
                        people.get(&g.department_id).map_or(&[], Vec::as_slice),
                    )
                    .into_iter()
                    .map(str::to_string)
                    .collect()
                } else {
                    Vec::new()
                };
                let webhook = c.and_then(|c| c.webhook.clone());
                (webhook.is_some() || !mobiles.is_empty()).then_some(Route {
                    webhook,
                    mobiles,
                    group: g,
                })
            })
            .collect();
        let routed: BTreeSet<usize> = routes
            .iter()
            .flat_map(|r| r.group.items.iter().copied())
            .collect();
        batches.unaddressed.retain(|i| !routed.contains(i));
        if !batches.unaddressed.is_empty() {
            let departments: BTreeSet<&str> = batches
                .unaddressed
                .iter()
                .filter_map(|i| due[*i].department_id)
                .filter_map(|d| names.get(&d).map(String::as_str))
                .collect();
            tracing::warn!(
                "{} reminders held back: no email address for {}",
                batches.unaddressed.len(),
                if departments.is_empty() {
                    "the office (digest)".to_string()
                } else {
                    departments.into_iter().collect::<Vec<_>>().join("、")
                }
            );
        }
        let context = self.context(conn, today, &due, names)?;

        let mut planned = Vec::new();
        let mut summary = RunSummary {
            unaddressed: batches.unaddressed.len(),
            ..RunSummary::default()
        };
        let render = |kind: MailKind, items: &[usize], envelope_cc: &[String], department| {
            let reminders: Vec<&Reminder> = items.iter().map(|i| &due[*i]).collect();
            self.render(kind, &reminders, envelope_cc, department, policy, &context)
        };
        if dry_run {
            for e in &batches.envelopes {
                let rendered = render(e.kind, &e.items, &e.cc, e.department_id)?;
                summary.planned += e.items.len();
                summary.emails += 1;
                let keys = e.items.iter().map(|i| due[*i].key.clone()).collect();
                planned.push(Planned::new(e, rendered.subject, keys));
            }
            for route in &routes {
                let reminders: Vec<&Reminder> =
                    route.group.items.iter().map(|i| &due[*i]).collect();
                let rendered = self.render_unit(&route.group, &reminders, policy, &context)?;
                let keys: Vec<String> = reminders.iter().map(|r| r.key.clone()).collect();
                summary.planned += route
                    .group
                    .items
                    .iter()
                    .filter(|i| !batches.envelopes.iter().any(|e| e.items.contains(i)))
                    .count();
                for (channel, to) in route.recipients() {
                    route.count(channel, to, &rendered, &keys, &mut summary, &mut planned);
                }
            }
            return Ok((summary, planned));
        }

        // Everyone a reminder reaches, over all the emails and other channels that carry it.
        let mut reach: HashMap<usize, Vec<String>> = HashMap::new();
        for e in &batches.envelopes {
            for i in &e.items {
                let list = reach.entry(*i).or_default();
                for a in e.to.iter().chain(&e.cc) {
                    if !list.contains(a) {
                        list.push(a.clone());
                    }
                }
            }
        }
        for route in &routes {
            for i in &route.group.items {
                let list = reach.entry(*i).or_default();
                for (channel, to) in route.recipients() {
                    let shown = if channel == "sms" {
                        mask_mobile(&to)
                    } else {
                        to
                    };
                    if !list.contains(&shown) {
                        list.push(shown);
                    }
                }
            }
        }
        // Records the items' keys in the chase log; returns those this message carries: the
        // ones recorded now or earlier in this run (a key a competing run holds is not ours).
        let record = |conn: &mut DbConn,
                      recorded_keys: &mut BTreeSet<String>,
                      items: &[usize]|
         -> anyhow::Result<Vec<usize>> {
            let mut mine = Vec::new();
            for i in items {
                let r = &due[*i];
                if recorded_keys.contains(&r.key) {
                    mine.push(*i);
                    continue;
                }
                let (stage, stage_n) = stage_parts(r.stage);
                let recipients = reach.get(i).map(|l| l.join(", ")).unwrap_or_default();
                let row = NewChase {
                    reminder_key: &r.key,
                    stage,
                    stage_n,
                    obligation_id: r.obligation_id,
                    document_id: r.document_id,
                    department_id: r.department_id,
                    days: i32::try_from(r.days).unwrap_or(i32::MIN),
                    recipients: &recipients,
                    outbox_id: None,
                    planned_at: now,
                    actor,
                    note: "",
                };
                if chase::try_record(conn, &row)? {
                    recorded_keys.insert(r.key.clone());
                    mine.push(*i);
                }
            }
            Ok(mine)
        };
        crate::db::transaction(conn, |conn| -> anyhow::Result<()> {
            let mut recorded_keys = BTreeSet::new();
            for e in &batches.envelopes {
                // Record each item's key; one already recorded (by a competing run, or for
                // another recipient of this run) is not this email's to record.
                let mine = record(conn, &mut recorded_keys, &e.items)?;
                if mine.is_empty() {
                    continue;
                }
                let rendered = render(e.kind, &mine, &e.cc, e.department_id)?;
                let message_id = new_message_id(&self.settings.mail.from);
                let id = outbox::insert(
                    conn,
                    &NewMessage {
                        channel: "email",
                        department_id: e.department_id,
                        payload: "",
                        kind: e.kind.as_str(),
                        to_addrs: &e.to.join(", "),
                        cc_addrs: &e.cc.join(", "),
                        subject: &rendered.subject,
                        body_text: &rendered.text,
                        body_html: &rendered.html,
                        message_id: &message_id,
                        item_count: i32::try_from(mine.len()).unwrap_or(i32::MAX),
                        state: "queued",
                        next_attempt_at: now,
                        created_at: now,
                    },
                )?;
                let keys: Vec<String> = mine.iter().map(|i| due[*i].key.clone()).collect();
                // A key shared with an earlier email of this run keeps that email.
                let own: Vec<String> = keys
                    .iter()
                    .filter(|k| {
                        !planned
                            .iter()
                            .any(|p: &Planned| p.keys.iter().any(|x| x == *k))
                    })
                    .cloned()
                    .collect();
                chase::attach(conn, &own, id)?;
                summary.emails += 1;
                planned.push(Planned::new(e, rendered.subject, keys));
            }
            for route in &routes {
                let mine = record(conn, &mut recorded_keys, &route.group.items)?;
                if mine.is_empty() {
                    continue;
                }
                let reminders: Vec<&Reminder> = mine.iter().map(|i| &due[*i]).collect();
                let rendered = self.render_unit(&route.group, &reminders, policy, &context)?;
                let keys: Vec<String> = reminders.iter().map(|r| r.key.clone()).collect();
                let item_count = i32::try_from(mine.len()).unwrap_or(i32::MAX);
                let mut first = None;
                for (channel, to) in route.recipients() {
                    let payload = match (&route.webhook, channel) {
                        (Some(hook), "robot") => {
                            robot_body(hook.kind, &rendered.message).to_string()
                        }
                        _ => String::new(),
                    };
                    let (body_text, body_html) = if channel == "robot" {
                        (&rendered.message.text, &rendered.message.markdown)
                    } else {
                        (&rendered.sms, &String::new())
                    };
                    let id = outbox::insert(
                        conn,
                        &NewMessage {
                            kind: route.group.kind.as_str(),
                            to_addrs: &to,
                            cc_addrs: "",
                            subject: &rendered.message.title,
                            body_text,
                            body_html,
                            message_id: &new_message_id(&self.settings.mail.from),
                            item_count,
                            state: "queued",
                            next_attempt_at: now,
                            created_at: now,
                            channel,
                            department_id: Some(route.group.department_id),
                            payload: &payload,
                        },
                    )?;
                    first.get_or_insert(id);
                    route.count(channel, to, &rendered, &keys, &mut summary, &mut planned);
                }
                // Items no email carries are kept in the log with their first message.
                let unsent: Vec<String> = mine
                    .iter()
                    .filter(|i| !batches.envelopes.iter().any(|e| e.items.contains(i)))
                    .map(|i| due[*i].key.clone())
                    .collect();
                if let Some(id) = first {
                    chase::attach(conn, &unsent, id)?;
                }
            }
            summary.planned = recorded_keys.len();
            if summary.planned > 0 {
                let action = if actor == SYSTEM_ACTOR {
                    "reminders.queue"
                } else {
                    "reminders.chase_now"
                };
                audit::record(
                    conn,
                    NewAuditEntry {
                        at: now,
                        actor,
                        action,
                        entity: "outbox",
                        entity_id: None,
                        summary: &Details::new(action)
                            .arg("reminders", summary.planned)
                            .arg("emails", summary.emails)
                            .to_string(),
                    },
                )?;
            }
            Ok(())
        })?;
        Ok((summary, planned))
    }

    /// Loads what the emails say about their items: a fixed number of queries.
    fn context(
        &self,
        conn: &mut DbConn,
        today: NaiveDate,
        due: &[Reminder],
        names: HashMap<i32, String>,
    ) -> anyhow::Result<Context> {
        let ids: Vec<i32> = due.iter().filter_map(|r| r.obligation_id).collect();
        let mut rows = HashMap::new();
        for chunk in ids.chunks(500) {
            for row in obligations::by_ids(conn, chunk)? {
                rows.insert(row.id, row);
            }
        }
        let documents = if due.iter().any(|r| r.document_id.is_some()) {
            crate::db::documents::labels(conn)?.into_iter().collect()
        } else {
            HashMap::new()
        };
        let digest = if due.iter().any(|r| matches!(r.stage, Stage::Digest(_))) {
            chase::overdue_by_department(conn, today)?
                .into_iter()
                .map(|c| DigestRow {
                    name: c.department,
                    overdue: c.overdue,
                    oldest_due: c.earliest_due.map(|d| d.to_string()).unwrap_or_default(),
                    days: c.earliest_due.map_or(0, |d| (today - d).num_days()),
                    url: format!("{}/departments/{}", self.settings.base_url, c.department_id),
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok(Context {
            today,
            names,
            obligations: rows,
            documents,
            digest,
        })
    }

    fn render(
        &self,
        kind: MailKind,
        reminders: &[&Reminder],
        cc: &[String],
        department: Option<i32>,
        policy: &Policy,
        cx: &Context,
    ) -> anyhow::Result<crate::mail::templates::Rendered> {
        let data = self.mail_data(kind, reminders, cc, department, policy, cx);
        Ok(self.templates.render(kind.as_str(), &data)?)
    }

    /// What a unit's robot message and SMS say about `reminders`: the same items as its
    /// email, in the platform's body, and one short text.
    fn render_unit(
        &self,
        group: &UnitMessage,
        reminders: &[&Reminder],
        policy: &Policy,
        cx: &Context,
    ) -> anyhow::Result<UnitRendered> {
        // An escalation names its copies as the email does; the unit's own channels
        // carry it without them.
        let copied: Vec<String> = if group.kind == MailKind::Escalation {
            vec![String::new()]
        } else {
            Vec::new()
        };
        let data = self.mail_data(
            group.kind,
            reminders,
            &copied,
            Some(group.department_id),
            policy,
            cx,
        );
        let title = self.templates.render(group.kind.as_str(), &data)?.subject;
        let department = data.department.clone().unwrap_or_default();
        let earliest = reminders
            .iter()
            .min_by_key(|r| r.days)
            .map(|r| (cx.today + chrono::Duration::days(r.days)).to_string())
            .unwrap_or_default();
        let sms = crate::domain::channels::sms_text(
            &department,
            group.kind == MailKind::Escalation,
            data.items.len(),
            data.overdue,
            &earliest,
            &self.settings.base_url,
        );
        let items = serde_json::to_value(&data.items)?;
        let (markdown, plain) = self.templates.render_robot(&data, &title)?;
        Ok(UnitRendered {
            message: RobotMessage {
                title,
                markdown,
                text: plain,
                department,
                items,
            },
            sms,
        })
    }

    fn mail_data(
        &self,
        kind: MailKind,
        reminders: &[&Reminder],
        cc: &[String],
        department: Option<i32>,
        policy: &Policy,
        cx: &Context,
    ) -> MailData {
        let site = &self.settings.base_url;
        let items: Vec<Item> = reminders
            .iter()
            .filter(|r| !matches!(r.stage, Stage::Digest(_)))
            .enumerate()
            .map(|(n, r)| self.item(n + 1, r, cx))
            .collect();
        let overdue = reminders.iter().filter(|r| r.days < 0).count();
        let level = reminders
            .iter()
            .filter_map(|r| match r.stage {
                Stage::Escalation(l) => Some(l),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        let copied = if kind == MailKind::Escalation && !cc.is_empty() {
            let mut who = BTreeSet::new();
            for rung in policy.escalation.iter().take(level as usize) {
                who.extend(rung.copy.iter().copied());
            }
            who.into_iter()
                .map(|c| {
                    text(
                        match c {
                            Copy::DepartmentHead => "email.escalation.copy.department_head",
                            Copy::Leaders => "email.escalation.copy.leaders",
                            Copy::Office => "email.escalation.copy.office",
                        },
                        &[],
                    )
                })
                .collect::<Vec<_>>()
                .join(&text("email.escalation.separator", &[]))
        } else {
            String::new()
        };
        let week = cx.today.iso_week();
        MailData {
            lang: MAIL_LANG.code(),
            site: site.clone(),
            today: cx.today.to_string(),
            department: department.and_then(|d| cx.names.get(&d).cloned()),
            count: if kind == MailKind::Digest {
                cx.digest.iter().map(|d| d.overdue as usize).sum()
            } else {
                items.len()
            },
            items,
            overdue,
            level,
            copied,
            week: text(
                "email.digest.week",
                &[
                    ("year", &week.year().to_string()),
                    ("week", &week.week().to_string()),
                ],
            ),
            department_count: cx.digest.len(),
            departments: if kind == MailKind::Digest {
                cx.digest.clone()
            } else {
                Vec::new()
            },
        }
    }

    fn item(&self, n: usize, r: &Reminder, cx: &Context) -> Item {
        let site = &self.settings.base_url;
        let department = r
            .department_id
            .and_then(|d| cx.names.get(&d).cloned())
            .unwrap_or_default();
        let label = text(
            match r.stage {
                Stage::Before(_) => "email.item.before",
                Stage::Manual if r.days > 0 => "email.item.before",
                Stage::DueToday => "email.item.due",
                Stage::Manual if r.days == 0 => "email.item.due",
                Stage::Receipt(_) => "email.item.receipt",
                _ => "email.item.overdue",
            },
            &[],
        );
        if let Some(ob) = r.obligation_id.and_then(|id| cx.obligations.get(&id)) {
            let role = text(
                if ob.role == "lead" {
                    "common.role.lead"
                } else {
                    "common.role.co"
                },
                &[],
            );
            let document = ob
                .document_number
                .as_deref()
                .map(|d| format!("{d} "))
                .unwrap_or_default();
            Item {
                n,
                label,
                what: text(
                    "email.item.what",
                    &[
                        ("document", &document),
                        ("label", &ob.measure_label),
                        ("title", &ob.measure_title),
                        ("role", &role),
                    ],
                ),
                department,
                period: ob.period_label.clone(),
                due_on: ob.due_on.to_string(),
                when: when_text(r.days),
                url: format!("{site}/obligations/{}", ob.id),
            }
        } else {
            let document = r.document_id.unwrap_or_default();
            Item {
                n,
                label,
                what: text(
                    "email.item.receipt_what",
                    &[(
                        "document",
                        cx.documents
                            .get(&document)
                            .map(String::as_str)
                            .unwrap_or_default(),
                    )],
                ),
                department,
                period: String::new(),
                due_on: (cx.today + chrono::Duration::days(r.days)).to_string(),
                when: when_text(r.days),
                url: format!("{site}/documents/{document}"),
            }
        }
    }

    /// Sends every queued email whose turn has come, one message at a time on each of
    /// `mail.pool_size` lanes: a lane claims one row, sends it and records the outcome before
    /// it claims the next, so a crash or a restart leaves at most the messages in flight
    /// undecided. A transient failure goes back to the queue with a doubled wait (capped at
    /// `mail.max_retry`), the last attempt or a permanent failure marks it failed. When
    /// `stop` is raised (SIGTERM), each lane finishes its message and claims no more.
    pub fn deliver(&self, conn: &mut DbConn, now: NaiveDateTime) -> anyhow::Result<Delivery> {
        let stale = outbox::fail_interrupted(
            conn,
            now,
            chrono::Duration::minutes(STALE_SENDING_MINUTES),
            "发送被中断，邮件可能已发出；请核实后决定是否重发",
        )?;
        if stale > 0 {
            tracing::warn!("{stale} emails were interrupted while sending; marked failed");
        }
        let lanes = (self.settings.mail.pool_size as usize).clamp(1, 16);
        let conn = std::sync::Mutex::new(conn);
        let out = std::sync::Mutex::new(Delivery::default());
        let lane = || -> anyhow::Result<()> {
            loop {
                if self.stop.load(std::sync::atomic::Ordering::SeqCst) {
                    return Ok(());
                }
                let claimed = {
                    let mut c = conn.lock().map_err(|_| anyhow::anyhow!("lane panicked"))?;
                    outbox::claim_next(&mut c, &self.worker, now)?
                };
                let Some(row) = claimed else {
                    return Ok(());
                };
                // A robot message goes to the unit's robot as set now.
                let hook = if row.channel == "robot" {
                    let mut c = conn.lock().map_err(|_| anyhow::anyhow!("lane panicked"))?;
                    match row.department_id {
                        Some(d) => crate::db::departments::channels_of(&mut c, &[d])?
                            .remove(&d)
                            .and_then(|ch| ch.webhook),
                        None => None,
                    }
                } else {
                    None
                };
                let result = self.send_one(&row, now, hook.as_ref());
                let mut c = conn.lock().map_err(|_| anyhow::anyhow!("lane panicked"))?;
                let mut o = out.lock().map_err(|_| anyhow::anyhow!("lane panicked"))?;
                self.record(&mut c, &mut o, &row, result, now)?;
            }
        };
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..lanes).map(|_| scope.spawn(lane)).collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("a delivery lane panicked")))
                })
                .collect::<anyhow::Result<Vec<()>>>()
        })?;
        Ok(out.into_inner().unwrap_or_default())
    }

    /// Records what happened to one claimed row, only while the claim is still ours.
    fn record(
        &self,
        conn: &mut DbConn,
        out: &mut Delivery,
        row: &outbox::OutboxRow,
        result: Result<(), crate::mail::SendFailure>,
        now: NaiveDateTime,
    ) -> anyhow::Result<()> {
        let mail = &self.settings.mail;
        let id = row.id;
        let matched = match result {
            Ok(()) => {
                out.sent += 1;
                outbox::mark_sent(conn, id, &self.worker, now)?
            }
            Err(f) => {
                out.failed += 1;
                let attempts = u32::try_from(row.attempts).unwrap_or(u32::MAX);
                if f.transient && attempts < mail.max_attempts {
                    let wait = retry_wait(mail.retry, mail.max_retry, attempts);
                    out.retrying += 1;
                    tracing::warn!(
                        "email {id} not sent (attempt {attempts}, retry at {}): {}",
                        now + wait,
                        f.message
                    );
                    outbox::mark_retry(conn, id, &self.worker, &f.message, now + wait)?
                } else {
                    tracing::error!("email {id} failed after {attempts} attempts: {}", f.message);
                    outbox::mark_failed(conn, id, &self.worker, &f.message)?
                }
            }
        };
        if !matched {
            tracing::error!(
                "email {id}: its claim by {} was taken over before the outcome was recorded",
                self.worker
            );
        }
        Ok(())
    }

    fn send_one(
        &self,
        row: &outbox::OutboxRow,
        now: NaiveDateTime,
        hook: Option<&crate::domain::channels::Webhook>,
    ) -> Result<(), crate::mail::SendFailure> {
        match row.channel.as_str() {
            "robot" => {
                return match hook {
                    // Signed with the wall clock, which the platform checks its own
                    // against (DingTalk allows an hour), not the run's `now`.
                    Some(hook) => {
                        let signed_at = chrono::Utc::now().timestamp_millis();
                        self.courier.robot(hook, &row.payload, signed_at)
                    }
                    None => Err(crate::mail::SendFailure {
                        transient: false,
                        message: text("domain.channels.no_robot", &[]),
                    }),
                };
            }
            "sms" => return self.courier.sms(&row.to_addrs, &row.body_text),
            _ => {}
        }
        let mail = &self.settings.mail;
        let name = format!("{}-{}", now.format("%Y%m%dT%H%M%S"), row.id);
        let message = build_message(
            &mail.from,
            &row.to_addrs,
            &row.cc_addrs,
            &row.subject,
            &row.body_text,
            &row.body_html,
            &row.message_id,
        )
        .map_err(|m| crate::mail::SendFailure {
            transient: false,
            message: m,
        })?;
        self.transport.send(&message, &name)
    }
}

/// A one-off notice (a circular's word, a leader's instruction) queued in the outbox on each
/// channel that reaches its recipients: one row per message, queued now, delivered and
/// retried like reminders. Counts what it queued.
pub struct Notice<'a> {
    pub kind: &'static str,
    pub subject: &'a str,
    /// The sender address, for the messages' ids.
    pub from: &'a str,
    pub now: NaiveDateTime,
    pub queued: usize,
}

impl Notice<'_> {
    #[allow(clippy::too_many_arguments)]
    fn queue(
        &mut self,
        conn: &mut DbConn,
        channel: &'static str,
        to: &str,
        department_id: Option<i32>,
        text: &str,
        html: &str,
        payload: &str,
    ) -> QueryResult<()> {
        outbox::insert(
            conn,
            &NewMessage {
                kind: self.kind,
                to_addrs: to,
                cc_addrs: "",
                subject: self.subject,
                body_text: text,
                body_html: html,
                message_id: &new_message_id(self.from),
                item_count: 1,
                state: "queued",
                next_attempt_at: self.now,
                created_at: self.now,
                channel,
                department_id,
                payload,
            },
        )?;
        self.queued += 1;
        Ok(())
    }

    /// An email to `to` (addresses), its HTML the text's lines.
    pub fn email(
        &mut self,
        conn: &mut DbConn,
        to: &[String],
        department_id: Option<i32>,
        text: &str,
    ) -> QueryResult<()> {
        let html = format!(
            "<p>{}</p>",
            handlebars::html_escape(text).replace('\n', "<br>")
        );
        self.queue(
            conn,
            "email",
            &to.join(", "),
            department_id,
            text,
            &html,
            "",
        )
    }

    /// A message to a unit's group robot, in its platform's format.
    pub fn robot(
        &mut self,
        conn: &mut DbConn,
        hook: &crate::domain::channels::Webhook,
        department_id: i32,
        unit: &str,
        text: &str,
    ) -> QueryResult<()> {
        let (markdown, payload) = crate::domain::channels::notice(hook, self.subject, text, unit);
        let to = crate::domain::channels::robot_label(hook);
        self.queue(
            conn,
            "robot",
            &to,
            Some(department_id),
            text,
            &markdown,
            &payload,
        )
    }

    /// An SMS to one number.
    pub fn sms(
        &mut self,
        conn: &mut DbConn,
        mobile: &str,
        department_id: i32,
        text: &str,
    ) -> QueryResult<()> {
        self.queue(conn, "sms", mobile, Some(department_id), text, "", "")
    }
}

/// How long to wait before attempt `attempts + 1`: `first`, doubled after each failure, never
/// more than `cap`. With the defaults (1 minute, capped at 1 hour, 30 attempts) an email is
/// retried for more than a day before it is marked failed.
pub fn retry_wait(
    first: chrono::Duration,
    cap: chrono::Duration,
    attempts: u32,
) -> chrono::Duration {
    let doublings = attempts.saturating_sub(1).min(20);
    let wait = first * 2i32.pow(doublings);
    wait.min(cap).max(first.min(cap))
}

/// What one delivery pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivery {
    pub sent: usize,
    pub failed: usize,
    pub retrying: usize,
}

/// A name for this worker in claimed rows: host, process, and a random part.
pub fn worker_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
    format!(
        "{host}:{}:{}",
        std::process::id(),
        crate::security::random_hex(4)
    )
}

/// What sending needs that lives as long as the process: the email templates and the
/// transport (whose SMTP connections are pooled).
pub struct Mailroom {
    pub templates: MailTemplates,
    pub transport: Transport,
    pub courier: crate::mail::http::Courier,
    /// Raised on shutdown (SIGTERM): delivery finishes its messages in flight and stops.
    pub stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Wakes the scheduler (when one runs) to deliver what was just queued.
    nudge: std::sync::Mutex<Option<std::sync::mpsc::Sender<()>>>,
}

impl Mailroom {
    pub fn new(settings: &Settings) -> anyhow::Result<Mailroom> {
        let mut room = Mailroom::with_transport(
            Transport::from_settings(&settings.mail, &settings.data_dir)
                .map_err(|e| anyhow::anyhow!(e))?,
        )?;
        room.courier =
            crate::mail::http::Courier::new(settings.webhook_timeout, settings.sms.clone());
        Ok(room)
    }

    /// With `transport` for email, robots with a 10-second timeout and no SMS gateway.
    pub fn with_transport(transport: Transport) -> anyhow::Result<Mailroom> {
        Ok(Mailroom {
            templates: MailTemplates::new().map_err(|e| anyhow::anyhow!("email templates: {e}"))?,
            transport,
            courier: crate::mail::http::Courier::new(std::time::Duration::from_secs(10), None),
            stop: Default::default(),
            nudge: Default::default(),
        })
    }

    /// Asks the scheduler to run now; without a scheduler the queue waits for `duban remind`.
    pub fn nudge(&self) {
        if let Some(wake) = self.nudge.lock().ok().and_then(|n| n.clone()) {
            let _ = wake.send(());
        }
    }

    pub fn runner<'a>(&'a self, settings: &'a Settings) -> Runner<'a> {
        Runner {
            settings,
            templates: &self.templates,
            transport: &self.transport,
            courier: &self.courier,
            worker: worker_name(),
            stop: &self.stop,
        }
    }
}

/// Stops the scheduler thread when dropped, after the message it is sending (if any) is
/// sent and recorded.
pub struct Scheduler {
    wake: Option<std::sync::mpsc::Sender<()>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(wake) = self.wake.take() {
            let _ = wake.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Runs reminders now and then every `interval` on a thread of its own, until the returned
/// handle is dropped or the mailroom's stop flag is raised. A run that fails is logged and
/// the next one tries again.
pub fn start_scheduler(
    pool: crate::db::Pool,
    settings: Settings,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
    mailroom: std::sync::Arc<Mailroom>,
    interval: std::time::Duration,
) -> std::io::Result<Scheduler> {
    let (wake, woken) = std::sync::mpsc::channel::<()>();
    let stop = mailroom.stop.clone();
    if let Ok(mut nudge) = mailroom.nudge.lock() {
        *nudge = Some(wake.clone());
    }
    let thread = std::thread::Builder::new()
        .name("reminders".into())
        .spawn(move || {
            tracing::info!(
                "reminders every {} min, mail via {}",
                interval.as_secs() / 60,
                mailroom.transport.describe(&settings.mail)
            );
            let runner = mailroom.runner(&settings);
            let stopping = || mailroom.stop.load(std::sync::atomic::Ordering::SeqCst);
            while !stopping() {
                let result = pool
                    .get()
                    .map_err(anyhow::Error::from)
                    .and_then(|mut conn| runner.run_once(&mut conn, clock.now(), false));
                match result {
                    Ok((summary, _)) if summary != RunSummary::default() => {
                        tracing::info!("reminders: {summary}")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::error!("reminder run failed: {e:#}"),
                }
                // A nudge (a chase queued from the ledger) runs the next pass at once; the
                // stop flag is checked before it.
                match woken.recv_timeout(interval) {
                    Ok(()) | Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                }
            }
        })?;
    Ok(Scheduler {
        wake: Some(wake),
        stop,
        thread: Some(thread),
    })
}
