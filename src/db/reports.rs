//! Report versions (进展报送), their evidence files (佐证材料) and reviews (审核).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{evidence, obligations, reports, reviews};
use super::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = reports)]
pub struct Report {
    pub id: i32,
    pub obligation_id: i32,
    pub version: i32,
    pub state: String,
    pub summary: String,
    pub percent: i32,
    pub progress: String,
    pub author: String,
    pub revision: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
    /// 存在问题 and 下步打算 (empty when not asked for or not given).
    pub problems: String,
    pub next_steps: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = evidence)]
pub struct Evidence {
    pub id: i32,
    pub report_id: i32,
    pub sha256: String,
    pub size: i64,
    pub filename: String,
    pub content_type: String,
    pub insufficient: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = reviews)]
pub struct Review {
    pub id: i32,
    pub report_id: i32,
    pub reviewer: String,
    pub decision: String,
    pub comment: String,
    pub created_at: NaiveDateTime,
}

/// A file to attach, already stored under its digest.
#[derive(Debug, Clone)]
pub struct NewEvidence {
    pub sha256: String,
    pub size: i64,
    pub filename: String,
    pub content_type: String,
}

pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<Report>> {
    reports::table
        .find(id)
        .select(Report::as_select())
        .first(conn)
        .optional()
}

/// The newest version on an obligation.
pub fn latest(conn: &mut DbConn, obligation_id: i32) -> QueryResult<Option<Report>> {
    reports::table
        .filter(reports::obligation_id.eq(obligation_id))
        .order(reports::version.desc())
        .select(Report::as_select())
        .first(conn)
        .optional()
}

/// Every version on these obligations, oldest first.
pub fn for_obligations(conn: &mut DbConn, ids: &[i32]) -> QueryResult<Vec<Report>> {
    reports::table
        .filter(reports::obligation_id.eq_any(ids))
        .order((reports::obligation_id, reports::version))
        .select(Report::as_select())
        .load(conn)
}

/// Submitted reports waiting for review, oldest first.
/// Which waiting reports the review queue shows (审核队列): all, or of one document, unit
/// or period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueWhere {
    pub document_id: Option<i32>,
    pub department_id: Option<i32>,
    pub period_key: Option<String>,
}

macro_rules! waiting {
    ($w:expr) => {{
        let w: &QueueWhere = $w;
        let mut q = reports::table
            .inner_join(obligations::table)
            .filter(reports::state.eq("submitted"))
            .into_boxed();
        if let Some(d) = w.document_id {
            q = q.filter(obligations::document_id.eq(d));
        }
        if let Some(d) = w.department_id {
            q = q.filter(obligations::department_id.eq(d));
        }
        if let Some(p) = &w.period_key {
            q = q.filter(obligations::period_key.eq(p.clone()));
        }
        q
    }};
}

/// Reports waiting for review, oldest handed in first: how many in all, and one page.
pub fn awaiting_review(
    conn: &mut DbConn,
    w: &QueueWhere,
    offset: i64,
    limit: i64,
) -> QueryResult<(i64, Vec<Report>)> {
    let total = waiting!(w).count().get_result(conn)?;
    let page = waiting!(w)
        .order((reports::submitted_at, reports::id))
        .offset(offset)
        .limit(limit)
        .select(Report::as_select())
        .load(conn)?;
    Ok((total, page))
}

/// The waiting report after this one in the queue's order (下一条), if any, wrapping to the
/// first when this one was the last.
pub fn next_waiting(
    conn: &mut DbConn,
    w: &QueueWhere,
    after: &Report,
) -> QueryResult<Option<Report>> {
    let at = after.submitted_at.unwrap_or(after.updated_at);
    let later = waiting!(w)
        .filter(
            reports::submitted_at
                .gt(at)
                .or(reports::submitted_at.eq(at).and(reports::id.gt(after.id))),
        )
        .order((reports::submitted_at, reports::id))
        .select(Report::as_select())
        .first(conn)
        .optional()?;
    if later.is_some() {
        return Ok(later);
    }
    waiting!(w)
        .filter(reports::id.ne(after.id))
        .order((reports::submitted_at, reports::id))
        .select(Report::as_select())
        .first(conn)
        .optional()
}

/// What the queue's filters offer: the documents, units and periods that have waiting
/// reports, each with its count (one grouped query, folded here).
pub fn queue_facets(conn: &mut DbConn) -> QueryResult<QueueFacets> {
    use diesel::dsl::count_star;
    let groups: Vec<(i32, i32, String, String, i64)> = reports::table
        .inner_join(obligations::table)
        .filter(reports::state.eq("submitted"))
        .group_by((
            obligations::document_id,
            obligations::department_id,
            obligations::period_key,
            obligations::period_label,
        ))
        .select((
            obligations::document_id,
            obligations::department_id,
            obligations::period_key,
            obligations::period_label,
            count_star(),
        ))
        .load(conn)?;
    use std::collections::HashMap;
    let (mut documents, mut departments) = (HashMap::new(), HashMap::new());
    let mut facets = QueueFacets::default();
    for (document, department, key, label, n) in groups {
        *documents.entry(document).or_insert(0) += n;
        *departments.entry(department).or_insert(0) += n;
        match facets.periods.iter_mut().find(|(k, _, _)| *k == key) {
            Some((_, _, total)) => *total += n,
            None => facets.periods.push((key, label, n)),
        }
    }
    facets.documents = documents.into_iter().collect();
    facets.departments = departments.into_iter().collect();
    Ok(facets)
}

#[derive(Debug, Clone, Default)]
pub struct QueueFacets {
    pub documents: Vec<(i32, i64)>,
    pub departments: Vec<(i32, i64)>,
    pub periods: Vec<(String, String, i64)>,
}

/// The latest report handed in by this unit on this measure for a period before `before`:
/// what the next period's form starts from (上期).
pub fn last_period_report(
    conn: &mut DbConn,
    measure_id: i32,
    department_id: i32,
    before: chrono::NaiveDate,
) -> QueryResult<Option<(Report, String)>> {
    reports::table
        .inner_join(obligations::table)
        .filter(obligations::measure_id.eq(measure_id))
        .filter(obligations::department_id.eq(department_id))
        .filter(obligations::period_start.lt(before))
        .filter(reports::submitted_at.is_not_null())
        .order((obligations::period_start.desc(), reports::version.desc()))
        .select((Report::as_select(), obligations::period_label))
        .first(conn)
        .optional()
}

/// The department that owns a report (through its obligation).
pub fn department_of(conn: &mut DbConn, report_id: i32) -> QueryResult<Option<i32>> {
    reports::table
        .inner_join(obligations::table)
        .filter(reports::id.eq(report_id))
        .select(obligations::department_id)
        .first(conn)
        .optional()
}

pub fn insert(
    conn: &mut DbConn,
    obligation_id: i32,
    version: i32,
    state: &str,
    content: &crate::domain::reporting::ReportContent,
    author: &str,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    let submitted_at = (state == "submitted").then_some(now);
    diesel::insert_into(reports::table)
        .values((
            reports::obligation_id.eq(obligation_id),
            reports::version.eq(version),
            reports::state.eq(state),
            reports::summary.eq(&content.summary),
            reports::problems.eq(&content.problems),
            reports::next_steps.eq(&content.next_steps),
            reports::percent.eq(content.percent),
            reports::progress.eq(content.progress.as_str()),
            reports::author.eq(author),
            reports::revision.eq(1),
            reports::created_at.eq(now),
            reports::updated_at.eq(now),
            reports::submitted_at.eq(submitted_at),
        ))
        .returning(reports::id)
        .get_result(conn)
}

/// Rewrites a draft, but only if nobody saved it since `revision` (optimistic locking):
/// returns `false` when the draft moved on.
pub fn update_draft(
    conn: &mut DbConn,
    id: i32,
    revision: i32,
    state: &str,
    content: &crate::domain::reporting::ReportContent,
    author: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let submitted_at = (state == "submitted").then_some(now);
    diesel::update(
        reports::table
            .filter(reports::id.eq(id))
            .filter(reports::state.eq("draft"))
            .filter(reports::revision.eq(revision)),
    )
    .set((
        reports::state.eq(state),
        reports::summary.eq(&content.summary),
        reports::problems.eq(&content.problems),
        reports::next_steps.eq(&content.next_steps),
        reports::percent.eq(content.percent),
        reports::progress.eq(content.progress.as_str()),
        reports::author.eq(author),
        reports::revision.eq(revision + 1),
        reports::updated_at.eq(now),
        reports::submitted_at.eq(submitted_at),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Moves a report from one state to another if it is still in `from` at `revision`.
/// Takes a submitted version back into a draft (撤回), unless it changed since it was read.
pub fn withdraw(
    conn: &mut DbConn,
    id: i32,
    revision: i32,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        reports::table
            .filter(reports::id.eq(id))
            .filter(reports::state.eq("submitted"))
            .filter(reports::revision.eq(revision)),
    )
    .set((
        reports::state.eq("draft"),
        reports::submitted_at.eq(None::<NaiveDateTime>),
        reports::revision.eq(revision + 1),
        reports::updated_at.eq(now),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

pub fn transition(
    conn: &mut DbConn,
    id: i32,
    from: &str,
    to: &str,
    revision: i32,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        reports::table
            .filter(reports::id.eq(id))
            .filter(reports::state.eq(from))
            .filter(reports::revision.eq(revision)),
    )
    .set((
        reports::state.eq(to),
        reports::revision.eq(revision + 1),
        reports::updated_at.eq(now),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Drops a draft's files but those in `keep`.
pub fn keep_only_evidence(conn: &mut DbConn, report_id: i32, keep: &[i32]) -> QueryResult<usize> {
    diesel::delete(
        evidence::table
            .filter(evidence::report_id.eq(report_id))
            .filter(diesel::dsl::not(evidence::id.eq_any(keep))),
    )
    .execute(conn)
}

pub fn add_evidence(
    conn: &mut DbConn,
    report_id: i32,
    file: &NewEvidence,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    diesel::insert_into(evidence::table)
        .values((
            evidence::report_id.eq(report_id),
            evidence::sha256.eq(&file.sha256),
            evidence::size.eq(file.size),
            evidence::filename.eq(&file.filename),
            evidence::content_type.eq(&file.content_type),
            evidence::insufficient.eq(false),
            evidence::created_at.eq(now),
        ))
        .returning(evidence::id)
        .get_result(conn)
}

pub fn evidence_of(conn: &mut DbConn, report_ids: &[i32]) -> QueryResult<Vec<Evidence>> {
    evidence::table
        .filter(evidence::report_id.eq_any(report_ids))
        .order(evidence::id)
        .select(Evidence::as_select())
        .load(conn)
}

pub fn find_evidence(conn: &mut DbConn, id: i32) -> QueryResult<Option<Evidence>> {
    evidence::table
        .find(id)
        .select(Evidence::as_select())
        .first(conn)
        .optional()
}

/// Marks which of a report's files the reviewer found insufficient.
pub fn mark_insufficient(conn: &mut DbConn, report_id: i32, ids: &[i32]) -> QueryResult<usize> {
    diesel::update(
        evidence::table
            .filter(evidence::report_id.eq(report_id))
            .filter(evidence::id.eq_any(ids)),
    )
    .set(evidence::insufficient.eq(true))
    .execute(conn)
}

/// Whether any stored evidence still points at a file.
/// Every digest an evidence row names: the files the store must keep.
pub fn referenced_digests(conn: &mut DbConn) -> QueryResult<std::collections::HashSet<String>> {
    let digests: Vec<String> = evidence::table
        .select(evidence::sha256)
        .distinct()
        .load(conn)?;
    // Closing evidence (办结) is kept under the same store.
    let closing = super::closures::referenced_digests(conn)?;
    Ok(digests.into_iter().chain(closing).collect())
}

pub fn add_review(
    conn: &mut DbConn,
    report_id: i32,
    reviewer: &str,
    decision: &str,
    comment: &str,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    diesel::insert_into(reviews::table)
        .values((
            reviews::report_id.eq(report_id),
            reviews::reviewer.eq(reviewer),
            reviews::decision.eq(decision),
            reviews::comment.eq(comment),
            reviews::created_at.eq(now),
        ))
        .returning(reviews::id)
        .get_result(conn)
}

pub fn reviews_of(conn: &mut DbConn, report_ids: &[i32]) -> QueryResult<Vec<Review>> {
    reviews::table
        .filter(reviews::report_id.eq_any(report_ids))
        .order(reviews::id)
        .select(Review::as_select())
        .load(conn)
}

/// Reports waiting for review: one count.
pub fn awaiting_review_count(conn: &mut DbConn) -> QueryResult<i64> {
    reports::table
        .filter(reports::state.eq("submitted"))
        .count()
        .get_result(conn)
}

/// A department's obligations whose newest version is a draft, soonest due first, with the
/// total: what its 草稿 list shows.
pub fn drafts_of_department(
    conn: &mut DbConn,
    department_id: i32,
    limit: i64,
) -> QueryResult<(i64, Vec<i32>)> {
    let q = || {
        reports::table
            .inner_join(obligations::table)
            .filter(obligations::department_id.eq(department_id))
            .filter(reports::state.eq("draft"))
    };
    let total = q().count().get_result(conn)?;
    let ids = q()
        .order((obligations::due_on, obligations::id))
        .select(obligations::id)
        .limit(limit)
        .load(conn)?;
    Ok((total, ids))
}

/// The office's latest comment on each of these reports (a return's reason).
pub fn latest_comments(
    conn: &mut DbConn,
    report_ids: &[i32],
) -> QueryResult<std::collections::HashMap<i32, String>> {
    let rows: Vec<(i32, String)> = reviews::table
        .filter(reviews::report_id.eq_any(report_ids))
        .order((reviews::report_id, reviews::created_at, reviews::id))
        .select((reviews::report_id, reviews::comment))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}
