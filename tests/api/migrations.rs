//! The two backends' migrations and the compiled-in templates stay in step with the tree.

use std::collections::BTreeSet;

use crate::helpers::repo_path;

fn entries(dir: &str) -> BTreeSet<String> {
    std::fs::read_dir(repo_path(dir))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn the_migration_folders_hold_the_same_migrations() {
    let sqlite = entries("migrations/sqlite");
    let postgres = entries("migrations/postgres");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres);
    for name in &sqlite {
        for half in ["up.sql", "down.sql"] {
            for backend in ["sqlite", "postgres"] {
                let path = repo_path(&format!("migrations/{backend}/{name}/{half}"));
                assert!(path.is_file(), "{} is missing", path.display());
            }
        }
    }
}

#[test]
fn every_template_file_is_compiled_in() {
    let mut files = Vec::new();
    let mut stack = vec![repo_path("templates")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "hbs") {
                files.push(path);
            }
        }
    }
    let sources: Vec<&str> = duban::web::templates::TEMPLATES
        .iter()
        .chain(duban::mail::templates::TEMPLATES)
        .map(|(_, s)| *s)
        .collect();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        assert!(
            sources.contains(&text.as_str()),
            "{} is not registered in web::templates::TEMPLATES or mail::templates::TEMPLATES",
            file.display()
        );
    }
    assert_eq!(files.len(), sources.len());
}

/// Every `{{t "…"}}` in a template names a text both catalogs have, and every catalog file
/// is compiled in.
#[test]
fn every_text_a_template_names_is_in_both_catalogs() {
    use duban::i18n::{Catalog, Lang};
    let catalog = Catalog::get();
    let pattern = regex::Regex::new(r#"\{\{~?t "([a-z0-9_.]+)"(\s+[a-z_]+=|\s*~?\}\})"#).unwrap();
    let sources = duban::web::templates::TEMPLATES
        .iter()
        .chain(duban::mail::templates::TEMPLATES);
    let mut checked = 0;
    for (name, source) in sources {
        for cap in pattern.captures_iter(source) {
            let key = &cap[1];
            for lang in Lang::ALL {
                assert!(
                    catalog.text(lang, key).is_some(),
                    "template {name}: no {} text for {key}",
                    lang.code()
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 10, "only {checked} texts found");

    let mut files = Vec::new();
    for lang in ["zh", "en"] {
        for entry in std::fs::read_dir(repo_path("locales").join(lang)).unwrap() {
            let path = entry.unwrap().path();
            let area = path.file_stem().unwrap().to_str().unwrap().to_string();
            files.push((lang.to_string(), area));
        }
    }
    for (lang, area) in &files {
        assert!(
            duban::i18n::FILES
                .iter()
                .any(|(l, a, _)| l == lang && a == area),
            "locales/{lang}/{area}.toml is not listed in i18n::FILES"
        );
    }
    assert_eq!(files.len(), duban::i18n::FILES.len());
}
