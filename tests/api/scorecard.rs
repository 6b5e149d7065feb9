//! Scorecards with numbers worked out by hand, a weight change that turns the ranking, and
//! exports that hold the same numbers as the page and the API.

use chrono::Duration;
use diesel::Connection;
use serde_json::Value;

use crate::helpers::{repo_path, spawn_app, spawn_app_with_config, TestApp};

/// Imports the three-unit fixture with a quarterly schedule from 2026-01-01 (Q1 due 04-10,
/// the co unit 04-07), then plays out the quarter:
/// - 县甲局 (lead, measure 1) reports on 03-02, on time, 10%; nobody reviews it.
/// - 县乙局 (co, measure 1) never reports.
/// - 县丙局 (lead, measure 2) reports on 04-12, late, 60%; returned; resubmits 80%; accepted.
///
/// The scorecard is then read on 04-20 (Beijing).
pub async fn quarter(app: &TestApp) -> i64 {
    let fixture = repo_path("tests/fixtures/scoring-three-units.txt");
    let out = app.db.cli(&[
        "import",
        fixture.to_str().unwrap(),
        "--schedule-from",
        "2026-01-01",
    ]);
    assert!(out.success(), "{}", out.stderr());
    let doc = app.document_id("测政发〔2026〕1号").await;
    let measures = app
        .get_json(&format!("/api/v1/measures?document={doc}"))
        .await;
    let id = |n: i64| {
        measures
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["number"] == n)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    app.add_user("jiaju", "liaison", Some("县甲局"));
    app.add_user("bingju", "liaison", Some("县丙局"));
    let jia = app.token_for("jiaju");
    let bing = app.token_for("bingju");
    let fields = |percent: &'static str| {
        vec![
            ("period", "2026-Q1"),
            ("summary", "本季度进展"),
            ("percent", percent),
            ("status", "on_track"),
        ]
    };
    let sent = app
        .api_multipart(
            &format!("/api/v1/measures/{}/reports", id(1)),
            &jia,
            &fields("10"),
            &[],
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.body);

    app.clock.advance(Duration::days(41)); // 04-12
    let path = format!("/api/v1/measures/{}/reports", id(2));
    let late = app.api_multipart(&path, &bing, &fields("60"), &[]).await;
    assert_eq!(late.status, 201, "{}", late.body);
    let review = |report: &Value, body: Value| {
        let req = app
            .client
            .post(app.url(&format!("/api/v1/reports/{}/review", report["id"])))
            .insert_header(("Authorization", format!("Bearer {}", app.admin_token)));
        async move {
            let res = req.send_json(&body).await.unwrap();
            assert_eq!(res.status().as_u16(), 200);
        }
    };
    review(
        &late.json(),
        serde_json::json!({"decision": "return", "comment": "请补充数据"}),
    )
    .await;
    let again = app.api_multipart(&path, &bing, &fields("80"), &[]).await;
    assert_eq!(again.status, 201, "{}", again.body);
    review(&again.json(), serde_json::json!({"decision": "accept"})).await;
    app.clock.advance(Duration::days(8)); // 04-20
    doc
}

fn scores(card: &Value) -> Vec<(String, Value, Value)> {
    card["departments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["name"].as_str().unwrap().to_string(),
                d["score"].clone(),
                d["rank"].clone(),
            )
        })
        .collect()
}

#[actix_web::test]
async fn hand_computed_scores_and_ranks() {
    let app = spawn_app().await;
    let doc = quarter(&app).await;
    let card = app
        .get_json(&format!("/api/v1/scorecard?document={doc}"))
        .await;
    // 县甲局: timeliness 1, first pass — (unreviewed), completion 0, progress 0.1:
    //   (40 + 0 + 15 × 0.1) × 100/80 = 51.875 → 51.9
    // 县丙局: timeliness 0, first pass 0, completion 1, progress 0.8: 25 + 12 = 37.0
    // 县乙局: nothing reported, 13 days overdue: 0 − 6.5, at most 5 for one item → 0.0
    assert_eq!(
        scores(&card),
        [
            (
                "县甲局".to_string(),
                serde_json::json!(51.9),
                serde_json::json!(1)
            ),
            (
                "县丙局".to_string(),
                serde_json::json!(37.0),
                serde_json::json!(2)
            ),
            (
                "县乙局".to_string(),
                serde_json::json!(0.0),
                serde_json::json!(3)
            ),
        ]
    );
    let yi = &card["departments"][2];
    assert_eq!(yi["components"]["penalty"], 5.0);
    assert_eq!(yi["components"]["timeliness"], 0.0);
    assert!(yi["components"]["first_pass"].is_null());
    let bing = &card["departments"][1]["components"];
    assert_eq!(
        (bing["completion"].as_f64(), bing["progress"].as_f64()),
        (Some(1.0), Some(0.8))
    );

    // Q2 is not due yet: nobody has anything to be scored on.
    let q2 = app
        .get_json(&format!("/api/v1/scorecard?document={doc}&period=2026-Q2"))
        .await;
    assert!(q2["departments"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["score"].is_null() && d["status"] == "nothing_due"));

    // The page says the same, with its breakdown and formula.
    let leader_pw = app.add_user("boss", "leader", None);
    let boss = app.login("boss", &leader_pw).await;
    let page = app
        .get_as(&boss, &format!("/scorecard?document={doc}"))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    for text in ["51.9", "37", "计分方法", "<svg"] {
        assert!(page.body.contains(text), "page lacks {text}");
    }
    let jia_id = card["departments"][0]["department_id"].as_i64().unwrap();
    let breakdown = app
        .get_as(
            &boss,
            &format!("/scorecard/departments/{jia_id}?document={doc}"),
        )
        .await;
    assert_eq!(breakdown.status, 200);
    assert!(
        breakdown.body.contains("51.88"),
        "contributions add up to the score"
    );
    let bad = app
        .get_as(&boss, &format!("/scorecard?document={doc}&period=2031-Q9"))
        .await;
    assert_eq!(bad.status, 422);
}

#[actix_web::test]
async fn a_weight_change_in_config_turns_the_ranking() {
    let app = spawn_app_with_config("[scoring]\ncompletion = 80.0\n").await;
    let doc = quarter(&app).await;
    let card = app
        .get_json(&format!("/api/v1/scorecard?document={doc}"))
        .await;
    // 县丙局: (0 + 0 + 80 × 1 + 15 × 0.8) × 100/155 = 59.35 → 59.4
    // 县甲局: (40 + 0 + 15 × 0.1) × 100/135 = 30.74 → 30.7
    let got: Vec<(String, Value)> = scores(&card).into_iter().map(|(n, s, _)| (n, s)).collect();
    assert_eq!(
        got,
        [
            ("县丙局".to_string(), serde_json::json!(59.4)),
            ("县甲局".to_string(), serde_json::json!(30.7)),
            ("县乙局".to_string(), serde_json::json!(0.0)),
        ]
    );
    assert_eq!(card["weights"]["completion"], 80.0);
}

#[actix_web::test]
async fn exports_hold_the_same_numbers_as_the_page_and_the_api() {
    use calamine::{Data, Reader, Xlsx};
    let app = spawn_app().await;
    let doc = quarter(&app).await;
    let card = app
        .get_json(&format!("/api/v1/scorecard?document={doc}"))
        .await;
    let admin = app.login_admin().await;

    let xlsx = app
        .send_raw(&admin, &format!("/scorecard.xlsx?document={doc}"))
        .await;
    assert_eq!(xlsx.0, 200);
    assert_eq!(
        xlsx.1,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(xlsx.2)).unwrap();
    let sheet = book.worksheet_range("考核排名").unwrap();
    let rows: Vec<Vec<Data>> = sheet.rows().map(|r| r.to_vec()).collect();
    assert_eq!(rows[0][1], Data::String("单位".into()));
    for (i, d) in card["departments"].as_array().unwrap().iter().enumerate() {
        let row = &rows[i + 1];
        assert_eq!(row[1], Data::String(d["name"].as_str().unwrap().into()));
        assert_eq!(
            row[2],
            Data::Float(d["score"].as_f64().unwrap()),
            "a number, not text"
        );
        assert_eq!(row[0], Data::Float(d["rank"].as_f64().unwrap()));
        // The light in words, as on the page.
        let light = match d["light"].as_str().unwrap() {
            "red" => "逾期",
            "green" => "正常",
            other => panic!("unexpected light {other}"),
        };
        assert_eq!(row[8], Data::String(light.into()), "{}", d["name"]);
    }

    let csv = app
        .send_raw(&admin, &format!("/scorecard.csv?document={doc}"))
        .await;
    assert!(csv.2.starts_with("\u{feff}".as_bytes()), "a BOM for Excel");
    let text = String::from_utf8(csv.2).unwrap();
    assert!(text.contains("\"县甲局\",51.9"), "{text}");
    assert!(text.lines().next().unwrap().contains("排名,单位,得分"));
    assert!(text
        .lines()
        .next()
        .unwrap()
        .ends_with("当前状态,较上一区间"));

    let status = app
        .send_raw(&admin, &format!("/measures.xlsx?document={doc}"))
        .await;
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(status.2)).unwrap();
    let sheet = book.worksheet_range("措施状态").unwrap();
    let rows: Vec<Vec<Data>> = sheet.rows().map(|r| r.to_vec()).collect();
    assert_eq!(rows.len(), 3, "a header and two measures");
    assert_eq!(rows[1][2], Data::String("县甲局".into()));
    assert_eq!(
        rows[1][4],
        Data::String("逾期".into()),
        "县乙局 is overdue on measure 1"
    );
}

#[actix_web::test]
async fn the_scorecard_query_count_does_not_grow_with_the_data() {
    let app = spawn_app().await;
    let small = quarter(&app).await as i32;
    let pool = app.db.pool();
    let mut conn = pool.get().unwrap();
    let settings = app.db.settings(&[]);
    duban::demo::generate(
        &mut conn,
        &settings,
        2,
        crate::helpers::fixed_now().date(),
        crate::helpers::fixed_now(),
        "test",
    )
    .unwrap();
    let large = duban::db::documents::labels(&mut conn)
        .unwrap()
        .last()
        .unwrap()
        .0;
    let rules =
        duban::read::progress::LightRules::load(&mut conn, crate::helpers::fixed_now().date(), 7)
            .unwrap();
    let counter = duban::db::QueryCounter::default();
    conn.set_instrumentation(counter.clone());
    let mut count = |doc: i32| {
        counter.reset();
        let q = serde_urlencoded::from_str(&format!("document={doc}")).unwrap();
        duban::read::scorecard::load(&mut conn, &q, &rules, &settings.scoring, settings.timezone)
            .unwrap();
        counter.count()
    };
    let (a, b) = (count(small), count(large));
    assert_eq!(
        a, b,
        "3 departments or 33 over 24 periods: the same queries"
    );
    assert!(a <= 10, "{a} queries");
}

/// The scorecard page is kept drawn between changes; a change anywhere (an accepted report)
/// redraws it, and so does a new day.
#[actix_web::test]
async fn the_kept_scorecard_is_redrawn_after_a_change_and_on_a_new_day() {
    let app = spawn_app().await;
    app.add_user("renshe", "liaison", Some("地区人社局"));
    let hr = app.token_for("renshe");
    let admin = app.login_admin().await;
    let before = app.get_as(&admin, "/scorecard").await;
    assert_eq!(before.status, 200);
    let again = app.get_as(&admin, "/scorecard").await;
    let body = |r: &crate::helpers::Reply| {
        r.body
            .split("<main id=\"main\">")
            .nth(1)
            .unwrap()
            .to_string()
    };
    assert_eq!(
        body(&before),
        body(&again),
        "nothing changed: the same page"
    );

    let m5 = app.measure_id(5).await;
    let posted = app
        .api_multipart(
            &format!("/api/v1/measures/{m5}/reports"),
            &hr,
            &[
                ("period", "2026-Q1"),
                ("summary", "已完成"),
                ("percent", "100"),
                ("status", "completed"),
            ],
            &[],
        )
        .await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    app.clock.advance(Duration::days(45));
    // (The session has long ended: sign in again.)
    let admin = app.login_admin().await;
    let late = app.get_as(&admin, "/scorecard").await;
    assert_ne!(body(&before), body(&late), "a report and a new day show");
    let mut res = app
        .client
        .post(app.url(&format!("/api/v1/reports/{}/review", posted.json()["id"])))
        .insert_header(("Authorization", format!("Bearer {}", app.admin_token)))
        .send_json(&serde_json::json!({"decision": "accept"}))
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200, "{:?}", res.body().await);
    let accepted = app.get_as(&admin, "/scorecard").await;
    assert_ne!(body(&late), body(&accepted), "the acceptance shows at once");
}

/// The row of one unit in a scorecard answer.
fn unit<'a>(card: &'a Value, name: &str) -> &'a Value {
    card["departments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {card}"))
}

#[actix_web::test]
async fn early_work_counts_the_window_decides_and_lights_tell_the_state_now() {
    let app = spawn_app().await;
    let doc = quarter(&app).await;
    // On 04-20 县甲局 hands in its Q2 report (due 07-10) early, 90%, and it is accepted.
    let jia = app.token_for("jiaju");
    let measures = app
        .get_json(&format!("/api/v1/measures?document={doc}"))
        .await;
    let m1 = measures
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["number"] == 1)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let fields = [
        ("period", "2026-Q2"),
        ("summary", "二季度任务已提前完成"),
        ("percent", "90"),
        ("status", "on_track"),
    ];
    let early = app
        .api_multipart(
            &format!("/api/v1/measures/{m1}/reports"),
            &jia,
            &fields,
            &[],
        )
        .await;
    assert_eq!(early.status, 201, "{}", early.body);
    let res = app
        .client
        .post(app.url(&format!("/api/v1/reports/{}/review", early.json()["id"])))
        .insert_header(("Authorization", format!("Bearer {}", app.admin_token)))
        .send_json(&serde_json::json!({"decision": "accept"}))
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);

    // This year (the default window): 县甲局's Q1 (on time, unreviewed, 10%) and its early Q2
    // (on time, accepted, 90%): timeliness 2/2, first pass 1/1, completion 1/2 (Q1 is due,
    // not accepted), progress (0.1 + 0.9)/2: 40 + 20 + 12.5 + 7.5 = 80.0 (it was 51.9 while
    // early work counted for nothing).
    let year = app
        .get_json(&format!("/api/v1/scorecard?document={doc}"))
        .await;
    assert_eq!(year["window"]["kind"], "year");
    assert_eq!(
        (&year["window"]["from"], &year["window"]["to"]),
        (
            &serde_json::json!("2026-01-01"),
            &serde_json::json!("2026-12-31")
        )
    );
    assert_eq!(unit(&year, "县甲局")["score"], 80.0);
    assert_eq!(unit(&year, "县甲局")["rank"], 1);
    // Lights now: 县乙局 has its Q1 overdue; 县丙局's Q1 is accepted and Q2 not yet due;
    // 县甲局's Q1 waits for review on time.
    assert_eq!(unit(&year, "县乙局")["light"], "red");
    assert_eq!(unit(&year, "县丙局")["light"], "green");
    assert_eq!(unit(&year, "县甲局")["light"], "green");
    // Nothing before 2026: no trend.
    assert!(unit(&year, "县甲局")["trend"].is_null());

    // One period, against the one before: 县甲局's Q2 alone is 40 + 20 + 25 + 13.5 = 98.5, up
    // on its Q1 (51.9); the others have nothing in Q2 and no trend.
    let q2 = app
        .get_json(&format!("/api/v1/scorecard?document={doc}&period=2026-Q2"))
        .await;
    assert_eq!(q2["window"]["kind"], "period");
    assert_eq!(
        q2["window"]["to"], "2026-07-10",
        "the period's last due date"
    );
    let jia_q2 = unit(&q2, "县甲局");
    assert_eq!(
        (
            &jia_q2["score"],
            &jia_q2["previous_score"],
            &jia_q2["trend"]
        ),
        (
            &serde_json::json!(98.5),
            &serde_json::json!(51.9),
            &serde_json::json!("up")
        )
    );
    assert!(unit(&q2, "县丙局")["score"].is_null() && unit(&q2, "县丙局")["trend"].is_null());

    // This quarter (April to June, by due date): the Q1 reports due in April, not Q2's.
    let quarter_card = app
        .get_json(&format!("/api/v1/scorecard?document={doc}&window=quarter"))
        .await;
    assert_eq!(quarter_card["window"]["from"], "2026-04-01");
    assert_eq!(quarter_card["window"]["to"], "2026-06-30");
    assert_eq!(unit(&quarter_card, "县甲局")["score"], 51.9);

    // A custom window holding only 县乙局's co deadline (04-07).
    let custom = app
        .get_json(&format!(
            "/api/v1/scorecard?document={doc}&window=custom&from=2026-04-01&to=2026-04-08"
        ))
        .await;
    assert_eq!(unit(&custom, "县乙局")["score"], 0.0);
    assert!(unit(&custom, "县甲局")["score"].is_null());
    assert_eq!(unit(&custom, "县甲局")["status"], "nothing_due");

    // Bad windows are refused by name.
    for (query, words) in [
        ("window=decade", "decade"),
        (
            "window=custom&from=2026-05-01&to=2026-04-01",
            "起始不晚于截止",
        ),
        ("window=custom&from=2026-05-01", "起止两个日期"),
        ("trend=nobody", "nobody"),
    ] {
        let bad = app
            .api_get(
                &format!("/api/v1/scorecard?document={doc}&{query}"),
                &app.admin_token,
            )
            .await;
        assert_eq!(bad.status, 422, "{query}: {}", bad.body);
        assert!(bad.body.contains(words), "{query}: {}", bad.body);
    }

    // The page: the window in words, the measures' lights now, and heat-map cells that open
    // the ledger filtered to that measure × unit in the same window.
    let leader_pw = app.add_user("boss", "leader", None);
    let boss = app.login("boss", &leader_pw).await;
    let page = app
        .get_as(&boss, &format!("/scorecard?document={doc}"))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("本年（2026年）"), "the window in words");
    let head = page.body.split("print-head\">").nth(1).unwrap_or("");
    assert!(
        head.starts_with("《测试县考核计分演示方案》督办情况 截至 2026-04-20（本年（2026年））"),
        "{}",
        &head[..head.len().min(300)]
    );
    // Measure 1 is red now (县乙局's overdue co task), measure 2 green: not "all red".
    assert!(page.body.contains("逾期</span> 1 项措施"), "{}", page.body);
    assert!(page.body.contains("正常</span> 1 项措施"));
    assert!(
        page.body.contains("已办结</span> 0 项措施"),
        "办结 is always counted"
    );
    let yi = unit(&year, "县乙局")["department_id"].as_i64().unwrap();
    // (Handlebars writes `=` and `&` in links as entities.)
    let decoded = page.body.replace("&#x3D;", "=").replace("&amp;", "&");
    let link = format!(
        "/ledger?document={doc}&measure={m1}&department={yi}&due_from=2026-01-01&due_to=2026-12-31\""
    );
    assert!(decoded.contains(&link), "{link} not on the page");
    let query = link.trim_end_matches('"').replace("/ledger?", "");
    let rows = app.get_json(&format!("/api/v1/obligations?{query}")).await;
    let items = rows["obligations"].as_array().expect("obligations");
    assert!(!items.is_empty());
    assert!(
        items
            .iter()
            .all(|o| o["department"] == "县乙局" && o["measure"]["id"] == m1),
        "{rows}"
    );
}

#[actix_web::test]
async fn a_liaison_sees_their_own_units_score_and_no_other() {
    let app = spawn_app().await;
    let doc = quarter(&app).await;
    let card = app
        .get_json(&format!("/api/v1/scorecard?document={doc}"))
        .await;
    let jia_id = unit(&card, "县甲局")["department_id"].as_i64().unwrap();
    let bing_id = unit(&card, "县丙局")["department_id"].as_i64().unwrap();
    let jia = app.login("jiaju", "pw-jiaju-Tarim7q").await;

    // The scorecard sends a liaison to their own unit's page, with the same selection.
    let sent = app
        .get_as(&jia, &format!("/scorecard?document={doc}"))
        .await;
    assert_eq!(sent.status, 303);
    let own = format!("/scorecard/departments/{jia_id}?document={doc}");
    assert_eq!(sent.header("location"), Some(own.as_str()));
    let page = app.get_as(&jia, &own).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("51.9") && page.body.contains("第 1 名（共 3 个单位）"));
    assert!(
        page.body.contains("本单位考核"),
        "the liaison's own entry in the menu"
    );
    assert!(!page.body.contains("县丙局"), "nothing of another unit");
    // Another unit's breakdown is refused.
    let other = app
        .get_as(
            &jia,
            &format!("/scorecard/departments/{bing_id}?document={doc}"),
        )
        .await;
    assert_eq!(other.status, 403);
    // The API answers with their own row only.
    let token = app.token_for("jiaju");
    let mine = app
        .api_json(&format!("/api/v1/scorecard?document={doc}"), &token)
        .await;
    let names: Vec<&str> = mine["departments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["县甲局"]);
    assert_eq!(mine["departments"][0]["rank"], 1);
}

#[actix_web::test]
async fn a_plan_without_a_schedule_shows_nothing_due_not_a_score() {
    let app = spawn_app().await;
    let fixture = repo_path("tests/fixtures/scoring-three-units.txt");
    let out = app.db.cli(&["import", fixture.to_str().unwrap()]);
    assert!(out.success(), "{}", out.stderr());
    let doc = app.document_id("测政发〔2026〕1号").await;
    for window in ["year", "all", "quarter"] {
        let card = app
            .get_json(&format!("/api/v1/scorecard?document={doc}&window={window}"))
            .await;
        let units = card["departments"].as_array().unwrap();
        assert_eq!(units.len(), 3, "{card}");
        assert!(
            units.iter().all(|d| d["score"].is_null()
                && d["rank"].is_null()
                && d["status"] == "nothing_due"),
            "{window}: {card}"
        );
    }
    // A period the document does not have is refused by name.
    let bad = app
        .api_get(
            &format!("/api/v1/scorecard?document={doc}&period=2026-Q1"),
            &app.admin_token,
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("2026-Q1"), "{}", bad.body);
    let leader_pw = app.add_user("boss", "leader", None);
    let boss = app.login("boss", &leader_pw).await;
    let page = app
        .get_as(&boss, &format!("/scorecard?document={doc}"))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("暂无到期任务") && page.body.contains("还没有已到期的周期"));
    assert!(
        !page.body.contains(r#"class="score">0<"#),
        "no 0 that means nothing"
    );
}
