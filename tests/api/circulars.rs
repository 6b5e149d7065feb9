//! 督办通报 end to end: generated for a window from the same facts as the scorecard, stored
//! with its inputs, its `.docx` read back holding the scorecard's numbers, refused for a window
//! with nothing due, readable by leaders and the office only, and sent once — each unit told
//! only its own standing.

use serde_json::Value;

use crate::helpers::{spawn_app, TestApp};
use crate::scorecard::quarter;

async fn generate(
    app: &TestApp,
    admin: &crate::helpers::Session,
    doc: i64,
    period: &str,
) -> crate::helpers::Reply {
    app.post_as(
        admin,
        "/circulars",
        &[
            ("document", &doc.to_string()),
            ("period", period),
            ("issuer", "测试县人民政府督查室"),
            ("number", "测督通〔2026〕1号"),
            ("requirements", "一要压实责任。\n二要限期整改。"),
        ],
    )
    .await
}

#[actix_web::test]
async fn a_circulars_docx_holds_the_scorecards_numbers_for_the_same_window() {
    let app = spawn_app().await;
    let doc = quarter(&app).await; // read on 04-20
    let admin = app.login_admin().await;
    let form = app
        .get_as(
            &admin,
            &format!("/circulars/new?document={doc}&period=2026-Q1"),
        )
        .await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(
        form.body.contains("测试县人民政府督查室"),
        "the issuer defaults from the document"
    );

    let made = generate(&app, &admin, doc, "2026-Q1").await;
    assert_eq!(made.status, 303, "{}", made.body);
    let at = made.header("location").unwrap();
    let id: i32 = at.trim_start_matches("/circulars/").parse().unwrap();

    let (status, kind, file) = app.send_raw(&admin, &format!("/circulars/{id}/docx")).await;
    assert_eq!(status, 200);
    assert!(kind.contains("wordprocessingml"), "{kind}");
    let text = duban::domain::circular::docx_text(&file).unwrap();
    assert!(text.contains("测督通〔2026〕1号"));
    assert!(
        text.contains("关于《测试县考核计分演示方案》落实情况的通报"),
        "{text}"
    );
    // Worked out by hand: three reports due in Q1 — 甲 on time, 丙 late and returned once,
    // 乙 never.
    assert!(
        text.contains("到期报送任务 3 项。其中按时报送 1 项，逾期报送 1 项，被退回修改 1 项，目前逾期未报 1 项"),
        "{text}"
    );
    assert!(text.contains("按时报送的单位：县甲局"), "{text}");
    assert!(text.contains("逾期报送的单位：县丙局"));
    assert!(text.contains("逾期未报的单位：县乙局"));
    assert!(text.contains("报告被退回修改的单位：县丙局"));
    assert!(text.contains("二要限期整改。"));
    // The ranking as the scorecard API gives it for the same window, line by line.
    let card = app
        .get_json(&format!("/api/v1/scorecard?document={doc}&period=2026-Q1"))
        .await;
    let lines: Vec<&str> = text.lines().collect();
    for d in card["departments"].as_array().unwrap() {
        let name = d["name"].as_str().unwrap();
        let at = lines.iter().position(|l| *l == name).expect(name);
        let rank = d["rank"].as_i64().map_or("—".into(), |r| r.to_string());
        let score = d["score"]
            .as_f64()
            .map_or("—".into(), |s| format!("{s:.1}"));
        assert_eq!(lines[at - 1], rank, "{name}'s rank");
        assert_eq!(lines[at + 1], score, "{name}'s score");
    }

    // The print view says the same; the stored file is the one downloaded later.
    let view = app.get_as(&admin, &format!("/circulars/{id}")).await;
    assert!(view.body.contains("目前逾期未报 1 项"));
    let (_, _, again) = app.send_raw(&admin, &format!("/circulars/{id}/docx")).await;
    assert_eq!(again, file);
    let entry = app
        .audit()
        .into_iter()
        .find(|e| e.action == "circular.create")
        .expect("audited");
    assert_eq!(entry.entity_id, Some(id));

    // A window with nothing due yet: refused in words, what was typed kept.
    let none = generate(&app, &admin, doc, "2026-Q4").await;
    assert_eq!(none.status, 422);
    assert!(none.body.contains("没有已到期的报送任务"), "{}", none.body);
    assert!(none.body.contains("测督通〔2026〕1号") && none.body.contains("二要限期整改。"));
    let count = app
        .audit()
        .iter()
        .filter(|e| e.action == "circular.create")
        .count();
    assert_eq!(count, 1);
}

#[actix_web::test]
async fn a_circular_is_for_leaders_and_units_hear_only_their_own_standing() {
    let app = spawn_app().await;
    let doc = quarter(&app).await;
    let admin = app.login_admin().await;
    let made = generate(&app, &admin, doc, "2026-Q1").await;
    let id: i32 = made
        .header("location")
        .unwrap()
        .trim_start_matches("/circulars/")
        .parse()
        .unwrap();
    let pw = app.add_user("jiaju2", "liaison", Some("县甲局"));
    let liaison = app.login("jiaju2", &pw).await;
    assert_eq!(
        app.get_as(&liaison, &format!("/circulars/{id}"))
            .await
            .status,
        403
    );
    assert_eq!(
        app.get_as(&liaison, &format!("/circulars/{id}/docx"))
            .await
            .status,
        403
    );
    let pw = app.add_user("boss", "leader", None);
    let leader = app.login("boss", &pw).await;
    assert_eq!(
        app.get_as(&leader, &format!("/circulars/{id}"))
            .await
            .status,
        200
    );
    assert_eq!(
        app.post_as(&leader, &format!("/circulars/{id}/send"), &[])
            .await
            .status,
        403
    );

    let sent = app
        .post_as(&admin, &format!("/circulars/{id}/send"), &[])
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let outbox: Vec<Value> = app
        .get_json("/api/v1/outbox")
        .await
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "circular")
        .cloned()
        .collect();
    let to_leaders = outbox
        .iter()
        .find(|m| {
            m["to"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t == "boss@example.gov.cn")
        })
        .expect("the leader is written to");
    assert!(to_leaders["subject"]
        .as_str()
        .unwrap()
        .contains("落实情况的通报"));
    // 县甲局's liaison hears about 县甲局 only.
    let to_jia = outbox
        .iter()
        .find(|m| {
            m["to"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t == "jiaju2@example.gov.cn")
        })
        .expect("the unit is written to");
    let body: String = {
        use diesel::prelude::*;
        use duban::db::schema::outbox;
        let mut conn = app.pool.get().unwrap();
        outbox::table
            .find(to_jia["id"].as_i64().unwrap() as i32)
            .select(outbox::body_text)
            .first(&mut conn)
            .unwrap()
    };
    assert!(
        body.contains("县甲局") && !body.contains("县丙局") && !body.contains("县乙局"),
        "{body}"
    );
    // Once only.
    let twice = app
        .post_as(&admin, &format!("/circulars/{id}/send"), &[])
        .await;
    assert_eq!(twice.status, 409);
    assert!(app.audit().iter().any(|e| e.action == "circular.send"));
}
