//! Demo data (`duban demo-data --scale N`): N copies of the bundled plan, each with its own
//! departments and liaisons, and 24 monthly periods of history — reports on time, late,
//! returned and resubmitted, or missing — so scorecards have something to show and
//! benchmarks something to chew. Deterministic: the same scale gives the same data.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use diesel::prelude::*;

use crate::config::Settings;
use crate::db::audit::{self, Details, NewAuditEntry};
use crate::db::reports;
use crate::db::schema::{obligations, reports as reports_table, users};
use crate::db::{obligations as obligation_rows, DbConn};
use crate::domain::importer::{self, ParsedDocument};
use crate::domain::reporting::{Progress, ReportContent};
use crate::reporting::{import_document, ScheduleInput};

/// What was made.
#[derive(Debug, Clone, Default)]
pub struct DemoOutcome {
    pub documents: usize,
    pub departments: usize,
    pub obligations: usize,
    pub reports: usize,
}

/// A small deterministic generator (64-bit LCG): demo data must not change between runs.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % sides
    }
}

fn at(day: NaiveDate, hour: u32) -> NaiveDateTime {
    day.and_time(NaiveTime::from_hms_opt(hour, 0, 0).expect("valid hour")) - Duration::hours(8)
}

/// Copy `k` of the plan: its own number, title and department names.
fn copy_of(seed: &ParsedDocument, k: usize) -> ParsedDocument {
    let mut doc = seed.clone();
    doc.number = Some(format!("演示〔2024〕{k}号"));
    doc.title = doc.title.map(|t| format!("（演示{k}）{t}"));
    for d in &mut doc.departments {
        d.name = format!("演示{k}·{}", d.name);
        d.aliases.clear();
    }
    doc
}

pub fn generate(
    conn: &mut DbConn,
    settings: &Settings,
    scale: usize,
    today: NaiveDate,
    now: NaiveDateTime,
    actor: &str,
) -> anyhow::Result<DemoOutcome> {
    anyhow::ensure!((1..=1000).contains(&scale), "--scale must be 1–1000");
    let seed = importer::parse(crate::startup::BUNDLED_DOCUMENT)?;
    // One password hash for every demo liaison (hashing thousands would take minutes).
    let hash = crate::security::hash_password("demo-password")?;
    let start = today - Duration::days(730);
    let mut out = DemoOutcome::default();
    for k in 1..=scale {
        let doc = copy_of(&seed, k);
        let schedule = ScheduleInput {
            cadence: "monthly".into(),
            starts_on: start,
            periods: 24,
            custom_periods: String::new(),
            due_days: settings.reporting.due_days as i32,
            co_days: settings.reporting.co_days as i32,
            ask_problems: true,
            ask_next_steps: true,
            due_day: None,
        };
        conn.transaction::<_, anyhow::Error, _>(|conn| {
            let (stored, sync) = import_document(
                conn,
                &doc,
                crate::startup::BUNDLED_DOCUMENT,
                false,
                actor,
                now,
                &schedule,
            )
            .map_err(|e| anyhow::anyhow!("demo document {k}: {e}"))?;
            out.documents += 1;
            out.obligations += sync.created;
            // A liaison for each department.
            let depts = crate::db::scores::departments_of(conn, stored.document_id)?;
            for (i, (id, _)) in depts.iter().enumerate() {
                diesel::insert_into(users::table)
                    .values((
                        users::username.eq(format!("demo{k}-{}", i + 1)),
                        users::display_name.eq(format!("演示联络员 {k}-{}", i + 1)),
                        users::email.eq(""),
                        users::role.eq("liaison"),
                        users::department_id.eq(Some(*id)),
                        users::active.eq(true),
                        users::password_hash.eq(&hash),
                        users::failed_logins.eq(0),
                        users::created_at.eq(now),
                    ))
                    .execute(conn)?;
            }
            out.departments += depts.len();
            out.reports += history(conn, stored.document_id, today, k as u64)?;
            Ok(())
        })?;
    }
    audit::record(
        conn,
        NewAuditEntry {
            at: now,
            actor,
            action: "demo.generate",
            entity: "document",
            entity_id: None,
            summary: &Details::new("demo.generate")
                .arg("scale", scale)
                .arg("documents", out.documents)
                .arg("departments", out.departments)
                .arg("obligations", out.obligations)
                .arg("reports", out.reports)
                .to_string(),
        },
    )?;
    Ok(out)
}

/// Reports for every obligation already due: a believable mix.
fn history(
    conn: &mut DbConn,
    document_id: i32,
    today: NaiveDate,
    seed: u64,
) -> anyhow::Result<usize> {
    let mut dice = Dice(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let obs = obligation_rows::for_document(conn, Some(document_id))?;
    let mut made = 0;
    for (i, ob) in obs.iter().enumerate() {
        if ob.due_on >= today {
            continue;
        }
        let roll = dice.roll(100);
        let months_in = (ob.period_start - (today - Duration::days(730))).num_days() / 30;
        let percent = (20 + months_in * 4 + dice.roll(10) as i64).min(100) as i32;
        let content = ReportContent {
            summary: format!(
                "{}按计划推进{}。本期完成既定工作。",
                ob.department, ob.period_label
            ),
            problems: if roll.is_multiple_of(9) {
                "配套资金尚未到位，部分工作进度滞后。".into()
            } else {
                String::new()
            },
            next_steps: "下一步继续落实，按期报送佐证材料。".into(),
            percent,
            progress: if roll.is_multiple_of(9) {
                Progress::AtRisk
            } else if percent >= 100 {
                Progress::Completed
            } else {
                Progress::OnTrack
            },
        };
        let author = "demo";
        let (submitted, returned, accepted) = match roll {
            0..=59 => (Some(ob.due_on - Duration::days(2)), false, true),
            60..=74 => (Some(ob.due_on + Duration::days(5)), false, true),
            75..=86 => (Some(ob.due_on - Duration::days(1)), true, true),
            87..=94 => (None, false, false),
            _ => (Some(ob.due_on - Duration::days(1)), false, false),
        };
        let Some(day) = submitted.filter(|d| *d < today) else {
            continue;
        };
        let first = reports::insert(conn, ob.id, 1, "submitted", &content, author, at(day, 10))?;
        made += 1;
        let mut state = "submitted";
        if returned {
            reports::add_review(
                conn,
                first,
                "admin",
                "return",
                "请补充佐证材料",
                at(day + Duration::days(1), 9),
            )?;
            set_report_state(conn, first, "returned")?;
            let again = day + Duration::days(4);
            if again < today {
                let second =
                    reports::insert(conn, ob.id, 2, "submitted", &content, author, at(again, 10))?;
                made += 1;
                if again + Duration::days(1) < today {
                    reports::add_review(
                        conn,
                        second,
                        "admin",
                        "accept",
                        "",
                        at(again + Duration::days(1), 9),
                    )?;
                    set_report_state(conn, second, "accepted")?;
                    state = "accepted";
                }
            } else {
                state = "returned";
            }
        } else if accepted && day + Duration::days(1) < today {
            reports::add_review(
                conn,
                first,
                "admin",
                "accept",
                "",
                at(day + Duration::days(1), 9),
            )?;
            set_report_state(conn, first, "accepted")?;
            state = "accepted";
        }
        diesel::update(obligations::table.find(ob.id))
            .set((
                obligations::state.eq(state),
                obligations::handed_in_on.eq(day),
            ))
            .execute(conn)?;
        if i % 5000 == 4999 {
            tracing::debug!(done = i + 1, "demo history");
        }
    }
    Ok(made)
}

fn set_report_state(conn: &mut DbConn, id: i32, state: &str) -> QueryResult<usize> {
    diesel::update(reports_table::table.find(id))
        .set(reports_table::state.eq(state))
        .execute(conn)
}
