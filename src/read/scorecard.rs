//! The scorecard's read model: scores, ranking, trend and heat map of one document for a
//! period (or the document to date), computed by `domain::scoring` from facts loaded in a
//! fixed number of queries.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::db::documents::{self, Document};
use crate::db::{obligations, schedules, scores, DbConn};
use crate::domain::reporting::Light;
use crate::domain::scoring::{scorecard, DepartmentScore, ObligationFacts, Weights};
use crate::error::AppError;
use crate::read::progress::LightRules;
use crate::read::views::LightCount;

/// Which document and period a scorecard is for.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct ScorecardQuery {
    pub document: Option<i32>,
    /// A period key; absent or empty: the document to date.
    #[serde(default)]
    pub period: Option<String>,
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
}

#[derive(Debug, Clone, Serialize)]
pub struct Bar {
    pub y: usize,
    pub text_y: usize,
    pub width: f64,
    pub name: String,
    pub score: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub name: String,
    pub points: String,
    pub colour: &'static str,
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
    pub faint: Vec<String>,
    pub ticks: Vec<Tick>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HeatCell {
    pub light: &'static str,
    pub light_label: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct HeatRow {
    pub measure_id: i32,
    pub label: String,
    pub title: String,
    pub cells: Vec<HeatCell>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScorecardView {
    pub document: Document,
    pub documents: Vec<Choice>,
    pub periods: Vec<Choice>,
    pub period: Option<String>,
    pub period_label: String,
    pub weights: Weights,
    pub rows: Vec<RankRow>,
    pub summary: Vec<LightCount>,
    pub bars: Vec<Bar>,
    pub bars_height: usize,
    pub trend: Trend,
    pub heat_departments: Vec<String>,
    pub heat: Vec<HeatRow>,
    /// Export links carry the same selection.
    pub query: String,
    #[serde(skip)]
    pub scores: Vec<DepartmentScore>,
    #[serde(skip)]
    pub names: HashMap<i32, String>,
    /// The day a whole-document scorecard runs to.
    #[serde(skip)]
    pub today: NaiveDate,
}

const COLOURS: [&str; 6] = [
    "#a61b1b", "#1d4ed8", "#15803d", "#b45309", "#7e22ce", "#0f766e",
];

fn pct(x: Option<f64>) -> String {
    x.map_or("—".into(), |v| format!("{:.0}%", v * 100.0))
}

/// Everything the scorecard shows, for a document and a period (or the document to date).
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
    let period = query.period.clone().filter(|p| !p.is_empty());

    let schedule_periods = match schedules::find(conn, doc_id)? {
        Some(row) => row.schedule().map(|s| s.periods()).unwrap_or_default(),
        None => Vec::new(),
    };
    if let Some(p) = &period {
        if !schedule_periods.iter().any(|sp| &sp.key == p) {
            return Err(AppError::Validation(crate::i18n::tr(
                "web.scorecard.no_such_period",
                &[("period", p)],
            )));
        }
    }
    let departments = scores::departments_of(conn, doc_id)?;
    let names: HashMap<i32, String> = departments.iter().cloned().collect();
    let ids: Vec<i32> = departments.iter().map(|d| d.0).collect();
    let local = |t: chrono::NaiveDateTime| crate::clock::local_date(t, tz);
    let facts = scores::facts(conn, doc_id, &local)?;
    let in_window = |key: &str| period.as_deref().is_none_or(|p| p == key);
    let window: Vec<ObligationFacts> = facts
        .iter()
        .filter(|(k, _)| in_window(k))
        .map(|(_, f)| f.clone())
        .collect();
    let card = scorecard(&ids, &window, rules.today, weights);

    let rows: Vec<RankRow> = card
        .iter()
        .map(|s| RankRow {
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
            width: (s * 4.0).max(1.0),
            name: r.name.clone(),
            score: format!("{s:.1}"),
        })
        .collect();
    let bars_height = bars.len() * 22 + 8;

    // Each department's score period by period, for the periods already due.
    let due_periods: Vec<_> = schedule_periods
        .iter()
        .filter(|p| {
            facts
                .iter()
                .any(|(k, f)| *k == p.key && f.due_on < rules.today)
        })
        .collect();
    let step = if due_periods.len() > 1 {
        600.0 / (due_periods.len() - 1) as f64
    } else {
        0.0
    };
    let mut series: HashMap<i32, Vec<(f64, f64)>> = HashMap::new();
    for (i, p) in due_periods.iter().enumerate() {
        let of_period: Vec<ObligationFacts> = facts
            .iter()
            .filter(|(k, _)| *k == p.key)
            .map(|(_, f)| f.clone())
            .collect();
        for s in scorecard(&ids, &of_period, rules.today, weights) {
            if let Some(score) = s.score {
                let x = 60.0 + step * i as f64;
                let y = 20.0 + (100.0 - score) * 2.0;
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
    let top: Vec<i32> = rows
        .iter()
        .filter(|r| r.score.is_some())
        .take(COLOURS.len())
        .map(|r| r.department_id)
        .collect();
    let trend = Trend {
        lines: top
            .iter()
            .enumerate()
            .filter_map(|(i, id)| {
                series.get(id).map(|v| Line {
                    name: names.get(id).cloned().unwrap_or_default(),
                    points: points(v),
                    colour: COLOURS[i],
                    legend_y: 30 + i * 18,
                })
            })
            .collect(),
        faint: ids
            .iter()
            .filter(|id| !top.contains(id))
            .filter_map(|id| series.get(id).map(|v| points(v)))
            .collect(),
        ticks: due_periods
            .iter()
            .enumerate()
            .map(|(i, p)| Tick {
                x: 60.0 + step * i as f64,
                label: p.label.clone(),
            })
            .collect(),
    };

    // The heat map: each measure × department, its worst light in the window.
    // Lights need no text: the statuses alone, with their periods.
    let obs = obligations::statuses_with_periods(conn, doc_id)?;
    let measures = crate::db::measures::list(conn, Some(doc_id))?;
    let column: HashMap<i32, usize> = ids.iter().enumerate().map(|(i, d)| (*d, i)).collect();
    let mut grid: HashMap<i32, Vec<Light>> = HashMap::new();
    for (o, _) in obs.iter().filter(|(_, k)| in_window(k)) {
        let row = grid
            .entry(o.measure_id)
            .or_insert_with(|| vec![Light::None; ids.len()]);
        if let Some(&c) = column.get(&o.department_id) {
            row[c] = row[c].max(rules.of_status(o));
        }
    }
    let mut counts: HashMap<Light, usize> = HashMap::new();
    let heat: Vec<HeatRow> = measures
        .into_iter()
        .map(|m| {
            let cells = grid
                .remove(&m.id)
                .unwrap_or_else(|| vec![Light::None; ids.len()]);
            let worst = cells.iter().copied().max().unwrap_or(Light::None);
            *counts.entry(worst).or_default() += 1;
            HeatRow {
                measure_id: m.id,
                label: m.label,
                title: m.title,
                cells: cells
                    .into_iter()
                    .map(|l| HeatCell {
                        light: l.as_str(),
                        light_label: l.label(),
                    })
                    .collect(),
            }
        })
        .collect();
    let summary = [
        Light::Green,
        Light::Yellow,
        Light::Red,
        Light::Done,
        Light::None,
    ]
    .into_iter()
    .map(|l| LightCount {
        light: l.as_str(),
        light_label: l.label(),
        count: counts.get(&l).copied().unwrap_or(0),
    })
    .collect();

    let period_label = period
        .as_ref()
        .and_then(|p| schedule_periods.iter().find(|sp| &sp.key == p))
        .map_or_else(|| format!("截至 {}", rules.today), |p| p.label.clone());
    let query_string = serde_urlencoded::to_string([
        ("document", doc_id.to_string()),
        ("period", period.clone().unwrap_or_default()),
    ])
    .unwrap_or_default();
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
        heat_departments: ids
            .iter()
            .map(|d| names.get(d).cloned().unwrap_or_default())
            .collect(),
        document,
        period,
        period_label,
        weights: *weights,
        rows,
        summary,
        bars,
        bars_height,
        trend,
        heat,
        query: query_string,
        scores: card,
        names,
        today: rules.today,
    })
}
