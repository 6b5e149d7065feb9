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

/// Text and its background meet WCAG AA contrast (4.5:1) for the stylesheet's colour pairs:
/// body text, muted text, links, the navigation, and every light.
#[test]
fn the_stylesheet_colours_have_sufficient_contrast() {
    let css = std::fs::read_to_string(repo_path("assets/app.css")).unwrap();
    let var = |name: &str| -> String {
        let re = regex::Regex::new(&format!(r"--{name}:\s*(#[0-9a-fA-F]{{6}})")).unwrap();
        re.captures(&css)
            .unwrap_or_else(|| panic!("--{name} in app.css"))[1]
            .to_string()
    };
    let luminance = |hex: &str| {
        let c = |i: usize| {
            let v = u8::from_str_radix(&hex[i..i + 2], 16).unwrap() as f64 / 255.0;
            if v <= 0.03928 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * c(1) + 0.7152 * c(3) + 0.0722 * c(5)
    };
    let ratio = |a: &str, b: &str| {
        let (x, y) = (luminance(a), luminance(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    };
    let mut pairs = vec![
        ("body text", var("ink"), var("bg")),
        ("muted text", var("muted"), var("bg")),
        ("muted text on a card", var("muted"), var("card")),
        ("links", var("link"), var("card")),
        ("navigation", "#ffffff".to_string(), var("brand")),
        ("warning tag", var("warn-ink"), var("warn-bg")),
    ];
    let light = regex::Regex::new(
        r"\.light-(\w+) \{ color: (#[0-9a-fA-F]{6}); background: (#[0-9a-fA-F]{6});",
    )
    .unwrap();
    let lights: Vec<_> = light.captures_iter(&css).collect();
    assert!(lights.len() >= 4, "the lights' colours are found");
    for c in &lights {
        pairs.push(("a light", c[2].to_string(), c[3].to_string()));
    }
    for (what, fg, bg) in pairs {
        let r = ratio(&fg, &bg);
        assert!(r >= 4.5, "{what}: {fg} on {bg} is only {r:.1}:1");
    }
}
