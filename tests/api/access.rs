//! The access matrix: for every route of the application, what each kind of user gets. The
//! test walks the application's own route table, so a route added without a row here fails.

use std::collections::HashMap;

use actix_web::http::Method;

use crate::helpers::{cookie_value, csrf_in, spawn_app, Reply, Session, TestApp};

/// What a request gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum E {
    /// Served: not refused (401/403), not sent to the login page, no server error. A form
    /// posted empty on purpose may answer 422: that is the handler at work, past access.
    Ok,
    /// Sent to the login page to come back after (303 to /login?next=…).
    Login,
    /// 401 with the JSON error body.
    Unauth,
    /// 403.
    Forbid,
    /// The login form answers for itself (a failed sign-in is its own 401 page): anything
    /// but a refusal (403) or a server error.
    Open,
}

use E::*;

/// Columns: anonymous, liaison of the responsible department, liaison of another
/// department, leader, admin.
const PERSONAS: [&str; 5] = [
    "anonymous",
    "liaison (responsible)",
    "liaison (other)",
    "leader",
    "admin",
];

struct Row {
    method: Method,
    /// As in the route table.
    route: &'static str,
    /// With placeholders filled from the fixture: {document} {measure} {department} {user}
    /// {token} {other_department}.
    path: &'static str,
    expect: [E; 5],
}

const PAGE: [E; 5] = [Login, Ok, Ok, Ok, Ok];
const ADMIN_PAGE: [E; 5] = [Login, Forbid, Forbid, Forbid, Ok];
const API: [E; 5] = [Unauth, Ok, Ok, Ok, Ok];
const ADMIN_API: [E; 5] = [Unauth, Forbid, Forbid, Forbid, Ok];
const PUBLIC: [E; 5] = [Ok, Ok, Ok, Ok, Ok];
/// Another department's obligation and its reports: the office and leaders read them.
const OWN_OBLIGATION: [E; 5] = [Login, Ok, Forbid, Ok, Ok];
const OWN_OBLIGATION_API: [E; 5] = [Unauth, Ok, Forbid, Ok, Ok];
/// Writing for a department: its liaisons and the office.
const ACT_FOR: [E; 5] = [Login, Ok, Forbid, Forbid, Ok];
/// Acknowledging receipt: liaisons, for their own department.
const LIAISONS: [E; 5] = [Login, Ok, Ok, Forbid, Forbid];
/// Reporting through the API: for one's own department (another department's liaison
/// reports for theirs, and is told their department has no such obligation).
const REPORT_API: [E; 5] = [Unauth, Ok, Ok, Forbid, Ok];
/// The scorecard ranks every department: leaders and the office. (A liaison asking for it is
/// sent to their own unit's score.)
const SCORECARD: [E; 5] = [Login, Forbid, Forbid, Ok, Ok];
const SCORECARD_PAGE: [E; 5] = [Login, Ok, Ok, Ok, Ok];
/// One unit's score and breakdown: its own liaisons, leaders and the office.
const OWN_SCORE: [E; 5] = [Login, Ok, Forbid, Ok, Ok];
/// The scorecard API: a liaison gets their own unit's row only (checked in scorecard.rs).
const SCORECARD_API: [E; 5] = [Unauth, Ok, Ok, Ok, Ok];
const LOGIN_FORM: [E; 5] = [Open, Open, Open, Open, Open];
/// 批示: leaders only.
const LEADERS: [E; 5] = [Login, Forbid, Forbid, Ok, Forbid];

fn row(method: Method, route: &'static str, path: &'static str, expect: [E; 5]) -> Row {
    Row {
        method,
        route,
        path,
        expect,
    }
}

fn matrix() -> Vec<Row> {
    use Method as M;
    vec![
        row(M::GET, "/healthz", "/healthz", PUBLIC),
        row(M::GET, "/static/app.css", "/static/app.css", PUBLIC),
        row(M::GET, "/static/favicon.svg", "/static/favicon.svg", PUBLIC),
        row(
            M::GET,
            "/static/report-form.js",
            "/static/report-form.js",
            PUBLIC,
        ),
        row(
            M::GET,
            "/static/review-form.js",
            "/static/review-form.js",
            PUBLIC,
        ),
        row(M::GET, "/login", "/login", PUBLIC),
        row(M::POST, "/login", "/login", LOGIN_FORM),
        row(M::POST, "/logout", "/logout", PAGE),
        row(M::GET, "/account/password", "/account/password", PAGE),
        row(M::POST, "/account/password", "/account/password", PAGE),
        row(M::POST, "/account/language", "/account/language", PAGE),
        row(M::POST, "/account/calendar", "/account/calendar", PAGE),
        row(
            M::POST,
            "/account/calendar/revoke",
            "/account/calendar/revoke",
            PAGE,
        ),
        row(M::GET, "/calendar/{file}", "/calendar/unknown.ics", PUBLIC),
        row(M::GET, "/language/{code}", "/language/en", PUBLIC),
        row(M::GET, "/", "/", PAGE),
        row(M::GET, "/documents", "/documents", PAGE),
        row(M::GET, "/documents/{id}", "/documents/{document}", PAGE),
        // The ledger: everyone signed in, each seeing what they may (scoped in ledger.rs).
        row(M::GET, "/ledger", "/ledger", PAGE),
        row(
            M::GET,
            "/ledger/print",
            "/ledger/print?document={document}",
            PAGE,
        ),
        row(
            M::GET,
            "/ledger.csv",
            "/ledger.csv?document={document}",
            PAGE,
        ),
        row(
            M::GET,
            "/ledger.xlsx",
            "/ledger.xlsx?document={document}",
            PAGE,
        ),
        row(M::POST, "/ledger/bulk", "/ledger/bulk", ADMIN_PAGE),
        row(M::GET, "/api/v1/obligations", "/api/v1/obligations", API),
        row(M::GET, "/measures/{id}", "/measures/{measure}", PAGE),
        // Closing (办结): the lead unit asks, the office decides; closing files are checked
        // in closing.rs (none exist here, so every signed-in reader gets a 404).
        row(
            M::POST,
            "/measures/{id}/closure",
            "/measures/{measure}/closure",
            ACT_FOR,
        ),
        row(
            M::POST,
            "/closures/{id}/decide",
            "/closures/1/decide",
            ADMIN_PAGE,
        ),
        row(M::GET, "/closures/files/{id}", "/closures/files/1", PAGE),
        row(M::GET, "/departments", "/departments", PAGE),
        row(
            M::GET,
            "/departments/{id}",
            "/departments/{department}",
            PAGE,
        ),
        row(
            M::GET,
            "/obligations/{id}",
            "/obligations/{obligation}",
            OWN_OBLIGATION,
        ),
        row(
            M::POST,
            "/obligations/{id}/report",
            "/obligations/{obligation}/report",
            ACT_FOR,
        ),
        row(
            M::POST,
            "/obligations/{id}/extension",
            "/obligations/{obligation}/extension",
            ACT_FOR,
        ),
        row(
            M::POST,
            "/documents/{id}/acknowledge",
            "/documents/{document}/acknowledge",
            LIAISONS,
        ),
        row(
            M::GET,
            "/evidence/{id}",
            "/evidence/{evidence}",
            OWN_OBLIGATION,
        ),
        row(M::GET, "/admin/reviews", "/admin/reviews", ADMIN_PAGE),
        row(
            M::POST,
            "/reports/{id}/review",
            "/reports/{report}/review",
            ADMIN_PAGE,
        ),
        row(
            M::POST,
            "/admin/comments/{id}/delete",
            "/admin/comments/1/delete",
            ADMIN_PAGE,
        ),
        row(M::GET, "/admin/extensions", "/admin/extensions", ADMIN_PAGE),
        row(
            M::POST,
            "/admin/extensions/{id}",
            "/admin/extensions/{extension}",
            ADMIN_PAGE,
        ),
        row(
            M::POST,
            "/admin/documents/{id}/schedule",
            "/admin/documents/{document}/schedule",
            ADMIN_PAGE,
        ),
        row(
            M::POST,
            "/admin/documents/{id}/dispatch",
            "/admin/documents/{document}/dispatch",
            ADMIN_PAGE,
        ),
        row(
            M::POST,
            "/admin/measures/{id}/deadline",
            "/admin/measures/{measure}/deadline",
            ADMIN_PAGE,
        ),
        row(
            M::POST,
            "/admin/measures/{id}",
            "/admin/measures/{measure}",
            ADMIN_PAGE,
        ),
        row(
            M::PATCH,
            "/api/v1/measures/{id}",
            "/api/v1/measures/{measure}",
            ADMIN_API,
        ),
        row(
            M::GET,
            "/measures.csv",
            "/measures.csv?document={document}",
            PAGE,
        ),
        row(
            M::GET,
            "/measures.xlsx",
            "/measures.xlsx?document={document}",
            PAGE,
        ),
        row(
            M::GET,
            "/scorecard",
            "/scorecard?document={document}",
            SCORECARD_PAGE,
        ),
        row(
            M::GET,
            "/scorecard/departments/{id}",
            "/scorecard/departments/{department}?document={document}",
            OWN_SCORE,
        ),
        row(
            M::GET,
            "/scorecard.csv",
            "/scorecard.csv?document={document}",
            SCORECARD,
        ),
        row(
            M::GET,
            "/scorecard.xlsx",
            "/scorecard.xlsx?document={document}",
            SCORECARD,
        ),
        row(
            M::GET,
            "/api/v1/scorecard",
            "/api/v1/scorecard?document={document}",
            SCORECARD_API,
        ),
        row(M::GET, "/admin/users", "/admin/users", ADMIN_PAGE),
        row(M::POST, "/admin/users", "/admin/users", ADMIN_PAGE),
        row(
            M::GET,
            "/admin/users/{id}",
            "/admin/users/{user}",
            ADMIN_PAGE,
        ),
        row(
            M::POST,
            "/admin/users/{id}",
            "/admin/users/{user}",
            ADMIN_PAGE,
        ),
        row(
            M::POST,
            "/admin/users/{id}/password",
            "/admin/users/{user}/password",
            ADMIN_PAGE,
        ),
        row(
            M::POST,
            "/admin/users/{id}/oversight",
            "/admin/users/{user}/oversight",
            ADMIN_PAGE,
        ),
        row(
            M::POST,
            "/admin/users/{id}/mobile",
            "/admin/users/{user}/mobile",
            ADMIN_PAGE,
        ),
        row(
            M::GET,
            "/admin/departments/{id}",
            "/admin/departments/{department}",
            ADMIN_PAGE,
        ),
        row(
            M::POST,
            "/admin/departments/{id}",
            "/admin/departments/{department}",
            ADMIN_PAGE,
        ),
        row(
            M::POST,
            "/admin/departments/{id}/calendar",
            "/admin/departments/{department}/calendar",
            ADMIN_PAGE,
        ),
        row(
            M::POST,
            "/admin/departments/{id}/calendar/revoke",
            "/admin/departments/{department}/calendar/revoke",
            ADMIN_PAGE,
        ),
        row(
            M::POST,
            "/admin/departments/{id}/merge",
            "/admin/departments/{department}/merge",
            ADMIN_PAGE,
        ),
        row(M::GET, "/admin/tokens", "/admin/tokens", ADMIN_PAGE),
        row(
            M::POST,
            "/admin/tokens/{id}/revoke",
            "/admin/tokens/{token}/revoke",
            ADMIN_PAGE,
        ),
        row(M::GET, "/admin/audit", "/admin/audit", ADMIN_PAGE),
        row(M::GET, "/admin/audit.csv", "/admin/audit.csv", ADMIN_PAGE),
        row(
            M::GET,
            "/admin/audit/goto/{entity}/{id}",
            "/admin/audit/goto/report/{report}",
            ADMIN_PAGE,
        ),
        row(M::GET, "/admin/import", "/admin/import", ADMIN_PAGE),
        row(
            M::POST,
            "/admin/import/preview",
            "/admin/import/preview",
            ADMIN_PAGE,
        ),
        row(
            M::POST,
            "/admin/import/confirm",
            "/admin/import/confirm",
            ADMIN_PAGE,
        ),
        row(M::GET, "/admin/outbox", "/admin/outbox", ADMIN_PAGE),
        // No email exists yet: the office gets 404, everyone else is refused first.
        row(
            M::POST,
            "/admin/outbox/{id}/resend",
            "/admin/outbox/1/resend",
            ADMIN_PAGE,
        ),
        row(
            M::POST,
            "/admin/outbox/resend",
            "/admin/outbox/resend",
            ADMIN_PAGE,
        ),
        row(M::GET, "/admin/reminders", "/admin/reminders", ADMIN_PAGE),
        row(M::GET, "/admin/calendar", "/admin/calendar", ADMIN_PAGE),
        row(M::GET, "/circulars/new", "/circulars/new", ADMIN_PAGE),
        row(
            M::POST,
            "/measures/{id}/instruction",
            "/measures/{measure}/instruction",
            LEADERS,
        ),
        row(
            M::POST,
            "/obligations/{id}/instruction",
            "/obligations/{obligation}/instruction",
            LEADERS,
        ),
        row(M::POST, "/circulars", "/circulars", ADMIN_PAGE),
        row(M::GET, "/circulars/{id}", "/circulars/1", SCORECARD),
        row(
            M::GET,
            "/circulars/{id}/docx",
            "/circulars/1/docx",
            SCORECARD,
        ),
        row(
            M::POST,
            "/circulars/{id}/send",
            "/circulars/1/send",
            ADMIN_PAGE,
        ),
        row(M::POST, "/admin/calendar", "/admin/calendar", ADMIN_PAGE),
        row(M::POST, "/admin/reminders", "/admin/reminders", ADMIN_PAGE),
        row(M::GET, "/api/v1/outbox", "/api/v1/outbox", ADMIN_API),
        row(
            M::POST,
            "/api/v1/outbox/resend",
            "/api/v1/outbox/resend",
            ADMIN_API,
        ),
        row(M::GET, "/api/v1/me", "/api/v1/me", API),
        row(M::GET, "/api/v1/documents", "/api/v1/documents", API),
        row(
            M::GET,
            "/api/v1/measures",
            "/api/v1/measures?document={document}",
            API,
        ),
        row(
            M::GET,
            "/api/v1/measures/{id}",
            "/api/v1/measures/{measure}",
            API,
        ),
        row(M::GET, "/api/v1/departments", "/api/v1/departments", API),
        row(
            M::PATCH,
            "/api/v1/departments/{id}",
            "/api/v1/departments/{department}",
            ADMIN_API,
        ),
        row(
            M::PUT,
            "/api/v1/users/{id}/departments",
            "/api/v1/users/{user}/departments",
            ADMIN_API,
        ),
        row(
            M::POST,
            "/api/v1/measures/{id}/reports",
            "/api/v1/measures/{measure}/reports",
            REPORT_API,
        ),
        row(
            M::GET,
            "/api/v1/reports/{id}",
            "/api/v1/reports/{report}",
            OWN_OBLIGATION_API,
        ),
        row(
            M::POST,
            "/api/v1/reports/{id}/review",
            "/api/v1/reports/{report}/review",
            ADMIN_API,
        ),
        row(
            M::GET,
            "/api/v1/evidence/{id}",
            "/api/v1/evidence/{evidence}",
            OWN_OBLIGATION_API,
        ),
        // Last: a withdrawn report is a draft, which changes what the rows above read.
        row(
            M::POST,
            "/reports/{id}/withdraw",
            "/reports/{report}/withdraw",
            ACT_FOR,
        ),
    ]
}

fn check(expect: E, reply: &Reply, what: &str) {
    let to_login = reply
        .header("location")
        .is_some_and(|l| l.starts_with("/login?next="));
    match expect {
        Ok => assert!(
            ![401, 403].contains(&reply.status) && !to_login && reply.status < 500,
            "{what}: expected to be served, got {} {}",
            reply.status,
            reply.body
        ),
        Login => assert!(
            reply.status == 303 && to_login,
            "{what}: expected a redirect to /login, got {}",
            reply.status
        ),
        Unauth => {
            assert_eq!(reply.status, 401, "{what}");
            assert_eq!(reply.json()["error"]["code"], "unauthorized", "{what}");
        }
        Forbid => assert_eq!(reply.status, 403, "{what}: {}", reply.body),
        Open => assert!(
            reply.status != 403 && reply.status < 500,
            "{what}: got {}",
            reply.status
        ),
    }
}

/// Who plays each persona.
struct Cast {
    users: [Option<(&'static str, String)>; 5],
    tokens: [Option<String>; 5],
}

async fn request(app: &TestApp, cast: &Cast, persona: usize, row: &Row, path: &str) -> Reply {
    let api = row.route.starts_with("/api/");
    if api {
        let mut req = app.client.request(row.method.clone(), app.url(path));
        if let Some(token) = &cast.tokens[persona] {
            req = req.insert_header(("Authorization", format!("Bearer {token}")));
        }
        return if row.method == Method::PATCH || row.method == Method::PUT {
            let mut res = req.send_json(&serde_json::json!({})).await.unwrap();
            let body = res.body().await.unwrap();
            Reply {
                status: res.status().as_u16(),
                headers: res.headers().clone(),
                body: String::from_utf8_lossy(&body).into_owned(),
            }
        } else {
            app.send(req).await
        };
    }
    if row.route == "/login" && row.method == Method::POST {
        // The login form itself: a real browser fetches it first for its CSRF cookie.
        let form = app.get("/login").await;
        let cookie = cookie_value(&form, "duban_login_csrf").unwrap();
        let csrf = csrf_in(&form.body).unwrap();
        let req = app
            .client
            .post(app.url("/login"))
            .insert_header(("Cookie", format!("duban_login_csrf={cookie}")));
        return app
            .send_form(
                req,
                &[
                    ("username", "nobody"),
                    ("password", "x"),
                    ("csrf_token", &csrf),
                ],
            )
            .await;
    }
    // Pages: a fresh session for each request, since some posts end sessions.
    let session: Option<Session> = match &cast.users[persona] {
        Some((name, password)) => Some(app.login(name, password).await),
        None => None,
    };
    match (row.method.clone(), session) {
        (Method::GET, Some(s)) => app.get_as(&s, path).await,
        (Method::GET, None) => app.get(path).await,
        // Posted empty on purpose: the request must get past access checks (or not), and an
        // allowed one then stops at validation without changing anything that matters here.
        (_, Some(s)) => app.post_as(&s, path, &[]).await,
        (_, None) => {
            let req = app.client.post(app.url(path));
            app.send_form(req, &[("csrf_token", "none")]).await
        }
    }
}

#[actix_web::test]
async fn every_route_answers_each_kind_of_user_as_the_matrix_says() {
    let app = spawn_app().await;
    let hr = app.add_user("renshe", "liaison", Some("地区人社局"));
    let stats = app.add_user("stats", "liaison", Some("地区统计局"));
    let boss = app.add_user("boss", "leader", None);
    let cast = Cast {
        users: [
            None,
            Some(("renshe", hr)),
            Some(("stats", stats)),
            Some(("boss", boss)),
            Some(("admin", crate::helpers::ADMIN_PASSWORD.to_string())),
        ],
        tokens: [
            None,
            Some(app.token_for("renshe")),
            Some(app.token_for("stats")),
            Some(app.token_for("boss")),
            Some(app.admin_token.clone()),
        ],
    };

    // The fixture's ids.
    let docs = app.get_json("/api/v1/documents").await;
    let document = docs[0]["id"].to_string();
    let measures = app.get_json("/api/v1/measures").await;
    let measure = measures
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["number"] == 5)
        .unwrap()["id"]
        .to_string();
    let depts = app.get_json("/api/v1/departments").await;
    let dept_id = |name: &str| {
        depts
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == name)
            .unwrap()["id"]
            .to_string()
    };
    let me = app
        .api_json("/api/v1/me", cast.tokens[1].as_ref().unwrap())
        .await;
    let mut ids: HashMap<&str, String> = HashMap::from([
        ("{document}", document),
        ("{measure}", measure),
        ("{department}", dept_id("地区人社局")),
        ("{user}", me["id"].to_string()),
    ]);
    let revocable = {
        let mut conn = app.pool.get().unwrap();
        let change = duban::db::departments::Change {
            actor: "test",
            at: crate::helpers::fixed_now(),
        };
        duban::accounts::create_token(&mut conn, "boss", "to revoke", change)
            .unwrap()
            .0
    };
    ids.insert("{token}", revocable.to_string());

    // A submitted report with a file, and a pending extension, on 人社局's obligation.
    let sent = app
        .api_multipart(
            &format!("/api/v1/measures/{}/reports", ids["{measure}"]),
            cast.tokens[1].as_ref().unwrap(),
            &[
                ("period", "2026-Q1"),
                ("summary", "进展"),
                ("percent", "10"),
                ("status", "on_track"),
            ],
            &[("a.pdf", &crate::helpers::pdf("a"))],
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    let report = sent.json();
    ids.insert("{report}", report["id"].to_string());
    ids.insert("{evidence}", report["evidence"][0]["id"].to_string());
    let detail = app
        .get_json(&format!("/api/v1/measures/{}", ids["{measure}"]))
        .await;
    let obligation = detail["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["department"] == "地区人社局" && o["period"] == "2026-Q1")
        .unwrap()["id"]
        .to_string();
    let extension = {
        let mut conn = app.pool.get().unwrap();
        let hr_user = duban::authz::CurrentUser {
            id: me["id"].as_i64().unwrap() as i32,
            username: "hr".into(),
            display_name: "hr".into(),
            role: duban::domain::accounts::Role::Liaison,
            department_id: Some(ids["{department}"].parse().unwrap()),
            department: None,
        };
        let now = crate::helpers::fixed_now();
        duban::reporting::request_extension(
            &mut conn,
            &hr_user,
            obligation.parse().unwrap(),
            chrono::NaiveDate::from_ymd_opt(2026, 5, 1).unwrap(),
            "等待数据",
            now.date(),
            now,
        )
        .unwrap()
    };
    ids.insert("{obligation}", obligation);
    ids.insert("{extension}", extension.to_string());

    // Every route has a row, and every row a route.
    let table = duban::web::route_table();
    let rows = matrix();
    for spec in &table {
        assert!(
            rows.iter()
                .any(|r| r.method == spec.method && r.route == spec.path),
            "route {} {} has no row in the access matrix",
            spec.method,
            spec.path
        );
    }
    for r in &rows {
        assert!(
            table
                .iter()
                .any(|s| s.method == r.method && s.path == r.route),
            "matrix row {} {} names no route",
            r.method,
            r.route
        );
    }

    for r in &rows {
        let mut path = r.path.to_string();
        for (k, v) in &ids {
            path = path.replace(k, v);
        }
        for (persona, expect) in r.expect.iter().enumerate() {
            let reply = request(&app, &cast, persona, r, &path).await;
            check(
                *expect,
                &reply,
                &format!("{} {} as {}", r.method, path, PERSONAS[persona]),
            );
        }
    }
}
