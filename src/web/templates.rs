//! Handlebars, set up once: every template compiled into the binary, strict mode (a missing
//! field is an error, not an empty string), HTML escaping on. One layout, partials, and a
//! typed page context.

use handlebars::Handlebars;
use serde::Serialize;

use crate::error::AppError;
use crate::i18n::Lang;
use crate::web::auth::Viewer;

/// Every template, by name. A test checks that each file under `templates/` is listed here.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("layout", include_str!("../../templates/layout.hbs")),
    (
        "admin_import",
        include_str!("../../templates/pages/admin_import.hbs"),
    ),
    (
        "admin_import_preview",
        include_str!("../../templates/pages/admin_import_preview.hbs"),
    ),
    (
        "admin_outbox",
        include_str!("../../templates/pages/admin_outbox.hbs"),
    ),
    (
        "admin_reminders",
        include_str!("../../templates/pages/admin_reminders.hbs"),
    ),
    (
        "circular_form",
        include_str!("../../templates/pages/circular_form.hbs"),
    ),
    (
        "circular",
        include_str!("../../templates/pages/circular.hbs"),
    ),
    (
        "admin_calendar",
        include_str!("../../templates/pages/admin_calendar.hbs"),
    ),
    (
        "scorecard",
        include_str!("../../templates/pages/scorecard.hbs"),
    ),
    (
        "scorecard_body",
        include_str!("../../templates/pages/scorecard_body.hbs"),
    ),
    (
        "score_breakdown",
        include_str!("../../templates/pages/score_breakdown.hbs"),
    ),
    ("now", include_str!("../../templates/partials/now.hbs")),
    ("grid", include_str!("../../templates/partials/grid.hbs")),
    (
        "report_text",
        include_str!("../../templates/partials/report_text.hbs"),
    ),
    (
        "event_text",
        include_str!("../../templates/partials/event_text.hbs"),
    ),
    ("feed", include_str!("../../templates/partials/feed.hbs")),
    (
        "instructions",
        include_str!("../../templates/partials/instructions.hbs"),
    ),
    (
        "desk_rows",
        include_str!("../../templates/partials/desk_rows.hbs"),
    ),
    (
        "obligation",
        include_str!("../../templates/pages/obligation.hbs"),
    ),
    (
        "admin_reviews",
        include_str!("../../templates/pages/admin_reviews.hbs"),
    ),
    (
        "admin_extensions",
        include_str!("../../templates/pages/admin_extensions.hbs"),
    ),
    (
        "user_fields",
        include_str!("../../templates/partials/user_fields.hbs"),
    ),
    (
        "measure_table",
        include_str!("../../templates/partials/measure_table.hbs"),
    ),
    ("index", include_str!("../../templates/pages/index.hbs")),
    (
        "document",
        include_str!("../../templates/pages/document.hbs"),
    ),
    ("measure", include_str!("../../templates/pages/measure.hbs")),
    (
        "departments",
        include_str!("../../templates/pages/departments.hbs"),
    ),
    (
        "department",
        include_str!("../../templates/pages/department.hbs"),
    ),
    ("error", include_str!("../../templates/pages/error.hbs")),
    ("ledger", include_str!("../../templates/pages/ledger.hbs")),
    (
        "ledger_print",
        include_str!("../../templates/pages/ledger_print.hbs"),
    ),
    ("login", include_str!("../../templates/pages/login.hbs")),
    (
        "account_password",
        include_str!("../../templates/pages/account_password.hbs"),
    ),
    (
        "admin_users",
        include_str!("../../templates/pages/admin_users.hbs"),
    ),
    (
        "admin_user",
        include_str!("../../templates/pages/admin_user.hbs"),
    ),
    (
        "admin_department",
        include_str!("../../templates/pages/admin_department.hbs"),
    ),
    (
        "admin_tokens",
        include_str!("../../templates/pages/admin_tokens.hbs"),
    ),
    (
        "admin_audit",
        include_str!("../../templates/pages/admin_audit.hbs"),
    ),
];

/// The signed-in person, as the layout shows them.
#[derive(Debug, Clone, Serialize)]
pub struct UserView {
    pub username: String,
    pub display_name: String,
    pub role_label: &'static str,
    /// admin, liaison or leader.
    pub role: &'static str,
    pub is_admin: bool,
    pub can_score: bool,
    /// A liaison's own unit, whose score they may read (本单位考核).
    pub own_score: Option<i32>,
    pub department: Option<String>,
    /// The office's waiting counts, beside the navigation's entries.
    pub waiting: Option<crate::read::workbench::Waiting>,
}

/// What every page template receives.
#[derive(Debug, Serialize)]
pub struct Page<T: Serialize> {
    pub title: String,
    /// Which main navigation entry is current.
    pub nav: &'static str,
    pub user: Option<UserView>,
    /// The session's CSRF token, for the forms on the page.
    pub csrf: Option<String>,
    pub flash: Option<String>,
    /// Interface language: the `t` helper reads it.
    pub lang: &'static str,
    pub html_lang: &'static str,
    pub data: T,
}

impl<T: Serialize> Page<T> {
    /// A page for someone not signed in (login, errors).
    pub fn new(title: impl Into<String>, nav: &'static str, data: T) -> Self {
        Page {
            title: title.into(),
            nav,
            user: None,
            csrf: None,
            flash: None,
            lang: Lang::Zh.code(),
            html_lang: Lang::Zh.html(),
            data,
        }
    }

    /// The same page in another language.
    pub fn in_lang(mut self, lang: Lang) -> Self {
        self.lang = lang.code();
        self.html_lang = lang.html();
        self
    }

    /// A page for a signed-in person.
    pub fn for_viewer(
        viewer: &Viewer,
        title: impl Into<String>,
        nav: &'static str,
        data: T,
    ) -> Self {
        let u = &viewer.user;
        Page {
            title: title.into(),
            nav,
            user: Some(UserView {
                username: u.username.clone(),
                display_name: u.display_name.clone(),
                role_label: u.role.label(),
                role: u.role.as_str(),
                is_admin: u.is_admin(),
                can_score: crate::authz::allows(u, crate::authz::Action::ReadScorecard),
                own_score: u
                    .department_id
                    .filter(|_| u.role == crate::domain::accounts::Role::Liaison),
                department: u.department.clone(),
                waiting: viewer.waiting,
            }),
            csrf: Some(viewer.csrf.clone()),
            flash: viewer.flash.clone(),
            lang: viewer.lang.code(),
            html_lang: viewer.lang.html(),
            data,
        }
    }
}

pub struct Templates {
    registry: Handlebars<'static>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates").finish_non_exhaustive()
    }
}

/// `{{time value}}`: a stored UTC timestamp as the office reads it, `2026-03-02 09:00` in
/// the configured time zone. Null prints nothing.
struct LocalTime(chrono_tz::Tz);

impl handlebars::HelperDef for LocalTime {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &handlebars::Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc handlebars::Context,
        _: &mut handlebars::RenderContext<'reg, 'rc>,
        out: &mut dyn handlebars::Output,
    ) -> handlebars::HelperResult {
        use chrono::TimeZone;
        let value = h.param(0).map(|p| p.value());
        let Some(text) = value.and_then(|v| v.as_str()) else {
            return Ok(());
        };
        let shown = match chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
            Ok(t) => self
                .0
                .from_utc_datetime(&t)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            Err(_) => text.to_string(),
        };
        out.write(&handlebars::html_escape(&shown))?;
        Ok(())
    }
}

// `{{size bytes}}`: a file size in KB or MB.
handlebars::handlebars_helper!(file_size: |bytes: i64| crate::domain::text::human_size(bytes));
// Whether a list holds a value: `{{#if (includes list value)}}`.
handlebars::handlebars_helper!(includes: |list: array, value: Json| list.contains(value));
// Whether a file of this type may be looked at in the page (PDF, PNG, JPEG).
handlebars::handlebars_helper!(previewable: |mime: str| crate::domain::reporting::previewable(mime));

impl Templates {
    /// `tz` is the office's time zone, in which times are shown.
    pub fn new(tz: chrono_tz::Tz) -> Result<Self, Box<handlebars::TemplateError>> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.set_prevent_indent(true);
        registry.register_helper("time", Box::new(LocalTime(tz)));
        registry.register_helper("t", Box::new(crate::i18n::TextHelper));
        registry.register_helper("size", Box::new(file_size));
        registry.register_helper("includes", Box::new(includes));
        registry.register_helper("previewable", Box::new(previewable));
        for (name, source) in TEMPLATES {
            registry
                .register_template_string(name, source)
                .map_err(Box::new)?;
        }
        Ok(Templates { registry })
    }

    /// Draws a page: its own template first, then the layout around what it drew. (A page
    /// that included the layout as a partial would have the whole page's data copied for the
    /// partial and again for its content block.)
    pub fn render<T: Serialize>(&self, name: &str, page: &Page<T>) -> Result<String, AppError> {
        let content = self.content(name, page)?;
        self.layout(page, &content)
    }

    /// A page's own template, without the layout.
    pub fn content<T: Serialize>(&self, name: &str, page: &Page<T>) -> Result<String, AppError> {
        Ok(self.registry.render(name, page)?)
    }

    /// A page drawn to be kept: its title and its own template's output.
    pub fn draw<T: Serialize>(
        &self,
        name: &str,
        page: Page<T>,
    ) -> Result<crate::web::cache::Drawn, AppError> {
        Ok(crate::web::cache::Drawn {
            html: self.content(name, &page)?,
            title: page.title,
        })
    }

    /// The layout (header, navigation, flash message) around a page's drawn content.
    pub fn layout<T: Serialize>(&self, page: &Page<T>, content: &str) -> Result<String, AppError> {
        #[derive(Serialize)]
        struct Layout<'a> {
            title: &'a str,
            nav: &'static str,
            user: &'a Option<UserView>,
            csrf: &'a Option<String>,
            flash: &'a Option<String>,
            lang: &'static str,
            html_lang: &'static str,
            content: &'a str,
        }
        Ok(self.registry.render(
            "layout",
            &Layout {
                title: &page.title,
                nav: page.nav,
                user: &page.user,
                csrf: &page.csrf,
                flash: &page.flash,
                lang: page.lang,
                html_lang: page.html_lang,
                content,
            },
        )?)
    }

    /// Renders a part of a page that does not depend on who reads it (no user, no CSRF
    /// token): `data` and the language, as `{{data.…}}` and the `t` helper expect them.
    pub fn render_part<T: Serialize>(
        &self,
        name: &str,
        lang: Lang,
        data: &T,
    ) -> Result<String, AppError> {
        #[derive(Serialize)]
        struct Part<'a, T> {
            lang: &'static str,
            data: &'a T,
        }
        Ok(self.registry.render(
            name,
            &Part {
                lang: lang.code(),
                data,
            },
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_show_in_the_office_time_zone() {
        let mut hbs = Handlebars::new();
        hbs.register_helper("time", Box::new(LocalTime(chrono_tz::Asia::Shanghai)));
        let out = hbs
            .render_template(
                "{{time a}}|{{time b}}",
                &serde_json::json!({"a": "2026-04-10T16:30:00.123", "b": null}),
            )
            .unwrap();
        assert_eq!(out, "2026-04-11 00:30|");
    }

    #[test]
    fn every_template_compiles() {
        Templates::new(chrono_tz::Asia::Shanghai).unwrap();
    }
}
