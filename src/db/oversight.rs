//! 分管领导: the units each leader oversees (`leader_departments`).

use diesel::prelude::*;

use super::schema::{departments, leader_departments, users};
use super::DbConn;

/// The units a leader oversees, by id, in order.
pub fn departments_of(conn: &mut DbConn, user_id: i32) -> QueryResult<Vec<i32>> {
    leader_departments::table
        .filter(leader_departments::user_id.eq(user_id))
        .select(leader_departments::department_id)
        .order(leader_departments::department_id)
        .load(conn)
}

/// Replaces the units a leader oversees (call inside the transaction that audits it).
pub fn set(conn: &mut DbConn, user_id: i32, department_ids: &[i32]) -> QueryResult<()> {
    diesel::delete(leader_departments::table.filter(leader_departments::user_id.eq(user_id)))
        .execute(conn)?;
    // One row at a time: batch inserts are not available across both backends.
    for d in department_ids {
        diesel::insert_into(leader_departments::table)
            .values((
                leader_departments::user_id.eq(user_id),
                leader_departments::department_id.eq(*d),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Each unit's overseeing leaders' addresses (active accounts with an address): one query.
pub fn leader_addresses(conn: &mut DbConn) -> QueryResult<Vec<(i32, String)>> {
    leader_departments::table
        .inner_join(users::table)
        .filter(users::active.eq(true))
        .filter(users::role.eq("leader"))
        .filter(users::email.ne(""))
        .order((leader_departments::department_id, users::id))
        .select((leader_departments::department_id, users::email))
        .load(conn)
}

/// Moves the links of a unit merged into another (a leader of both keeps one link).
pub fn move_links(conn: &mut DbConn, source: i32, target: i32) -> QueryResult<usize> {
    let of = |conn: &mut DbConn, unit: i32| -> QueryResult<Vec<i32>> {
        leader_departments::table
            .filter(leader_departments::department_id.eq(unit))
            .select(leader_departments::user_id)
            .load(conn)
    };
    let (moving, staying) = (of(conn, source)?, of(conn, target)?);
    diesel::delete(leader_departments::table.filter(leader_departments::department_id.eq(source)))
        .execute(conn)?;
    let mut moved = 0;
    for user in moving.into_iter().filter(|u| !staying.contains(u)) {
        moved += diesel::insert_into(leader_departments::table)
            .values((
                leader_departments::user_id.eq(user),
                leader_departments::department_id.eq(target),
            ))
            .execute(conn)?;
    }
    Ok(moved)
}

/// Which of these ids are units, with their names (to refuse the others, and to name them).
pub fn existing(conn: &mut DbConn, ids: &[i32]) -> QueryResult<Vec<(i32, String)>> {
    departments::table
        .filter(departments::id.eq_any(ids))
        .order(departments::id)
        .select((departments::id, departments::name))
        .load(conn)
}
