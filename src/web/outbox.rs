//! The office's reminder pages: the outbox (待发邮件) with resending, the reminder policy
//! (催办设置), and `GET /api/v1/outbox`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::Weekday;
use serde::{Deserialize, Serialize};

use crate::authz::{require, Action};
use crate::db::{chase, outbox};
use crate::domain::accounts::parse_email_list;
use crate::domain::reminders::{Copy, Digest, Escalation, Policy};
use crate::error::AppError;
use crate::i18n::tr;
use crate::web::auth::{ApiCaller, CsrfForm, NoFields, Viewer};
use crate::web::respond::{flash, see_other};
use crate::web::state::AppState;
use crate::web::templates::Page;

const STATES: [&str; 4] = ["queued", "sending", "sent", "failed"];
const CHANNELS: [&str; 3] = ["email", "robot", "sms"];

#[derive(Deserialize, Default)]
pub struct OutboxQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    channel: String,
}

impl OutboxQuery {
    fn channel(&self) -> Result<Option<String>, AppError> {
        match self.channel.trim() {
            "" => Ok(None),
            c if CHANNELS.contains(&c) => Ok(Some(c.to_string())),
            c => Err(AppError::Invalid {
                field: "channel",
                message: tr("web.outbox.bad_channel", &[("channel", c)]),
            }),
        }
    }

    fn state(&self) -> Result<Option<String>, AppError> {
        match self.state.trim() {
            "" => Ok(None),
            s if STATES.contains(&s) => Ok(Some(s.to_string())),
            s => Err(AppError::Validation(tr(
                "web.outbox.bad_state",
                &[("state", s)],
            ))),
        }
    }
}

#[derive(Serialize)]
struct EmailView {
    #[serde(flatten)]
    row: outbox::OutboxRow,
    /// The kind as the catalog names it (`admin.outbox.kinds.*`).
    kind_key: &'static str,
    /// The channel as the catalog names it (`admin.outbox.channels.*`).
    channel_key: &'static str,
    failed: bool,
}

#[derive(Serialize)]
struct StateCount {
    state: &'static str,
    count: i64,
    current: bool,
}

#[derive(Serialize)]
struct ChannelCount {
    channel: &'static str,
    count: i64,
    current: bool,
}

#[derive(Serialize)]
struct OutboxData {
    counts: Vec<StateCount>,
    /// Messages by channel, and the channel shown ("" for all).
    channels: Vec<ChannelCount>,
    channel: String,
    all_current: bool,
    /// Failed emails in all: the "resend all" button's count.
    failed: i64,
    emails: Vec<EmailView>,
    limit: i64,
    /// Departments nobody can be written to about.
    unreachable: Vec<String>,
}

fn kind_key(kind: &str) -> &'static str {
    match kind {
        "reminder" => "reminder",
        "escalation" => "escalation",
        "digest" => "digest",
        "circular" => "circular",
        "instruction" => "instruction",
        _ => "other",
    }
}

pub async fn outbox_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<OutboxQuery>,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::Administer)?;
    let filter = query.state()?;
    let channel = query.channel()?;
    const LIMIT: i64 = 200;
    let sms_on = state.settings.sms.is_some();
    let data = state
        .db(move |conn| {
            let counts = outbox::counts(conn)?;
            let by_channel = outbox::channel_counts(conn)?;
            let emails = outbox::list(conn, filter.as_deref(), channel.as_deref(), LIMIT)?;
            let unreachable = crate::db::departments::unreachable(conn, sms_on)?;
            let failed = counts
                .iter()
                .find(|(k, _)| k == "failed")
                .map_or(0, |(_, n)| *n);
            Ok(OutboxData {
                failed,
                counts: STATES
                    .iter()
                    .map(|s| StateCount {
                        state: s,
                        count: counts.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n),
                        current: filter.as_deref() == Some(*s),
                    })
                    .collect(),
                all_current: filter.is_none(),
                channels: CHANNELS
                    .iter()
                    .map(|c| ChannelCount {
                        channel: c,
                        count: by_channel
                            .iter()
                            .find(|(k, _)| k == c)
                            .map_or(0, |(_, n)| *n),
                        current: channel.as_deref() == Some(*c),
                    })
                    .collect(),
                channel: channel.clone().unwrap_or_default(),
                emails: emails
                    .into_iter()
                    .map(|row| EmailView {
                        kind_key: kind_key(&row.kind),
                        channel_key: match row.channel.as_str() {
                            "robot" => "robot",
                            "sms" => "sms",
                            _ => "email",
                        },
                        failed: row.state == "failed",
                        row,
                    })
                    .collect(),
                limit: LIMIT,
                unreachable,
            })
        })
        .await?;
    state.page(
        "admin_outbox",
        &Page::for_viewer(&viewer, viewer.t("admin.outbox.title"), "outbox", data),
    )
}

pub async fn resend(
    state: web::Data<AppState>,
    id: web::Path<i32>,
    post: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let viewer = post.viewer;
    let id = id.into_inner();
    let now = state.clock.now();
    state
        .db(move |conn| {
            crate::reminders::resend(conn, &viewer.user, id, now)?;
            let message = viewer.t_with("admin.outbox.resent", &[("id", &id.to_string())]);
            flash(conn, &viewer, &message)
        })
        .await?;
    Ok(see_other("/admin/outbox"))
}

/// `POST /admin/outbox/resend`: every failed email back in the queue.
pub async fn resend_all(
    state: web::Data<AppState>,
    post: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let viewer = post.viewer;
    let now = state.clock.now();
    state
        .db(move |conn| {
            let out = crate::reminders::resend_many(
                conn,
                &viewer.user,
                &crate::reminders::ResendSelection::AllFailed,
                now,
            )?;
            let n = out.requeued.len().to_string();
            let message = viewer.t_with("admin.outbox.resent_many", &[("n", &n)]);
            flash(conn, &viewer, &message)
        })
        .await?;
    Ok(see_other("/admin/outbox"))
}

/// The body of `POST /api/v1/outbox/resend`: ids, or a state (only `failed` can be resent).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResendRequest {
    ids: Option<Vec<i32>>,
    state: Option<String>,
}

/// `POST /api/v1/outbox/resend` (administrators): `{"ids": [...]}` or `{"state": "failed"}`
/// → `{"requeued": [...], "skipped": [...]}`.
pub async fn api_resend(
    state: web::Data<AppState>,
    caller: ApiCaller,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    // Who may comes before what was asked: the body is read only for the office.
    require(&caller.user, Action::Administer)?;
    let body: ResendRequest = serde_json::from_slice(&body)
        .map_err(|_| AppError::Validation(tr("service.reminders.resend_ids", &[])))?;
    let selection = match (body.ids, body.state.as_deref()) {
        (Some(ids), None) => crate::reminders::ResendSelection::Ids(ids),
        (None, Some("failed")) => crate::reminders::ResendSelection::AllFailed,
        _ => {
            return Err(AppError::Validation(tr(
                "service.reminders.resend_ids",
                &[],
            )))
        }
    };
    let now = state.clock.now();
    let user = caller.user.clone();
    let out = state
        .db(move |conn| Ok(crate::reminders::resend_many(conn, &user, &selection, now)?))
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Serialize)]
struct ApiMessage {
    id: i32,
    /// `email`, `robot` or `sms`.
    channel: String,
    kind: String,
    to: Vec<String>,
    cc: Vec<String>,
    subject: String,
    items: i32,
    state: String,
    attempts: i32,
    next_attempt_at: chrono::NaiveDateTime,
    last_error: Option<String>,
    created_at: chrono::NaiveDateTime,
    sent_at: Option<chrono::NaiveDateTime>,
}

/// `GET /api/v1/outbox[?state=…]` (administrators): the newest 500 messages, every channel.
pub async fn api(
    state: web::Data<AppState>,
    caller: ApiCaller,
    query: web::Query<OutboxQuery>,
) -> Result<HttpResponse, AppError> {
    require(&caller.user, Action::Administer)?;
    let filter = query.state()?;
    let channel = query.channel()?;
    let rows = state
        .db(move |conn| {
            Ok(outbox::list(
                conn,
                filter.as_deref(),
                channel.as_deref(),
                500,
            )?)
        })
        .await?;
    let split = |s: &str| {
        crate::mail::split_addresses(s)
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let body: Vec<ApiMessage> = rows
        .into_iter()
        .map(|r| ApiMessage {
            id: r.id,
            channel: r.channel,
            to: split(&r.to_addrs),
            cc: split(&r.cc_addrs),
            kind: r.kind,
            subject: r.subject,
            items: r.item_count,
            state: r.state,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            last_error: r.last_error,
            created_at: r.created_at,
            sent_at: r.sent_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

/// The policy form: text as typed, checkboxes present when ticked. Three rungs of the
/// ladder; a rung with no days is left out.
#[derive(Deserialize, Serialize, Clone, Default)]
pub struct PolicyForm {
    #[serde(default)]
    before_days: String,
    #[serde(default)]
    on_due_day: Option<String>,
    #[serde(default)]
    overdue_every_days: String,
    #[serde(default)]
    working_days: Option<String>,
    #[serde(default)]
    receipts: Option<String>,
    #[serde(default)]
    digest_weekday: String,
    #[serde(default)]
    digest_hour: String,
    #[serde(default)]
    office_emails: String,
    #[serde(default)]
    rungs: Vec<RungForm>,
    #[serde(flatten, skip_serializing)]
    raw: std::collections::HashMap<String, String>,
}

#[derive(Deserialize, Serialize, Clone, Default)]
struct RungForm {
    n: usize,
    days: String,
    head: bool,
    leaders: bool,
    office: bool,
}

const RUNGS: usize = 3;
const WEEKDAYS: [(&str, &str); 7] = [
    ("mon", "星期一"),
    ("tue", "星期二"),
    ("wed", "星期三"),
    ("thu", "星期四"),
    ("fri", "星期五"),
    ("sat", "星期六"),
    ("sun", "星期日"),
];

fn weekday_key(d: Weekday) -> &'static str {
    WEEKDAYS[d.num_days_from_monday() as usize].0
}

impl PolicyForm {
    fn from_policy(p: &Policy) -> PolicyForm {
        let join = |v: &[u32]| v.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
        PolicyForm {
            before_days: join(&p.before_days),
            on_due_day: p.on_due_day.then(|| "on".into()),
            overdue_every_days: p.overdue_every_days.to_string(),
            working_days: p.working_days.then(|| "on".into()),
            receipts: p.receipts.then(|| "on".into()),
            digest_weekday: p
                .digest
                .map(|d| weekday_key(d.weekday).to_string())
                .unwrap_or_default(),
            digest_hour: p.digest.map_or(9, |d| d.hour).to_string(),
            office_emails: p.office_emails.join(", "),
            rungs: (0..RUNGS)
                .map(|i| {
                    let rung = p.escalation.get(i);
                    let has = |c: Copy| rung.is_some_and(|r| r.copy.contains(&c));
                    RungForm {
                        n: i + 1,
                        days: rung.map(|r| r.after_days.to_string()).unwrap_or_default(),
                        head: has(Copy::DepartmentHead),
                        leaders: has(Copy::Leaders),
                        office: has(Copy::Office),
                    }
                })
                .collect(),
            raw: Default::default(),
        }
    }

    /// The rungs as the form posted them (`rung1_days`, `rung1_head`, …).
    fn with_posted_rungs(mut self) -> PolicyForm {
        self.rungs = (1..=RUNGS)
            .map(|n| {
                let field = |f: &str| self.raw.get(&format!("rung{n}_{f}")).cloned();
                RungForm {
                    n,
                    days: field("days").unwrap_or_default(),
                    head: field("head").is_some(),
                    leaders: field("leaders").is_some(),
                    office: field("office").is_some(),
                }
            })
            .collect();
        self
    }

    fn parse(&self) -> Result<Policy, String> {
        // `field` names the form field (`web.outbox.field.*`) for the message.
        let number = |s: &str, field: &str| -> Result<u32, String> {
            s.trim().parse::<u32>().map_err(|_| {
                tr(
                    "web.outbox.not_integer",
                    &[
                        ("what", &tr(&format!("web.outbox.field.{field}"), &[])),
                        ("value", s.trim()),
                    ],
                )
            })
        };
        let before_days = self
            .before_days
            .split([',', '，', '、', ' '])
            .filter(|s| !s.trim().is_empty())
            .map(|s| number(s, "before_days"))
            .collect::<Result<Vec<_>, _>>()?;
        let digest = match self.digest_weekday.trim() {
            "" => None,
            day => Some(Digest {
                weekday: day
                    .parse()
                    .map_err(|_| tr("web.outbox.not_weekday", &[("value", day)]))?,
                hour: number(&self.digest_hour, "digest_hour")?,
            }),
        };
        let mut escalation = Vec::new();
        for rung in &self.rungs {
            if rung.days.trim().is_empty() {
                continue;
            }
            let mut copy = Vec::new();
            for (on, c) in [
                (rung.head, Copy::DepartmentHead),
                (rung.leaders, Copy::Leaders),
                (rung.office, Copy::Office),
            ] {
                if on {
                    copy.push(c);
                }
            }
            if copy.is_empty() {
                return Err(tr(
                    "web.outbox.rung_without_copy",
                    &[("n", &rung.n.to_string())],
                ));
            }
            escalation.push(Escalation {
                after_days: number(&rung.days, "rung_days")?,
                copy,
            });
        }
        let office_emails = parse_email_list(&self.office_emails)?;
        let policy = Policy {
            before_days,
            on_due_day: self.on_due_day.is_some(),
            overdue_every_days: number(&self.overdue_every_days, "overdue_every_days")?,
            escalation,
            receipts: self.receipts.is_some(),
            digest,
            working_days: self.working_days.is_some(),
            office_emails: crate::mail::split_addresses(&office_emails)
                .map(str::to_string)
                .collect(),
        };
        policy.validate()?;
        Ok(policy)
    }
}

#[derive(Serialize)]
struct PolicyData {
    form: PolicyForm,
    weekdays: Vec<(&'static str, &'static str)>,
    hours: Vec<u32>,
    stored: bool,
    error: Option<String>,
}

fn policy_page(
    state: &AppState,
    viewer: &Viewer,
    data: PolicyData,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let page = Page::for_viewer(viewer, viewer.t("admin.reminders.title"), "reminders", data);
    state.page_with_status("admin_reminders", &page, status)
}

pub async fn policy_form(
    state: web::Data<AppState>,
    viewer: Viewer,
) -> Result<HttpResponse, AppError> {
    require(&viewer.user, Action::Administer)?;
    let settings = state.settings.clone();
    let (policy, stored) = state
        .db(move |conn| {
            Ok((
                crate::reminders::effective_policy(conn, &settings)?,
                chase::stored_policy(conn)?.is_some(),
            ))
        })
        .await?;
    let data = PolicyData {
        form: PolicyForm::from_policy(&policy),
        weekdays: WEEKDAYS.to_vec(),
        hours: (0..24).collect(),
        stored,
        error: None,
    };
    policy_page(&state, &viewer, data, StatusCode::OK)
}

pub async fn save_policy(
    state: web::Data<AppState>,
    post: CsrfForm<PolicyForm>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm { viewer, form } = post;
    require(&viewer.user, Action::Administer)?;
    let form = form.with_posted_rungs();
    let policy = match form.parse() {
        Ok(p) => p,
        Err(error) => {
            let data = PolicyData {
                form,
                weekdays: WEEKDAYS.to_vec(),
                hours: (0..24).collect(),
                stored: true,
                error: Some(error),
            };
            return policy_page(&state, &viewer, data, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let now = state.clock.now();
    state
        .db(move |conn| {
            crate::reminders::save_policy(conn, &viewer.user, &policy, now)?;
            flash(conn, &viewer, &viewer.t("admin.reminders.saved"))
        })
        .await?;
    Ok(see_other("/admin/reminders"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_form_round_trips_and_reports_mistakes_in_words() {
        let p = Policy {
            office_emails: vec!["office@x.gov.cn".into()],
            ..Policy::default()
        };
        let mut form = PolicyForm::from_policy(&p);
        assert_eq!(form.parse().unwrap(), p);
        form.before_days = "7，3、x".into();
        assert!(form.parse().unwrap_err().contains("「x」不是整数"));
        form.before_days = "5".into();
        form.rungs[0].head = false;
        assert!(form.parse().unwrap_err().contains("第 1 级"));
        let en = crate::i18n::with_lang(crate::i18n::Lang::En, || form.parse().unwrap_err());
        assert!(en.contains("Escalation level 1"), "{en}");
    }
}
