//! The 督办 loop end to end over HTTP: report with evidence, return, revise, accept; lights
//! against a clock that moves; extensions; co-unit contributions; receipts; schedule changes;
//! and the uploads and requests that must change nothing.

use chrono::Duration;
use serde_json::Value;

use crate::helpers::{pdf, png, spawn_app, spawn_app_with_config, Reply, TestApp};

const Q1: &str = "2026-Q1";

fn report_fields<'a>(
    summary: &'a str,
    percent: &'a str,
    status: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("period", Q1),
        ("summary", summary),
        ("percent", percent),
        ("status", status),
    ]
}

/// 人社局's lead obligation on measure 5 for 2026-Q1.
async fn hr_obligation(app: &TestApp) -> Value {
    app.lead_obligation(5, Q1).await
}

fn actions(app: &TestApp, action: &str) -> Vec<String> {
    app.audit()
        .into_iter()
        .filter(|e| e.action == action)
        .map(|e| e.actor)
        .collect()
}

fn report_count(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    let mut conn = app.pool.get().unwrap();
    duban::db::schema::reports::table
        .count()
        .get_result(&mut *conn)
        .unwrap()
}

#[actix_web::test]
async fn a_report_goes_round_the_loop_with_evidence_review_and_versions() {
    let app = spawn_app().await;
    app.add_user("renshe", "liaison", Some("地区人社局"));
    app.add_user("caizheng", "liaison", Some("地区财政局"));
    let hr = app.token_for("renshe");
    let other = app.token_for("caizheng");
    let m5 = app.measure_id(5).await;
    let path = format!("/api/v1/measures/{m5}/reports");

    let first = app
        .api_multipart(
            &path,
            &hr,
            &report_fields("已完成失业登记政策梳理。", "40", "on_track"),
            &[("会议纪要.pdf", &pdf("a")), ("现场照片.png", &png("b"))],
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let r1 = first.json();
    assert_eq!(r1["measure"], m5);
    assert_eq!(r1["department"], "地区人社局");
    assert_eq!(r1["period"], Q1);
    assert_eq!(r1["version"], 1);
    assert_eq!(r1["percent"], 40);
    assert_eq!(r1["status"], "on_track");
    assert_eq!(r1["state"], "submitted");
    assert!(r1["review"].is_null());
    let files = r1["evidence"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["filename"], "会议纪要.pdf");
    assert_eq!(files[0]["size"], pdf("a").len());
    assert_eq!(files[0]["sha256"].as_str().unwrap().len(), 64);
    let png_id = files[1]["id"].as_i64().unwrap();

    // Downloads: the department and the office, not another department.
    let url = files[0]["url"].as_str().unwrap();
    let download = app.api_get(url, &hr).await;
    assert_eq!(download.status, 200);
    assert_eq!(download.header("content-type"), Some("application/pdf"));
    let cd = download.header("content-disposition").unwrap();
    assert!(
        cd.starts_with("attachment") && cd.contains("UTF-8''"),
        "{cd}"
    );
    assert_eq!(download.body.as_bytes(), pdf("a").as_slice());
    assert_eq!(app.api_get(url, &other).await.status, 403);
    assert_eq!(
        app.api_get(&format!("/api/v1/reports/{}", r1["id"]), &other)
            .await
            .status,
        403
    );

    // Nothing more while it waits for review.
    let again = app
        .api_multipart(&path, &hr, &report_fields("补充", "50", "on_track"), &[])
        .await;
    assert_eq!(again.status, 409, "{}", again.body);

    // The office returns it: a comment is required.
    let review = format!("/api/v1/reports/{}/review", r1["id"]);
    let admin = &app.admin_token;
    let bare = review_api(
        &app,
        &review,
        admin,
        serde_json::json!({"decision": "return"}),
    )
    .await;
    assert_eq!(bare.status, 422);
    assert!(bare.body.contains("退回时必须填写意见"), "{}", bare.body);
    let returned = review_api(
        &app,
        &review,
        admin,
        serde_json::json!({"decision": "return", "comment": "照片看不清，请补充清晰照片", "insufficient": [png_id]}),
    )
    .await;
    assert_eq!(returned.status, 200, "{}", returned.body);
    assert_eq!(returned.json()["review"]["decision"], "return");
    assert_eq!(hr_obligation(&app).await["state"], "returned");
    assert_eq!(hr_obligation(&app).await["light"], "yellow");
    // The measure's light is its worst obligation's: the returned one.
    let list = app.get_json("/api/v1/measures").await;
    let m5_light = list
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == m5)
        .unwrap()["light"]
        .clone();
    assert_eq!(m5_light, "yellow");

    // The revision is the next version; the office's insufficient file is not carried over.
    let second = app
        .api_multipart(
            &path,
            &hr,
            &report_fields("补充了清晰照片，完成政策梳理。", "60", "on_track"),
            &[("清晰照片.png", &png("c"))],
        )
        .await;
    assert_eq!(second.status, 201, "{}", second.body);
    let r2 = second.json();
    assert_eq!(r2["version"], 2);
    let names: Vec<&str> = r2["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["filename"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["会议纪要.pdf", "清晰照片.png"]);

    let accepted = review_api(
        &app,
        &format!("/api/v1/reports/{}/review", r2["id"]),
        admin,
        serde_json::json!({"decision": "accept", "comment": ""}),
    )
    .await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    let ob = hr_obligation(&app).await;
    assert_eq!(
        (ob["state"].as_str(), ob["light"].as_str()),
        (Some("accepted"), Some("done"))
    );
    let twice = review_api(
        &app,
        &format!("/api/v1/reports/{}/review", r2["id"]),
        admin,
        serde_json::json!({"decision": "accept"}),
    )
    .await;
    assert_eq!(twice.status, 409);

    // The timeline on the measure page tells the whole story.
    let s = app.login_admin().await;
    let page = app.get_as(&s, &format!("/measures/{m5}")).await;
    // Each event says what happened at its time, not the version's later state.
    for text in [
        "报送第 1 版",
        "退回第 1 版",
        "照片看不清",
        "报送第 2 版",
        "通过第 2 版",
    ] {
        assert!(page.body.contains(text), "timeline lacks {text}");
    }
    assert!(
        !page.body.contains("第 1 版已退回"),
        "a hand-in told as its later state"
    );
    let ob_page = app.get_as(&s, &format!("/obligations/{}", ob["id"])).await;
    let events = ob_page
        .body
        .split("办理经过")
        .nth(1)
        .expect("the obligation page has its 办理经过");
    let order: Vec<usize> = ["报送第 1 版", "退回第 1 版", "报送第 2 版", "通过第 2 版"]
        .iter()
        .map(|t| {
            events
                .find(t)
                .unwrap_or_else(|| panic!("办理经过 lacks {t}"))
        })
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "events out of order: {order:?}"
    );
    assert!(
        ob_page.body.contains("需补充"),
        "the insufficient file is marked"
    );

    assert_eq!(actions(&app, "report.submit"), ["renshe", "renshe"]);
    assert_eq!(actions(&app, "report.return"), ["admin"]);
    assert_eq!(actions(&app, "report.accept"), ["admin"]);
}

async fn review_api(app: &TestApp, path: &str, token: &str, body: Value) -> Reply {
    let mut res = app
        .client
        .post(app.url(path))
        .insert_header(("Authorization", format!("Bearer {token}")))
        .send_json(&body)
        .await
        .unwrap();
    let bytes = res.body().await.unwrap();
    Reply {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

#[actix_web::test]
async fn lights_follow_the_clock_and_an_approved_extension() {
    let app = spawn_app().await;
    app.add_user("renshe", "liaison", Some("地区人社局"));
    // Fixed start: 2026-03-02 09:00 in Beijing. Q1 is due 2026-04-10.
    let ob = hr_obligation(&app).await;
    assert_eq!(ob["due_on"], "2026-04-10");
    assert_eq!(ob["light"], "green");

    app.clock.advance(Duration::days(34)); // 04-05
    assert_eq!(hr_obligation(&app).await["light"], "yellow");
    let hr = app.login("renshe", "pw-renshe-Tarim7q").await;
    let desk = app.get_as(&hr, "/").await;
    assert!(desk.body.contains("即将到期"));

    // 04-10 23:59 in Beijing is still the due day; 00:00 on 04-11 is late.
    let to_utc_end = Duration::days(5) + Duration::hours(14) + Duration::minutes(59);
    app.clock.advance(to_utc_end); // 2026-04-10 15:59 UTC = 23:59 Beijing
    assert_eq!(hr_obligation(&app).await["state"], "open");
    app.clock.advance(Duration::minutes(1));
    let late = hr_obligation(&app).await;
    assert_eq!(
        (late["state"].as_str(), late["light"].as_str()),
        (Some("overdue"), Some("red"))
    );
    let hr = app.login("renshe", "pw-renshe-Tarim7q").await;
    let desk = app.get_as(&hr, "/").await;
    assert!(desk.body.contains("逾期未报"));

    // An extension into the past is refused, naming the field.
    let path = format!("/obligations/{}/extension", late["id"]);
    let past = app
        .post_as(
            &hr,
            &path,
            &[("due_on", "2026-04-09"), ("reason", "材料未齐")],
        )
        .await;
    assert_eq!(past.status, 422);
    assert!(past.body.contains("due_on"));
    let asked = app
        .post_as(
            &hr,
            &path,
            &[("due_on", "2026-04-30"), ("reason", "需等待统计数据")],
        )
        .await;
    assert_eq!(asked.status, 303, "{}", asked.body);

    let admin = app.login_admin().await;
    let queue = app.get_as(&admin, "/admin/extensions").await;
    assert!(queue.body.contains("需等待统计数据"));
    let ext_id = queue
        .body
        .split("action=\"/admin/extensions/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let decided = app
        .post_as(
            &admin,
            &format!("/admin/extensions/{ext_id}"),
            &[("decision", "approve"), ("comment", "同意")],
        )
        .await;
    assert_eq!(decided.status, 303);
    let extended = hr_obligation(&app).await;
    assert_eq!(extended["due_on"], "2026-04-30");
    assert_eq!(extended["original_due_on"], "2026-04-10");
    assert_eq!(extended["state"], "open");
    assert_eq!(extended["light"], "green", "19 days left");
    assert_eq!(actions(&app, "extension.approve"), ["admin"]);

    // A schedule change does not undo the approved date.
    let doc = app.get_json("/api/v1/documents").await[0]["id"].clone();
    let changed = app
        .post_as(
            &admin,
            &format!("/admin/documents/{doc}/schedule"),
            &[
                ("cadence", "quarterly"),
                ("starts_on", "2026-01-01"),
                ("periods", "4"),
                ("due_days", "15"),
                ("co_days", "3"),
                ("custom_periods", ""),
            ],
        )
        .await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    assert_eq!(hr_obligation(&app).await["due_on"], "2026-04-30");
}

#[actix_web::test]
async fn the_schedule_decides_the_obligations_and_keeps_those_with_reports() {
    let app = spawn_app().await;
    app.add_user("renshe", "liaison", Some("地区人社局"));
    let token = app.token_for("renshe");
    let m5 = app.measure_id(5).await;
    let count = |v: &Value| v["obligations"].as_array().unwrap().len();
    let before = app.get_json(&format!("/api/v1/measures/{m5}")).await;
    // Measure 5: 人社局 leads, six co units; eight quarters.
    assert_eq!(count(&before), 7 * 8);
    let sent = app
        .api_multipart(
            &format!("/api/v1/measures/{m5}/reports"),
            &token,
            &report_fields("一季度进展", "20", "on_track"),
            &[],
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.body);

    let admin = app.login_admin().await;
    let doc = app.get_json("/api/v1/documents").await[0]["id"].clone();
    let schedule = |cadence: &'static str,
                    start: &'static str,
                    periods: &'static str,
                    custom: &'static str| {
        vec![
            ("cadence", cadence),
            ("starts_on", start),
            ("periods", periods),
            ("due_days", "10"),
            ("co_days", "3"),
            ("custom_periods", custom),
        ]
    };
    let path = format!("/admin/documents/{doc}/schedule");
    let monthly = app
        .post_as(&admin, &path, &schedule("monthly", "2026-04-01", "3", ""))
        .await;
    assert_eq!(monthly.status, 303, "{}", monthly.body);
    let after = app.get_json(&format!("/api/v1/measures/{m5}")).await;
    // Three months for seven units, and the reported Q1 obligation kept.
    assert_eq!(count(&after), 7 * 3 + 1);
    let periods: Vec<&str> = after["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["department"] == "地区人社局")
        .map(|o| o["period"].as_str().unwrap())
        .collect();
    assert_eq!(periods, [Q1, "2026-04", "2026-05", "2026-06"]);

    let bad = app
        .post_as(
            &admin,
            &path,
            &schedule(
                "custom",
                "2026-01-01",
                "1",
                "上半年, 2026-06-30, 2026-01-01",
            ),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("自定义周期"), "{}", bad.body);
    assert_eq!(
        count(&app.get_json(&format!("/api/v1/measures/{m5}")).await),
        7 * 3 + 1
    );
    assert_eq!(actions(&app, "schedule.update"), ["admin"]);
}

#[actix_web::test]
async fn a_co_units_contribution_appears_beside_the_leads_report() {
    let app = spawn_app().await;
    app.add_user("renshe", "liaison", Some("地区人社局"));
    app.add_user("caizheng", "liaison", Some("地区财政局"));
    let finance = app.token_for("caizheng");
    // Measure 8: 人社局 leads, 财政局 co-operates.
    let m8 = app.measure_id(8).await;
    let sent = app
        .api_multipart(
            &format!("/api/v1/measures/{m8}/reports"),
            &finance,
            &report_fields("已拨付社会保险补贴 120 万元。", "50", "on_track"),
            &[],
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    let detail = app.get_json(&format!("/api/v1/measures/{m8}")).await;
    let co = detail["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["department"] == "地区财政局" && o["period"] == Q1)
        .unwrap();
    assert_eq!(co["due_on"], "2026-04-07", "three days before the lead");
    let lead = detail["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["department"] == "地区人社局" && o["period"] == Q1)
        .unwrap();

    let hr = app.login("renshe", "pw-renshe-Tarim7q").await;
    let page = app
        .get_as(&hr, &format!("/obligations/{}", lead["id"]))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("配合单位反馈"));
    assert!(page.body.contains("已拨付社会保险补贴 120 万元"));
}

#[actix_web::test]
async fn another_department_can_neither_submit_nor_read_drafts_nor_download() {
    let app = spawn_app().await;
    app.add_user("renshe", "liaison", Some("地区人社局"));
    app.add_user("tongji", "liaison", Some("地区统计局"));
    app.add_user("boss", "leader", None);
    let hr = app.login("renshe", "pw-renshe-Tarim7q").await;
    let stats = app.login("tongji", "pw-tongji-Tarim7q").await;
    let ob = hr_obligation(&app).await;
    let form = format!("/obligations/{}/report", ob["id"]);

    // A draft with a file.
    let draft = app
        .multipart_as(
            &hr,
            &form,
            &[
                ("summary", "草稿内容"),
                ("percent", "10"),
                ("status", "on_track"),
                ("action", "draft"),
            ],
            &[("草稿附件.pdf", &pdf("draft"))],
        )
        .await;
    assert_eq!(draft.status, 303, "{}", draft.body);
    let own = app.get_as(&hr, &format!("/obligations/{}", ob["id"])).await;
    assert!(own.body.contains("草稿内容") && own.body.contains("草稿附件.pdf"));
    assert_eq!(
        hr_obligation(&app).await["state"],
        "open",
        "a draft is not a submission"
    );

    // Another department: no page, no submission, no file.
    assert_eq!(
        app.get_as(&stats, &format!("/obligations/{}", ob["id"]))
            .await
            .status,
        403
    );
    let forged = app
        .multipart_as(
            &stats,
            &form,
            &[
                ("summary", "冒名"),
                ("percent", "90"),
                ("status", "completed"),
                ("action", "submit"),
            ],
            &[],
        )
        .await;
    assert_eq!(forged.status, 403);
    let evidence_id = own
        .body
        .split("href=\"/evidence/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        app.get_as(&hr, &format!("/evidence/{evidence_id}"))
            .await
            .status,
        200
    );
    assert_eq!(
        app.get_as(&stats, &format!("/evidence/{evidence_id}"))
            .await
            .status,
        403
    );
    // A draft is the department's own: leaders do not read it either.
    let boss = app.login("boss", "pw-boss-Tarim7q").await;
    assert_eq!(
        app.get_as(&boss, &format!("/evidence/{evidence_id}"))
            .await
            .status,
        403
    );
    let m5 = app.measure_id(5).await;
    let measure_for_stats = app.get_as(&stats, &format!("/measures/{m5}")).await;
    assert!(!measure_for_stats.body.contains("草稿内容"));
    assert!(
        !measure_for_stats.body.contains("/obligations/"),
        "no obligation of others"
    );
    let stats_token = app.token_for("tongji");
    let api = app
        .api_json(&format!("/api/v1/measures/{m5}"), &stats_token)
        .await;
    assert!(api["obligations"].as_array().unwrap().is_empty());
    assert!(api["reports"].as_array().unwrap().is_empty());
}

#[actix_web::test]
async fn a_stale_save_is_refused_and_says_what_changed() {
    let app = spawn_app().await;
    app.add_user("renshe", "liaison", Some("地区人社局"));
    let a = app.login("renshe", "pw-renshe-Tarim7q").await;
    let b = app.login("renshe", "pw-renshe-Tarim7q").await;
    let ob = hr_obligation(&app).await;
    let form = format!("/obligations/{}/report", ob["id"]);
    let fields = |summary: &'static str, revision: &'static str| {
        vec![
            ("summary", summary),
            ("percent", "30"),
            ("status", "at_risk"),
            ("action", "draft"),
            ("revision", revision),
        ]
    };
    let first = app
        .multipart_as(&a, &form, &fields("甲的草稿", ""), &[])
        .await;
    assert_eq!(first.status, 303);
    // Both open the draft at revision 1; b saves first.
    let by_b = app
        .multipart_as(&b, &form, &fields("乙的修改", "1"), &[])
        .await;
    assert_eq!(by_b.status, 303);
    let by_a = app
        .multipart_as(&a, &form, &fields("甲的覆盖", "1"), &[])
        .await;
    assert_eq!(by_a.status, 409);
    assert!(
        by_a.body.contains("乙的修改"),
        "the message says what changed"
    );
    let page = app.get_as(&a, &format!("/obligations/{}", ob["id"])).await;
    assert!(page.body.contains("乙的修改") && !page.body.contains("甲的覆盖"));
}

#[actix_web::test]
async fn bad_reports_and_failed_uploads_leave_nothing_behind() {
    let app = spawn_app_with_config("[evidence]\nmax_file_mb = 1\nmax_report_mb = 2\n").await;
    app.add_user("renshe", "liaison", Some("地区人社局"));
    let hr = app.token_for("renshe");
    let path = format!("/api/v1/measures/{}/reports", app.measure_id(5).await);
    let exe = [b"MZ\x90\x00".as_slice(), &[0u8; 64]].concat();
    let big = [pdf("big"), vec![b'x'; 1024 * 1024]].concat();
    /// Fields, files, the status expected, and a word the error must name.
    type Case<'a> = (
        Vec<(&'a str, &'a str)>,
        Vec<(&'a str, Vec<u8>)>,
        u16,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            report_fields("进展", "150", "on_track"),
            vec![],
            422,
            "percent",
        ),
        (
            report_fields("  ", "10", "on_track"),
            vec![],
            422,
            r#""field":"summary""#,
        ),
        (
            report_fields("进展", "10", "finished"),
            vec![],
            422,
            r#""field":"status""#,
        ),
        (
            vec![
                ("period", "2031-Q9"),
                ("summary", "进展"),
                ("percent", "10"),
                ("status", "on_track"),
            ],
            vec![],
            422,
            r#""field":"period""#,
        ),
        (
            report_fields("进展", "10", "on_track"),
            vec![("setup.pdf", exe)],
            415,
            "setup.pdf",
        ),
        (
            report_fields("进展", "10", "on_track"),
            vec![("大文件.pdf", big.clone())],
            413,
            "大文件.pdf",
        ),
        (
            report_fields("进展", "10", "on_track"),
            vec![
                ("a.pdf", [pdf("1"), vec![b'x'; 1_000_000]].concat()),
                ("b.pdf", [pdf("2"), vec![b'y'; 1_000_000]].concat()),
                ("c.pdf", [pdf("3"), vec![b'z'; 1_000_000]].concat()),
            ],
            413,
            "合计",
        ),
    ];
    for (fields, files, status, names) in &cases {
        let files: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (*n, b.as_slice())).collect();
        let reply = app.api_multipart(&path, &hr, fields, &files).await;
        assert_eq!(reply.status, *status, "{names}: {}", reply.body);
        assert!(
            reply.body.contains(names),
            "the error names {names}: {}",
            reply.body
        );
        assert_eq!(report_count(&app), 0, "{names}");
        assert!(
            app.stored_files().is_empty(),
            "{names}: {:?}",
            app.stored_files()
        );
    }

    // A body cut off in the middle of a file.
    let (content_type, body) = crate::helpers::multipart(
        &report_fields("进展", "10", "on_track"),
        &[("断开.pdf", &[pdf("cut"), vec![b'q'; 200 * 1024]].concat())],
    );
    let cut = body[..body.len() - 100 * 1024].to_vec();
    let reply = app
        .send_body(
            app.client
                .post(app.url(&path))
                .insert_header(("Authorization", format!("Bearer {hr}")))
                .insert_header(("Content-Type", content_type)),
            cut,
        )
        .await;
    assert!((400..500).contains(&reply.status), "{}", reply.status);
    assert_eq!(report_count(&app), 0);
    assert!(app.stored_files().is_empty(), "{:?}", app.stored_files());

    // A hostile file name is kept only as a display name.
    let ok = app
        .api_multipart(
            &path,
            &hr,
            &report_fields("进展", "10", "on_track"),
            &[("../../etc/passwd", &pdf("p"))],
        )
        .await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    assert_eq!(ok.json()["evidence"][0]["filename"], "passwd.pdf");
    let stored = app.stored_files();
    assert_eq!(stored.len(), 1);
    assert!(stored[0].starts_with(app.db.data_dir().join("evidence")));
    // Leaders read, they do not report.
    app.add_user("boss", "leader", None);
    let boss = app.token_for("boss");
    let refused = app
        .api_multipart(&path, &boss, &report_fields("进展", "10", "on_track"), &[])
        .await;
    assert_eq!(refused.status, 403);
}

#[actix_web::test]
async fn a_receipt_not_acknowledged_in_time_turns_the_department_red() {
    let app = spawn_app().await;
    app.add_user("renshe", "liaison", Some("地区人社局"));
    let hr = app.login("renshe", "pw-renshe-Tarim7q").await;
    let admin = app.login_admin().await;
    let doc = app.get_json("/api/v1/documents").await[0]["id"].clone();
    let sent = app
        .post_as(&admin, &format!("/admin/documents/{doc}/dispatch"), &[])
        .await;
    assert_eq!(sent.status, 303);
    let desk = app.get_as(&hr, "/").await;
    assert!(desk.body.contains("待签收文件"));
    assert_eq!(hr_obligation(&app).await["light"], "green");

    app.clock.advance(Duration::days(4)); // receipt was due in 3 days
    assert_eq!(hr_obligation(&app).await["light"], "red");
    // Days later the old sessions have timed out: sign in again.
    let hr = app.login("renshe", "pw-renshe-Tarim7q").await;
    let admin = app.login_admin().await;
    let ack = app
        .post_as(&hr, &format!("/documents/{doc}/acknowledge"), &[])
        .await;
    assert_eq!(ack.status, 303);
    let after = hr_obligation(&app).await;
    assert_eq!(after["light"], "green", "{after}");
    let again = app
        .post_as(&hr, &format!("/documents/{doc}/acknowledge"), &[])
        .await;
    assert_eq!(again.status, 409);
    assert_eq!(actions(&app, "document.acknowledge"), ["renshe"]);
    let page = app.get_as(&admin, &format!("/documents/{doc}")).await;
    assert!(page.body.contains("已签收（renshe"));
}

#[actix_web::test]
async fn a_completion_deadline_ends_a_measures_obligations() {
    let app = spawn_app().await;
    let m5 = app.measure_id(5).await;
    let count = |v: &Value| v["obligations"].as_array().unwrap().len();
    assert_eq!(
        count(&app.get_json(&format!("/api/v1/measures/{m5}")).await),
        7 * 8
    );
    let admin = app.login_admin().await;
    let path = format!("/admin/measures/{m5}/deadline");
    let bad = app.post_as(&admin, &path, &[("deadline", "明年")]).await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("deadline"));
    let set = app
        .post_as(&admin, &path, &[("deadline", "2026-05-01")])
        .await;
    assert_eq!(set.status, 303);
    // Q1 and Q2 (which starts before the deadline) remain, for all seven units.
    assert_eq!(
        count(&app.get_json(&format!("/api/v1/measures/{m5}")).await),
        7 * 2
    );
    let page = app.get_as(&admin, &format!("/measures/{m5}")).await;
    assert!(page.body.contains("办结时限：<strong>2026-05-01</strong>"));
    let cleared = app.post_as(&admin, &path, &[("deadline", "")]).await;
    assert_eq!(cleared.status, 303);
    assert_eq!(
        count(&app.get_json(&format!("/api/v1/measures/{m5}")).await),
        7 * 8
    );
    assert_eq!(actions(&app, "measure.deadline"), ["admin", "admin"]);
}

#[actix_web::test]
async fn a_due_date_in_the_national_day_holiday_moves_to_the_next_working_day() {
    let app = spawn_app().await;
    let m5 = app.measure_id(5).await;
    let detail = app.get_json(&format!("/api/v1/measures/{m5}")).await;
    let due = |role: &str| {
        detail["obligations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["role"] == role && o["period"] == "2026-Q3")
            .unwrap()["due_on"]
            .clone()
    };
    // Q3 ends 09-30: the lead is due 10-10, a make-up working Saturday; the co units' 10-07
    // falls in the National Day holiday and moves to 10-08.
    assert_eq!(due("lead"), "2026-10-10");
    assert_eq!(due("co"), "2026-10-08");
}

#[actix_web::test]
async fn an_upload_with_too_many_fields_is_refused() {
    let app = spawn_app().await;
    app.add_user("renshe", "liaison", Some("地区人社局"));
    let hr = app.token_for("renshe");
    let path = format!("/api/v1/measures/{}/reports", app.measure_id(5).await);
    let names: Vec<String> = (0..40).map(|i| format!("f{i}")).collect();
    let mut fields: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "x")).collect();
    fields.extend(report_fields("进展", "10", "on_track"));
    let reply = app.api_multipart(&path, &hr, &fields, &[]).await;
    assert_eq!(reply.status, 413, "{}", reply.body);
    assert_eq!(report_count(&app), 0);
}

#[actix_web::test]
async fn the_office_reviews_through_the_form_and_marks_a_file() {
    let app = spawn_app().await;
    app.add_user("renshe", "liaison", Some("地区人社局"));
    let hr = app.token_for("renshe");
    let m5 = app.measure_id(5).await;
    let sent = app
        .api_multipart(
            &format!("/api/v1/measures/{m5}/reports"),
            &hr,
            &report_fields("进展", "30", "at_risk"),
            &[("a.pdf", &pdf("a")), ("b.png", &png("b"))],
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    let report = sent.json();
    let png_id = report["evidence"][1]["id"].to_string();
    let admin = app.login_admin().await;
    let queue = app.get_as(&admin, "/admin/reviews").await;
    assert!(
        queue.body.contains("地区人社局"),
        "the report waits in the queue"
    );
    // The office's navigation counts it on every page; a liaison's shows no counts.
    let waiting = "title=\"1 份报告待审核\">1</span>";
    assert!(app.get_as(&admin, "/ledger").await.body.contains(waiting));
    let liaison = app.login("renshe", "pw-renshe-Tarim7q").await;
    let desk = app.get_as(&liaison, "/").await;
    assert!(!desk.body.contains("navcount"), "{}", desk.body);

    let path = format!("/reports/{}/review", report["id"]);
    let bare = app.post_as(&admin, &path, &[("decision", "return")]).await;
    assert_eq!(bare.status, 422);
    assert!(
        bare.body.contains("退回时必须填写意见"),
        "shown on the page"
    );
    let done = app
        .post_as(
            &admin,
            &path,
            &[
                ("decision", "return"),
                ("comment", "照片不清"),
                ("insufficient", &png_id),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let after = app
        .api_json(&format!("/api/v1/reports/{}", report["id"]), &hr)
        .await;
    assert_eq!(after["state"], "returned");
    assert_eq!(after["review"]["comment"], "照片不清");
    let marked: Vec<bool> = after["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["insufficient"].as_bool().unwrap())
        .collect();
    assert_eq!(marked, [false, true]);
    let queue = app.get_as(&admin, "/admin/reviews").await;
    assert!(!queue.body.contains("地区人社局"));
    assert!(!queue.body.contains("份报告待审核"), "{}", queue.body);
}

/// The value of every `carried` checkbox on a page.
fn carried_tokens(html: &str) -> Vec<String> {
    html.split(r#"name="carried" value=""#)
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|t| t.replace("&quot;", "\"").replace("&#x3D;", "="))
        .collect()
}

#[actix_web::test]
async fn a_refused_file_or_a_bad_field_brings_the_form_back_with_everything_typed() {
    let app = spawn_app().await;
    app.add_user("renshe", "liaison", Some("地区人社局"));
    let hr = app.login("renshe", "pw-renshe-Tarim7q").await;
    let ob = hr_obligation(&app).await;
    let form = format!("/obligations/{}/report", ob["id"]);
    let typed = [
        ("summary", "已完成三个乡镇的摸底，第四个下周完成"),
        ("percent", "45"),
        ("status", "at_risk"),
        ("action", "submit"),
    ];
    let exe = [b"MZ\x90\x00".as_slice(), &[0u8; 64]].concat();

    // A file of the wrong type beside a good one: 415, and nothing is lost.
    let refused = app
        .multipart_as(
            &hr,
            &form,
            &typed,
            &[("摸底表.pdf", &pdf("good")), ("setup.pdf", &exe)],
        )
        .await;
    assert_eq!(refused.status, 415, "{}", refused.body);
    let page = &refused.body;
    assert!(page.contains(">已完成三个乡镇的摸底，第四个下周完成</textarea>"));
    assert!(page.contains(r#"value="45""#));
    assert!(page.contains(r#"<option value="at_risk" selected>"#));
    assert!(
        page.contains("class=\"field-error\"") && page.contains("文件“setup.pdf”不是允许的类型")
    );
    assert!(!page.contains("evidence："), "no field code in the message");
    assert!(
        page.contains("摸底表.pdf"),
        "the good file is kept for the next try"
    );
    let tokens = carried_tokens(page);
    assert_eq!(tokens.len(), 1, "{page}");
    assert_eq!(report_count(&app), 0, "nothing was saved");

    // A bad percent keeps the text and the carried file too.
    let mut bad = typed.to_vec();
    bad[1] = ("percent", "450");
    let carried: Vec<(&str, &str)> = tokens.iter().map(|t| ("carried", t.as_str())).collect();
    let bad_fields: Vec<(&str, &str)> = bad.iter().copied().chain(carried.clone()).collect();
    let again = app.multipart_as(&hr, &form, &bad_fields, &[]).await;
    assert_eq!(again.status, 422, "{}", again.body);
    assert!(again.body.contains(r#"value="450""#) && again.body.contains("percent-error"));
    assert!(again.body.contains("第四个下周完成") && again.body.contains("摸底表.pdf"));

    // Sent again with the token and no file chosen: saved with the file.
    let fields: Vec<(&str, &str)> = typed.iter().copied().chain(carried).collect();
    let sent = app.multipart_as(&hr, &form, &fields, &[]).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let reports = app
        .get_json(&format!("/api/v1/measures/{}", app.measure_id(5).await))
        .await;
    let report = reports["reports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["obligation_id"] == ob["id"] || r["period"] == Q1)
        .cloned()
        .unwrap_or_default();
    let names: Vec<&str> = report["evidence"]
        .as_array()
        .map(|e| e.iter().filter_map(|f| f["filename"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["摸底表.pdf"], "{report}");
    assert_eq!(report["summary"], "已完成三个乡镇的摸底，第四个下周完成");
}

#[actix_web::test]
async fn a_report_sent_after_the_session_ended_is_kept_as_a_draft() {
    let app = spawn_app().await;
    app.add_user("renshe", "liaison", Some("地区人社局"));
    let hr = app.login("renshe", "pw-renshe-Tarim7q").await;
    let ob = hr_obligation(&app).await;
    let page = format!("/obligations/{}", ob["id"]);
    assert_eq!(app.get_as(&hr, &page).await.status, 200);
    // The liaison writes for longer than the idle timeout, then presses 提交.
    app.clock.advance(Duration::minutes(45));
    let sent = app
        .multipart_as(
            &hr,
            &format!("{page}/report"),
            &[
                ("summary", "写了很久的一段进展"),
                ("percent", "60"),
                ("status", "on_track"),
                ("action", "submit"),
            ],
            &[("附件.pdf", &pdf("late"))],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let to = sent.header("location").unwrap().to_string();
    assert!(
        to.starts_with("/login?") && to.contains("kept=draft"),
        "{to}"
    );
    let login = app.get(&to).await;
    assert!(
        login.body.contains("登录已超时，已为您保存草稿"),
        "{}",
        login.body
    );
    assert!(
        login.body.contains(&format!(r#"value="{page}""#)),
        "back to the obligation"
    );
    // The ended session is gone: the same cookie no longer reaches any page.
    assert_eq!(app.get_as(&hr, &page).await.status, 303);
    // Saved as a draft, not submitted: the person confirms after signing in.
    let again = app.login("renshe", "pw-renshe-Tarim7q").await;
    let own = app.get_as(&again, &page).await;
    assert!(
        own.body.contains(">写了很久的一段进展</textarea>"),
        "{}",
        own.body
    );
    assert!(own.body.contains("附件.pdf"));
    assert_eq!(hr_obligation(&app).await["state"], "open");
    assert_eq!(
        actions(&app, "report.draft").len(),
        1,
        "attributed to the liaison"
    );

    // A form without the session's CSRF token is not kept.
    app.clock.advance(Duration::minutes(45));
    let forged = app
        .multipart_as(
            &crate::helpers::Session {
                csrf: "0".repeat(64),
                cookie: again.cookie.clone(),
            },
            &format!("{page}/report"),
            &[
                ("summary", "伪造"),
                ("percent", "1"),
                ("status", "on_track"),
            ],
            &[],
        )
        .await;
    assert_eq!(forged.status, 303);
    assert!(!forged.header("location").unwrap().contains("kept=draft"));
    assert_eq!(report_count(&app), 1);
}
