//! Each role's home page (工作台). The office sees counts of what waits for it, each a link to
//! the ledger or queue that lists it; a liaison sees their unit's work, most urgent first and
//! each list cut to its first ten. Every list is a ledger query, so a home page costs the same
//! after two years of history as on the first day.

use chrono::NaiveDate;
use serde::Serialize;

use diesel::QueryResult;

use crate::authz::CurrentUser;
use crate::db::obligations::{LedgerSort, LedgerState};
use crate::db::receipts::{self, ReceiptRow};
use crate::db::{departments, extensions, outbox, reports, DbConn};
use crate::domain::reporting::Light;
use crate::error::AppError;
use crate::read::filter::LedgerFilter;
use crate::read::ledger::{self, LedgerRow};
use crate::read::progress::LightRules;

/// Lists on a home page show this many rows, then a link to the rest in the ledger.
pub const LIST_ROWS: u32 = 10;

/// One tile of the office's workbench.
#[derive(Debug, Clone, Serialize)]
pub struct Tile {
    /// awaiting_review, overdue, unacknowledged, extensions, failed, no_address.
    pub kind: &'static str,
    pub count: i64,
    pub href: &'static str,
    /// Drawn in red when there is something to do.
    pub urgent: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct OfficeBench {
    pub tiles: Vec<Tile>,
    /// The most overdue items, first ten.
    pub overdue: DeskList,
}

/// Messages whose delivery failed: the office's 发送失败 tile. Deliveries change without an
/// audit entry, so a kept workbench is also keyed by this count.
pub fn failed_deliveries(conn: &mut DbConn) -> QueryResult<i64> {
    Ok(outbox::counts(conn)?
        .into_iter()
        .find(|(s, _)| s == "failed")
        .map_or(0, |(_, n)| n))
}

/// The year whose holiday calendar is missing and wanted: this year's, or from 1 November
/// next year's.
pub fn calendar_missing(conn: &mut DbConn, today: chrono::NaiveDate) -> QueryResult<Option<i32>> {
    use chrono::Datelike;
    let calendar = crate::db::calendar::load(conn)?;
    let year = today.year();
    Ok(if !calendar.has_year(year) {
        Some(year)
    } else if today.month() >= 11 && !calendar.has_year(year + 1) {
        Some(year + 1)
    } else {
        None
    })
}

/// What waits for the office, counted on every page it opens beside the navigation's
/// entries: three indexed counts.
#[derive(Debug, Clone, Copy, Serialize, Default, PartialEq, Eq)]
pub struct Waiting {
    /// Reports submitted and not yet reviewed (待审核).
    pub reviews: i64,
    /// Extension requests not yet decided (延期待批).
    pub extensions: i64,
    /// Messages whose delivery failed (发送失败).
    pub failed: i64,
}

pub fn waiting(conn: &mut DbConn) -> QueryResult<Waiting> {
    Ok(Waiting {
        reviews: reports::awaiting_review_count(conn)?,
        extensions: extensions::pending_count(conn)?,
        failed: failed_deliveries(conn)?,
    })
}

/// The office's counts: a handful of single counts.
pub fn office(
    conn: &mut DbConn,
    user: &CurrentUser,
    rules: &LightRules,
    // Whether an SMS gateway is configured (units reached by SMS only are reachable).
    sms_on: bool,
) -> Result<OfficeBench, AppError> {
    let overdue = list(
        conn,
        user,
        rules,
        LedgerFilter {
            state: Some(LedgerState::Overdue),
            sort: LedgerSort::Due,
            ..base()
        },
        "plan.index.most_overdue",
    )?;
    let overdue = DeskList {
        urgent: true,
        show_unit: true,
        ..overdue
    };
    let waiting = waiting(conn)?;
    let tile = |kind, count: i64, href| Tile {
        kind,
        count,
        href,
        urgent: count > 0,
    };
    Ok(OfficeBench {
        tiles: vec![
            tile("awaiting_review", waiting.reviews, "/admin/reviews"),
            tile("overdue", overdue.total, "/ledger?state=overdue"),
            tile(
                "unacknowledged",
                receipts::unacknowledged_count(conn)?,
                "/ledger?unacknowledged=1&state=pending",
            ),
            tile("extensions", waiting.extensions, "/admin/extensions"),
            tile("failed", waiting.failed, "/admin/outbox?state=failed"),
            tile(
                "no_address",
                departments::unreachable(conn, sms_on)?.len() as i64,
                "/admin/outbox",
            ),
        ],
        overdue,
    })
}

/// A cut list: its first rows, how many there are, and the ledger view with all of them.
#[derive(Debug, Clone, Serialize, Default)]
pub struct DeskList {
    /// The catalog key of the list's heading.
    pub heading: &'static str,
    /// Drawn as needing action now.
    pub urgent: bool,
    /// Rows name their unit (the office's lists; a liaison's are all their own).
    pub show_unit: bool,
    pub total: i64,
    pub rows: Vec<DeskRow>,
    /// The ledger's query string listing all of them, when there are more than shown.
    pub more: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeskRow {
    #[serde(flatten)]
    pub row: LedgerRow,
    /// The office's comment, on a returned report.
    pub comment: Option<String>,
}

fn base() -> LedgerFilter {
    LedgerFilter {
        page: 1,
        per_page: LIST_ROWS,
        ..LedgerFilter::default()
    }
}

pub fn list(
    conn: &mut DbConn,
    user: &CurrentUser,
    rules: &LightRules,
    filter: LedgerFilter,
    heading: &'static str,
) -> Result<DeskList, AppError> {
    let l = ledger::list(conn, user, &filter, rules)?;
    let more = (l.total_count > l.rows.len() as i64).then(|| {
        LedgerFilter {
            per_page: crate::read::filter::PAGE_SIZES[0],
            ..filter.clone()
        }
        .query_with(&[])
    });
    Ok(DeskList {
        heading,
        urgent: false,
        show_unit: false,
        total: l.total_count,
        rows: l
            .rows
            .into_iter()
            .map(|row| DeskRow { row, comment: None })
            .collect(),
        more,
    })
}

/// A liaison's desk: their unit's work in the order they must do it.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Desk {
    pub returned: DeskList,
    pub overdue: DeskList,
    pub due_soon: DeskList,
    pub drafts: DeskList,
    pub receipts: Vec<ReceiptRow>,
    /// When nothing is due soon: the next due date.
    pub next_due: Option<NaiveDate>,
    /// Nothing to do at all.
    pub clear: bool,
}

pub fn desk(
    conn: &mut DbConn,
    user: &CurrentUser,
    department_id: i32,
    rules: &LightRules,
) -> Result<Desk, AppError> {
    let mine = || LedgerFilter {
        department: Some(department_id),
        ..base()
    };
    let mut returned = list(
        conn,
        user,
        rules,
        LedgerFilter {
            returned: true,
            sort: LedgerSort::Due,
            ..mine()
        },
        "plan.index.returned",
    )?;
    returned.urgent = true;
    // Quote the office's reason beside each returned item.
    let report_ids: Vec<i32> = returned
        .rows
        .iter()
        .filter_map(|r| r.row.latest_report.as_ref().map(|l| l.id))
        .collect();
    let comments = reports::latest_comments(conn, &report_ids)?;
    for r in &mut returned.rows {
        r.comment = r
            .row
            .latest_report
            .as_ref()
            .and_then(|l| comments.get(&l.id).cloned());
    }
    // Overdue and never handed in (a returned one past due is listed above).
    let overdue = list(
        conn,
        user,
        rules,
        LedgerFilter {
            state: Some(LedgerState::Unreported),
            sort: LedgerSort::Due,
            ..mine()
        },
        "plan.index.overdue",
    )?;
    let overdue = DeskList {
        urgent: true,
        ..overdue
    };
    let due_soon = list(
        conn,
        user,
        rules,
        LedgerFilter {
            state: Some(LedgerState::Open),
            light: Some(Light::Yellow),
            sort: LedgerSort::Due,
            ..mine()
        },
        "plan.index.due_soon",
    )?;
    let (draft_total, draft_ids) =
        reports::drafts_of_department(conn, department_id, i64::from(LIST_ROWS))?;
    let drafts = DeskList {
        heading: "plan.index.drafts",
        urgent: false,
        show_unit: false,
        total: draft_total,
        rows: ledger::rows_of(conn, &draft_ids, 1, rules)?
            .into_iter()
            .map(|row| DeskRow { row, comment: None })
            .collect(),
        more: None,
    };
    let receipts: Vec<ReceiptRow> = receipts::for_department(conn, department_id)?
        .into_iter()
        .filter(|r| r.acknowledged_at.is_none())
        .collect();
    let next_due = if due_soon.total == 0 {
        ledger::list(
            conn,
            user,
            &LedgerFilter {
                state: Some(LedgerState::Open),
                sort: LedgerSort::Due,
                per_page: 1,
                ..mine()
            },
            rules,
        )?
        .rows
        .first()
        .map(|r| r.obligation.due_on)
    } else {
        None
    };
    let clear =
        returned.total + overdue.total + due_soon.total + drafts.total == 0 && receipts.is_empty();
    Ok(Desk {
        returned,
        overdue,
        due_soon,
        drafts,
        receipts,
        next_due,
        clear,
    })
}
