//! Reminder planning (催办): which notices are due now. A pure function of the open
//! obligations and receipts, the local time, the policy, and the keys already sent. Each
//! notice carries an idempotency key — (kind, subject, stage) — so a rerun, a restart or a
//! second process plans nothing twice, and a run that was missed catches up with the stage
//! the subject is in now rather than sending every stage it skipped.

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike, Weekday};
use serde::Serialize;

use super::calendar::Calendar;

/// When to remind and whom to copy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Days before the due date (e.g. 7, 3, 1).
    pub before_days: Vec<u32>,
    pub on_due_day: bool,
    /// While overdue, one reminder every this many days.
    pub overdue_every_days: u32,
    /// Escalation levels by days overdue (e.g. 3: copy the department's head; 7: copy
    /// leaders and the office). Level n is the n-th entry.
    pub escalate_after_days: Vec<u32>,
    /// Remind departments that have not acknowledged receipt by its due date.
    pub receipts: bool,
    /// The weekly digest to the office: weekday and hour (local time).
    pub digest: Option<(Weekday, u32)>,
    /// Count days in working days (weekends and holidays skipped).
    pub working_days: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            before_days: vec![7, 3, 1],
            on_due_day: true,
            overdue_every_days: 2,
            escalate_after_days: vec![3, 7],
            receipts: true,
            digest: Some((Weekday::Mon, 9)),
            working_days: false,
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
                .escalate_after_days
                .iter()
                .rposition(|after| overdue >= i64::from(*after))
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
    if let Some((weekday, hour)) = policy.digest {
        if now.weekday() == weekday && now.hour() >= hour {
            let week = today.iso_week();
            let id = week.year() as u32 * 100 + week.week();
            let key = format!("digest:{}-W{:02}", week.year(), week.week());
            push(key, Stage::Digest(id), None, None, None, 0);
        }
    }
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
}
