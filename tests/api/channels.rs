//! A unit's chasing channels beyond email — its group robot (platform, address, signing
//! secret) and mobile numbers — set through the API and the unit's admin page: checked field
//! by field, the secret never shown again, the robot's token never shown whole, not even in
//! the audit log, and nothing of it shown to liaisons.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

const TOKEN: &str = "a6f3c0e5b1d2437f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f";

fn dingtalk_url() -> String {
    format!("https://oapi.dingtalk.com/robot/send?access_token={TOKEN}")
}

fn secret() -> String {
    format!("SEC{}", "5d".repeat(32))
}

async fn patch(app: &TestApp, id: i64, body: Value) -> (u16, Value) {
    let mut res = app
        .client
        .patch(app.url(&format!("/api/v1/departments/{id}")))
        .insert_header(("Authorization", format!("Bearer {}", app.admin_token)))
        .send_json(&body)
        .await
        .unwrap();
    let bytes = res.body().await.unwrap();
    (
        res.status().as_u16(),
        serde_json::from_slice(&bytes).unwrap(),
    )
}

#[actix_web::test]
async fn a_units_robot_and_mobiles_are_set_checked_and_never_shown_whole() {
    let app = spawn_app().await;
    let hr = app.department_id("地区人社局").await;
    let (status, body) = patch(
        &app,
        hr,
        json!({
            "webhook_kind": "dingtalk",
            "webhook_url": dingtalk_url(),
            "webhook_secret": secret(),
            "mobile": "138-0013-8000, +8613900139000"
        }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["webhook_kind"], "dingtalk");
    assert_eq!(body["webhook_secret_set"], true);
    assert_eq!(body["mobile"], "13800138000,13900139000");
    let shown = body["webhook_url"].as_str().unwrap();
    assert!(shown.starts_with("https://oapi.dingtalk.com/robot/send?access_token="));
    assert!(!shown.contains(TOKEN), "the token is not shown: {shown}");
    assert!(body.get("webhook_secret").is_none());

    // Bad fields are refused by name and change nothing.
    for (patch_body, field) in [
        (
            json!({"webhook_url": "ftp://oapi.dingtalk.com/robot"}),
            "webhook_url",
        ),
        (json!({"webhook_secret": "SEC123"}), "webhook_secret"),
        (json!({"webhook_kind": "slack"}), "webhook_kind"),
        (json!({"mobile": "0991-6231234"}), "mobile"),
        (
            json!({"webhook_kind": "generic", "webhook_url": "javascript:alert(1)"}),
            "webhook_url",
        ),
    ] {
        let (status, body) = patch(&app, hr, patch_body.clone()).await;
        assert_eq!(status, 422, "{patch_body}: {body}");
        assert_eq!(body["error"]["field"], field, "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            !message.contains("webhook_") && !message.is_empty(),
            "{message}"
        );
    }
    let list = app.get_json("/api/v1/departments").await;
    let saved = list
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == hr)
        .unwrap();
    assert_eq!(saved["webhook_kind"], "dingtalk");
    assert_eq!(saved["mobile"], "13800138000,13900139000");
    assert_eq!(saved["webhook_secret_set"], true);

    // One field at a time keeps the others; an empty secret removes it; no platform removes
    // the robot with its address.
    let (_, body) = patch(&app, hr, json!({"mobile": "13700137000"})).await;
    assert_eq!(
        (&body["webhook_kind"], &body["webhook_secret_set"]),
        (&json!("dingtalk"), &json!(true))
    );
    let (_, body) = patch(&app, hr, json!({"webhook_secret": ""})).await;
    assert_eq!(body["webhook_secret_set"], false);
    let (_, body) = patch(&app, hr, json!({"webhook_kind": ""})).await;
    assert_eq!(
        (&body["webhook_kind"], &body["webhook_url"]),
        (&json!(""), &json!(""))
    );

    // The audit log names each change without the token, the secret or whole numbers.
    let entries: Vec<String> = app
        .audit()
        .into_iter()
        .filter(|e| e.action == "department.update")
        .map(|e| e.summary)
        .collect();
    assert_eq!(entries.len(), 4, "{entries:?}");
    for e in &entries {
        assert!(!e.contains(TOKEN) && !e.contains(&secret()), "{e}");
        assert!(
            !e.contains("13800138000") && !e.contains("13700137000"),
            "{e}"
        );
    }
    let admin = app.login_admin().await;
    let log = app
        .get_as(&admin, "/admin/audit?action=department.update")
        .await;
    for words in [
        "群机器人 无 → 钉钉群机器人",
        "设置机器人密钥",
        "清除机器人密钥",
        "138****8000",
    ] {
        assert!(log.body.contains(words), "the log says {words}");
    }

    // Liaisons do not see how other units are reached.
    app.add_user("renshe", "liaison", Some("地区人社局"));
    let mine = app
        .api_json("/api/v1/departments", &app.token_for("renshe"))
        .await;
    assert!(mine
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d.get("webhook_kind").is_none() && d.get("mobile").is_none()));
}

#[actix_web::test]
async fn the_units_admin_page_sets_the_robot_and_keeps_the_secret_unseen() {
    let app = spawn_app().await;
    let hr = app.department_id("地区人社局").await;
    let admin = app.login_admin().await;
    let page = format!("/admin/departments/{hr}");
    let fields = |url: String, secret: String, mobile: &'static str| {
        vec![
            ("name", "地区人社局".to_string()),
            ("email", String::new()),
            ("head_email", String::new()),
            ("aliases", String::new()),
            ("webhook_kind", "dingtalk".to_string()),
            ("webhook_url", url),
            ("webhook_secret", secret),
            ("mobile", mobile.to_string()),
        ]
    };
    let post = |f: Vec<(&'static str, String)>| {
        let admin = &admin;
        let app = &app;
        let page = page.clone();
        async move {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post_as(admin, &page, &pairs).await
        }
    };
    // A bad mobile: the form comes back with what was typed (not the secret) and a message.
    let bad = post(fields(dingtalk_url(), secret(), "12345")).await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("手机号“12345”不对"), "{}", bad.body);
    assert!(bad.body.contains(&dingtalk_url().replace('&', "&amp;")) || bad.body.contains(TOKEN));
    assert!(
        !bad.body.contains(&secret()),
        "a secret is never written into a page"
    );
    let nothing = app.get_json("/api/v1/departments").await;
    assert!(nothing
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["webhook_kind"] == ""));

    let saved = post(fields(dingtalk_url(), secret(), "13800138000")).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let shown = app.get_as(&admin, &page).await;
    assert!(!shown.body.contains(TOKEN) && !shown.body.contains(&secret()));
    assert!(shown.body.contains("已设置（不再显示；留空则不变）"));
    assert!(shown.body.contains(r#"<option value="dingtalk" selected>"#));

    // Saved again with the address and secret left empty: both are kept.
    let again = post(fields(String::new(), String::new(), "13800138000")).await;
    assert_eq!(again.status, 303, "{}", again.body);
    let list = app.get_json("/api/v1/departments").await;
    let unit = list
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == hr)
        .unwrap();
    assert_eq!(unit["webhook_secret_set"], true);
    assert!(unit["webhook_url"]
        .as_str()
        .unwrap()
        .starts_with("https://oapi.dingtalk.com/robot/send?access_token=a6f3"));
}
