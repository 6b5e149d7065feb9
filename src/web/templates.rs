//! Handlebars, set up once: every template compiled into the binary, strict mode (a missing
//! field is an error, not an empty string), HTML escaping on. One layout, partials, and a
//! typed page context.

use handlebars::Handlebars;
use serde::Serialize;

use crate::error::AppError;

/// Every template, by name. A test checks that each file under `templates/` is listed here.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("layout", include_str!("../../templates/layout.hbs")),
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
];

/// The signed-in person, as pages show them. Filled in once accounts exist; pages already
/// carry the slot so that nothing changes shape when they do.
#[derive(Debug, Clone, Serialize)]
pub struct CurrentUser {
    pub username: String,
    pub display_name: String,
    pub role: String,
}

/// What every page template receives.
#[derive(Debug, Serialize)]
pub struct Page<T: Serialize> {
    pub title: String,
    /// Which main navigation entry is current.
    pub nav: &'static str,
    pub user: Option<CurrentUser>,
    pub flash: Option<String>,
    pub data: T,
}

impl<T: Serialize> Page<T> {
    pub fn new(title: impl Into<String>, nav: &'static str, data: T) -> Self {
        Page {
            title: title.into(),
            nav,
            user: None,
            flash: None,
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

impl Templates {
    pub fn new() -> Result<Self, Box<handlebars::TemplateError>> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.set_prevent_indent(true);
        for (name, source) in TEMPLATES {
            registry
                .register_template_string(name, source)
                .map_err(Box::new)?;
        }
        Ok(Templates { registry })
    }

    pub fn render<T: Serialize>(&self, name: &str, page: &Page<T>) -> Result<String, AppError> {
        Ok(self.registry.render(name, page)?)
    }
}
