//! Accountability scoring (考核评分): from each department's obligations to a score of 0–100,
//! a rank, and a breakdown that shows what every obligation contributed. Pure: the facts come
//! in, the numbers go out.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

/// The model, from configuration (`[scoring]`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    pub timeliness: f64,
    pub first_pass: f64,
    pub completion: f64,
    pub progress: f64,
    pub penalty_per_day: f64,
    pub penalty_cap: f64,
    pub lead_weight: f64,
    pub co_weight: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            timeliness: 40.0,
            first_pass: 20.0,
            completion: 25.0,
            progress: 15.0,
            penalty_per_day: 0.5,
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

fn share(num: f64, den: f64) -> Option<f64> {
    (den > 0.0).then(|| num / den)
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Scores one department from the obligations counted in the window (those due by `today`).
pub fn score_department(
    department_id: i32,
    facts: &[&ObligationFacts],
    today: NaiveDate,
    w: &Weights,
) -> DepartmentScore {
    let weight = |f: &ObligationFacts| if f.lead { w.lead_weight } else { w.co_weight };
    let due: Vec<&&ObligationFacts> = facts.iter().filter(|f| f.due_on < today).collect();
    let total: f64 = due.iter().map(|f| weight(f)).sum();
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
            total,
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
            (today - f.due_on).num_days()
        } else {
            0
        };
        let penalty =
            (overdue_days as f64 * w.penalty_per_day).min((w.penalty_cap - penalty_total).max(0.0));
        penalty_total += penalty;
        let first_pass = f.reviewed.then_some(!f.returned);
        let mut points = 0.0;
        if total > 0.0 {
            points += scale * w.timeliness * wt * f64::from(u8::from(on_time(f))) / total;
            if components.completion.is_some() {
                points += scale * w.completion * wt * f64::from(u8::from(f.accepted)) / total;
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
    ///        gross 25×0.6667 + 15×0.5333 = 16.667 + 8 = 24.667; penalty 13×0.5 = 6.5
    ///        → 18.2 (rounded to one decimal).
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
                (2, Some(18.2), Some(2)),
                (3, None, None)
            ]
        );
        let b = &card[1];
        assert_eq!(b.components.timeliness, Some(0.0));
        assert_eq!(b.components.first_pass, Some(0.0));
        assert!((b.components.completion.unwrap() - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(b.components.penalty, 6.5);
        // The breakdown adds up to the score.
        let sum: f64 = b.contributions.iter().map(|c| c.points).sum();
        assert!((sum - 18.1667).abs() < 1e-3, "{sum}");
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
        assert_eq!(c.components.penalty, 20.0, "109 days × 0.5 capped at 20");
        assert_eq!(c.score, Some(0.0));
    }
}
