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
    (
        "robot/markdown",
        include_str!("../../templates/robot/markdown.md.hbs"),
    ),
    (
        "robot/text",
        include_str!("../../templates/robot/text.txt.hbs"),
    ),
];

/// A robot message lists at most this many items; the rest are counted.
const ROBOT_ITEMS: usize = 20;
/// And stays within this many bytes: WeCom takes 4096 bytes of markdown (DingTalk 20,000).
const ROBOT_BYTES: usize = 4000;

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

    /// A group robot message from an email's data: its markdown (WeCom, DingTalk) and plain
    /// (Feishu) bodies. Brackets and line breaks in item texts are replaced so that an
    /// imported title cannot break the markdown links.
    pub fn render_robot(
        &self,
        data: &super::MailData,
        title: &str,
    ) -> Result<(String, String), handlebars::RenderError> {
        #[derive(Serialize)]
        struct RobotData<'a> {
            #[serde(flatten)]
            data: super::MailData,
            title: &'a str,
            more: usize,
        }
        let mut data = data.clone();
        for item in &mut data.items {
            item.what = item
                .what
                .chars()
                .map(|c| match c {
                    '[' => '［',
                    ']' => '］',
                    '\n' | '\r' => ' ',
                    c => c,
                })
                .collect();
        }
        let all = data.items.clone();
        let mut shown = all.len().min(ROBOT_ITEMS);
        loop {
            let mut robot = RobotData {
                data: data.clone(),
                title,
                more: all.len() - shown,
            };
            robot.data.items = all[..shown].to_vec();
            let markdown = self.text.render("robot/markdown", &robot)?;
            // Fewer items until the message fits the strictest platform.
            if markdown.len() <= ROBOT_BYTES || shown <= 1 {
                return Ok((markdown, self.text.render("robot/text", &robot)?));
            }
            shown -= 1;
        }
    }
}
