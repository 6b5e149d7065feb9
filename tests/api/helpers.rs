//! Test harness: a fresh database per test (a temp SQLite file, or a new PostgreSQL database
//! when TEST_DATABASE_URL points at a server), the real application on port 0, and the real
//! binary for command-line tests.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use chrono::NaiveDate;
use diesel::connection::SimpleConnection;
use diesel::Connection;
use duban::accounts::{self, UserInput};
use duban::clock::ManualClock;
use duban::config::Settings;
use duban::db::departments::Change;
use duban::db::Pool;
use duban::startup::Application;

/// A database of its own for one test.
pub struct TestDatabase {
    pub url: String,
    pub dir: tempfile::TempDir,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl TestDatabase {
    pub fn new() -> TestDatabase {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = match std::env::var("TEST_DATABASE_URL") {
            Ok(server) if !server.is_empty() => {
                let name = format!(
                    "duban_test_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::Relaxed),
                    chrono::Utc::now().timestamp_subsec_nanos()
                );
                let mut admin = diesel::PgConnection::establish(&server)
                    .expect("TEST_DATABASE_URL must reach a PostgreSQL server");
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create test database");
                let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
                format!("{base}/{name}")
            }
            _ => format!("sqlite://{}", dir.path().join("duban.db").display()),
        };
        TestDatabase { url, dir }
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Settings as the binary would read them from this environment.
    pub fn settings(&self, extra: &[(&str, &str)]) -> Settings {
        let mut vars: HashMap<String, String> = HashMap::from([
            ("DATABASE_URL".into(), self.url.clone()),
            (
                "DUBAN_DATA_DIR".into(),
                self.data_dir().display().to_string(),
            ),
            ("DUBAN_BIND".into(), "127.0.0.1:0".into()),
        ]);
        for (k, v) in extra {
            vars.insert(k.to_string(), v.to_string());
        }
        Settings::load(&|k| vars.get(k).cloned()).expect("test settings")
    }

    /// A small pool on this database, migrated.
    pub fn pool(&self) -> Pool {
        let mut settings = self.settings(&[]);
        settings.pool_size = 2;
        duban::startup::open_database(&settings).expect("open test database")
    }

    /// Runs the real `duban` binary against this database.
    pub fn cli(&self, args: &[&str]) -> CliOutput {
        self.cli_with(args, &[])
    }

    /// Runs the binary with `input` on its standard input.
    pub fn cli_stdin(&self, args: &[&str], input: &str) -> CliOutput {
        use std::io::Write;
        let mut child = self
            .command(args, &[])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run duban");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        CliOutput(child.wait_with_output().expect("wait for duban"))
    }

    pub fn cli_with(&self, args: &[&str], env: &[(&str, &str)]) -> CliOutput {
        CliOutput(self.command(args, env).output().expect("run duban"))
    }

    /// Starts the binary without waiting for it.
    pub fn spawn_cli(&self, args: &[&str], env: &[(&str, &str)]) -> std::process::Child {
        self.command(args, env)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start duban")
    }

    fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_duban"));
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &self.url)
            .env("DUBAN_DATA_DIR", self.data_dir())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd
    }
}

pub struct CliOutput(pub Output);

impl CliOutput {
    pub fn success(&self) -> bool {
        self.0.status.success()
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.0.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout()))
    }
}

/// The application running on a free port against its own database.
pub struct TestApp {
    pub address: String,
    pub db: TestDatabase,
    pub client: awc::Client,
    pub clock: Arc<ManualClock>,
    pub pool: Pool,
    /// A token of the `admin` account.
    pub admin_token: String,
    server: actix_web::dev::ServerHandle,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // The stop command is sent at once; the workers, their pools and database
        // connections go with it instead of lingering until the test binary exits.
        drop(self.server.stop(false));
    }
}

/// The password of the `admin` account every test app starts with.
pub const ADMIN_PASSWORD: &str = "admin-pass-2026";

pub fn fixed_now() -> chrono::NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 3, 2)
        .unwrap()
        .and_hms_opt(1, 0, 0)
        .unwrap()
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(TestDatabase::new()).await
}

/// A multipart body: text fields, then `evidence` files (name, bytes). Returns the content
/// type and the body.
pub fn multipart(fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let named: Vec<(&str, &str, &[u8])> = files.iter().map(|(n, b)| ("evidence", *n, *b)).collect();
    multipart_named(fields, &named)
}

/// A multipart body with files under the given field names: (field, filename, bytes).
pub fn multipart_named(
    fields: &[(&str, &str)],
    files: &[(&str, &str, &[u8])],
) -> (String, Vec<u8>) {
    let boundary = "duban-test-boundary-7c1f0a";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (field, name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A small valid PDF-looking file, different for each `tag`.
pub fn pdf(tag: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {tag}\n1 0 obj << >> endobj\n%%EOF\n").into_bytes()
}

pub fn png(tag: &str) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend_from_slice(tag.as_bytes());
    v
}

pub async fn spawn_app_with_config(toml: &str) -> TestApp {
    let db = TestDatabase::new();
    let path = db.data_dir().join("extra.toml");
    std::fs::write(&path, toml).unwrap();
    spawn_app_env(db, &[("DUBAN_CONFIG", path.to_str().unwrap())]).await
}

pub async fn spawn_app_with(db: TestDatabase) -> TestApp {
    spawn_app_env(db, &[]).await
}

async fn spawn_app_env(db: TestDatabase, extra: &[(&str, &str)]) -> TestApp {
    spawn_app_scheduled(db, extra, None).await
}

/// An app whose server runs reminders every `scheduler` (None: never).
pub async fn spawn_app_scheduled(
    db: TestDatabase,
    extra: &[(&str, &str)],
    scheduler: Option<std::time::Duration>,
) -> TestApp {
    // Server errors show in a failing test's output (RUST_LOG=debug for more).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "error".into()),
        )
        .with_test_writer()
        .try_init();
    let mut env = vec![("DUBAN_ADMIN_PASSWORD", ADMIN_PASSWORD)];
    env.extend_from_slice(extra);
    let mut settings = db.settings(&env);
    settings.workers = 1;
    settings.pool_size = 4;
    // Reminder runs are driven by each test (through `duban remind`), not by a timer.
    settings.reminders.interval = scheduler;
    let clock = Arc::new(ManualClock::new(fixed_now()));
    let app = Application::build(settings, clock.clone()).expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let server = app.handle();
    actix_web::rt::spawn(app.run_until_stopped());
    let pool = db.pool();
    let mut app = TestApp {
        address,
        db,
        client: awc::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .disable_redirects()
            .finish(),
        clock,
        pool,
        admin_token: String::new(),
        server,
    };
    app.admin_token = app.token_for("admin");
    app
}

/// A response, read whole.
pub struct Reply {
    pub status: u16,
    pub headers: awc::http::header::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Creates a user directly (as the office would), with password `password-<username>`.
    pub fn add_user(&self, username: &str, role: &str, department: Option<&str>) -> String {
        let mut conn = self.pool.get().unwrap();
        let input = UserInput {
            username: username.into(),
            display_name: format!("{username} 同志"),
            email: format!("{username}@example.gov.cn"),
            role: role.into(),
            department_id: None,
            department_name: department.map(str::to_string),
            active: true,
        };
        let password = format!("pw-{username}-Tarim7q");
        accounts::create_user(
            &mut conn,
            &input,
            &password,
            Change {
                actor: "test",
                at: fixed_now(),
            },
        )
        .expect("create user");
        password
    }

    /// An API token for a user.
    pub fn token_for(&self, username: &str) -> String {
        let mut conn = self.pool.get().unwrap();
        let change = Change {
            actor: "test",
            at: fixed_now(),
        };
        accounts::create_token(&mut conn, username, "test", change)
            .expect("create token")
            .1
    }

    /// A GET with a bearer token.
    pub async fn api_get(&self, path: &str, token: &str) -> Reply {
        self.send(
            self.client
                .get(self.url(path))
                .insert_header(("Authorization", format!("Bearer {token}"))),
        )
        .await
    }

    pub async fn api_json(&self, path: &str, token: &str) -> serde_json::Value {
        let reply = self.api_get(path, token).await;
        assert_eq!(reply.status, 200, "GET {path}: {}", reply.body);
        reply.json()
    }

    /// Signs in through the login form, as a browser would.
    pub async fn login(&self, username: &str, password: &str) -> Session {
        self.try_login(username, password)
            .await
            .unwrap_or_else(|r| panic!("login of {username} failed: {} {}", r.status, r.body))
    }

    pub async fn try_login(&self, username: &str, password: &str) -> Result<Session, Reply> {
        let form = self.get("/login").await;
        assert_eq!(form.status, 200);
        let login_cookie = cookie_value(&form, "duban_login_csrf").expect("login csrf cookie");
        let csrf = csrf_in(&form.body).expect("csrf field on the login form");
        let reply = self
            .send_form(
                self.client
                    .post(self.url("/login"))
                    .insert_header(("Cookie", format!("duban_login_csrf={login_cookie}"))),
                &[
                    ("username", username),
                    ("password", password),
                    ("next", "/"),
                    ("csrf_token", &csrf),
                ],
            )
            .await;
        let Some(session) = cookie_value(&reply, "duban_session").filter(|v| !v.is_empty()) else {
            return Err(reply);
        };
        assert_eq!(reply.status, 303);
        let mut s = Session {
            cookie: session,
            csrf: String::new(),
        };
        let page = self.get_as(&s, "/account/password").await;
        s.csrf = csrf_in(&page.body).expect("csrf on a page");
        Ok(s)
    }

    pub async fn login_admin(&self) -> Session {
        self.login("admin", ADMIN_PASSWORD).await
    }

    pub async fn get_as(&self, session: &Session, path: &str) -> Reply {
        self.send(
            self.client
                .get(self.url(path))
                .insert_header(session.header()),
        )
        .await
    }

    /// Posts a form with the session's CSRF token.
    pub async fn post_as(&self, session: &Session, path: &str, fields: &[(&str, &str)]) -> Reply {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf_token", &session.csrf));
        self.send_form(
            self.client
                .post(self.url(path))
                .insert_header(session.header()),
            &all,
        )
        .await
    }

    /// Posts a form exactly as given (no CSRF token added).
    pub async fn post_raw(&self, session: &Session, path: &str, fields: &[(&str, &str)]) -> Reply {
        self.send_form(
            self.client
                .post(self.url(path))
                .insert_header(session.header()),
            fields,
        )
        .await
    }

    pub async fn send_form(&self, req: awc::ClientRequest, fields: &[(&str, &str)]) -> Reply {
        let mut res = req.send_form(&fields).await.expect("request");
        let body = res.body().limit(20 * 1024 * 1024).await.expect("body");
        Reply {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    /// A GET as a signed-in browser, with the body kept as bytes: (status, content type, body).
    pub async fn send_raw(&self, session: &Session, path: &str) -> (u16, String, Vec<u8>) {
        let mut res = self
            .client
            .get(self.url(path))
            .insert_header(session.header())
            .send()
            .await
            .expect("request");
        let body = res.body().limit(50 * 1024 * 1024).await.expect("body");
        let content_type = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        (res.status().as_u16(), content_type, body.to_vec())
    }

    /// Posts a multipart body with a bearer token.
    pub async fn api_multipart(
        &self,
        path: &str,
        token: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &[u8])],
    ) -> Reply {
        let (content_type, body) = multipart(fields, files);
        self.send_body(
            self.client
                .post(self.url(path))
                .insert_header(("Authorization", format!("Bearer {token}")))
                .insert_header(("Content-Type", content_type)),
            body,
        )
        .await
    }

    /// Posts a multipart form from a signed-in browser, with its CSRF token.
    pub async fn multipart_as(
        &self,
        session: &Session,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &[u8])],
    ) -> Reply {
        let named: Vec<(&str, &str, &[u8])> =
            files.iter().map(|(n, b)| ("evidence", *n, *b)).collect();
        self.multipart_named_as(session, path, fields, &named).await
    }

    /// A multipart form post with the session's CSRF token and files under given fields.
    pub async fn multipart_named_as(
        &self,
        session: &Session,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Reply {
        let mut all = vec![("csrf_token", session.csrf.as_str())];
        all.extend_from_slice(fields);
        let (content_type, body) = multipart_named(&all, files);
        self.send_body(
            self.client
                .post(self.url(path))
                .insert_header(session.header())
                .insert_header(("Content-Type", content_type)),
            body,
        )
        .await
    }

    pub async fn send_body(&self, req: awc::ClientRequest, body: Vec<u8>) -> Reply {
        let mut res = req.send_body(body).await.expect("request");
        let bytes = res.body().limit(20 * 1024 * 1024).await.expect("body");
        Reply {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// The id of the unit with this name.
    pub async fn department_id(&self, name: &str) -> i64 {
        let list = self.get_json("/api/v1/departments").await;
        list.as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == name)
            .unwrap_or_else(|| panic!("no department {name}"))["id"]
            .as_i64()
            .unwrap()
    }

    /// The id of the document with this number (文号).
    pub async fn document_id(&self, number: &str) -> i64 {
        let list = self.get_json("/api/v1/documents").await;
        list.as_array()
            .unwrap()
            .iter()
            .find(|d| d["number"] == number)
            .unwrap_or_else(|| panic!("no document {number}"))["id"]
            .as_i64()
            .unwrap()
    }

    /// A user's id, as they see it themselves (`/api/v1/me`).
    pub async fn user_id(&self, username: &str) -> i64 {
        let token = self.token_for(username);
        self.api_json("/api/v1/me", &token).await["id"]
            .as_i64()
            .unwrap()
    }

    /// The id of the bundled plan's measure with this number.
    pub async fn measure_id(&self, number: i64) -> i64 {
        let list = self.get_json("/api/v1/measures").await;
        list.as_array()
            .unwrap()
            .iter()
            .find(|m| m["number"] == number)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    }

    /// The lead unit's obligation on the bundled plan's measure `number` for `period`.
    pub async fn lead_obligation(&self, number: i64, period: &str) -> serde_json::Value {
        let m = self.measure_id(number).await;
        let detail = self.get_json(&format!("/api/v1/measures/{m}")).await;
        detail["obligations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["role"] == "lead" && o["period"] == period)
            .unwrap_or_else(|| panic!("measure {number} has no lead obligation for {period}"))
            .clone()
    }

    /// The id of the report waiting on an obligation, read off its page's review form.
    pub async fn waiting_report(&self, office: &Session, obligation_id: &str) -> String {
        let page = self
            .get_as(office, &format!("/obligations/{obligation_id}"))
            .await;
        let at = page.body.find("/reports/").expect("a review form");
        page.body[at + 9..]
            .chars()
            .take_while(|c| *c != '/')
            .collect()
    }

    /// Files in the evidence store, the staging folder included.
    pub fn stored_files(&self) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        let mut stack = vec![self.db.data_dir().join("evidence")];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries {
                let path = e.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    out.push(path);
                }
            }
        }
        out
    }

    /// Audit entries, oldest first.
    pub fn audit(&self) -> Vec<duban::db::audit::AuditEntry> {
        let mut conn = self.pool.get().unwrap();
        let mut entries = duban::db::audit::search(
            &mut conn,
            &duban::db::audit::AuditFilter {
                limit: 100_000,
                ..Default::default()
            },
        )
        .unwrap();
        entries.reverse();
        entries
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.client.get(format!("{}{path}", self.address)))
            .await
    }

    pub async fn send(&self, req: awc::ClientRequest) -> Reply {
        let mut res = req.send().await.expect("request");
        let body = res.body().limit(20 * 1024 * 1024).await.expect("body");
        Reply {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    /// A GET on the API as the office's administrator.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        self.api_json(path, &self.admin_token).await
    }
}

/// A signed-in browser: its session cookie and the CSRF token its pages carry.
#[derive(Debug, Clone)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

impl Session {
    pub fn header(&self) -> (&'static str, String) {
        ("Cookie", format!("duban_session={}", self.cookie))
    }
}

/// The value a response sets for a cookie.
pub fn cookie_value(reply: &Reply, name: &str) -> Option<String> {
    reply
        .headers
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.strip_prefix(&format!("{name}="))
                .map(|rest| rest.split(';').next().unwrap_or("").to_string())
        })
}

/// The CSRF token in a page's forms.
pub fn csrf_in(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    Some(html[start..].split('"').next()?.to_string())
}

/// The repository root, for fixtures.
pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A free TCP port on 127.0.0.1 (bound and released; good enough for a test server).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// The real `duban serve` in a process of its own, for tests that kill, restart or run
/// several instances. Its output goes to a log file in the data directory.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub port: u16,
    pub address: String,
    pub log: PathBuf,
}

impl TestDatabase {
    /// Starts `duban serve` on a free port and waits until `/healthz` answers.
    pub fn serve(&self, env: &[(&str, &str)]) -> ServerProcess {
        let server = self.start_server(free_port(), env);
        server.wait_healthy(std::time::Duration::from_secs(60));
        server
    }

    /// Starts `duban serve` on `port` without waiting for it.
    pub fn start_server(&self, port: u16, env: &[(&str, &str)]) -> ServerProcess {
        static N: AtomicUsize = AtomicUsize::new(0);
        let log = self.data_dir().join(format!(
            "server-{port}-{}.log",
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let file = std::fs::File::create(&log).expect("server log");
        let bind = format!("127.0.0.1:{port}");
        let mut vars: Vec<(&str, &str)> = vec![
            ("DUBAN_BIND", &bind),
            ("DUBAN_ADMIN_PASSWORD", ADMIN_PASSWORD),
            ("RUST_LOG", "info"),
        ];
        vars.extend_from_slice(env);
        let mut cmd = self.command(&["serve"], &vars);
        cmd.stdout(file.try_clone().unwrap()).stderr(file);
        // A process group of its own, so that a test's end takes everything with it.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let child = cmd.spawn().expect("start duban serve");
        ServerProcess {
            child,
            port,
            address: format!("http://127.0.0.1:{port}"),
            log,
        }
    }
}

impl ServerProcess {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Polls `/healthz` until it answers 200; panics with the server's log if it does not.
    pub fn wait_healthy(&self, limit: std::time::Duration) {
        let started = std::time::Instant::now();
        while started.elapsed() < limit {
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.port)) {
                use std::io::{Read, Write};
                let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(5)));
                let _ =
                    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
                let mut answer = String::new();
                let _ = s.read_to_string(&mut answer);
                if answer.starts_with("HTTP/1.1 200") {
                    return;
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("the server did not come up:\n{}", self.log_text());
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    fn signal(&self, signal: i32) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// SIGTERM, then waits for the process to end (at most `limit`).
    pub fn terminate(&mut self, limit: std::time::Duration) -> std::process::ExitStatus {
        self.signal(15);
        let started = std::time::Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                started.elapsed() < limit,
                "the server did not stop:\n{}",
                self.log_text()
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if self.alive() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// An HTTP client for a server process: no redirects followed, generous timeout.
pub fn http_client() -> awc::Client {
    awc::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .disable_redirects()
        .finish()
}

/// Sends a request and reads the whole reply; `None` when the connection failed (a server
/// that was killed).
pub async fn try_send(req: awc::ClientRequest, body: Option<(String, Vec<u8>)>) -> Option<Reply> {
    let sent = match body {
        Some((content_type, bytes)) => {
            req.insert_header(("Content-Type", content_type))
                .send_body(bytes)
                .await
        }
        None => req.send().await,
    };
    let mut res = match sent {
        Ok(res) => res,
        Err(e) => {
            eprintln!("request failed: {e}");
            return None;
        }
    };
    let bytes = match res.body().limit(64 * 1024 * 1024).await {
        Ok(b) => b,
        Err(e) => {
            eprintln!("reading the reply failed: {e}");
            return None;
        }
    };
    Some(Reply {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        body: String::from_utf8_lossy(&bytes).into_owned(),
    })
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
