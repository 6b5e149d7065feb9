//! Obligations as a grid (进度矩阵): one row per unit (on a measure's page) or per measure (on
//! a unit's page), one column per period, newest first, a page of periods at a time. Each cell
//! is a light linking to the obligation, with its state in its title.

use serde::Serialize;

use crate::db::obligations::{self, ObligationRow};
use crate::db::DbConn;
use crate::domain::reporting::ObligationState;
use crate::error::AppError;
use crate::i18n::tr;
use crate::read::progress::LightRules;

/// Periods shown at once: a year of monthly reporting.
pub const GRID_PERIODS: usize = 12;

#[derive(Debug, Clone, Serialize)]
pub struct GridPeriod {
    pub key: String,
    pub label: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct GridCell {
    pub obligation_id: Option<i32>,
    pub light: &'static str,
    /// The light as a one-character mark (in the viewer's language).
    pub mark: String,
    pub title: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct GridRow {
    pub label: String,
    /// 牵头 / 配合.
    pub role: String,
    pub href: String,
    pub cells: Vec<GridCell>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Grid {
    /// The catalog key of the rows' heading (units or measures).
    pub axis_label: &'static str,
    pub periods: Vec<GridPeriod>,
    pub rows: Vec<GridRow>,
    /// Pages of periods, from 1 (the newest).
    pub page: usize,
    pub pages: usize,
    pub newer: Option<usize>,
    pub older: Option<usize>,
}

/// Which rows a grid has: a measure's units, or a unit's measures.
#[derive(Debug, Clone, Copy)]
pub enum Axis {
    /// A measure's page: rows are units (limited to one with `only`).
    Measure { id: i32, only: Option<i32> },
    /// A unit's page: rows are its measures.
    Department { id: i32 },
}

/// Lays rows out as a grid over `periods` (pure: the rows come in row order).
pub fn build(
    rows: &[ObligationRow],
    periods: Vec<GridPeriod>,
    axis: Axis,
    rules: &LightRules,
) -> Vec<GridRow> {
    // Each text once, not once a cell.
    let mut texts: std::collections::HashMap<String, String> = Default::default();
    let mut text = |key: String| texts.entry(key).or_insert_with_key(|k| tr(k, &[])).clone();
    let mut out: Vec<(i32, GridRow)> = Vec::new();
    for o in rows {
        let key = match axis {
            Axis::Measure { .. } => o.department_id,
            Axis::Department { .. } => o.measure_id,
        };
        let at = match out.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                let (label, href) = match axis {
                    Axis::Measure { .. } => (
                        o.department.clone(),
                        format!("/departments/{}", o.department_id),
                    ),
                    Axis::Department { .. } => (
                        format!("{} {}", o.measure_label, o.measure_title),
                        format!("/measures/{}", o.measure_id),
                    ),
                };
                out.push((
                    key,
                    GridRow {
                        label,
                        role: text(format!("common.role.{}", o.role)),
                        href,
                        cells: periods
                            .iter()
                            .map(|_| GridCell {
                                obligation_id: None,
                                light: "",
                                mark: String::new(),
                                title: String::new(),
                            })
                            .collect(),
                    },
                ));
                out.len() - 1
            }
        };
        if let Some(c) = periods.iter().position(|p| p.key == o.period_key) {
            let state_text = ObligationState::parse(&o.state)
                .standing(o.due_on, o.handed_in_on, rules.today)
                .text();
            let light = rules.of(o).as_str();
            out[at].1.cells[c] = GridCell {
                obligation_id: Some(o.id),
                light,
                mark: text(format!("plan.grid.mark.{light}")),
                title: tr(
                    "plan.grid.cell",
                    &[
                        ("period", &o.period_label),
                        ("state", &state_text),
                        ("due", &o.due_on.to_string()),
                    ],
                ),
            };
        }
    }
    out.into_iter().map(|(_, r)| r).collect()
}

/// One page of periods of a grid: two queries.
pub fn load(
    conn: &mut DbConn,
    axis: Axis,
    page: usize,
    rules: &LightRules,
) -> Result<Grid, AppError> {
    let (measure, department) = match axis {
        Axis::Measure { id, only } => (Some(id), only),
        Axis::Department { id } => (None, Some(id)),
    };
    let all = obligations::periods_of(conn, measure, department)?;
    let pages = all.len().div_ceil(GRID_PERIODS).max(1);
    let page = page.clamp(1, pages);
    let periods: Vec<GridPeriod> = all
        .into_iter()
        .skip((page - 1) * GRID_PERIODS)
        .take(GRID_PERIODS)
        .map(|(key, label)| GridPeriod { key, label })
        .collect();
    let keys: Vec<String> = periods.iter().map(|p| p.key.clone()).collect();
    let rows = if keys.is_empty() {
        Vec::new()
    } else {
        obligations::in_periods(conn, measure, department, &keys)?
    };
    Ok(Grid {
        axis_label: match axis {
            Axis::Measure { .. } => "plan.grid.unit",
            Axis::Department { .. } => "plan.grid.measure",
        },
        rows: build(&rows, periods.clone(), axis, rules),
        periods,
        page,
        pages,
        newer: (page > 1).then(|| page - 1),
        older: (page < pages).then(|| page + 1),
    })
}
