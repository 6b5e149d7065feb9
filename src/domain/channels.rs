//! Chasing channels beyond email (催办渠道): a unit's group robot — 企业微信 (WeCom), 钉钉
//! (DingTalk, with its signing secret), 飞书 (Feishu) or a generic JSON webhook — and mobile
//! numbers for SMS. Pure: what the office typed, checked and normalised, and a robot's address
//! shown without its token.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use crate::i18n::tr;

/// Which platform a unit's group robot is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookKind {
    WeCom,
    DingTalk,
    Feishu,
    Generic,
}

impl WebhookKind {
    pub const ALL: [WebhookKind; 4] = [
        WebhookKind::WeCom,
        WebhookKind::DingTalk,
        WebhookKind::Feishu,
        WebhookKind::Generic,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WebhookKind::WeCom => "wecom",
            WebhookKind::DingTalk => "dingtalk",
            WebhookKind::Feishu => "feishu",
            WebhookKind::Generic => "generic",
        }
    }

    pub fn parse(s: &str) -> Option<WebhookKind> {
        WebhookKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A unit's group robot, as the office set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub kind: WebhookKind,
    pub url: String,
    /// The signing secret (DingTalk's `SEC…`, Feishu's, or the generic hook's HMAC key);
    /// empty when the robot is secured otherwise (keywords, IP lists).
    pub secret: String,
}

/// What is wrong with one field, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelError {
    /// `webhook_kind`, `webhook_url`, `webhook_secret` or `mobile`.
    pub field: &'static str,
    pub message: String,
}

fn refuse(field: &'static str, key: &str, args: &[(&str, &str)]) -> ChannelError {
    ChannelError {
        field,
        message: tr(&format!("domain.channels.{key}"), args),
    }
}

/// An address a server may post to: http(s), a host, no spaces or control characters, at
/// most 500 characters.
fn check_url(url: &str) -> Result<(), ChannelError> {
    static URL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?(/[!-~]*)?$").expect("url pattern")
    });
    if url.chars().count() > 500 {
        return Err(refuse("webhook_url", "url_too_long", &[]));
    }
    if !URL.is_match(url) {
        return Err(refuse("webhook_url", "url_form", &[]));
    }
    Ok(())
}

/// A unit's robot from the three fields the office typed. No kind and no address: no robot.
/// A DingTalk secret is `SEC` and 64 hexadecimal digits, as DingTalk shows it; other secrets
/// are up to 200 visible characters without spaces.
pub fn parse_webhook(kind: &str, url: &str, secret: &str) -> Result<Option<Webhook>, ChannelError> {
    let (kind, url, secret) = (kind.trim(), url.trim(), secret.trim());
    if kind.is_empty() || kind == "none" {
        if !url.is_empty() {
            return Err(refuse("webhook_kind", "kind_needed", &[]));
        }
        return Ok(None);
    }
    let kind = WebhookKind::parse(kind).ok_or_else(|| {
        let shown: String = kind.chars().take(20).collect();
        refuse("webhook_kind", "unknown_kind", &[("kind", &shown)])
    })?;
    if url.is_empty() {
        return Err(refuse("webhook_url", "url_needed", &[]));
    }
    check_url(url)?;
    static DINGTALK: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^SEC[0-9a-f]{64}$").expect("dingtalk secret pattern"));
    if !secret.is_empty() {
        let fits = match kind {
            WebhookKind::DingTalk => DINGTALK.is_match(secret),
            _ => secret.len() <= 200 && secret.chars().all(|c| c.is_ascii_graphic()),
        };
        if !fits {
            return Err(refuse(
                "webhook_secret",
                if kind == WebhookKind::DingTalk {
                    "dingtalk_secret"
                } else {
                    "secret_form"
                },
                &[],
            ));
        }
    }
    Ok(Some(Webhook {
        kind,
        url: url.to_string(),
        secret: secret.to_string(),
    }))
}

/// Mobile numbers (手机号) for SMS, separated by commas, 、 or spaces: each 11 digits from 1
/// (an optional +86 in front is dropped). Returned joined by commas; empty: none.
pub fn parse_mobiles(s: &str) -> Result<String, ChannelError> {
    static MOBILE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^1[3-9][0-9]{9}$").expect("mobile pattern"));
    let mut out: Vec<String> = Vec::new();
    for part in s
        .split([',', '，', '、', ';', '；', ' ', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let digits: String = part.chars().filter(|c| *c != '-').collect();
        let number = digits
            .strip_prefix("+86")
            .or_else(|| digits.strip_prefix("0086"))
            .unwrap_or(&digits);
        if !MOBILE.is_match(number) {
            let shown: String = part.chars().take(20).collect();
            return Err(refuse("mobile", "mobile_form", &[("mobile", &shown)]));
        }
        if !out.iter().any(|n| n == number) {
            out.push(number.to_string());
        }
    }
    if out.len() > 10 {
        return Err(refuse("mobile", "too_many_mobiles", &[]));
    }
    Ok(out.join(","))
}

/// A robot's address without its token, for pages and logs: query values and long path
/// segments keep their first four characters.
pub fn mask_url(url: &str) -> String {
    if url.is_empty() {
        return String::new();
    }
    let cut = |s: &str| -> String {
        if s.chars().count() <= 8 {
            "…".to_string()
        } else {
            format!("{}…", s.chars().take(4).collect::<String>())
        }
    };
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let (scheme, rest) = base.split_once("://").unwrap_or(("", base));
    let mut parts = rest.split('/');
    let host = parts.next().unwrap_or("");
    let path: Vec<String> = parts
        .map(|seg| {
            if seg.chars().count() >= 16 {
                cut(seg)
            } else {
                seg.to_string()
            }
        })
        .collect();
    let mut out = format!("{scheme}://{host}");
    for seg in &path {
        out.push('/');
        out.push_str(seg);
    }
    if !query.is_empty() {
        let masked: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, v)) => format!("{k}={}", cut(v)),
                None => pair.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&masked.join("&"));
    }
    out
}

/// One HTTP request to a robot or a gateway, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// DingTalk's signature (加签): Base64 of HMAC-SHA256 over "timestamp\nsecret", keyed with
/// the secret; the timestamp is in milliseconds.
pub fn dingtalk_sign(secret: &str, timestamp_ms: i64) -> String {
    let message = format!("{timestamp_ms}\n{secret}");
    base64(&hmac_sha256(secret.as_bytes(), message.as_bytes()))
}

/// Feishu's signature: Base64 of HMAC-SHA256 over nothing, keyed with "timestamp\nsecret";
/// the timestamp is in seconds.
pub fn feishu_sign(secret: &str, timestamp_s: i64) -> String {
    let key = format!("{timestamp_s}\n{secret}");
    base64(&hmac_sha256(key.as_bytes(), b""))
}

/// What a robot message says: a title, a markdown body (WeCom, DingTalk) and a plain one
/// (Feishu), and for the generic hook the items themselves.
#[derive(Debug, Clone, Serialize)]
pub struct RobotMessage {
    pub title: String,
    pub markdown: String,
    pub text: String,
    pub department: String,
    pub items: serde_json::Value,
}

/// A robot as the outbox and the chase log name it: its platform and its address without
/// the token.
pub fn robot_label(hook: &Webhook) -> String {
    format!(
        "{} {}",
        tr(&format!("domain.channels.kind.{}", hook.kind.as_str()), &[]),
        mask_url(&hook.url)
    )
}

/// A notice without items (a circular's word, an instruction) as a robot message: its
/// markdown and the platform's body.
pub fn notice(hook: &Webhook, title: &str, text: &str, department: &str) -> (String, String) {
    let message = RobotMessage {
        title: title.to_string(),
        markdown: format!("### {title}\n{}", text.replace('\n', "\n\n")),
        text: text.to_string(),
        department: department.to_string(),
        items: serde_json::Value::Array(Vec::new()),
    };
    let body = robot_body(hook.kind, &message).to_string();
    (message.markdown, body)
}

/// The platform's own message body, as stored in the outbox when the message is queued.
pub fn robot_body(kind: WebhookKind, m: &RobotMessage) -> serde_json::Value {
    use serde_json::json;
    match kind {
        WebhookKind::WeCom => json!({"msgtype": "markdown", "markdown": {"content": m.markdown}}),
        WebhookKind::DingTalk => json!({
            "msgtype": "markdown",
            "markdown": {"title": m.title, "text": m.markdown},
        }),
        WebhookKind::Feishu => json!({"msg_type": "text", "content": {"text": m.text}}),
        WebhookKind::Generic => json!({
            "title": m.title,
            "department": m.department,
            "text": m.text,
            "markdown": m.markdown,
            "items": m.items,
        }),
    }
}

/// The request that delivers a stored `body` to `hook` at `now_ms` (Unix milliseconds):
/// DingTalk's signature goes in the address, Feishu's in the body, the generic hook's in an
/// `X-Duban-Signature` header (HMAC-SHA256 over "timestamp.body", hexadecimal).
pub fn robot_request(hook: &Webhook, body: &str, now_ms: i64) -> Request {
    let mut url = hook.url.clone();
    let mut body = body.to_string();
    let mut headers = vec![(
        "Content-Type".to_string(),
        "application/json; charset=utf-8".to_string(),
    )];
    if !hook.secret.is_empty() {
        match hook.kind {
            WebhookKind::DingTalk => {
                let sign = dingtalk_sign(&hook.secret, now_ms);
                let sign: String = url_encode(&sign);
                url.push(if url.contains('?') { '&' } else { '?' });
                url.push_str(&format!("timestamp={now_ms}&sign={sign}"));
            }
            WebhookKind::Feishu => {
                let seconds = now_ms.div_euclid(1000);
                if let Ok(serde_json::Value::Object(mut map)) = serde_json::from_str(&body) {
                    map.insert("timestamp".into(), seconds.to_string().into());
                    map.insert("sign".into(), feishu_sign(&hook.secret, seconds).into());
                    body = serde_json::Value::Object(map).to_string();
                }
            }
            WebhookKind::Generic | WebhookKind::WeCom => {
                let seconds = now_ms.div_euclid(1000);
                let mac = hmac_sha256(
                    hook.secret.as_bytes(),
                    format!("{seconds}.{body}").as_bytes(),
                );
                let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
                headers.push(("X-Duban-Timestamp".into(), seconds.to_string()));
                headers.push(("X-Duban-Signature".into(), format!("sha256={hex}")));
            }
        }
    }
    Request { url, headers, body }
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Why a delivery did not go through: the platform's or gateway's answer in words, and
/// whether trying again later may help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub transient: bool,
    pub message: String,
}

/// Error codes that mean "too many messages, slow down" on the robot platforms (WeCom 45009,
/// DingTalk 130101 and 660026, Feishu 9499 and 11232): worth retrying.
const RATE_LIMITED: [i64; 5] = [45009, 130101, 660026, 9499, 11232];

/// Reads a robot's or a gateway's answer. HTTP 2xx is delivered unless the JSON answer names
/// an error (`errcode` for WeCom and DingTalk, `code` or `StatusCode` for Feishu, not 0);
/// 429, 5xx and rate-limit codes are tried again, anything else is failed with the answer.
pub fn judge_answer(status: u16, body: &str) -> Result<(), Refused> {
    let shown: String = body.trim().chars().take(300).collect();
    if (200..300).contains(&status) {
        let code = serde_json::from_str::<serde_json::Value>(body)
            .ok()
            .and_then(|v| {
                ["errcode", "code", "StatusCode"]
                    .iter()
                    .find_map(|k| v.get(*k).and_then(serde_json::Value::as_i64))
            })
            .unwrap_or(0);
        if code == 0 {
            return Ok(());
        }
        return Err(Refused {
            transient: RATE_LIMITED.contains(&code),
            message: tr(
                "domain.channels.answer_code",
                &[("code", &code.to_string()), ("answer", &shown)],
            ),
        });
    }
    Err(Refused {
        transient: status == 429 || status >= 500,
        message: tr(
            "domain.channels.answer_status",
            &[("status", &status.to_string()), ("answer", &shown)],
        ),
    })
}

/// Fills the SMS gateway's JSON body template: `{{mobile}}` and `{{text}}` (spaces inside
/// the braces allowed) become the values escaped for a JSON string, so the template puts them
/// in quotes. Any other placeholder, or a result that is not JSON, is an error in words.
pub fn render_sms_body(template: &str, mobile: &str, text: &str) -> Result<String, String> {
    static PLACEHOLDER: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\{\{\s*([^{}]*?)\s*\}\}").expect("placeholder pattern"));
    let escape = |v: &str| {
        let quoted = serde_json::Value::from(v).to_string();
        quoted[1..quoted.len() - 1].to_string()
    };
    let mut unknown = None;
    let out = PLACEHOLDER.replace_all(template, |c: &regex::Captures| match &c[1] {
        "mobile" => escape(mobile),
        "text" => escape(text),
        other => {
            unknown.get_or_insert_with(|| other.to_string());
            String::new()
        }
    });
    if let Some(name) = unknown {
        return Err(tr("domain.channels.sms_placeholder", &[("name", &name)]));
    }
    if let Err(e) = serde_json::from_str::<serde_json::Value>(&out) {
        return Err(tr(
            "domain.channels.sms_not_json",
            &[("error", &e.to_string())],
        ));
    }
    Ok(out.into_owned())
}

/// The numbers a unit's SMS go to: its own (comma-separated, as saved) and its people's,
/// each once, in that order.
pub fn unit_mobiles<'a>(unit: &'a str, people: &'a [String]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for m in unit
        .split(',')
        .filter(|m| !m.is_empty())
        .chain(people.iter().map(String::as_str))
    {
        if !out.contains(&m) {
            out.push(m);
        }
    }
    out
}

/// A mobile number shown with its middle four digits hidden (138****0000).
pub fn mask_mobile(m: &str) -> String {
    if m.len() == 11 && m.is_ascii() {
        format!("{}****{}", &m[..3], &m[7..])
    } else {
        "****".into()
    }
}

/// An SMS (短信) about a unit's items: one line with the count, how many are overdue, the
/// earliest due date and where to report — within one SMS (70 characters) when the unit's
/// name and the address allow.
pub fn sms_text(
    department: &str,
    escalation: bool,
    count: usize,
    overdue: usize,
    earliest_due: &str,
    link: &str,
) -> String {
    let count_s = count.to_string();
    let overdue_s = overdue.to_string();
    let args = [
        ("department", department),
        ("count", count_s.as_str()),
        ("overdue", overdue_s.as_str()),
        ("due", earliest_due),
        ("link", link),
    ];
    let key = match (escalation, overdue > 0) {
        (true, _) => "domain.channels.sms.escalation",
        (false, true) => "domain.channels.sms.overdue",
        (false, false) => "domain.channels.sms.reminder",
    };
    tr(key, &args)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WECOM: &str =
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa";

    #[test]
    fn robots_are_checked_by_kind() {
        let hook = parse_webhook("wecom", &format!(" {WECOM} "), "")
            .unwrap()
            .unwrap();
        assert_eq!((hook.kind, hook.url.as_str()), (WebhookKind::WeCom, WECOM));
        assert_eq!(parse_webhook("", "", ""), Ok(None));
        assert_eq!(parse_webhook("none", "", "whatever"), Ok(None));
        let secret = format!("SEC{}", "0a".repeat(32));
        let ding = parse_webhook(
            "dingtalk",
            "https://oapi.dingtalk.com/robot/send?access_token=abc",
            &secret,
        )
        .unwrap()
        .unwrap();
        assert_eq!(ding.secret, secret);
        // A local receiver with a port is an address too.
        assert!(parse_webhook("generic", "http://127.0.0.1:9000/hook", "k3y").is_ok());
    }

    #[test]
    fn bad_robots_are_refused_by_field() {
        let field = |r: Result<Option<Webhook>, ChannelError>| r.unwrap_err().field;
        assert_eq!(field(parse_webhook("", WECOM, "")), "webhook_kind");
        assert_eq!(field(parse_webhook("slack", WECOM, "")), "webhook_kind");
        assert_eq!(field(parse_webhook("wecom", "", "")), "webhook_url");
        for url in [
            "ftp://example.com/hook",
            "javascript:alert(1)",
            "https://",
            "https://exa mple.com/",
            "https://example.com/a\u{7}b",
            "file:///etc/passwd",
        ] {
            assert_eq!(
                field(parse_webhook("generic", url, "")),
                "webhook_url",
                "{url}"
            );
        }
        let long = format!("https://example.com/{}", "a".repeat(500));
        assert_eq!(field(parse_webhook("generic", &long, "")), "webhook_url");
        for secret in ["SEC123", "abc", &format!("SEC{}", "G".repeat(64))] {
            assert_eq!(
                field(parse_webhook("dingtalk", WECOM, secret)),
                "webhook_secret",
                "{secret}"
            );
        }
        assert_eq!(
            field(parse_webhook("feishu", WECOM, "a b")),
            "webhook_secret"
        );
    }

    #[test]
    fn mobiles_are_eleven_digits_from_one() {
        assert_eq!(
            parse_mobiles("138-0013-8000、+8613900139000, 13800138000").unwrap(),
            "13800138000,13900139000"
        );
        assert_eq!(parse_mobiles("  ").unwrap(), "");
        for bad in ["1380013800", "23800138000", "138001380001", "0991-1234567"] {
            let e = parse_mobiles(bad).unwrap_err();
            assert_eq!(e.field, "mobile");
            assert!(e.message.contains(bad), "{}", e.message);
        }
        let many = (0..11)
            .map(|i| format!("1380013800{i}"))
            .collect::<Vec<_>>();
        assert!(parse_mobiles(&many[..10].join(",")).is_ok());
        assert!(parse_mobiles(&many.join(",").replace("138001380010", "13800138010")).is_err());
    }

    #[test]
    fn addresses_are_shown_without_their_tokens() {
        assert_eq!(
            mask_url(WECOM),
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a…"
        );
        assert_eq!(
            mask_url(
                "https://open.feishu.cn/open-apis/bot/v2/hook/3c5e1a9b-1234-4cde-9abc-0123456789ab"
            ),
            "https://open.feishu.cn/open-apis/bot/v2/hook/3c5e…"
        );
        assert_eq!(
            mask_url("http://127.0.0.1:9000/hook"),
            "http://127.0.0.1:9000/hook"
        );
    }

    #[test]
    fn dingtalk_signs_the_timestamp_with_its_secret() {
        // DingTalk's documented procedure, recomputed here independently: HMAC-SHA256 keyed
        // with the secret over "timestamp\nsecret", Base64, then percent-encoded in the URL.
        let secret = format!("SEC{}", "0a".repeat(32));
        let hook = Webhook {
            kind: WebhookKind::DingTalk,
            url: "https://oapi.dingtalk.com/robot/send?access_token=abc".into(),
            secret: secret.clone(),
        };
        let ts = 1_767_225_600_123;
        let req = robot_request(&hook, "{}", ts);
        let (base, query) = req.url.split_once("&timestamp=").unwrap();
        assert_eq!(
            base,
            "https://oapi.dingtalk.com/robot/send?access_token=abc"
        );
        let (stamp, sign) = query.split_once("&sign=").unwrap();
        assert_eq!(stamp, ts.to_string());
        let expected = dingtalk_sign(&secret, ts);
        assert_eq!(expected.len(), 44, "Base64 of 32 bytes");
        assert_eq!(sign, url_encode(&expected));
        assert!(!sign.contains('+') && !sign.contains('/') && !sign.contains('='));
        // A different second gives a different signature; a different secret too.
        assert_ne!(dingtalk_sign(&secret, ts + 1000), expected);
        assert_ne!(dingtalk_sign("SECother", ts), expected);
        // Without a secret the address is left as it is.
        let open = Webhook {
            secret: String::new(),
            ..hook
        };
        assert_eq!(robot_request(&open, "{}", ts).url, open.url);
    }

    #[test]
    fn each_platform_gets_its_own_body() {
        let m = RobotMessage {
            title: "督办提醒".into(),
            markdown: "### 督办提醒\n1. **已逾期**".into(),
            text: "督办提醒\n1. 已逾期".into(),
            department: "地区人社局".into(),
            items: serde_json::json!([{"due_on": "2026-04-10"}]),
        };
        let wecom = robot_body(WebhookKind::WeCom, &m);
        assert_eq!(wecom["msgtype"], "markdown");
        assert_eq!(wecom["markdown"]["content"], m.markdown);
        let ding = robot_body(WebhookKind::DingTalk, &m);
        assert_eq!(ding["markdown"]["title"], "督办提醒");
        assert_eq!(ding["markdown"]["text"], m.markdown);
        let feishu = robot_body(WebhookKind::Feishu, &m);
        assert_eq!(feishu["msg_type"], "text");
        assert_eq!(feishu["content"]["text"], m.text);
        let generic = robot_body(WebhookKind::Generic, &m);
        assert_eq!(generic["department"], "地区人社局");
        assert_eq!(generic["items"][0]["due_on"], "2026-04-10");

        // Feishu's signature goes into the body, in seconds.
        let hook = Webhook {
            kind: WebhookKind::Feishu,
            url: "https://open.feishu.cn/open-apis/bot/v2/hook/x".into(),
            secret: "s3cret".into(),
        };
        let req = robot_request(&hook, &feishu.to_string(), 1_767_225_600_999);
        let sent: serde_json::Value = serde_json::from_str(&req.body).unwrap();
        assert_eq!(sent["timestamp"], "1767225600");
        assert_eq!(sent["sign"], feishu_sign("s3cret", 1_767_225_600));
        assert_eq!(sent["content"]["text"], m.text);
        // The generic hook's in a header over timestamp and body.
        let hook = Webhook {
            kind: WebhookKind::Generic,
            url: "http://127.0.0.1:9/hook".into(),
            secret: "k".into(),
        };
        let req = robot_request(&hook, "{\"a\":1}", 5_000);
        let mac = hmac_sha256(b"k", b"5.{\"a\":1}");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert!(req
            .headers
            .contains(&("X-Duban-Signature".into(), format!("sha256={hex}"))));
    }

    #[test]
    fn answers_are_read_as_platforms_give_them() {
        assert_eq!(judge_answer(200, r#"{"errcode":0,"errmsg":"ok"}"#), Ok(()));
        assert_eq!(judge_answer(200, r#"{"code":0,"msg":"success"}"#), Ok(()));
        assert_eq!(judge_answer(204, ""), Ok(()));
        let sign = judge_answer(200, r#"{"errcode":310000,"errmsg":"sign not match"}"#);
        let sign = sign.unwrap_err();
        assert!(!sign.transient);
        assert!(sign.message.contains("310000") && sign.message.contains("sign not match"));
        assert!(
            judge_answer(200, r#"{"errcode":45009}"#)
                .unwrap_err()
                .transient
        );
        assert!(judge_answer(503, "busy").unwrap_err().transient);
        assert!(judge_answer(429, "").unwrap_err().transient);
        let bad = judge_answer(400, r#"{"error":"bad mobile"}"#).unwrap_err();
        assert!(!bad.transient);
        assert!(bad.message.contains("400") && bad.message.contains("bad mobile"));
        // A long answer is cut for the outbox page.
        let long = judge_answer(500, &"x".repeat(5000)).unwrap_err();
        assert!(long.message.chars().count() < 400);
    }

    #[test]
    fn the_sms_template_is_filled_as_json() {
        let t = r#"{"phone": "{{mobile}}", "content": "{{ text }}", "sign": "督办"}"#;
        let body = render_sms_body(t, "13800138000", "第\"一\"行\n第二行").unwrap();
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["phone"], "13800138000");
        assert_eq!(v["content"], "第\"一\"行\n第二行");
        let unknown = render_sms_body(r#"{"a": "{{phone}}"}"#, "1", "x").unwrap_err();
        assert!(unknown.contains("phone"), "{unknown}");
        let unquoted = render_sms_body(r#"{"a": {{text}}}"#, "1", "x").unwrap_err();
        assert!(unquoted.contains("JSON"), "{unquoted}");
        assert_eq!(mask_mobile("13800138000"), "138****8000");
        let people = ["13900139000".to_string(), "13800138000".to_string()];
        assert_eq!(
            unit_mobiles("13800138000,13700137000", &people),
            ["13800138000", "13700137000", "13900139000"]
        );
        assert!(unit_mobiles("", &[]).is_empty());
    }

    #[test]
    fn an_sms_fits_one_message_for_a_usual_unit() {
        let text = sms_text(
            "地区人社局",
            false,
            3,
            1,
            "2026-04-10",
            "https://db.example.gov.cn/desk",
        );
        assert!(text.contains("地区人社局") && text.contains('3') && text.contains("2026-04-10"));
        assert!(
            text.chars().count() <= 70,
            "{} chars: {text}",
            text.chars().count()
        );
        let escalated = sms_text("地区人社局", true, 2, 2, "2026-04-10", "x");
        assert_ne!(
            escalated,
            sms_text("地区人社局", false, 2, 2, "2026-04-10", "x")
        );
    }
}
