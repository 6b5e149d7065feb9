//! The scorecard's read model: scores, ranking, trend and heat map of one document for a
//! period (or the document to date), computed by `domain::scoring` from facts loaded in a
//! fixed number of queries.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::db::documents::{self, Document};
use crate::db::{obligations, schedules, scores, DbConn};
use crate::domain::reporting::Light;
use crate::domain::scoring::{
    current_light, scorecard, trend, DepartmentScore, ObligationFacts, Scope, Weights, WindowError,
    WindowKind,
};
use crate::error::AppError;
use crate::i18n::{text, tr};
use crate::read::progress::LightRules;
use crate::read::views::LightCount;

/// Which document, window and trend a scorecard is for.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct ScorecardQuery {
    pub document: Option<i32>,
    /// One period of the schedule; absent or empty: the window below.
    #[serde(default)]
    pub period: Option<String>,
    /// `quarter`, `year` (the default), `all` or `custom` (with `from` and `to`).
    #[serde(default)]
    pub window: Option<String>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    /// Whose lines the trend chart draws: `top` (the first five, the default), `bottom` (the
    /// last five) or a department id.
    #[serde(default)]
    pub trend: Option<String>,
    /// `1`: a leader's 我分管的单位 — the ranking shows only the units they oversee (ranks
    /// stay those among all units).
    #[serde(default)]
    pub mine: Option<String>,
}

impl ScorecardQuery {
    pub fn mine(&self) -> bool {
        self.mine.as_deref() == Some("1")
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One ranked department.
#[derive(Debug, Clone, Serialize)]
pub struct RankRow {
    pub department_id: i32,
    pub name: String,
    pub rank: Option<usize>,
    pub score: Option<f64>,
    pub timeliness: Option<f64>,
    pub first_pass: Option<f64>,
    pub completion: Option<f64>,
    pub progress: Option<f64>,
    pub penalty: f64,
    /// For the page: shares as percentages, `—` where nothing is measured.
    pub shown: [String; 4],
    /// The unit's light now, over its work in the window.
    pub light: &'static str,
    /// Against the previous window: `up`, `down`, `same`, or none when either is unscored.
    pub trend: Option<&'static str>,
    /// The score of the previous window, and the change (`+3.5`) for the page.
    pub previous_score: Option<f64>,
    pub change: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Bar {
    pub y: usize,
    pub text_y: usize,
    pub width: f64,
    /// The unit's name, cut to fit beside its bar (the whole name in its tooltip).
    pub name: String,
    pub full_name: String,
    pub score: String,
}

/// A name cut to ten characters at most, for a chart label.
fn short_name(name: &str) -> String {
    if name.chars().count() <= 10 {
        return name.to_string();
    }
    let mut cut: String = name.chars().take(9).collect();
    cut.push('…');
    cut
}

#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub name: String,
    pub points: String,
    pub colour: &'static str,
    pub legend_x: f64,
    pub legend_y: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tick {
    pub x: f64,
    pub label: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Trend {
    pub lines: Vec<Line>,
    pub ticks: Vec<Tick>,
    /// Below the plot, room for the legend.
    pub height: usize,
    pub choices: Vec<Choice>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HeatCell {
    pub light: &'static str,
    /// The ledger filtered to this measure × unit (none where it has no work).
    pub link: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HeatRow {
    pub measure_id: i32,
    pub label: String,
    pub title: String,
    pub light: &'static str,
    pub cells: Vec<HeatCell>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Field {
    pub name: &'static str,
    pub value: String,
}

/// The window the scorecard scored, as the page and the API name it.
#[derive(Debug, Clone, Serialize)]
pub struct WindowView {
    /// `quarter`, `year`, `all`, `custom` or `period`.
    pub kind: &'static str,
    /// Due dates, inclusive (for `all` and `period`: the first and last due date in it).
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub period: Option<String>,
    pub label: String,
    /// The window the trend compares with, if any.
    pub previous_label: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScorecardView {
    pub document: Document,
    pub documents: Vec<Choice>,
    pub periods: Vec<Choice>,
    pub windows: Vec<Choice>,
    pub window: WindowView,
    pub period: Option<String>,
    pub period_label: String,
    pub weights: Weights,
    pub rows: Vec<RankRow>,
    /// How many measures are in each light now.
    pub summary: Vec<LightCount>,
    pub bars: Vec<Bar>,
    pub bars_height: usize,
    pub trend: Trend,
    pub heat_departments: Vec<String>,
    /// The units of the heat map's columns, in order.
    #[serde(skip)]
    pub heat_ids: Vec<i32>,
    pub heat: Vec<HeatRow>,
    /// Export and breakdown links carry the same selection.
    pub query: String,
    /// The same selection as form fields (the trend chart's chooser keeps it).
    pub selection: Vec<Field>,
    /// Whether the ranking shows only the viewer's overseen units (我分管的单位), and whether
    /// the viewer is a leader (who is offered that choice).
    pub mine: bool,
    pub leader: bool,
    #[serde(skip)]
    pub scores: Vec<DepartmentScore>,
    #[serde(skip)]
    pub names: HashMap<i32, String>,
    /// The day the scorecard runs to.
    pub today: NaiveDate,
}

const COLOURS: [&str; 6] = [
    "#a61b1b", "#1d4ed8", "#15803d", "#b45309", "#7e22ce", "#0f766e",
];

fn pct(x: Option<f64>) -> String {
    x.map_or("—".into(), |v| format!("{:.0}%", v * 100.0))
}

/// The window asked for, or a message naming what is wrong with it.
fn scope_of(
    query: &ScorecardQuery,
    periods: &[crate::domain::schedule::Period],
    today: NaiveDate,
) -> Result<Scope, AppError> {
    if let Some(p) = query.period.as_deref().filter(|p| !p.is_empty()) {
        let at = periods.iter().position(|sp| sp.key == p).ok_or_else(|| {
            AppError::Validation(tr("web.scorecard.no_such_period", &[("period", p)]))
        })?;
        return Ok(Scope::Period {
            key: p.to_string(),
            previous: at.checked_sub(1).map(|i| periods[i].key.clone()),
        });
    }
    Scope::parse(
        query.window.as_deref(),
        query.from.as_deref(),
        query.to.as_deref(),
        today,
    )
    .map_err(|e| {
        AppError::Validation(match e {
            WindowError::Unknown(w) => tr("web.scorecard.no_such_window", &[("window", &w)]),
            WindowError::BadRange => tr("web.scorecard.bad_range", &[]),
        })
    })
}

/// A window in words: 本年（2026年）, 2026-01-01 至 2026-06-30, a period's label; the window
/// before (`current` false) without 本年/本季度: 2025年, 2026年第1季度.
fn window_label(
    scope: &Scope,
    periods: &[crate::domain::schedule::Period],
    current: bool,
) -> String {
    match scope {
        Scope::Dates { kind, from, to } => {
            let range = tr(
                "scorecard.window.range",
                &[("from", &from.to_string()), ("to", &to.to_string())],
            );
            match kind {
                WindowKind::Quarter => tr(
                    if current {
                        "scorecard.window.quarter_of"
                    } else {
                        "scorecard.window.a_quarter"
                    },
                    &[
                        ("year", &from.year().to_string()),
                        ("quarter", &((from.month() - 1) / 3 + 1).to_string()),
                    ],
                ),
                WindowKind::Year => tr(
                    if current {
                        "scorecard.window.year_of"
                    } else {
                        "scorecard.window.a_year"
                    },
                    &[("year", &from.year().to_string())],
                ),
                WindowKind::Custom => range,
            }
        }
        Scope::All => text("scorecard.window.all").to_string(),
        Scope::Period { key, .. } => periods
            .iter()
            .find(|p| &p.key == key)
            .map_or_else(|| key.clone(), |p| p.label.clone()),
    }
}

const CHART_LINES: usize = 5;

/// An obligation as the current light reads it: its period, due date and light.
type LightItem<'a> = (&'a str, NaiveDate, Light);

/// Everything the scorecard shows, for a document and a window.
pub fn load(
    conn: &mut DbConn,
    query: &ScorecardQuery,
    rules: &LightRules,
    weights: &Weights,
    tz: chrono_tz::Tz,
) -> Result<ScorecardView, AppError> {
    let all_docs = documents::labels(conn)?;
    let doc_id = query
        .document
        .or_else(|| all_docs.first().map(|d| d.0))
        .ok_or_else(|| AppError::not_found("document"))?;
    let document = documents::find(conn, doc_id)?.ok_or_else(|| AppError::not_found("document"))?;
    let today = rules.today;

    let schedule_periods = match schedules::find(conn, doc_id)? {
        Some(row) => row.schedule().map(|s| s.periods()).unwrap_or_default(),
        None => Vec::new(),
    };
    let scope = scope_of(query, &schedule_periods, today)?;
    let previous = scope.previous();
    let departments = scores::departments_of(conn, doc_id)?;
    let names: HashMap<i32, String> = departments.iter().cloned().collect();
    let ids: Vec<i32> = departments.iter().map(|d| d.0).collect();
    let local = |t: chrono::NaiveDateTime| crate::clock::local_date(t, tz);
    let facts = scores::facts(conn, doc_id, &local)?;
    let within = |scope: &Scope| -> Vec<ObligationFacts> {
        facts
            .iter()
            .filter(|(k, f)| scope.contains(k, f.due_on))
            .map(|(_, f)| f.clone())
            .collect()
    };
    let card = scorecard(&ids, &within(&scope), today, weights);
    let before: HashMap<i32, Option<f64>> = previous
        .as_ref()
        .map(|p| {
            scorecard(&ids, &within(p), today, weights)
                .into_iter()
                .map(|s| (s.department_id, s.score))
                .collect()
        })
        .unwrap_or_default();

    // Lights now, from the obligations' statuses in the window: per measure × unit, per
    // measure, per unit.
    let obs = obligations::statuses_with_periods(conn, doc_id)?;
    let closed: HashSet<i32> = crate::db::measures::closed_ids(conn, doc_id)?
        .into_iter()
        .collect();
    let mut by_cell: HashMap<(i32, i32), Vec<LightItem>> = HashMap::new();
    let mut by_measure: HashMap<i32, Vec<LightItem>> = HashMap::new();
    let mut by_unit: HashMap<i32, Vec<LightItem>> = HashMap::new();
    for (o, key) in obs.iter().filter(|(o, k)| scope.contains(k, o.due_on)) {
        let item = (key.as_str(), o.due_on, rules.of_status(o));
        by_cell
            .entry((o.measure_id, o.department_id))
            .or_default()
            .push(item);
        by_measure.entry(o.measure_id).or_default().push(item);
        by_unit.entry(o.department_id).or_default().push(item);
    }
    let now_light =
        |items: Option<&Vec<LightItem>>| current_light(items.into_iter().flatten().copied(), today);

    let rows: Vec<RankRow> = card
        .iter()
        .map(|s| {
            let previous_score = before.get(&s.department_id).copied().flatten();
            let arrow = trend(s.score, previous_score);
            RankRow {
                department_id: s.department_id,
                name: names.get(&s.department_id).cloned().unwrap_or_default(),
                rank: s.rank,
                score: s.score,
                timeliness: s.components.timeliness,
                first_pass: s.components.first_pass,
                completion: s.components.completion,
                progress: s.components.progress,
                penalty: s.components.penalty,
                shown: [
                    pct(s.components.timeliness),
                    pct(s.components.first_pass),
                    pct(s.components.completion),
                    pct(s.components.progress),
                ],
                light: now_light(by_unit.get(&s.department_id)).as_str(),
                trend: arrow.map(|t| t.as_str()),
                previous_score,
                change: s
                    .score
                    .zip(previous_score)
                    .map(|(now, then)| format!("{:+.1}", now - then)),
            }
        })
        .collect();

    // The ranking as bars (scored departments only).
    let bars: Vec<Bar> = rows
        .iter()
        .filter_map(|r| r.score.map(|s| (r, s)))
        .enumerate()
        .map(|(i, (r, s))| Bar {
            y: i * 22 + 4,
            text_y: i * 22 + 17,
            width: (s * 2.2).max(1.0),
            name: short_name(&r.name),
            full_name: r.name.clone(),
            score: format!("{s:.1}"),
        })
        .collect();
    let bars_height = bars.len() * 22 + 8;

    // The trend: each chosen department's score period by period, for the periods of the
    // window already due (of the whole document for one period).
    let in_chart = |key: &str, due: NaiveDate| match &scope {
        Scope::Period { .. } => true,
        other => other.contains(key, due),
    };
    let due_periods: Vec<_> = schedule_periods
        .iter()
        .filter(|p| {
            facts
                .iter()
                .any(|(k, f)| *k == p.key && f.due_on < today && in_chart(k, f.due_on))
        })
        .collect();
    let scored: Vec<i32> = rows
        .iter()
        .filter(|r| r.score.is_some())
        .map(|r| r.department_id)
        .collect();
    let chosen_trend = query.trend.clone().unwrap_or_else(|| "top".into());
    let shown: Vec<i32> = match chosen_trend.as_str() {
        "bottom" => scored
            .iter()
            .rev()
            .take(CHART_LINES)
            .rev()
            .copied()
            .collect(),
        "top" => scored.iter().take(CHART_LINES).copied().collect(),
        other => match other.parse::<i32>() {
            Ok(id) if names.contains_key(&id) => vec![id],
            _ => {
                return Err(AppError::Validation(tr(
                    "web.scorecard.no_such_trend",
                    &[("value", &other.chars().take(40).collect::<String>())],
                )))
            }
        },
    };
    let (left, right) = (40.0, 390.0);
    let step = if due_periods.len() > 1 {
        (right - left) / (due_periods.len() - 1) as f64
    } else {
        0.0
    };
    let mut series: HashMap<i32, Vec<(f64, f64)>> = HashMap::new();
    for (i, p) in due_periods.iter().enumerate() {
        let of_period: Vec<ObligationFacts> = facts
            .iter()
            .filter(|(k, f)| *k == p.key && shown.contains(&f.department_id))
            .map(|(_, f)| f.clone())
            .collect();
        for s in scorecard(&shown, &of_period, today, weights) {
            if let Some(score) = s.score {
                let x = left + step * i as f64;
                let y = 16.0 + (100.0 - score) * 1.6;
                series.entry(s.department_id).or_default().push((x, y));
            }
        }
    }
    let points = |v: &[(f64, f64)]| {
        v.iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    // At most about four labels under the axis, whatever the number of periods (legible on
    // a phone).
    let every = due_periods.len().div_ceil(4).max(1);
    let lines: Vec<Line> = shown
        .iter()
        .enumerate()
        .filter_map(|(i, id)| {
            series.get(id).map(|v| Line {
                name: names.get(id).cloned().unwrap_or_default(),
                points: points(v),
                colour: COLOURS[i % COLOURS.len()],
                legend_x: left + (i % 2) as f64 * 200.0,
                legend_y: 230 + (i / 2) * 20,
            })
        })
        .collect();
    let mut trend_choices = vec![
        Choice {
            value: "top".into(),
            label: text("scorecard.trend.top").to_string(),
            selected: chosen_trend == "top",
        },
        Choice {
            value: "bottom".into(),
            label: text("scorecard.trend.bottom").to_string(),
            selected: chosen_trend == "bottom",
        },
    ];
    trend_choices.extend(rows.iter().map(|r| Choice {
        value: r.department_id.to_string(),
        label: r.name.clone(),
        selected: chosen_trend == r.department_id.to_string(),
    }));
    let trend_view = Trend {
        height: 236 + lines.len().div_ceil(2) * 20,
        lines,
        ticks: due_periods
            .iter()
            .enumerate()
            .filter(|(i, _)| i % every == 0)
            .map(|(i, p)| Tick {
                x: left + step * i as f64,
                label: p.label.clone(),
            })
            .collect(),
        choices: trend_choices,
    };

    // The heat map: each measure × department, its light now, linked to the ledger.
    let measures = crate::db::measures::list(conn, Some(doc_id))?;
    let (due_from, due_to) = match &scope {
        Scope::Dates { from, to, .. } => (Some(*from), Some(*to)),
        _ => (None, None),
    };
    let ledger_link = |measure: i32, department: i32| {
        let mut q = vec![
            ("document", doc_id.to_string()),
            ("measure", measure.to_string()),
            ("department", department.to_string()),
        ];
        if let Scope::Period { key, .. } = &scope {
            q.push(("period", key.clone()));
        }
        q.extend(due_from.map(|d| ("due_from", d.to_string())));
        q.extend(due_to.map(|d| ("due_to", d.to_string())));
        format!(
            "/ledger?{}",
            serde_urlencoded::to_string(q).unwrap_or_default()
        )
    };
    let mut counts: HashMap<Light, usize> = HashMap::new();
    let heat: Vec<HeatRow> = measures
        .into_iter()
        .map(|m| {
            let light = if closed.contains(&m.id) {
                Light::Closed
            } else {
                now_light(by_measure.get(&m.id))
            };
            *counts.entry(light).or_default() += 1;
            HeatRow {
                cells: ids
                    .iter()
                    .map(|d| {
                        let items = by_cell.get(&(m.id, *d));
                        let cell = match (items, closed.contains(&m.id)) {
                            (None, _) => Light::None,
                            (Some(_), true) => Light::Closed,
                            (Some(_), false) => now_light(items),
                        };
                        HeatCell {
                            light: cell.as_str(),
                            link: items.map(|_| ledger_link(m.id, *d)),
                        }
                    })
                    .collect(),
                measure_id: m.id,
                label: m.label,
                title: m.title,
                light: light.as_str(),
            }
        })
        .collect();
    let summary = [
        Light::Green,
        Light::Yellow,
        Light::Red,
        Light::Done,
        Light::Closed,
        Light::None,
    ]
    .into_iter()
    .map(|l| LightCount {
        light: l.as_str(),
        light_label: l.label(),
        count: counts.get(&l).copied().unwrap_or(0),
    })
    // 正常 / 临近 / 逾期 / 办结 always; 已通过 and 未排期 where there are any.
    .filter(|c| c.count > 0 || matches!(c.light, "green" | "yellow" | "red" | "closed"))
    .collect();

    let period = match &scope {
        Scope::Period { key, .. } => Some(key.clone()),
        _ => None,
    };
    // For everything or one period, the window runs from its first due date to its last.
    let dues = || {
        facts
            .iter()
            .filter(|(k, f)| scope.contains(k, f.due_on))
            .map(|(_, f)| f.due_on)
    };
    let window = WindowView {
        kind: scope.kind(),
        from: due_from.or_else(|| dues().min()),
        to: due_to.or_else(|| dues().max()),
        period: period.clone(),
        label: window_label(&scope, &schedule_periods, true),
        previous_label: previous
            .as_ref()
            .map(|p| window_label(p, &schedule_periods, false)),
    };
    let mut selection = vec![("document", doc_id.to_string())];
    match &scope {
        Scope::Period { key, .. } => selection.push(("period", key.clone())),
        Scope::Dates {
            kind: WindowKind::Custom,
            from,
            to,
        } => selection.extend([
            ("window", "custom".to_string()),
            ("from", from.to_string()),
            ("to", to.to_string()),
        ]),
        other => selection.push(("window", other.kind().to_string())),
    }
    let query_string = serde_urlencoded::to_string(&selection).unwrap_or_default();
    let windows = ["quarter", "year", "all", "custom"]
        .into_iter()
        .map(|w| Choice {
            value: w.to_string(),
            label: text(&format!("scorecard.window.{w}")).to_string(),
            selected: period.is_none() && scope.kind() == w,
        })
        .collect();
    Ok(ScorecardView {
        documents: all_docs
            .into_iter()
            .map(|(id, label)| Choice {
                selected: id == doc_id,
                value: id.to_string(),
                label,
            })
            .collect(),
        periods: schedule_periods
            .iter()
            .map(|p| Choice {
                value: p.key.clone(),
                label: p.label.clone(),
                selected: period.as_deref() == Some(p.key.as_str()),
            })
            .collect(),
        windows,
        heat_departments: ids
            .iter()
            .map(|d| names.get(d).cloned().unwrap_or_default())
            .collect(),
        heat_ids: ids.clone(),
        document,
        period_label: window.label.clone(),
        window,
        period,
        weights: *weights,
        rows,
        summary,
        bars,
        bars_height,
        trend: trend_view,
        heat,
        query: query_string,
        mine: false,
        leader: false,
        selection: selection
            .into_iter()
            .map(|(name, value)| Field { name, value })
            .collect(),
        scores: card,
        names,
        today,
    })
}

impl ScorecardView {
    /// Keeps, in the ranking and its bars, only these units (a leader's overseen ones).
    pub fn only(&mut self, units: &[i32]) {
        self.rows.retain(|r| units.contains(&r.department_id));
        let names: Vec<&str> = self.rows.iter().map(|r| r.name.as_str()).collect();
        let mut kept: Vec<Bar> = self
            .bars
            .iter()
            .filter(|b| names.contains(&b.full_name.as_str()))
            .cloned()
            .collect();
        for (i, b) in kept.iter_mut().enumerate() {
            b.y = i * 22 + 4;
            b.text_y = i * 22 + 17;
        }
        self.bars_height = kept.len() * 22 + 8;
        self.bars = kept;
        // The heat map keeps the overseen units' columns, and the measures they work on.
        let keep: Vec<bool> = self.heat_ids.iter().map(|d| units.contains(d)).collect();
        keep_columns(&mut self.heat_departments, &keep);
        keep_columns(&mut self.heat_ids, &keep);
        for row in &mut self.heat {
            keep_columns(&mut row.cells, &keep);
        }
        self.heat
            .retain(|row| row.cells.iter().any(|c| c.light != Light::None.as_str()));
        self.mine = true;
    }
}

/// Keeps the items whose column is kept.
fn keep_columns<T>(items: &mut Vec<T>, keep: &[bool]) {
    let mut column = 0;
    items.retain(|_| {
        column += 1;
        keep.get(column - 1).copied().unwrap_or(false)
    });
}

#[cfg(test)]
mod tests {
    use super::short_name;

    #[test]
    fn long_names_are_cut_for_the_chart() {
        assert_eq!(short_name("地区人社局"), "地区人社局");
        assert_eq!(short_name("演示1·地区国土资源局"), "演示1·地区国土资…");
        assert_eq!(
            short_name("人行塔城地区中心支行营业部"),
            "人行塔城地区中心支…"
        );
    }
}
