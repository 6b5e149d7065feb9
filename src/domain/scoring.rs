//! Accountability scoring (考核评分): from each department's obligations to a score of 0–100,
//! a rank, and a breakdown that shows what every obligation contributed. Pure: the facts come
//! in, the numbers go out.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;

use crate::domain::reporting::Light;

/// The model, from configuration (`[scoring]`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    pub timeliness: f64,
    pub first_pass: f64,
    pub completion: f64,
    pub progress: f64,
    pub penalty_per_day: f64,
    /// The most one obligation can take off, so one ancient item cannot flatten a ranking.
    #[serde(default = "default_obligation_cap")]
    pub penalty_obligation_cap: f64,
    pub penalty_cap: f64,
    pub lead_weight: f64,
    pub co_weight: f64,
}

fn default_obligation_cap() -> f64 {
    5.0
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            timeliness: 40.0,
            first_pass: 20.0,
            completion: 25.0,
            progress: 15.0,
            penalty_per_day: 0.5,
            penalty_obligation_cap: default_obligation_cap(),
            penalty_cap: 20.0,
            lead_weight: 1.0,
            co_weight: 0.5,
        }
    }
}

/// What scoring needs to know of one obligation.
#[derive(Debug, Clone, PartialEq)]
pub struct ObligationFacts {
    pub obligation_id: i32,
    pub department_id: i32,
    pub lead: bool,
    pub due_on: NaiveDate,
    /// Local date of the first submission, if any.
    pub first_submitted_on: Option<NaiveDate>,
    /// The report was reviewed at least once (accepted or returned).
    pub reviewed: bool,
    /// It was returned at least once.
    pub returned: bool,
    pub accepted: bool,
    /// The latest submitted percent complete (0 without a report).
    pub percent: i32,
}

/// The four shares, each 0–1; `None` where there is nothing to measure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Components {
    pub timeliness: Option<f64>,
    pub first_pass: Option<f64>,
    pub completion: Option<f64>,
    pub progress: Option<f64>,
    /// Points taken off.
    pub penalty: f64,
}

/// One obligation's part in a score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contribution {
    pub obligation_id: i32,
    pub weight: f64,
    pub on_time: bool,
    pub first_pass: Option<bool>,
    pub accepted: bool,
    pub percent: i32,
    pub overdue_days: i64,
    /// Points this obligation adds (weights and shares) less its penalty points.
    pub points: f64,
    pub penalty: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DepartmentScore {
    pub department_id: i32,
    /// `None`: nothing due yet — neither 0 nor 100.
    pub score: Option<f64>,
    pub rank: Option<usize>,
    pub components: Components,
    pub contributions: Vec<Contribution>,
}

/// `num / den`, none when there is nothing to measure. (A sum of nothing is −0.0 in Rust;
/// adding 0.0 makes it 0, so no page shows "-0%".)
fn share(num: f64, den: f64) -> Option<f64> {
    (den > 0.0).then(|| num / den + 0.0)
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Whether an obligation counts yet: once it is due, or once it was handed in or accepted
/// early (early work earns its points; waiting work not yet due weighs nothing).
pub fn counts(f: &ObligationFacts, today: NaiveDate) -> bool {
    f.due_on < today || f.accepted || f.first_submitted_on.is_some()
}

/// Scores one department from its obligations in the window.
///
/// - An obligation counts once it is due, handed in or accepted (`counts`). Timeliness,
///   progress and first pass are shares of the counted ones; completion is the share of
///   those due or accepted (a report handed in early and not yet reviewed is on time, and
///   does not lower completion).
/// - Each overdue day of an obligation not handed in takes `penalty_per_day` off, at most
///   `penalty_obligation_cap` for one obligation and `penalty_cap` in all.
pub fn score_department(
    department_id: i32,
    facts: &[&ObligationFacts],
    today: NaiveDate,
    w: &Weights,
) -> DepartmentScore {
    let weight = |f: &ObligationFacts| if f.lead { w.lead_weight } else { w.co_weight };
    let due: Vec<&&ObligationFacts> = facts.iter().filter(|f| counts(f, today)).collect();
    let completing = |f: &ObligationFacts| f.due_on < today || f.accepted;
    let total: f64 = due.iter().map(|f| weight(f)).sum();
    let completion_total: f64 = due
        .iter()
        .filter(|f| completing(f))
        .map(|f| weight(f))
        .sum();
    let reviewed_total: f64 = due.iter().filter(|f| f.reviewed).map(|f| weight(f)).sum();
    let on_time = |f: &ObligationFacts| f.first_submitted_on.is_some_and(|d| d <= f.due_on);

    let components = Components {
        timeliness: share(
            due.iter().filter(|f| on_time(f)).map(|f| weight(f)).sum(),
            total,
        ),
        first_pass: share(
            due.iter()
                .filter(|f| f.reviewed && !f.returned)
                .map(|f| weight(f))
                .sum(),
            reviewed_total,
        ),
        completion: share(
            due.iter().filter(|f| f.accepted).map(|f| weight(f)).sum(),
            completion_total,
        ),
        progress: share(
            due.iter()
                .map(|f| weight(f) * f64::from(f.percent) / 100.0)
                .sum(),
            total,
        ),
        penalty: 0.0,
    };
    if due.is_empty() {
        return DepartmentScore {
            department_id,
            score: None,
            rank: None,
            components,
            contributions: Vec::new(),
        };
    }
    // Components with nothing to measure are left out; the rest scale up to 100.
    let parts = [
        (w.timeliness, components.timeliness),
        (w.first_pass, components.first_pass),
        (w.completion, components.completion),
        (w.progress, components.progress),
    ];
    let in_play: f64 = parts
        .iter()
        .filter(|(_, s)| s.is_some())
        .map(|(p, _)| p)
        .sum();
    let scale = if in_play > 0.0 { 100.0 / in_play } else { 0.0 };

    let mut penalty_total = 0.0;
    let mut contributions = Vec::with_capacity(due.len());
    for f in &due {
        let wt = weight(f);
        let waiting = !f.accepted && f.first_submitted_on.is_none();
        let overdue_days = if waiting {
            (today - f.due_on).num_days().max(0)
        } else {
            0
        };
        let penalty = (overdue_days as f64 * w.penalty_per_day)
            .min(w.penalty_obligation_cap)
            .min((w.penalty_cap - penalty_total).max(0.0));
        penalty_total += penalty;
        let first_pass = f.reviewed.then_some(!f.returned);
        let mut points = 0.0;
        if total > 0.0 {
            points += scale * w.timeliness * wt * f64::from(u8::from(on_time(f))) / total;
            if components.completion.is_some() && completing(f) {
                points +=
                    scale * w.completion * wt * f64::from(u8::from(f.accepted)) / completion_total;
            }
            points += scale * w.progress * wt * f64::from(f.percent) / 100.0 / total;
        }
        if let (Some(passed), true) = (first_pass, reviewed_total > 0.0) {
            points += scale * w.first_pass * wt * f64::from(u8::from(passed)) / reviewed_total;
        }
        contributions.push(Contribution {
            obligation_id: f.obligation_id,
            weight: wt,
            on_time: on_time(f),
            first_pass,
            accepted: f.accepted,
            percent: f.percent,
            overdue_days,
            points: points - penalty,
            penalty,
        });
    }
    let gross: f64 = parts
        .iter()
        .filter_map(|(p, s)| s.map(|s| p * s))
        .sum::<f64>()
        * scale;
    let score = round1((gross - penalty_total).clamp(0.0, 100.0));
    DepartmentScore {
        department_id,
        score: Some(score),
        rank: None,
        components: Components {
            penalty: round1(penalty_total),
            ..components
        },
        contributions,
    }
}

/// Scores every department and ranks them: higher first, equal scores share a rank (1, 2, 2,
/// 4), departments with nothing due last and unranked.
pub fn scorecard(
    departments: &[i32],
    facts: &[ObligationFacts],
    today: NaiveDate,
    w: &Weights,
) -> Vec<DepartmentScore> {
    let mut by_department: BTreeMap<i32, Vec<&ObligationFacts>> = BTreeMap::new();
    for f in facts {
        by_department.entry(f.department_id).or_default().push(f);
    }
    let mut scores: Vec<DepartmentScore> = departments
        .iter()
        .map(|d| {
            let mine = by_department.remove(d).unwrap_or_default();
            score_department(*d, &mine, today, w)
        })
        .collect();
    scores.sort_by(|a, b| {
        b.score
            .unwrap_or(-1.0)
            .total_cmp(&a.score.unwrap_or(-1.0))
            .then(a.department_id.cmp(&b.department_id))
    });
    let mut previous: Option<(f64, usize)> = None;
    for (i, s) in scores.iter_mut().enumerate() {
        let Some(score) = s.score else { continue };
        let rank = match previous {
            Some((p, r)) if p == score => r,
            _ => i + 1,
        };
        s.rank = Some(rank);
        previous = Some((score, rank));
    }
    scores
}

/// ↑ / ↓ / — against the previous window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    Up,
    Down,
    Same,
}

impl Trend {
    pub fn as_str(self) -> &'static str {
        match self {
            Trend::Up => "up",
            Trend::Down => "down",
            Trend::Same => "same",
        }
    }
}

/// A score against the one before: `None` when either is unscored (nothing to compare).
/// Scores are kept to one decimal, so a change under 0.1 is no change.
pub fn trend(now: Option<f64>, before: Option<f64>) -> Option<Trend> {
    let (now, before) = (now?, before?);
    Some(if now - before >= 0.05 {
        Trend::Up
    } else if before - now >= 0.05 {
        Trend::Down
    } else {
        Trend::Same
    })
}

/// What range of work a scorecard scores (考核区间): obligations by their due date, or one
/// period of the schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Due within `from..=to`: the calendar quarter or year holding today, or a custom range.
    Dates {
        kind: WindowKind,
        from: NaiveDate,
        to: NaiveDate,
    },
    /// Everything the document ever asked for.
    All,
    /// One period of the schedule, with the one before it (for the trend).
    Period {
        key: String,
        previous: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowKind {
    Quarter,
    Year,
    Custom,
}

/// Why a window could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowError {
    /// Not one of `quarter`, `year`, `all`, `custom`.
    Unknown(String),
    /// A custom range needs both dates, as 年-月-日, the first not after the second.
    BadRange,
}

fn quarter_of(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first_month = (day.month() - 1) / 3 * 3 + 1;
    let from = NaiveDate::from_ymd_opt(day.year(), first_month, 1).unwrap_or(day);
    let to = from + Months::new(3) - chrono::Duration::days(1);
    (from, to)
}

impl Scope {
    /// The window a scorecard was asked for: `quarter` (本季度), `year` (本年, the default),
    /// `all` (全部) or `custom` with `from` and `to` dates, all relative to `today`.
    pub fn parse(
        window: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        today: NaiveDate,
    ) -> Result<Scope, WindowError> {
        match window
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .unwrap_or("year")
        {
            "quarter" => {
                let (from, to) = quarter_of(today);
                Ok(Scope::Dates {
                    kind: WindowKind::Quarter,
                    from,
                    to,
                })
            }
            "year" => Ok(Scope::Dates {
                kind: WindowKind::Year,
                from: NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
                to: NaiveDate::from_ymd_opt(today.year(), 12, 31).unwrap_or(today),
            }),
            "all" => Ok(Scope::All),
            "custom" => {
                let date = |s: Option<&str>| {
                    s.and_then(|s| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok())
                };
                match (date(from), date(to)) {
                    (Some(from), Some(to)) if from <= to => Ok(Scope::Dates {
                        kind: WindowKind::Custom,
                        from,
                        to,
                    }),
                    _ => Err(WindowError::BadRange),
                }
            }
            other => Err(WindowError::Unknown(other.chars().take(40).collect())),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Scope::Dates { kind, .. } => match kind {
                WindowKind::Quarter => "quarter",
                WindowKind::Year => "year",
                WindowKind::Custom => "custom",
            },
            Scope::All => "all",
            Scope::Period { .. } => "period",
        }
    }

    /// Whether an obligation of this period, due on this day, is in the window.
    pub fn contains(&self, period_key: &str, due_on: NaiveDate) -> bool {
        match self {
            Scope::Dates { from, to, .. } => *from <= due_on && due_on <= *to,
            Scope::All => true,
            Scope::Period { key, .. } => key == period_key,
        }
    }

    /// The window just before, the same length: the quarter or year before, the range of as
    /// many days before, the period before; none before everything.
    pub fn previous(&self) -> Option<Scope> {
        match self {
            Scope::Dates { kind, from, to } => {
                let (from, to) = match kind {
                    WindowKind::Quarter => quarter_of(*from - chrono::Duration::days(1)),
                    WindowKind::Year => {
                        (*from - Months::new(12), *from - chrono::Duration::days(1))
                    }
                    WindowKind::Custom => {
                        let days = (*to - *from).num_days() + 1;
                        (
                            *from - chrono::Duration::days(days),
                            *from - chrono::Duration::days(1),
                        )
                    }
                };
                Some(Scope::Dates {
                    kind: *kind,
                    from,
                    to,
                })
            }
            Scope::All => None,
            Scope::Period { previous, .. } => previous.clone().map(|key| Scope::Period {
                key,
                previous: None,
            }),
        }
    }
}

/// A measure's (or a unit's) light now (当前状态), from its obligations in the window as
/// (period key, due date, light): red while anything is overdue (or handed in late and not yet
/// accepted); otherwise the worst of the latest period already due and the next one coming.
/// Old periods that were dealt with do not colour today: this is not the worst light ever.
pub fn current_light<'a>(
    items: impl IntoIterator<Item = (&'a str, NaiveDate, Light)>,
    today: NaiveDate,
) -> Light {
    let items: Vec<(&str, NaiveDate, Light)> = items.into_iter().collect();
    if items.iter().any(|(_, _, l)| *l == Light::Red) {
        return Light::Red;
    }
    let latest_due = items
        .iter()
        .filter(|(_, due, _)| *due < today)
        .max_by_key(|(_, due, _)| *due)
        .map(|(k, _, _)| *k);
    let next = items
        .iter()
        .filter(|(_, due, _)| *due >= today)
        .min_by_key(|(_, due, _)| *due)
        .map(|(k, _, _)| *k);
    items
        .iter()
        .filter(|(k, _, _)| Some(*k) == latest_due || Some(*k) == next)
        .map(|(_, _, l)| *l)
        .max()
        .unwrap_or(Light::None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[allow(clippy::too_many_arguments)]
    fn f(
        id: i32,
        dept: i32,
        lead: bool,
        due: NaiveDate,
        submitted: Option<NaiveDate>,
        returned: bool,
        accepted: bool,
        percent: i32,
    ) -> ObligationFacts {
        ObligationFacts {
            obligation_id: id,
            department_id: dept,
            lead,
            due_on: due,
            first_submitted_on: submitted,
            reviewed: returned || accepted,
            returned,
            accepted,
            percent,
        }
    }

    /// Three departments, worked by hand (default weights; today 2026-04-20):
    ///
    /// A (1): lead, due 04-10, submitted 04-08, accepted first time, 100%.
    ///        timeliness 1, first pass 1, completion 1, progress 1 → 100.
    /// B (2): lead, due 04-10, submitted 04-12 (late), returned then accepted, 80%;
    ///        co (weight 0.5), due 04-07, never submitted → 13 days overdue.
    ///        total weight 1.5; timeliness 0/1.5 = 0; first pass 0/1 = 0;
    ///        completion 1/1.5; progress (1×0.8 + 0.5×0)/1.5 = 0.5333…
    ///        gross 25×0.6667 + 15×0.5333 = 16.667 + 8 = 24.667; penalty 13×0.5 = 6.5,
    ///        at most 5 for one obligation → 19.7 (rounded to one decimal).
    /// C (3): lead, due 05-10: nothing due yet → no score, no rank.
    fn fixture() -> Vec<ObligationFacts> {
        vec![
            f(1, 1, true, d(4, 10), Some(d(4, 8)), false, true, 100),
            f(2, 2, true, d(4, 10), Some(d(4, 12)), true, true, 80),
            f(3, 2, false, d(4, 7), None, false, false, 0),
            f(4, 3, true, d(5, 10), None, false, false, 0),
        ]
    }

    #[test]
    fn hand_computed_scores_and_ranks() {
        let card = scorecard(&[1, 2, 3], &fixture(), d(4, 20), &Weights::default());
        let got: Vec<_> = card
            .iter()
            .map(|s| (s.department_id, s.score, s.rank))
            .collect();
        assert_eq!(
            got,
            [
                (1, Some(100.0), Some(1)),
                (2, Some(19.7), Some(2)),
                (3, None, None)
            ]
        );
        let b = &card[1];
        assert_eq!(b.components.timeliness, Some(0.0));
        assert!(
            b.components.timeliness.unwrap().is_sign_positive(),
            "0, not -0 (shown as -0%)"
        );
        assert_eq!(b.components.first_pass, Some(0.0));
        assert!((b.components.completion.unwrap() - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(b.components.penalty, 5.0);
        // The breakdown adds up to the score.
        let sum: f64 = b.contributions.iter().map(|c| c.points).sum();
        assert!((sum - 19.6667).abs() < 1e-3, "{sum}");
        assert_eq!(b.contributions[1].overdue_days, 13);
    }

    #[test]
    fn a_weight_change_changes_the_ranking() {
        // D (4): always on time, never accepted, 0% — strong on timeliness only.
        // E (5): always late, accepted first time, 100%.
        let facts = vec![
            f(1, 4, true, d(4, 10), Some(d(4, 1)), false, false, 0),
            f(2, 5, true, d(4, 10), Some(d(4, 15)), false, true, 100),
        ];
        let today = d(4, 20);
        let default = scorecard(&[4, 5], &facts, today, &Weights::default());
        // D: timeliness only, first pass has no review → scaled: 40 × 100/80 = 50.
        // E: (20 + 25 + 15) × 100/100 = 60.
        assert_eq!(default[0].department_id, 5);
        assert_eq!(
            (default[0].score, default[1].score),
            (Some(60.0), Some(50.0))
        );
        let timely = Weights {
            timeliness: 80.0,
            ..Weights::default()
        };
        let changed = scorecard(&[4, 5], &facts, today, &timely);
        // D: 80 × 100/120 = 66.7; E: 60 × 100/140 = 42.9.
        assert_eq!(changed[0].department_id, 4);
        assert_eq!(
            (changed[0].score, changed[1].score),
            (Some(66.7), Some(42.9))
        );
    }

    #[test]
    fn equal_scores_share_a_rank_and_the_penalty_is_capped() {
        let facts = vec![
            f(1, 1, true, d(4, 10), Some(d(4, 1)), false, true, 100),
            f(2, 2, true, d(4, 10), Some(d(4, 1)), false, true, 100),
            f(3, 3, true, d(1, 1), None, false, false, 0),
            f(4, 4, true, d(1, 1), Some(d(4, 1)), false, false, 50),
        ];
        let card = scorecard(&[1, 2, 3, 4], &facts, d(4, 20), &Weights::default());
        let ranks: Vec<_> = card.iter().map(|s| (s.department_id, s.rank)).collect();
        assert_eq!(
            ranks,
            [(1, Some(1)), (2, Some(1)), (4, Some(3)), (3, Some(4))]
        );
        let c = card.iter().find(|s| s.department_id == 3).unwrap();
        assert_eq!(
            c.components.penalty, 5.0,
            "109 days × 0.5, at most 5 for one item"
        );
        assert_eq!(c.score, Some(0.0));
    }

    #[test]
    fn early_acceptance_counts_and_waiting_work_not_yet_due_weighs_nothing() {
        // Today 04-20. F (6): its Q2 report (due 07-10) handed in 04-15 and accepted, 100%:
        //   counted although not due → timeliness 1, first pass 1, completion 1, progress 1
        //   → 100 (before, "nothing due" and no score).
        // G (7): Q2 handed in 04-18, not yet reviewed, 60%: counted for timeliness (on time)
        //   and progress; completion and first pass have nothing to measure (not due, not
        //   accepted; not reviewed) → (40 × 1 + 15 × 0.6) × 100/55 = 89.1.
        // H (8): Q2 not handed in, not due → nothing counts, no score.
        let facts = vec![
            f(1, 6, true, d(7, 10), Some(d(4, 15)), false, true, 100),
            f(2, 7, true, d(7, 10), Some(d(4, 18)), false, false, 60),
            f(3, 8, true, d(7, 10), None, false, false, 0),
        ];
        let card = scorecard(&[6, 7, 8], &facts, d(4, 20), &Weights::default());
        let got: Vec<_> = card
            .iter()
            .map(|s| (s.department_id, s.score, s.rank))
            .collect();
        assert_eq!(
            got,
            [
                (6, Some(100.0), Some(1)),
                (7, Some(89.1), Some(2)),
                (8, None, None)
            ]
        );
        let g = &card[1];
        assert_eq!(g.components.completion, None);
        assert_eq!(g.components.first_pass, None);
        let sum: f64 = g.contributions.iter().map(|c| c.points).sum();
        assert!((sum - 89.0909).abs() < 1e-3, "{sum}");
    }

    #[test]
    fn one_ancient_item_costs_at_most_the_per_obligation_cap() {
        // Today 04-20. I (9): one item 513 days overdue and one on time, accepted, 100%:
        //   timeliness 1/2, first pass 1/1, completion 1/2, progress 1/2
        //   → 40×0.5 + 20×1 + 25×0.5 + 15×0.5 = 60; penalty 513 × 0.5 = 256.5, capped at 5 for
        //   the one item → 55 (it was 40: the whole cap of 20).
        // J (10): three items 10, 20 and 30 days overdue: 5 + 5 + 5 = 15 (not 30 → 20).
        let ancient = d(4, 20) - chrono::Duration::days(513);
        let facts = vec![
            f(1, 9, true, ancient, None, false, false, 0),
            f(2, 9, true, d(4, 10), Some(d(4, 9)), false, true, 100),
            f(3, 10, true, d(4, 10), None, false, false, 0),
            f(4, 10, true, d(3, 31), None, false, false, 0),
            f(5, 10, true, d(3, 21), None, false, false, 0),
        ];
        let card = scorecard(&[9, 10], &facts, d(4, 20), &Weights::default());
        let i = card.iter().find(|s| s.department_id == 9).unwrap();
        assert_eq!(i.components.penalty, 5.0);
        assert_eq!(i.score, Some(55.0));
        let j = card.iter().find(|s| s.department_id == 10).unwrap();
        assert_eq!(j.components.penalty, 15.0);
        let penalties: Vec<f64> = j.contributions.iter().map(|c| c.penalty).collect();
        assert_eq!(penalties, [5.0, 5.0, 5.0]);
        // Five such items reach the cap in all: 20, the fifth takes nothing more.
        let many: Vec<ObligationFacts> = (0..5)
            .map(|i| f(i, 12, true, d(3, 1 + i as u32), None, false, false, 0))
            .collect();
        let k = &scorecard(&[12], &many, d(4, 20), &Weights::default())[0];
        assert_eq!(k.components.penalty, 20.0);
        assert_eq!(k.contributions[4].penalty, 0.0);
    }

    #[test]
    fn the_window_picks_the_work_and_the_one_before_gives_the_trend() {
        let today = d(5, 1);
        let year = Scope::parse(None, None, None, today).unwrap();
        assert_eq!(
            year,
            Scope::Dates {
                kind: WindowKind::Year,
                from: d(1, 1),
                to: d(12, 31)
            }
        );
        let quarter = Scope::parse(Some("quarter"), None, None, today).unwrap();
        assert!(quarter.contains("2026-Q1", d(4, 10)));
        assert!(!quarter.contains("2025-Q4", d(1, 10)));
        assert_eq!(
            quarter.previous(),
            Some(Scope::Dates {
                kind: WindowKind::Quarter,
                from: d(1, 1),
                to: d(3, 31)
            })
        );
        let last_year = year.previous().unwrap();
        assert!(last_year.contains("x", NaiveDate::from_ymd_opt(2025, 7, 10).unwrap()));
        assert!(!last_year.contains("x", d(1, 1)));
        let custom = Scope::parse(
            Some("custom"),
            Some("2026-03-01"),
            Some("2026-03-10"),
            today,
        )
        .unwrap();
        assert_eq!(
            custom.previous(),
            Some(Scope::Dates {
                kind: WindowKind::Custom,
                from: d(2, 19),
                to: d(2, 28)
            })
        );
        assert_eq!(
            Scope::parse(Some("all"), None, None, today)
                .unwrap()
                .previous(),
            None
        );
        assert_eq!(
            Scope::parse(Some("decade"), None, None, today),
            Err(WindowError::Unknown("decade".into()))
        );
        for (from, to) in [
            (None, None),
            (Some("2026-03-10"), Some("2026-03-01")),
            (Some("x"), Some("2026-03-01")),
        ] {
            assert_eq!(
                Scope::parse(Some("custom"), from, to, today),
                Err(WindowError::BadRange)
            );
        }

        // History outside the window does not weigh on today's score: K (11) was 200 days late
        // last year and is on time this year.
        let facts = [
            f(
                1,
                11,
                true,
                NaiveDate::from_ymd_opt(2025, 10, 10).unwrap(),
                None,
                false,
                false,
                0,
            ),
            f(2, 11, true, d(4, 10), Some(d(4, 1)), false, true, 100),
        ];
        let in_year: Vec<ObligationFacts> = facts
            .iter()
            .filter(|o| year.contains("", o.due_on))
            .cloned()
            .collect();
        let now = scorecard(&[11], &in_year, today, &Weights::default());
        assert_eq!(now[0].score, Some(100.0));
        let before: Vec<ObligationFacts> = facts
            .iter()
            .filter(|o| last_year.contains("", o.due_on))
            .cloned()
            .collect();
        let then = scorecard(&[11], &before, today, &Weights::default());
        assert_eq!(then[0].score, Some(0.0));
        assert_eq!(trend(now[0].score, then[0].score), Some(Trend::Up));
        assert_eq!(trend(then[0].score, now[0].score), Some(Trend::Down));
        assert_eq!(trend(Some(50.0), Some(50.04)), Some(Trend::Same));
        assert_eq!(trend(Some(50.0), None), None);
    }

    #[test]
    fn the_light_is_the_state_now_not_the_worst_ever() {
        let today = d(5, 1);
        // Q4 was late but is accepted; Q1 is accepted; Q2 is due 07-10: green, not red.
        let history = [
            (
                "2025-Q4",
                NaiveDate::from_ymd_opt(2026, 1, 10).unwrap(),
                Light::Done,
            ),
            ("2026-Q1", d(4, 10), Light::Done),
            ("2026-Q2", d(7, 10), Light::Green),
        ];
        assert_eq!(current_light(history, today), Light::Green);
        // The next one due within days: 临近.
        assert_eq!(
            current_light(
                [
                    ("2026-Q1", d(4, 10), Light::Done),
                    ("2026-Q2", d(5, 5), Light::Yellow)
                ],
                today
            ),
            Light::Yellow
        );
        // Anything still overdue, in any period of the window, makes it red now.
        assert_eq!(
            current_light(
                [
                    ("2025-Q4", d(1, 10), Light::Red),
                    ("2026-Q1", d(4, 10), Light::Done)
                ],
                today
            ),
            Light::Red
        );
        // Everything done, nothing coming: 已通过; nothing at all: none.
        assert_eq!(
            current_light([("2026-Q1", d(4, 10), Light::Done)], today),
            Light::Done
        );
        assert_eq!(current_light([], today), Light::None);
        // A yellow in an old period (returned, then the period passed) is not today's light
        // unless it is still open — and open past due is red.
        assert_eq!(
            current_light(
                [
                    ("2025-Q3", d(1, 1), Light::Green),
                    ("2026-Q1", d(4, 10), Light::Done),
                    ("2026-Q2", d(7, 10), Light::Green)
                ],
                today
            ),
            Light::Green
        );
    }
}
