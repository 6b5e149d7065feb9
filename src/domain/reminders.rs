//! Reminder planning (催办): which notices are due now. A pure function of the open
//! obligations and receipts, the local time, the policy, and the keys already sent. Each
//! notice carries an idempotency key — (kind, subject, stage) — so a rerun, a restart or a
//! second process plans nothing twice, and a run that was missed catches up with the stage
//! the subject is in now rather than sending every stage it skipped.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike, Weekday};
use serde::{Deserialize, Serialize};

use super::calendar::Calendar;
use crate::i18n::tr;

/// Whom an escalation copies besides the department itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Copy {
    /// The department head's address (单位负责人).
    DepartmentHead,
    /// The leaders who oversee the department (分管领导), as linked on their accounts.
    Leaders,
    /// The office (督查室): the policy's office addresses and the administrators'.
    Office,
}

/// One rung of the escalation ladder: from `after_days` overdue, copy these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    pub after_days: u32,
    pub copy: Vec<Copy>,
}

/// The weekly digest to the office: weekday and hour, local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    pub weekday: Weekday,
    pub hour: u32,
}

/// When to remind and whom to copy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// Days before the due date (e.g. 7, 3, 1).
    pub before_days: Vec<u32>,
    pub on_due_day: bool,
    /// While overdue, one reminder every this many days.
    pub overdue_every_days: u32,
    /// The escalation ladder, by days overdue; level n is the n-th rung.
    pub escalation: Vec<Escalation>,
    /// Remind departments that have not acknowledged receipt by its due date.
    pub receipts: bool,
    pub digest: Option<Digest>,
    /// Count days in working days (weekends and holidays skipped).
    pub working_days: bool,
    /// The office's own addresses, for digests and escalations.
    #[serde(default)]
    pub office_emails: Vec<String>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            before_days: vec![7, 3, 1],
            on_due_day: true,
            overdue_every_days: 2,
            escalation: vec![
                Escalation {
                    after_days: 3,
                    copy: vec![Copy::DepartmentHead],
                },
                Escalation {
                    after_days: 7,
                    copy: vec![Copy::Leaders, Copy::Office],
                },
            ],
            receipts: true,
            digest: Some(Digest {
                weekday: Weekday::Mon,
                hour: 9,
            }),
            working_days: false,
            office_emails: Vec::new(),
        }
    }
}

impl Policy {
    /// Checks what a person may have typed: ranges, and rungs in increasing order.
    pub fn validate(&self) -> Result<(), String> {
        if self.before_days.iter().any(|d| *d == 0 || *d > 90) {
            return Err(tr("domain.reminders.before_days", &[]));
        }
        if self.overdue_every_days == 0 || self.overdue_every_days > 30 {
            return Err(tr("domain.reminders.overdue_every_days", &[]));
        }
        if self
            .escalation
            .windows(2)
            .any(|w| w[0].after_days >= w[1].after_days)
            || self.escalation.iter().any(|e| e.after_days == 0)
        {
            return Err(tr("domain.reminders.escalation_order", &[]));
        }
        if self.escalation.len() > 5 {
            return Err(tr("domain.reminders.escalation_levels", &[]));
        }
        if self.digest.is_some_and(|d| d.hour > 23) {
            return Err(tr("domain.reminders.digest_hour", &[]));
        }
        Ok(())
    }

    /// The furthest ahead a notice can be due, in calendar days: how far ahead to look.
    pub fn horizon_days(&self) -> i64 {
        let ahead = i64::from(self.before_days.iter().copied().max().unwrap_or(0));
        if self.working_days {
            // Long holidays (春节, 国庆) add up to about nine days.
            ahead * 2 + 10
        } else {
            ahead
        }
    }
}

/// An obligation not yet handed in (open, or returned).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiting {
    pub obligation_id: i32,
    pub department_id: i32,
    pub due_on: NaiveDate,
}

/// A receipt not yet acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unacknowledged {
    pub document_id: i32,
    pub department_id: i32,
    pub due_on: NaiveDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "stage", content = "days", rename_all = "snake_case")]
pub enum Stage {
    /// Due within this many days.
    Before(u32),
    DueToday,
    /// The n-th reminder while overdue.
    Overdue(u32),
    /// Escalation level n.
    Escalation(u32),
    /// The n-th receipt reminder (0 on its due day).
    Receipt(u32),
    /// The weekly digest of an ISO week (year × 100 + week).
    Digest(u32),
    /// Chased now by a person from the ledger (一键催办).
    Manual,
}

/// A notice due now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reminder {
    pub key: String,
    pub stage: Stage,
    pub obligation_id: Option<i32>,
    pub document_id: Option<i32>,
    pub department_id: Option<i32>,
    /// Days left (negative: overdue), in the policy's kind of days.
    pub days: i64,
}

/// Days from `today` to `due` (negative when past), in calendar or working days. Working
/// days count the days after `today` up to `due` that are working days.
fn distance(today: NaiveDate, due: NaiveDate, policy: &Policy, cal: &Calendar) -> i64 {
    let calendar_days = (due - today).num_days();
    if !policy.working_days || calendar_days == 0 {
        return calendar_days;
    }
    let (from, to, sign) = if calendar_days > 0 {
        (today, due, 1)
    } else {
        (due, today, -1)
    };
    let n = from
        .iter_days()
        .skip(1)
        .take_while(|d| *d <= to)
        .filter(|d| cal.is_working_day(*d))
        .count() as i64;
    sign * n
}

/// Every notice due at `now` (local time) that has not been sent.
pub fn plan(
    waiting: &[Waiting],
    receipts: &[Unacknowledged],
    now: NaiveDateTime,
    policy: &Policy,
    cal: &Calendar,
    sent: &HashSet<String>,
) -> Vec<Reminder> {
    let today = now.date();
    let every = policy.overdue_every_days.max(1) as i64;
    let mut out = Vec::new();
    let mut push = |key: String, stage, obligation, document, department, days| {
        if !sent.contains(&key) {
            out.push(Reminder {
                key,
                stage,
                obligation_id: obligation,
                document_id: document,
                department_id: department,
                days,
            });
        }
    };
    for w in waiting {
        let days = distance(today, w.due_on, policy, cal);
        let ob = Some(w.obligation_id);
        let dept = Some(w.department_id);
        if days > 0 {
            // The tightest window the obligation is in: 2 days left means the 3-day notice.
            if let Some(t) = policy
                .before_days
                .iter()
                .copied()
                .filter(|t| days <= i64::from(*t))
                .min()
            {
                let key = format!("before:{}:{t}", w.obligation_id);
                push(key, Stage::Before(t), ob, None, dept, days);
            }
        } else if days == 0 {
            if policy.on_due_day {
                let key = format!("due:{}", w.obligation_id);
                push(key, Stage::DueToday, ob, None, dept, days);
            }
        } else {
            let overdue = -days;
            let n = ((overdue + every - 1) / every) as u32;
            let key = format!("overdue:{}:{n}", w.obligation_id);
            push(key, Stage::Overdue(n), ob, None, dept, days);
            if let Some(level) = policy
                .escalation
                .iter()
                .rposition(|rung| overdue >= i64::from(rung.after_days))
            {
                let level = level as u32 + 1;
                let key = format!("escalate:{}:{level}", w.obligation_id);
                push(key, Stage::Escalation(level), ob, None, dept, days);
            }
        }
    }
    if policy.receipts {
        for r in receipts {
            let days = distance(today, r.due_on, policy, cal);
            if days <= 0 {
                let n = ((-days + every - 1) / every) as u32;
                let key = format!("receipt:{}:{}:{n}", r.document_id, r.department_id);
                push(
                    key,
                    Stage::Receipt(n),
                    None,
                    Some(r.document_id),
                    Some(r.department_id),
                    days,
                );
            }
        }
    }
    if let Some(Digest { weekday, hour }) = policy.digest {
        if now.weekday() == weekday && now.hour() >= hour {
            let week = today.iso_week();
            let id = week.year() as u32 * 100 + week.week();
            let key = format!("digest:{}-W{:02}", week.year(), week.week());
            push(key, Stage::Digest(id), None, None, None, 0);
        }
    }
    out
}

/// What kind of email a batch becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MailKind {
    /// Upcoming, due and overdue items and unacknowledged receipts, to the people who must act.
    Reminder,
    /// Items overdue past a rung of the ladder, per department, with the rung's copies.
    Escalation,
    /// The office's weekly overview.
    Digest,
}

impl MailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::Reminder => "reminder",
            MailKind::Escalation => "escalation",
            MailKind::Digest => "digest",
        }
    }
}

/// Who can be written to. Each list holds addresses as they will be written.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    /// A department's own addresses and its liaisons'.
    pub departments: HashMap<i32, Vec<String>>,
    /// A department head's addresses.
    pub heads: HashMap<i32, Vec<String>>,
    /// The addresses of the leaders who oversee each department (分管领导).
    pub leaders: HashMap<i32, Vec<String>>,
    pub office: Vec<String>,
}

/// One email to be: its recipients and the reminders (by index into the plan) it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub kind: MailKind,
    /// Set when every item belongs to one department.
    pub department_id: Option<i32>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub items: Vec<usize>,
}

/// The emails for one run, and the reminders nobody could be written to about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batches {
    pub envelopes: Vec<Envelope>,
    pub unaddressed: Vec<usize>,
}

/// Adds addresses not already present (compared without case).
fn add_unique(list: &mut Vec<String>, more: &[String], except: &[String]) {
    for a in more {
        let seen = |l: &[String]| l.iter().any(|x| x.eq_ignore_ascii_case(a));
        if !seen(list) && !seen(except) {
            list.push(a.clone());
        }
    }
}

/// One unit's items for the channels beyond email (its group robot, SMS): one message per
/// unit and kind, reminders apart from escalations. Digests (to the office) and items of no
/// unit are not among them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitMessage {
    pub department_id: i32,
    pub kind: MailKind,
    /// Indexes into the plan, in plan order.
    pub items: Vec<usize>,
}

pub fn by_unit(reminders: &[Reminder]) -> Vec<UnitMessage> {
    let mut groups: BTreeMap<(i32, bool), Vec<usize>> = BTreeMap::new();
    for (i, r) in reminders.iter().enumerate() {
        let escalation = match r.stage {
            Stage::Digest(_) => continue,
            Stage::Escalation(_) => true,
            _ => false,
        };
        if let Some(d) = r.department_id {
            groups.entry((d, escalation)).or_default().push(i);
        }
    }
    groups
        .into_iter()
        .map(|((department_id, escalation), items)| UnitMessage {
            department_id,
            kind: if escalation {
                MailKind::Escalation
            } else {
                MailKind::Reminder
            },
            items,
        })
        .collect()
}

/// Groups a run's reminders into emails. Each address receives at most one reminder email
/// listing all its items (addresses with the same items share it); escalations go one per
/// department, copied as the ladder says; the digest goes to the office.
pub fn batch(reminders: &[Reminder], policy: &Policy, dir: &Directory) -> Batches {
    let none = Vec::new();
    let of_department = |d: Option<i32>| d.and_then(|d| dir.departments.get(&d)).unwrap_or(&none);
    let mut out = Batches::default();

    // Reminder items by address (lower-cased), then addresses by identical item lists.
    let mut by_address: BTreeMap<String, (String, Vec<usize>)> = BTreeMap::new();
    let mut escalations: BTreeMap<i32, Vec<usize>> = BTreeMap::new();
    for (i, r) in reminders.iter().enumerate() {
        match r.stage {
            Stage::Escalation(_) => match r.department_id {
                Some(d) => escalations.entry(d).or_default().push(i),
                None => out.unaddressed.push(i),
            },
            Stage::Digest(_) => {
                if dir.office.is_empty() {
                    out.unaddressed.push(i);
                } else {
                    out.envelopes.push(Envelope {
                        kind: MailKind::Digest,
                        department_id: None,
                        to: dir.office.clone(),
                        cc: Vec::new(),
                        items: vec![i],
                    });
                }
            }
            _ => {
                let addresses = of_department(r.department_id);
                if addresses.is_empty() {
                    out.unaddressed.push(i);
                }
                for a in addresses {
                    by_address
                        .entry(a.to_lowercase())
                        .or_insert_with(|| (a.clone(), Vec::new()))
                        .1
                        .push(i);
                }
            }
        }
    }
    let mut by_items: BTreeMap<Vec<usize>, Vec<String>> = BTreeMap::new();
    for (_, (address, mut items)) in by_address {
        items.dedup();
        by_items.entry(items).or_default().push(address);
    }
    for (items, to) in by_items {
        let first = reminders[items[0]].department_id;
        let one_department = items.iter().all(|i| reminders[*i].department_id == first);
        out.envelopes.push(Envelope {
            kind: MailKind::Reminder,
            department_id: first.filter(|_| one_department),
            to,
            cc: Vec::new(),
            items,
        });
    }

    for (department, items) in escalations {
        let mut to = of_department(Some(department)).clone();
        let mut cc = Vec::new();
        let levels: std::collections::BTreeSet<u32> = items
            .iter()
            .filter_map(|i| match reminders[*i].stage {
                Stage::Escalation(level) => Some(level),
                _ => None,
            })
            .collect();
        for level in levels {
            let Some(rung) = policy.escalation.get(level as usize - 1) else {
                continue;
            };
            for copy in &rung.copy {
                let list = match copy {
                    Copy::DepartmentHead => dir.heads.get(&department).unwrap_or(&none),
                    Copy::Leaders => dir.leaders.get(&department).unwrap_or(&none),
                    Copy::Office => &dir.office,
                };
                add_unique(&mut cc, list, &to);
            }
        }
        if to.is_empty() {
            // Nobody at the department to write to: the copies become the recipients.
            to = std::mem::take(&mut cc);
        }
        if to.is_empty() {
            out.unaddressed.extend(items);
        } else {
            out.envelopes.push(Envelope {
                kind: MailKind::Escalation,
                department_id: Some(department),
                to,
                cc,
                items,
            });
        }
    }
    out.unaddressed.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn at(m: u32, day: u32, h: u32) -> NaiveDateTime {
        d(m, day).and_hms_opt(h, 0, 0).unwrap()
    }

    fn waiting(id: i32, due: NaiveDate) -> Waiting {
        Waiting {
            obligation_id: id,
            department_id: 100 + id,
            due_on: due,
        }
    }

    fn keys(r: &[Reminder]) -> Vec<&str> {
        r.iter().map(|r| r.key.as_str()).collect()
    }

    fn no_digest() -> Policy {
        Policy {
            digest: None,
            ..Policy::default()
        }
    }

    #[test]
    fn each_stage_is_planned_once_and_a_missed_run_catches_up_with_the_current_one() {
        let cal = Calendar::default();
        let p = no_digest();
        let ob = [waiting(1, d(4, 10))];
        let mut sent = HashSet::new();
        let run = |now: NaiveDateTime, sent: &mut HashSet<String>| {
            let r = plan(&ob, &[], now, &p, &cal, sent);
            for x in &r {
                sent.insert(x.key.clone());
            }
            keys(&r).into_iter().map(str::to_string).collect::<Vec<_>>()
        };
        assert!(run(at(3, 20, 9), &mut sent).is_empty(), "21 days out");
        assert_eq!(run(at(4, 3, 9), &mut sent), ["before:1:7"]);
        assert!(
            run(at(4, 3, 15), &mut sent).is_empty(),
            "a rerun sends nothing"
        );
        // The runs on 04-07 and 04-08 were missed: on 04-08 (2 days left) the 3-day notice.
        assert_eq!(run(at(4, 8, 9), &mut sent), ["before:1:3"]);
        assert_eq!(run(at(4, 9, 9), &mut sent), ["before:1:1"]);
        assert_eq!(run(at(4, 10, 9), &mut sent), ["due:1"]);
        assert_eq!(run(at(4, 11, 9), &mut sent), ["overdue:1:1"]);
        assert!(run(at(4, 12, 9), &mut sent).is_empty(), "every 2 days");
        assert_eq!(
            run(at(4, 13, 9), &mut sent),
            ["overdue:1:2", "escalate:1:1"]
        );
        assert_eq!(
            run(at(4, 17, 9), &mut sent),
            ["overdue:1:4", "escalate:1:2"]
        );
    }

    #[test]
    fn working_days_skip_the_national_day_holiday() {
        let cal = Calendar::china();
        let p = Policy {
            working_days: true,
            ..no_digest()
        };
        let ob = [waiting(1, d(10, 8))];
        // From 09-30, the next working day is 10-08: one working day left.
        let r = plan(&ob, &[], at(9, 30, 9), &p, cal, &HashSet::new());
        assert_eq!(keys(&r), ["before:1:1"]);
        // In calendar days it would be eight days out: no notice yet.
        let r = plan(&ob, &[], at(9, 30, 9), &no_digest(), cal, &HashSet::new());
        assert!(r.is_empty());
        // Overdue by working days: 10-08 → 10-10 (a make-up Saturday) is 2 working days.
        let r = plan(&ob, &[], at(10, 10, 9), &p, cal, &HashSet::new());
        assert_eq!(keys(&r), ["overdue:1:1"]);
    }

    #[test]
    fn receipts_and_the_weekly_digest() {
        let cal = Calendar::default();
        let receipts = [Unacknowledged {
            document_id: 7,
            department_id: 3,
            due_on: d(3, 5),
        }];
        let p = Policy::default();
        assert!(plan(&[], &receipts, at(3, 4, 9), &p, &cal, &HashSet::new())
            .iter()
            .all(|r| !r.key.starts_with("receipt")));
        let on_day = plan(&[], &receipts, at(3, 5, 8), &p, &cal, &HashSet::new());
        assert_eq!(keys(&on_day), ["receipt:7:3:0"]);
        // 2026-03-09 is a Monday: the digest is due from 09:00, once for the week.
        assert!(plan(&[], &[], at(3, 9, 8), &p, &cal, &HashSet::new()).is_empty());
        let digest = plan(&[], &[], at(3, 9, 10), &p, &cal, &HashSet::new());
        assert_eq!(keys(&digest), ["digest:2026-W11"]);
        let sent: HashSet<String> = ["digest:2026-W11".to_string()].into();
        assert!(plan(&[], &[], at(3, 9, 11), &p, &cal, &sent).is_empty());
    }
    fn reminder(key: &str, stage: Stage, department: i32) -> Reminder {
        Reminder {
            key: key.into(),
            stage,
            obligation_id: Some(1),
            document_id: None,
            department_id: Some(department),
            days: 0,
        }
    }

    #[test]
    fn other_channels_get_one_message_per_unit_and_kind() {
        let plan = [
            reminder("before:1:7", Stage::Before(7), 2),
            reminder("escalate:5:1", Stage::Escalation(1), 1),
            reminder("due:2", Stage::DueToday, 1),
            reminder("digest:2026-W11", Stage::Digest(11), 1),
            reminder("overdue:3:1", Stage::Overdue(1), 1),
            Reminder {
                department_id: None,
                ..reminder("receipt:9", Stage::Receipt(0), 0)
            },
        ];
        let groups: Vec<(i32, MailKind, Vec<usize>)> = by_unit(&plan)
            .into_iter()
            .map(|g| (g.department_id, g.kind, g.items))
            .collect();
        assert_eq!(
            groups,
            [
                (1, MailKind::Reminder, vec![2, 4]),
                (1, MailKind::Escalation, vec![1]),
                (2, MailKind::Reminder, vec![0]),
            ]
        );
    }

    #[test]
    fn one_email_per_recipient_with_all_their_items_and_escalations_per_department() {
        let dir = Directory {
            departments: HashMap::from([
                (1, vec!["hr@x.cn".into(), "liaison@x.cn".into()]),
                (2, vec!["fin@x.cn".into(), "LIAISON@x.cn".into()]),
                (3, vec![]),
            ]),
            heads: HashMap::from([(1, vec!["head@x.cn".into()])]),
            // leader@ oversees department 1, other@ department 2 only.
            leaders: HashMap::from([
                (1, vec!["leader@x.cn".into()]),
                (2, vec!["other@x.cn".into()]),
            ]),
            office: vec!["office@x.cn".into(), "hr@x.cn".into()],
        };
        let plan = [
            reminder("before:1:7", Stage::Before(7), 1),
            reminder("due:2", Stage::DueToday, 1),
            reminder("overdue:3:1", Stage::Overdue(1), 2),
            reminder("due:4", Stage::DueToday, 3),
            reminder("escalate:5:1", Stage::Escalation(1), 1),
            reminder("escalate:6:2", Stage::Escalation(2), 1),
            reminder("escalate:7:1", Stage::Escalation(1), 3),
        ];
        let b = batch(&plan, &Policy::default(), &dir);
        let reminders: Vec<_> = b
            .envelopes
            .iter()
            .filter(|e| e.kind == MailKind::Reminder)
            .map(|e| (e.to.clone(), e.items.clone(), e.department_id))
            .collect();
        // hr@ has department 1's two items; fin@ department 2's one; the liaison on both
        // departments' lists gets one email with all three. Emails come in plan order.
        assert_eq!(
            reminders,
            [
                (vec!["hr@x.cn".to_string()], vec![0, 1], Some(1)),
                (vec!["liaison@x.cn".to_string()], vec![0, 1, 2], None),
                (vec!["fin@x.cn".to_string()], vec![2], Some(2)),
            ]
        );
        let escalations: Vec<_> = b
            .envelopes
            .iter()
            .filter(|e| e.kind == MailKind::Escalation)
            .collect();
        assert_eq!(escalations.len(), 1, "department 3 has nobody to write to");
        assert_eq!(escalations[0].items, [4, 5]);
        assert_eq!(escalations[0].to, ["hr@x.cn", "liaison@x.cn"]);
        // Level 1 copies the head, level 2 the department's own leaders (not other@, who
        // oversees another) and the office (hr@ is already a recipient, so it is not copied
        // again).
        assert_eq!(
            escalations[0].cc,
            ["head@x.cn", "leader@x.cn", "office@x.cn"]
        );
        // Department 3 has no address: its escalation goes to the copies instead (it has no
        // head either, and level 1 copies only the head), so it is unaddressed, like its
        // due-day reminder.
        assert_eq!(b.unaddressed, [3, 6]);
    }

    #[test]
    fn the_digest_goes_to_the_office_or_waits_for_an_address() {
        let plan = [Reminder {
            key: "digest:2026-W11".into(),
            stage: Stage::Digest(202611),
            obligation_id: None,
            document_id: None,
            department_id: None,
            days: 0,
        }];
        let b = batch(&plan, &Policy::default(), &Directory::default());
        assert!(b.envelopes.is_empty());
        assert_eq!(b.unaddressed, [0]);
        let dir = Directory {
            office: vec!["office@x.cn".into()],
            ..Directory::default()
        };
        let b = batch(&plan, &Policy::default(), &dir);
        assert_eq!(b.envelopes[0].kind, MailKind::Digest);
        assert_eq!(b.envelopes[0].to, ["office@x.cn"]);
    }

    #[test]
    fn a_policy_with_rungs_out_of_order_is_refused() {
        let mut p = Policy::default();
        assert!(p.validate().is_ok());
        p.escalation.swap(0, 1);
        assert!(p.validate().unwrap_err().contains("逐级递增"));
        let p = Policy {
            overdue_every_days: 0,
            ..Policy::default()
        };
        assert!(p.validate().is_err());
    }
}
