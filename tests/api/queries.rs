//! Pages load in a fixed number of queries: the count does not grow with the data.

use diesel::Connection;
use duban::db::{documents, QueryCounter};
use duban::domain::importer;
use duban::read::progress::LightRules;
use duban::read::views;

use crate::helpers::{fixed_now, repo_path, TestDatabase};

fn import(conn: &mut duban::db::DbConn, rel: &str) -> i32 {
    let text = std::fs::read_to_string(repo_path(rel)).unwrap();
    let parsed = importer::parse(&text).unwrap();
    documents::store(conn, &parsed, &text, false, "test", fixed_now())
        .unwrap()
        .document_id
}

#[test]
fn query_counts_do_not_grow_with_measures_or_departments() {
    let db = TestDatabase::new();
    let pool = db.pool();
    let mut conn = pool.get().unwrap();
    let small = import(&mut conn, "tests/fixtures/convention-a-fullwidth.txt");
    let large = import(&mut conn, "config/documents/tacheng-2018-10-employment.txt");
    let rules = LightRules::load(&mut conn, fixed_now().date(), 7).unwrap();
    let counter = QueryCounter::default();
    conn.set_instrumentation(counter.clone());

    let measure = |conn: &mut duban::db::DbConn, f: &dyn Fn(&mut duban::db::DbConn)| {
        counter.reset();
        f(conn);
        counter.count()
    };
    let doc_small = measure(&mut conn, &|c| {
        views::document(c, small, &rules).unwrap();
    });
    let doc_large = measure(&mut conn, &|c| {
        views::document(c, large, &rules).unwrap();
    });
    assert_eq!(doc_small, doc_large, "document page");
    assert!(doc_large <= 8, "document page: {doc_large} queries");

    let api_small = measure(&mut conn, &|c| {
        views::measure_items(c, Some(small), &rules).unwrap();
    });
    let api_large = measure(&mut conn, &|c| {
        views::measure_items(c, Some(large), &rules).unwrap();
    });
    assert_eq!(api_small, api_large, "measures API");
    assert_eq!(api_large, 3, "measures, assignments, obligations");

    let directory = measure(&mut conn, &|c| {
        views::directory(c).unwrap();
    });
    assert!(directory <= 4, "directory: {directory} queries");
    println!("queries: document page {doc_large}, measures API {api_large}, directory {directory}");
}
