//! The office's ledger (督办台账): every obligation the viewer may see, filtered, counted and
//! paged in SQL, with each row's latest report and last chase. One function feeds the page,
//! `GET /api/v1/obligations`, the exports and the print view; its cost is a fixed number of
//! queries over the page's rows, whatever the history.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

use crate::authz::CurrentUser;
use crate::db::obligations::{self, LedgerWhere, ObligationRow};
use crate::db::{chase, reports, DbConn};
use crate::domain::reporting::ObligationState;
use crate::error::AppError;
use crate::i18n::tr;
use crate::read::filter::LedgerFilter;
use crate::read::progress::{LightRules, ObligationView};
use crate::read::scope::Scope;

/// A report's summary is cut to this many characters in a ledger row.
pub const SUMMARY_CHARS: usize = 60;

/// The latest report handed in on an obligation (drafts are the unit's own).
#[derive(Debug, Clone, Serialize)]
pub struct LatestReport {
    pub id: i32,
    pub version: i32,
    pub state: String,
    /// The summary cut to [`SUMMARY_CHARS`], with … when cut.
    pub summary: String,
    pub percent: i32,
    pub submitted_at: Option<NaiveDateTime>,
}

/// One row of the ledger.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerRow {
    /// 序号: the row's place in the whole selection, from 1.
    pub seq: i64,
    #[serde(flatten)]
    pub obligation: ObligationView,
    pub measure_number: i32,
    /// Days past the due date while not handed in; `None` otherwise.
    pub overdue_days: Option<i64>,
    pub latest_report: Option<LatestReport>,
    pub last_chased_at: Option<NaiveDateTime>,
}

/// Counts by state over the selection (without its own state filter).
#[derive(Debug, Clone, Default, Serialize)]
pub struct StateCounts {
    pub open: i64,
    pub overdue: i64,
    pub submitted: i64,
    pub returned: i64,
    pub accepted: i64,
    pub total: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Ledger {
    pub total_count: i64,
    pub page: u32,
    pub per_page: u32,
    pub pages: u32,
    pub rows: Vec<LedgerRow>,
    pub counts: StateCounts,
    pub today: NaiveDate,
}

/// The SQL selection for this viewer and filter.
pub fn selection(user: &CurrentUser, filter: &LedgerFilter, rules: &LightRules) -> LedgerWhere {
    let mut w = filter.to_where(rules.today, rules.yellow_days);
    if filter.mine && user.role == crate::domain::accounts::Role::Leader {
        w.overseen_by = Some(user.id);
    }
    match Scope::of(user) {
        Scope::All => {}
        Scope::Unit(d) => w.unit_scope = Some(d),
        Scope::Nothing => w.nothing = true,
    }
    w
}

fn cut(text: &str, chars: usize) -> String {
    let mut out: String = text.chars().take(chars).collect();
    if text.chars().nth(chars).is_some() {
        out.push('…');
    }
    out
}

/// The rows of these obligations, in the order of `ids`: three queries.
pub fn rows_of(
    conn: &mut DbConn,
    ids: &[i32],
    first_seq: i64,
    rules: &LightRules,
) -> Result<Vec<LedgerRow>, AppError> {
    let mut by_id: HashMap<i32, ObligationRow> = obligations::by_ids(conn, ids)?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let mut latest: HashMap<i32, reports::Report> = HashMap::new();
    for r in reports::for_obligations(conn, ids)? {
        if r.state != "draft" {
            latest.insert(r.obligation_id, r);
        }
    }
    let chased = chase::last_chased(conn, ids)?;
    let mut rows = Vec::with_capacity(ids.len());
    for (n, id) in ids.iter().enumerate() {
        let Some(ob) = by_id.remove(id) else { continue };
        let state = ObligationState::parse(&ob.state);
        let overdue_days = (state.public(ob.due_on, rules.today) == "overdue")
            .then(|| (rules.today - ob.due_on).num_days());
        let measure_number = ob.measure_number;
        rows.push(LedgerRow {
            seq: first_seq + n as i64,
            measure_number,
            overdue_days,
            latest_report: latest.remove(id).map(|r| LatestReport {
                id: r.id,
                version: r.version,
                summary: cut(r.summary.lines().next().unwrap_or(""), SUMMARY_CHARS),
                state: r.state,
                percent: r.percent,
                submitted_at: r.submitted_at,
            }),
            last_chased_at: chased.get(id).copied(),
            obligation: ObligationView::new(ob, rules),
        });
    }
    Ok(rows)
}

/// One page of the ledger for `user`. A page past the end is refused with its range.
pub fn ledger(
    conn: &mut DbConn,
    user: &CurrentUser,
    filter: &LedgerFilter,
    rules: &LightRules,
) -> Result<Ledger, AppError> {
    use crate::db::obligations::LedgerState;
    let w = selection(user, filter, rules);
    // The counts by state (without the state filter) also give the total and the sizes of
    // the urgent order's parts, where the state filter is one of theirs.
    let by_state = obligations::ledger_state_counts(conn, &w)?;
    let get = |k: &str| by_state.get(k).copied().unwrap_or(0);
    let counts = StateCounts {
        open: get("open"),
        overdue: get("overdue"),
        submitted: get("submitted"),
        returned: get("returned"),
        accepted: get("accepted"),
        total: by_state.values().sum(),
    };
    let total_count = match filter.state {
        None => counts.total,
        Some(LedgerState::Open) => counts.open,
        Some(LedgerState::Overdue) => counts.overdue,
        Some(LedgerState::Submitted) => counts.submitted,
        Some(LedgerState::Returned) => counts.returned,
        Some(LedgerState::Accepted) => counts.accepted,
        Some(LedgerState::Pending) => counts.total - counts.accepted,
        Some(LedgerState::Unreported) => obligations::ledger_count(conn, &w)?,
    };
    let parts = filter.state.is_none().then_some([
        counts.overdue,
        counts.open + counts.submitted + counts.returned,
        counts.accepted,
    ]);
    let per_page = filter.per_page.max(1);
    let pages = u32::try_from((total_count + i64::from(per_page) - 1) / i64::from(per_page))
        .unwrap_or(u32::MAX)
        .max(1);
    if filter.page > pages {
        return Err(AppError::Validation(tr(
            "ledger.page_past_end",
            &[
                ("page", &filter.page.to_string()),
                ("pages", &pages.to_string()),
            ],
        )));
    }
    let offset = i64::from(filter.page - 1) * i64::from(per_page);
    let ids = obligations::ledger_page_counted(
        conn,
        &w,
        filter.sort,
        offset,
        i64::from(per_page),
        parts,
    )?;
    let rows = rows_of(conn, &ids, offset + 1, rules)?;
    Ok(Ledger {
        total_count,
        page: filter.page,
        per_page,
        pages,
        rows,
        counts,
        today: rules.today,
    })
}

/// One page of the selection with its total, without the counts by state: what the
/// workbenches' and pages' short lists need.
pub fn list(
    conn: &mut DbConn,
    user: &CurrentUser,
    filter: &LedgerFilter,
    rules: &LightRules,
) -> Result<Ledger, AppError> {
    let w = selection(user, filter, rules);
    let total_count = obligations::ledger_count(conn, &w)?;
    let per_page = filter.per_page.max(1);
    let offset = i64::from(filter.page.max(1) - 1) * i64::from(per_page);
    let ids = obligations::ledger_page(conn, &w, filter.sort, offset, i64::from(per_page))?;
    let rows = rows_of(conn, &ids, offset + 1, rules)?;
    Ok(Ledger {
        total_count,
        page: filter.page.max(1),
        per_page,
        pages: u32::try_from((total_count + i64::from(per_page) - 1) / i64::from(per_page))
            .unwrap_or(u32::MAX)
            .max(1),
        rows,
        counts: StateCounts::default(),
        today: rules.today,
    })
}

/// Every row of the selection, for the exports and the print view, up to `limit` rows
/// (loaded 500 at a time).
pub fn all_rows(
    conn: &mut DbConn,
    user: &CurrentUser,
    filter: &LedgerFilter,
    rules: &LightRules,
    limit: i64,
) -> Result<Vec<LedgerRow>, AppError> {
    let w = selection(user, filter, rules);
    let ids = obligations::ledger_page(conn, &w, filter.sort, 0, limit)?;
    let mut rows = Vec::with_capacity(ids.len());
    for (k, chunk) in ids.chunks(500).enumerate() {
        rows.extend(rows_of(conn, chunk, (k * 500) as i64 + 1, rules)?);
    }
    Ok(rows)
}

/// One `<option>` of a filter's select (the scorecard's selects are the same).
pub use crate::read::scorecard::Choice;

/// What the ledger's filter form offers: documents always; sections, measures, units and
/// periods of the chosen document (or units of all documents).
#[derive(Debug, Clone, Serialize, Default)]
pub struct FilterChoices {
    pub documents: Vec<Choice>,
    pub sections: Vec<Choice>,
    pub measures: Vec<Choice>,
    pub departments: Vec<Choice>,
    pub periods: Vec<Choice>,
    /// The chosen document's name, for the print view's header.
    pub document_name: Option<String>,
}

pub fn choices(
    conn: &mut DbConn,
    user: &CurrentUser,
    filter: &LedgerFilter,
) -> Result<FilterChoices, AppError> {
    let choice = |value: i32, label: String, chosen: Option<i32>| Choice {
        selected: chosen == Some(value),
        value: value.to_string(),
        label,
    };
    let docs = crate::db::documents::labels(conn)?;
    let mut out = FilterChoices {
        document_name: filter
            .document
            .and_then(|d| docs.iter().find(|(id, _)| *id == d).map(|(_, l)| l.clone())),
        documents: docs
            .into_iter()
            .map(|(id, label)| choice(id, label, filter.document))
            .collect(),
        ..FilterChoices::default()
    };
    if let Some(doc) = filter.document {
        if let Some(d) = crate::db::documents::find(conn, doc)? {
            out.document_name = d.title.or(out.document_name);
        }
        out.sections = crate::db::documents::sections_of(conn, doc)?
            .into_iter()
            .map(|s| {
                let label = format!(
                    "{}、{}",
                    crate::domain::importer::text::chinese_numeral(s.ordinal.max(0) as u32),
                    s.title
                );
                choice(s.id, label, filter.section)
            })
            .collect();
        out.measures = crate::db::measures::list(conn, Some(doc))?
            .into_iter()
            .map(|m| {
                let label = format!("{} {}", m.label, cut(&m.title, 24));
                choice(m.id, label, filter.measure)
            })
            .collect();
        let periods = crate::db::schedules::find(conn, doc)?
            .and_then(|row| row.schedule().ok())
            .map(|s| s.periods())
            .unwrap_or_default();
        // Newest first: the current period is what the office looks at.
        out.periods = periods
            .into_iter()
            .rev()
            .map(|p| Choice {
                selected: filter.period.as_deref() == Some(p.key.as_str()),
                value: p.key,
                label: p.label,
            })
            .collect();
    }
    // Units to filter by: those of the chosen document (or of the only one). With several
    // documents and none chosen, the list would hold every unit of the province, so it
    // offers only the unit already chosen (a unit's page links here with it).
    let one_document = filter.document.or_else(|| match out.documents.as_slice() {
        [only] => only.value.parse().ok(),
        _ => None,
    });
    let units = match (Scope::of(user), one_document) {
        (Scope::Nothing, _) => Vec::new(),
        (_, Some(doc)) => crate::db::departments::id_names(conn, Some(doc))?,
        (_, None) => match filter.department {
            Some(d) => crate::db::departments::find(conn, d)?
                .map(|dep| vec![(dep.id, dep.name)])
                .unwrap_or_default(),
            None => Vec::new(),
        },
    };
    out.departments = units
        .into_iter()
        .map(|(id, name)| choice(id, name, filter.department))
        .collect();
    Ok(out)
}
