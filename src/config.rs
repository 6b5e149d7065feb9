//! Layered settings, validated at start-up: the committed `config/default.toml` (compiled in)
//! → the file named by `DUBAN_CONFIG` → environment variables. Unknown keys and unparsable
//! values are errors that name the key; database passwords never reach a message.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

const DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("configuration file {path} is not valid TOML: {message}")]
    Syntax { path: String, message: String },
    #[error("unknown configuration key `{key}` in {path}")]
    UnknownKey { key: String, path: String },
    #[error("invalid configuration value for {key}: {message}")]
    Invalid { key: String, message: String },
}

/// Settings as read from the files, before environment overrides and validation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    server: RawServer,
    database: RawDatabase,
    storage: RawStorage,
    time: RawTime,
    import: RawImport,
    auth: RawAuth,
    reporting: RawReporting,
    evidence: RawEvidence,
    scoring: crate::domain::scoring::Weights,
    reminders: RawReminders,
    mail: RawMail,
    webhooks: RawWebhooks,
    sms: RawSms,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhooks {
    timeout_seconds: u32,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSms {
    url: String,
    method: String,
    headers: Vec<String>,
    body: String,
    timeout_seconds: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReminders {
    interval_minutes: u32,
    before_days: Vec<u32>,
    on_due_day: bool,
    overdue_every_days: u32,
    working_days: bool,
    receipts: bool,
    digest_weekday: String,
    digest_hour: u32,
    office_emails: Vec<String>,
    escalation: Vec<crate::domain::reminders::Escalation>,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMail {
    smtp_url: String,
    tls_ca_file: String,
    from: String,
    max_attempts: u32,
    retry_seconds: u32,
    max_retry_seconds: u32,
    pool_size: u32,
    timeout_seconds: u32,
}

impl std::fmt::Debug for RawSms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RawSms { .. }")
    }
}

impl std::fmt::Debug for RawMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RawMail { .. }")
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReporting {
    cadence: String,
    periods: u32,
    due_days_after_period: u32,
    co_days_before_lead: u32,
    receipt_days: u32,
    yellow_days: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvidence {
    max_file_mb: u64,
    max_report_mb: u64,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuth {
    session_key: String,
    admin_password: String,
    idle_timeout_minutes: u32,
    session_lifetime_hours: u32,
    max_failed_logins: u32,
    lockout_minutes: u32,
    address_failures: u32,
    address_delay_seconds: u32,
    hash_concurrency: usize,
}

impl std::fmt::Debug for RawAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RawAuth { .. }")
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    bind: String,
    base_url: String,
    workers: usize,
    body_timeout_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    url: String,
    pool_size: u32,
    connect_timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStorage {
    data_dir: String,
    orphan_grace_minutes: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTime {
    timezone: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImport {
    bundled_document: bool,
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: SocketAddr,
    pub base_url: String,
    pub workers: usize,
    /// A request body that stalls this long is cut off.
    pub body_timeout: std::time::Duration,
    /// Unreferenced stored files younger than this are kept by the collector.
    pub orphan_grace: std::time::Duration,
    pub database: DatabaseUrl,
    pub pool_size: u32,
    pub connect_timeout_secs: u64,
    pub data_dir: PathBuf,
    pub timezone: chrono_tz::Tz,
    pub bundled_document: bool,
    pub auth: AuthSettings,
    pub reporting: ReportingSettings,
    pub evidence: EvidenceSettings,
    pub scoring: crate::domain::scoring::Weights,
    pub reminders: ReminderSettings,
    pub mail: MailSettings,
    /// How long a group robot's platform may take to answer.
    pub webhook_timeout: std::time::Duration,
    /// `None`: no SMS gateway, so no SMS is queued.
    pub sms: Option<SmsSettings>,
}

/// The HTTP SMS gateway (短信网关). Its address and headers may hold keys, so they never
/// print.
#[derive(Clone)]
pub struct SmsSettings {
    pub url: String,
    /// `POST` or `PUT`.
    pub method: String,
    pub headers: Vec<(String, String)>,
    /// The JSON body template, with `{{mobile}}` and `{{text}}`.
    pub body: String,
    pub timeout: std::time::Duration,
}

impl std::fmt::Debug for SmsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsSettings")
            .field("url", &crate::domain::channels::mask_url(&self.url))
            .field("method", &self.method)
            .field("headers", &self.headers.len())
            .finish()
    }
}

/// The reminder policy as configured (the office's edits in the database win), and how
/// often the server runs it.
#[derive(Debug, Clone)]
pub struct ReminderSettings {
    /// `None`: the server does not schedule runs.
    pub interval: Option<std::time::Duration>,
    pub policy: crate::domain::reminders::Policy,
}

/// Outgoing mail. The SMTP URL may hold a password, so it never prints.
#[derive(Clone)]
pub struct MailSettings {
    /// `None`: emails are written as files under the data directory.
    pub smtp_url: Option<String>,
    /// Extra certificate authorities (PEM) for the SMTP server's certificate.
    pub tls_ca_file: Option<PathBuf>,
    pub from: String,
    pub max_attempts: u32,
    pub retry: chrono::Duration,
    /// The longest wait between two attempts.
    pub max_retry: chrono::Duration,
    pub pool_size: u32,
    pub timeout: std::time::Duration,
}

impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings")
            .field("smtp_url", &self.smtp_url.as_deref().map(mask_password))
            .field("from", &self.from)
            .field("max_attempts", &self.max_attempts)
            .field("retry", &self.retry)
            .finish()
    }
}

/// Defaults for new schedules, and the light and receipt rules.
#[derive(Debug, Clone)]
pub struct ReportingSettings {
    /// "quarterly" or "monthly".
    pub cadence: String,
    pub periods: u32,
    pub due_days: u32,
    pub co_days: u32,
    pub receipt_days: u32,
    pub yellow_days: u32,
}

/// Upload limits, in bytes.
#[derive(Debug, Clone, Copy)]
pub struct EvidenceSettings {
    pub max_file: u64,
    pub max_report: u64,
}

/// Sign-in settings. Secrets never print.
#[derive(Clone)]
pub struct AuthSettings {
    /// From DUBAN_SESSION_KEY; `None` means the key kept in the data directory.
    pub session_key: Option<Vec<u8>>,
    pub admin_password: Option<String>,
    pub idle_timeout: chrono::Duration,
    /// A session ends this long after sign-in, however busy.
    pub session_lifetime: chrono::Duration,
    pub max_failed_logins: u32,
    pub lockout: chrono::Duration,
    /// Per address, for browsers that have not signed in before: failures allowed, then a
    /// doubling delay from this one.
    pub address_failures: u32,
    pub address_delay: std::time::Duration,
    /// Password hashes computed at once.
    pub hash_concurrency: usize,
    /// The public URL is https: cookies carry `Secure` and the `__Host-` prefix, and
    /// responses carry HSTS.
    pub secure_cookies: bool,
}

impl std::fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthSettings")
            .field("session_key", &self.session_key.as_ref().map(|_| "***"))
            .field(
                "admin_password",
                &self.admin_password.as_ref().map(|_| "***"),
            )
            .field("idle_timeout", &self.idle_timeout)
            .field("max_failed_logins", &self.max_failed_logins)
            .field("lockout", &self.lockout)
            .field("secure_cookies", &self.secure_cookies)
            .finish()
    }
}

/// Which database, decided from the URL's scheme (never by trying one backend after another:
/// SQLite would take any string as a file name).
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.masked())
    }
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        if url.is_empty() {
            return Err("the database URL is empty".into());
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_string()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if let Some((scheme, _)) = url.split_once("://") {
            if scheme != "sqlite" {
                return Err(format!(
                    "unsupported database `{}`: use sqlite://PATH or postgres://…",
                    mask_password(url)
                ));
            }
        }
        if path.is_empty() || path == ":memory:" {
            return Err("an SQLite database needs a file path (sqlite://PATH)".into());
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }

    /// The URL for messages and logs, with any password replaced by `***`.
    pub fn masked(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
            DatabaseUrl::Postgres(u) => mask_password(u),
        }
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, DatabaseUrl::Sqlite(_))
    }
}

/// A URL for messages and logs: the password of `scheme://user:password@host…` and the
/// values of query parameters that carry secrets (`?password=`, `sslpassword`, `token`,
/// `secret`, `key`, `access_token`, `sign`…) replaced by `***`.
pub fn mask_password(url: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (url, None),
    };
    let mut out = mask_userinfo(head);
    if let Some(query) = query {
        out.push('?');
        let parts: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if secret_parameter(k) => format!("{k}=***"),
                _ => pair.to_string(),
            })
            .collect();
        out.push_str(&parts.join("&"));
    }
    out
}

fn secret_parameter(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "pass",
        "pwd",
        "secret",
        "token",
        "key",
        "sign",
        "auth",
        "credential",
    ]
    .iter()
    .any(|w| n.contains(w))
}

fn mask_userinfo(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_string();
    };
    match rest[..at].find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..scheme_end],
            &rest[..colon],
            &rest[at..]
        ),
        None => url.to_string(),
    }
}

impl Settings {
    /// Reads the layers. `env` looks up an environment variable: the process environment in
    /// production, a map in tests.
    pub fn load(env: &dyn Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
        let mut merged: toml::Table =
            DEFAULTS
                .parse()
                .map_err(|e: toml::de::Error| ConfigError::Syntax {
                    path: "config/default.toml".into(),
                    message: e.message().to_string(),
                })?;
        if let Some(path) = env("DUBAN_CONFIG").filter(|p| !p.is_empty()) {
            let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
                path: path.clone(),
                source,
            })?;
            let overlay: toml::Table =
                text.parse()
                    .map_err(|e: toml::de::Error| ConfigError::Syntax {
                        path: path.clone(),
                        message: e.to_string(),
                    })?;
            merge(&mut merged, overlay, "", &path)?;
        }
        let raw: RawSettings =
            toml::Value::Table(merged)
                .try_into()
                .map_err(|e: toml::de::Error| ConfigError::Invalid {
                    key: "configuration".into(),
                    message: e.message().to_string(),
                })?;
        Self::validate(raw, env)
    }

    fn validate(
        raw: RawSettings,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Settings, ConfigError> {
        let pick = |var: &str, value: String| env(var).unwrap_or(value);
        let invalid = |key: &str, message: String| ConfigError::Invalid {
            key: key.into(),
            message,
        };

        let bind_text = pick("DUBAN_BIND", raw.server.bind);
        let bind: SocketAddr = bind_text.parse().map_err(|_| {
            invalid(
                "server.bind (DUBAN_BIND)",
                format!("`{bind_text}` is not an address such as 127.0.0.1:8080"),
            )
        })?;
        let base_url = pick("DUBAN_BASE_URL", raw.server.base_url);
        let base_url = if base_url.is_empty() {
            format!("http://{bind}")
        } else if base_url.starts_with("http://") || base_url.starts_with("https://") {
            base_url.trim_end_matches('/').to_string()
        } else {
            return Err(invalid(
                "server.base_url (DUBAN_BASE_URL)",
                format!("`{base_url}` must start with http:// or https://"),
            ));
        };

        let data_dir = PathBuf::from(pick("DUBAN_DATA_DIR", raw.storage.data_dir));
        if data_dir.as_os_str().is_empty() {
            return Err(invalid(
                "storage.data_dir (DUBAN_DATA_DIR)",
                "must not be empty".into(),
            ));
        }
        let url = pick("DATABASE_URL", raw.database.url);
        let database = if url.trim().is_empty() {
            DatabaseUrl::Sqlite(data_dir.join("duban.db"))
        } else {
            DatabaseUrl::parse(&url).map_err(|m| invalid("database.url (DATABASE_URL)", m))?
        };
        if raw.database.pool_size == 0 {
            return Err(invalid("database.pool_size", "must be at least 1".into()));
        }

        let tz_text = pick("DUBAN_TIMEZONE", raw.time.timezone);
        let timezone: chrono_tz::Tz = tz_text.parse().map_err(|_| {
            invalid(
                "time.timezone (DUBAN_TIMEZONE)",
                format!("`{tz_text}` is not an IANA time zone such as Asia/Shanghai"),
            )
        })?;

        let session_key = pick("DUBAN_SESSION_KEY", raw.auth.session_key);
        let session_key = if session_key.is_empty() {
            None
        } else if session_key.len() < 64 {
            return Err(invalid(
                "auth.session_key (DUBAN_SESSION_KEY)",
                format!("must be at least 64 bytes long, not {}", session_key.len()),
            ));
        } else {
            Some(session_key.into_bytes())
        };
        let admin_password =
            Some(pick("DUBAN_ADMIN_PASSWORD", raw.auth.admin_password)).filter(|p| !p.is_empty());
        if let Some(p) = &admin_password {
            crate::domain::accounts::check_password(p, &["admin"])
                .map_err(|m| invalid("auth.admin_password (DUBAN_ADMIN_PASSWORD)", m))?;
        }
        if raw.auth.max_failed_logins == 0
            || raw.auth.idle_timeout_minutes == 0
            || raw.auth.session_lifetime_hours == 0
            || raw.auth.address_failures == 0
            || raw.auth.address_delay_seconds == 0
        {
            return Err(invalid(
                "auth",
                "idle_timeout_minutes, session_lifetime_hours, max_failed_logins, address_failures and address_delay_seconds must be at least 1".into(),
            ));
        }
        let hash_concurrency = match raw.auth.hash_concurrency {
            0 => std::thread::available_parallelism()
                .map_or(1, |n| n.get().saturating_sub(1))
                .max(1),
            n => n,
        };
        let auth = AuthSettings {
            session_key,
            admin_password,
            idle_timeout: chrono::Duration::minutes(raw.auth.idle_timeout_minutes.into()),
            session_lifetime: chrono::Duration::hours(raw.auth.session_lifetime_hours.into()),
            max_failed_logins: raw.auth.max_failed_logins,
            lockout: chrono::Duration::minutes(raw.auth.lockout_minutes.into()),
            address_failures: raw.auth.address_failures,
            address_delay: std::time::Duration::from_secs(raw.auth.address_delay_seconds.into()),
            hash_concurrency,
            secure_cookies: base_url.starts_with("https://"),
        };

        let r = raw.reporting;
        if !["weekly", "monthly", "quarterly", "half_yearly", "yearly"]
            .contains(&r.cadence.as_str())
        {
            return Err(invalid(
                "reporting.cadence",
                format!(
                    "`{}` must be \"weekly\", \"monthly\", \"quarterly\", \"half_yearly\" or \"yearly\"",
                    r.cadence
                ),
            ));
        }
        if r.periods == 0 || r.periods > 120 || r.co_days_before_lead > r.due_days_after_period + 90
        {
            return Err(invalid(
                "reporting",
                "periods must be 1–120 and co_days_before_lead at most 90 days past due".into(),
            ));
        }
        let reporting = ReportingSettings {
            cadence: r.cadence,
            periods: r.periods,
            due_days: r.due_days_after_period,
            co_days: r.co_days_before_lead,
            receipt_days: r.receipt_days,
            yellow_days: r.yellow_days,
        };
        let mb = 1024 * 1024;
        let (file_mb, report_mb) = (raw.evidence.max_file_mb, raw.evidence.max_report_mb);
        if file_mb == 0 || report_mb < file_mb || report_mb > 10 * 1024 {
            return Err(invalid(
                "evidence",
                "max_file_mb must be at least 1 and at most max_report_mb (≤ 10240)".into(),
            ));
        }
        let evidence = EvidenceSettings {
            max_file: file_mb * mb,
            max_report: report_mb * mb,
        };

        let w = raw.scoring;
        let values = [
            w.timeliness,
            w.first_pass,
            w.completion,
            w.progress,
            w.penalty_per_day,
            w.penalty_obligation_cap,
            w.penalty_cap,
            w.lead_weight,
            w.co_weight,
        ];
        if values.iter().any(|v| !v.is_finite() || *v < 0.0)
            || w.timeliness + w.first_pass + w.completion + w.progress <= 0.0
        {
            return Err(invalid(
                "scoring",
                "weights must be zero or more, and the four components not all zero".into(),
            ));
        }

        let reminders = reminder_settings(raw.reminders)?;
        let mail = mail_settings(raw.mail, env)?;
        let sms = sms_settings(raw.sms, env)?;

        Ok(Settings {
            reminders,
            mail,
            webhook_timeout: std::time::Duration::from_secs(
                raw.webhooks.timeout_seconds.clamp(1, 120).into(),
            ),
            sms,
            scoring: w,
            reporting,
            evidence,
            auth,
            bind,
            base_url,
            workers: raw.server.workers,
            body_timeout: std::time::Duration::from_secs(raw.server.body_timeout_seconds.max(1)),
            orphan_grace: std::time::Duration::from_secs(raw.storage.orphan_grace_minutes * 60),
            database,
            pool_size: raw.database.pool_size,
            connect_timeout_secs: raw.database.connect_timeout_secs.max(1),
            data_dir,
            timezone,
            bundled_document: raw.import.bundled_document,
        })
    }

    /// Settings from the process environment.
    pub fn from_env() -> Result<Settings, ConfigError> {
        Self::load(&|k| std::env::var(k).ok())
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
}

fn reminder_settings(r: RawReminders) -> Result<ReminderSettings, ConfigError> {
    use crate::domain::reminders::{Digest, Policy};
    let invalid = |key: &str, message: String| ConfigError::Invalid {
        key: format!("reminders.{key}"),
        message,
    };
    let digest = match r.digest_weekday.trim() {
        "" => None,
        day => Some(Digest {
            weekday: day.parse().map_err(|_| {
                invalid(
                    "digest_weekday",
                    format!("`{day}` is not a weekday such as \"mon\""),
                )
            })?,
            hour: r.digest_hour,
        }),
    };
    let office_emails = r
        .office_emails
        .iter()
        .map(|e| crate::domain::accounts::parse_email(e))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|m| invalid("office_emails", m))?;
    let policy = Policy {
        before_days: r.before_days,
        on_due_day: r.on_due_day,
        overdue_every_days: r.overdue_every_days,
        escalation: r.escalation,
        receipts: r.receipts,
        digest,
        working_days: r.working_days,
        office_emails,
    };
    policy.validate().map_err(|m| invalid("*", m))?;
    if r.interval_minutes > 24 * 60 {
        return Err(invalid(
            "interval_minutes",
            "must be at most 1440 (a day)".into(),
        ));
    }
    Ok(ReminderSettings {
        interval: (r.interval_minutes > 0)
            .then(|| std::time::Duration::from_secs(u64::from(r.interval_minutes) * 60)),
        policy,
    })
}

fn mail_settings(
    m: RawMail,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<MailSettings, ConfigError> {
    let invalid = |key: &str, message: String| ConfigError::Invalid {
        key: key.into(),
        message,
    };
    let smtp_url = env("DUBAN_SMTP_URL").unwrap_or(m.smtp_url);
    let smtp_url = match smtp_url.trim() {
        "" => None,
        url if url.starts_with("smtp://") || url.starts_with("smtps://") => Some(url.to_string()),
        url => {
            return Err(invalid(
                "mail.smtp_url (DUBAN_SMTP_URL)",
                format!(
                    "`{}` must start with smtp:// or smtps://",
                    mask_password(url)
                ),
            ))
        }
    };
    let from = env("DUBAN_MAIL_FROM").unwrap_or(m.from);
    if from.parse::<lettre::message::Mailbox>().is_err() {
        return Err(invalid(
            "mail.from (DUBAN_MAIL_FROM)",
            format!("`{from}` is not an email address"),
        ));
    }
    if m.max_attempts == 0 || m.max_attempts > 200 || m.pool_size == 0 {
        return Err(invalid(
            "mail",
            "max_attempts must be 1–200 and pool_size at least 1".into(),
        ));
    }
    if m.retry_seconds == 0 || m.max_retry_seconds < m.retry_seconds {
        return Err(invalid(
            "mail.max_retry_seconds",
            "retry_seconds must be at least 1 and max_retry_seconds at least retry_seconds".into(),
        ));
    }
    let tls_ca_file = Some(m.tls_ca_file.trim())
        .filter(|f| !f.is_empty())
        .map(PathBuf::from);
    if tls_ca_file.is_some()
        && !smtp_url.as_deref().is_some_and(|u| {
            u.starts_with("smtps://")
                || u.contains("tls=required")
                || u.contains("tls=opportunistic")
        })
    {
        return Err(invalid(
            "mail.tls_ca_file",
            "needs an SMTP URL with TLS: smtps://… or smtp://…?tls=required".into(),
        ));
    }
    Ok(MailSettings {
        smtp_url,
        tls_ca_file,
        from,
        max_attempts: m.max_attempts,
        retry: chrono::Duration::seconds(m.retry_seconds.into()),
        max_retry: chrono::Duration::seconds(m.max_retry_seconds.into()),
        pool_size: m.pool_size,
        timeout: std::time::Duration::from_secs(m.timeout_seconds.max(1).into()),
    })
}

fn sms_settings(
    m: RawSms,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<SmsSettings>, ConfigError> {
    let invalid = |key: &str, message: String| ConfigError::Invalid {
        key: key.into(),
        message,
    };
    let url = env("DUBAN_SMS_URL").unwrap_or(m.url);
    let url = url.trim();
    if url.is_empty() {
        return Ok(None);
    }
    if !(url.starts_with("http://") || url.starts_with("https://")) || url.contains(' ') {
        return Err(invalid(
            "sms.url (DUBAN_SMS_URL)",
            format!(
                "`{}` must be an http:// or https:// address",
                crate::domain::channels::mask_url(url)
            ),
        ));
    }
    let method = m.method.trim().to_ascii_uppercase();
    if method != "POST" && method != "PUT" {
        return Err(invalid(
            "sms.method",
            format!("`{}` must be POST or PUT", m.method),
        ));
    }
    let mut headers = Vec::new();
    for h in &m.headers {
        let Some((name, value)) = h.split_once(':') else {
            return Err(invalid(
                "sms.headers",
                "each header is \"Name: value\"".into(),
            ));
        };
        let name = name.trim();
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            || value.chars().any(char::is_control)
        {
            return Err(invalid(
                "sms.headers",
                format!("`{name}` is not a header name such as X-Api-Key, or its value has control characters"),
            ));
        }
        headers.push((name.to_string(), value.trim().to_string()));
    }
    crate::domain::channels::render_sms_body(&m.body, "13800138000", "督办 \"test\"\n")
        .map_err(|e| invalid("sms.body", e))?;
    Ok(Some(SmsSettings {
        url: url.to_string(),
        method,
        headers,
        body: m.body,
        timeout: std::time::Duration::from_secs(m.timeout_seconds.clamp(1, 120).into()),
    }))
}

/// Overlays `over` onto `base`, refusing keys that `base` (the documented defaults) lacks.
fn merge(
    base: &mut toml::Table,
    over: toml::Table,
    prefix: &str,
    path: &str,
) -> Result<(), ConfigError> {
    for (key, value) in over {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match (base.get_mut(&key), value) {
            (None, _) => {
                return Err(ConfigError::UnknownKey {
                    key: full,
                    path: path.into(),
                })
            }
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o, &full, path)?,
            (Some(toml::Value::Table(_)), _) => {
                return Err(ConfigError::Invalid {
                    key: full,
                    message: "expected a table".into(),
                })
            }
            (Some(slot), value) => {
                if std::mem::discriminant(slot) != std::mem::discriminant(&value) {
                    return Err(ConfigError::Invalid {
                        key: full,
                        message: format!(
                            "expected a {}, found a {}",
                            slot.type_str(),
                            value.type_str()
                        ),
                    });
                }
                *slot = value;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::load(&|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_follow_the_contract() {
        let s = load(&[]).unwrap();
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(s.base_url, "http://127.0.0.1:8080");
        assert_eq!(s.database, DatabaseUrl::Sqlite("data/duban.db".into()));
        assert_eq!(s.timezone, chrono_tz::Asia::Shanghai);
        assert_eq!(s.auth.max_failed_logins, 5);
        assert!(!s.auth.secure_cookies);
    }

    #[test]
    fn secrets_are_checked_and_never_printed() {
        let key = "k".repeat(64);
        let s = load(&[
            ("DUBAN_SESSION_KEY", key.as_str()),
            ("DUBAN_ADMIN_PASSWORD", "Tacheng-s3cret-7741"),
            ("DUBAN_BASE_URL", "https://duban.example.gov.cn/"),
        ])
        .unwrap();
        assert_eq!(s.auth.session_key.as_deref(), Some(key.as_bytes()));
        assert!(s.auth.secure_cookies);
        assert_eq!(s.base_url, "https://duban.example.gov.cn");
        let printed = format!("{s:?}");
        assert!(
            !printed.contains("Tacheng-s3cret-7741") && !printed.contains(&key),
            "{printed}"
        );
        let err = load(&[("DUBAN_SESSION_KEY", "short")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("DUBAN_SESSION_KEY") && err.contains("64"),
            "{err}"
        );
        assert!(load(&[("DUBAN_ADMIN_PASSWORD", "short")]).is_err());
    }

    #[test]
    fn environment_overrides_the_files() {
        let s = load(&[
            ("DUBAN_DATA_DIR", "/srv/duban"),
            ("DUBAN_BIND", "0.0.0.0:9000"),
            ("DUBAN_TIMEZONE", "Asia/Urumqi"),
        ])
        .unwrap();
        assert_eq!(
            s.database,
            DatabaseUrl::Sqlite("/srv/duban/duban.db".into())
        );
        assert_eq!(s.base_url, "http://0.0.0.0:9000");
        assert_eq!(s.timezone, chrono_tz::Asia::Urumqi);
    }

    #[test]
    fn database_urls_by_scheme() {
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/duban.db").unwrap(),
            DatabaseUrl::Sqlite("/var/lib/duban.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("data/x.db").unwrap(),
            DatabaseUrl::Sqlite("data/x.db".into())
        );
        assert!(matches!(
            DatabaseUrl::parse("postgresql://u@h/db").unwrap(),
            DatabaseUrl::Postgres(_)
        ));
        let err = DatabaseUrl::parse("mysql://root:hunter2@db/duban").unwrap_err();
        assert!(err.contains("mysql://root:***@db/duban"), "{err}");
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            mask_password("postgres://duban:s3cr:et@db.example:5432/duban?sslmode=require"),
            "postgres://duban:***@db.example:5432/duban?sslmode=require"
        );
        assert_eq!(
            mask_password("postgres://duban@db/x"),
            "postgres://duban@db/x"
        );
        assert_eq!(
            mask_password("postgres://db/x?user=duban&password=s3cret&sslmode=require"),
            "postgres://db/x?user=duban&password=***&sslmode=require"
        );
        assert_eq!(
            mask_password("https://oapi.dingtalk.com/robot/send?access_token=abc123"),
            "https://oapi.dingtalk.com/robot/send?access_token=***"
        );
        assert_eq!(
            format!("{:?}", DatabaseUrl::parse("postgres://a:b@c/d").unwrap()),
            "postgres://a:***@c/d"
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("duban.toml");
        std::fs::write(&file, "[server]\nbnd = \"0.0.0.0:1\"\n").unwrap();
        let path = file.to_str().unwrap();
        let err = load(&[("DUBAN_CONFIG", path)]).unwrap_err().to_string();
        assert!(err.contains("`server.bnd`"), "{err}");

        std::fs::write(&file, "[server]\nworkers = \"many\"\n").unwrap();
        let err = load(&[("DUBAN_CONFIG", path)]).unwrap_err().to_string();
        assert!(err.contains("server.workers"), "{err}");

        std::fs::write(&file, "[database]\npool_size = 3\n").unwrap();
        assert_eq!(load(&[("DUBAN_CONFIG", path)]).unwrap().pool_size, 3);

        let err = load(&[("DUBAN_TIMEZONE", "Mars/Olympus")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("DUBAN_TIMEZONE"), "{err}");
        let err = load(&[("DUBAN_BIND", "nowhere")]).unwrap_err().to_string();
        assert!(err.contains("DUBAN_BIND"), "{err}");
    }

    #[test]
    fn the_reminder_policy_and_mail_settings_are_read_and_checked() {
        let s = load(&[]).unwrap();
        assert_eq!(
            s.reminders.policy,
            crate::domain::reminders::Policy::default()
        );
        assert_eq!(
            s.reminders.interval,
            Some(std::time::Duration::from_secs(600))
        );
        assert_eq!(s.mail.smtp_url, None);
        assert_eq!(s.mail.from, "duban@localhost");

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("duban.toml");
        let path = file.to_str().unwrap();
        std::fs::write(
            &file,
            "[reminders]\ninterval_minutes = 0\ndigest_weekday = \"\"\nescalation = [{ after_days = 5, copy = [\"leaders\"] }]\n",
        )
        .unwrap();
        let s = load(&[("DUBAN_CONFIG", path)]).unwrap();
        assert_eq!(s.reminders.interval, None);
        assert_eq!(s.reminders.policy.digest, None);
        assert_eq!(s.reminders.policy.escalation[0].after_days, 5);

        std::fs::write(
            &file,
            "[reminders]\nescalation = [{ after = 5, copy = [\"leaders\"] }]\n",
        )
        .unwrap();
        let err = load(&[("DUBAN_CONFIG", path)]).unwrap_err().to_string();
        assert!(err.contains("after"), "{err}");

        let smtp = load(&[("DUBAN_SMTP_URL", "smtps://u:secret@mail.x.cn:465")]).unwrap();
        assert!(!format!("{:?}", smtp.mail).contains("secret"));
        let err = load(&[("DUBAN_SMTP_URL", "http://u:secret@mail.x.cn")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("DUBAN_SMTP_URL") && !err.contains("secret"),
            "{err}"
        );
        std::fs::write(&file, "[mail]\ntls_ca_file = \"/etc/ca.pem\"\n").unwrap();
        let err = load(&[("DUBAN_CONFIG", path)]).unwrap_err().to_string();
        assert!(err.contains("mail.tls_ca_file"), "a CA without TLS: {err}");
        let tls = load(&[
            ("DUBAN_CONFIG", path),
            ("DUBAN_SMTP_URL", "smtps://mail.x.cn"),
        ])
        .unwrap();
        assert_eq!(tls.mail.tls_ca_file, Some(PathBuf::from("/etc/ca.pem")));
        let err = load(&[("DUBAN_MAIL_FROM", "not an address")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("DUBAN_MAIL_FROM"), "{err}");
    }
}
