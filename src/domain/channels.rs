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
}
