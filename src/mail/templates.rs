//! Email templates: `templates/email/<kind>/{subject.txt,body.txt,body.html}.hbs`, compiled
//! in. The text parts are rendered without HTML escaping, the HTML part with it; all in
//! strict mode, so a missing field is an error rather than a blank in a sent email. Their
//! words come from the `email` area of the message catalogs.

use handlebars::Handlebars;
use serde::Serialize;

/// Every email template, by name (`<kind>/<part>`).
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "reminder/subject",
        include_str!("../../templates/email/reminder/subject.txt.hbs"),
    ),
    (
        "reminder/text",
        include_str!("../../templates/email/reminder/body.txt.hbs"),
    ),
    (
        "reminder/html",
        include_str!("../../templates/email/reminder/body.html.hbs"),
    ),
    (
        "escalation/subject",
        include_str!("../../templates/email/escalation/subject.txt.hbs"),
    ),
    (
        "escalation/text",
        include_str!("../../templates/email/escalation/body.txt.hbs"),
    ),
    (
        "escalation/html",
        include_str!("../../templates/email/escalation/body.html.hbs"),
    ),
    (
        "digest/subject",
        include_str!("../../templates/email/digest/subject.txt.hbs"),
    ),
    (
        "digest/text",
        include_str!("../../templates/email/digest/body.txt.hbs"),
    ),
    (
        "digest/html",
        include_str!("../../templates/email/digest/body.html.hbs"),
    ),
];

/// An email's three parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub struct MailTemplates {
    text: Handlebars<'static>,
    html: Handlebars<'static>,
}

impl MailTemplates {
    pub fn new() -> Result<MailTemplates, Box<handlebars::TemplateError>> {
        let mut text = Handlebars::new();
        text.register_escape_fn(handlebars::no_escape);
        let mut html = Handlebars::new();
        for registry in [&mut text, &mut html] {
            registry.set_strict_mode(true);
            registry.set_prevent_indent(true);
            registry.register_helper("t", Box::new(crate::i18n::TextHelper));
        }
        for (name, source) in TEMPLATES {
            let registry = if name.ends_with("/html") {
                &mut html
            } else {
                &mut text
            };
            registry
                .register_template_string(name, source)
                .map_err(Box::new)?;
        }
        Ok(MailTemplates { text, html })
    }

    /// Renders one kind of email. The subject is kept to one line.
    pub fn render<T: Serialize>(
        &self,
        kind: &str,
        data: &T,
    ) -> Result<Rendered, handlebars::RenderError> {
        let subject = self.text.render(&format!("{kind}/subject"), data)?;
        Ok(Rendered {
            subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
            text: self.text.render(&format!("{kind}/text"), data)?,
            html: self.html.render(&format!("{kind}/html"), data)?,
        })
    }
}
