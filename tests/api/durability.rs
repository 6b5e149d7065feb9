//! Faults and floods against the real binary in processes of its own: concurrent
//! submissions with evidence, `kill -9` mid-run and a restart, the duplicate-file race, two
//! servers sharing one database and data directory, backup and restore while writing.
//! Each runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::StreamExt;

use crate::helpers::*;

/// One obligation the office can report on through the API.
#[derive(Debug, Clone)]
struct Target {
    measure: i64,
    department: String,
    period: String,
}

async fn api_json(
    client: &awc::Client,
    server: &ServerProcess,
    token: &str,
    path: &str,
) -> serde_json::Value {
    let reply = try_send(
        client
            .get(server.url(path))
            .insert_header(("Authorization", format!("Bearer {token}"))),
        None,
    )
    .await
    .expect("the server answers");
    assert_eq!(reply.status, 200, "GET {path}: {}", reply.body);
    reply.json()
}

/// Every open obligation of the bundled plan, in a fixed order.
async fn open_obligations(
    client: &awc::Client,
    server: &ServerProcess,
    token: &str,
) -> Vec<Target> {
    let docs = api_json(client, server, token, "/api/v1/documents").await;
    let doc = docs[0]["id"].as_i64().unwrap();
    let measures = api_json(
        client,
        server,
        token,
        &format!("/api/v1/measures?document={doc}"),
    )
    .await;
    let mut out = Vec::new();
    for m in measures.as_array().unwrap() {
        let id = m["id"].as_i64().unwrap();
        let detail = api_json(client, server, token, &format!("/api/v1/measures/{id}")).await;
        for o in detail["obligations"].as_array().unwrap() {
            if o["state"] == "open" || o["state"] == "overdue" {
                out.push(Target {
                    measure: id,
                    department: o["department"].as_str().unwrap().to_string(),
                    period: o["period"].as_str().unwrap().to_string(),
                });
            }
        }
    }
    out
}

/// What a 201 acknowledged: the report and its files' digests by evidence url.
#[derive(Debug, Clone)]
struct Acknowledged {
    report: i64,
    files: Vec<(String, String)>,
}

async fn submit(
    client: &awc::Client,
    server: &ServerProcess,
    token: &str,
    target: &Target,
    files: &[(&str, Vec<u8>)],
) -> Option<Reply> {
    let named: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (*n, b.as_slice())).collect();
    let body = multipart(
        &[
            ("period", &target.period),
            ("department", &target.department),
            ("summary", "按计划推进，佐证材料见附件"),
            ("percent", "40"),
            ("status", "on_track"),
        ],
        &named,
    );
    try_send(
        client
            .post(server.url(&format!("/api/v1/measures/{}/reports", target.measure)))
            .insert_header(("Authorization", format!("Bearer {token}"))),
        Some(body),
    )
    .await
}

fn acknowledged(reply: &Reply) -> Acknowledged {
    let json = reply.json();
    Acknowledged {
        report: json["id"].as_i64().unwrap(),
        files: json["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["url"].as_str().unwrap().to_string(),
                    e["sha256"].as_str().unwrap().to_string(),
                )
            })
            .collect(),
    }
}

/// Every acknowledged report is there, and each of its files downloads with its digest.
async fn assert_all_present(
    client: &awc::Client,
    server: &ServerProcess,
    token: &str,
    acks: &[Acknowledged],
) {
    for ack in acks {
        let report = api_json(
            client,
            server,
            token,
            &format!("/api/v1/reports/{}", ack.report),
        )
        .await;
        assert_eq!(report["id"].as_i64(), Some(ack.report));
        for (url, sha) in &ack.files {
            let path = url.split_once("://").map_or(url.as_str(), |(_, rest)| {
                rest.find('/').map_or(rest, |i| &rest[i..])
            });
            let reply = client
                .get(server.url(path))
                .insert_header(("Authorization", format!("Bearer {token}")))
                .send()
                .await;
            let mut reply = reply.expect("the download answers");
            assert_eq!(
                reply.status().as_u16(),
                200,
                "{path} of report {}",
                ack.report
            );
            let bytes = reply.body().limit(64 * 1024 * 1024).await.unwrap();
            assert_eq!(
                &sha256_hex(&bytes),
                sha,
                "{path} has the content acknowledged"
            );
        }
    }
}

fn kill9(pid: u32) {
    let status = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn staged_uploads(db: &TestDatabase) -> Vec<String> {
    std::fs::read_dir(db.data_dir().join("evidence/tmp"))
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn admin_token(db: &TestDatabase) -> String {
    let out = db.cli(&["token", "create", "admin", "--name", "test"]);
    assert!(out.success(), "{}", out.stderr());
    out.stdout().trim().to_string()
}

/// Submits `targets` 40 at a time, each with one file of its own and one shared by all;
/// returns the replies (None: the connection failed). `done` counts the replies so far.
async fn flood(
    client: &awc::Client,
    server: &ServerProcess,
    token: &str,
    targets: &[Target],
    tag: &str,
) -> Vec<Option<Reply>> {
    flood_counted(client, server, token, targets, tag, &AtomicUsize::new(0)).await
}

async fn flood_counted(
    client: &awc::Client,
    server: &ServerProcess,
    token: &str,
    targets: &[Target],
    tag: &str,
    done: &AtomicUsize,
) -> Vec<Option<Reply>> {
    let shared = pdf("the same attachment for everyone");
    futures_util::stream::iter(targets.iter().enumerate())
        .map(|(i, t)| {
            let own = pdf(&format!("{tag} {i} {}", t.department));
            let shared = shared.clone();
            async move {
                let reply = submit(
                    client,
                    server,
                    token,
                    t,
                    &[("附件.pdf", own), ("共用.pdf", shared)],
                )
                .await;
                done.fetch_add(1, Ordering::SeqCst);
                reply
            }
        })
        .buffer_unordered(40)
        .collect()
        .await
}

#[actix_web::test]
async fn two_hundred_concurrent_submissions_never_answer_500_and_survive_kill_9() {
    let db = TestDatabase::new();
    let mut server = db.serve(&[]);
    let token = admin_token(&db);
    let client = http_client();
    let targets = open_obligations(&client, &server, &token).await;
    assert!(targets.len() >= 400, "{} open obligations", targets.len());

    // 200 at once, 40 at a time: every one is acknowledged, none is a 500.
    let replies = flood(&client, &server, &token, &targets[..200], "first").await;
    let mut statuses: HashMap<u16, usize> = HashMap::new();
    for r in &replies {
        *statuses
            .entry(r.as_ref().expect("no connection fails").status)
            .or_default() += 1;
    }
    assert_eq!(statuses, HashMap::from([(201, 200)]), "{statuses:?}");
    let mut acks: Vec<Acknowledged> = replies.iter().flatten().map(acknowledged).collect();

    // Again, with the server killed mid-run.
    let second = targets[200..400].to_vec();
    let port = server.port;
    let pid = server.child.id();
    // Killed once the first answers are back, so most of the run is still in flight
    // whatever the machine's speed.
    let done = AtomicUsize::new(0);
    let (replies, ()) = futures_util::future::join(
        flood_counted(&client, &server, &token, &second, "second", &done),
        async {
            while done.load(Ordering::SeqCst) < 10 {
                actix_web::rt::time::sleep(std::time::Duration::from_millis(2)).await;
            }
            kill9(pid);
        },
    )
    .await;
    let _ = server.child.wait();
    let mut cut = 0;
    for r in &replies {
        match r {
            Some(r) if r.status == 201 => acks.push(acknowledged(r)),
            Some(r) => assert!(r.status < 500, "{} {}", r.status, r.body),
            None => cut += 1,
        }
    }
    assert!(cut > 0, "the kill came too late to cut anything off");

    let server = db.start_server(port, &[]);
    server.wait_healthy(std::time::Duration::from_secs(60));
    assert!(
        !staged_uploads(&db).iter().any(|n| n.starts_with("upload-")),
        "uploads cut off by the kill are swept at start-up: {:?}",
        staged_uploads(&db)
    );
    assert_all_present(&client, &server, &token, &acks).await;
    let check = db.cli(&["check"]);
    assert!(check.success(), "{}{}", check.stdout(), check.stderr());
    assert!(check.stdout().contains("database ok"), "{}", check.stdout());
}

#[actix_web::test]
async fn racing_submissions_of_one_file_never_lose_it() {
    let db = TestDatabase::new();
    let server = db.serve(&[]);
    let token = admin_token(&db);
    let client = http_client();
    let targets = open_obligations(&client, &server, &token).await;
    // Two submissions for each obligation at the same moment, carrying the same new file:
    // one is acknowledged, the other refused; the file stays for the one acknowledged.
    let pairs: Vec<(usize, Target)> = targets[..60]
        .iter()
        .cloned()
        .enumerate()
        .flat_map(|(i, t)| [(i, t.clone()), (i, t)])
        .collect();
    let replies: Vec<Option<Reply>> = futures_util::stream::iter(pairs.iter())
        .map(|(i, t)| {
            let file = pdf(&format!("race {i}"));
            let (client, server, token) = (&client, &server, &token);
            async move { submit(client, server, token, t, &[("同一文件.pdf", file)]).await }
        })
        .buffer_unordered(40)
        .collect()
        .await;
    let mut acks = Vec::new();
    let mut refused = 0;
    for r in replies.iter().map(|r| r.as_ref().expect("answered")) {
        match r.status {
            201 => acks.push(acknowledged(r)),
            409 => refused += 1,
            other => panic!("{other}: {}", r.body),
        }
    }
    assert_eq!((acks.len(), refused), (60, 60));
    assert_all_present(&client, &server, &token, &acks).await;
}

#[actix_web::test]
async fn two_servers_started_together_share_the_database_files_and_sessions_and_chase_once() {
    for round in 0..5 {
        let db = TestDatabase::new();
        // A plan whose reporting began months ago, so that work is overdue today; every
        // department has an address.
        let plan = repo_path("config/documents/tacheng-2018-10-employment.txt");
        let start = (chrono::Utc::now().date_naive() - chrono::Duration::days(150)).to_string();
        let import = db.cli(&["import", plan.to_str().unwrap(), "--schedule-from", &start]);
        assert!(import.success(), "{}", import.stderr());
        {
            use diesel::prelude::*;
            use duban::db::schema::departments;
            let pool = db.pool();
            let mut conn = pool.get().unwrap();
            let ids: Vec<i32> = departments::table
                .select(departments::id)
                .load(&mut *conn)
                .unwrap();
            for id in ids {
                diesel::update(departments::table.find(id))
                    .set(departments::email.eq(format!("unit{id}@example.gov.cn")))
                    .execute(&mut *conn)
                    .unwrap();
            }
        }
        let smtp = crate::smtp::SmtpReceiver::start();
        let config = db.data_dir().join("scheduler.toml");
        std::fs::write(&config, "[reminders]\ninterval_minutes = 1\n").unwrap();
        let env = [
            ("DUBAN_SMTP_URL", smtp.url()),
            ("DUBAN_CONFIG", config.display().to_string()),
        ];
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (pa, pb) = (free_port(), free_port());
        let mut a = db.start_server(pa, &env);
        let mut b = db.start_server(pb, &env);
        a.wait_healthy(std::time::Duration::from_secs(60));
        b.wait_healthy(std::time::Duration::from_secs(60));
        assert!(
            a.alive() && b.alive(),
            "round {round}: both instances stay up"
        );

        // Both schedulers ran at start: every queued email went out once.
        let token = admin_token(&db);
        let client = http_client();
        let mut outbox = serde_json::Value::Null;
        for _ in 0..200 {
            outbox = api_json(&client, &a, &token, "/api/v1/outbox").await;
            let rows = outbox.as_array().unwrap();
            if !rows.is_empty() && rows.iter().all(|r| r["state"] == "sent") {
                break;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let rows = outbox.as_array().unwrap();
        assert!(!rows.is_empty(), "round {round}: overdue work is chased");
        assert!(
            rows.iter().all(|r| r["state"] == "sent"),
            "round {round}: {outbox}"
        );
        let messages = smtp.wait_for(rows.len());
        assert_eq!(
            messages.len(),
            rows.len(),
            "round {round}: each email sent once"
        );
        let mut ids: Vec<String> = messages
            .iter()
            .map(|m| m.header("Message-ID").unwrap_or_default())
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), rows.len(), "round {round}: no message twice");

        if round == 0 {
            // An upload through one instance downloads through the other.
            let target = open_obligations(&client, &a, &token).await.remove(0);
            let file = pdf("shared directory");
            let reply = submit(&client, &a, &token, &target, &[("共享.pdf", file)])
                .await
                .unwrap();
            assert_eq!(reply.status, 201, "{}", reply.body);
            assert_all_present(&client, &b, &token, &[acknowledged(&reply)]).await;
            // A session started on one instance works on the other.
            let login = try_send(client.get(a.url("/login")), None).await.unwrap();
            let csrf_cookie = cookie_value(&login, "duban_login_csrf").unwrap();
            let csrf = csrf_in(&login.body).unwrap();
            let form = serde_urlencoded::to_string([
                ("username", "admin"),
                ("password", ADMIN_PASSWORD),
                ("next", "/"),
                ("csrf_token", &csrf),
            ])
            .unwrap();
            let signed = try_send(
                client
                    .post(a.url("/login"))
                    .insert_header(("Cookie", format!("duban_login_csrf={csrf_cookie}"))),
                Some((
                    "application/x-www-form-urlencoded".into(),
                    form.into_bytes(),
                )),
            )
            .await
            .unwrap();
            let session = cookie_value(&signed, "duban_session").expect("signed in on A");
            let page = try_send(
                client
                    .get(b.url("/"))
                    .insert_header(("Cookie", format!("duban_session={session}"))),
                None,
            )
            .await
            .unwrap();
            assert_eq!(page.status, 200, "the session of A is valid on B");
        }
        a.terminate(std::time::Duration::from_secs(40));
        b.terminate(std::time::Duration::from_secs(40));
    }
}

#[actix_web::test]
async fn a_backup_taken_while_reports_arrive_restores_with_every_file() {
    let db = TestDatabase::new();
    let mut server = db.serve(&[]);
    let token = admin_token(&db);
    let client = http_client();
    let targets = open_obligations(&client, &server, &token).await;
    let first = flood(&client, &server, &token, &targets[..40], "before").await;
    let backup_dir = db.data_dir().join("backup-1");
    let (_during, out) = futures_util::future::join(
        flood(&client, &server, &token, &targets[40..120], "during"),
        async {
            actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
            let child = db.spawn_cli(&["backup", backup_dir.to_str().unwrap()], &[]);
            actix_web::web::block(move || CliOutput(child.wait_with_output().unwrap()))
                .await
                .unwrap()
        },
    )
    .await;
    assert!(out.success(), "{}", out.stderr());
    let acks: Vec<Acknowledged> = first.iter().flatten().map(acknowledged).collect();
    assert_eq!(acks.len(), 40);
    server.terminate(std::time::Duration::from_secs(40));

    // A new place: an empty data directory (and, on SQLite, the database in the backup).
    let target = TestDatabase::new();
    let url = if db.url.starts_with("sqlite://") {
        target.url.clone()
    } else {
        db.url.clone()
    };
    let restore = |force: bool| {
        let mut args = vec!["restore", backup_dir.to_str().unwrap()];
        if force {
            args.push("--force");
        }
        target.cli_with(&args, &[("DATABASE_URL", &url)])
    };
    let restored = restore(false);
    assert!(restored.success(), "{}", restored.stderr());
    assert!(
        !restore(false).success(),
        "a target with data is refused without --force"
    );
    if db.url.starts_with("sqlite://") {
        // Every report the backup's database holds has its files. (On PostgreSQL the
        // database is the live one, with reports newer than this backup; its own dump
        // would be restored beside it.)
        let check = target.cli_with(&["check"], &[("DATABASE_URL", &url)]);
        assert!(check.success(), "{}{}", check.stdout(), check.stderr());
    }
    let server = target.serve(&[("DATABASE_URL", &url)]);
    assert_all_present(&client, &server, &token, &acks).await;
    // A damaged backup is refused before anything is written.
    let manifest = std::fs::read_to_string(backup_dir.join("manifest.json")).unwrap();
    let evidence = manifest
        .lines()
        .find_map(|l| l.trim().strip_prefix("\"evidence/"))
        .map(|rest| format!("evidence/{}", rest.split('"').next().unwrap()))
        .expect("the backup lists evidence files");
    std::fs::write(backup_dir.join(&evidence), b"tampered").unwrap();
    let damaged = TestDatabase::new();
    let refused = damaged.cli(&["restore", backup_dir.to_str().unwrap()]);
    assert!(!refused.success());
    assert!(
        refused.stderr().contains("does not match its checksum"),
        "{}",
        refused.stderr()
    );
}

/// A small file system of its own (tmpfs), unmounted when dropped. `None` where this
/// process may not mount (not root).
struct SmallDisk {
    path: std::path::PathBuf,
}

impl SmallDisk {
    fn mount(path: std::path::PathBuf, size: &str) -> Option<SmallDisk> {
        std::fs::create_dir_all(&path).unwrap();
        let ok = std::process::Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(&path)
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallDisk { path })
    }

    fn read_only(&self) {
        let status = std::process::Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.path)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.path)
            .status();
    }
}

#[actix_web::test]
async fn a_full_or_read_only_disk_is_said_plainly_and_nothing_is_half_written() {
    let db = TestDatabase::new();
    let Some(disk) = SmallDisk::mount(db.data_dir().join("small"), "1m") else {
        // Mounting needs root, which CI has (scripts/test runs as root there).
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI must be able to mount"
        );
        eprintln!("skipped: this process cannot mount a small file system");
        return;
    };
    let data = disk.path.display().to_string();
    let mut server = db.serve(&[("DUBAN_DATA_DIR", &data), ("DATABASE_URL", &db.url)]);
    let token = admin_token(&db);
    let client = http_client();
    let targets = open_obligations(&client, &server, &token).await;
    let count_reports = || {
        use diesel::prelude::*;
        let pool = db.pool();
        let mut conn = pool.get().unwrap();
        duban::db::schema::reports::table
            .count()
            .get_result::<i64>(&mut *conn)
            .unwrap()
    };

    // A file larger than the disk: the disk fills while it is staged.
    let mut big = pdf("big");
    big.resize(2 * 1024 * 1024, b'x');
    let full = submit(
        &client,
        &server,
        &token,
        &targets[0],
        &[("大文件.pdf", big)],
    )
    .await
    .unwrap();
    assert_eq!(full.status, 507, "{}", full.body);
    assert!(full.body.contains("存储空间不足"), "{}", full.body);
    assert_eq!(count_reports(), 0, "no report without its file");
    let staged: Vec<_> = std::fs::read_dir(disk.path.join("evidence/tmp"))
        .map(|d| d.filter_map(Result::ok).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(staged.is_empty(), "the cut-off upload is gone: {staged:?}");

    // Read-only storage.
    disk.read_only();
    let ro = submit(
        &client,
        &server,
        &token,
        &targets[1],
        &[("小文件.pdf", pdf("small"))],
    )
    .await
    .unwrap();
    assert_eq!(ro.status, 507, "{}", ro.body);
    assert!(ro.body.contains("存储不可写"), "{}", ro.body);
    assert_eq!(count_reports(), 0);
    assert!(
        server.log_text().contains("storage fault"),
        "the cause is logged:\n{}",
        server.log_text()
    );
    server.terminate(std::time::Duration::from_secs(30));
}
