//! Accounts: roles, the values people type into account and department forms, and the login
//! lockout rule. Constructors reject bad input with a message a person can act on.

use chrono::{Duration, NaiveDateTime};
use serde::Serialize;

use crate::i18n::tr;

/// What a person does in duban.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// 督查室: manages documents, departments, users and deadlines; reviews; sees everything.
    Admin,
    /// 联络员: belongs to one department; reads the plan; writes for their department only.
    Liaison,
    /// 领导: reads everything; writes nothing but their own password.
    Leader,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Liaison, Role::Leader];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Liaison => "liaison",
            Role::Leader => "leader",
        }
    }

    /// The role's name in the UI.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "督查室管理员",
            Role::Liaison => "联络员",
            Role::Leader => "领导",
        }
    }

    pub fn parse(s: &str) -> Result<Role, String> {
        match s.trim() {
            "admin" => Ok(Role::Admin),
            "liaison" => Ok(Role::Liaison),
            "leader" => Ok(Role::Leader),
            other => Err(tr("domain.accounts.invalid_role", &[("role", other)])),
        }
    }
}

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// A login name: 3–32 characters of lowercase letters, digits, `.`, `_` or `-`.
pub fn parse_username(s: &str) -> Result<String, String> {
    let s = s.trim().to_lowercase();
    let ok_chars = s
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if !(3..=32).contains(&s.chars().count()) || !ok_chars {
        return Err(tr("domain.accounts.username", &[]));
    }
    Ok(s)
}

/// A name shown to people: 1–50 characters, no control characters.
pub fn parse_display_name(s: &str) -> Result<String, String> {
    let s = crate::domain::text::strip_format(s);
    let s = s.trim();
    if s.is_empty() || s.chars().count() > 50 || has_control(s) {
        return Err(tr("domain.accounts.display_name", &[]));
    }
    Ok(s.to_string())
}

/// A department's name: 2–60 characters, no control characters.
pub fn parse_department_name(s: &str) -> Result<String, String> {
    let s = crate::domain::text::strip_format(s);
    let s = s.trim();
    if s.chars().count() < 2 || s.chars().count() > 60 || has_control(s) {
        return Err(tr("domain.accounts.department_name", &[]));
    }
    Ok(s.to_string())
}

/// One email address, checked for shape (the mail server has the last word).
pub fn parse_email(s: &str) -> Result<String, String> {
    let s = s.trim();
    let bad = || tr("domain.accounts.bad_email", &[("email", s)]);
    if s.len() > 254 || has_control(s) || s.contains(char::is_whitespace) {
        return Err(bad());
    }
    let (local, domain) = s.split_once('@').ok_or_else(bad)?;
    if local.is_empty()
        || local.len() > 64
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with(['.', '-'])
        || domain.ends_with(['.', '-'])
        || !domain
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-'))
    {
        return Err(bad());
    }
    Ok(s.to_string())
}

/// Email addresses separated by commas, semicolons, spaces or new lines; duplicates dropped.
/// Returned as the canonical comma-separated text. Empty input means no address.
pub fn parse_email_list(s: &str) -> Result<String, String> {
    let mut out: Vec<String> = Vec::new();
    for part in s.split([',', ';', '，', '；', '\n', '\r', ' ']) {
        if part.trim().is_empty() {
            continue;
        }
        let email = parse_email(part)?;
        if !out.iter().any(|e| e.eq_ignore_ascii_case(&email)) {
            out.push(email);
        }
    }
    if out.len() > 20 {
        return Err(tr("domain.accounts.too_many_emails", &[]));
    }
    Ok(out.join(","))
}

/// Aliases, one per line (or separated by 、 or commas); each is checked like a name.
pub fn parse_aliases(s: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for part in s.split(['\n', '\r', ',', '，', '、']) {
        if part.trim().is_empty() {
            continue;
        }
        let alias = parse_department_name(part)
            .map_err(|_| tr("domain.accounts.bad_alias", &[("alias", part.trim())]))?;
        if !out.contains(&alias) {
            out.push(alias);
        }
    }
    Ok(out)
}

/// The least length of a password (ASVS 2.1.1).
pub const MIN_PASSWORD_CHARS: usize = 12;

/// A password: 12–128 characters that a strength estimator (zxcvbn: dictionaries of common
/// passwords, names and words, keyboard patterns, dates, repeats) rates at least "safely
/// unguessable" (3 of 4). `context` holds what an attacker knows about the account (the user
/// name, the person's name), which must not make the password.
pub fn check_password(s: &str, context: &[&str]) -> Result<(), String> {
    let n = s.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(tr("domain.accounts.password_too_short", &[]));
    }
    if n > 128 {
        return Err(tr("domain.accounts.password_too_long", &[]));
    }
    let context: Vec<&str> = context.iter().copied().filter(|c| !c.is_empty()).collect();
    let score: u8 = zxcvbn::zxcvbn(s, &context).score().into();
    if score < 3 {
        return Err(tr("domain.accounts.password_too_weak", &[]));
    }
    Ok(())
}

/// Where to go after login: only a path on this site, never another host.
pub fn safe_next(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\')
        && next.len() <= 512;
    ok.then_some(next)
}

/// How many failed logins lock an account, and for how long.
#[derive(Debug, Clone, Copy)]
pub struct LockoutPolicy {
    pub max_failures: u32,
    pub lockout: Duration,
}

/// The account's state after one more failed login: the new failure count and, from the
/// limit on, the time until which sign-ins from browsers the account has not used before
/// wait. Each further failure doubles the wait (up to 64 times the policy's, at most a day),
/// so guessing slows down ever more; a browser that signed in before is not held up (see
/// `web::login`), so the lock cannot be used to keep the owner out. The count starts again
/// at the next successful sign-in.
pub fn after_failed_login(
    failures: i32,
    now: NaiveDateTime,
    policy: LockoutPolicy,
) -> (i32, Option<NaiveDateTime>) {
    let failures = failures.max(0).saturating_add(1);
    let max = i32::try_from(policy.max_failures).unwrap_or(i32::MAX);
    if failures >= max {
        let doublings = u32::try_from(failures - max).unwrap_or(0).min(6);
        let wait = (policy.lockout * 2i32.pow(doublings)).min(Duration::hours(24));
        (failures, Some(now + wait))
    } else {
        (failures, None)
    }
}

pub fn is_locked(locked_until: Option<NaiveDateTime>, now: NaiveDateTime) -> bool {
    locked_until.is_some_and(|t| now < t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, 2)
            .unwrap()
            .and_hms_opt(h, m, 0)
            .unwrap()
    }

    #[test]
    fn usernames_are_lowercase_and_plain() {
        assert_eq!(parse_username(" ZhangWei ").unwrap(), "zhangwei");
        assert!(parse_username("ab").is_err());
        assert!(parse_username("张伟").is_err());
        assert!(parse_username("a b c").is_err());
        assert!(parse_username(&"a".repeat(33)).is_err());
    }

    #[test]
    fn email_lists_accept_common_separators_and_reject_junk() {
        assert_eq!(
            parse_email_list("a@x.cn, b@x.cn；A@x.cn\nc@y.gov.cn").unwrap(),
            "a@x.cn,b@x.cn,c@y.gov.cn"
        );
        assert_eq!(parse_email_list("  ").unwrap(), "");
        assert!(parse_email_list("a@x.cn, not-an-address").is_err());
        assert!(parse_email("a@localhost").is_err());
        assert!(parse_email("a@@x.cn").is_err());
        assert!(parse_email("a@x.cn\r\nBcc: evil@x.cn").is_err());
    }

    #[test]
    fn aliases_split_on_lines_and_enumeration_commas() {
        assert_eq!(
            parse_aliases("财政局\n财政厅、地区财政局\n\n财政局").unwrap(),
            vec!["财政局", "财政厅", "地区财政局"]
        );
        assert!(parse_aliases("财").is_err());
    }

    #[test]
    fn messages_speak_the_request_language() {
        use crate::i18n::{with_lang, Lang};
        assert_eq!(
            check_password("short", &[]),
            Err("密码至少 12 个字符".to_string())
        );
        assert_eq!(
            with_lang(Lang::En, || parse_email("a@b")),
            Err("“a@b” is not a valid email address".to_string())
        );
    }

    #[test]
    fn next_must_stay_on_this_site() {
        assert_eq!(safe_next("/documents/1?x=1"), Some("/documents/1?x=1"));
        assert_eq!(safe_next("//evil.example/"), None);
        assert_eq!(safe_next("https://evil.example/"), None);
        assert_eq!(safe_next("/\\evil.example"), None);
    }

    #[test]
    fn the_fifth_failure_locks_for_the_policy_time() {
        let policy = LockoutPolicy {
            max_failures: 5,
            lockout: Duration::minutes(15),
        };
        let mut failures = 0;
        for _ in 0..4 {
            let (n, locked) = after_failed_login(failures, at(9, 0), policy);
            assert!(locked.is_none());
            failures = n;
        }
        let (n, locked) = after_failed_login(failures, at(9, 0), policy);
        assert_eq!((n, locked), (5, Some(at(9, 15))));
        assert!(is_locked(locked, at(9, 14)));
        assert!(!is_locked(locked, at(9, 15)));
        // Each further failure doubles the wait, up to 64 times the policy's.
        assert_eq!(
            after_failed_login(5, at(9, 15), policy),
            (6, Some(at(9, 45)))
        );
        assert_eq!(
            after_failed_login(6, at(10, 0), policy),
            (7, Some(at(11, 0)))
        );
        let (_, far) = after_failed_login(40, at(0, 0), policy);
        assert_eq!(far, Some(at(16, 0)));
    }

    #[test]
    fn passwords_are_long_and_hard_to_guess() {
        for weak in [
            "12345678",
            "123456789012",
            "passwordpassword",
            "qwertyuiop123",
            "admin-admin-admin",
        ] {
            assert!(check_password(weak, &[]).is_err(), "{weak} accepted");
        }
        assert!(
            check_password("zhangwei2026!", &["zhangwei"]).is_err(),
            "the user name"
        );
        for strong in [
            "correct horse battery staple",
            "Tacheng-jiuye-5829-xq",
            "雪山脚下的塔城2026年就业",
        ] {
            assert_eq!(check_password(strong, &[]), Ok(()), "{strong} refused");
        }
        assert!(check_password(&"x".repeat(129), &[]).is_err());
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
        assert!(Role::parse("root").is_err());
    }
}
