//! `duban import`, end to end through the real binary and a real database.

use diesel::prelude::*;
use duban::db::documents;
use duban::db::schema::{assignments, departments, documents as documents_table, measures};
use duban::domain::importer;

use crate::helpers::{fixed_now, multipart_named, repo_path, spawn_app, TestDatabase};

fn fixture(name: &str) -> String {
    repo_path(&format!("tests/fixtures/{name}"))
        .to_str()
        .unwrap()
        .to_string()
}

fn seed() -> String {
    repo_path("config/documents/tacheng-2018-10-employment.txt")
        .to_str()
        .unwrap()
        .to_string()
}

/// (documents, measures, departments, assignments) stored.
fn counts(db: &TestDatabase) -> (i64, i64, i64, i64) {
    let pool = db.pool();
    let mut conn = pool.get().unwrap();
    (
        documents_table::table
            .count()
            .get_result(&mut *conn)
            .unwrap(),
        measures::table.count().get_result(&mut *conn).unwrap(),
        departments::table.count().get_result(&mut *conn).unwrap(),
        assignments::table.count().get_result(&mut *conn).unwrap(),
    )
}

#[test]
fn dry_run_json_prints_the_contract_shape_and_writes_nothing() {
    let db = TestDatabase::new();
    let out = db.cli(&["import", &seed(), "--dry-run", "--json"]);
    assert!(out.success(), "{}", out.stderr());
    let json = out.json();
    assert_eq!(json["document"]["number"], "塔行办发〔2018〕10号");
    assert_eq!(
        json["document"]["title"],
        "塔城地区做好当前和今后一段时期就业创业工作实施方案"
    );
    assert_eq!(json["document"]["issued_on"], "2018-02-06");
    assert_eq!(json["sections"].as_array().unwrap().len(), 7);
    assert_eq!(json["sections"][0]["title"], "坚持实施就业优先战略");
    assert_eq!(json["measures"].as_array().unwrap().len(), 29);
    assert_eq!(json["measures"][0]["lead"], "地区发改委");
    assert_eq!(json["measures"][0]["section"], 1);
    assert!(json["measures"][23]["lead"].is_null());
    let warned: Vec<i64> = json["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["measure"].as_i64().unwrap())
        .collect();
    assert_eq!(warned, [15, 24]);
    assert!(json.get("stored").is_none());
    assert!(out.stderr().contains("财政厅"), "warnings are shown");
    assert_eq!(counts(&db), (0, 0, 0, 0));
}

#[test]
fn each_convention_imports_with_the_right_leads() {
    let db = TestDatabase::new();
    for (file, leads) in [
        (
            "convention-a-fullwidth.txt",
            vec!["市政务服务局", "市市场监管局", "市自然资源局", "-"],
        ),
        (
            "convention-b-ascii.txt",
            vec!["县住建局", "县住建局", "县生态环境分局", "县农业农村局"],
        ),
        (
            "convention-c-labels.txt",
            vec!["区发改委", "区市场监管局", "区市场监管局", "区发改委"],
        ),
    ] {
        let out = db.cli(&["import", &fixture(file), "--json"]);
        assert!(out.success(), "{file}: {}", out.stderr());
        let json = out.json();
        let got: Vec<&str> = json["measures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["lead"].as_str().unwrap_or("-"))
            .collect();
        assert_eq!(got, leads, "{file}");
        assert!(json["stored"]["document_id"].is_i64(), "{file}");
    }
    assert_eq!(counts(&db).0, 3);
}

#[test]
fn importing_stores_everything_and_a_second_import_is_refused() {
    let db = TestDatabase::new();
    let out = db.cli(&["import", &seed()]);
    assert!(out.success(), "{}", out.stderr());
    assert!(out.stdout().contains("imported as document"));
    let stored = counts(&db);
    assert_eq!(stored.0, 1);
    assert_eq!(stored.1, 29);
    assert_eq!(stored.2, 33);

    let again = db.cli(&["import", &seed()]);
    assert!(!again.success());
    assert!(
        again.stderr().contains("塔行办发〔2018〕10号") && again.stderr().contains("--replace"),
        "{}",
        again.stderr()
    );
    assert_eq!(counts(&db), stored, "a refused import changes nothing");

    let replaced = db.cli(&["import", &seed(), "--replace"]);
    assert!(replaced.success(), "{}", replaced.stderr());
    assert!(replaced.stdout().contains("replaced as document"));
    assert_eq!(
        counts(&db),
        stored,
        "replacing keeps one copy, and the departments"
    );

    // Every import is in the audit log, by whom.
    let pool = db.pool();
    let mut conn = pool.get().unwrap();
    let docs = documents::list(&mut conn).unwrap();
    let log = duban::db::audit::for_entity(&mut conn, "document", docs[0].document.id).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].action, "document.replace");
    assert!(log[0].actor.starts_with("cli:"), "{}", log[0].actor);
}

#[test]
fn documents_share_departments_by_name() {
    let db = TestDatabase::new();
    assert!(db
        .cli(&["import", &fixture("convention-b-ascii.txt")])
        .success());
    let before = counts(&db).2;
    // The same county's units under a renumbered copy of the plan: no new departments.
    let text = std::fs::read_to_string(fixture("convention-b-ascii.txt"))
        .unwrap()
        .replace("河政发[2022]12号", "河政发[2022]13号");
    let copy = db.data_dir().join("copy.txt");
    std::fs::write(&copy, text).unwrap();
    let out = db.cli(&["import", copy.to_str().unwrap()]);
    assert!(out.success(), "{}", out.stderr());
    assert!(
        out.stdout().contains("(0 new departments)"),
        "{}",
        out.stdout()
    );
    assert_eq!(counts(&db).2, before);
}

#[test]
fn bad_files_fail_with_a_message_naming_the_problem_and_write_nothing() {
    let db = TestDatabase::new();
    let dir = db.data_dir();
    let doc = dir.join("plan.doc");
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.resize(512, 0);
    std::fs::write(&doc, ole).unwrap();
    let png = dir.join("scan.txt");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n....").unwrap();
    let scanned = dir.join("scanned.pdf");
    std::fs::write(
        &scanned,
        duban::domain::importer::formats::samples::pdf(&[]),
    )
    .unwrap();
    let empty = dir.join("empty.txt");
    std::fs::write(&empty, "  \n\n").unwrap();
    let prose = dir.join("prose.txt");
    std::fs::write(
        &prose,
        "关于做好工作的通知\n一、总体要求\n认真做好各项工作。\n",
    )
    .unwrap();
    let missing = dir.join("missing.txt");

    for (file, expected) in [
        (&doc, "另存为 .docx"),
        (&png, "PNG 图片"),
        (&scanned, "扫描件"),
        (&empty, "empty"),
        (&prose, "no measure found"),
        (&missing, "cannot read"),
    ] {
        let out = db.cli(&["import", file.to_str().unwrap()]);
        assert!(!out.success(), "{}", file.display());
        let err = out.stderr();
        assert!(err.contains(expected), "{}: {err}", file.display());
        assert!(
            err.contains(file.file_name().unwrap().to_str().unwrap()),
            "{err}"
        );
    }
    assert_eq!(counts(&db), (0, 0, 0, 0));
}

#[test]
fn a_store_that_fails_halfway_leaves_nothing_behind() {
    let db = TestDatabase::new();
    let pool = db.pool();
    let mut conn = pool.get().unwrap();
    let mut parsed =
        importer::parse(&std::fs::read_to_string(fixture("convention-a-fullwidth.txt")).unwrap())
            .unwrap();
    // Two measures with one number: the database refuses the second, after the document,
    // its sections, departments and first measure were written.
    parsed.measures[1].number = parsed.measures[0].number;
    let result = documents::store(&mut conn, &parsed, "text", false, "test", fixed_now());
    assert!(result.is_err());
    drop(conn);
    assert_eq!(counts(&db), (0, 0, 0, 0));
}

/// The preview form's fields as the page renders them, with the CSRF token left out.
fn preview_fields(html: &str) -> Vec<(String, String)> {
    let input =
        regex::Regex::new(r#"<input id="((?:rename|units)_\d+)" name="[^"]+" value="([^"]*)""#)
            .unwrap();
    input
        .captures_iter(html)
        .map(|c| (c[1].to_string(), c[2].to_string()))
        .collect()
}

#[actix_web::test]
async fn the_office_imports_a_plan_through_the_pages_and_corrects_a_unit_in_the_preview() {
    let app = spawn_app().await;
    let admin = app.login_admin().await;
    let text =
        std::fs::read_to_string(repo_path("tests/fixtures/convention-c-labels.txt")).unwrap();

    // Nothing to import, or no measures: the form again, with the reason.
    let empty = app
        .multipart_named_as(&admin, "/admin/import/preview", &[("text", " ")], &[])
        .await;
    assert_eq!(empty.status, 422);
    assert!(empty.body.contains("没有可导入的内容"), "{}", empty.body);
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.resize(512, 0);
    let legacy = app
        .multipart_named_as(
            &admin,
            "/admin/import/preview",
            &[],
            &[("file", "plan.txt", &ole)],
        )
        .await;
    assert_eq!(legacy.status, 422);
    assert!(legacy.body.contains("另存为 .docx"), "{}", legacy.body);

    // The file is read and previewed: units, measures and their warnings.
    let preview = app
        .multipart_named_as(
            &admin,
            "/admin/import/preview",
            &[],
            &[("file", "plan.txt", text.as_bytes())],
        )
        .await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert!(preview.body.contains("东湖区深化“放管服”改革工作要点"));
    assert!(preview.body.contains("区发改委"));
    assert!(preview.body.contains("新单位"));
    let fields = preview_fields(&preview.body);
    let tax = fields
        .iter()
        .find(|(_, v)| v == "区税务所")
        .map(|(k, _)| k.clone())
        .expect("a rename field for 区税务所");
    let (first_units, _) = fields
        .iter()
        .find(|(k, _)| k.starts_with("units_"))
        .unwrap();

    // Correct 区税务所 to its proper name, and give the first measure other units.
    let mut posted: Vec<(String, String)> = fields.clone();
    for (k, v) in &mut posted {
        if *k == tax {
            *v = "区税务局".into();
        }
        if k == first_units {
            *v = "区政务服务中心、区发改委".into();
        }
    }
    posted.push(("text".into(), text.clone()));
    posted.push(("starts_on".into(), "2026-01-01".into()));
    let as_refs: Vec<(&str, &str)> = posted
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let again = app
        .multipart_named_as(&admin, "/admin/import/preview", &as_refs, &[])
        .await;
    assert_eq!(again.status, 200);
    assert!(again.body.contains("已应用 2 处更正"), "{}", again.body);

    let before = app
        .get_json("/api/v1/documents")
        .await
        .as_array()
        .unwrap()
        .len();
    let done = app
        .multipart_named_as(&admin, "/admin/import/confirm", &as_refs, &[])
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let location = done.header("location").unwrap().to_string();
    assert!(location.starts_with("/documents/"));
    let documents = app.get_json("/api/v1/documents").await;
    assert_eq!(documents.as_array().unwrap().len(), before + 1);
    let page = app.get_as(&admin, &location).await;
    assert!(
        page.body.contains("已导入"),
        "the flash says what was imported"
    );

    let departments = app.get_json("/api/v1/departments").await;
    let names: Vec<&str> = departments
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"区税务局") && !names.contains(&"区税务所"));
    let document_id = location.trim_start_matches("/documents/");
    let measures = app
        .get_json(&format!("/api/v1/measures?document={document_id}"))
        .await;
    let first = &measures.as_array().unwrap()[0];
    assert_eq!(first["lead"], "区政务服务中心");
    assert_eq!(first["co"], serde_json::json!(["区发改委"]));
    assert!(app
        .audit()
        .iter()
        .any(|e| e.action == "document.import" && e.actor == "admin"));

    // The same document again: refused in words until Replace is ticked; nothing changes.
    let dup = app
        .multipart_named_as(&admin, "/admin/import/confirm", &as_refs, &[])
        .await;
    assert_eq!(dup.status, 422);
    assert!(dup.body.contains("已导入"), "{}", dup.body);
    assert_eq!(
        app.get_json("/api/v1/documents")
            .await
            .as_array()
            .unwrap()
            .len(),
        before + 1
    );

    // A liaison may not import, and a form without the CSRF token is refused.
    app.add_user("renshe", "liaison", Some("地区人社局"));
    let liaison = app.login("renshe", "pw-renshe-Tarim7q").await;
    let refused = app
        .multipart_named_as(&liaison, "/admin/import/preview", &[("text", &text)], &[])
        .await;
    assert_eq!(refused.status, 403);
    let (content_type, body) = multipart_named(&[("text", &text)], &[]);
    let forged = app
        .send_body(
            app.client
                .post(app.url("/admin/import/confirm"))
                .insert_header(admin.header())
                .insert_header(("Content-Type", content_type)),
            body,
        )
        .await;
    assert_eq!(forged.status, 403);
}

#[test]
fn the_seed_imports_alike_from_every_format_an_office_receives() {
    use duban::domain::importer::formats::samples;
    let seed_path = seed();
    let seed = std::fs::read_to_string(&seed_path).unwrap();
    let db = TestDatabase::new();
    let dir = db.data_dir();
    let expected = db.cli(&["import", &seed_path, "--dry-run", "--json"]);
    assert!(expected.success(), "{}", expected.stderr());
    let expected = expected.json();
    let (gbk, _, _) = encoding_rs::GBK.encode(&seed);
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(seed.encode_utf16().flat_map(u16::to_le_bytes));
    let html = format!(
        "<!DOCTYPE html><html><head><script>var x=1;</script></head><body><nav>首页 &gt; 通知</nav>\
         <div class=\"content\">{}</div><footer>版权所有</footer></body></html>",
        seed.lines()
            .map(|l| format!("<p>{}</p>", l.replace('&', "&amp;").replace('<', "&lt;")))
            .collect::<String>()
    );
    let lines: Vec<&str> = seed.lines().collect();
    let files: Vec<(&str, Vec<u8>)> = vec![
        // Names that lie about the content: it is the content that counts.
        ("gbk.docx", gbk.into_owned()),
        ("utf16.txt", utf16),
        ("crlf.txt", seed.replace('\n', "\r\n").into_bytes()),
        ("plan.docx", samples::docx_of_text(&seed)),
        ("page.htm", html.into_bytes()),
        ("plan.pdf", samples::pdf(&lines)),
    ];
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = db.cli(&["import", path.to_str().unwrap(), "--dry-run", "--json"]);
        assert!(out.success(), "{name}: {}", out.stderr());
        let got = out.json();
        for key in ["document", "sections", "measures"] {
            if name == "plan.pdf" && key != "measures" {
                continue;
            }
            assert_eq!(got[key], expected[key], "{name}: {key}");
        }
    }
}

#[test]
fn a_task_division_table_imports_with_its_deadlines() {
    use diesel::prelude::*;
    use duban::db::schema::measures;
    let db = TestDatabase::new();
    let file = db.data_dir().join("分工表.txt");
    std::fs::write(
        &file,
        "某市人民政府办公室关于印发某市稳就业实施方案的通知\n某政办发〔2019〕12号\n2019年3月5日\n\
         附件\n重点任务分工表\n\
         序号\t重点任务\t牵头单位\t配合单位\t完成时限\n\
         一、稳定岗位\n\
         1\t落实稳岗返还政策\t市人社局\t市财政局\t2019年6月底前\n\
         2\t降低社保费率\t市医保局\t市税务局\t长期坚持\n",
    )
    .unwrap();
    let out = db.cli(&[
        "import",
        file.to_str().unwrap(),
        "--json",
        "--schedule-from",
        "2019-01-01",
    ]);
    assert!(out.success(), "{}", out.stderr());
    let json = out.json();
    assert_eq!(json["document"]["number"], "某政办发〔2019〕12号");
    assert_eq!(json["measures"][0]["lead"], "市人社局");
    assert_eq!(json["measures"][0]["co"], serde_json::json!(["市财政局"]));
    assert_eq!(json["measures"][0]["deadline"], "2019-06-30");
    assert_eq!(json["measures"][1]["deadline"], serde_json::Value::Null);
    assert_eq!(json["measures"][1]["deadline_text"], "长期坚持");
    let pool = db.pool();
    let mut conn = pool.get().unwrap();
    let stored: Vec<(Option<chrono::NaiveDate>, Option<String>)> = measures::table
        .order(measures::number)
        .select((measures::deadline, measures::deadline_text))
        .load(&mut *conn)
        .unwrap();
    assert_eq!(
        stored,
        [
            (
                chrono::NaiveDate::from_ymd_opt(2019, 6, 30),
                Some("2019年6月底前".into())
            ),
            (None, Some("长期坚持".into())),
        ]
    );
}

#[actix_web::test]
async fn the_office_fixes_a_measure_after_import_and_obligations_follow() {
    use crate::helpers::{csrf_in, TestApp};
    let app: TestApp = spawn_app().await;
    // Measure 24 of the seed names no unit: the import flagged it.
    let m24 = app.measure_id(24).await;
    let before = app.get_json(&format!("/api/v1/measures/{m24}")).await;
    assert_eq!(before["lead"], serde_json::Value::Null);
    assert!(before["obligations"].as_array().unwrap().is_empty());
    assert!(!before["warnings"].as_array().unwrap().is_empty());
    let admin = app.login_admin().await;
    let doc = app.get_as(&admin, "/documents/1").await;
    assert!(
        doc.body.contains(&format!("/measures/{m24}#edit")),
        "the warning links to its fix"
    );

    let patch = |body: serde_json::Value, token: String| {
        let req = app
            .client
            .patch(app.url(&format!("/api/v1/measures/{m24}")))
            .insert_header(("Authorization", format!("Bearer {token}")));
        async move {
            let mut res = req.send_json(&body).await.unwrap();
            let status = res.status().as_u16();
            let bytes = res.body().await.unwrap();
            (
                status,
                serde_json::from_slice::<serde_json::Value>(&bytes).unwrap(),
            )
        }
    };
    let (status, json) = patch(
        serde_json::json!({"lead": "地区人社局", "co": ["地区财政局", "地区乡村振兴局"], "deadline": "2027-06-30"}),
        app.admin_token.clone(),
    )
    .await;
    assert_eq!(status, 200, "{json}");
    assert_eq!(json["lead"], "地区人社局");
    assert_eq!(
        json["co"],
        serde_json::json!(["地区财政局", "地区乡村振兴局"])
    );
    assert_eq!(json["deadline"], "2027-06-30");
    let departments: std::collections::HashSet<&str> = json["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["department"].as_str().unwrap())
        .collect();
    assert_eq!(
        departments.len(),
        3,
        "each unit got its obligations: {departments:?}"
    );
    assert!(
        json["warnings"].as_array().unwrap().is_empty(),
        "the warning is settled"
    );
    let known = app.get_json("/api/v1/departments").await;
    assert!(
        known
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["name"] == "地区乡村振兴局"),
        "a new unit"
    );
    assert!(app
        .audit()
        .iter()
        .any(|e| e.action == "measure.edit" && e.entity_id == Some(m24 as i32)));

    // A unit that has reported cannot be removed; nothing changes.
    let token = {
        app.add_user("caizheng", "liaison", Some("地区财政局"));
        app.token_for("caizheng")
    };
    let period = json["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["department"] == "地区财政局")
        .unwrap()["period"]
        .as_str()
        .unwrap()
        .to_string();
    let sent = app
        .api_multipart(
            &format!("/api/v1/measures/{m24}/reports"),
            &token,
            &[
                ("period", &period),
                ("summary", "已落实"),
                ("percent", "20"),
                ("status", "on_track"),
            ],
            &[],
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    let (status, refused) = patch(
        serde_json::json!({"co": ["地区乡村振兴局"]}),
        app.admin_token.clone(),
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    assert!(refused["error"]["message"]
        .as_str()
        .unwrap()
        .contains("地区财政局"));
    let (_, unchanged) = patch(serde_json::json!({}), app.admin_token.clone()).await;
    assert_eq!(
        unchanged["co"],
        serde_json::json!(["地区财政局", "地区乡村振兴局"])
    );
    // Liaisons may not edit; bad fields are named.
    assert_eq!(patch(serde_json::json!({"title": "x"}), token).await.0, 403);
    let (status, bad) = patch(
        serde_json::json!({"deadline": "明年"}),
        app.admin_token.clone(),
    )
    .await;
    assert_eq!(status, 422);
    assert!(bad["error"]["message"]
        .as_str()
        .unwrap()
        .contains("deadline"));

    // Through the page: a bad date comes back with everything typed.
    let page = app.get_as(&admin, &format!("/measures/{m24}")).await;
    let csrf = csrf_in(&page.body).unwrap();
    let typed = app
        .post_raw(
            &admin,
            &format!("/admin/measures/{m24}"),
            &[
                ("csrf_token", &csrf),
                ("title", "加强就业困难人员帮扶"),
                ("lead", "地区人社局"),
                ("co", "地区财政局\n地区民政局"),
                ("deadline", "明年六月"),
                ("text", "新的内容"),
            ],
        )
        .await;
    assert_eq!(typed.status, 422);
    for kept in [
        "加强就业困难人员帮扶",
        "地区民政局",
        "明年六月",
        "新的内容",
        "办结时限应为日期",
    ] {
        assert!(typed.body.contains(kept), "{kept} lost");
    }
    let saved = app
        .post_raw(
            &admin,
            &format!("/admin/measures/{m24}"),
            &[
                ("csrf_token", &csrf),
                ("title", "加强就业困难人员帮扶"),
                ("lead", "地区人社局"),
                ("co", "地区财政局、地区乡村振兴局、地区民政局"),
                ("deadline", ""),
                ("text", "新的内容"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let after = app.get_json(&format!("/api/v1/measures/{m24}")).await;
    assert_eq!(after["title"], "加强就业困难人员帮扶");
    assert_eq!(after["co"].as_array().unwrap().len(), 3);
}

#[actix_web::test]
async fn a_huge_paste_is_parsed_off_the_worker_threads_and_previewed_in_part() {
    let app = spawn_app().await;
    let admin = app.login_admin().await;
    let units: Vec<String> = (0..60_000).map(|i| format!("第{i}号单位")).collect();
    let paste = format!("一、总体\n1.做好工作。（{}负责）\n", units.join("、"));
    assert!(paste.len() > 1_000_000);
    let preview = async {
        let reply = app
            .multipart_named_as(&admin, "/admin/import/preview", &[("text", &paste)], &[])
            .await;
        (reply, std::time::Instant::now())
    };
    let health = async {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
        let reply = app.get("/healthz").await;
        (reply.status, std::time::Instant::now())
    };
    let ((reply, previewed), (health, answered)) =
        futures_util::future::join(preview, health).await;
    assert_eq!(health, 200);
    assert_eq!(
        reply.status,
        200,
        "{}",
        &reply.body[..reply.body.len().min(500)]
    );
    assert!(
        answered < previewed,
        "the server kept answering while the paste was parsed"
    );
    assert!(
        reply.body.contains("另有 59000 个单位未列出"),
        "the preview lists the first 1000"
    );
    assert!(
        reply.body.len() < 6 * 1024 * 1024,
        "{} bytes",
        reply.body.len()
    );
}

#[actix_web::test]
async fn a_measure_with_sub_tasks_shows_who_does_which_part() {
    let app = spawn_app().await;
    let file = app.db.data_dir().join("parts.txt");
    std::fs::write(
        &file,
        "某县稳就业方案\n某政发〔2020〕3号\n一、重点任务\n\
         1.完善就业政策。加强培训（县人社局负责）；完善补贴（县财政局、县人社局负责）；做好宣传（县委宣传部负责）。\n",
    )
    .unwrap();
    let out = app.db.cli(&["import", file.to_str().unwrap(), "--json"]);
    assert!(out.success(), "{}", out.stderr());
    let json = out.json();
    assert_eq!(json["measures"][0]["lead"], "县人社局");
    assert_eq!(
        json["measures"][0]["co"],
        serde_json::json!(["县财政局", "县委宣传部"])
    );
    let admin = app.login_admin().await;
    let docs = app.get_json("/api/v1/documents").await;
    let doc = docs
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["number"] == "某政发〔2020〕3号")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let measures = app
        .get_json(&format!("/api/v1/measures?document={doc}"))
        .await;
    let id = measures[0]["id"].as_i64().unwrap();
    let page = app.get_as(&admin, &format!("/measures/{id}")).await;
    assert_eq!(page.status, 200);
    for part in ["分工", "加强培训", "完善补贴", "做好宣传", "县委宣传部"] {
        assert!(page.body.contains(part), "{part} not on the measure page");
    }
}
