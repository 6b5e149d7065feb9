//! Closing a measure (办结/销号): refused while due work is open, asked by the lead unit with
//! closing evidence, refused or approved by the office, and then no more obligations.

use chrono::Duration;
use serde_json::Value;

use crate::helpers::{pdf, spawn_app, Session, TestApp};

async fn obligations_of(app: &TestApp, measure: i64) -> Vec<Value> {
    let detail = app.get_json(&format!("/api/v1/measures/{measure}")).await;
    detail["obligations"].as_array().unwrap().clone()
}

fn closure_rows(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    let mut conn = app.pool.get().unwrap();
    duban::db::schema::closures::table
        .count()
        .get_result(&mut *conn)
        .unwrap()
}

/// The office reports and accepts, for every unit, each obligation due by today.
async fn accept_all_due(app: &TestApp, admin: &Session, measure: i64, today: &str) {
    for ob in obligations_of(app, measure).await {
        if ob["due_on"].as_str().unwrap() > today || ob["state"] == "accepted" {
            continue;
        }
        let sent = app
            .multipart_as(
                admin,
                &format!("/obligations/{}/report", ob["id"]),
                &[
                    ("summary", "按计划完成"),
                    ("percent", "100"),
                    ("status", "completed"),
                    ("action", "submit"),
                ],
                &[],
            )
            .await;
        assert_eq!(sent.status, 303, "{}", sent.body);
        let report = app.waiting_report(admin, &ob["id"].to_string()).await;
        let done = app
            .post_as(
                admin,
                &format!("/reports/{report}/review"),
                &[("decision", "accept"), ("comment", "")],
            )
            .await;
        assert_eq!(done.status, 303, "{}", done.body);
    }
}

#[actix_web::test]
async fn a_measure_is_closed_on_request_of_its_lead_unit_and_then_plans_nothing_more() {
    let app = spawn_app().await;
    app.add_user("renshe", "liaison", Some("地区人社局"));
    app.add_user("caizheng", "liaison", Some("地区财政局"));
    let m5 = app.measure_id(5).await;
    let request = format!("/measures/{m5}/closure");
    // The day after Q1 was due (2026-04-11 in Beijing), nothing accepted yet.
    app.clock.advance(Duration::days(40));
    let hr = app.login("renshe", "pw-renshe-Tarim7q").await;
    let admin = app.login_admin().await;
    let before = obligations_of(&app, m5).await;
    assert!(before
        .iter()
        .any(|o| o["due_on"].as_str().unwrap() > "2026-04-11"));

    // Open obligations: refused, with what was typed, and nothing written.
    let summary = ("summary", "城乡劳动者平等就业制度已全面建立");
    let refused = app
        .multipart_as(
            &hr,
            &request,
            &[summary],
            &[("办结报告.pdf", &pdf("closing"))],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("项到期的报送任务未审核通过"),
        "{}",
        refused.body
    );
    assert!(refused
        .body
        .contains(">城乡劳动者平等就业制度已全面建立</textarea>"));
    assert_eq!(closure_rows(&app), 0);
    // Without its CSRF token, refused too.
    let forged = app
        .multipart_as(
            &Session {
                cookie: hr.cookie.clone(),
                csrf: "forged".into(),
            },
            &request,
            &[summary],
            &[],
        )
        .await;
    assert_eq!(forged.status, 403);

    accept_all_due(&app, &admin, m5, "2026-04-11").await;
    // Only the lead unit asks.
    let fin = app.login("caizheng", "pw-caizheng-Tarim7q").await;
    let not_lead = app.multipart_as(&fin, &request, &[summary], &[]).await;
    assert_eq!(not_lead.status, 403);
    let empty = app
        .multipart_as(&hr, &request, &[("summary", " ")], &[])
        .await;
    assert_eq!(empty.status, 422);
    assert!(empty.body.contains("closing-summary-error"));

    let asked = app
        .multipart_as(
            &hr,
            &request,
            &[summary],
            &[("办结报告.pdf", &pdf("closing"))],
        )
        .await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    let again = app.multipart_as(&hr, &request, &[summary], &[]).await;
    assert_eq!(again.status, 409, "one request at a time");
    let page = app.get_as(&admin, &format!("/measures/{m5}")).await;
    assert!(page.body.contains("办结申请待审核") && page.body.contains("renshe 同志"));
    let file_at = page
        .body
        .find("/closures/files/")
        .expect("the closing file");
    let file: String = page.body[file_at..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    assert_eq!(app.get_as(&hr, &file).await.status, 200);
    assert_eq!(app.get_as(&admin, &file).await.status, 200);
    assert_eq!(
        app.get_as(&fin, &file).await.status,
        403,
        "another unit's evidence"
    );
    let decide_at = page
        .body
        .find("action=\"/closures/")
        .expect("the decision form");
    let decide: String = page.body[decide_at + 18..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    let decide = format!("/closures/{decide}/decide");

    // Refusing needs a reason; approving closes the measure today.
    let no_reason = app
        .post_as(&admin, &decide, &[("decision", "refuse"), ("comment", "")])
        .await;
    assert_eq!(no_reason.status, 422);
    assert!(no_reason.body.contains("closing-comment-error"));
    assert_eq!(
        app.post_as(&hr, &decide, &[("decision", "approve"), ("comment", "")])
            .await
            .status,
        403
    );
    let approved = app
        .post_as(
            &admin,
            &decide,
            &[("decision", "approve"), ("comment", "同意销号")],
        )
        .await;
    assert_eq!(approved.status, 303, "{}", approved.body);

    let after = obligations_of(&app, m5).await;
    assert!(
        after
            .iter()
            .all(|o| o["due_on"].as_str().unwrap() <= "2026-04-11"),
        "nothing due after the closing day remains: {after:?}"
    );
    assert!(after.len() < before.len());
    assert!(after.iter().all(|o| o["state"] == "accepted"));
    let page = app.get_as(&hr, &format!("/measures/{m5}")).await;
    assert!(page.body.contains("本措施已于 2026-04-11 办结（销号）"));
    assert!(page.body.contains("light-closed") && page.body.contains("批准办结（销号）"));
    assert!(!page
        .body
        .contains(&format!("action=\"/measures/{m5}/closure\"")));
    let closed_again = app.multipart_as(&hr, &request, &[summary], &[]).await;
    assert_eq!(closed_again.status, 409);
    let actions: Vec<String> = app
        .audit()
        .into_iter()
        .filter(|e| e.action.starts_with("closure."))
        .map(|e| format!("{} {}", e.action, e.actor))
        .collect();
    assert_eq!(actions, ["closure.request renshe", "closure.approve admin"]);

    // Months later the closed measure still asks nothing of anyone.
    app.clock.advance(Duration::days(200));
    let admin = app.login_admin().await;
    let ledger = app
        .get_as(&admin, &format!("/ledger.csv?measure={m5}&state=overdue"))
        .await;
    assert_eq!(
        ledger.body.lines().count(),
        1,
        "only the header: {}",
        ledger.body
    );
}
