//! Account operations shared by the web pages and the command line: creating and editing
//! users, passwords, sign-in with lockout, sessions and API tokens. Each change is validated
//! first, then written in one transaction together with its audit entry.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::config::AuthSettings;
use crate::db::audit::{self, Details, NewAuditEntry};
use crate::db::departments::{self, Change};
use crate::db::users::{self, NewUser, User, UserChanges};
use crate::db::{sessions, tokens, DbConn};
use crate::domain::accounts::{
    after_failed_login, check_password, is_locked, parse_display_name, parse_email_list,
    parse_username, LockoutPolicy, Role,
};
use crate::i18n::tr;
use crate::security;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<AccountError> for crate::error::AppError {
    fn from(e: AccountError) -> Self {
        use crate::error::AppError;
        match e {
            AccountError::Invalid(m) => AppError::Validation(m),
            AccountError::Conflict(m) => AppError::Conflict(m),
            AccountError::NotFound(m) => AppError::NotFound(m),
            AccountError::Db(e) => AppError::from(e),
            AccountError::Other(e) => AppError::Internal(e),
        }
    }
}

fn record(
    conn: &mut DbConn,
    change: Change<'_>,
    action: &str,
    entity: &str,
    entity_id: Option<i32>,
    summary: &str,
) -> diesel::QueryResult<()> {
    audit::record(
        conn,
        NewAuditEntry {
            at: change.at,
            actor: change.actor,
            action,
            entity,
            entity_id,
            summary,
        },
    )
}

/// A role's name in the catalog (`common.role.<role>`).
fn role_word(role: &str) -> String {
    format!("common.role.{role}")
}

/// An account's state as the user pages name it.
fn active_word(active: bool) -> &'static str {
    if active {
        "admin.users.active"
    } else {
        "admin.users.disabled"
    }
}

/// Whole minutes from `now` until `until`, rounded up.
fn minutes_until(now: NaiveDateTime, until: NaiveDateTime) -> i64 {
    let seconds = (until - now).num_seconds().max(0);
    (seconds + 59) / 60
}

/// A user as typed into a form or on the command line, before validation.
#[derive(Debug, Clone, Default)]
pub struct UserInput {
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub role: String,
    /// A department id (forms) …
    pub department_id: Option<i32>,
    /// … or a department's name or alias (command line).
    pub department_name: Option<String>,
    pub active: bool,
}

struct ValidUser {
    display_name: String,
    email: String,
    role: Role,
    department_id: Option<i32>,
    /// The department's name, for the audit log.
    department: Option<String>,
}

fn validate(conn: &mut DbConn, input: &UserInput) -> Result<ValidUser, AccountError> {
    let role = Role::parse(&input.role).map_err(AccountError::Invalid)?;
    let display_name = parse_display_name(&input.display_name).map_err(AccountError::Invalid)?;
    let email = parse_email_list(&input.email).map_err(AccountError::Invalid)?;
    if email.contains(',') {
        return Err(AccountError::Invalid(tr(
            "service.accounts.one_email_only",
            &[],
        )));
    }
    let department = match (&input.department_name, input.department_id) {
        (Some(name), _) if !name.trim().is_empty() => Some(
            departments::find_by_name_or_alias(conn, name.trim())?.ok_or_else(|| {
                AccountError::Invalid(tr(
                    "service.accounts.department_unknown",
                    &[("name", name.trim())],
                ))
            })?,
        ),
        (_, Some(id)) => Some(departments::find(conn, id)?.ok_or_else(|| {
            AccountError::Invalid(tr("service.accounts.selected_department_unknown", &[]))
        })?),
        _ => None,
    };
    // Only liaisons belong to a department.
    let department = department.filter(|_| role == Role::Liaison);
    if role == Role::Liaison && department.is_none() {
        return Err(AccountError::Invalid(tr(
            "service.accounts.liaison_needs_department",
            &[],
        )));
    }
    Ok(ValidUser {
        display_name,
        email,
        role,
        department_id: department.as_ref().map(|d| d.id),
        department: department.map(|d| d.name),
    })
}

/// Creates a user; the password is hashed with argon2id.
pub fn create_user(
    conn: &mut DbConn,
    input: &UserInput,
    password: &str,
    change: Change<'_>,
) -> Result<i32, AccountError> {
    let username = parse_username(&input.username).map_err(AccountError::Invalid)?;
    check_password(password, &[&username, &input.display_name]).map_err(AccountError::Invalid)?;
    let hash = security::hash_password(password)?;
    crate::db::transaction(conn, |conn| {
        let valid = validate(conn, input)?;
        if users::find_by_username(conn, &username)?.is_some() {
            return Err(AccountError::Conflict(tr(
                "service.accounts.username_taken",
                &[("username", &username)],
            )));
        }
        let id = users::create(
            conn,
            &NewUser {
                username: &username,
                display_name: &valid.display_name,
                email: &valid.email,
                role: valid.role.as_str(),
                department_id: valid.department_id,
                active: true,
                password_hash: &hash,
                failed_logins: 0,
                created_at: change.at,
            },
        )?;
        let summary = Details::new("user.create")
            .arg("username", &username)
            .word("role", role_word(valid.role.as_str()))
            .arg_or_none("department", valid.department.as_deref())
            .to_string();
        record(conn, change, "user.create", "user", Some(id), &summary)?;
        Ok(id)
    })
}

/// Edits a user. Disabling, or changing the role or department, ends their sessions.
pub fn update_user(
    conn: &mut DbConn,
    id: i32,
    input: &UserInput,
    change: Change<'_>,
) -> Result<(), AccountError> {
    crate::db::transaction(conn, |conn| {
        let before = users::find(conn, id)?
            .ok_or_else(|| AccountError::NotFound(tr("service.accounts.user_not_found", &[])))?;
        let valid = validate(conn, input)?;
        if before.username == change.actor && (!input.active || valid.role != Role::Admin) {
            return Err(AccountError::Invalid(tr(
                "service.accounts.cannot_demote_self",
                &[],
            )));
        }
        users::update(
            conn,
            id,
            &UserChanges {
                display_name: &valid.display_name,
                email: &valid.email,
                role: valid.role.as_str(),
                department_id: valid.department_id,
                active: input.active,
            },
        )?;
        let access_changed = before.active != input.active
            || before.role != valid.role.as_str()
            || before.department_id != valid.department_id;
        if access_changed {
            users::end_sessions(conn, id)?;
        }
        let revoked = if before.active && !input.active {
            tokens::revoke_all_of(conn, id, change.at)?
        } else {
            0
        };
        let mut changes = Vec::new();
        if before.role != valid.role.as_str() {
            changes.push(
                Details::new("change.role")
                    .word("before", role_word(&before.role))
                    .word("after", role_word(valid.role.as_str())),
            );
        }
        if before.department_id != valid.department_id {
            let was = match before.department_id {
                Some(d) => departments::find(conn, d)?.map(|d| d.name),
                None => None,
            };
            changes.push(
                Details::new("change.department")
                    .arg_or_none("before", was)
                    .arg_or_none("after", valid.department.as_deref()),
            );
        }
        if before.active != input.active {
            changes.push(
                Details::new("change.active")
                    .word("before", active_word(before.active))
                    .word("after", active_word(input.active)),
            );
        }
        if before.display_name != valid.display_name {
            changes.push(Details::change(
                "display_name",
                &before.display_name,
                &valid.display_name,
            ));
        }
        if before.email != valid.email {
            changes.push(Details::change("email", &before.email, &valid.email));
        }
        if revoked > 0 {
            changes.push(Details::new("change.tokens_revoked").arg("n", revoked));
        }
        if changes.is_empty() {
            changes.push(Details::new("change.nothing"));
        }
        let summary = Details::new("user.update")
            .arg("username", &before.username)
            .clauses("changes", changes)
            .to_string();
        record(conn, change, "user.update", "user", Some(id), &summary)?;
        Ok(())
    })
}

/// Disables a user by name: they cannot sign in, their sessions end and their tokens stop.
pub fn disable_user(
    conn: &mut DbConn,
    username: &str,
    change: Change<'_>,
) -> Result<(), AccountError> {
    crate::db::transaction(conn, |conn| {
        let user = users::find_by_username(conn, username)?.ok_or_else(|| {
            AccountError::NotFound(tr(
                "service.accounts.username_not_found",
                &[("username", username)],
            ))
        })?;
        diesel::update(crate::db::schema::users::table.find(user.id))
            .set(crate::db::schema::users::active.eq(false))
            .execute(conn)?;
        users::end_sessions(conn, user.id)?;
        let revoked = tokens::revoke_all_of(conn, user.id, change.at)?;
        record(
            conn,
            change,
            "user.disable",
            "user",
            Some(user.id),
            &Details::new("user.disable")
                .arg("username", username)
                .arg("revoked", revoked)
                .to_string(),
        )?;
        Ok(())
    })
}

/// Sets a new password and ends the user's sessions, except `keep` (the session of a person
/// changing their own password).
pub fn set_password(
    conn: &mut DbConn,
    id: i32,
    password: &str,
    keep: Option<&str>,
    change: Change<'_>,
) -> Result<(), AccountError> {
    check_password(password, &[]).map_err(AccountError::Invalid)?;
    let hash = security::hash_password(password)?;
    crate::db::transaction(conn, |conn| {
        let user = users::find(conn, id)?
            .ok_or_else(|| AccountError::NotFound(tr("service.accounts.user_not_found", &[])))?;
        users::set_password(conn, id, &hash)?;
        let ended = diesel::delete(
            crate::db::schema::sessions::table
                .filter(crate::db::schema::sessions::user_id.eq(id))
                .filter(crate::db::schema::sessions::id_hash.ne(keep.unwrap_or(""))),
        )
        .execute(conn)?;
        let summary = Details::new("user.password")
            .arg("username", &user.username)
            .arg("ended", ended)
            .to_string();
        record(conn, change, "user.password", "user", Some(id), &summary)?;
        Ok(())
    })
}

/// Why a sign-in failed. People see one message for all of them.
#[derive(Debug, PartialEq, Eq)]
pub enum LoginFailure {
    UnknownUser,
    WrongPassword,
    Locked,
    Disabled,
}

/// The account a sign-in names (user names are matched in lower case), loaded before the
/// password is checked so that the slow hash runs without a database connection held.
pub fn login_candidate(conn: &mut DbConn, username: &str) -> Result<Option<User>, AccountError> {
    Ok(users::find_by_username(
        conn,
        &username.trim().to_lowercase(),
    )?)
}

/// Whether a sign-in to `user` may have its password checked now. A browser that signed in
/// to this account before (`trusted`) is never held up by the lock: the lock slows down
/// guessing from elsewhere without keeping the owner out.
pub fn login_allowed(user: &User, trusted: bool, now: NaiveDateTime) -> Result<(), LoginFailure> {
    if !user.active {
        return Err(LoginFailure::Disabled);
    }
    if !trusted && is_locked(user.locked_until, now) {
        return Err(LoginFailure::Locked);
    }
    Ok(())
}

/// Records a checked password: success clears the failure count; a failure from a browser
/// the account has not used counts towards the growing lock (audited). Returns the user on
/// success.
pub fn record_login(
    conn: &mut DbConn,
    user: User,
    matched: bool,
    trusted: bool,
    now: NaiveDateTime,
    auth: &AuthSettings,
) -> Result<Result<User, LoginFailure>, AccountError> {
    crate::db::transaction(conn, |conn| {
        if matched {
            if user.failed_logins != 0 || user.locked_until.is_some() {
                users::set_login_failures(conn, user.id, 0, None)?;
            }
            return Ok(Ok(user));
        }
        let change = Change {
            actor: &user.username,
            at: now,
        };
        if trusted {
            // The owner's own browser mistyping: not a guess from elsewhere.
            record(
                conn,
                change,
                "user.login_failed",
                "user",
                Some(user.id),
                &Details::new("user.login_failed_known").to_string(),
            )?;
            return Ok(Err(LoginFailure::WrongPassword));
        }
        let policy = LockoutPolicy {
            max_failures: auth.max_failed_logins,
            lockout: auth.lockout,
        };
        let (failures, locked_until) = after_failed_login(user.failed_logins, now, policy);
        users::set_login_failures(conn, user.id, failures, locked_until)?;
        tracing::warn!(username = ?user.username, locked = locked_until.is_some(), "failed sign-in");
        let (action, summary) = match locked_until {
            Some(until) => (
                "user.locked",
                Details::new("user.locked")
                    .arg("count", failures)
                    .arg("minutes", minutes_until(now, until)),
            ),
            None => (
                "user.login_failed",
                Details::new("user.login_failed").arg("count", failures),
            ),
        };
        record(
            conn,
            change,
            action,
            "user",
            Some(user.id),
            &summary.to_string(),
        )?;
        Ok(Err(LoginFailure::WrongPassword))
    })
}

/// A new session: the raw id goes into the cookie, only its digest into the table.
pub struct NewSession {
    pub id: String,
    pub csrf_token: String,
}

/// Starts a session; `previous` (the digest of the session this browser had, if any) ends,
/// so one browser never holds two.
pub fn start_session(
    conn: &mut DbConn,
    user: &User,
    previous: Option<&str>,
    now: NaiveDateTime,
) -> Result<NewSession, AccountError> {
    let session = NewSession {
        id: security::random_hex(32),
        csrf_token: security::random_hex(32),
    };
    crate::db::transaction(conn, |conn| {
        if let Some(previous) = previous {
            sessions::delete(conn, previous)?;
        }
        // Ended sessions are kept a while (a report sent just after one ended is saved as a
        // draft); a week without use clears them.
        sessions::delete_ended(
            conn,
            now - chrono::Duration::days(7),
            now - chrono::Duration::days(30),
        )?;
        sessions::create(
            conn,
            &security::sha256_hex(&session.id),
            user.id,
            &session.csrf_token,
            now,
        )?;
        record(
            conn,
            Change {
                actor: &user.username,
                at: now,
            },
            "user.login",
            "user",
            Some(user.id),
            &Details::new("user.login").to_string(),
        )?;
        Ok::<_, AccountError>(())
    })?;
    Ok(session)
}

pub fn end_session(
    conn: &mut DbConn,
    id_hash: &str,
    user: &User,
    now: NaiveDateTime,
) -> Result<(), AccountError> {
    crate::db::transaction(conn, |conn| {
        sessions::delete(conn, id_hash)?;
        record(
            conn,
            Change {
                actor: &user.username,
                at: now,
            },
            "user.logout",
            "user",
            Some(user.id),
            &Details::new("user.logout").to_string(),
        )?;
        Ok(())
    })
}

/// Creates an API token for a user; returns its id and the token, which is shown only now.
pub fn create_token(
    conn: &mut DbConn,
    username: &str,
    label: &str,
    change: Change<'_>,
) -> Result<(i32, String), AccountError> {
    let label = crate::domain::text::strip_format(label);
    let label = label.trim();
    if label.chars().count() > 80 || label.chars().any(char::is_control) {
        return Err(AccountError::Invalid(tr(
            "service.accounts.token_label_too_long",
            &[],
        )));
    }
    let token = format!("duban_{}", security::random_hex(32));
    crate::db::transaction(conn, |conn| {
        let user = users::find_by_username(conn, username)?.ok_or_else(|| {
            AccountError::NotFound(tr(
                "service.accounts.username_not_found",
                &[("username", username)],
            ))
        })?;
        if !user.active {
            return Err(AccountError::Invalid(tr(
                "service.accounts.user_disabled",
                &[("username", username)],
            )));
        }
        let id = tokens::create(
            conn,
            user.id,
            label,
            &security::sha256_hex(&token),
            change.at,
        )?;
        let summary = Details::new("token.create")
            .arg("id", id)
            .arg_or_none("label", Some(label))
            .arg("username", username)
            .to_string();
        record(conn, change, "token.create", "token", Some(id), &summary)?;
        Ok((id, token))
    })
}

pub fn revoke_token(conn: &mut DbConn, id: i32, change: Change<'_>) -> Result<(), AccountError> {
    crate::db::transaction(conn, |conn| {
        let owner = tokens::revoke(conn, id, change.at)?.ok_or_else(|| {
            AccountError::NotFound(tr(
                "service.accounts.token_not_found",
                &[("id", &id.to_string())],
            ))
        })?;
        let summary = Details::new("token.revoke")
            .arg("id", id)
            .arg("owner", &owner)
            .to_string();
        record(conn, change, "token.revoke", "token", Some(id), &summary)?;
        Ok(())
    })
}

/// 分管领导: replaces the units a leader oversees, whose escalations they are then copied on;
/// audited. Only a leader oversees units; every id must be a unit.
pub fn set_oversight(
    conn: &mut DbConn,
    user_id: i32,
    department_ids: &[i32],
    change: Change<'_>,
) -> Result<(), AccountError> {
    use crate::db::oversight;
    crate::db::transaction(conn, |conn| {
        let user = users::find(conn, user_id)?
            .ok_or_else(|| AccountError::NotFound(tr("service.accounts.user_not_found", &[])))?;
        let mut ids: Vec<i32> = department_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        if user.role != Role::Leader.as_str() && !ids.is_empty() {
            return Err(AccountError::Invalid(tr(
                "service.accounts.oversight_leaders_only",
                &[("username", &user.username)],
            )));
        }
        let known = oversight::existing(conn, &ids)?;
        if let Some(missing) = ids.iter().find(|i| !known.iter().any(|(k, _)| k == *i)) {
            return Err(AccountError::Invalid(tr(
                "service.accounts.oversight_no_unit",
                &[("id", &missing.to_string())],
            )));
        }
        oversight::set(conn, user_id, &ids)?;
        let names: Vec<String> = known.into_iter().map(|(_, name)| name).collect();
        let summary = Details::new("user.oversight")
            .arg("username", &user.username)
            .arg_or_none("units", Some(names.join("、")))
            .to_string();
        record(
            conn,
            change,
            "user.oversight",
            "user",
            Some(user_id),
            &summary,
        )?;
        Ok(())
    })
}

/// The office sets a person's mobile number for SMS (短信); audited. Empty removes it.
pub fn set_mobile(
    conn: &mut DbConn,
    user_id: i32,
    mobile: &str,
    change: Change<'_>,
) -> Result<(), AccountError> {
    // One number, as people write it: +86 139-0013-9000.
    let compact: String = mobile.chars().filter(|c| !c.is_whitespace()).collect();
    let mobile = crate::domain::channels::parse_mobiles(&compact)
        .map_err(|e| AccountError::Invalid(e.message))?;
    if mobile.contains(',') {
        return Err(AccountError::Invalid(tr(
            "service.accounts.one_mobile",
            &[],
        )));
    }
    crate::db::transaction(conn, |conn| {
        let user = users::find(conn, user_id)?
            .ok_or_else(|| AccountError::NotFound(tr("service.accounts.user_not_found", &[])))?;
        users::set_mobile(conn, user_id, &mobile)?;
        let summary = Details::new("user.mobile")
            .arg("username", &user.username)
            .arg_or_none(
                "mobile",
                Some(crate::domain::channels::mask_mobile(&mobile)).filter(|_| !mobile.is_empty()),
            )
            .to_string();
        record(conn, change, "user.mobile", "user", Some(user_id), &summary)?;
        Ok(())
    })
}

/// A person chooses their interface language; audited.
pub fn set_language(
    conn: &mut DbConn,
    user: &crate::authz::CurrentUser,
    lang: crate::i18n::Lang,
    now: NaiveDateTime,
) -> Result<(), AccountError> {
    crate::db::transaction(conn, |conn| {
        users::set_language(conn, user.id, Some(lang.code()))?;
        let change = user.change(now);
        let summary = Details::new("user.language")
            .word(
                "language",
                format!("admin.audit.words.lang_{}", lang.code()),
            )
            .to_string();
        record(
            conn,
            change,
            "user.language",
            "user",
            Some(user.id),
            &summary,
        )?;
        Ok(())
    })
}

/// On a database with no user, creates `admin`. Returns the password when it was generated,
/// so that it can be shown once.
pub fn bootstrap_admin(
    conn: &mut DbConn,
    auth: &AuthSettings,
    now: NaiveDateTime,
) -> Result<Option<String>, AccountError> {
    if users::count(conn)? > 0 {
        return Ok(None);
    }
    let (password, generated) = match &auth.admin_password {
        Some(p) => (p.clone(), false),
        None => (security::random_password(), true),
    };
    let input = UserInput {
        username: "admin".into(),
        display_name: "督查室管理员".into(),
        role: "admin".into(),
        active: true,
        ..UserInput::default()
    };
    create_user(
        conn,
        &input,
        &password,
        Change {
            actor: "system",
            at: now,
        },
    )?;
    Ok(generated.then_some(password))
}
