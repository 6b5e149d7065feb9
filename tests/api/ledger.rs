//! The ledger (督办台账) end to end: the office finds who is overdue on a measure this quarter
//! and what they last reported, exports it, chases them all at once and sees the chase in the
//! log; bulk actions skip what changed; liaisons see only what the rules allow; bad filters
//! are refused; pages stay short on two years of demo history.

use chrono::Duration;
use diesel::prelude::*;
use serde_json::Value;

use crate::helpers::*;
use crate::smtp::SmtpReceiver;

const HR: &str = "地区人社局";
const DEVELOPMENT: &str = "地区发改委";

fn rows(v: &Value) -> Vec<Value> {
    v["obligations"].as_array().unwrap().clone()
}

fn departments_of(v: &Value) -> Vec<String> {
    let mut d: Vec<String> = rows(v)
        .iter()
        .map(|o| o["department"].as_str().unwrap().to_string())
        .collect();
    d.sort();
    d
}

/// Posts a bulk action on the ledger as `session`; returns the page it lands on.
async fn bulk(
    app: &TestApp,
    session: &Session,
    action: &str,
    ids: &[i64],
    note: &str,
    back: &str,
) -> Reply {
    let ids: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
    let mut fields: Vec<(&str, &str)> = vec![("action", action), ("note", note), ("return", back)];
    for id in &ids {
        fields.push(("ids", id));
    }
    let posted = app.post_as(session, "/ledger/bulk", &fields).await;
    assert_eq!(posted.status, 303, "{}", posted.body);
    let location = posted.header("location").unwrap().to_string();
    assert!(location.starts_with("/ledger?"), "{location}");
    app.get_as(session, &location).await
}

#[actix_web::test]
async fn the_office_finds_who_is_overdue_on_a_measure_exports_it_and_chases_them_all() {
    let app = spawn_app().await;
    app.add_user("renshe", "liaison", Some(HR));
    let hr = app.token_for("renshe");
    let m6 = app.measure_id(6).await;

    // 人社局 (the lead) reports on time; the co units do not.
    let posted = app
        .api_multipart(
            &format!("/api/v1/measures/{m6}/reports"),
            &hr,
            &[
                ("period", "2026-Q1"),
                (
                    "summary",
                    "完成喀什籍务工人员摸底登记 1200 人。\n第二段不进台账。",
                ),
                ("percent", "45"),
                ("status", "on_track"),
            ],
            &[],
        )
        .await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    // 2026-04-20: the Q1 reports were due in early April.
    app.clock.advance(Duration::days(49));

    let query = format!("/api/v1/obligations?measure={m6}&window=quarter&state=overdue");
    let overdue = app.api_json(&query, &app.admin_token).await;
    let total = overdue["total_count"].as_i64().unwrap();
    assert_eq!(total, 6, "the six co units: {overdue}");
    assert_eq!(overdue["page"], 1);
    assert_eq!(overdue["per_page"], 25);
    for o in rows(&overdue) {
        assert_eq!(o["state"], "overdue");
        assert_eq!(o["light"], "red");
        assert_eq!(o["role"], "co");
        assert_eq!(o["measure"]["id"], m6);
        assert_eq!(o["measure"]["number"], 6);
        assert!(o["overdue_days"].as_i64().unwrap() > 0, "{o}");
        assert!(o["latest_report"].is_null());
        assert!(o["last_chased_at"].is_null());
    }
    assert!(!departments_of(&overdue).contains(&HR.to_string()));
    // What the lead last reported: its first line, with the percent.
    let lead = app
        .api_json(
            &format!("/api/v1/obligations?measure={m6}&window=quarter&role=lead"),
            &app.admin_token,
        )
        .await;
    let lead = &rows(&lead)[0];
    assert_eq!(lead["department"], HR);
    assert_eq!(lead["state"], "submitted");
    assert_eq!(
        lead["latest_report"]["summary"],
        "完成喀什籍务工人员摸底登记 1200 人。"
    );
    assert_eq!(lead["latest_report"]["percent"], 45);

    // The same view as a page, and exported whole.
    let admin = app.login_admin().await;
    let page_query = format!("measure={m6}&window=quarter&state=overdue");
    let page = app.get_as(&admin, &format!("/ledger?{page_query}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("共 6 条"), "{}", page.body);
    for name in departments_of(&overdue) {
        assert!(page.body.contains(&name), "{name} on the page");
    }
    let csv = app
        .get_as(&admin, &format!("/ledger.csv?{page_query}"))
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv
        .header("content-disposition")
        .unwrap()
        .contains("UTF-8''"));
    let lines: Vec<&str> = csv.body.trim_end().split("\r\n").collect();
    assert_eq!(lines.len(), 7, "a header and six rows: {}", csv.body);
    assert!(lines[0].contains("逾期天数") && lines[0].contains("最近催办"));
    assert!(lines[1..].iter().all(|l| l.contains("逾期未报")));
    let (status, headers, xlsx) = {
        let (s, h, b) = app
            .send_raw(&admin, &format!("/ledger.xlsx?{page_query}"))
            .await;
        (s, h, b)
    };
    assert_eq!(status, 200);
    assert!(headers.contains("spreadsheetml"), "{headers}");
    assert_eq!(&xlsx[..2], b"PK");

    // Chase them all in one action: those with an address get an email now, those without
    // are skipped and said so.
    app.add_user("fagai", "liaison", Some(DEVELOPMENT));
    let ids: Vec<i64> = rows(&overdue)
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect();
    let after = bulk(&app, &admin, "chase", &ids, "", &page_query).await;
    assert!(
        after.body.contains("已催办 1 条") && after.body.contains("跳过 5 条：单位未设邮箱 5 条"),
        "{}",
        after.body
    );
    let log: Vec<(String, String, Option<i32>)> = {
        use duban::db::schema::chase_log;
        let mut conn = app.pool.get().unwrap();
        chase_log::table
            .select((chase_log::stage, chase_log::actor, chase_log::outbox_id))
            .load(&mut *conn)
            .unwrap()
    };
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].0.as_str(), log[0].1.as_str()), ("manual", "admin"));
    let outbox = app.api_json("/api/v1/outbox", &app.admin_token).await;
    let queued: Vec<&Value> = outbox
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["state"] == "queued")
        .collect();
    assert_eq!(queued.len(), 1, "{outbox}");
    assert!(
        queued[0].to_string().contains("fagai@example.gov.cn"),
        "{}",
        queued[0]
    );

    // The ledger and the measure page now show the chase, and who made it.
    let chased = app.api_json(&query, &app.admin_token).await;
    let with_chase: Vec<Value> = rows(&chased)
        .into_iter()
        .filter(|o| !o["last_chased_at"].is_null())
        .collect();
    assert_eq!(with_chase.len(), 1);
    assert_eq!(with_chase[0]["department"], DEVELOPMENT);
    let measure = app.get_as(&admin, &format!("/measures/{m6}")).await;
    assert!(measure.body.contains("一键催办"), "{}", measure.body);
    assert!(measure.body.contains("（admin）"));

    // A real SMTP conversation delivers it to the unit.
    let smtp = SmtpReceiver::start();
    let out = app.db.cli_with(
        &["remind", "--now", "2026-04-20T10:00:00+08:00"],
        &[("DUBAN_SMTP_URL", &smtp.url())],
    );
    assert!(out.success(), "{}", out.stderr());
    let to_unit: Vec<_> = smtp
        .messages()
        .into_iter()
        .filter(|m| m.header("To").is_some_and(|t| t.contains("fagai@")))
        .collect();
    assert!(!to_unit.is_empty(), "the chase reaches 发改委");
    assert!(to_unit.iter().any(|m| m
        .text()
        .contains(&format!("/obligations/{}", with_chase[0]["id"]))));

    // A phone chase for the rest, with what was said.
    let rest: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|i| *i != with_chase[0]["id"].as_i64().unwrap())
        .collect();
    let after = bulk(
        &app,
        &admin,
        "phone",
        &rest,
        "已电话联系，承诺周五前报送",
        &page_query,
    )
    .await;
    assert!(after.body.contains("已记录电话催办 5 条"), "{}", after.body);
    let measure = app.get_as(&admin, &format!("/measures/{m6}")).await;
    assert!(measure.body.contains("已电话联系，承诺周五前报送"));
    // A phone chase needs its notes; nothing is recorded without them.
    let refused = bulk(&app, &admin, "phone", &rest, "  ", &page_query).await;
    assert!(refused.body.contains("请填写通话情况"), "{}", refused.body);

    // Every action is attributed.
    let audit = app.audit();
    for action in [
        "ledger.bulk_chase",
        "ledger.bulk_phone",
        "reminders.chase_now",
    ] {
        assert!(
            audit
                .iter()
                .any(|e| e.action == action && e.actor == "admin"),
            "{action} in the audit log"
        );
    }
}

#[actix_web::test]
async fn bulk_accept_takes_what_waits_and_skips_what_changed_meanwhile() {
    let app = spawn_app().await;
    app.add_user("renshe", "liaison", Some(HR));
    let hr = app.token_for("renshe");
    let m5 = app.measure_id(5).await;
    let m6 = app.measure_id(6).await;
    let mut report_ids = Vec::new();
    for m in [m5, m6] {
        let posted = app
            .api_multipart(
                &format!("/api/v1/measures/{m}/reports"),
                &hr,
                &[
                    ("period", "2026-Q1"),
                    ("summary", "按计划推进"),
                    ("percent", "60"),
                    ("status", "on_track"),
                ],
                &[],
            )
            .await;
        assert_eq!(posted.status, 201, "{}", posted.body);
        report_ids.push(posted.json()["id"].as_i64().unwrap());
    }
    let waiting = app
        .api_json("/api/v1/obligations?state=submitted", &app.admin_token)
        .await;
    assert_eq!(waiting["total_count"], 2);
    let ids: Vec<i64> = rows(&waiting)
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect();
    // Meanwhile one of them is accepted elsewhere.
    let mut res = app
        .client
        .post(app.url(&format!("/api/v1/reports/{}/review", report_ids[0])))
        .insert_header(("Authorization", format!("Bearer {}", app.admin_token)))
        .send_json(&serde_json::json!({"decision": "accept"}))
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200, "{:?}", res.body().await);

    let admin = app.login_admin().await;
    let mut with_unknown = ids.clone();
    with_unknown.push(999_999);
    let after = bulk(&app, &admin, "accept", &with_unknown, "", "state=submitted").await;
    assert!(
        after.body.contains("已通过 1 条报送")
            && after.body.contains("已通过，无需处理 1 条")
            && after.body.contains("事项不存在 1 条"),
        "{}",
        after.body
    );
    let done = app
        .api_json("/api/v1/obligations?state=accepted", &app.admin_token)
        .await;
    assert_eq!(done["total_count"], 2);
    assert!(app
        .audit()
        .iter()
        .any(|e| e.action == "ledger.bulk_accept" && e.actor == "admin"));
    // Nothing chosen: said so, nothing done.
    let none = bulk(&app, &admin, "accept", &[], "", "").await;
    assert!(none.body.contains("请先勾选要处理的事项"), "{}", none.body);
    // A view it cannot read to return to: back to the plain ledger, not to an error.
    let odd = bulk(&app, &admin, "accept", &[], "", "state=bogus&per_page=7").await;
    assert_eq!(odd.status, 200, "{}", odd.body);
    // A liaison may not act in bulk.
    app.add_user("caizheng", "liaison", Some("地区财政局"));
    let liaison = app.login("caizheng", "pw-caizheng-Tarim7q").await;
    let refused = app
        .post_as(
            &liaison,
            "/ledger/bulk",
            &[("action", "accept"), ("ids", "1")],
        )
        .await;
    assert_eq!(refused.status, 403);
}

#[actix_web::test]
async fn a_liaison_sees_their_units_rows_and_on_measures_it_leads_the_co_units() {
    let app = spawn_app().await;
    app.add_user("renshe", "liaison", Some(HR));
    app.add_user("fagai", "liaison", Some(DEVELOPMENT));
    let hr = app.token_for("renshe");
    let dev = app.token_for("fagai");
    let m6 = app.measure_id(6).await;
    let all = app
        .api_json(
            &format!("/api/v1/obligations?measure={m6}&per_page=100"),
            &app.admin_token,
        )
        .await;
    let all_count = all["total_count"].as_i64().unwrap();
    assert!(all_count > 7, "{all}");

    // 人社局 leads measure 6: it sees every unit's rows there.
    let lead_view = app
        .api_json(
            &format!("/api/v1/obligations?measure={m6}&per_page=100"),
            &hr,
        )
        .await;
    assert_eq!(lead_view["total_count"], all_count);
    // 发改委 is a co unit: only its own.
    let co_view = app
        .api_json(
            &format!("/api/v1/obligations?measure={m6}&per_page=100"),
            &dev,
        )
        .await;
    assert!(co_view["total_count"].as_i64().unwrap() > 0);
    assert!(rows(&co_view)
        .iter()
        .all(|o| o["department"] == DEVELOPMENT));
    // Asking for another unit by id gives nothing beyond the rules.
    let hr_id = rows(&lead_view)
        .iter()
        .find(|o| o["department"] == HR)
        .unwrap()["department_id"]
        .as_i64()
        .unwrap();
    let snoop = app
        .api_json(
            &format!("/api/v1/obligations?department={hr_id}&measure={m6}"),
            &dev,
        )
        .await;
    assert_eq!(snoop["total_count"], 0, "{snoop}");
    // Over the whole ledger, every row 发改委 sees is its own or on a measure it leads.
    let everything = app.api_json("/api/v1/obligations?per_page=100", &dev).await;
    let leads: Vec<i64> = {
        let measures = app.api_json("/api/v1/measures", &dev).await;
        measures
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["lead"] == DEVELOPMENT)
            .map(|m| m["id"].as_i64().unwrap())
            .collect()
    };
    for o in rows(&everything) {
        assert!(
            o["department"] == DEVELOPMENT || leads.contains(&o["measure"]["id"].as_i64().unwrap()),
            "{o}"
        );
    }
    // The page and the export follow the same rules.
    let session = app.login("fagai", "pw-fagai-Tarim7q").await;
    let page = app
        .get_as(&session, &format!("/ledger?measure={m6}&per_page=100"))
        .await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains(&format!(">{HR} <")), "no 人社局 row");
    let csv = app
        .get_as(&session, &format!("/ledger.csv?measure={m6}"))
        .await;
    assert!(!csv.body.contains(HR), "{}", csv.body);
    // No bulk actions for a liaison.
    assert!(!page.body.contains("name=\"ids\""));
}

#[actix_web::test]
async fn bad_filters_are_refused_by_name_and_pages_past_the_end_say_so() {
    let app = spawn_app().await;
    let token = app.admin_token.clone();
    for (query, words) in [
        ("state=late", "state"),
        ("overdue_days_min=abc", "overdue_days_min"),
        ("light=blue", "light"),
        ("per_page=101", "per_page"),
        ("sort=random", "sort"),
        ("page=0", "page"),
        ("page=999", "999"),
        ("document=x", "document"),
        ("due_from=2026-13-40", "due_from"),
    ] {
        let reply = app
            .api_get(&format!("/api/v1/obligations?{query}"), &token)
            .await;
        assert_eq!(reply.status, 422, "{query}: {}", reply.body);
        let body = reply.json();
        assert!(
            body["error"]["message"].as_str().unwrap().contains(words),
            "{query}: {body}"
        );
    }
    let admin = app.login_admin().await;
    let page = app.get_as(&admin, "/ledger?state=late").await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("state"), "{}", page.body);

    // Pages: the total stays, the rows move on, numbered through the whole selection.
    let first = app
        .api_json("/api/v1/obligations?per_page=3&sort=due", &token)
        .await;
    let second = app
        .api_json("/api/v1/obligations?per_page=3&sort=due&page=2", &token)
        .await;
    assert_eq!(first["total_count"], second["total_count"]);
    let ids =
        |v: &Value| -> Vec<i64> { rows(v).iter().map(|o| o["id"].as_i64().unwrap()).collect() };
    assert_eq!(ids(&first).len(), 3);
    assert!(ids(&first).iter().all(|i| !ids(&second).contains(i)));
    let due = |v: &Value| -> Vec<String> {
        rows(v)
            .iter()
            .map(|o| o["due_on"].as_str().unwrap().to_string())
            .collect()
    };
    let mut all_due = due(&first);
    all_due.extend(due(&second));
    let mut sorted = all_due.clone();
    sorted.sort();
    assert_eq!(all_due, sorted);
}

#[actix_web::test]
async fn pages_stay_short_on_two_years_of_demo_history() {
    let app = spawn_app().await;
    let out = app.db.cli(&["demo-data", "--scale", "1"]);
    assert!(out.success(), "{}", out.stderr());
    let admin = app.login_admin().await;
    // The demo plan's measure 6 and one of its units.
    let (measure, unit): (i32, i32) = {
        use duban::db::schema::{measures, obligations};
        let mut conn = app.pool.get().unwrap();
        let m: i32 = measures::table
            .filter(measures::number.eq(6))
            .order(measures::id.desc())
            .select(measures::id)
            .first(&mut *conn)
            .unwrap();
        let d: i32 = obligations::table
            .filter(obligations::measure_id.eq(m))
            .filter(obligations::role.eq("lead"))
            .select(obligations::department_id)
            .first(&mut *conn)
            .unwrap();
        (m, d)
    };
    let rows_in = |html: &str| html.matches("<tr").count() + html.matches("<li").count();
    for path in [
        format!("/measures/{measure}"),
        format!("/departments/{unit}"),
        "/ledger".to_string(),
        "/".to_string(),
    ] {
        let page = app.get_as(&admin, &path).await;
        assert_eq!(page.status, 200, "{path}");
        let n = rows_in(&page.body);
        assert!(n <= 130, "{path} lists {n} rows and items");
    }
    let page = app.get_as(&admin, &format!("/measures/{measure}")).await;
    // The timeline is folded after ten entries, with the way to the rest.
    let timeline = page.body.split("class=\"timeline\"").nth(1).unwrap();
    let timeline = timeline.split("</ol>").next().unwrap();
    assert_eq!(timeline.matches("<li").count(), 10);
    assert!(page.body.contains("?events=all#timeline"));
    // The grid holds a year of periods, newest first, and pages back to the rest.
    assert!(page.body.contains("class=\"period-grid\""));
    assert!(page.body.contains("?periods=2#grid-h"));
    let older = app
        .get_as(&admin, &format!("/measures/{measure}?periods=2&events=all"))
        .await;
    assert_eq!(older.status, 200);
    assert!(older.body.matches("<li").count() > page.body.matches("<li").count());
}

#[actix_web::test]
async fn a_leader_narrows_the_ledger_to_the_units_they_oversee() {
    let app = crate::helpers::spawn_app().await;
    app.add_user("lingdao", "leader", None);
    let token = app.token_for("lingdao");
    let me = app.user_id("lingdao").await;
    let (hr, finance) = (
        app.department_id("地区人社局").await,
        app.department_id("地区财政局").await,
    );
    let status = app
        .client
        .put(app.url(&format!("/api/v1/users/{me}/departments")))
        .insert_header(("Authorization", format!("Bearer {}", app.admin_token)))
        .send_json(&serde_json::json!({"department_ids": [hr, finance]}))
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 200);

    let all = app
        .api_json("/api/v1/obligations?per_page=100", &token)
        .await;
    let mine = app
        .api_json("/api/v1/obligations?mine=1&per_page=100", &token)
        .await;
    let total = |v: &serde_json::Value| v["total_count"].as_i64().unwrap();
    assert!(
        total(&mine) > 0 && total(&mine) < total(&all),
        "{} of {}",
        total(&mine),
        total(&all)
    );
    assert!(mine["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["department"] == "地区人社局" || o["department"] == "地区财政局"));
    // The office has no units of its own: the choice changes nothing for it.
    let office = app.get_json("/api/v1/obligations?mine=1&per_page=1").await;
    assert_eq!(total(&office), total(&all));

    // On the page: the box is offered to the leader, ticked when chosen.
    let session = app.login("lingdao", "pw-lingdao-Tarim7q").await;
    let page = app.get_as(&session, "/ledger?mine=1").await;
    assert_eq!(page.status, 200);
    assert!(page
        .body
        .contains(r#"name="mine" value="1" checked> 我分管的单位"#));
    let admin = app.login_admin().await;
    assert!(!app
        .get_as(&admin, "/ledger")
        .await
        .body
        .contains("我分管的单位"));

    // The scorecard's ranking too, with the ranks among all units.
    let ranked = |html: &str| -> Vec<String> {
        let table = html
            .split("class=\"directory ranking\"")
            .nth(1)
            .unwrap_or("");
        let table = table.split("</table>").next().unwrap_or("");
        regex::Regex::new(r#"/scorecard/departments/\d+\?[^"]*">([^<]+)</a>"#)
            .unwrap()
            .captures_iter(table)
            .map(|c| c[1].to_string())
            .collect()
    };
    let everyone = app.get_as(&session, "/scorecard").await;
    assert!(everyone.body.contains("只看我分管的单位"));
    assert!(ranked(&everyone.body).len() > 2);
    let overseen = app.get_as(&session, "/scorecard?mine=1").await;
    assert_eq!(overseen.status, 200);
    let mut names = ranked(&overseen.body);
    names.sort();
    assert_eq!(names, ["地区人社局", "地区财政局"]);
    assert!(overseen.body.contains("只列我分管的单位"));
    // The heat map keeps the overseen units' columns only.
    let columns = |html: &str| -> Vec<String> {
        let head = html.split("class=\"heat\"").nth(1).unwrap_or("");
        let head = head.split("</thead>").next().unwrap_or("");
        regex::Regex::new(r#"class="vertical"><span>([^<]+)</span>"#)
            .unwrap()
            .captures_iter(head)
            .map(|c| c[1].to_string())
            .collect()
    };
    let mut heat = columns(&overseen.body);
    heat.sort();
    assert_eq!(heat, ["地区人社局", "地区财政局"]);
    assert!(columns(&everyone.body).len() > 2);
    let office = app.get_as(&admin, "/scorecard?mine=1").await;
    assert!(!office.body.contains("只看我分管的单位") && ranked(&office.body).len() > 2);
}
