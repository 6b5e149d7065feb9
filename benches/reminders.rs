//! Reminder planning for 10,000 open obligations and 2,000 receipts (`cargo bench --bench
//! reminders`), in working days — the slower count — and in calendar days.

use std::collections::HashSet;
use std::time::Instant;

use chrono::{Duration, NaiveDate};
use duban::domain::calendar::Calendar;
use duban::domain::reminders::{plan, Policy, Unacknowledged, Waiting};

fn main() {
    let today = NaiveDate::from_ymd_opt(2026, 9, 28).unwrap();
    let waiting: Vec<Waiting> = (0..10_000)
        .map(|i| Waiting {
            obligation_id: i,
            department_id: i % 2_000,
            due_on: today + Duration::days(i64::from(i % 60) - 30),
        })
        .collect();
    let receipts: Vec<Unacknowledged> = (0..2_000)
        .map(|i| Unacknowledged {
            document_id: i / 33,
            department_id: i,
            due_on: today - Duration::days(i64::from(i % 10)),
        })
        .collect();
    let now = today.and_hms_opt(9, 30, 0).unwrap();
    for working_days in [true, false] {
        let policy = Policy {
            working_days,
            ..Policy::default()
        };
        let start = Instant::now();
        let planned = plan(
            &waiting,
            &receipts,
            now,
            &policy,
            Calendar::china(),
            &HashSet::new(),
        );
        let first = start.elapsed();
        let sent: HashSet<String> = planned.iter().map(|r| r.key.clone()).collect();
        let start = Instant::now();
        let again = plan(&waiting, &receipts, now, &policy, Calendar::china(), &sent);
        println!(
            "plan 10,000 obligations + 2,000 receipts ({}): {} reminders in {:?}; rerun with them sent: {} in {:?}",
            if working_days { "working days" } else { "calendar days" },
            planned.len(),
            first,
            again.len(),
            start.elapsed()
        );
    }
}
