//! Reminders (`cargo bench --bench reminders`):
//! 1. planning alone for 10,000 open obligations and 2,000 receipts, in working days — the
//!    slower count — and in calendar days;
//! 2. a whole queueing run (load, plan, batch, render, record) on demo data in SQLite;
//! 3. delivery throughput to an SMTP receiver on 127.0.0.1 over pooled connections.

#[path = "../tests/api/smtp.rs"]
#[allow(dead_code)]
mod smtp;

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use chrono::{Duration, NaiveDate};
use diesel::prelude::*;
use duban::config::Settings;
use duban::db::outbox::{self, NewMessage};
use duban::db::schema::{departments, obligations};
use duban::domain::calendar::Calendar;
use duban::domain::reminders::{plan, Policy, Unacknowledged, Waiting};
use duban::mail::Transport;
use duban::reminders::Mailroom;

fn main() {
    planning_alone();
    let dir = tempfile::tempdir().unwrap();
    let smtp = smtp::SmtpReceiver::start();
    let vars: HashMap<&str, String> = HashMap::from([
        (
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("b.db").display()),
        ),
        ("DUBAN_DATA_DIR", dir.path().display().to_string()),
        ("DUBAN_SMTP_URL", smtp.url()),
    ]);
    let settings = Settings::load(&|k| vars.get(k).cloned()).unwrap();
    let mut conn = duban::startup::open_connection(&settings).unwrap();
    queueing_on_demo_data(&mut conn, &settings);
    delivery(&mut conn, &settings, &smtp);
}

fn planning_alone() {
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

/// Demo data (4 copies of the plan, 132 departments), every department with an address,
/// and 40% of the obligations reopened so there is much to chase.
fn queueing_on_demo_data(conn: &mut duban::db::DbConn, settings: &Settings) {
    let now = chrono::Utc::now().naive_utc();
    let today = now.date();
    duban::demo::generate(conn, settings, 4, today, now, "bench").unwrap();
    diesel::sql_query("UPDATE departments SET email = 'dept' || id || '@example.gov.cn'")
        .execute(conn)
        .unwrap();
    diesel::sql_query("UPDATE obligations SET state = 'open' WHERE id % 5 < 2")
        .execute(conn)
        .unwrap();
    let total: i64 = obligations::table.count().get_result(conn).unwrap();
    let open: i64 = obligations::table
        .filter(obligations::state.eq("open"))
        .count()
        .get_result(conn)
        .unwrap();
    let depts: i64 = departments::table.count().get_result(conn).unwrap();
    let mailroom = Mailroom::with_transport(Transport::Memory(Default::default())).unwrap();
    let runner = mailroom.runner(settings);
    for dry_run in [true, false] {
        let start = Instant::now();
        let (summary, _) = runner.queue(conn, now, dry_run).unwrap();
        println!(
            "queue run on demo data ({total} obligations, {open} open, {depts} departments){}: \
             {} reminders in {} emails in {:?}",
            if dry_run { ", dry run" } else { "" },
            summary.planned,
            summary.emails,
            start.elapsed()
        );
    }
    let start = Instant::now();
    let (summary, _) = runner.queue(conn, now, false).unwrap();
    println!(
        "rerun: {} reminders in {:?}",
        summary.planned,
        start.elapsed()
    );
}

/// 1,000 queued emails delivered to the local receiver.
fn delivery(conn: &mut duban::db::DbConn, settings: &Settings, smtp: &smtp::SmtpReceiver) {
    diesel::delete(duban::db::schema::chase_log::table)
        .execute(conn)
        .unwrap();
    diesel::delete(duban::db::schema::outbox::table)
        .execute(conn)
        .unwrap();
    let now = chrono::Utc::now().naive_utc();
    let body = "您好：以下事项需要办理。\n".repeat(40);
    let html = format!("<p>{}</p>", body);
    const N: usize = 1_000;
    conn.transaction(|conn| {
        for i in 0..N {
            outbox::insert(
                conn,
                &NewMessage {
                    channel: "email",
                    department_id: None,
                    payload: "",
                    kind: "reminder",
                    to_addrs: &format!("dept{i}@example.gov.cn, liaison{i}@example.gov.cn"),
                    cc_addrs: "",
                    subject: "【督办提醒】共 3 项待办",
                    body_text: &body,
                    body_html: &html,
                    message_id: &format!("<bench-{i}@example.gov.cn>"),
                    item_count: 3,
                    state: "queued",
                    next_attempt_at: now,
                    created_at: now,
                },
            )?;
        }
        diesel::QueryResult::Ok(())
    })
    .unwrap();
    let mailroom = Mailroom::new(settings).unwrap();
    let runner = mailroom.runner(settings);
    let start = Instant::now();
    let delivered = runner.deliver(conn, now).unwrap();
    let took = start.elapsed();
    let received = smtp.wait_for(N).len();
    println!(
        "delivery: {} emails sent ({received} received) over pooled SMTP in {:?}: {:.0} emails/s",
        delivered.sent,
        took,
        delivered.sent as f64 / took.as_secs_f64()
    );
}
