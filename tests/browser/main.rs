//! Journeys in a real browser: headless Chromium driven through chromedriver (WebDriver)
//! against the real server on 127.0.0.1. Every step saves a screenshot into the folder named
//! by `DUBAN_SCREENSHOTS` (default `target/screenshots`), and any console error or failed
//! request in the browser fails the test. Needs Debian's `chromium` and `chromium-driver`
//! (`scripts/test` installs them).

#[path = "../api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use helpers::*;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// One browser session with its own chromedriver and profile.
struct Browser {
    client: Client,
    driver: Child,
    driver_url: String,
    base: String,
    journey: &'static str,
    step: std::cell::Cell<u32>,
    shots: PathBuf,
    profile: tempfile::TempDir,
    http: awc::Client,
    /// A console error the next check expects (a page the server refused on purpose).
    expected_error: std::cell::Cell<Option<&'static str>>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts chromedriver on a free port and waits (up to 30 s) until it answers. A driver that
/// exits at once (its port taken meanwhile) is started again on another port.
fn start_driver() -> (Child, String) {
    for _ in 0..5 {
        let port = free_port();
        let mut driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = driver.try_wait() {
                break;
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return (driver, format!("http://127.0.0.1:{port}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = driver.kill();
        let _ = driver.wait();
    }
    panic!("chromedriver did not start: tried five ports for 30 s each");
}

impl Browser {
    async fn start(app: &TestApp, journey: &'static str, width: u32) -> Browser {
        for tool in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(tool).exists(),
                "{tool} is missing: install Debian's chromium and chromium-driver (scripts/test does)"
            );
        }
        let (mut driver, mut driver_url) = start_driver();
        let profile = tempfile::tempdir().unwrap();
        let downloads = profile.path().join("downloads");
        std::fs::create_dir_all(&downloads).unwrap();
        let caps = json!({
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--lang=zh-CN",
                    format!("--user-data-dir={}", profile.path().join("chrome").display()),
                    format!("--window-size={width},900"),
                ],
                "prefs": {
                    "download.default_directory": downloads.display().to_string(),
                    "download.prompt_for_download": false,
                    "intl.accept_languages": "zh-CN,zh",
                }
            }
        });
        let caps = match caps {
            serde_json::Value::Object(map) => map,
            _ => unreachable!(),
        };
        // Chromium's first start on a loaded machine can be slow: a session that cannot be
        // created is tried again (a fresh driver, a fresh port) before the test gives up.
        let mut attempt = 0;
        let (client, driver_url) = loop {
            attempt += 1;
            let session =
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                    .capabilities(caps.clone())
                    .connect(&driver_url)
                    .await;
            match session {
                Ok(client) => break (client, driver_url),
                Err(e) if attempt < 3 => {
                    eprintln!("WebDriver session not created ({e:?}); starting chromedriver again");
                    let _ = driver.kill();
                    let _ = driver.wait();
                    (driver, driver_url) = start_driver();
                }
                Err(e) => panic!("a WebDriver session: {e:?}"),
            }
        };
        let shots = std::env::var("DUBAN_SCREENSHOTS")
            .map(PathBuf::from)
            .unwrap_or_else(|_| repo_path("target/screenshots"));
        std::fs::create_dir_all(&shots).unwrap();
        Browser {
            client,
            driver,
            driver_url,
            base: app.address.clone(),
            journey,
            step: std::cell::Cell::new(0),
            shots,
            profile,
            http: awc::Client::default(),
            expected_error: std::cell::Cell::new(None),
        }
    }

    fn downloads(&self) -> PathBuf {
        self.profile.path().join("downloads")
    }

    async fn go(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
        self.check_console().await;
    }

    /// Saves a screenshot of the page as it is, named by the journey and step.
    async fn shot(&self, name: &str) {
        self.step.set(self.step.get() + 1);
        let png = self.client.screenshot().await.unwrap();
        let file = self.shots.join(format!(
            "{}-{:02}-{name}.png",
            self.journey,
            self.step.get()
        ));
        std::fs::write(&file, png).unwrap();
    }

    /// Lets the next console check pass one error holding `fragment` (and requires it): a
    /// form the server answers with a 4xx page on purpose.
    fn expect_console_error(&self, fragment: &'static str) {
        self.expected_error.set(Some(fragment));
    }

    /// Fails on any console error or failed request the browser logged since the last call.
    async fn check_console(&self) {
        let id = self.client.session_id().await.unwrap().unwrap();
        let mut res = self
            .http
            .post(format!("{}/session/{id}/se/log", self.driver_url))
            .send_json(&json!({"type": "browser"}))
            .await
            .expect("the browser log");
        let body: serde_json::Value = res.json().limit(10 << 20).await.unwrap();
        let errors: Vec<String> = body["value"]
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .filter(|e| e["level"] == "SEVERE")
                    .map(|e| e["message"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default();
        let mut errors = errors;
        if let Some(fragment) = self.expected_error.take() {
            let before = errors.len();
            errors.retain(|e| !e.contains(fragment));
            assert!(
                errors.len() < before,
                "{}: the expected console error “{fragment}” was not logged",
                self.journey
            );
        }
        assert!(
            errors.is_empty(),
            "{}: browser errors on {}: {errors:#?}",
            self.journey,
            self.client.current_url().await.unwrap()
        );
        // Nothing is fetched from anywhere but the server itself: no CDN, no outside asset.
        let outside = self
            .client
            .execute(
                "return performance.getEntriesByType('resource').map(e => e.name)\
                 .filter(n => !n.startsWith(location.origin))",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(outside, json!([]), "{}: outside requests", self.journey);
        // Every field a person can fill has a label (or an accessible name).
        let unlabelled = self
            .client
            .execute(
                "return Array.from(document.querySelectorAll(\
                 'input:not([type=hidden]), select, textarea'))\
                 .filter(e => !e.hidden && !(e.labels && e.labels.length)\
                   && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))\
                 .map(e => e.outerHTML.slice(0, 120))",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            unlabelled,
            json!([]),
            "{}: fields without a label on {}",
            self.journey,
            self.client.current_url().await.unwrap()
        );
    }

    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{}: no {css}: {e}", self.journey))
    }

    async fn body_text(&self) -> String {
        self.find("body").await.text().await.unwrap()
    }

    async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Clicks and waits until the next page has loaded.
    async fn click_through(&self, css: &str) {
        let element = self.find(css).await;
        self.mark_page().await;
        element.click().await.unwrap();
        self.wait_for_next_page(css).await;
    }

    /// Marks the current document, so that its successor can be told from it.
    async fn mark_page(&self) {
        self.client
            .execute("window.__dubanOld = true", vec![])
            .await
            .unwrap();
    }

    /// Waits until a new document (not the marked one) has loaded, then checks it.
    async fn wait_for_next_page(&self, after: &str) {
        for _ in 0..200 {
            let loaded = self
                .client
                .execute(
                    "return window.__dubanOld === undefined && document.readyState === 'complete'",
                    vec![],
                )
                .await
                .unwrap_or(json!(false));
            if loaded == json!(true) {
                self.check_console().await;
                return;
            }
            tokio_sleep(50).await;
        }
        panic!("{}: {after} led nowhere", self.journey);
    }

    /// Clicks the link to an XLSX download and reads the file back.
    async fn download_xlsx(&self, link: &str) -> calamine::Range<calamine::Data> {
        use calamine::Reader;
        self.find(link).await.click().await.unwrap();
        // The browser may show the file under its name before it has written all of it:
        // wait until it opens as a workbook.
        let mut last = None;
        for _ in 0..100 {
            let file = std::fs::read_dir(self.downloads())
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.extension().is_some_and(|e| e == "xlsx"));
            if let Some(file) = file {
                match calamine::open_workbook::<calamine::Xlsx<_>, _>(&file) {
                    Ok(mut book) => return book.worksheet_range_at(0).unwrap().unwrap(),
                    Err(e) => last = Some(e.to_string()),
                }
            }
            tokio_sleep(100).await;
        }
        panic!("no complete XLSX downloaded: {last:?}")
    }

    /// Whether the page is wider than the window (it then scrolls sideways).
    async fn scrolls_sideways(&self) -> bool {
        self.client
            .execute(
                "return document.documentElement.scrollWidth > document.documentElement.clientWidth",
                vec![],
            )
            .await
            .unwrap()
            == json!(true)
    }

    async fn login(&self, username: &str, password: &str) {
        self.go("/login").await;
        self.shot("login").await;
        self.fill("#username", username).await;
        self.fill("#password", password).await;
        self.click_through("form[action='/login'] button[type=submit]")
            .await;
        let url = self.client.current_url().await.unwrap();
        assert!(!url.path().starts_with("/login"), "{username} signed in");
    }

    async fn finish(mut self) {
        self.check_console().await;
        self.client.clone().close().await.ok();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// A whole one-page PDF a viewer opens, its text `line` (ASCII), with a correct xref table.
fn viewable_pdf(line: &str) -> Vec<u8> {
    let stream = format!("BT /F1 24 Tf 72 720 Td ({line}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_string(),
        format!(
            "<< /Length {} >>\nstream\n{stream}\nendstream",
            stream.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.push_str(&format!("{} 0 obj\n{body}\nendobj\n", i + 1));
    }
    let xref = out.len();
    out.push_str(&format!(
        "xref\n0 {}\n0000000000 65535 f \n",
        objects.len() + 1
    ));
    for o in offsets {
        out.push_str(&format!("{o:010} 00000 n \n"));
    }
    out.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    out.into_bytes()
}

async fn tokio_sleep(ms: u64) {
    actix_web::rt::time::sleep(Duration::from_millis(ms)).await;
}

/// The seed plan on 2026-04-09: co units' first-quarter reports were due 04-07.
async fn office_after_the_first_deadline() -> TestApp {
    let app = spawn_app().await;
    app.clock.advance(chrono::Duration::days(38));
    app.add_user("renshe", "liaison", Some("地区人社局"));
    app.add_user("lingdao", "leader", None);
    app
}

#[actix_web::test]
async fn a_liaison_reports_the_office_returns_and_accepts_and_the_light_turns_done() {
    let app = office_after_the_first_deadline().await;
    let liaison = Browser::start(&app, "report", 1280).await;
    liaison.login("renshe", "pw-renshe-Tarim7q").await;
    let home = liaison.body_text().await;
    assert!(
        home.contains("逾期"),
        "the home page leads with what is overdue"
    );
    liaison.shot("home-overdue").await;

    // The first overdue item: its report form.
    liaison
        .click_through(".desk.urgent .desk-list li:first-child a[href^='/obligations/']")
        .await;
    let obligation_url = liaison.client.current_url().await.unwrap();
    liaison.shot("obligation").await;
    liaison
        .fill("#summary", "已完成第一季度培训 3 场，覆盖 420 人。")
        .await;
    liaison.fill("#percent", "40").await;
    let evidence = liaison.profile.path().join("培训签到表.pdf");
    std::fs::write(&evidence, viewable_pdf("Sign-in sheet, 3 sessions")).unwrap();
    liaison
        .find("#evidence")
        .await
        .send_keys(evidence.to_str().unwrap())
        .await
        .unwrap();
    liaison.shot("report-filled").await;
    liaison
        .click_through("button[name=action][value=submit]")
        .await;
    let after = liaison.body_text().await;
    assert!(after.contains("待审核"), "the report is pending review");
    assert!(after.contains("培训签到表.pdf"));
    liaison.shot("report-pending").await;

    // Another report of the unit waits too (sent through the API).
    let other = app.lead_obligation(5, "2026-Q1").await["id"].clone();
    let sent = app
        .api_multipart(
            &format!("/api/v1/measures/{}/reports", app.measure_id(5).await),
            &app.token_for("renshe"),
            &[
                ("period", "2026-Q1"),
                ("summary", "完成摸底"),
                ("percent", "30"),
                ("status", "on_track"),
            ],
            &[],
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.body);

    // The office returns it with a comment, the PDF read in the page, and goes on to the next.
    let office = Browser::start(&app, "review", 1280).await;
    office.login("admin", ADMIN_PASSWORD).await;
    office.go("/admin/reviews").await;
    office.shot("review-queue").await;
    office
        .click_through(&format!("a[href^='{}?queue']", obligation_url.path()))
        .await;
    let frame = office.find(".preview iframe").await;
    assert!(frame
        .attr("src")
        .await
        .unwrap()
        .is_some_and(|src| src.ends_with("?inline=1")));
    let next = format!("a.button[href^='/obligations/{other}?queue']");
    office.find(&next).await;
    office.fill("#comment", "请补充培训照片。").await;
    office.find("input[name=keep]").await.click().await.unwrap();
    office.shot("return-with-comment").await;
    office
        .click_through("button[name=decision][value=return]")
        .await;
    // 下一条: the decision leads straight to the other waiting report.
    let url = office.client.current_url().await.unwrap();
    assert_eq!(url.path(), format!("/obligations/{other}"));
    assert!(office.body_text().await.contains("完成摸底"));

    // The return is first on the liaison's desk, with the office's words.
    liaison.go("/").await;
    let first = liaison.find(".desk.urgent").await.text().await.unwrap();
    assert!(
        first.contains("已退回待修改") && first.contains("请补充培训照片。"),
        "{first}"
    );
    liaison.shot("desk-returned-first").await;

    // The liaison sees why, revises and submits again.
    liaison.go(obligation_url.path()).await;
    let returned = liaison.body_text().await;
    assert!(
        returned.contains("请补充培训照片。"),
        "the office's comment shows"
    );
    liaison.shot("returned").await;
    liaison
        .fill(
            "#summary",
            "已完成第一季度培训 3 场，覆盖 420 人，补充现场照片。",
        )
        .await;
    let photo = liaison.profile.path().join("现场照片.png");
    std::fs::write(&photo, png("photo")).unwrap();
    liaison
        .find("#evidence")
        .await
        .send_keys(photo.to_str().unwrap())
        .await
        .unwrap();
    liaison
        .click_through("button[name=action][value=submit]")
        .await;
    assert!(liaison.body_text().await.contains("待审核"));
    liaison.shot("resubmitted").await;

    // The office accepts; the obligation's light is done.
    office.go(obligation_url.path()).await;
    // The photo is shown in the page; the kept comment goes in with one click.
    office.find(".preview img").await;
    office
        .find("button[data-comment]")
        .await
        .click()
        .await
        .unwrap();
    let comment = office.find("#comment").await.prop("value").await.unwrap();
    assert_eq!(comment.as_deref(), Some("请补充培训照片。"));
    office.fill("#comment", "").await;
    office.shot("review-with-preview").await;
    office
        .click_through("button[name=decision][value=accept]")
        .await;
    liaison.go(obligation_url.path()).await;
    let light = liaison.find(".light").await;
    assert_eq!(
        light.attr("class").await.unwrap().as_deref(),
        Some("light light-done")
    );
    assert!(liaison.body_text().await.contains("本期已通过"));
    liaison.shot("accepted-done").await;
    office.finish().await;
    liaison.finish().await;
}

/// A wrong file never costs what was typed: a file of a refused type is named in the browser
/// before anything is sent; a file whose content is not what its name says comes back from
/// the server with the text and the file that passed kept; the right file then goes with them.
#[actix_web::test]
async fn a_wrong_file_then_the_right_one_without_typing_again() {
    let app = office_after_the_first_deadline().await;
    let b = Browser::start(&app, "wrong-file", 1280).await;
    b.login("renshe", "pw-renshe-Tarim7q").await;
    b.click_through(".desk.urgent .desk-list li:first-child a[href^='/obligations/']")
        .await;
    let summary = "已完成第一季度培训 3 场，覆盖 420 人。";
    b.fill("#summary", summary).await;
    b.fill("#next_steps", "二季度扩大到全部乡镇。").await;
    b.fill("#percent", "40").await;
    let dir = b.profile.path();
    let exe = dir.join("setup.exe");
    std::fs::write(&exe, b"MZ\x90\x00 not evidence").unwrap();
    b.find("#evidence")
        .await
        .send_keys(exe.to_str().unwrap())
        .await
        .unwrap();
    // Refused in the browser: named at once, nothing sent.
    b.mark_page().await;
    b.find("button[name=action][value=submit]")
        .await
        .click()
        .await
        .unwrap();
    let error = b.find("#evidence-error").await.text().await.unwrap();
    assert!(
        error.contains("setup.exe"),
        "the browser names the file: {error}"
    );
    let still = b
        .client
        .execute("return window.__dubanOld === true", vec![])
        .await
        .unwrap();
    assert_eq!(still, json!(true), "the form was not sent");
    b.shot("type-refused-in-browser").await;
    // A "PDF" that is not one, beside a real one: the server refuses the first and keeps the
    // second, and every word typed is still there.
    let sheet = dir.join("培训签到表.pdf");
    std::fs::write(&sheet, pdf("sign-in sheet")).unwrap();
    let fake = dir.join("花名册.pdf");
    std::fs::write(&fake, b"just some text, not a PDF").unwrap();
    let input = b.find("#evidence").await;
    input.clear().await.unwrap();
    input
        .send_keys(&format!("{}\n{}", sheet.display(), fake.display()))
        .await
        .unwrap();
    b.expect_console_error("415");
    b.click_through("button[name=action][value=submit]").await;
    let back = b.body_text().await;
    assert!(back.contains("花名册.pdf"), "the refused file is named");
    assert_eq!(
        b.find("#summary")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some(summary)
    );
    assert_eq!(
        b.find("#next_steps")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("二季度扩大到全部乡镇。")
    );
    assert_eq!(
        b.find("#percent")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("40")
    );
    assert!(
        back.contains("培训签到表.pdf"),
        "the file that passed is kept"
    );
    b.shot("content-refused-text-kept").await;
    // The right file, and nothing typed again.
    let roster = dir.join("花名册-正本.pdf");
    std::fs::write(&roster, pdf("roster")).unwrap();
    b.find("#evidence")
        .await
        .send_keys(roster.to_str().unwrap())
        .await
        .unwrap();
    b.click_through("button[name=action][value=submit]").await;
    let sent = b.body_text().await;
    assert!(sent.contains("待审核"), "the report is pending review");
    assert!(sent.contains(summary) && sent.contains("二季度扩大到全部乡镇。"));
    assert!(sent.contains("培训签到表.pdf") && sent.contains("花名册-正本.pdf"));
    b.shot("sent-with-both-files").await;
    b.finish().await;
}

/// A session that ends while the report is being written: pressing 提交 keeps it as a draft,
/// the person signs in again and comes back to the same form with every word and the file.
#[actix_web::test]
async fn an_expired_session_while_writing_ends_in_a_saved_draft() {
    let app = office_after_the_first_deadline().await;
    let b = Browser::start(&app, "expired", 1280).await;
    b.login("renshe", "pw-renshe-Tarim7q").await;
    b.click_through(".desk.urgent .desk-list li:first-child a[href^='/obligations/']")
        .await;
    let form_url = b.client.current_url().await.unwrap();
    let summary = "已完成第一季度培训 3 场，覆盖 420 人，另有两场因场地推迟。";
    b.fill("#summary", summary).await;
    b.fill("#percent", "35").await;
    let sheet = b.profile.path().join("培训签到表.pdf");
    std::fs::write(&sheet, pdf("sign-in sheet")).unwrap();
    b.find("#evidence")
        .await
        .send_keys(sheet.to_str().unwrap())
        .await
        .unwrap();
    // Longer than the idle timeout passes before 提交 is pressed.
    app.clock.advance(chrono::Duration::minutes(45));
    b.click_through("button[name=action][value=submit]").await;
    let url = b.client.current_url().await.unwrap();
    assert_eq!(url.path(), "/login", "sent to sign in again");
    assert!(b.body_text().await.contains("登录已超时，已为您保存草稿"));
    b.shot("login-draft-kept").await;
    b.fill("#username", "renshe").await;
    b.fill("#password", "pw-renshe-Tarim7q").await;
    b.click_through("form[action='/login'] button[type=submit]")
        .await;
    let back = b.client.current_url().await.unwrap();
    assert_eq!(back.path(), form_url.path(), "back on the same report");
    assert_eq!(
        b.find("#summary")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some(summary)
    );
    assert_eq!(
        b.find("#percent")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("35")
    );
    let page = b.body_text().await;
    assert!(page.contains("草稿"), "kept as a draft, not submitted");
    assert!(page.contains("培训签到表.pdf"), "with its file");
    b.shot("draft-back").await;
    b.click_through("button[name=action][value=submit]").await;
    assert!(b.body_text().await.contains("待审核"));
    b.shot("submitted").await;
    b.finish().await;
}

/// The office reports and accepts, over HTTP, every obligation of a measure due by `today`
/// except `but`: the setting for a closing journey.
async fn accept_due_except(app: &TestApp, measure: i64, today: &str, but: &str) {
    let admin = app.login_admin().await;
    let detail = app.get_json(&format!("/api/v1/measures/{measure}")).await;
    for ob in detail["obligations"].as_array().unwrap() {
        let id = ob["id"].to_string();
        if ob["due_on"].as_str().unwrap() > today || id == but {
            continue;
        }
        let fields = [
            ("summary", "按计划完成"),
            ("percent", "100"),
            ("status", "completed"),
            ("action", "submit"),
        ];
        let path = format!("/obligations/{id}/report");
        assert_eq!(
            app.multipart_as(&admin, &path, &fields, &[]).await.status,
            303
        );
        let report = app.waiting_report(&admin, &id).await;
        let review = format!("/reports/{report}/review");
        let fields = [("decision", "accept"), ("comment", "")];
        assert_eq!(app.post_as(&admin, &review, &fields).await.status, 303);
    }
}

#[actix_web::test]
async fn a_late_report_then_the_measure_is_closed_and_asks_nothing_more() {
    let app = spawn_app().await;
    // 2026-04-13 in Beijing: three days after Q1 was due.
    app.clock.advance(chrono::Duration::days(42));
    app.add_user("renshe", "liaison", Some("地区人社局"));
    let m5 = app.measure_id(5).await;
    let lead_q1 = app.lead_obligation(5, "2026-Q1").await["id"].to_string();
    accept_due_except(&app, m5, "2026-04-13", &lead_q1).await;

    // The liaison hands in late: the page says so, in red.
    let liaison = Browser::start(&app, "closing", 390).await;
    liaison.login("renshe", "pw-renshe-Tarim7q").await;
    liaison.go(&format!("/obligations/{lead_q1}")).await;
    liaison
        .fill("#summary", "平等就业制度已建立，已报送全部材料。")
        .await;
    liaison.fill("#percent", "100").await;
    liaison
        .click_through("button[name=action][value=submit]")
        .await;
    let state = liaison.find("dd .light").await;
    assert_eq!(state.text().await.unwrap(), "逾期报送（迟 3 天）· 待审核");
    assert_eq!(
        state.attr("class").await.unwrap().as_deref(),
        Some("light light-red")
    );
    liaison.shot("late-report").await;

    // The office accepts it from the queue; the liaison then asks to close the measure.
    let office = Browser::start(&app, "closing-office", 1366).await;
    office.login("admin", ADMIN_PASSWORD).await;
    office.go("/admin/reviews").await;
    office
        .click_through(&format!("a[href^='/obligations/{lead_q1}?queue']"))
        .await;
    office
        .click_through("button[name=decision][value=accept]")
        .await;
    liaison.go(&format!("/measures/{m5}")).await;
    liaison
        .fill(
            "#closing-summary",
            "城乡劳动者平等就业制度已全面建立，经验收合格。",
        )
        .await;
    let report = liaison.profile.path().join("办结报告.pdf");
    std::fs::write(&report, pdf("closing report")).unwrap();
    liaison
        .find("#closing-evidence")
        .await
        .send_keys(report.to_str().unwrap())
        .await
        .unwrap();
    liaison.shot("closing-request").await;
    liaison
        .click_through("form[action$='/closure'] button[type=submit]")
        .await;
    assert!(liaison.body_text().await.contains("办结申请待审核"));

    // The office approves; the measure is closed and plans nothing more.
    office.go(&format!("/measures/{m5}")).await;
    office.find("a[href^='/closures/files/']").await;
    office.fill("#closing-comment", "同意销号。").await;
    office.shot("closing-decide").await;
    office
        .click_through("button[name=decision][value=approve]")
        .await;
    let page = office.body_text().await;
    assert!(
        page.contains("本措施已于 2026-04-13 办结（销号）"),
        "{page}"
    );
    office.shot("closed").await;
    let after = app.get_json(&format!("/api/v1/measures/{m5}")).await;
    let later: Vec<&serde_json::Value> = after["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["due_on"].as_str().unwrap() > "2026-04-13")
        .collect();
    assert!(later.is_empty(), "{later:?}");
    liaison.go(&format!("/measures/{m5}")).await;
    liaison.shot("closed-phone").await;
    office.finish().await;
    liaison.finish().await;
}

#[actix_web::test]
async fn a_leader_reads_lights_and_trends_opens_a_heat_cell_and_a_liaison_sees_their_score() {
    let app = office_after_the_first_deadline().await;
    // 地区人社局 reports on all its first-quarter work (lead and co) by 04-09; then the second
    // quarter passes with nothing reported, so on 07-15 its Q2 score is below its Q1 score.
    let m5 = app.measure_id(5).await;
    let renshe = app.department_id("地区人社局").await;
    let token = app.token_for("renshe");
    let q1 = app
        .api_json(
            &format!("/api/v1/obligations?department={renshe}&period=2026-Q1&per_page=100"),
            &token,
        )
        .await;
    let q1 = q1["obligations"].as_array().unwrap().clone();
    assert!(q1.len() > 3, "{q1:?}");
    for ob in &q1 {
        let sent = app
            .api_multipart(
                &format!("/api/v1/measures/{}/reports", ob["measure"]["id"]),
                &token,
                &[
                    ("period", "2026-Q1"),
                    ("summary", "一季度工作按计划推进"),
                    ("percent", "40"),
                    ("status", "on_track"),
                ],
                &[],
            )
            .await;
        assert_eq!(sent.status, 201, "{}", sent.body);
    }
    app.clock.advance(chrono::Duration::days(97));

    let leader = Browser::start(&app, "scorecard", 1366).await;
    leader.login("lingdao", "pw-lingdao-Tarim7q").await;
    // A leader lands on the scorecard, this year by default.
    let landing = leader.body_text().await;
    assert!(landing.contains("考核评分") && landing.contains("本年（2026年）"));
    leader.shot("landing").await;
    // The bars are drawn.
    let bars = leader
        .client
        .execute(
            "return Array.from(document.querySelectorAll('svg.chart rect'))\
             .filter(r => r.getBoundingClientRect().width > 0).length",
            vec![],
        )
        .await
        .unwrap();
    assert!(bars.as_u64().unwrap() > 3, "bars drawn: {bars}");
    let sheet = leader.download_xlsx("a[href^='/scorecard.xlsx']").await;
    let cells: Vec<String> = sheet.rows().flatten().map(|c| c.to_string()).collect();
    assert!(cells.iter().any(|c| c == "地区人社局"));

    // The second quarter against the first: the unit's row shows its light and ↓.
    leader.go("/scorecard?period=2026-Q2").await;
    leader.shot("q2").await;
    let row = leader
        .client
        .execute(
            "const a = document.querySelector(`table.ranking a[href^='/scorecard/departments/${arguments[0]}?']`);\
             const tr = a.closest('tr');\
             return [tr.querySelector('.dot').className, tr.querySelector('td.trend').innerText];",
            vec![json!(renshe)],
        )
        .await
        .unwrap();
    assert_eq!(row[0], "dot dot-red", "{row}");
    let trend = row[1].as_str().unwrap();
    assert!(trend.starts_with('↓'), "{trend}");

    // A heat-map cell opens the ledger on that measure × unit.
    let cell = format!("table.heat a[href*='measure={m5}&department={renshe}']");
    leader.click_through(&cell).await;
    let url = leader.client.current_url().await.unwrap();
    assert_eq!(url.path(), "/ledger");
    let ledger = leader.body_text().await;
    assert!(ledger.contains("地区人社局"), "{ledger}");
    leader.shot("ledger-from-heat").await;

    // On a 390 px phone: one line per unit, nothing wider than the screen but the heat map,
    // which scrolls sideways inside its frame.
    leader.client.set_window_size(390, 844).await.unwrap();
    leader.go("/scorecard").await;
    assert!(
        !leader.scrolls_sideways().await,
        "the page does not scroll sideways"
    );
    let layout = leader
        .client
        .execute(
            "const wrap = document.querySelector('.heat-wrap');\
             const rows = Array.from(document.querySelectorAll('table.ranking tbody tr'));\
             const tallest = Math.max(...rows.map(r => r.getBoundingClientRect().height));\
             const axis = document.querySelector('svg.chart text.axis');\
             return [wrap.scrollWidth > wrap.clientWidth, tallest, axis.getBoundingClientRect().height];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        layout[0],
        json!(true),
        "the heat map scrolls inside its frame"
    );
    let tallest = layout[1].as_f64().unwrap();
    assert!(tallest < 48.0, "one line per unit: {tallest} px");
    let text_height = layout[2].as_f64().unwrap();
    assert!(text_height >= 9.0, "chart text legible: {text_height} px");
    leader.shot("scorecard-phone").await;
    leader.finish().await;

    // A liaison reads their own unit's score from the menu.
    let liaison = Browser::start(&app, "own-score", 390).await;
    liaison.login("renshe", "pw-renshe-Tarim7q").await;
    liaison
        .click_through("nav.mainnav a[href^='/scorecard/departments/']")
        .await;
    let own = liaison.body_text().await;
    assert!(own.contains("地区人社局 得分明细"), "{own}");
    assert!(own.contains("排名") && own.contains("个单位"));
    liaison.shot("own-score").await;
    liaison.finish().await;
}

#[actix_web::test]
async fn the_office_imports_a_plan_and_corrects_a_unit_in_the_preview() {
    let app = spawn_app().await;
    let office = Browser::start(&app, "import", 1280).await;
    office.login("admin", ADMIN_PASSWORD).await;
    office.go("/admin/import").await;
    office.shot("import-form").await;
    let plan = repo_path("tests/fixtures/convention-c-labels.txt");
    office
        .find("#file")
        .await
        .send_keys(plan.to_str().unwrap())
        .await
        .unwrap();
    office
        .click_through("form[action='/admin/import/preview'] button[type=submit]")
        .await;
    let preview = office.body_text().await;
    assert!(preview.contains("东湖区深化“放管服”改革工作要点"));
    assert!(preview.contains("新单位"));
    office.shot("preview").await;

    // 区税务所 is the tax bureau's old name: correct it, preview again, import.
    let field = office
        .client
        .execute(
            "return Array.from(document.querySelectorAll('input[id^=rename_]'))\
             .find(i => i.value === '区税务所').id",
            vec![],
        )
        .await
        .unwrap();
    let css = format!("#{}", field.as_str().unwrap());
    office.fill(&css, "区税务局").await;
    office
        .click_through("button[formaction='/admin/import/preview']")
        .await;
    assert!(office.body_text().await.contains("已应用 1 处更正"));
    office.shot("preview-corrected").await;
    office
        .click_through("#preview-form button.primary[type=submit]")
        .await;
    let url = office.client.current_url().await.unwrap();
    assert!(url.path().starts_with("/documents/"), "{url}");
    let page = office.body_text().await;
    assert!(page.contains("已导入"));
    assert!(page.contains("区税务局") && !page.contains("区税务所"));
    office.shot("imported").await;
    office.finish().await;
}

#[actix_web::test]
async fn a_visitor_switches_the_interface_to_english_and_back() {
    let app = spawn_app().await;
    let b = Browser::start(&app, "language", 1280).await;
    b.go("/login").await;
    assert!(b.body_text().await.contains("登录督办"));
    b.click_through("a[href='/language/en']").await;
    assert!(b.body_text().await.contains("Sign in to Duban"));
    b.shot("login-english").await;
    // Signing in by keyboard alone: the form starts on the user name; Tab, then Enter.
    b.find("#username").await.send_keys("admin").await.unwrap();
    let active = b
        .client
        .execute("return document.activeElement.id", vec![])
        .await
        .unwrap();
    assert_eq!(active, "username", "the user name field has the focus");
    b.mark_page().await;
    b.find("#username")
        .await
        .send_keys(&format!("\u{e004}{ADMIN_PASSWORD}\u{e007}"))
        .await
        .unwrap();
    b.wait_for_next_page("Tab, password, Enter").await;
    let home = b.body_text().await;
    assert!(home.contains("Sign out"), "English follows the person in");
    b.shot("home-english").await;
    b.click_through("form[action='/account/language'] button")
        .await;
    assert!(b.body_text().await.contains("退出"));
    b.finish().await;
}

#[actix_web::test]
async fn the_office_imports_a_word_table_and_fixes_a_measure_the_import_flagged() {
    use duban::domain::importer::formats::samples;
    let app = spawn_app().await;
    let office = Browser::start(&app, "word-and-fix", 1366).await;
    office.login("admin", ADMIN_PASSWORD).await;

    // A task-division table in Word, with a merged lead cell and deadlines.
    let body = [
        samples::p(&["某市人民政府办公室关于印发某市稳就业实施方案的通知"]),
        samples::p(&["某政办发〔2019〕12号"]),
        samples::p(&["2019年3月5日"]),
        samples::table(&[
            &["序号", "重点任务", "牵头单位", "配合单位", "完成时限"],
            &[">5:一、支持企业稳定岗位"],
            &[
                "1",
                "落实失业保险稳岗返还政策",
                "市人社局",
                "市财政局",
                "2019年6月底前",
            ],
            &["2", "开展职业技能提升行动", "^", "市总工会", "长期坚持"],
        ]),
    ]
    .concat();
    let file = app.db.data_dir().join("稳就业分工表.docx");
    std::fs::write(&file, samples::docx(&body)).unwrap();
    office.go("/admin/import").await;
    office
        .find("#file")
        .await
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    office
        .click_through("form[action='/admin/import/preview'] button[type=submit]")
        .await;
    let preview = office.body_text().await;
    for seen in [
        "落实失业保险稳岗返还政策",
        "市人社局",
        "2019-06-30",
        "长期坚持",
        "支持企业稳定岗位",
    ] {
        assert!(preview.contains(seen), "{seen} not in the preview");
    }
    office.shot("word-preview").await;
    office
        .click_through("#preview-form button.primary[type=submit]")
        .await;
    assert!(office.body_text().await.contains("已导入"));

    // The bundled plan's measure 24 names no unit: its warning leads to the fix.
    office.go("/documents/1").await;
    let m24 = app.measure_id(24).await;
    office
        .click_through(&format!("a[href='/measures/{m24}#edit']"))
        .await;
    office.find("#edit summary").await.click().await.unwrap();
    office.fill("#edit-lead", "地区人社局").await;
    office.fill("#edit-co", "地区财政局\n地区民政局").await;
    office.shot("fix-measure-form").await;
    office.click_through("#edit form button[type=submit]").await;
    let page = office.body_text().await;
    assert!(page.contains("措施已保存"), "{page}");
    assert!(page.contains("地区人社局") && page.contains("地区民政局"));
    office.shot("fixed-measure").await;
    office.finish().await;

    // The same page on a phone.
    let phone = Browser::start(&app, "word-and-fix-phone", 390).await;
    phone.login("admin", ADMIN_PASSWORD).await;
    phone.go(&format!("/measures/{m24}")).await;
    phone.find("#edit summary").await.click().await.unwrap();
    assert!(
        !phone.scrolls_sideways().await,
        "the page does not scroll sideways"
    );
    phone.shot("measure-phone").await;
    phone.finish().await;
}

/// "Which units are overdue on measure 6 this quarter, and what did they last report?" — one
/// page, an Excel export, one chase for all, and the chase in the log; then the same pages on
/// a phone.
#[actix_web::test]
async fn the_office_finds_the_overdue_units_on_a_measure_exports_and_chases_them_all() {
    let app = office_after_the_first_deadline().await;
    app.clock.advance(chrono::Duration::days(11));
    app.add_user("fagai", "liaison", Some("地区发改委"));
    let m6 = app.measure_id(6).await;
    let office = Browser::start(&app, "ledger", 1366).await;
    office.login("admin", ADMIN_PASSWORD).await;
    office.shot("workbench").await;
    let bench = office.body_text().await;
    assert!(bench.contains("督查室工作台") && bench.contains("逾期未报"));

    // From the 逾期未报 tile to the ledger, then narrowed to measure 6 this quarter.
    office
        .click_through("a.tile[href='/ledger?state=overdue']")
        .await;
    office
        .find("#f-document")
        .await
        .select_by_value("1")
        .await
        .unwrap();
    office
        .click_through(".ledger-filters button[type=submit]")
        .await;
    office
        .find(".more-filters summary")
        .await
        .click()
        .await
        .unwrap();
    office
        .find("#f-measure")
        .await
        .select_by_value(&m6.to_string())
        .await
        .unwrap();
    office
        .find("#f-window")
        .await
        .select_by_value("quarter")
        .await
        .unwrap();
    office
        .click_through(".ledger-filters button[type=submit]")
        .await;
    let url = office.client.current_url().await.unwrap();
    let query = url.query().unwrap_or_default().to_string();
    assert!(
        query.contains(&format!("measure={m6}")) && query.contains("window=quarter"),
        "the view lives in the URL: {query}"
    );
    let page = office.body_text().await;
    assert!(
        page.contains("共 7 条"),
        "the lead and six co units: {page}"
    );
    assert!(page.contains("地区发改委") && page.contains("逾期"));
    office.shot("overdue-on-measure-6").await;

    // Exported to Excel: the seven rows.
    let sheet = office.download_xlsx("a[href^='/ledger.xlsx']").await;
    assert_eq!(sheet.rows().count(), 8, "a header and seven rows");
    let cells: Vec<String> = sheet.rows().flatten().map(|c| c.to_string()).collect();
    assert!(cells.iter().any(|c| c == "地区发改委"));

    // Chase them all: tick every row, one click.
    for checkbox in office
        .client
        .find_all(Locator::Css("input[name=ids]"))
        .await
        .unwrap()
    {
        checkbox.click().await.unwrap();
    }
    office
        .click_through("button[name=action][value=chase]")
        .await;
    let after = office.body_text().await;
    assert!(after.contains("已催办 2 条"), "{after}");
    assert!(after.contains("单位未设邮箱 5 条"), "{after}");
    office.shot("chased").await;

    // The chase in the measure's log, by whom.
    office.go(&format!("/measures/{m6}")).await;
    let measure = office.body_text().await;
    assert!(
        measure.contains("一键催办") && measure.contains("（admin）"),
        "{measure}"
    );
    office.shot("chase-log").await;
    office.finish().await;

    // On a phone: the ledger reads without sideways scrolling; the grid scrolls inside.
    let phone = Browser::start(&app, "ledger-phone", 390).await;
    phone.login("admin", ADMIN_PASSWORD).await;
    phone.go(&format!("/ledger?{query}")).await;
    assert!(
        !phone.scrolls_sideways().await,
        "the ledger does not scroll sideways"
    );
    phone.shot("ledger-phone").await;
    phone.go(&format!("/measures/{m6}")).await;
    assert!(
        !phone.scrolls_sideways().await,
        "the measure page does not scroll sideways"
    );
    let unit_column = phone
        .client
        .execute(
            "const w = document.querySelector('.grid-wrap'); w.scrollLeft = 400;\
             const cell = document.querySelector('.period-grid tbody th.unit');\
             return [w.scrollWidth > w.clientWidth, cell.getBoundingClientRect().left \
               >= w.getBoundingClientRect().left - 1]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        unit_column,
        json!([true, true]),
        "the grid scrolls, the unit column stays"
    );
    phone.shot("measure-grid-phone").await;
    phone.finish().await;
}

#[actix_web::test]
async fn the_office_issues_a_circular_and_a_leaders_instruction_reaches_the_units_page() {
    let app = office_after_the_first_deadline().await; // 04-09: the co units' Q1 reports are late
    let doc = app.document_id("塔行办发〔2018〕10号").await;

    // The office: from the scorecard to a circular for the first quarter, then its Word file.
    let office = Browser::start(&app, "circular", 1366).await;
    office.login("admin", ADMIN_PASSWORD).await;
    office
        .go(&format!("/scorecard?document={doc}&period=2026-Q1"))
        .await;
    office.click_through("a[href^='/circulars/new']").await;
    office.fill("#number", "督办通报〔2026〕1号").await;
    office.shot("form").await;
    office
        .click_through("form.form-card button[type=submit]")
        .await;
    let text = office.body_text().await;
    assert!(text.contains("督办通报〔2026〕1号"), "{text}");
    assert!(text.contains("落实情况的通报") && text.contains("逾期未报的单位"));
    assert!(text.contains("四、下步工作要求"));
    office.shot("print-view").await;
    office.client.set_window_size(390, 844).await.unwrap();
    assert!(
        !office.scrolls_sideways().await,
        "the circular reads on a phone without scrolling sideways"
    );
    office.shot("print-view-phone").await;
    office.finish().await;

    // A leader leaves a 批示 on the unit's obligation; its liaison reads it there.
    let renshe = app.department_id("地区人社局").await;
    let token = app.token_for("renshe");
    let open = app
        .api_json(
            &format!("/api/v1/obligations?department={renshe}&period=2026-Q1&per_page=1"),
            &token,
        )
        .await;
    let ob = open["obligations"][0]["id"].as_i64().unwrap();
    let leader = Browser::start(&app, "instruction", 390).await;
    leader.login("lingdao", "pw-lingdao-Tarim7q").await;
    leader.go(&format!("/obligations/{ob}")).await;
    leader
        .fill(
            "#instruction-body",
            "请于四月十日前报送，并说明配合单位反馈情况。",
        )
        .await;
    leader
        .click_through("#instructions button[type=submit]")
        .await;
    assert!(leader.body_text().await.contains("批示已发出"));
    leader.shot("sent").await;
    leader.finish().await;

    let liaison = Browser::start(&app, "instruction-read", 390).await;
    liaison.login("renshe", "pw-renshe-Tarim7q").await;
    liaison.go(&format!("/obligations/{ob}")).await;
    let page = liaison.body_text().await;
    assert!(
        page.contains("请于四月十日前报送") && page.contains("领导批示"),
        "{page}"
    );
    assert!(
        !page.contains("发出批示"),
        "a liaison is not offered the form"
    );
    assert!(!liaison.scrolls_sideways().await);
    liaison.shot("read").await;
    // Their own calendar feed: the address, shown once, wraps on a phone.
    liaison.go("/account/password").await;
    liaison.click_through("#calendar form button").await;
    let shown = liaison.body_text().await;
    assert!(
        shown.contains("/calendar/") && shown.contains(".ics"),
        "{shown}"
    );
    assert!(
        !liaison.scrolls_sideways().await,
        "the feed address wraps instead of widening the page"
    );
    liaison.shot("feed-made").await;
    liaison.finish().await;
}
