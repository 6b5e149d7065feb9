//! Email: templates to messages, and the transports that carry them — SMTP (pooled
//! connections; plain, STARTTLS or TLS, with or without a login), `.eml` files under the data
//! directory when no SMTP server is configured, and memory for tests. Nothing here is sent
//! from a request handler: the outbox worker (`crate::reminders`) calls it.

pub mod http;
pub mod templates;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::Transport as _;
use serde::Serialize;

use crate::config::MailSettings;

/// One line of an email: an obligation or a receipt, and where to act on it.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub n: usize,
    /// 即将到期, 今日到期, 已逾期, 未签收.
    pub label: String,
    pub what: String,
    pub department: String,
    pub period: String,
    pub due_on: String,
    /// 还有 3 天, 今日到期, 已逾期 2 天.
    pub when: String,
    pub url: String,
}

/// A department in the weekly digest.
#[derive(Debug, Clone, Serialize)]
pub struct DigestRow {
    pub name: String,
    pub overdue: i64,
    pub oldest_due: String,
    pub days: i64,
    pub url: String,
}

/// Everything an email template may use.
#[derive(Debug, Clone, Serialize)]
pub struct MailData {
    /// The catalog language of the texts.
    pub lang: &'static str,
    pub site: String,
    pub today: String,
    pub department: Option<String>,
    pub items: Vec<Item>,
    pub count: usize,
    pub overdue: usize,
    /// Escalation level and who is copied (in words).
    pub level: u32,
    pub copied: String,
    pub week: String,
    pub departments: Vec<DigestRow>,
    pub department_count: usize,
}

/// Why a send failed, and whether trying again later may help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendFailure {
    pub transient: bool,
    pub message: String,
}

/// A message the memory transport kept.
#[derive(Debug, Clone)]
pub struct Kept {
    pub to: Vec<String>,
    pub raw: Vec<u8>,
}

pub enum Transport {
    Smtp(Box<lettre::SmtpTransport>),
    Files(PathBuf),
    Memory(Arc<Mutex<Vec<Kept>>>),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::Smtp(_) => f.write_str("Transport::Smtp"),
            Transport::Files(dir) => write!(f, "Transport::Files({})", dir.display()),
            Transport::Memory(_) => f.write_str("Transport::Memory"),
        }
    }
}

impl Transport {
    /// SMTP when a URL is configured, else files under `<data dir>/mail`.
    pub fn from_settings(mail: &MailSettings, data_dir: &Path) -> Result<Transport, String> {
        let Some(url) = &mail.smtp_url else {
            return Ok(Transport::Files(data_dir.join("mail")));
        };
        let masked = crate::config::mask_password(url);
        let pool = lettre::transport::smtp::PoolConfig::new().max_size(mail.pool_size);
        let mut builder = lettre::SmtpTransport::from_url(url)
            .map_err(|e| format!("DUBAN_SMTP_URL `{masked}`: {e}"))?
            .timeout(Some(mail.timeout))
            .pool_config(pool);
        if let Some(file) = &mail.tls_ca_file {
            builder = builder.tls(tls_with_ca(url, file)?);
        }
        Ok(Transport::Smtp(Box::new(builder.build())))
    }

    /// Where mail goes, for logs (no password).
    pub fn describe(&self, mail: &MailSettings) -> String {
        match self {
            Transport::Smtp(_) => mail
                .smtp_url
                .as_deref()
                .map(crate::config::mask_password)
                .unwrap_or_default(),
            Transport::Files(dir) => format!("files in {}", dir.display()),
            Transport::Memory(_) => "memory".into(),
        }
    }

    pub fn send(&self, message: &lettre::Message, name: &str) -> Result<(), SendFailure> {
        match self {
            Transport::Smtp(smtp) => smtp.send(message).map(|_| ()).map_err(|e| SendFailure {
                // 5xx answers are final; refused connections, timeouts and 4xx are worth
                // another try.
                transient: !e.is_permanent(),
                message: smtp_error_text(&e),
            }),
            Transport::Files(dir) => {
                write_eml(dir, name, &message.formatted()).map_err(|e| SendFailure {
                    transient: true,
                    message: format!("cannot write {}: {e}", dir.display()),
                })
            }
            Transport::Memory(kept) => {
                let to = message
                    .envelope()
                    .to()
                    .iter()
                    .map(|a| a.to_string())
                    .collect();
                kept.lock().unwrap_or_else(|e| e.into_inner()).push(Kept {
                    to,
                    raw: message.formatted(),
                });
                Ok(())
            }
        }
    }
}

/// The URL's TLS mode, trusting the certificate authorities in `file` besides the web's.
fn tls_with_ca(url: &str, file: &Path) -> Result<lettre::transport::smtp::client::Tls, String> {
    use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
    let key = "mail.tls_ca_file";
    let pem = std::fs::read(file).map_err(|e| format!("{key} {}: {e}", file.display()))?;
    let mut params = TlsParameters::builder(smtp_host(url).to_string());
    // A bundle may hold several certificates; each is added.
    let mut found = 0;
    for block in String::from_utf8_lossy(&pem).split_inclusive("-----END CERTIFICATE-----") {
        if let Some(start) = block.find("-----BEGIN CERTIFICATE-----") {
            let cert = Certificate::from_pem(&block.as_bytes()[start..])
                .map_err(|e| format!("{key} {}: {e}", file.display()))?;
            params = params.add_root_certificate(cert);
            found += 1;
        }
    }
    if found == 0 {
        return Err(format!(
            "{key} {}: no PEM certificate in it",
            file.display()
        ));
    }
    let params = params
        .build_rustls()
        .map_err(|e| format!("{key} {}: {e}", file.display()))?;
    Ok(if url.starts_with("smtps://") {
        Tls::Wrapper(params)
    } else if url.contains("tls=opportunistic") {
        Tls::Opportunistic(params)
    } else {
        Tls::Required(params)
    })
}

/// The host of `smtp[s]://[user[:pass]@]host[:port][/…][?…]`.
fn smtp_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => host_port.split(':').next().unwrap_or(host_port),
    }
}

/// lettre's error with its sources, which say what actually happened (refused, timed out).
fn smtp_error_text(e: &lettre::transport::smtp::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Writes a message as `<dir>/<name>.eml`: to a temporary name first, then renamed, so a
/// reader never sees half a file.
fn write_eml(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    crate::storage::create_private_dir(dir)?;
    crate::storage::write_atomically(&dir.join(format!("{name}.eml")), bytes)
}

/// Splits a stored address list ("a@x, b@y").
pub fn split_addresses(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').map(str::trim).filter(|a| !a.is_empty())
}

/// A multipart (plain text + HTML) message with its stored Message-ID and the current date.
pub fn build_message(
    from: &str,
    to: &str,
    cc: &str,
    subject: &str,
    text: &str,
    html: &str,
    message_id: &str,
) -> Result<lettre::Message, String> {
    let parse = |a: &str| {
        a.parse::<Mailbox>()
            .map_err(|e| format!("bad address `{a}`: {e}"))
    };
    let mut builder = lettre::Message::builder()
        .from(parse(from)?)
        .subject(subject)
        .message_id(Some(message_id.to_string()))
        .date_now();
    for a in split_addresses(to) {
        builder = builder.to(parse(a)?);
    }
    for a in split_addresses(cc) {
        builder = builder.cc(parse(a)?);
    }
    builder
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(text.to_string()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html.to_string()),
                ),
        )
        .map_err(|e| e.to_string())
}

/// A new Message-ID in the sender's domain.
pub fn new_message_id(from: &str) -> String {
    let domain = from
        .parse::<Mailbox>()
        .map(|m| m.email.domain().to_string())
        .unwrap_or_else(|_| "localhost".into());
    format!("<{}@{domain}>", crate::security::random_hex(16))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_multipart_with_an_encoded_chinese_subject_and_the_stored_id() {
        let m = build_message(
            "督办系统 <duban@x.gov.cn>",
            "a@x.gov.cn, b@x.gov.cn",
            "head@x.gov.cn",
            "【督办提醒】共 2 项待办",
            "正文",
            "<p>正文</p>",
            "<abc@x.gov.cn>",
        )
        .unwrap();
        let raw = String::from_utf8(m.formatted()).unwrap();
        assert!(raw.contains("Message-ID: <abc@x.gov.cn>"), "{raw}");
        assert!(raw.contains("Date: "));
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("Subject: =?utf-8?"), "{raw}");
        assert_eq!(m.envelope().to().len(), 3, "cc is in the envelope too");
        assert!(build_message("x@y.cn", "not an address", "", "s", "t", "h", "<i@y>").is_err());
    }

    /// A self-signed certificate authority, for trusting an internal mail server.
    const TEST_CA: &str = "-----BEGIN CERTIFICATE-----\nMIIBhDCCASugAwIBAgIUN9dENdNKgCSl0LFDvbVSMU/BE8wwCgYIKoZIzj0EAwIw\nGDEWMBQGA1UEAwwNZHViYW4gdGVzdCBDQTAeFw0yNjExMjcwMjA5MzlaFw0zNjEx\nMjQwMjA5MzlaMBgxFjAUBgNVBAMMDWR1YmFuIHRlc3QgQ0EwWTATBgcqhkjOPQIB\nBggqhkjOPQMBBwNCAAS4JMHJfDfkGCBWEJmAFYwFBXgzpwWbNsgbTXnyxGWEQ+I4\nC0oHNuwD5NW1MvQr5dm+UkVvnN6kEpfpxy6apCeAo1MwUTAdBgNVHQ4EFgQUyRxm\nwAya1L596DoCIXPWC3mgAoQwHwYDVR0jBBgwFoAUyRxmwAya1L596DoCIXPWC3mg\nAoQwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNHADBEAiBQJc5MPn0WPSF4\nt3HtlGHDMEyTImQJF0DLsRoHFIRw1gIgE51h7qrr6LiHSO3l75SqjPLfokp53/e9\nfWxsRuYy7W0=\n-----END CERTIFICATE-----";

    #[test]
    fn an_internal_certificate_authority_can_be_trusted_for_smtp() {
        assert_eq!(smtp_host("smtps://u:p@mail.x.gov.cn:465"), "mail.x.gov.cn");
        assert_eq!(smtp_host("smtp://10.0.0.5:587?tls=required"), "10.0.0.5");
        assert_eq!(smtp_host("smtp://[::1]:25"), "::1");
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, TEST_CA).unwrap();
        let settings = |file: &Path| MailSettings {
            smtp_url: Some("smtp://mail.x.gov.cn:587?tls=required".into()),
            tls_ca_file: Some(file.to_path_buf()),
            from: "duban@x.gov.cn".into(),
            max_attempts: 1,
            retry: chrono::Duration::seconds(1),
            max_retry: chrono::Duration::seconds(1),
            pool_size: 1,
            timeout: std::time::Duration::from_secs(1),
        };
        assert!(Transport::from_settings(&settings(&ca), dir.path()).is_ok());
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate").unwrap();
        let err = Transport::from_settings(&settings(&junk), dir.path()).unwrap_err();
        assert!(
            err.contains("mail.tls_ca_file") && err.contains("no PEM"),
            "{err}"
        );
        let err = Transport::from_settings(&settings(&dir.path().join("missing.pem")), dir.path())
            .unwrap_err();
        assert!(err.contains("missing.pem"), "{err}");
    }

    #[test]
    fn the_file_transport_writes_whole_eml_files() {
        let dir = tempfile::tempdir().unwrap();
        let t = Transport::Files(dir.path().join("mail"));
        let m = build_message(
            "x@y.cn",
            "a@y.cn",
            "",
            "主题",
            "正文",
            "<p>正文</p>",
            "<1@y.cn>",
        )
        .unwrap();
        t.send(&m, "20260302-1").unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path().join("mail"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["20260302-1.eml"]);
    }

    #[test]
    fn every_email_template_renders() {
        let t = templates::MailTemplates::new().unwrap();
        let data = MailData {
            lang: "zh",
            site: "https://duban.example".into(),
            today: "2026-03-02".into(),
            department: Some("地区人社局".into()),
            items: vec![Item {
                n: 1,
                label: "已逾期".into(),
                what: "第5项 <促进就业>".into(),
                department: "地区人社局".into(),
                period: "2026年第1季度".into(),
                due_on: "2026-04-10".into(),
                when: "已逾期 2 天".into(),
                url: "https://duban.example/obligations/1".into(),
            }],
            count: 1,
            overdue: 1,
            level: 1,
            copied: "单位负责人".into(),
            week: "2026年第11周".into(),
            departments: vec![],
            department_count: 0,
        };
        for kind in ["reminder", "escalation", "digest"] {
            let r = t.render(kind, &data).unwrap();
            assert!(!r.subject.contains('\n'));
            assert!(r.html.contains("<!DOCTYPE html>"), "{kind}");
        }
        let r = t.render("reminder", &data).unwrap();
        assert!(r.text.contains("第5项 <促进就业>"), "text is not escaped");
        assert!(r.html.contains("第5项 &lt;促进就业&gt;"), "HTML is escaped");
        assert_eq!(
            r.subject,
            "【督办提醒】1 项已逾期，共 1 项待办（地区人社局）"
        );
    }
}
