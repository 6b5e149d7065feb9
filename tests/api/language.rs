//! The interface language: Chinese by default, English from the browser's Accept-Language,
//! from the visitor's switch (a cookie), or from the person's own choice (kept with the
//! account). Every page renders in both.

use crate::helpers::*;

async fn get_with(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut req = app.client.get(app.url(path));
    for (k, v) in headers {
        req = req.insert_header((*k, *v));
    }
    app.send(req).await
}

#[actix_web::test]
async fn the_browser_and_the_switch_choose_the_language_of_a_visitor() {
    let app = spawn_app().await;
    let zh = get_with(&app, "/login", &[]).await;
    assert!(zh.body.contains(r#"<html lang="zh-CN">"#) && zh.body.contains("登录督办"));
    let en = get_with(&app, "/login", &[("Accept-Language", "en-GB,en;q=0.9")]).await;
    assert!(en.body.contains(r#"<html lang="en">"#) && en.body.contains("Sign in to Duban"));
    let other = get_with(&app, "/login", &[("Accept-Language", "fr-FR")]).await;
    assert!(
        other.body.contains("登录督办"),
        "Chinese when nothing matches"
    );

    // The switch sets a cookie that wins over the browser, and returns to the page.
    let switched = get_with(
        &app,
        "/language/en",
        &[(
            "Referer",
            &format!("{}/login?next=/departments", app.address),
        )],
    )
    .await;
    assert_eq!(switched.status, 303);
    assert_eq!(
        switched.header("location"),
        Some("/login?next=/departments")
    );
    let cookie = cookie_value(&switched, "duban_lang").expect("the language cookie");
    assert_eq!(cookie, "en");
    let page = get_with(
        &app,
        "/login",
        &[("Cookie", "duban_lang=en"), ("Accept-Language", "zh-CN")],
    )
    .await;
    assert!(page.body.contains("Sign in to Duban"));
    // A foreign Referer is not followed.
    let away = get_with(
        &app,
        "/language/zh",
        &[("Referer", "https://evil.example/x")],
    )
    .await;
    assert_eq!(away.header("location"), Some("/"));
    assert_eq!(get_with(&app, "/language/fr", &[]).await.status, 404);
}

#[actix_web::test]
async fn a_persons_choice_is_kept_with_the_account_and_every_page_renders_in_english() {
    let app = spawn_app().await;
    app.add_user("renshe", "liaison", Some("地区人社局"));
    let admin = app.login_admin().await;
    let chosen = app
        .post_as(&admin, "/account/language", &[("language", "en")])
        .await;
    assert_eq!(chosen.status, 303);
    assert!(app
        .audit()
        .iter()
        .any(|e| e.action == "user.language" && e.actor == "admin"));
    let bad = app
        .post_as(&admin, "/account/language", &[("language", "klingon")])
        .await;
    assert_eq!(bad.status, 422);

    // A new session, from a Chinese browser without the cookie, is still in English.
    let again = app.login_admin().await;
    let document = app.get_json("/api/v1/documents").await[0]["id"].clone();
    let measure = app.measure_id(5).await;
    let departments = app.get_json("/api/v1/departments").await;
    let department = departments[0]["id"].clone();
    let detail = app.get_json(&format!("/api/v1/measures/{measure}")).await;
    let obligation = detail["obligations"][0]["id"].clone();
    let paths = [
        "/".to_string(),
        format!("/documents/{document}"),
        format!("/measures/{measure}"),
        "/departments".into(),
        format!("/departments/{department}"),
        format!("/obligations/{obligation}"),
        "/scorecard".into(),
        format!("/scorecard/departments/{department}"),
        "/account/password".into(),
        "/admin/users".into(),
        format!("/admin/departments/{department}"),
        "/admin/tokens".into(),
        "/admin/audit".into(),
        "/admin/reviews".into(),
        "/admin/extensions".into(),
        "/admin/outbox".into(),
        "/admin/reminders".into(),
        "/admin/import".into(),
    ];
    for path in &paths {
        let req = app
            .client
            .get(app.url(path))
            .insert_header(again.header())
            .insert_header(("Accept-Language", "zh-CN"));
        let page = app.send(req).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert!(page.body.contains(r#"<html lang="en">"#), "{path}");
        assert!(page.body.contains("Sign out"), "{path}");
        assert!(
            !page.body.contains("退出"),
            "{path} still shows Chinese chrome"
        );
    }

    // Another person is unaffected.
    let liaison = app.login("renshe", "pw-renshe-Tarim7q").await;
    let home = app.get_as(&liaison, "/").await;
    assert!(home.body.contains("退出"));
}

#[actix_web::test]
async fn errors_speak_the_readers_language() {
    let app = spawn_app().await;
    // The API: Accept-Language decides (Chinese by default).
    let zh = app
        .api_get("/api/v1/measures/999999", &app.admin_token)
        .await;
    assert_eq!(zh.status, 404);
    assert!(zh.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("不存在"));
    let req = app
        .client
        .get(app.url("/api/v1/measures/999999"))
        .insert_header(("Authorization", format!("Bearer {}", app.admin_token)))
        .insert_header(("Accept-Language", "en"));
    let en = app.send(req).await;
    assert_eq!(en.status, 404);
    let message = en.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(message.contains("does not exist"), "{message}");

    // A form error for a person who chose English.
    let admin = app.login_admin().await;
    app.post_as(&admin, "/account/language", &[("language", "en")])
        .await;
    let bad = app
        .post_as(
            &admin,
            "/admin/reminders",
            &[("before_days", "7"), ("overdue_every_days", "zero")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(!bad.body.contains("不是整数"), "{}", bad.body);
    let page = app.get_as(&admin, "/admin/outbox?state=lost").await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains(r#"<html lang="en">"#));
}
