//! `duban import`, end to end through the real binary and a real database.

use diesel::prelude::*;
use duban::db::documents;
use duban::db::schema::{assignments, departments, documents as documents_table, measures};
use duban::domain::importer;

use crate::helpers::{fixed_now, repo_path, TestDatabase};

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
    let gbk = dir.join("gbk.txt");
    std::fs::write(&gbk, [0xcb, 0xfe, 0xb3, 0xc7, b'\n']).unwrap();
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
        (&gbk, "not UTF-8"),
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
