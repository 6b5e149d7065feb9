//! States that say the truth and reviews that flow: a late submission reads 逾期报送, a
//! return is first on the desk with its comment, the office works the queue with its
//! filters, 下一条, 常用意见 and inline previews.

use chrono::Duration;
use serde_json::Value;

use crate::helpers::{pdf, spawn_app, Session, TestApp};

const Q1: &str = "2026-Q1";

/// A unit's lead obligation on a measure for 2026-Q1.
async fn q1_obligation(app: &TestApp, measure: i64) -> Value {
    app.lead_obligation(measure, Q1).await
}

async fn submit(app: &TestApp, s: &Session, obligation: &Value, summary: &str) -> u16 {
    let form = format!("/obligations/{}/report", obligation["id"]);
    let fields = [
        ("summary", summary),
        ("percent", "40"),
        ("status", "on_track"),
        ("action", "submit"),
    ];
    let reply = app
        .multipart_as(s, &form, &fields, &[("花名册.pdf", &pdf("roster"))])
        .await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    reply.status
}

/// The id of the report waiting on an obligation.
async fn waiting_report(app: &TestApp, admin: &Session, obligation: &Value) -> String {
    app.waiting_report(admin, &obligation["id"].to_string())
        .await
}

#[actix_web::test]
async fn a_late_report_and_a_return_say_so_everywhere_and_the_return_is_first_on_the_desk() {
    let app = spawn_app().await;
    app.add_user("renshe", "liaison", Some("地区人社局"));
    let ob = q1_obligation(&app, 5).await;
    assert_eq!(ob["due_on"], "2026-04-10");

    // Three days past the due date (2026-04-13 in Beijing), the report is handed in.
    app.clock.advance(Duration::days(42));
    let hr = app.login("renshe", "pw-renshe-Tarim7q").await;
    let admin = app.login_admin().await;
    submit(&app, &hr, &ob, "已完成摸底").await;
    let page = app.get_as(&hr, &format!("/obligations/{}", ob["id"])).await;
    assert!(
        page.body
            .contains(r#"<span class="light light-red">逾期报送（迟 3 天）· 待审核</span>"#),
        "a late report is neither green nor 正常"
    );
    let csv = app.get_as(&admin, "/ledger.csv?state=submitted").await;
    assert!(
        csv.body.contains("逾期报送（迟 3 天）· 待审核"),
        "{}",
        csv.body
    );

    // Returned after the due date: first on the desk, with the office's words, and not
    // among the never-reported.
    let report = waiting_report(&app, &admin, &ob).await;
    let returned = app
        .post_as(
            &admin,
            &format!("/reports/{report}/review"),
            &[("decision", "return"), ("comment", "请补充花名册盖章页")],
        )
        .await;
    assert_eq!(returned.status, 303, "{}", returned.body);
    let desk = app.get_as(&hr, "/").await;
    let first_card = desk.body.find("class=\"card desk").expect("a desk list");
    let returned_at = desk
        .body
        .find("已退回待修改 · 逾期 3 天")
        .expect("the return");
    assert!(returned_at > first_card);
    assert!(desk.body[first_card..].starts_with("class=\"card desk urgent\""));
    assert!(
        desk.body.contains("请补充花名册盖章页"),
        "the comment is quoted"
    );
    let never_reported = desk
        .body
        .matches(&format!("/obligations/{}\"", ob["id"]))
        .count();
    assert_eq!(never_reported, 1, "listed once, as returned");

    // Handed in again and accepted: 本期已通过, and the obligation page tells the story in
    // order, each event as it was then.
    submit(&app, &hr, &ob, "已补充盖章页").await;
    let report = waiting_report(&app, &admin, &ob).await;
    app.post_as(
        &admin,
        &format!("/reports/{report}/review"),
        &[("decision", "accept"), ("comment", "")],
    )
    .await;
    let page = app.get_as(&hr, &format!("/obligations/{}", ob["id"])).await;
    assert!(page.body.contains(">本期已通过</span>"), "{}", page.body);
    assert!(page.body.contains("admin") || page.body.contains("管理员"));
    assert!(
        page.body.contains("renshe 同志"),
        "people are shown by their display name"
    );
    let m5 = app.measure_id(5).await;
    let measure = app.get_as(&hr, &format!("/measures/{m5}")).await;
    assert!(
        measure.body.contains("（renshe 同志）"),
        "the timeline names people"
    );
}

#[actix_web::test]
async fn the_office_works_the_queue_with_filters_next_canned_comments_and_previews() {
    let app = spawn_app().await;
    app.add_user("renshe", "liaison", Some("地区人社局"));
    let hr = app.login("renshe", "pw-renshe-Tarim7q").await;
    // Two reports waiting from the same unit, on measures 5 and 6 (both led by 人社局),
    // and the first one older.
    let first = q1_obligation(&app, 5).await;
    submit(&app, &hr, &first, "第一份").await;
    app.clock.advance(Duration::minutes(5));
    let measure6 = q1_obligation(&app, 6).await;
    submit(&app, &hr, &measure6, "第二份").await;
    let admin = app.login_admin().await;

    let queue = app.get_as(&admin, "/admin/reviews").await;
    assert_eq!(queue.status, 200);
    assert!(queue.body.contains("共 2 份"), "the queue has its count");
    // Links keep the queue's filters (`=` is written as an HTML entity).
    let a = queue
        .body
        .find(&format!("/obligations/{}?queue", first["id"]));
    let b = queue
        .body
        .find(&format!("/obligations/{}?queue", measure6["id"]));
    assert!(a.unwrap() < b.unwrap(), "oldest first: {}", queue.body);
    assert!(
        queue.body.contains("renshe 同志"),
        "authors by display name"
    );
    // Filters: by unit (the choice shows its count), and a bad filter is refused by name.
    assert!(queue.body.contains("地区人社局（2）"), "{}", queue.body);
    let bad = app.get_as(&admin, "/admin/reviews?unit=abc").await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("筛选条件“abc”无效"));
    let other = app.get_as(&admin, "/admin/reviews?document=999999").await;
    assert!(other.body.contains("没有待审核的报告"));

    // Opened from the queue: two buttons, an inline preview, 下一条.
    let page = app
        .get_as(&admin, &format!("/obligations/{}?queue=", first["id"]))
        .await;
    assert!(page
        .body
        .contains(r#"<button type="submit" name="decision" value="accept""#));
    assert!(page
        .body
        .contains(r#"<button type="submit" name="decision" value="return""#));
    assert!(!page.body.contains(r#"type="radio" name="decision""#));
    assert!(
        page.body
            .contains(&format!("/obligations/{}?queue", measure6["id"])),
        "下一条"
    );
    let at = page
        .body
        .find("<iframe src=\"/evidence/")
        .expect("a PDF shown inline");
    let src: String = page.body[at + 13..]
        .chars()
        .take_while(|c| *c != '"')
        .collect::<String>()
        .replace("&#x3D;", "=");
    let inline = app.get_as(&admin, &src).await;
    assert_eq!(inline.status, 200);
    assert!(inline
        .header("content-disposition")
        .unwrap()
        .starts_with("inline"));
    assert!(inline
        .header("content-security-policy")
        .unwrap()
        .starts_with("sandbox"));
    assert_eq!(inline.header("x-content-type-options"), Some("nosniff"));
    let download = app.get_as(&admin, src.trim_end_matches("?inline=1")).await;
    assert!(download
        .header("content-disposition")
        .unwrap()
        .starts_with("attachment"));

    // A return without a comment comes back with what was ticked, the message beside the
    // comment box, and changes nothing.
    let report = waiting_report(&app, &admin, &first).await;
    let refused = app
        .post_as(
            &admin,
            &format!("/reports/{report}/review"),
            &[("decision", "return"), ("comment", "  "), ("queue", "")],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains(r#"id="comment-error""#));
    assert!(
        refused.body.contains(r#"name="queue" value="""#),
        "the queue is kept"
    );

    // Returned with a comment kept for reuse: on to the next one in the queue.
    let done = app
        .post_as(
            &admin,
            &format!("/reports/{report}/review"),
            &[
                ("decision", "return"),
                ("comment", "佐证材料不全，请补充"),
                ("keep", "1"),
                ("queue", ""),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let next = done.header("location").unwrap().to_string();
    assert!(
        next.starts_with(&format!("/obligations/{}?queue=", measure6["id"])),
        "{next}"
    );
    let page = app.get_as(&admin, &next).await;
    assert!(
        page.body.contains(r#"data-comment="佐证材料不全，请补充""#),
        "the kept comment is offered"
    );
    assert_eq!(
        app.audit()
            .iter()
            .filter(|e| e.action == "canned.add")
            .count(),
        1
    );

    // The last one: back to the empty queue.
    let report = waiting_report(&app, &admin, &measure6).await;
    let last = app
        .post_as(
            &admin,
            &format!("/reports/{report}/review"),
            &[("decision", "accept"), ("comment", ""), ("queue", "")],
        )
        .await;
    assert_eq!(last.header("location"), Some("/admin/reviews?"));
    // A liaison never sees the review form nor the queue.
    let liaison_view = app
        .get_as(&hr, &format!("/obligations/{}?queue=", first["id"]))
        .await;
    assert!(!liaison_view.body.contains("name=\"decision\""));
    assert_eq!(app.get_as(&hr, "/admin/reviews").await.status, 403);
}

/// The words a page shows, without its markup (attributes carry codes on purpose).
fn visible_text(html: &str) -> String {
    let no_code = regex::Regex::new(r"(?s)<(script|style)\b.*?</(script|style)>").unwrap();
    let tags = regex::Regex::new(r"(?s)<[^>]*>").unwrap();
    tags.replace_all(&no_code.replace_all(html, " "), " ")
        .into_owned()
}

#[actix_web::test]
async fn no_page_or_export_shows_a_raw_state_code_or_a_field_code() {
    let app = spawn_app().await;
    app.add_user("renshe", "liaison", Some("地区人社局"));
    let ob = q1_obligation(&app, 5).await;
    let other = q1_obligation(&app, 6).await;
    app.clock.advance(Duration::days(42));
    let hr = app.login("renshe", "pw-renshe-Tarim7q").await;
    let admin = app.login_admin().await;
    // Every state at once: late and waiting, returned past due, a refused field, a draft.
    submit(&app, &hr, &ob, "已完成摸底").await;
    submit(&app, &hr, &other, "第二份").await;
    let report = waiting_report(&app, &admin, &other).await;
    app.post_as(
        &admin,
        &format!("/reports/{report}/review"),
        &[("decision", "return"), ("comment", "请补充")],
    )
    .await;
    let bad = app
        .multipart_as(
            &hr,
            &format!("/obligations/{}/report", other["id"]),
            &[
                ("summary", ""),
                ("percent", "250"),
                ("status", "x"),
                ("action", "submit"),
            ],
            &[],
        )
        .await;
    assert_eq!(bad.status, 422);

    let codes = regex::Regex::new(
        r"\b(on_track|at_risk|completed|submitted|submitted_late|returned|returned_overdue|accepted|overdue|pending|approved|refused|rejected|draft|open)\b|\b(percent|comment|evidence|summary|status)\s*[：:]",
    )
    .unwrap();
    let m5 = app.measure_id(5).await;
    let pages = [
        (&hr, "/".to_string()),
        (&hr, format!("/obligations/{}", ob["id"])),
        (&hr, format!("/measures/{m5}")),
        (&hr, "/ledger".to_string()),
        (&admin, "/".to_string()),
        (&admin, "/ledger".to_string()),
        (&admin, "/ledger.csv".to_string()),
        (&admin, "/ledger/print".to_string()),
        (&admin, "/admin/reviews".to_string()),
        (&admin, format!("/obligations/{}", ob["id"])),
        (&admin, "/scorecard".to_string()),
        (&admin, "/measures.csv".to_string()),
    ];
    for (who, path) in pages {
        let page = app.get_as(who, &path).await;
        if page.status == 404 {
            continue;
        }
        assert_eq!(page.status, 200, "{path}");
        let text = visible_text(&page.body);
        let found: Vec<&str> = codes.find_iter(&text).map(|m| m.as_str()).collect();
        assert!(found.is_empty(), "{path} shows codes {found:?}");
    }
    let text = visible_text(&bad.body);
    assert!(
        codes.find(&text).is_none(),
        "a refused form shows {:?}",
        codes.find(&text).map(|m| m.as_str())
    );
}

/// A liaison of 地区人社局 signs in and submits on measure 5; the office signs in: the audit
/// log then holds sign-ins and a submission.
async fn a_logged_report() -> (TestApp, Session, Value, Session) {
    let app = spawn_app().await;
    app.add_user("renshe", "liaison", Some("地区人社局"));
    let hr = app.login("renshe", "pw-renshe-Tarim7q").await;
    let ob = q1_obligation(&app, 5).await;
    submit(&app, &hr, &ob, "已完成摸底").await;
    let admin = app.login_admin().await;
    (app, hr, ob, admin)
}

#[actix_web::test]
async fn the_audit_log_reads_in_words_with_names_links_filters_and_a_csv() {
    let (app, hr, ob, admin) = a_logged_report().await;

    // The entries, not the filters' choices.
    let table = |html: &str| visible_text(html.split("<tbody>").nth(1).unwrap_or(""));
    let log = app.get_as(&admin, "/admin/audit").await;
    assert_eq!(log.status, 200);
    let text = table(&log.body);
    assert!(text.contains("登录") && text.contains("报送"), "{text}");
    assert!(!text.contains("user.login") && !text.contains("report.submit"));
    assert!(text.contains("renshe 同志"), "the actor by display name");
    // The report links to its obligation, through the log's redirect.
    let at = log
        .body
        .find("/admin/audit/goto/report/")
        .expect("a link to the report");
    let link: String = log.body[at..].chars().take_while(|c| *c != '"').collect();
    let goto = app.get_as(&admin, &link).await;
    assert_eq!(goto.status, 303);
    assert_eq!(
        goto.header("location"),
        Some(format!("/obligations/{}", ob["id"]).as_str())
    );

    // Filters by action and by object type; an unknown one is refused by name.
    let submits = app
        .get_as(&admin, "/admin/audit?action=report.submit")
        .await;
    let text = table(&submits.body);
    assert!(text.contains("报送") && !text.contains("登录"), "{text}");
    let reports = app.get_as(&admin, "/admin/audit?entity=report").await;
    let text = table(&reports.body);
    assert!(text.contains("报告 #") && !text.contains("登录"), "{text}");
    let bad = app.get_as(&admin, "/admin/audit?action=drop.table").await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("筛选条件“drop.table”无效"));

    let csv = app.get_as(&admin, "/admin/audit.csv?entity=report").await;
    assert_eq!(csv.status, 200);
    let lines: Vec<&str> = csv.body.lines().collect();
    assert!(lines[0].contains("操作人"), "{}", lines[0]);
    assert_eq!(lines.len(), 2, "one report entry: {}", csv.body);
    assert!(lines[1].contains("renshe 同志") && lines[1].contains("报送"));
    assert_eq!(app.get_as(&hr, "/admin/audit.csv").await.status, 403);
}

#[actix_web::test]
async fn the_audit_logs_details_read_in_the_readers_language_on_the_page_and_in_the_csv() {
    let (app, _, _, admin) = a_logged_report().await;

    let table = |html: &str| visible_text(html.split("<tbody>").nth(1).unwrap_or(""));
    // Neither the English free text the log once held, nor debug output, nor the stored
    // record itself (JSON, escaped on the page and doubled quotes in the CSV).
    let not_chinese = [
        "signed in",
        "submitted",
        "new files",
        "Some(",
        "None",
        "&quot;k&quot;",
        "\"\"k\"\"",
    ];
    let log = app.get_as(&admin, "/admin/audit").await;
    assert_eq!(log.status, 200);
    let text = table(&log.body);
    assert!(text.contains("登录成功"), "{text}");
    assert!(
        text.contains("报送第 1 版：地区人社局，措施 ") && text.contains("，进度 40%，新附件 1 个"),
        "{text}"
    );
    for old in not_chinese {
        assert!(!text.contains(old), "{old} in {text}");
    }
    let csv = app
        .get_as(&admin, "/admin/audit.csv?action=report.submit")
        .await;
    assert_eq!(csv.status, 200);
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines.len(), 2, "{}", csv.body);
    assert!(
        lines[1].contains("报送第 1 版：地区人社局") && lines[1].contains("进度 40%"),
        "{}",
        lines[1]
    );
    for old in not_chinese {
        assert!(!csv.body.contains(old), "{old} in {}", csv.body);
    }

    // The same entries for an office that reads English.
    let chosen = app
        .post_as(&admin, "/account/language", &[("language", "en")])
        .await;
    assert_eq!(chosen.status, 303);
    let text = table(&app.get_as(&admin, "/admin/audit").await.body);
    assert!(
        text.contains("version 1 handed in: 地区人社局, measure ")
            && text.contains(", 40% done, 1 new files"),
        "{text}"
    );
    assert!(text.contains("signed in"), "{text}");
    assert!(text.contains("interface language set to English"), "{text}");
    assert!(
        !text.contains("报送第") && !text.contains("登录成功"),
        "{text}"
    );
    let csv = app
        .get_as(&admin, "/admin/audit.csv?action=report.submit")
        .await;
    assert!(
        csv.body.contains("version 1 handed in: 地区人社局"),
        "{}",
        csv.body
    );
    assert!(!csv.body.contains("报送第"), "{}", csv.body);
}

#[actix_web::test]
async fn a_report_can_be_withdrawn_before_review_and_not_after() {
    let app = spawn_app().await;
    app.add_user("renshe", "liaison", Some("地区人社局"));
    app.add_user("caizheng", "liaison", Some("地区财政局"));
    let hr = app.login("renshe", "pw-renshe-Tarim7q").await;
    let fin = app.login("caizheng", "pw-caizheng-Tarim7q").await;
    let ob = q1_obligation(&app, 5).await;
    let page_of = format!("/obligations/{}", ob["id"]);
    submit(&app, &hr, &ob, "初稿").await;
    let page = app.get_as(&hr, &page_of).await;
    let at = page.body.find("/withdraw\"").expect("a 撤回 button");
    let start = page.body[..at].rfind("/reports/").unwrap();
    let withdraw = page.body[start..at + 9].to_string();

    assert_eq!(
        app.post_as(&fin, &withdraw, &[]).await.status,
        403,
        "another unit"
    );
    let done = app.post_as(&hr, &withdraw, &[]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let page = app.get_as(&hr, &page_of).await;
    assert!(
        page.body.contains(">待报送</span>"),
        "the obligation waits again"
    );
    assert!(
        page.body.contains(">初稿</textarea>"),
        "the text is back in the form"
    );
    assert!(!page.body.contains("/withdraw\""));
    assert_eq!(
        app.audit()
            .iter()
            .filter(|e| e.action == "report.withdraw")
            .count(),
        1
    );
    // Withdrawing what is no longer waiting: 409, and nothing changes.
    let again = app.post_as(&hr, &withdraw, &[]).await;
    assert_eq!(again.status, 409);
    assert!(again.body.contains("不能撤回"));

    // Handed in again and reviewed: too late to withdraw.
    submit(&app, &hr, &ob, "定稿").await;
    let admin = app.login_admin().await;
    let report = waiting_report(&app, &admin, &ob).await;
    app.post_as(
        &admin,
        &format!("/reports/{report}/review"),
        &[("decision", "accept"), ("comment", "")],
    )
    .await;
    let late = app
        .post_as(&hr, &format!("/reports/{report}/withdraw"), &[])
        .await;
    assert_eq!(late.status, 409);
    assert!(app
        .get_as(&hr, &page_of)
        .await
        .body
        .contains(">本期已通过</span>"));
}

#[actix_web::test]
async fn a_new_period_starts_from_the_last_one() {
    let app = spawn_app().await;
    app.add_user("renshe", "liaison", Some("地区人社局"));
    let hr = app.login("renshe", "pw-renshe-Tarim7q").await;
    let q1 = q1_obligation(&app, 5).await;
    submit(&app, &hr, &q1, "一季度完成三个乡镇摸底").await;
    let q2 = app.lead_obligation(5, "2026-Q2").await;
    let page = app.get_as(&hr, &format!("/obligations/{}", q2["id"])).await;
    assert!(page
        .body
        .contains(r#"name="percent" type="number" min="0" max="100" value="40""#));
    assert!(page.body.contains("上期（2026年第一季度）报送进度 40%"));
    assert!(!page.body.contains(">一季度完成三个乡镇摸底</textarea>"));
    let copied = app
        .get_as(&hr, &format!("/obligations/{}?copy=last", q2["id"]))
        .await;
    assert!(copied.body.contains(">一季度完成三个乡镇摸底</textarea>"));
    // The first period has nothing before it.
    let first = app.get_as(&hr, &format!("/obligations/{}", q1["id"])).await;
    assert!(!first.body.contains("上期（"));
}

#[actix_web::test]
async fn files_carried_over_or_in_a_draft_can_be_dropped() {
    let app = spawn_app().await;
    app.add_user("renshe", "liaison", Some("地区人社局"));
    let hr = app.login("renshe", "pw-renshe-Tarim7q").await;
    let admin = app.login_admin().await;
    let ob = q1_obligation(&app, 5).await;
    let form = format!("/obligations/{}/report", ob["id"]);
    let page_of = format!("/obligations/{}", ob["id"]);
    let fields = |action| {
        vec![
            ("summary", "已完成摸底"),
            ("percent", "40"),
            ("status", "on_track"),
            ("action", action),
        ]
    };
    let sent = app
        .multipart_as(
            &hr,
            &form,
            &fields("submit"),
            &[
                ("花名册.pdf", &pdf("roster")),
                ("照片说明.pdf", &pdf("photos")),
            ],
        )
        .await;
    assert_eq!(sent.status, 303);
    // The office returns it, marking 照片说明.pdf insufficient.
    let report = waiting_report(&app, &admin, &ob).await;
    let page = app.get_as(&admin, &page_of).await;
    let mark = regex::Regex::new(r#"name="insufficient" value="(\d+)"> 照片说明.pdf"#).unwrap();
    let weak = mark.captures(&page.body).unwrap()[1].to_string();
    app.post_as(
        &admin,
        &format!("/reports/{report}/review"),
        &[
            ("decision", "return"),
            ("comment", "照片说明不清楚"),
            ("insufficient", weak.as_str()),
        ],
    )
    .await;

    // The revision says what carries over; the insufficient file is not ticked.
    let page = app.get_as(&hr, &page_of).await;
    assert!(page.body.contains("沿用上版 2 个附件"), "{}", page.body);
    let tick = regex::Regex::new(r#"name="keep" value="(\d+)"( checked)?> ([^ <]+)"#).unwrap();
    let ticks: Vec<(String, bool, String)> = tick
        .captures_iter(&page.body)
        .map(|c| (c[1].to_string(), c.get(2).is_some(), c[3].to_string()))
        .collect();
    assert_eq!(ticks.len(), 2, "{ticks:?}");
    let good = ticks.iter().find(|t| t.2 == "花名册.pdf").unwrap();
    assert!(good.1 && !ticks.iter().find(|t| t.2 == "照片说明.pdf").unwrap().1);

    // Every file unticked and a bad percent: the form comes back with nothing ticked, as sent,
    // not with the defaults ticked again.
    let mut bad = fields("submit");
    bad.retain(|(k, _)| *k != "percent");
    bad.extend([("files_listed", "1"), ("percent", "150")]);
    let refused = app.multipart_as(&hr, &form, &bad, &[]).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    let ticked: Vec<bool> = tick
        .captures_iter(&refused.body)
        .map(|c| c.get(2).is_some())
        .collect();
    assert_eq!(ticked, [false, false], "{}", refused.body);

    // Saved as a draft with one new file: then the roster is dropped from the draft.
    let mut draft = fields("draft");
    draft.extend([("files_listed", "1"), ("keep", good.0.as_str())]);
    let saved = app
        .multipart_as(&hr, &form, &draft, &[("新照片.pdf", &pdf("new photos"))])
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let page = app.get_as(&hr, &page_of).await;
    assert!(page.body.contains("本草稿已附 2 个文件"));
    let ticks: Vec<(String, String)> = tick
        .captures_iter(&page.body)
        .map(|c| (c[1].to_string(), c[3].to_string()))
        .collect();
    let new_photo = ticks
        .iter()
        .find(|t| t.1 == "新照片.pdf")
        .unwrap()
        .0
        .clone();
    let rev = regex::Regex::new(r#"name="revision" value="(\d+)""#).unwrap();
    let revision = rev.captures(&page.body).unwrap()[1].to_string();
    let mut submit = fields("submit");
    submit.extend([
        ("files_listed", "1"),
        ("keep", new_photo.as_str()),
        ("revision", revision.as_str()),
    ]);
    let sent = app.multipart_as(&hr, &form, &submit, &[]).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let page = app.get_as(&admin, &page_of).await;
    // What the office reviews is version 2 with just the new photo.
    let v2_files = page.body.split("审核第 2 版").nth(1).unwrap_or("");
    assert!(v2_files.contains("新照片.pdf"), "{v2_files}");
    assert!(!v2_files.contains("花名册.pdf") && !v2_files.contains("照片说明.pdf"));
}

/// The value of a form input named `name` on a page.
fn input_value(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("no input {name}"));
    let rest = &html[at..];
    let v = rest.find("value=\"").expect("a value") + 7;
    rest[v..v + rest[v..].find('"').unwrap()].to_string()
}

#[actix_web::test]
async fn the_report_form_follows_the_office_template() {
    let app = spawn_app().await;
    app.add_user("renshe", "liaison", Some("地区人社局"));
    let admin = app.login_admin().await;
    let q1 = q1_obligation(&app, 5).await;
    let measure = app.measure_id(5).await;
    let doc =
        app.get_json(&format!("/api/v1/measures/{measure}")).await["document"]["id"].to_string();
    let form = format!("/obligations/{}/report", q1["id"]);
    let hr = app.login("renshe", "pw-renshe-Tarim7q").await;
    // By default the form asks for all three: 工作进展, 存在问题, 下步打算.
    let page = app.get_as(&hr, &format!("/obligations/{}", q1["id"])).await;
    assert!(page.body.contains(r#"name="problems""#) && page.body.contains(r#"name="next_steps""#));
    // The office switches 存在问题 off (the schedule itself unchanged).
    let plan = app.get_as(&admin, &format!("/documents/{doc}")).await;
    assert_eq!(plan.status, 200, "{doc}: {}", plan.body);
    let keep: Vec<(&str, String)> = ["starts_on", "periods", "due_days", "co_days"]
        .into_iter()
        .map(|k| (k, input_value(&plan.body, k)))
        .collect();
    let mut fields: Vec<(&str, &str)> = keep.iter().map(|(k, v)| (*k, v.as_str())).collect();
    fields.extend([
        ("cadence", "quarterly"),
        ("template_listed", "1"),
        ("ask_next_steps", "1"),
    ]);
    let saved = app
        .post_as(&admin, &format!("/admin/documents/{doc}/schedule"), &fields)
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let page = app.get_as(&hr, &format!("/obligations/{}", q1["id"])).await;
    assert!(!page.body.contains(r#"name="problems""#));
    assert!(page.body.contains("下步打算（选填）"));
    // A next step too long comes back with everything typed and its message in words.
    let long = "推".repeat(5001);
    let typed = [
        ("summary", "完成三个乡镇摸底"),
        ("next_steps", long.as_str()),
        ("percent", "45"),
        ("status", "on_track"),
        ("action", "submit"),
    ];
    let refused = app.multipart_as(&hr, &form, &typed, &[]).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("下步打算最多 5000 字"));
    assert!(refused.body.contains(">完成三个乡镇摸底</textarea>"));
    assert!(refused.body.contains(&format!(">{long}</textarea>")));
    assert!(!refused.body.contains("next_steps："));
    let fine = [
        ("summary", "完成三个乡镇摸底"),
        ("next_steps", "二季度覆盖全部乡镇"),
        ("percent", "45"),
        ("status", "on_track"),
        ("action", "submit"),
    ];
    let sent = app.multipart_as(&hr, &form, &fine, &[]).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    // The office reads the report under its headings, and so does the API.
    let review = app
        .get_as(&admin, &format!("/obligations/{}", q1["id"]))
        .await;
    let heading = r#"<h4 class="report-heading">下步打算</h4><p>二季度覆盖全部乡镇</p>"#;
    assert!(review.body.contains(heading));
    assert!(!review
        .body
        .contains(r#"<h4 class="report-heading">存在问题</h4>"#));
    let id = waiting_report(&app, &admin, &q1).await;
    let token = app.token_for("renshe");
    let api = app.api_json(&format!("/api/v1/reports/{id}"), &token).await;
    assert_eq!(api["summary"], "完成三个乡镇摸底");
    assert_eq!(api["next_steps"], "二季度覆盖全部乡镇");
    assert_eq!(api["problems"], "");
    // An integrator may post all three; problems are kept even where the form no longer asks.
    let posted = app
        .api_multipart(
            &format!("/api/v1/measures/{measure}/reports"),
            &token,
            &[
                ("period", "2026-Q2"),
                ("summary", "覆盖全部乡镇"),
                ("problems", "两个乡镇场地不足"),
                ("next_steps", "协调场地"),
                ("percent", "70"),
                ("status", "at_risk"),
            ],
            &[],
        )
        .await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    let body = posted.json();
    assert_eq!(body["problems"], "两个乡镇场地不足");
    assert_eq!(body["next_steps"], "协调场地");
}
