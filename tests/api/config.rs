//! Start-up errors name what is wrong, and never print a password.

use crate::helpers::TestDatabase;

#[test]
fn an_unreachable_database_is_named_with_its_password_masked() {
    let db = TestDatabase::new();
    let out = db.cli_with(
        &["migrate"],
        &[("DATABASE_URL", "postgres://duban:hunter2@127.0.0.1:1/duban")],
    );
    assert!(!out.success());
    let err = out.stderr();
    assert!(
        err.contains("postgres://duban:***@127.0.0.1:1/duban"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn an_unsupported_database_url_is_refused() {
    let db = TestDatabase::new();
    let out = db.cli_with(
        &["migrate"],
        &[("DATABASE_URL", "mysql://root:pw@db/duban")],
    );
    assert!(!out.success());
    assert!(out.stderr().contains("DATABASE_URL"), "{}", out.stderr());
    assert!(!out.stderr().contains(":pw@"), "{}", out.stderr());
}

#[test]
fn an_unknown_config_key_stops_start_up_and_is_named() {
    let db = TestDatabase::new();
    let file = db.data_dir().join("duban.toml");
    std::fs::write(&file, "[server]\nbnid = \"0.0.0.0:80\"\n").unwrap();
    let out = db.cli_with(&["serve"], &[("DUBAN_CONFIG", file.to_str().unwrap())]);
    assert!(!out.success());
    assert!(out.stderr().contains("server.bnid"), "{}", out.stderr());
}

#[test]
fn migrate_brings_a_new_database_up_to_date() {
    let db = TestDatabase::new();
    let out = db.cli(&["migrate"]);
    assert!(out.success(), "{}", out.stderr());
    assert!(out.stdout().contains("up to date"));
    // Running it again is harmless.
    assert!(db.cli(&["migrate"]).success());
}
