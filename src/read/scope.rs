//! Who may see what (可见范围). The office and leaders see every unit's work; a liaison sees
//! their own unit's, and — where their unit leads a measure — the co-responsible units'
//! contributions to it. Drafts stay with the unit that writes them. Pages, the API, exports
//! and the ledger's SQL all ask here.

use crate::authz::{allows, Action, CurrentUser};
use crate::db::reports::Report;
use crate::domain::accounts::Role;

/// What part of the obligations a person may list, as the ledger's query applies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The office and leaders.
    All,
    /// A liaison: their unit's obligations and, on the measures it leads, the co units'.
    Unit(i32),
    /// A liaison without a unit: nothing.
    Nothing,
}

impl Scope {
    pub fn of(user: &CurrentUser) -> Scope {
        match (user.role, user.department_id) {
            (Role::Admin | Role::Leader, _) => Scope::All,
            (Role::Liaison, Some(d)) => Scope::Unit(d),
            (Role::Liaison, None) => Scope::Nothing,
        }
    }
}

/// Whether a user may see an obligation and its submitted reports: the office and leaders
/// see all; a liaison sees their department's, and the co units' on measures it leads.
pub fn visible_to(user: &CurrentUser, department_id: i32, lead_department: Option<i32>) -> bool {
    match user.role {
        Role::Admin | Role::Leader => true,
        Role::Liaison => {
            user.department_id == Some(department_id)
                || (lead_department.is_some() && user.department_id == lead_department)
        }
    }
}

/// Drafts are the department's own working copy.
pub fn may_see_report(user: &CurrentUser, report: &Report, department_id: i32) -> bool {
    report.state != "draft" || allows(user, Action::ActFor { department_id })
}
