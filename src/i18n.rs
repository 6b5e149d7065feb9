//! Message catalogs (界面文字): every string the interface and the emails show, by key, in
//! Chinese (the default) and English. Catalogs are `locales/<lang>/<area>.toml`, compiled
//! in; a key is `<area>.<name>` (nested tables add more dots). Texts may hold `{name}`
//! placeholders, filled from a template's hash arguments.
//!
//! Templates write `{{t "area.name"}}`, `{{t "area.name" count=n}}`, or `{{t "common.light" light}}`
//! for an enumerated value (the key becomes `light.<value>`). A missing key is a render
//! error, so a page never shows a raw key.

use std::collections::HashMap;
use std::sync::LazyLock;

use handlebars::{
    Context, Handlebars, Helper, HelperDef, RenderContext, RenderError, RenderErrorReason,
    ScopedJson,
};
use serde::Serialize;

/// An interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Zh, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The value of `<html lang>`.
    pub fn html(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "zh-hans" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The first supported language of an `Accept-Language` header, by its q-values;
    /// Chinese when none is supported.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut ranges: Vec<(f32, usize, Lang)> = header
            .split(',')
            .enumerate()
            .filter_map(|(i, part)| {
                let mut pieces = part.split(';');
                let tag = pieces.next()?.trim().to_ascii_lowercase();
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q=").map(str::to_string))
                    .map_or(Some(1.0), |q| q.parse::<f32>().ok())?;
                let primary = tag.split('-').next().unwrap_or_default();
                let lang = match primary {
                    "zh" => Lang::Zh,
                    "en" => Lang::En,
                    _ => return None,
                };
                (q > 0.0).then_some((q, i, lang))
            })
            .collect();
        ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        ranges.first().map_or(Lang::Zh, |r| r.2)
    }
}

/// The catalog files, by language and area. A test checks that each file under `locales/`
/// is listed here.
pub const FILES: &[(&str, &str, &str)] = &[
    ("zh", "common", include_str!("../locales/zh/common.toml")),
    ("en", "common", include_str!("../locales/en/common.toml")),
    ("zh", "login", include_str!("../locales/zh/login.toml")),
    ("en", "login", include_str!("../locales/en/login.toml")),
    ("zh", "plan", include_str!("../locales/zh/plan.toml")),
    ("en", "plan", include_str!("../locales/en/plan.toml")),
    (
        "zh",
        "reporting",
        include_str!("../locales/zh/reporting.toml"),
    ),
    (
        "en",
        "reporting",
        include_str!("../locales/en/reporting.toml"),
    ),
    (
        "zh",
        "scorecard",
        include_str!("../locales/zh/scorecard.toml"),
    ),
    (
        "en",
        "scorecard",
        include_str!("../locales/en/scorecard.toml"),
    ),
    ("zh", "admin", include_str!("../locales/zh/admin.toml")),
    ("en", "admin", include_str!("../locales/en/admin.toml")),
    ("zh", "email", include_str!("../locales/zh/email.toml")),
    ("en", "email", include_str!("../locales/en/email.toml")),
    ("zh", "import", include_str!("../locales/zh/import.toml")),
    ("en", "import", include_str!("../locales/en/import.toml")),
    ("zh", "service", include_str!("../locales/zh/service.toml")),
    ("en", "service", include_str!("../locales/en/service.toml")),
    ("zh", "web", include_str!("../locales/zh/web.toml")),
    ("en", "web", include_str!("../locales/en/web.toml")),
    ("zh", "domain", include_str!("../locales/zh/domain.toml")),
    ("en", "domain", include_str!("../locales/en/domain.toml")),
    ("zh", "ledger", include_str!("../locales/zh/ledger.toml")),
    ("en", "ledger", include_str!("../locales/en/ledger.toml")),
];

/// Both languages' texts, by full key: one map per language, so a lookup borrows the key
/// instead of building one (a page makes hundreds).
pub struct Catalog {
    texts: [HashMap<String, String>; 2],
}

fn slot(lang: Lang) -> usize {
    match lang {
        Lang::Zh => 0,
        Lang::En => 1,
    }
}

fn flatten(
    prefix: &str,
    table: &toml::Table,
    out: &mut Vec<(String, String)>,
) -> Result<(), String> {
    for (k, v) in table {
        let key = format!("{prefix}.{k}");
        match v {
            toml::Value::String(s) => out.push((key, s.clone())),
            toml::Value::Table(t) => flatten(&key, t, out)?,
            _ => return Err(format!("{key}: a text must be a string")),
        }
    }
    Ok(())
}

impl Catalog {
    pub fn from_files(files: &[(&str, &str, &str)]) -> Result<Catalog, String> {
        let mut texts = [HashMap::new(), HashMap::new()];
        for (lang, area, source) in files {
            let l = Lang::parse(lang).ok_or_else(|| format!("unknown language {lang}"))?;
            let table: toml::Table = source.parse().map_err(|e: toml::de::Error| {
                format!("locales/{lang}/{area}.toml: {}", e.message())
            })?;
            let mut entries = Vec::new();
            flatten(area, &table, &mut entries)
                .map_err(|e| format!("locales/{lang}/{area}.toml: {e}"))?;
            for (key, text) in entries {
                if texts[slot(l)].insert(key.clone(), text).is_some() {
                    return Err(format!("{key} is defined twice for {lang}"));
                }
            }
        }
        Ok(Catalog { texts })
    }

    /// The catalogs compiled in.
    pub fn get() -> &'static Catalog {
        static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
            Catalog::from_files(FILES).expect("the compiled-in catalogs are valid")
        });
        &CATALOG
    }

    pub fn text(&self, lang: Lang, key: &str) -> Option<&str> {
        self.texts[slot(lang)].get(key).map(String::as_str)
    }

    /// Every key of a language.
    pub fn keys(&self, lang: Lang) -> Vec<&str> {
        let mut keys: Vec<&str> = self.texts[slot(lang)].keys().map(String::as_str).collect();
        keys.sort_unstable();
        keys
    }
}

tokio::task_local! {
    /// The language of the request being handled (set by `web::language_scope`, refined by
    /// the sign-in extractor to the person's own choice).
    static REQUEST: std::rc::Rc<std::cell::Cell<Lang>>;
}

thread_local! {
    /// The language on a blocking thread doing a request's database work.
    static BLOCKING: std::cell::Cell<Option<Lang>> = const { std::cell::Cell::new(None) };
}

/// The language messages are written in here: the request's, or Chinese outside requests
/// (the command line, the reminder scheduler).
pub fn current() -> Lang {
    BLOCKING
        .with(|b| b.get())
        .or_else(|| REQUEST.try_with(|c| c.get()).ok())
        .unwrap_or_default()
}

/// Runs `fut` with `lang` as the request's language.
pub fn scope<F: std::future::Future>(
    lang: Lang,
    fut: F,
) -> impl std::future::Future<Output = F::Output> {
    REQUEST.scope(std::rc::Rc::new(std::cell::Cell::new(lang)), fut)
}

/// Refines the request's language (once the person is known).
pub fn set_current(lang: Lang) {
    let _ = REQUEST.try_with(|c| c.set(lang));
}

/// Runs blocking work in `lang` (captured by the caller from the request).
pub fn with_lang<T>(lang: Lang, f: impl FnOnce() -> T) -> T {
    let previous = BLOCKING.with(|b| b.replace(Some(lang)));
    let out = f();
    BLOCKING.with(|b| b.set(previous));
    out
}

/// A message in the current language: `tr("web.x", &[("name", value)])`.
pub fn tr(key: &str, args: &[(&str, &str)]) -> String {
    t(current(), key, args)
}

/// A catalog text without placeholders in the current language, borrowed from the
/// compiled-in catalogs (empty, with a warning, when it is missing).
pub fn text(key: &str) -> &'static str {
    Catalog::get().text(current(), key).unwrap_or_else(|| {
        tracing::warn!("missing text {key}");
        ""
    })
}

/// A text with its `{name}` placeholders filled; the key itself when it is missing (for
/// code paths that cannot fail; templates fail instead).
pub fn t(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    match Catalog::get().text(lang, key) {
        Some(text) => fill(text, |name| {
            args.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }),
        None => {
            tracing::warn!("missing text {key} ({})", lang.code());
            key.to_string()
        }
    }
}

/// Replaces `{name}` with `value(name)`; an unknown placeholder is left as it is.
fn fill(text: &str, mut value: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close)
                if after[..close]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                let name = &after[..close];
                match value(name) {
                    Some(v) => out.push_str(&v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The placeholders of a text, sorted.
pub fn placeholders(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    fill(text, |name| {
        names.push(name.to_string());
        None
    });
    names.sort();
    names.dedup();
    names
}

/// `{{t "key" [value] name=…}}`: the text in the language named by the root context's
/// `lang` ("zh" or "en"; Chinese when absent). A second positional argument is appended to
/// the key after a dot, for enumerated values.
pub struct TextHelper;

impl HelperDef for TextHelper {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let key = h
            .param(0)
            .and_then(|p| p.value().as_str())
            .ok_or_else(|| RenderErrorReason::ParamNotFoundForIndex("t", 0))?;
        let key = match h.param(1).map(|p| p.value()) {
            Some(serde_json::Value::String(v)) => format!("{key}.{v}"),
            Some(serde_json::Value::Number(n)) => format!("{key}.{n}"),
            Some(serde_json::Value::Bool(b)) => format!("{key}.{b}"),
            Some(serde_json::Value::Null) | None => key.to_string(),
            Some(other) => {
                return Err(RenderErrorReason::Other(format!("t: bad value {other}")).into())
            }
        };
        let lang = ctx
            .data()
            .get("lang")
            .and_then(|l| l.as_str())
            .and_then(Lang::parse)
            .unwrap_or_default();
        let text = Catalog::get().text(lang, &key).ok_or_else(|| {
            RenderErrorReason::Other(format!("no text `{key}` in locales/{}", lang.code()))
        })?;
        let filled = fill(text, |name| {
            h.hash_get(name).map(|v| match v.value() {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
        });
        Ok(ScopedJson::Derived(serde_json::Value::String(filled)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_first_supported_by_quality() {
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Lang::En);
        assert_eq!(
            Lang::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"),
            Lang::Zh
        );
        assert_eq!(
            Lang::from_accept_language("fr;q=1, en;q=0.5, zh;q=0.7"),
            Lang::Zh
        );
        assert_eq!(Lang::from_accept_language("de, en;q=0.1"), Lang::En);
        assert_eq!(Lang::from_accept_language("de"), Lang::Zh);
        assert_eq!(Lang::from_accept_language("en;q=0, zh;q=0.1"), Lang::Zh);
        assert_eq!(Lang::from_accept_language(""), Lang::Zh);
    }

    #[test]
    fn both_languages_have_the_same_keys_and_placeholders() {
        let c = Catalog::get();
        let zh = c.keys(Lang::Zh);
        let en = c.keys(Lang::En);
        let only_zh: Vec<_> = zh.iter().filter(|k| !en.contains(k)).collect();
        let only_en: Vec<_> = en.iter().filter(|k| !zh.contains(k)).collect();
        assert!(only_zh.is_empty(), "no English for {only_zh:?}");
        assert!(only_en.is_empty(), "no Chinese for {only_en:?}");
        for key in zh {
            let a = placeholders(c.text(Lang::Zh, key).unwrap());
            let b = placeholders(c.text(Lang::En, key).unwrap());
            assert_eq!(a, b, "placeholders of {key}");
        }
    }

    #[test]
    fn no_text_starts_with_a_field_code() {
        // "percent：…" says which field to a programmer, not to the person typing; forms show
        // a message beside its field and the API names the field apart.
        let c = Catalog::get();
        for lang in [Lang::Zh, Lang::En] {
            for key in c.keys(lang) {
                let text = c.text(lang, key).unwrap();
                let code: String = text
                    .chars()
                    .take_while(|ch| ch.is_ascii_lowercase() || *ch == '_')
                    .collect();
                let rest = &text[code.len()..];
                assert!(
                    code.is_empty() || !(rest.starts_with('：') || rest.starts_with(": ")),
                    "{key} in {lang:?} starts with the code `{code}`: {text}"
                );
            }
        }
    }

    #[test]
    fn blocking_work_speaks_the_language_it_was_given() {
        assert_eq!(current(), Lang::Zh);
        assert_eq!(
            with_lang(Lang::En, || tr("common.sign_out", &[])),
            "Sign out"
        );
        assert_eq!(tr("common.sign_out", &[]), "退出", "and only there");
    }

    #[test]
    fn texts_fill_their_placeholders_and_templates_fail_on_a_missing_key() {
        assert_eq!(
            fill("共 {n} 项，{who}", |k| (k == "n").then(|| "3".into())),
            "共 3 项，{who}"
        );
        assert_eq!(fill("a {b", |_| None), "a {b");
        let mut hbs = Handlebars::new();
        hbs.register_helper("t", Box::new(TextHelper));
        let out = hbs
            .render_template(
                "{{t \"common.sign_out\"}}|{{t \"common.light\" l}}",
                &serde_json::json!({"lang": "en", "l": "red"}),
            )
            .unwrap();
        assert_eq!(out, "Sign out|Overdue");
        let zh = hbs
            .render_template("{{t \"common.sign_out\"}}", &serde_json::json!({}))
            .unwrap();
        assert_eq!(zh, "退出");
        assert!(hbs
            .render_template("{{t \"common.no_such_text\"}}", &serde_json::json!({}))
            .is_err());
    }
}
