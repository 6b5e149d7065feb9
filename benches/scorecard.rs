//! Scorecard build and render time, and its query count, on a database made by
//! `duban demo-data` (see benches/scorecard.sh). Reads DATABASE_URL.

use std::time::{Duration, Instant};

use diesel::Connection;
use duban::config::Settings;
use duban::db::QueryCounter;
use duban::read::progress::LightRules;
use duban::web::templates::{Page, Templates};

fn main() {
    let settings = Settings::from_env().expect("settings");
    let mut conn = duban::startup::open_connection(&settings).expect("database");
    let today = duban::clock::local_date(chrono::Utc::now().naive_utc(), settings.timezone);
    let templates = Templates::new(settings.timezone).expect("templates");
    let counter = QueryCounter::default();
    conn.set_instrumentation(counter.clone());
    let query = serde_urlencoded::from_str("document=1").unwrap();

    let run = |conn: &mut duban::db::DbConn| {
        counter.reset();
        let rules = LightRules::load(conn, today, settings.reporting.yellow_days).unwrap();
        let view = duban::read::scorecard::load(
            conn,
            &query,
            &rules,
            &settings.scoring,
            settings.timezone,
        )
        .unwrap();
        let departments = view.rows.len();
        let html = templates
            .render("scorecard", &Page::new("考核评分", "scorecard", view))
            .unwrap();
        (counter.count(), departments, html.len())
    };
    let (queries, departments, bytes) = run(&mut conn);
    let runs = 20;
    let mut fastest = Duration::MAX;
    let start = Instant::now();
    for _ in 0..runs {
        let t = Instant::now();
        std::hint::black_box(run(&mut conn));
        fastest = fastest.min(t.elapsed());
    }
    println!(
        "scorecard of document 1 ({departments} departments, {bytes} bytes of HTML): \
         mean {:?}, fastest {:?} over {runs} runs, {queries} queries",
        start.elapsed() / runs,
        fastest
    );
}
