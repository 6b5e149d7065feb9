//! Reminders (催办) end to end: `duban remind` against a real SMTP conversation on
//! 127.0.0.1, the outbox and chase log through the API and pages, and the server's own
//! scheduler writing `.eml` files.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use duban::db::schema::{departments, obligations};

use crate::helpers::*;
use crate::smtp::{Received, SmtpReceiver};

const HR: &str = "地区人社局";
const FINANCE: &str = "地区财政局";

/// Sets a department's addresses through the API; returns its id.
async fn set_addresses(app: &TestApp, name: &str, email: &str, head: &str) -> i64 {
    let id = app.department_id(name).await;
    let mut res = app
        .client
        .patch(app.url(&format!("/api/v1/departments/{id}")))
        .insert_header(("Authorization", format!("Bearer {}", app.admin_token)))
        .send_json(&serde_json::json!({"email": email, "head_email": head}))
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200, "{:?}", res.body().await);
    id
}

/// Open obligations of a department in a period.
fn obligation_ids(app: &TestApp, department: &str, period: &str) -> HashSet<i32> {
    let mut conn = app.pool.get().unwrap();
    obligations::table
        .inner_join(departments::table)
        .filter(departments::name.eq(department))
        .filter(obligations::period_key.eq(period))
        .select(obligations::id)
        .load::<i32>(&mut *conn)
        .unwrap()
        .into_iter()
        .collect()
}

/// The obligation ids an email links to.
fn linked_obligations(m: &Received) -> HashSet<i32> {
    let text = m.text();
    text.split("/obligations/")
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .unwrap()
        })
        .collect()
}

fn remind(app: &TestApp, now: &str, smtp: &str) -> CliOutput {
    let out = app
        .db
        .cli_with(&["remind", "--now", now], &[("DUBAN_SMTP_URL", smtp)]);
    assert!(out.success(), "remind failed: {}", out.stderr());
    out
}

/// "planned N, sent N, failed N" → (N, N, N).
fn summary(out: &CliOutput) -> (usize, usize, usize) {
    let line = out.stdout();
    let n: Vec<usize> = line
        .trim()
        .split(", ")
        .map(|part| part.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(n.len(), 3, "{line}");
    (n[0], n[1], n[2])
}

/// Two departments with addresses and liaisons; the others have none.
async fn office_with_two_departments() -> TestApp {
    let app = spawn_app().await;
    set_addresses(
        &app,
        HR,
        "hr-office@example.gov.cn",
        "hr-head@example.gov.cn",
    )
    .await;
    set_addresses(&app, FINANCE, "finance@example.gov.cn", "").await;
    app.add_user("renshe", "liaison", Some(HR));
    app.add_user("caizheng", "liaison", Some(FINANCE));
    app
}

#[actix_web::test]
async fn each_recipient_gets_one_email_with_their_items_and_a_rerun_sends_nothing() {
    let app = office_with_two_departments().await;
    let smtp = SmtpReceiver::start();
    // 2026-04-08: the co units' Q1 reports (due 04-07) are a day late; the leads' (due
    // 04-10) have two days left.
    let out = remind(&app, "2026-04-08T09:00:00+08:00", &smtp.url());
    let hr_items = obligation_ids(&app, HR, "2026-Q1");
    let finance_items = obligation_ids(&app, FINANCE, "2026-Q1");
    assert!(!hr_items.is_empty() && !finance_items.is_empty());
    let (planned, sent, failed) = summary(&out);
    assert_eq!(
        planned,
        hr_items.len() + finance_items.len(),
        "{}",
        out.stderr()
    );
    assert_eq!((sent, failed), (2, 0));

    let messages = smtp.wait_for(2);
    assert_eq!(messages.len(), 2);
    let by_rcpt: HashMap<String, &Received> = messages
        .iter()
        .flat_map(|m| m.rcpt.iter().map(move |r| (r.clone(), m)))
        .collect();
    assert_eq!(
        by_rcpt.len(),
        messages.iter().map(|m| m.rcpt.len()).sum::<usize>(),
        "nobody receives two emails"
    );
    // The department's address and its liaison share one email with all its items.
    let hr = by_rcpt["hr-office@example.gov.cn"];
    let mut rcpt = hr.rcpt.clone();
    rcpt.sort();
    assert_eq!(rcpt, ["hr-office@example.gov.cn", "renshe@example.gov.cn"]);
    assert_eq!(linked_obligations(hr), hr_items);
    let finance = by_rcpt["caizheng@example.gov.cn"];
    assert_eq!(linked_obligations(finance), finance_items);

    // UTF-8 decodes: subject, plain text and HTML, with links to the site.
    let subject = hr.subject();
    assert!(subject.starts_with("【督办提醒】"), "{subject}");
    assert!(subject.contains("地区人社局"), "{subject}");
    let text = hr.text();
    assert!(
        text.contains("已逾期 1 天") && text.contains("还有 2 天"),
        "{text}"
    );
    assert!(
        text.contains("http://127.0.0.1:8080/obligations/"),
        "{text}"
    );
    assert!(hr.html().contains("<strong>已逾期</strong>"));
    assert!(hr.header("Message-ID").is_some_and(|id| id.contains('@')));
    assert!(hr.header("Date").is_some());

    // The same time again: nothing new.
    let again = remind(&app, "2026-04-08T15:00:00+08:00", &smtp.url());
    assert_eq!(summary(&again), (0, 0, 0));
    assert_eq!(smtp.messages().len(), 2);

    // The chase log is on the measure, as far as each reader may see it.
    let measure = app.measure_id(5).await;
    let detail = app.get_json(&format!("/api/v1/measures/{measure}")).await;
    let chased: Vec<&serde_json::Value> = detail["reminders"].as_array().unwrap().iter().collect();
    assert!(chased
        .iter()
        .any(|r| r["department"] == HR && r["email_state"] == "sent"));
    assert!(chased.iter().all(|r| r["period"] == "2026-Q1"));
    let hr_entry = chased.iter().find(|r| r["department"] == HR).unwrap();
    assert!(hr_entry["recipients"]
        .as_str()
        .unwrap()
        .contains("renshe@example.gov.cn"));
    let token = app.token_for("caizheng");
    let seen = app
        .api_json(&format!("/api/v1/measures/{measure}"), &token)
        .await;
    for r in seen["reminders"].as_array().unwrap() {
        assert_eq!(
            r["department"], FINANCE,
            "a liaison sees only their own chase"
        );
        assert!(r["recipients"].is_null());
    }
    let admin = app.login_admin().await;
    let page = app.get_as(&admin, &format!("/measures/{measure}")).await;
    assert!(page.body.contains("催办记录") && page.body.contains("逾期催办"));

    // The outbox lists both emails as sent.
    let outbox = app.get_json("/api/v1/outbox").await;
    let states: Vec<&str> = outbox
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["sent", "sent"]);
    let page = app.get_as(&admin, "/admin/outbox").await;
    assert!(page.body.contains("已发送"));
    // Departments nobody can be written to about are named for the office.
    assert!(page.body.contains("地区教育局"));
}

#[actix_web::test]
async fn overdue_work_escalates_to_the_head_then_to_leaders_and_the_office() {
    let app = office_with_two_departments().await;
    app.add_user("lingdao", "leader", None);
    app.add_user("fuze", "leader", None);
    let admin = app.login_admin().await;
    // 分管领导: lingdao oversees 人社局 and 教育局 (set on the user's admin page), fuze
    // 财政局 (through the API). Escalations copy only a unit's own leaders.
    let unit = |name: &'static str| {
        let app = &app;
        async move { app.department_id(name).await.to_string() }
    };
    let lingdao = app.user_id("lingdao").await;
    let set = app
        .post_as(
            &admin,
            &format!("/admin/users/{lingdao}/oversight"),
            &[
                ("department", unit(HR).await.as_str()),
                ("department", unit("地区教育局").await.as_str()),
            ],
        )
        .await;
    assert_eq!(set.status, 303, "{}", set.body);
    let page = app.get_as(&admin, &format!("/admin/users/{lingdao}")).await;
    let ticked = format!(r#"name="department" value="{}" checked"#, unit(HR).await);
    assert!(
        page.body.contains(&ticked),
        "the page shows what is overseen"
    );
    let fuze = app.user_id("fuze").await;
    let put = |body: serde_json::Value| {
        let req = app
            .client
            .put(app.url(&format!("/api/v1/users/{fuze}/departments")))
            .insert_header(("Authorization", format!("Bearer {}", app.admin_token)));
        async move { req.send_json(&body).await.unwrap().status().as_u16() }
    };
    assert_eq!(
        put(serde_json::json!({"department_ids": [999_999]})).await,
        422
    );
    assert_eq!(put(serde_json::json!({"units": []})).await, 422);
    let finance_id = app.department_id(FINANCE).await;
    assert_eq!(
        put(serde_json::json!({"department_ids": [finance_id]})).await,
        200
    );
    // Only leaders oversee units.
    let renshe = app.user_id("renshe").await;
    let refused = app
        .post_as(
            &admin,
            &format!("/admin/users/{renshe}/oversight"),
            &[("department", unit(HR).await.as_str())],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("只有领导账号可以设置分管单位"));
    // The office sets its own address and the ladder through the settings page.
    let form = app.get_as(&admin, "/admin/reminders").await;
    assert_eq!(form.status, 200);
    let saved = app
        .post_as(
            &admin,
            "/admin/reminders",
            &[
                ("before_days", "7, 3, 1"),
                ("on_due_day", "on"),
                ("overdue_every_days", "2"),
                ("receipts", "on"),
                ("digest_weekday", "mon"),
                ("digest_hour", "9"),
                ("office_emails", "ducha@example.gov.cn"),
                ("rung1_days", "3"),
                ("rung1_head", "on"),
                ("rung2_days", "7"),
                ("rung2_leaders", "on"),
                ("rung2_office", "on"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let bad = app
        .post_as(
            &admin,
            "/admin/reminders",
            &[("before_days", "7"), ("overdue_every_days", "zero")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("「zero」不是整数"));
    assert!(app
        .audit()
        .iter()
        .any(|e| e.action == "reminders.policy" && e.actor == "admin"));

    let smtp = SmtpReceiver::start();
    // Monday 2026-04-13: co reports 6 days late, leads' 3: the first rung for both
    // departments, and the weekly digest.
    remind(&app, "2026-04-13T09:30:00+08:00", &smtp.url());
    let messages = smtp.messages();
    let escalations: Vec<&Received> = messages
        .iter()
        .filter(|m| m.subject().starts_with("【督办升级】"))
        .collect();
    assert_eq!(escalations.len(), 2, "one per department");
    let hr = escalations
        .iter()
        .find(|m| m.subject().contains(HR))
        .unwrap();
    assert!(hr.rcpt.contains(&"hr-head@example.gov.cn".to_string()));
    assert!(!hr.rcpt.contains(&"lingdao@example.gov.cn".to_string()));
    assert!(hr.header("Cc").unwrap().contains("hr-head@example.gov.cn"));
    let digest = messages
        .iter()
        .find(|m| m.subject().starts_with("【督办周报】"))
        .expect("the Monday digest");
    assert_eq!(digest.rcpt, ["ducha@example.gov.cn"]);
    assert!(digest.text().contains(HR) && digest.text().contains(FINANCE));

    // 2026-04-17: a week late and more: the second rung copies leaders and the office.
    let before = smtp.messages().len();
    remind(&app, "2026-04-17T09:30:00+08:00", &smtp.url());
    let later: Vec<Received> = smtp.messages().split_off(before);
    let hr = later
        .iter()
        .find(|m| m.subject().starts_with("【督办升级】") && m.subject().contains(HR))
        .expect("a second-rung escalation");
    assert!(hr.subject().contains("第 2 级"), "{}", hr.subject());
    for who in ["lingdao@example.gov.cn", "ducha@example.gov.cn"] {
        assert!(hr.rcpt.contains(&who.to_string()), "{who} copied");
    }
    assert!(
        !hr.rcpt.contains(&"fuze@example.gov.cn".to_string()),
        "the leader of another unit is not copied"
    );
    let finance = later
        .iter()
        .find(|m| m.subject().starts_with("【督办升级】") && m.subject().contains(FINANCE))
        .expect("财政局's second-rung escalation");
    assert!(finance.rcpt.contains(&"fuze@example.gov.cn".to_string()));
    assert!(!finance.rcpt.contains(&"lingdao@example.gov.cn".to_string()));
    assert!(app
        .audit()
        .iter()
        .any(|e| e.action == "user.oversight" && e.summary.contains("地区教育局")));
    assert!(
        !later
            .iter()
            .any(|m| m.subject().starts_with("【督办周报】")),
        "one digest a week"
    );
}

#[actix_web::test]
async fn with_the_mail_server_down_mail_waits_and_goes_out_once_when_it_is_back() {
    let app = office_with_two_departments().await;
    let port = {
        let probe = SmtpReceiver::start();
        probe.port
    };
    let url = format!("smtp://127.0.0.1:{port}");
    let (planned, sent, failed) = summary(&remind(&app, "2026-04-08T09:00:00+08:00", &url));
    assert!(planned > 0);
    assert_eq!((sent, failed), (0, 2));
    let outbox = app.get_json("/api/v1/outbox").await;
    for e in outbox.as_array().unwrap() {
        assert_eq!(e["state"], "queued");
        assert_eq!(e["attempts"], 1);
        assert!(!e["last_error"].as_str().unwrap().is_empty());
    }
    // Within the back-off nothing is tried again.
    assert_eq!(
        summary(&remind(&app, "2026-04-08T09:00:30+08:00", &url)),
        (0, 0, 0)
    );

    let smtp = SmtpReceiver::start_on(port).expect("the port is free again");
    assert_eq!(
        summary(&remind(&app, "2026-04-08T09:05:00+08:00", &url)),
        (0, 2, 0)
    );
    assert_eq!(smtp.messages().len(), 2);
    assert_eq!(
        summary(&remind(&app, "2026-04-08T09:30:00+08:00", &url)),
        (0, 0, 0)
    );
    assert_eq!(smtp.messages().len(), 2, "delivered exactly once");
}

#[actix_web::test]
async fn an_email_that_keeps_failing_is_marked_failed_and_the_office_can_resend_it() {
    let app = office_with_two_departments().await;
    let config = app.db.data_dir().join("mail.toml");
    std::fs::write(&config, "[mail]\nmax_attempts = 1\n").unwrap();
    let port = SmtpReceiver::start().port;
    let url = format!("smtp://127.0.0.1:{port}");
    let tile = |n: usize| format!("href=\"/admin/outbox?state&#x3D;failed\"><strong>{n}</strong>");
    let office = app.login_admin().await;
    let home = app.get_as(&office, "/").await;
    assert!(home.body.contains(&tile(0)), "{}", home.body);
    let out = app.db.cli_with(
        &["remind", "--now", "2026-04-08T09:00:00+08:00"],
        &[
            ("DUBAN_SMTP_URL", &url),
            ("DUBAN_CONFIG", config.to_str().unwrap()),
        ],
    );
    assert_eq!(summary(&out).2, 2);
    let failed = app.get_json("/api/v1/outbox?state=failed").await;
    let failed = failed.as_array().unwrap();
    assert_eq!(failed.len(), 2);
    let id = failed[0]["id"].as_i64().unwrap();
    // The office's kept workbench counts the failures the other process recorded.
    let home = app.get_as(&office, "/").await;
    assert!(home.body.contains(&tile(2)), "{}", home.body);
    // And so does the navigation, on every page.
    let ledger = app.get_as(&office, "/ledger").await;
    assert!(ledger.body.contains("title=\"2 条催办发送失败\">2</span>"));

    let admin = app.login_admin().await;
    let page = app.get_as(&admin, "/admin/outbox?state=failed").await;
    assert!(page.body.contains("发送失败") && page.body.contains("重发"));
    let resent = app
        .post_as(&admin, &format!("/admin/outbox/{id}/resend"), &[])
        .await;
    assert_eq!(resent.status, 303);
    let again = app
        .post_as(&admin, &format!("/admin/outbox/{id}/resend"), &[])
        .await;
    assert_eq!(again.status, 409, "only a failed email can be resent");
    assert!(app
        .audit()
        .iter()
        .any(|e| e.action == "outbox.resend" && e.entity_id == Some(id as i32)));
    let bad = app
        .api_get("/api/v1/outbox?state=lost", &app.admin_token)
        .await;
    assert_eq!(bad.status, 422);

    let smtp = SmtpReceiver::start_on(port).expect("the port is free again");
    let out = remind(&app, "2026-04-08T10:00:00+08:00", &url);
    assert_eq!(summary(&out), (0, 1, 0));
    assert_eq!(smtp.messages().len(), 1);
}

#[actix_web::test]
async fn two_remind_processes_started_at_once_send_each_reminder_once() {
    let app = office_with_two_departments().await;
    let smtp = SmtpReceiver::start();
    let now = "2026-04-08T09:00:00+08:00";
    let dry = app.db.cli_with(
        &["remind", "--now", now, "--dry-run"],
        &[("DUBAN_SMTP_URL", &smtp.url())],
    );
    let (expected, _, _) = summary(&dry);
    assert!(expected > 0);
    assert!(smtp.messages().is_empty(), "a dry run sends nothing");

    let env = [("DUBAN_SMTP_URL", smtp.url())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let children: Vec<_> = (0..2)
        .map(|_| app.db.spawn_cli(&["remind", "--now", now], &env))
        .collect();
    let outputs: Vec<CliOutput> = children
        .into_iter()
        .map(|c| CliOutput(c.wait_with_output().unwrap()))
        .collect();
    let mut planned = 0;
    let mut sent = 0;
    for out in &outputs {
        assert!(out.success(), "{}", out.stderr());
        let (p, s, _) = summary(out);
        planned += p;
        sent += s;
    }
    assert_eq!(planned, expected, "each reminder recorded once");
    assert_eq!(sent, 2);
    let messages = smtp.wait_for(2);
    assert_eq!(messages.len(), 2);
    let mut rcpts: Vec<&String> = messages.iter().flat_map(|m| &m.rcpt).collect();
    let all = rcpts.len();
    rcpts.sort();
    rcpts.dedup();
    assert_eq!(rcpts.len(), all, "nobody receives a reminder twice");
}

#[actix_web::test]
async fn a_due_date_moved_out_of_the_national_day_holiday_is_reminded_on_its_new_day() {
    let app = office_with_two_departments().await;
    let smtp = SmtpReceiver::start();
    let measure = app.measure_id(5).await;
    let q3 = |detail: &serde_json::Value, department: &str| -> Vec<(String, i64)> {
        detail["reminders"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["period"] == "2026-Q3" && r["department"] == department)
            .map(|r| {
                (
                    r["stage"].as_str().unwrap().to_string(),
                    r["stage_n"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    // Measure 5's co units are due 10-07, which the holiday moves to 10-08: on 10-07 they
    // are a day away, not due.
    let detail = app.get_json(&format!("/api/v1/measures/{measure}")).await;
    let co = detail["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["role"] == "co" && o["period"] == "2026-Q3" && o["department"] == FINANCE)
        .map(|o| o["due_on"].clone());
    assert_eq!(
        co,
        Some(serde_json::json!("2026-10-08")),
        "财政局 is a co unit of measure 5"
    );
    remind(&app, "2026-10-07T09:00:00+08:00", &smtp.url());
    let detail = app.get_json(&format!("/api/v1/measures/{measure}")).await;
    assert_eq!(q3(&detail, FINANCE), [("before".to_string(), 1)]);
    remind(&app, "2026-10-08T09:00:00+08:00", &smtp.url());
    let detail = app.get_json(&format!("/api/v1/measures/{measure}")).await;
    let mut stages = q3(&detail, FINANCE);
    stages.sort();
    assert_eq!(stages, [("before".to_string(), 1), ("due".to_string(), 0)]);
}

#[actix_web::test]
async fn the_server_sends_due_reminders_by_itself_as_eml_files_without_smtp() {
    let db = TestDatabase::new();
    let app = spawn_app_scheduled(db, &[], Some(std::time::Duration::from_millis(200))).await;
    set_addresses(&app, HR, "hr-office@example.gov.cn", "").await;
    app.clock
        .advance(chrono::Duration::days(37) + chrono::Duration::hours(1));
    let dir = app.db.data_dir().join("mail");
    let mut files = Vec::new();
    for _ in 0..100 {
        files = std::fs::read_dir(&dir)
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        if !files.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(
        files.len(),
        1,
        "one email for the one department with an address"
    );
    let raw = std::fs::read(&files[0]).unwrap();
    let m = Received {
        rcpt: vec![],
        data: raw,
    };
    assert!(m.subject().contains(HR));
    assert!(m.header("To").unwrap().contains("hr-office@example.gov.cn"));
}

/// Gives every department an address; returns how many.
fn address_every_department(app: &TestApp) -> usize {
    let mut conn = app.pool.get().unwrap();
    let ids: Vec<i32> = departments::table
        .select(departments::id)
        .load(&mut *conn)
        .unwrap();
    for id in &ids {
        diesel::update(departments::table.find(id))
            .set(departments::email.eq(format!("unit{id}@example.gov.cn")))
            .execute(&mut *conn)
            .unwrap();
    }
    ids.len()
}

fn outbox_states(app: &TestApp) -> HashMap<String, usize> {
    use duban::db::schema::outbox;
    let mut conn = app.pool.get().unwrap();
    let states: Vec<String> = outbox::table
        .select(outbox::state)
        .load(&mut *conn)
        .unwrap();
    let mut out = HashMap::new();
    for s in states {
        *out.entry(s).or_default() += 1;
    }
    out
}

#[actix_web::test]
async fn a_mail_server_down_for_a_day_loses_nothing_and_each_email_goes_out_once() {
    let app = office_with_two_departments().await;
    let port = SmtpReceiver::start().port;
    let url = format!("smtp://127.0.0.1:{port}");
    // Runs every hour for 26 hours with the server down: far past the five attempts and
    // 15 minutes the old budget allowed.
    let start = chrono::DateTime::parse_from_rfc3339("2026-04-08T09:00:00+08:00").unwrap();
    let mut failed_total = 0;
    for step in 0..26 {
        let now = (start + chrono::Duration::minutes(60 * step)).to_rfc3339();
        failed_total += summary(&remind(&app, &now, &url)).2;
    }
    assert!(
        failed_total > 5,
        "it kept trying ({failed_total} failed attempts)"
    );
    let states = outbox_states(&app);
    assert_eq!(
        states.get("failed"),
        None,
        "nothing given up on: {states:?}"
    );
    assert!(states.get("queued").is_some_and(|n| *n >= 2), "{states:?}");

    let smtp = SmtpReceiver::start_on(port).expect("the port is free again");
    let mut sent = 0;
    for step in 0..3 {
        let now = (start + chrono::Duration::hours(26) + chrono::Duration::minutes(30 * step))
            .to_rfc3339();
        sent += summary(&remind(&app, &now, &url)).1;
    }
    let messages = smtp.messages();
    assert_eq!(sent, messages.len());
    let queued_before = states.values().sum::<usize>();
    let mut ids: Vec<String> = messages
        .iter()
        .map(|m| m.header("Message-ID").unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), messages.len(), "none twice");
    assert!(
        ids.len() >= queued_before,
        "every email queued in the outage went out"
    );
    assert_eq!(outbox_states(&app).get("failed"), None);
}

#[actix_web::test]
async fn sigterm_during_delivery_finishes_the_message_in_flight_and_records_every_send() {
    let app = spawn_app().await;
    let departments = address_every_department(&app);
    // Each message takes the server 150 ms to accept: a run takes seconds.
    let smtp = SmtpReceiver::start_slow(std::time::Duration::from_millis(150));
    let env = [("DUBAN_SMTP_URL", smtp.url())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let now = "2026-04-08T09:00:00+08:00";
    let child = app.db.spawn_cli(&["remind", "--now", now], &env);
    // Stop it once a few messages are through.
    let started = std::time::Instant::now();
    while smtp.messages().len() < 3 && started.elapsed() < std::time::Duration::from_secs(30) {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let status = std::process::Command::new("kill")
        .args(["-15", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = CliOutput(child.wait_with_output().unwrap());
    assert!(
        out.success(),
        "a stopped run ends cleanly: {}",
        out.stderr()
    );
    let accepted = smtp.messages().len();
    let states = outbox_states(&app);
    assert_eq!(
        states.get("failed"),
        None,
        "no sent email recorded failed: {states:?}"
    );
    assert_eq!(
        states.get("sending"),
        None,
        "nothing left in flight: {states:?}"
    );
    assert_eq!(
        states.get("sent").copied().unwrap_or(0),
        accepted,
        "every accepted message is recorded sent, and only those"
    );
    let total: usize = states.values().sum();
    assert!(
        accepted < total,
        "the signal stopped the run early ({accepted} of {total})"
    );
    assert!(
        total >= departments / 2,
        "{total} emails for {departments} departments"
    );

    // The next run sends the rest, and nothing twice.
    let rest = app.db.cli_with(&["remind", "--now", now], &env);
    assert!(rest.success(), "{}", rest.stderr());
    let messages = smtp.wait_for(total);
    assert_eq!(messages.len(), total);
    let mut ids: Vec<String> = messages
        .iter()
        .map(|m| m.header("Message-ID").unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), total, "none twice");
    assert_eq!(outbox_states(&app).get("sent").copied(), Some(total));
}

#[actix_web::test]
async fn the_office_resends_failed_emails_in_bulk_through_the_api_and_the_page() {
    let app = office_with_two_departments().await;
    let config = app.db.data_dir().join("mail.toml");
    std::fs::write(&config, "[mail]\nmax_attempts = 1\n").unwrap();
    let port = SmtpReceiver::start().port;
    let url = format!("smtp://127.0.0.1:{port}");
    let out = app.db.cli_with(
        &["remind", "--now", "2026-04-08T09:00:00+08:00"],
        &[
            ("DUBAN_SMTP_URL", &url),
            ("DUBAN_CONFIG", config.to_str().unwrap()),
        ],
    );
    assert_eq!(summary(&out).2, 2);
    let failed = app.get_json("/api/v1/outbox?state=failed").await;
    let ids: Vec<i64> = failed
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);

    let post = |body: serde_json::Value| {
        let req = app
            .client
            .post(app.url("/api/v1/outbox/resend"))
            .insert_header(("Authorization", format!("Bearer {}", app.admin_token)));
        async move {
            let mut res = req.send_json(&body).await.unwrap();
            let status = res.status().as_u16();
            let json: serde_json::Value = res.json().await.unwrap();
            (status, json)
        }
    };
    // By id: the first is requeued, an unknown one is skipped and said so.
    let (status, json) = post(serde_json::json!({"ids": [ids[0], 999_999]})).await;
    assert_eq!(status, 200, "{json}");
    assert_eq!(json["requeued"], serde_json::json!([ids[0]]));
    assert_eq!(json["skipped"], serde_json::json!([999_999]));
    let (status, _) = post(serde_json::json!({"state": "sent"})).await;
    assert_eq!(status, 422, "only failed emails can be resent");
    let (status, _) = post(serde_json::json!({"ids": []})).await;
    assert_eq!(status, 422);
    // Every failed one, from the page.
    let admin = app.login_admin().await;
    let page = app.get_as(&admin, "/admin/outbox").await;
    assert!(
        page.body.contains("全部重发（1 条失败消息）"),
        "{}",
        page.body
    );
    assert_eq!(
        app.post_as(&admin, "/admin/outbox/resend", &[])
            .await
            .status,
        303
    );
    assert_eq!(outbox_states(&app).get("queued").copied(), Some(2));
    assert_eq!(
        app.audit()
            .iter()
            .filter(|e| e.action == "outbox.resend")
            .count(),
        2
    );
    let smtp = SmtpReceiver::start_on(port).expect("the port is free again");
    let out = remind(&app, "2026-04-08T10:00:00+08:00", &url);
    assert_eq!(summary(&out), (0, 2, 0));
    assert_eq!(smtp.messages().len(), 2);
}

/// Pages and answers are kept drawn between changes; the chases that `duban remind` records
/// from another process (without passing through this server) show on the next read.
#[actix_web::test]
async fn kept_pages_show_the_chases_another_process_recorded() {
    let app = office_with_two_departments().await;
    let admin = app.login_admin().await;
    let query = "/api/v1/obligations?period=2026-Q1&per_page=100";
    let chased = |v: &serde_json::Value| {
        v["obligations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| !o["last_chased_at"].is_null())
            .count()
    };
    let before = app.api_json(query, &app.admin_token).await;
    assert_eq!(chased(&before), 0);
    let page = app.get_as(&admin, "/ledger?per_page=100").await;
    let again = app.get_as(&admin, "/ledger?per_page=100").await;
    assert_eq!(page.body, again.body, "nothing changed: the same page");

    let smtp = SmtpReceiver::start();
    let out = remind(&app, "2026-04-08T09:00:00+08:00", &smtp.url());
    let (planned, _, _) = summary(&out);
    assert!(planned > 0);
    let after = app.api_json(query, &app.admin_token).await;
    assert!(chased(&after) > 0, "the chased items show their chase");
    let page = app.get_as(&admin, "/ledger?per_page=100").await;
    assert_ne!(page.body, again.body, "the ledger shows the chases");
}
