//! Sign-in that an attacker cannot turn against the office, and the ASVS level 2 details:
//! password strength, session lifetimes, token revocation, cache and transport headers,
//! file names, file permissions, secrets in messages and bodies that stall.

use std::collections::HashMap;

use crate::helpers::*;

/// A browser with a cookie jar, signing in through the form.
struct Browser<'a> {
    app: &'a TestApp,
    cookies: HashMap<String, String>,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Self {
        Browser {
            app,
            cookies: HashMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, reply: &Reply) {
        for v in reply
            .headers
            .get_all("set-cookie")
            .filter_map(|v| v.to_str().ok())
        {
            let pair = v.split(';').next().unwrap_or("");
            if let Some((k, val)) = pair.split_once('=') {
                if val.is_empty() || v.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_string(), val.to_string());
                }
            }
        }
    }

    async fn get(&mut self, path: &str) -> Reply {
        let req = self
            .app
            .client
            .get(self.app.url(path))
            .insert_header(("Cookie", self.cookie_header()));
        let reply = self.app.send(req).await;
        self.keep(&reply);
        reply
    }

    /// Signs in; returns the reply to the form (303 on success).
    async fn sign_in(&mut self, username: &str, password: &str) -> Reply {
        let form = self.get("/login").await;
        let csrf = csrf_in(&form.body).expect("login form");
        let req = self
            .app
            .client
            .post(self.app.url("/login"))
            .insert_header(("Cookie", self.cookie_header()));
        let reply = self
            .app
            .send_form(
                req,
                &[
                    ("username", username),
                    ("password", password),
                    ("next", "/"),
                    ("csrf_token", &csrf),
                ],
            )
            .await;
        self.keep(&reply);
        reply
    }

    fn session(&self) -> Option<&String> {
        self.cookies.get("duban_session")
    }
}

#[actix_web::test]
async fn an_attacker_failing_the_admin_password_cannot_keep_the_office_out() {
    let app = spawn_app().await;
    let mut office = Browser::new(&app);
    assert_eq!(office.sign_in("admin", ADMIN_PASSWORD).await.status, 303);
    assert!(
        office.cookies.contains_key("duban_device"),
        "the browser is remembered"
    );
    assert_eq!(
        app.post_raw(
            &Session {
                cookie: office.session().unwrap().clone(),
                csrf: csrf_in(&office.get("/account/password").await.body).unwrap(),
            },
            "/logout",
            &[]
        )
        .await
        .status,
        403,
        "(a form without its token is refused: the session is real)"
    );

    // Someone without that browser guesses, again and again.
    let mut attacker = Browser::new(&app);
    let mut answers = HashMap::new();
    for i in 0..30 {
        let r = attacker.sign_in("admin", &format!("guess-{i}")).await;
        *answers.entry(r.status).or_insert(0) += 1;
    }
    assert!(
        answers.get(&429).is_some_and(|n| *n > 10),
        "the address is slowed down: {answers:?}"
    );
    let fresh = attacker.sign_in("admin", ADMIN_PASSWORD).await;
    assert_ne!(
        fresh.status, 303,
        "a new browser waits, even with the right password"
    );

    // The office's own browser signs in at once.
    let mut office_again = Browser::new(&app);
    office_again.cookies.insert(
        "duban_device".into(),
        office.cookies["duban_device"].clone(),
    );
    assert_eq!(
        office_again.sign_in("admin", ADMIN_PASSWORD).await.status,
        303
    );
    assert_eq!(office_again.get("/").await.status, 200);
    assert!(app.audit().iter().any(|e| e.action == "user.locked"));
}

#[actix_web::test]
async fn a_flood_of_anonymous_sign_ins_leaves_health_and_pages_answering() {
    let app = spawn_app().await;
    let admin = app.login_admin().await;
    let flood = futures_util::future::join_all((0..80).map(|i| {
        let app = &app;
        async move {
            let mut b = Browser::new(app);
            b.sign_in(
                if i % 2 == 0 { "admin" } else { "nobody" },
                "not-the-right-one",
            )
            .await
            .status
        }
    }));
    let probe = async {
        // Let the flood get going, then time a health check and a signed-in page.
        actix_web::rt::time::sleep(std::time::Duration::from_millis(150)).await;
        let started = std::time::Instant::now();
        let health = app.get("/healthz").await;
        let health_time = started.elapsed();
        let started = std::time::Instant::now();
        let page = app.get_as(&admin, "/").await;
        (health.status, health_time, page.status, started.elapsed())
    };
    let (statuses, (health, health_time, page, page_time)) =
        futures_util::future::join(flood, probe).await;
    assert!(
        statuses.iter().all(|s| [401, 429].contains(s)),
        "{statuses:?}"
    );
    assert_eq!(health, 200);
    assert_eq!(page, 200);
    assert!(
        health_time < std::time::Duration::from_secs(1),
        "/healthz took {health_time:?}"
    );
    assert!(
        page_time < std::time::Duration::from_secs(1),
        "the page took {page_time:?}"
    );
}

#[actix_web::test]
async fn weak_passwords_are_refused_and_a_new_sign_in_ends_the_old_session() {
    let app = spawn_app().await;
    let admin = app.login_admin().await;
    for weak in ["12345678", "123456789012", "passwordpassword"] {
        let reply = app
            .post_as(
                &admin,
                "/account/password",
                &[
                    ("current", ADMIN_PASSWORD),
                    ("password", weak),
                    ("confirm", weak),
                ],
            )
            .await;
        assert_eq!(reply.status, 422, "{weak} accepted");
    }
    let cli = app
        .db
        .cli_stdin(&["user", "add", "zhao", "--role", "leader"], "12345678\n");
    assert!(!cli.success());
    assert!(cli.stderr().contains("12"), "{}", cli.stderr());
    // Without the current password nothing changes.
    let reply = app
        .post_as(
            &admin,
            "/account/password",
            &[
                ("current", "not-it"),
                ("password", "Tarim-river-4471-spring"),
                ("confirm", "Tarim-river-4471-spring"),
            ],
        )
        .await;
    assert_eq!(reply.status, 422);

    // Signing in again in the same browser ends the session it had.
    let mut browser = Browser::new(&app);
    browser.sign_in("admin", ADMIN_PASSWORD).await;
    let first = browser.session().unwrap().clone();
    browser.sign_in("admin", ADMIN_PASSWORD).await;
    let second = browser.session().unwrap().clone();
    assert_ne!(first, second);
    let old = Session {
        cookie: first,
        csrf: String::new(),
    };
    assert_eq!(
        app.get_as(&old, "/").await.status,
        303,
        "the old session is gone"
    );
}

#[actix_web::test]
async fn disabling_a_user_revokes_their_tokens_for_good() {
    let app = spawn_app().await;
    app.add_user("renshe", "liaison", Some("地区人社局"));
    let token = app.token_for("renshe");
    assert_eq!(app.api_get("/api/v1/me", &token).await.status, 200);
    let out = app.db.cli(&["user", "disable", "renshe"]);
    assert!(out.success(), "{}", out.stderr());
    assert_eq!(app.api_get("/api/v1/me", &token).await.status, 401);
    // Enabled again (through the office's page), the old token stays dead.
    {
        use diesel::prelude::*;
        use duban::db::schema::users;
        let mut conn = app.pool.get().unwrap();
        diesel::update(users::table.filter(users::username.eq("renshe")))
            .set(users::active.eq(true))
            .execute(&mut *conn)
            .unwrap();
    }
    assert_eq!(app.api_get("/api/v1/me", &token).await.status, 401);
}

#[actix_web::test]
async fn answers_are_not_cached_and_browser_features_are_off() {
    let app = spawn_app().await;
    let admin = app.login_admin().await;
    let page = app.get_as(&admin, "/").await;
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert!(page
        .header("permissions-policy")
        .unwrap()
        .contains("camera=()"));
    assert_eq!(page.header("strict-transport-security"), None, "plain http");
    let api = app.api_get("/api/v1/documents", &app.admin_token).await;
    assert_eq!(api.header("cache-control"), Some("no-store"));
    let css = app.get("/static/app.css").await;
    assert!(css.header("cache-control").unwrap().starts_with("public"));
}

#[actix_web::test]
async fn behind_https_cookies_are_host_bound_and_hsts_is_sent() {
    let app =
        spawn_app_with_config("[server]\nbase_url = \"https://duban.example.gov.cn\"\n").await;
    let form = app.get("/login").await;
    assert_eq!(
        form.header("strict-transport-security"),
        Some("max-age=31536000; includeSubDomains")
    );
    let cookie = form
        .headers
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.contains("duban_login_csrf"))
        .unwrap();
    assert!(cookie.starts_with("__Host-duban_login_csrf="), "{cookie}");
    assert!(
        cookie.contains("Secure") && cookie.contains("Path=/"),
        "{cookie}"
    );
}

#[actix_web::test]
async fn bidi_characters_are_dropped_from_evidence_file_names() {
    let app = spawn_app().await;
    app.add_user("fagai", "liaison", Some("地区发改委"));
    let token = app.token_for("fagai");
    let measure = app.measure_id(1).await;
    let detail = app
        .api_json(&format!("/api/v1/measures/{measure}"), &token)
        .await;
    let period = detail["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["department"] == "地区发改委")
        .map(|o| o["period"].as_str().unwrap().to_string())
        .expect("the lead unit of measure 1 reports on it");
    let reply = app
        .api_multipart(
            &format!("/api/v1/measures/{measure}/reports"),
            &token,
            &[
                ("period", &period),
                ("summary", "附件名称检查"),
                ("percent", "10"),
                ("status", "on_track"),
            ],
            &[("inv\u{202e}fdp.exe.pdf", &pdf("bidi"))],
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let name = reply.json()["evidence"][0]["filename"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!name.contains('\u{202e}'), "{name:?}");
    assert_eq!(name, "invfdp.exe.pdf");
}

#[actix_web::test]
async fn data_files_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let db = TestDatabase::new();
    let data = db.data_dir().join("data");
    let data_str = data.display().to_string();
    let url = format!("sqlite://{}/duban.db", data.display());
    let mut server = db.start_server(
        free_port(),
        &[("DUBAN_DATA_DIR", &data_str), ("DATABASE_URL", &url)],
    );
    server.wait_healthy(std::time::Duration::from_secs(60));
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "the data directory");
    for file in ["duban.db", "duban.db-wal", "session.key"] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    server.terminate(std::time::Duration::from_secs(30));
}

#[actix_web::test]
async fn a_password_in_the_database_url_is_never_printed() {
    let db = TestDatabase::new();
    let out = db.cli_with(
        &["migrate"],
        &[(
            "DATABASE_URL",
            "postgres://duban@127.0.0.1:1/duban?password=Very-S3cret&sslmode=disable",
        )],
    );
    assert!(!out.success());
    assert!(!out.stderr().contains("Very-S3cret"), "{}", out.stderr());
    assert!(out.stderr().contains("password=***"), "{}", out.stderr());
}

#[actix_web::test]
async fn a_request_body_that_stalls_is_cut_off() {
    use std::io::{Read, Write};
    let app = spawn_app_with_config("[server]\nbody_timeout_seconds = 1\n").await;
    let port: u16 = app.address.rsplit(':').next().unwrap().parse().unwrap();
    let answer = actix_web::web::block(move || {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
        s.write_all(
            b"POST /login HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n\
              Content-Length: 1000\r\n\r\nusername=adm",
        )
        .unwrap();
        let started = std::time::Instant::now();
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        (started.elapsed(), String::from_utf8_lossy(&buf).into_owned())
    })
    .await
    .unwrap();
    let (waited, reply) = answer;
    assert!(
        waited < std::time::Duration::from_secs(15),
        "held for {waited:?}"
    );
    assert!(
        reply.is_empty() || reply.starts_with("HTTP/1.1 4"),
        "the stalled request is refused or closed: {reply}"
    );
}

#[actix_web::test]
async fn a_user_name_cannot_forge_log_lines() {
    let db = TestDatabase::new();
    let server = db.serve(&[]);
    let client = http_client();
    let form = try_send(client.get(server.url("/login")), None)
        .await
        .unwrap();
    let cookie = cookie_value(&form, "duban_login_csrf").unwrap();
    let csrf = csrf_in(&form.body).unwrap();
    let body = serde_urlencoded::to_string([
        ("username", "mallory\nERROR forged: admin signed in"),
        ("password", "whatever-it-is"),
        ("next", "/"),
        ("csrf_token", &csrf),
    ])
    .unwrap();
    let reply = try_send(
        client
            .post(server.url("/login"))
            .insert_header(("Cookie", format!("duban_login_csrf={cookie}"))),
        Some((
            "application/x-www-form-urlencoded".into(),
            body.into_bytes(),
        )),
    )
    .await
    .unwrap();
    assert_eq!(reply.status, 401);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let log = server.log_text();
    // User names are matched in lower case; the newline stays an escape in one line.
    assert!(
        log.contains("mallory\\nerror forged"),
        "the name is logged escaped:\n{log}"
    );
    assert!(
        !log.lines()
            .any(|l| l.to_lowercase().starts_with("error forged")),
        "no forged line:\n{log}"
    );
}
