//! People as pages show them: by their display name (姓名), not their user name. A name
//! with no user behind it (the scheduler, a removed account) is shown as recorded.

use std::collections::HashMap;

use crate::db::{users, DbConn};
use crate::error::AppError;

#[derive(Debug, Clone, Default)]
pub struct Names(HashMap<String, String>);

impl Names {
    /// The display names of these user names: one query.
    pub fn load<'a>(
        conn: &mut DbConn,
        usernames: impl IntoIterator<Item = &'a str>,
    ) -> Result<Names, AppError> {
        let wanted: Vec<&str> = usernames.into_iter().filter(|u| !u.is_empty()).collect();
        if wanted.is_empty() {
            return Ok(Names::default());
        }
        Ok(Names(users::display_names(conn, &wanted)?))
    }

    pub fn of(&self, username: &str) -> String {
        match self.0.get(username) {
            Some(name) if !name.trim().is_empty() => name.clone(),
            _ => username.to_string(),
        }
    }

    /// Replaces a user name in place by its display name.
    pub fn rename(&self, username: &mut String) {
        *username = self.of(username);
    }
}
