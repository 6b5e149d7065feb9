//! Chasing beyond email, end to end: `duban remind` puts each unit's items on its group robot
//! (企业微信, 钉钉 signed, 飞书, generic) and texts its mobile numbers through the SMS gateway,
//! against a real HTTP receiver on 127.0.0.1 — once per channel, nothing on a rerun, once
//! after an outage, and a refusal kept with the platform's answer, never dropped.

use std::collections::HashSet;

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};
use crate::http_receiver::HttpReceiver;
use crate::smtp::SmtpReceiver;

const HR: &str = "地区人社局";
const FINANCE: &str = "地区财政局";
const REFORM: &str = "地区发改委";
const COMMERCE: &str = "地区商务局";
/// 2026-04-08: the co units' Q1 reports (due 04-07) are a day late; the leads' (due 04-10)
/// have two days left.
const NOW: &str = "2026-04-08T09:00:00+08:00";

fn ding_secret() -> String {
    format!("SEC{}", "7c".repeat(32))
}

async fn patch(app: &TestApp, name: &str, body: Value) {
    let id = app.department_id(name).await;
    let mut res = app
        .client
        .patch(app.url(&format!("/api/v1/departments/{id}")))
        .insert_header(("Authorization", format!("Bearer {}", app.admin_token)))
        .send_json(&body)
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200, "{:?}", res.body().await);
}

/// Runs `duban remind` with the SMS gateway at `sms` (if any) and `extra` configuration.
fn remind(app: &TestApp, now: &str, smtp: &str, sms: &str, extra: &str) -> (usize, usize, usize) {
    let config = app.db.data_dir().join("channels.toml");
    std::fs::write(&config, extra).unwrap();
    let out = app.db.cli_with(
        &["remind", "--now", now],
        &[
            ("DUBAN_SMTP_URL", smtp),
            ("DUBAN_SMS_URL", sms),
            ("DUBAN_CONFIG", config.to_str().unwrap()),
        ],
    );
    assert!(out.success(), "remind failed: {}", out.stderr());
    let n: Vec<usize> = out
        .stdout()
        .trim()
        .split(", ")
        .map(|part| part.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    (n[0], n[1], n[2])
}

/// The obligation ids a message links to.
fn linked(text: &str) -> HashSet<i32> {
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

async fn outbox(app: &TestApp, channel: &str) -> Vec<Value> {
    app.get_json("/api/v1/outbox")
        .await
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["channel"] == channel)
        .cloned()
        .collect()
}

#[actix_web::test]
async fn each_unit_hears_once_per_channel_in_its_platforms_format_and_a_rerun_sends_nothing() {
    let app = spawn_app().await;
    let hooks = HttpReceiver::start();
    let smtp = SmtpReceiver::start();
    let secret = ding_secret();
    hooks.dingtalk("/ding", &secret);
    patch(
        &app,
        HR,
        json!({"email": "hr@example.gov.cn", "webhook_kind": "dingtalk",
               "webhook_url": hooks.url("/ding?access_token=t0k3n"), "webhook_secret": secret,
               "mobile": "13800138000, 13900139000"}),
    )
    .await;
    // No email address at all: the robot alone reaches the unit.
    patch(
        &app,
        FINANCE,
        json!({"webhook_kind": "wecom", "webhook_url": hooks.url("/wecom?key=k3y")}),
    )
    .await;
    patch(
        &app,
        REFORM,
        json!({"webhook_kind": "feishu", "webhook_url": hooks.url("/feishu/hook")}),
    )
    .await;
    patch(
        &app,
        COMMERCE,
        json!({"webhook_kind": "generic", "webhook_url": hooks.url("/generic"),
               "webhook_secret": "g3neric-key"}),
    )
    .await;

    let sms = hooks.url("/sms");
    let (planned, sent, failed) = remind(&app, NOW, &smtp.url(), &sms, "");
    assert_eq!(failed, 0);
    assert!(planned > 0);
    // HR: one email, one robot message, two SMS; three more robots.
    assert_eq!(sent, 1 + 1 + 2 + 3);

    let ding = hooks.hits_to("/ding");
    assert_eq!(ding.len(), 1, "{ding:?}");
    let body = ding[0].json();
    assert_eq!(body["msgtype"], "markdown");
    let markdown = body["markdown"]["text"].as_str().unwrap();
    assert!(markdown.contains(HR), "{markdown}");
    assert_eq!(ding[0].query["access_token"], "t0k3n");
    // The receiver checked the signature as DingTalk does; check it here too.
    let ts = &ding[0].query["timestamp"];
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{ts}\n{secret}").as_bytes());
    assert_eq!(
        ding[0].query["sign"],
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    );
    // The robot carries the same items as the unit's email.
    let emails = smtp.wait_for(1);
    assert_eq!(emails.len(), 1);
    let email_items = linked(&emails[0].text());
    assert!(!email_items.is_empty());
    // A robot message lists the first items that fit WeCom's 4096 bytes and counts the rest.
    let shown = linked(markdown);
    assert!(!shown.is_empty() && shown.is_subset(&email_items));
    assert!(markdown.len() <= 4096);
    if shown.len() < email_items.len() {
        let more = format!("另有 {} 项", email_items.len() - shown.len());
        assert!(markdown.contains(&more), "{markdown}");
    }

    let wecom = hooks.hits_to("/wecom");
    assert_eq!(wecom.len(), 1);
    let content = wecom[0].json()["markdown"]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(content.contains(FINANCE) && content.contains("/obligations/"));
    assert!(content.len() <= 4096, "WeCom's markdown limit");
    let feishu = hooks.hits_to("/feishu/hook");
    assert_eq!(feishu.len(), 1);
    assert_eq!(feishu[0].json()["msg_type"], "text");
    assert!(feishu[0].json()["content"]["text"]
        .as_str()
        .unwrap()
        .contains(REFORM));
    let generic = hooks.hits_to("/generic");
    assert_eq!(generic.len(), 1);
    let g = generic[0].json();
    assert_eq!(g["department"], COMMERCE);
    let items = g["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert_eq!(linked(&generic[0].body), linked(&g["markdown"].to_string()));
    // Signed over "timestamp.body" with the hook's key.
    let stamp = generic[0].header("x-duban-timestamp").unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"g3neric-key").unwrap();
    mac.update(format!("{stamp}.{}", generic[0].body).as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        generic[0].header("x-duban-signature"),
        Some(format!("sha256={hex}").as_str())
    );

    let texts = hooks.hits_to("/sms");
    let mut mobiles: Vec<String> = texts
        .iter()
        .map(|h| h.json()["mobile"].as_str().unwrap().to_string())
        .collect();
    mobiles.sort();
    assert_eq!(mobiles, ["13800138000", "13900139000"]);
    assert!(texts.iter().all(|h| h.method == "POST"));
    let text = texts[0].json()["text"].as_str().unwrap().to_string();
    assert!(text.contains(HR) && text.contains("2026-04-0"), "{text}");
    assert!(text.chars().count() <= 70, "one SMS: {text}");

    // A unit reached only by its robot is not unreachable: on the outbox page's list and the
    // workbench's tile alike.
    let admin = app.login_admin().await;
    let outbox_page = app.get_as(&admin, "/admin/outbox").await.body;
    let listed = outbox_page
        .split("提醒无法送达：")
        .nth(1)
        .and_then(|rest| rest.split("。请在").next())
        .expect("some units are unreachable");
    let names: Vec<&str> = listed.split("、").collect();
    assert!(names.contains(&"地区科技局"), "{listed}");
    for reached in [HR, FINANCE, REFORM, COMMERCE] {
        assert!(!names.contains(&reached), "{reached} in {listed}");
    }
    let home = app.get_as(&admin, "/").await.body;
    let tile = format!("<strong>{}</strong><span>无法催达的单位", names.len());
    assert!(
        home.contains(&tile),
        "the tile counts {} units",
        names.len()
    );
    // The outbox page and API filter by channel; an unknown one is named.
    let page = app.get_as(&admin, "/admin/outbox?channel=sms").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("13800138000") && !page.body.contains("钉钉群机器人 http"));
    assert!(page.body.contains("短信（2）"), "{}", page.body);
    let only = app.get_json("/api/v1/outbox?channel=robot").await;
    assert_eq!(only.as_array().unwrap().len(), 4);
    let bad = app
        .api_get("/api/v1/outbox?channel=fax", &app.admin_token)
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.json()["error"]["field"], "channel");
    // The outbox shows every channel's messages as sent; a rerun sends nothing.
    assert_eq!(outbox(&app, "robot").await.len(), 4);
    assert!(outbox(&app, "sms")
        .await
        .iter()
        .all(|r| r["state"] == "sent" && r["attempts"] == 1));
    let hits = hooks.hits().len();
    assert_eq!(
        remind(&app, "2026-04-08T15:00:00+08:00", &smtp.url(), &sms, ""),
        (0, 0, 0)
    );
    assert_eq!(hooks.hits().len(), hits);
    assert_eq!(smtp.messages().len(), 1);
    // The chase log names the channels beside the addresses.
    let ob = *email_items.iter().next().unwrap();
    let recipients: Vec<String> = {
        use diesel::prelude::*;
        use duban::db::schema::chase_log;
        let mut conn = app.pool.get().unwrap();
        chase_log::table
            .filter(chase_log::obligation_id.eq(ob))
            .select(chase_log::recipients)
            .load(&mut conn)
            .unwrap()
    };
    assert!(
        recipients[0].contains("钉钉群机器人") && recipients[0].contains("138****8000"),
        "{recipients:?}"
    );
}

#[actix_web::test]
async fn a_robot_that_is_down_gets_its_message_once_it_is_back() {
    let app = spawn_app().await;
    let port = HttpReceiver::start().port; // bound, then closed: nobody listens there
    patch(
        &app,
        FINANCE,
        json!({"webhook_kind": "wecom",
               "webhook_url": format!("http://127.0.0.1:{port}/wecom?key=k3y")}),
    )
    .await;
    let smtp = SmtpReceiver::start();
    let (planned, sent, failed) = remind(&app, NOW, &smtp.url(), "", "");
    assert!(planned > 0);
    assert_eq!((sent, failed), (0, 1));
    let row = &outbox(&app, "robot").await[0];
    assert_eq!(row["state"], "queued", "retried later: {row}");
    assert!(row["last_error"].as_str().unwrap().contains("无法连接"));
    assert!(!row["last_error"].as_str().unwrap().contains("k3y"));

    // Still down at the retry: tried again, still queued.
    assert_eq!(
        remind(&app, "2026-04-08T09:01:30+08:00", &smtp.url(), "", ""),
        (0, 0, 1)
    );
    let hooks = HttpReceiver::start_on(port).expect("the port is free again");
    assert_eq!(
        remind(&app, "2026-04-08T09:10:00+08:00", &smtp.url(), "", ""),
        (0, 1, 0)
    );
    assert_eq!(hooks.hits_to("/wecom").len(), 1);
    assert_eq!(
        remind(&app, "2026-04-08T10:00:00+08:00", &smtp.url(), "", ""),
        (0, 0, 0)
    );
    assert_eq!(hooks.hits().len(), 1, "delivered once");
    let row = &outbox(&app, "robot").await[0];
    assert_eq!(row["state"], "sent");
    assert_eq!(row["attempts"], 3);
}

#[actix_web::test]
async fn refusals_are_kept_with_the_answer_and_the_office_resends_them() {
    let app = spawn_app().await;
    let hooks = HttpReceiver::start();
    // DingTalk checks with another secret than the one the office saved.
    hooks.dingtalk("/ding", &format!("SEC{}", "11".repeat(32)));
    hooks.answer("/sms", 400, r#"{"error":"mobile not allowed"}"#);
    hooks.slow("/feishu", std::time::Duration::from_secs(3));
    patch(
        &app,
        HR,
        json!({"webhook_kind": "dingtalk", "webhook_url": hooks.url("/ding?access_token=x"),
               "webhook_secret": ding_secret(), "mobile": "13800138000"}),
    )
    .await;
    patch(
        &app,
        FINANCE,
        json!({"webhook_kind": "feishu", "webhook_url": hooks.url("/feishu")}),
    )
    .await;
    let smtp = SmtpReceiver::start();
    let config = "[webhooks]\ntimeout_seconds = 1\n[sms]\nheaders = [\"X-Api-Key: s3cr3t\"]\n";
    let (_, sent, failed) = remind(&app, NOW, &smtp.url(), &hooks.url("/sms"), config);
    assert_eq!((sent, failed), (0, 3));
    let robots = outbox(&app, "robot").await;
    let ding = robots
        .iter()
        .find(|r| r["to"][0].as_str().unwrap().contains("钉钉"))
        .unwrap();
    assert_eq!(ding["state"], "failed", "a wrong signature is not retried");
    assert!(ding["last_error"].as_str().unwrap().contains("310000"));
    let slow = robots
        .iter()
        .find(|r| r["to"][0].as_str().unwrap().contains("飞书"))
        .unwrap();
    assert_eq!(slow["state"], "queued", "a timeout is retried: {slow}");
    assert!(slow["last_error"].as_str().unwrap().contains("超时"));
    let sms = &outbox(&app, "sms").await[0];
    assert_eq!(sms["state"], "failed");
    assert!(sms["last_error"]
        .as_str()
        .unwrap()
        .contains("mobile not allowed"));
    // The gateway's key went as a header and is shown nowhere.
    assert_eq!(hooks.hits_to("/sms")[0].header("x-api-key"), Some("s3cr3t"));
    assert!(!app
        .get_json("/api/v1/outbox")
        .await
        .to_string()
        .contains("s3cr3t"));

    // The gateway is fixed; the office resends the failed ones, each goes once.
    hooks.answer("/sms", 200, r#"{"code":0}"#);
    hooks.dingtalk("/ding", &ding_secret());
    let mut res = app
        .client
        .post(app.url("/api/v1/outbox/resend"))
        .insert_header(("Authorization", format!("Bearer {}", app.admin_token)))
        .send_json(&json!({"state": "failed"}))
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200, "{:?}", res.body().await);
    hooks.slow("/feishu", std::time::Duration::ZERO);
    let before = hooks.hits().len();
    let (_, sent, failed) = remind(
        &app,
        "2026-04-08T09:30:00+08:00",
        &smtp.url(),
        &hooks.url("/sms"),
        config,
    );
    assert_eq!((sent, failed), (3, 0));
    assert_eq!(hooks.hits().len(), before + 3);
}

#[actix_web::test]
async fn an_sms_template_that_does_not_make_json_is_refused_at_start() {
    let app = spawn_app().await;
    let config = app.db.data_dir().join("bad-sms.toml");
    std::fs::write(&config, "[sms]\nbody = '{\"text\": {{text}}}'\n").unwrap();
    let out = app.db.cli_with(
        &["remind", "--now", NOW],
        &[
            ("DUBAN_SMS_URL", "http://127.0.0.1:9/sms"),
            ("DUBAN_CONFIG", config.to_str().unwrap()),
        ],
    );
    assert!(!out.success());
    assert!(
        out.stderr().contains("sms.body") && out.stderr().contains("JSON"),
        "{}",
        out.stderr()
    );
    std::fs::write(&config, "[sms]\nbody = '{\"to\": \"{{phone}}\"}'\n").unwrap();
    let out = app.db.cli_with(
        &["remind", "--now", NOW],
        &[
            ("DUBAN_SMS_URL", "http://127.0.0.1:9/sms"),
            ("DUBAN_CONFIG", config.to_str().unwrap()),
        ],
    );
    assert!(!out.success());
    assert!(out.stderr().contains("phone"), "{}", out.stderr());
}

#[actix_web::test]
async fn a_liaisons_own_mobile_is_texted_and_checked() {
    let app = spawn_app().await;
    let hooks = HttpReceiver::start();
    patch(&app, FINANCE, json!({"email": "finance@example.gov.cn"})).await;
    app.add_user("caizheng", "liaison", Some(FINANCE));
    let id = app.user_id("caizheng").await;
    let admin = app.login_admin().await;
    let path = format!("/admin/users/{id}/mobile");
    let bad = app
        .post_as(&admin, &path, &[("mobile", "1380013800")])
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains("1380013800") && bad.body.contains("11 位"),
        "{}",
        bad.body
    );
    let two = app
        .post_as(&admin, &path, &[("mobile", "13800138000,13900139000")])
        .await;
    assert_eq!(two.status, 422);
    let ok = app
        .post_as(&admin, &path, &[("mobile", "+86 139-0013-9000")])
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert!(app.audit().iter().any(|e| e.action == "user.mobile"));
    // Not shown to anyone but the office: the liaison's own API answer has no number.
    let token = app.token_for("caizheng");
    let me = app.api_json("/api/v1/me", &token).await;
    assert!(!me.to_string().contains("13900139000"));

    let smtp = SmtpReceiver::start();
    let (_, sent, failed) = remind(&app, NOW, &smtp.url(), &hooks.url("/sms"), "");
    assert_eq!(failed, 0);
    let texts = hooks.hits_to("/sms");
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert_eq!(texts[0].json()["mobile"], "13900139000");
    assert!(texts[0].json()["text"].as_str().unwrap().contains(FINANCE));
    assert!(sent >= 2, "the email and the SMS");
}
