//! Parse time of the bundled plan: `cargo bench --bench parse`.
//! A plain timing loop (no benchmark framework), reporting the mean and the fastest run.

use std::time::{Duration, Instant};

const SEED: &str = include_str!("../config/documents/tacheng-2018-10-employment.txt");

fn main() {
    // Warm up, and make sure the document parses.
    let doc = duban::domain::importer::parse(SEED).expect("the seed parses");
    assert_eq!(doc.measures.len(), 29);
    let runs = 500;
    let mut fastest = Duration::MAX;
    let start = Instant::now();
    for _ in 0..runs {
        let t = Instant::now();
        let doc = duban::domain::importer::parse(std::hint::black_box(SEED)).unwrap();
        std::hint::black_box(doc);
        fastest = fastest.min(t.elapsed());
    }
    let mean = start.elapsed() / runs;
    println!(
        "parse seed ({} bytes, 29 measures): mean {:?}, fastest {:?} over {runs} runs",
        SEED.len(),
        mean,
        fastest
    );
}
