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
use duban::clock::FixedClock;
use duban::config::Settings;
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

    /// A pool on this database, migrated.
    pub fn pool(&self) -> Pool {
        duban::startup::open_database(&self.settings(&[])).expect("open test database")
    }

    /// Runs the real `duban` binary against this database.
    pub fn cli(&self, args: &[&str]) -> CliOutput {
        self.cli_with(args, &[])
    }

    pub fn cli_with(&self, args: &[&str], env: &[(&str, &str)]) -> CliOutput {
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
        CliOutput(cmd.output().expect("run duban"))
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
}

pub fn fixed_now() -> chrono::NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 3, 2)
        .unwrap()
        .and_hms_opt(1, 0, 0)
        .unwrap()
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(TestDatabase::new()).await
}

pub async fn spawn_app_with(db: TestDatabase) -> TestApp {
    let settings = db.settings(&[("DUBAN_TIMEZONE", "Asia/Shanghai")]);
    let mut settings = settings;
    settings.workers = 1;
    let app = Application::build(settings, Arc::new(FixedClock(fixed_now()))).expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        address,
        db,
        client: awc::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .finish(),
    }
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
            body: String::from_utf8(body.to_vec()).expect("UTF-8 body"),
        }
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let reply = self.get(path).await;
        assert_eq!(reply.status, 200, "GET {path}: {}", reply.body);
        reply.json()
    }
}

/// The repository root, for fixtures.
pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}
