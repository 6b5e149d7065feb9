//! Authorization, in one place: who may do what. Every handler asks here; nothing else in the
//! code decides access.

use serde::Serialize;

use crate::domain::accounts::Role;
use crate::error::AppError;

/// The person behind a request: signed in on a page, or the owner of an API token.
#[derive(Debug, Clone, Serialize)]
pub struct CurrentUser {
    pub id: i32,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// A liaison's department.
    pub department_id: Option<i32>,
    pub department: Option<String>,
}

impl CurrentUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// This user making a change at `at`, for the audit log.
    pub fn change(&self, at: chrono::NaiveDateTime) -> crate::db::departments::Change<'_> {
        crate::db::departments::Change {
            actor: &self.username,
            at,
        }
    }
}

/// Something a user may want to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read documents, measures and departments: every signed-in user.
    ReadPlan,
    /// Change one's own password: every signed-in user.
    ChangeOwnPassword,
    /// Manage documents, departments, users, tokens; read the audit log: the office only.
    Administer,
    /// Read the scorecard, which ranks every department: leaders and the office.
    ReadScorecard,
    /// Read one department's score, rank and breakdown: leaders, the office, and that
    /// department's liaisons (their own unit, not another's).
    ReadScoreOf { department_id: i32 },
    /// Write on behalf of a department (reports, receipts, extension requests): the office,
    /// or a liaison of that department.
    ActFor { department_id: i32 },
    /// Leave a 批示 (instruction) on a measure or an obligation: leaders.
    Instruct,
}

pub fn allows(user: &CurrentUser, action: Action) -> bool {
    match action {
        Action::ReadPlan | Action::ChangeOwnPassword => true,
        Action::Administer => user.role == Role::Admin,
        Action::ReadScorecard => matches!(user.role, Role::Admin | Role::Leader),
        Action::Instruct => user.role == Role::Leader,
        Action::ReadScoreOf { department_id } => match user.role {
            Role::Admin | Role::Leader => true,
            Role::Liaison => user.department_id == Some(department_id),
        },
        Action::ActFor { department_id } => match user.role {
            Role::Admin => true,
            Role::Liaison => user.department_id == Some(department_id),
            Role::Leader => false,
        },
    }
}

/// `Ok` when allowed, else a 403 that says why.
pub fn require(user: &CurrentUser, action: Action) -> Result<(), AppError> {
    if allows(user, action) {
        return Ok(());
    }
    Err(AppError::Forbidden(match action {
        Action::Administer => crate::i18n::tr("service.authz.admin_only", &[]),
        Action::ActFor { .. } => crate::i18n::tr("service.authz.own_department_only", &[]),
        Action::Instruct => crate::i18n::tr("service.authz.leaders_only", &[]),
        _ => crate::i18n::tr("service.authz.forbidden", &[]),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, department_id: Option<i32>) -> CurrentUser {
        CurrentUser {
            id: 1,
            username: "u".into(),
            display_name: "U".into(),
            role,
            department_id,
            department: None,
        }
    }

    #[test]
    fn each_role_may_do_what_its_description_says() {
        let admin = user(Role::Admin, None);
        let liaison = user(Role::Liaison, Some(7));
        let leader = user(Role::Leader, None);
        for u in [&admin, &liaison, &leader] {
            assert!(allows(u, Action::ReadPlan));
            assert!(allows(u, Action::ChangeOwnPassword));
        }
        assert!(allows(&admin, Action::Administer));
        assert!(!allows(&liaison, Action::Administer));
        assert!(!allows(&leader, Action::Administer));
        assert!(allows(&leader, Action::ReadScorecard) && allows(&admin, Action::ReadScorecard));
        assert!(!allows(&liaison, Action::ReadScorecard));
        assert!(allows(&liaison, Action::ReadScoreOf { department_id: 7 }));
        assert!(!allows(&liaison, Action::ReadScoreOf { department_id: 8 }));
        assert!(allows(&leader, Action::ReadScoreOf { department_id: 8 }));

        let own = Action::ActFor { department_id: 7 };
        let other = Action::ActFor { department_id: 8 };
        assert!(allows(&admin, own) && allows(&admin, other));
        assert!(allows(&liaison, own) && !allows(&liaison, other));
        assert!(!allows(&leader, own));
        assert!(matches!(require(&leader, own), Err(AppError::Forbidden(_))));
    }
}
