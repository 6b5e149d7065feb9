//! 批示: a leader's instruction on a unit's obligation or a measure is shown to the unit and
//! the office, audited, and delivered to the unit through its channels — email and its group
//! robot — by the same outbox as reminders.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};
use crate::http_receiver::HttpReceiver;
use crate::smtp::SmtpReceiver;

const HR: &str = "地区人社局";

async fn patch(app: &TestApp, name: &str, body: Value) {
    let id = app.department_id(name).await;
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/departments/{id}")))
        .insert_header(("Authorization", format!("Bearer {}", app.admin_token)))
        .send_json(&body)
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
}

async fn instructions_in_outbox(app: &TestApp) -> Vec<Value> {
    app.get_json("/api/v1/outbox")
        .await
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "instruction")
        .cloned()
        .collect()
}

#[actix_web::test]
async fn a_leaders_instruction_reaches_the_unit_and_shows_on_its_page() {
    let app = spawn_app().await;
    let hooks = HttpReceiver::start();
    patch(
        &app,
        HR,
        json!({"email": "hr@example.gov.cn", "webhook_kind": "wecom",
               "webhook_url": hooks.url("/wecom?key=k")}),
    )
    .await;
    let pw = app.add_user("renshe", "liaison", Some(HR));
    let liaison = app.login("renshe", &pw).await;
    let pw = app.add_user("boss", "leader", None);
    let leader = app.login("boss", &pw).await;
    let hr = app.department_id(HR).await as i32;
    let ob: i32 = {
        use diesel::prelude::*;
        use duban::db::schema::obligations;
        let mut conn = app.pool.get().unwrap();
        obligations::table
            .filter(obligations::department_id.eq(hr))
            .filter(obligations::period_key.eq("2026-Q1"))
            .order(obligations::id)
            .select(obligations::id)
            .first(&mut conn)
            .unwrap()
    };
    let path = format!("/obligations/{ob}/instruction");

    // Only leaders; an empty instruction comes back with the message, nothing recorded.
    assert_eq!(
        app.post_as(&liaison, &path, &[("body", "x")]).await.status,
        403
    );
    let empty = app.post_as(&leader, &path, &[("body", "  ")]).await;
    assert_eq!(empty.status, 422);
    assert!(empty.body.contains("请填写批示内容"), "{}", empty.body);
    assert!(instructions_in_outbox(&app).await.is_empty());

    let said = "请人社局于本周内补报就业数据，并说明进度滞后原因。";
    let sent = app.post_as(&leader, &path, &[("body", said)]).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    // Shown to the unit and the office, with who said it.
    for who in [&liaison, &app.login_admin().await] {
        let page = app.get_as(who, &format!("/obligations/{ob}")).await;
        assert!(page.body.contains(said), "{}", page.body);
        assert!(page.body.contains("领导批示"));
    }
    let entry = app
        .audit()
        .into_iter()
        .find(|e| e.action == "instruction.create")
        .expect("audited");
    assert_eq!(entry.actor, "boss");
    // Queued to the unit by email and robot, and delivered by the next run.
    let queued = instructions_in_outbox(&app).await;
    let channels: Vec<&str> = queued
        .iter()
        .map(|m| m["channel"].as_str().unwrap())
        .collect();
    assert_eq!(channels.len(), 2, "{queued:?}");
    assert!(channels.contains(&"email") && channels.contains(&"robot"));
    let smtp = SmtpReceiver::start();
    let out = app.db.cli_with(
        &["remind", "--now", "2026-03-02T10:00:00+08:00"],
        &[("DUBAN_SMTP_URL", &smtp.url())],
    );
    assert!(out.success(), "{}", out.stderr());
    let robot = hooks.hits_to("/wecom");
    assert_eq!(robot.len(), 1);
    assert!(robot[0].json()["markdown"]["content"]
        .as_str()
        .unwrap()
        .contains(said));
    let mail = smtp.wait_for(1);
    assert!(mail
        .iter()
        .any(|m| m.text().contains(said) && m.rcpt.iter().any(|r| r.contains("hr@"))));
}

#[actix_web::test]
async fn an_instruction_on_a_measure_goes_to_each_of_its_units() {
    let app = spawn_app().await;
    let pw = app.add_user("boss", "leader", None);
    let leader = app.login("boss", &pw).await;
    let m = app.measure_id(1).await;
    let detail = app.get_json(&format!("/api/v1/measures/{m}")).await;
    let units: std::collections::BTreeSet<String> = detail["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["department"].as_str().unwrap().to_string())
        .collect();
    assert!(units.len() > 1);
    for name in &units {
        let id = app.department_id(name).await;
        let res = app
            .client
            .patch(app.url(&format!("/api/v1/departments/{id}")))
            .insert_header(("Authorization", format!("Bearer {}", app.admin_token)))
            .send_json(&json!({"email": format!("unit{id}@example.gov.cn")}))
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
    }
    let said = "各单位要形成合力，按期完成本措施。";
    let sent = app
        .post_as(
            &leader,
            &format!("/measures/{m}/instruction"),
            &[("body", said)],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert_eq!(instructions_in_outbox(&app).await.len(), units.len());
    let page = app.get_as(&leader, &format!("/measures/{m}")).await;
    assert!(page.body.contains(said));
    // And on each unit's obligation of that measure.
    let ob = app.lead_obligation(1, "2026-Q1").await["id"].to_string();
    let admin = app.login_admin().await;
    let page = app.get_as(&admin, &format!("/obligations/{ob}")).await;
    assert!(page.body.contains(said) && page.body.contains("对本措施"));
}
