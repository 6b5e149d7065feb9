//! Parse times: `cargo bench --bench parse`. A plain timing loop (no benchmark framework),
//! reporting the mean and the fastest run of each case: the bundled plan as text and as a
//! `.docx` (reading the file included), a 50-row task-division table, and an admin's 2 MB
//! paste naming 60,000 units.

use std::time::{Duration, Instant};

use duban::domain::importer::{self, formats};

const SEED: &str = include_str!("../config/documents/tacheng-2018-10-employment.txt");

fn time(name: &str, runs: u32, f: &dyn Fn()) {
    f();
    let mut fastest = Duration::MAX;
    let start = Instant::now();
    for _ in 0..runs {
        let t = Instant::now();
        f();
        fastest = fastest.min(t.elapsed());
    }
    println!(
        "{name}: mean {:?}, fastest {:?} over {runs} runs",
        start.elapsed() / runs,
        fastest
    );
}

fn main() {
    let doc = importer::parse(SEED).expect("the seed parses");
    assert_eq!(doc.measures.len(), 29);
    time(
        &format!("seed as text ({} bytes, 29 measures)", SEED.len()),
        300,
        &|| {
            std::hint::black_box(importer::parse(std::hint::black_box(SEED)).unwrap());
        },
    );

    let docx = formats::samples::docx_of_text(SEED);
    time(
        &format!("seed as .docx ({} bytes), read and parsed", docx.len()),
        300,
        &|| {
            std::hint::black_box(importer::parse_bytes(std::hint::black_box(&docx)).unwrap());
        },
    );

    let mut table = String::from("序号\t重点任务\t牵头单位\t配合单位\t完成时限\n");
    for i in 1..=50 {
        table.push_str(&format!(
            "{i}\t落实第{i}项重点任务，建立工作台账，按月调度推进。\t市人社局\t市财政局、市发改委、市教育局\t2019年{}月底前\n",
            i % 12 + 1
        ));
    }
    assert_eq!(importer::parse(&table).unwrap().measures.len(), 50);
    time("task-division table, 50 rows", 300, &|| {
        std::hint::black_box(importer::parse(std::hint::black_box(&table)).unwrap());
    });

    let units: Vec<String> = (0..60_000).map(|i| format!("第{i}号单位")).collect();
    let huge = format!("一、总体\n1.做好工作。（{}负责）\n", units.join("、"));
    time(
        &format!(
            "a {:.1} MB paste naming 60,000 units",
            huge.len() as f64 / 1e6
        ),
        5,
        &|| {
            std::hint::black_box(importer::parse(std::hint::black_box(&huge)).unwrap());
        },
    );
}
