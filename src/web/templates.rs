//! Handlebars, set up once: every template compiled into the binary, strict mode (a missing
//! field is an error, not an empty string), HTML escaping on. One layout, partials, and a
//! typed page context.

use handlebars::Handlebars;
use serde::Serialize;

use crate::error::AppError;
use crate::web::auth::Viewer;

/// Every template, by name. A test checks that each file under `templates/` is listed here.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("layout", include_str!("../../templates/layout.hbs")),
    ("light", include_str!("../../templates/partials/light.hbs")),
    (
        "obligation_rows",
        include_str!("../../templates/partials/obligation_rows.hbs"),
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
    pub is_admin: bool,
    pub department: Option<String>,
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
            data,
        }
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
                is_admin: u.is_admin(),
                department: u.department.clone(),
            }),
            csrf: Some(viewer.csrf.clone()),
            flash: viewer.flash.clone(),
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
