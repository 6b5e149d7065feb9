//! Accounts end to end: sign-in and lockout, sessions, CSRF, tokens, administration, the audit
//! trail, and the user and token commands.

use chrono::Duration;

use crate::helpers::{cookie_value, csrf_in, spawn_app, Reply, TestApp, TestDatabase};

fn location(reply: &Reply) -> &str {
    reply.header("location").unwrap_or("")
}

fn actions(app: &TestApp, action: &str) -> Vec<String> {
    app.audit()
        .into_iter()
        .filter(|e| e.action == action)
        .map(|e| e.actor)
        .collect()
}

#[actix_web::test]
async fn an_anonymous_page_request_goes_to_login_and_comes_back_after() {
    let app = spawn_app().await;
    let first = app.get("/departments?x=1").await;
    assert_eq!(first.status, 303);
    assert_eq!(location(&first), "/login?next=%2Fdepartments%3Fx%3D1");

    let form = app.get(location(&first)).await;
    let cookie = cookie_value(&form, "duban_login_csrf").unwrap();
    let csrf = csrf_in(&form.body).unwrap();
    assert!(
        // (handlebars escapes `=` in attribute values; the browser reads it back as `=`)
        form.body.contains("value=\"/departments?x&#x3D;1\""),
        "next is carried in the form"
    );
    let req = app
        .client
        .post(app.url("/login"))
        .insert_header(("Cookie", format!("duban_login_csrf={cookie}")));
    let reply = app
        .send_form(
            req,
            &[
                ("username", "admin"),
                ("password", crate::helpers::ADMIN_PASSWORD),
                ("next", "/departments?x=1"),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(reply.status, 303);
    assert_eq!(location(&reply), "/departments?x=1");
    let set_cookie = reply.header("set-cookie").unwrap_or("");
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"));

    // Another site is never a destination.
    let form = app.get("/login?next=//evil.example/").await;
    assert!(form.body.contains("name=\"next\" value=\"/\""));
}

#[actix_web::test]
async fn wrong_user_and_wrong_password_get_the_same_answer() {
    let app = spawn_app().await;
    let unknown = app.try_login("nobody", "whatever-pass").await.unwrap_err();
    let wrong = app.try_login("admin", "wrong-password").await.unwrap_err();
    assert_eq!(unknown.status, 401);
    assert_eq!(wrong.status, 401);
    let message = |r: &Reply| {
        let start = r.body.find("role=\"alert\">").unwrap();
        r.body[start..].split('<').next().unwrap().to_string()
    };
    assert_eq!(message(&unknown), message(&wrong));
    assert_eq!(actions(&app, "user.login_failed"), ["admin"]);
}

#[actix_web::test]
async fn five_failures_lock_the_account_until_the_lockout_ends() {
    let app = spawn_app().await;
    let password = app.add_user("renshe", "liaison", Some("地区人社局"));
    for _ in 0..5 {
        assert!(app.try_login("renshe", "not-the-password").await.is_err());
    }
    assert_eq!(actions(&app, "user.locked"), ["renshe"]);
    assert_eq!(actions(&app, "user.login_failed").len(), 4);
    // Locked: even the right password is refused, with the same answer.
    assert_eq!(
        app.try_login("renshe", &password).await.unwrap_err().status,
        401
    );
    app.clock.advance(Duration::minutes(14));
    assert!(app.try_login("renshe", &password).await.is_err());
    app.clock.advance(Duration::minutes(2));
    app.login("renshe", &password).await;
    assert_eq!(actions(&app, "user.login"), ["renshe"]);
}

#[actix_web::test]
async fn each_login_gets_a_new_session_and_logout_ends_it() {
    let app = spawn_app().await;
    let a = app.login_admin().await;
    let b = app.login_admin().await;
    assert_ne!(a.cookie, b.cookie);
    assert_ne!(a.csrf, b.csrf);
    assert_eq!(app.get_as(&a, "/").await.status, 200);

    let out = app.post_as(&a, "/logout", &[]).await;
    assert_eq!(out.status, 303);
    assert_eq!(location(&out), "/login");
    assert_eq!(
        app.get_as(&a, "/").await.status,
        303,
        "the old session is gone"
    );
    assert_eq!(app.get_as(&b, "/").await.status, 200, "other sessions stay");

    // A forged cookie (wrong signature) is no session.
    let mut forged = b.clone();
    let (head, last) = b.cookie.split_at(b.cookie.len() - 1);
    forged.cookie = format!("{head}{}", if last == "0" { "1" } else { "0" });
    assert_ne!(forged.cookie, b.cookie);
    assert_eq!(app.get_as(&forged, "/").await.status, 303);
}

#[actix_web::test]
async fn an_idle_session_ends_after_30_minutes_and_any_session_after_12_hours() {
    let app = spawn_app().await;
    let s = app.login_admin().await;
    app.clock.advance(Duration::minutes(29));
    assert_eq!(app.get_as(&s, "/").await.status, 200);
    app.clock.advance(Duration::minutes(29));
    assert_eq!(
        app.get_as(&s, "/").await.status,
        200,
        "activity keeps it alive"
    );
    app.clock.advance(Duration::minutes(31));
    assert_eq!(app.get_as(&s, "/").await.status, 303);

    // However busy, a session ends 12 hours after sign-in.
    let busy = app.login_admin().await;
    for _ in 0..((12 * 60) / 25) {
        app.clock.advance(Duration::minutes(25));
        assert_eq!(app.get_as(&busy, "/").await.status, 200);
    }
    app.clock.advance(Duration::minutes(25));
    assert_eq!(
        app.get_as(&busy, "/").await.status,
        303,
        "past the absolute lifetime"
    );
}

#[actix_web::test]
async fn a_disabled_user_cannot_sign_in_and_their_tokens_stop() {
    let app = spawn_app().await;
    let password = app.add_user("renshe", "liaison", Some("地区人社局"));
    let token = app.token_for("renshe");
    let session = app.login("renshe", &password).await;
    assert_eq!(app.api_get("/api/v1/documents", &token).await.status, 200);

    let id = app.user_id("renshe").await;
    let dept = app.department_id("地区人社局").await.to_string();
    let admin = app.login_admin().await;
    // The form without `active`: the account is disabled.
    let reply = app
        .post_as(
            &admin,
            &format!("/admin/users/{id}"),
            &[
                ("display_name", "人社局联络员"),
                ("email", "hr@example.gov.cn"),
                ("role", "liaison"),
                ("department_id", &dept),
            ],
        )
        .await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(app.api_get("/api/v1/documents", &token).await.status, 401);
    assert_eq!(app.get_as(&session, "/").await.status, 303);
    assert_eq!(
        app.try_login("renshe", &password).await.unwrap_err().status,
        401
    );
    assert_eq!(actions(&app, "user.update"), ["admin"]);
}

#[actix_web::test]
async fn a_revoked_token_stops_working() {
    let app = spawn_app().await;
    app.add_user("boss", "leader", None);
    let out = app
        .db
        .cli(&["token", "create", "boss", "--name", "dashboard"]);
    assert!(out.success(), "{}", out.stderr());
    let token = out.stdout().trim().to_string();
    assert!(token.starts_with("duban_") && !token.contains('\n'));
    assert!(
        out.stderr().contains("token"),
        "the rest goes to standard error"
    );
    assert_eq!(app.api_json("/api/v1/me", &token).await["username"], "boss");

    // Listed for the office, with its last use.
    let admin = app.login_admin().await;
    let page = app.get_as(&admin, "/admin/tokens").await;
    assert!(page.body.contains("dashboard") && page.body.contains("boss"));
    assert!(
        !page.body.contains(&token),
        "the token itself is never shown again"
    );

    let id = out.stderr().split_whitespace().nth(1).unwrap().to_string();
    let revoked = app.db.cli(&["token", "revoke", &id]);
    assert!(revoked.success(), "{}", revoked.stderr());
    let reply = app.api_get("/api/v1/me", &token).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.json()["error"]["code"], "unauthorized");
    assert!(
        !app.db.cli(&["token", "revoke", &id]).success(),
        "already revoked"
    );
}

#[actix_web::test]
async fn the_api_takes_bearer_tokens_only() {
    let app = spawn_app().await;
    let s = app.login_admin().await;
    let with_cookie = app
        .send(
            app.client
                .get(app.url("/api/v1/documents"))
                .insert_header(s.header()),
        )
        .await;
    assert_eq!(with_cookie.status, 401);
    let bogus = app.api_get("/api/v1/documents", "duban_0000").await;
    assert_eq!(bogus.status, 401);
}

#[actix_web::test]
async fn forms_without_a_valid_csrf_token_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    app.add_user("renshe", "liaison", Some("地区人社局"));
    let hr_id = app.user_id("renshe").await.to_string();
    let finance = app.department_id("财政厅").await.to_string();
    let target = app.department_id("地区财政局").await.to_string();
    // Something to act on: a submitted report and a pending extension.
    let hr = app.login("renshe", "pw-renshe-Tarim7q").await;
    let m5 = app.measure_id(5).await;
    let sent = app
        .api_multipart(
            &format!("/api/v1/measures/{m5}/reports"),
            &app.token_for("renshe"),
            &[
                ("period", "2026-Q1"),
                ("summary", "进展"),
                ("percent", "10"),
                ("status", "on_track"),
            ],
            &[],
        )
        .await;
    assert_eq!(sent.status, 201);
    let report = sent.json()["id"].to_string();
    let detail = app.get_json(&format!("/api/v1/measures/{m5}")).await;
    let obligation = detail["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["department"] == "地区人社局" && o["period"] == "2026-Q1")
        .unwrap()["id"]
        .to_string();
    let asked = app
        .post_as(
            &hr,
            &format!("/obligations/{obligation}/extension"),
            &[("due_on", "2026-05-01"), ("reason", "等数据")],
        )
        .await;
    assert_eq!(asked.status, 303);
    let queue = app.login_admin().await;
    let page = app.get_as(&queue, "/admin/extensions").await;
    let extension = page
        .body
        .split("action=\"/admin/extensions/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let document = app.get_json("/api/v1/documents").await[0]["id"].to_string();

    let before = app.audit().len();
    let admin = app.login_admin().await;
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/logout".into(), vec![]),
        (
            "/account/password".into(),
            vec![
                ("current", crate::helpers::ADMIN_PASSWORD),
                ("password", "new-password-1"),
                ("confirm", "new-password-1"),
            ],
        ),
        (
            "/admin/users".into(),
            vec![
                ("username", "mallory"),
                ("display_name", "M"),
                ("role", "admin"),
                ("password", "mallory-pass"),
            ],
        ),
        (
            format!("/admin/users/{hr_id}"),
            vec![("display_name", "X"), ("role", "admin"), ("active", "on")],
        ),
        (
            format!("/admin/users/{hr_id}/password"),
            vec![("password", "hijacked-pass")],
        ),
        (
            format!("/admin/departments/{finance}"),
            vec![("name", "改名")],
        ),
        (
            format!("/admin/departments/{finance}/merge"),
            vec![("target", &target)],
        ),
        (
            format!("/obligations/{obligation}/extension"),
            vec![("due_on", "2026-05-01"), ("reason", "延期")],
        ),
        (format!("/documents/{document}/acknowledge"), vec![]),
        (
            "/ledger/bulk".into(),
            vec![("action", "phone"), ("note", "电话"), ("ids", "1")],
        ),
        (
            format!("/reports/{report}/review"),
            vec![("decision", "accept")],
        ),
        (
            format!("/admin/extensions/{extension}"),
            vec![("decision", "approve")],
        ),
        (
            format!("/admin/documents/{document}/schedule"),
            vec![
                ("cadence", "monthly"),
                ("starts_on", "2026-01-01"),
                ("periods", "2"),
                ("due_days", "5"),
                ("co_days", "1"),
            ],
        ),
        (format!("/admin/documents/{document}/dispatch"), vec![]),
        (
            format!("/admin/measures/{m5}/deadline"),
            vec![("deadline", "2026-05-01")],
        ),
        (
            format!("/admin/measures/{m5}"),
            vec![("title", "改过的标题"), ("lead", "地区人社局")],
        ),
        ("/admin/outbox/1/resend".into(), vec![]),
        ("/admin/comments/1/delete".into(), vec![]),
        ("/reports/1/withdraw".into(), vec![]),
        ("/closures/1/decide".into(), vec![("decision", "approve")]),
        ("/admin/outbox/resend".into(), vec![]),
        ("/account/language".into(), vec![("language", "en")]),
        ("/account/calendar".into(), vec![]),
        ("/circulars".into(), vec![("issuer", "督查室")]),
        ("/circulars/1/send".into(), vec![]),
        (
            format!("/measures/{m5}/instruction"),
            vec![("body", "冒名批示")],
        ),
        (
            format!("/obligations/{obligation}/instruction"),
            vec![("body", "冒名批示")],
        ),
        ("/account/calendar/revoke".into(), vec![]),
        (
            "/admin/calendar".into(),
            vec![("year", "2027"), ("holidays", "2027-01-01")],
        ),
        (
            "/admin/reminders".into(),
            vec![("before_days", "1"), ("overdue_every_days", "1")],
        ),
    ];
    // Every state-changing page route is covered here.
    for spec in duban::web::route_table() {
        if spec.method == actix_web::http::Method::POST
            && !spec.path.starts_with("/api/")
            && spec.path != "/login"
            && spec.path != "/admin/tokens/{id}/revoke"
            && spec.path != "/obligations/{id}/report"
            // Multipart, with the token inside: tested in closing.rs.
            && spec.path != "/measures/{id}/closure"
            // Multipart, with the token inside: tested in import.rs.
            && !spec.path.starts_with("/admin/import/")
        {
            let prefix = spec.path.split("{id}").next().unwrap();
            assert!(
                posts.iter().any(|(p, _)| p.starts_with(prefix)),
                "no CSRF check for {}",
                spec.path
            );
        }
    }
    for (path, fields) in &posts {
        let missing = app.post_raw(&admin, path, fields).await;
        assert_eq!(missing.status, 403, "{path} without a token");
        let mut forged = fields.clone();
        forged.push(("csrf_token", "0123456789abcdef"));
        let wrong = app.post_raw(&admin, path, &forged).await;
        assert_eq!(wrong.status, 403, "{path} with a wrong token");
    }
    // The report form is multipart; its token travels inside it.
    let (content_type, body) = crate::helpers::multipart(
        &[
            ("summary", "冒名"),
            ("percent", "90"),
            ("status", "completed"),
            ("action", "submit"),
        ],
        &[],
    );
    let multipart = app
        .send_body(
            app.client
                .post(app.url(&format!("/obligations/{obligation}/report")))
                .insert_header(admin.header())
                .insert_header(("Content-Type", content_type)),
            body,
        )
        .await;
    assert_eq!(multipart.status, 403, "{}", multipart.body);

    // A token from another session does not count either.
    let other = app.login_admin().await;
    let mut fields = vec![("name", "改名")];
    fields.push(("csrf_token", other.csrf.as_str()));
    let crossed = app
        .post_raw(&admin, &format!("/admin/departments/{finance}"), &fields)
        .await;
    assert_eq!(crossed.status, 403);

    // Nothing changed: only the two sign-ins were recorded.
    let after = app.audit();
    assert_eq!(after.len(), before + 2, "{:?}", &after[before..]);
    assert!(after[before..].iter().all(|e| e.action == "user.login"));
    assert_eq!(app.get_as(&admin, "/").await.status, 200, "still signed in");

    // The login form checks its own token too.
    let reply = app
        .send_form(
            app.client.post(app.url("/login")),
            &[
                ("username", "admin"),
                ("password", crate::helpers::ADMIN_PASSWORD),
            ],
        )
        .await;
    assert_eq!(reply.status, 403);
}

#[actix_web::test]
async fn merging_a_department_moves_its_assignments_in_one_step() {
    let app = spawn_app().await;
    let finance_ting = app.department_id("财政厅").await;
    let finance = app.department_id("地区财政局").await;
    let admin = app.login_admin().await;

    let itself = app
        .post_as(
            &admin,
            &format!("/admin/departments/{finance_ting}/merge"),
            &[("target", &finance_ting.to_string())],
        )
        .await;
    assert_eq!(itself.status, 422);
    assert!(itself.body.contains("不能把单位合并到它自己"));

    let reply = app
        .post_as(
            &admin,
            &format!("/admin/departments/{finance_ting}/merge"),
            &[("target", &finance.to_string())],
        )
        .await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(location(&reply), format!("/admin/departments/{finance}"));

    let depts = app.get_json("/api/v1/departments").await;
    assert_eq!(depts.as_array().unwrap().len(), 32);
    let measures = app.get_json("/api/v1/measures").await;
    let m15 = measures
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["number"] == 15)
        .unwrap();
    let co: Vec<&str> = m15["co"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(
        co.contains(&"地区财政局") && !co.contains(&"财政厅"),
        "{co:?}"
    );
    assert_eq!(actions(&app, "department.merge"), ["admin"]);
    let page = app.get_as(&admin, &format!("/departments/{finance}")).await;
    assert!(
        page.body.contains("财政厅"),
        "the merged name stays as an alias"
    );

    // Importing the plan again finds 财政厅 under its new home: no new department.
    let seed = crate::helpers::repo_path("config/documents/tacheng-2018-10-employment.txt");
    let out = app.db.cli(&["import", seed.to_str().unwrap(), "--replace"]);
    assert!(out.success(), "{}", out.stderr());
    assert!(
        out.stdout().contains("(0 new departments)"),
        "{}",
        out.stdout()
    );
}

#[actix_web::test]
async fn departments_are_edited_through_the_api_with_clear_errors() {
    let app = spawn_app().await;
    app.add_user("boss", "leader", None);
    let leader = app.token_for("boss");
    let hr = app.department_id("地区人社局").await;
    let path = format!("/api/v1/departments/{hr}");
    let patch = |token: String, body: serde_json::Value| {
        let req = app
            .client
            .patch(app.url(&path))
            .insert_header(("Authorization", format!("Bearer {token}")));
        async move {
            let mut res = req.send_json(&body).await.unwrap();
            let bytes = res.body().await.unwrap();
            (
                res.status().as_u16(),
                serde_json::from_slice::<serde_json::Value>(&bytes).unwrap(),
            )
        }
    };
    let admin = app.admin_token.clone();
    let (status, body) = patch(
        admin.clone(),
        serde_json::json!({"email": "hr@tc.gov.cn, chief@tc.gov.cn"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["email"], "hr@tc.gov.cn,chief@tc.gov.cn");
    assert_eq!(body["lead_count"], 15);

    let (status, body) = patch(
        admin.clone(),
        serde_json::json!({"email": "hr@tc.gov.cn, nonsense"}),
    )
    .await;
    assert_eq!(status, 422);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("nonsense"));
    let (status, _) = patch(admin.clone(), serde_json::json!({"name": "地区财政局"})).await;
    assert_eq!(status, 409);
    let (status, _) = patch(admin.clone(), serde_json::json!({"colour": "red"})).await;
    assert_eq!(status, 422);
    let (status, _) = patch(leader, serde_json::json!({"name": "x"})).await;
    assert_eq!(status, 403);

    let (status, body) = patch(
        admin,
        serde_json::json!({"name": "地区人力资源和社会保障局"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["name"], "地区人力资源和社会保障局");
    assert_eq!(actions(&app, "department.update"), ["admin", "admin"]);
    let unchanged = app.get_json("/api/v1/departments").await;
    assert!(unchanged
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["email"] == "hr@tc.gov.cn,chief@tc.gov.cn"));
}

#[actix_web::test]
async fn the_office_creates_users_and_bad_input_writes_nothing() {
    let app = spawn_app().await;
    let admin = app.login_admin().await;
    let hr = app.department_id("地区人社局").await.to_string();
    let count = || {
        app.audit()
            .iter()
            .filter(|e| e.action == "user.create")
            .count()
    };
    let before = count();

    let long_name = "名".repeat(51);
    let bad: Vec<Vec<(&str, &str)>> = vec![
        vec![
            ("username", "li"),
            ("display_name", "李"),
            ("role", "leader"),
            ("password", "Good-Password-7q2x"),
        ],
        vec![
            ("username", "liaison1"),
            ("display_name", "李"),
            ("role", "liaison"),
            ("password", "Good-Password-7q2x"),
        ],
        vec![
            ("username", "lead1"),
            ("display_name", &long_name),
            ("role", "leader"),
            ("password", "Good-Password-7q2x"),
        ],
        vec![
            ("username", "lead1"),
            ("display_name", "李"),
            ("role", "king"),
            ("password", "Good-Password-7q2x"),
        ],
        vec![
            ("username", "lead1"),
            ("display_name", "李"),
            ("role", "leader"),
            ("password", "short"),
        ],
        vec![
            ("username", "admin"),
            ("display_name", "李"),
            ("role", "leader"),
            ("password", "Good-Password-7q2x"),
        ],
    ];
    for fields in &bad {
        let reply = app.post_as(&admin, "/admin/users", fields).await;
        assert_eq!(reply.status, 422, "{fields:?}");
        assert!(
            reply.body.contains("role=\"alert\""),
            "the error is shown beside the form"
        );
        assert!(
            !reply.body.contains("Good-Password-7q2x"),
            "a password is never echoed"
        );
    }
    assert_eq!(count(), before);

    let ok = app
        .post_as(
            &admin,
            "/admin/users",
            &[
                ("username", "Zhang.Wei"),
                ("display_name", "张伟"),
                ("email", "zw@tc.gov.cn"),
                ("role", "liaison"),
                ("department_id", &hr),
                ("password", "zhangwei-pass"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let list = app.get_as(&admin, "/admin/users").await;
    assert!(list.body.contains("已创建用户 Zhang.Wei") || list.body.contains("已创建用户"));
    assert!(list.body.contains("zhang.wei") && list.body.contains("地区人社局"));
    assert_eq!(actions(&app, "user.create").last().unwrap(), "admin");

    // The new liaison's home leads with their department's measures; no office controls.
    let zw = app.login("zhang.wei", "zhangwei-pass").await;
    let home = app.get_as(&zw, "/").await;
    assert!(home.body.contains("本单位的任务"));
    assert!(
        home.body.contains("健全城乡劳动者平等就业制度"),
        "measure 5, led by 人社局"
    );
    assert!(
        !home.body.contains("/admin/"),
        "no office controls for a liaison"
    );
    assert!(!app
        .get_as(&zw, "/departments")
        .await
        .body
        .contains("/admin/"));
    assert!(app
        .get_as(&admin, "/departments")
        .await
        .body
        .contains("/admin/departments/"));

    // Changing one's own password keeps this session and ends the others.
    let other = app.login("zhang.wei", "zhangwei-pass").await;
    let changed = app
        .post_as(
            &zw,
            "/account/password",
            &[
                ("current", "zhangwei-pass"),
                ("password", "new-pass-2026"),
                ("confirm", "new-pass-2026"),
            ],
        )
        .await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    assert_eq!(app.get_as(&zw, "/").await.status, 200);
    assert_eq!(app.get_as(&other, "/").await.status, 303);
    assert_eq!(actions(&app, "user.password"), ["zhang.wei"]);
    app.login("zhang.wei", "new-pass-2026").await;
}

#[actix_web::test]
async fn the_audit_page_filters_by_user_entity_and_date() {
    let app = spawn_app().await;
    let admin = app.login_admin().await;
    // The entries (not the filters' choices), in words.
    let entries = |html: &str| html.split("<tbody>").nth(1).unwrap_or("").to_string();
    let all = app.get_as(&admin, "/admin/audit").await;
    assert!(entries(&all.body).contains("导入文件"));
    let by_user = app
        .get_as(&admin, "/admin/audit?user=system&entity=document")
        .await;
    assert!(entries(&by_user.body).contains("导入文件"));
    assert!(!entries(&by_user.body).contains("登录"));
    let later = app.get_as(&admin, "/admin/audit?from=2030-01-01").await;
    assert!(later.body.contains("没有符合条件的记录"));
    let bad = app.get_as(&admin, "/admin/audit?from=yesterday").await;
    assert!(bad.body.contains("role=\"alert\""));
}

#[test]
fn users_and_tokens_from_the_command_line() {
    let db = TestDatabase::new();
    // A database with the bundled plan, as `serve` leaves it.
    let seed = crate::helpers::repo_path("config/documents/tacheng-2018-10-employment.txt");
    assert!(db.cli(&["import", seed.to_str().unwrap()]).success());

    let add = db.cli_stdin(
        &[
            "user",
            "add",
            "renshe",
            "--role",
            "liaison",
            "--department",
            "人社局",
            "--display-name",
            "人社联络员",
        ],
        "hr-password-1\n",
    );
    assert!(add.success(), "{}", add.stderr());
    let no_dept = db.cli_stdin(
        &["user", "add", "xiaoli", "--role", "liaison"],
        "hr-password-1\n",
    );
    assert!(!no_dept.success());
    assert!(
        no_dept.stderr().contains("联络员必须属于一个单位"),
        "{}",
        no_dept.stderr()
    );
    let dup = db.cli_stdin(
        &["user", "add", "renshe", "--role", "leader"],
        "hr-password-1\n",
    );
    assert!(
        !dup.success() && dup.stderr().contains("已存在"),
        "{}",
        dup.stderr()
    );
    let no_password = db.cli(&["user", "add", "boss", "--role", "leader"]);
    assert!(!no_password.success() && no_password.stderr().contains("standard input"));

    let list = db.cli(&["user", "list"]);
    assert!(list.success(), "{}", list.stderr());
    assert!(
        list.stdout()
            .contains("renshe\tliaison\t地区人社局\tactive"),
        "{}",
        list.stdout()
    );

    assert!(db
        .cli_stdin(&["user", "passwd", "renshe"], "another-pass-1\n")
        .success());
    assert!(db.cli(&["user", "disable", "renshe"]).success());
    assert!(db.cli(&["user", "list"]).stdout().contains("disabled"));
    let token = db.cli(&["token", "create", "renshe"]);
    assert!(!token.success(), "no token for a disabled user");
    assert!(!db.cli(&["user", "disable", "ghost"]).success());

    let pool = db.pool();
    let mut conn = pool.get().unwrap();
    let log = duban::db::audit::search(
        &mut conn,
        &duban::db::audit::AuditFilter {
            entity: Some("user".into()),
            limit: 100,
            ..Default::default()
        },
    )
    .unwrap();
    let mut acts: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    acts.reverse();
    assert_eq!(acts, ["user.create", "user.password", "user.disable"]);
    assert!(log.iter().all(|e| e.actor.starts_with("cli:")));
}

#[test]
fn the_first_start_creates_admin_with_a_password_shown_once() {
    let db = TestDatabase::new();
    let settings = db.settings(&[]);
    let pool = db.pool();
    let mut conn = pool.get().unwrap();
    let now = crate::helpers::fixed_now();
    let password = duban::accounts::bootstrap_admin(&mut conn, &settings.auth, now)
        .unwrap()
        .expect("a generated password");
    assert!(password.len() >= 16);
    let admin = duban::db::users::find_by_username(&mut conn, "admin")
        .unwrap()
        .unwrap();
    assert_eq!(admin.role, "admin");
    assert!(duban::security::verify_password(
        &password,
        &admin.password_hash
    ));
    assert!(!admin.password_hash.contains(&password));
    assert_eq!(
        duban::accounts::bootstrap_admin(&mut conn, &settings.auth, now).unwrap(),
        None,
        "only on an empty database"
    );
}

#[actix_web::test]
async fn the_office_edits_a_department_and_revokes_a_token_through_the_pages() {
    let app = spawn_app().await;
    app.add_user("boss", "leader", None);
    let token = app.token_for("boss");
    let hr = app.department_id("地区人社局").await;
    let admin = app.login_admin().await;

    let bad = app
        .post_as(
            &admin,
            &format!("/admin/departments/{hr}"),
            &[
                ("name", "地区人社局"),
                ("email", "not-an-address"),
                ("aliases", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains("not-an-address"),
        "the error names the input"
    );
    let ok = app
        .post_as(
            &admin,
            &format!("/admin/departments/{hr}"),
            &[
                ("name", "地区人社局"),
                ("email", "hr@tc.gov.cn; head@tc.gov.cn"),
                ("aliases", "人社局\n塔城地区人社局"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let page = app.get_as(&admin, &format!("/departments/{hr}")).await;
    assert!(page.body.contains("hr@tc.gov.cn,head@tc.gov.cn"));
    assert!(page.body.contains("塔城地区人社局"));
    assert_eq!(actions(&app, "department.update"), ["admin"]);

    // Newest first: boss's token heads the list.
    let list = app.get_as(&admin, "/admin/tokens").await;
    let id = list
        .body
        .split("action=\"/admin/tokens/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(app.api_get("/api/v1/me", &token).await.status, 200);
    let revoked = app
        .post_as(&admin, &format!("/admin/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(revoked.status, 303);
    assert_eq!(app.api_get("/api/v1/me", &token).await.status, 401);
    assert!(app
        .get_as(&admin, "/admin/tokens")
        .await
        .body
        .contains("已撤销"));
    assert_eq!(actions(&app, "token.revoke"), ["admin"]);
}
