//! The reporting schedule (报送周期) and the obligations it makes: one report due from one
//! department on one measure for one period.

use chrono::{Datelike, Duration, NaiveDate};
use serde::Serialize;

use super::calendar::Calendar;
use crate::i18n::tr;

/// How often reports are due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cadence {
    Weekly,
    Monthly,
    Quarterly,
    HalfYearly,
    Yearly,
    /// Periods the office lists itself.
    Custom(Vec<Period>),
}

impl Cadence {
    pub fn as_str(&self) -> &'static str {
        match self {
            Cadence::Weekly => "weekly",
            Cadence::Monthly => "monthly",
            Cadence::Quarterly => "quarterly",
            Cadence::HalfYearly => "half_yearly",
            Cadence::Yearly => "yearly",
            Cadence::Custom(_) => "custom",
        }
    }
}

/// One reporting period; `key` identifies it within a document (`2026-Q1`, `2026-03`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Period {
    pub key: String,
    pub label: String,
    pub start: NaiveDate,
    /// Inclusive.
    pub end: NaiveDate,
}

/// Everything a schedule needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub cadence: Cadence,
    /// The first period is the one containing this date.
    pub starts_on: NaiveDate,
    /// How many monthly or quarterly periods.
    pub periods: u32,
    /// A report is due this many days after its period ends …
    pub due_days: u32,
    /// … or, when set, on this day of its period's last month (每月25日前: 25), the 28th to
    /// 31st meaning the month's last day when it is shorter.
    pub due_day: Option<u32>,
    /// A co-responsible unit's contribution is due this many days before the lead's.
    pub co_days: u32,
}

fn month_end(year: i32, month: u32) -> NaiveDate {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).expect("valid month") - Duration::days(1)
}

const QUARTERS: [&str; 4] = ["一", "二", "三", "四"];

impl Schedule {
    /// The periods, in order.
    pub fn periods(&self) -> Vec<Period> {
        match &self.cadence {
            Cadence::Custom(list) => list.clone(),
            Cadence::Weekly => {
                let monday = self.starts_on
                    - Duration::days(self.starts_on.weekday().num_days_from_monday().into());
                (0..self.periods)
                    .map(|n| {
                        let start = monday + Duration::weeks(n.into());
                        let week = start.iso_week();
                        Period {
                            key: format!("{}-W{:02}", week.year(), week.week()),
                            label: format!("{}年第{}周", week.year(), week.week()),
                            start,
                            end: start + Duration::days(6),
                        }
                    })
                    .collect()
            }
            Cadence::HalfYearly => {
                let (mut y, mut h) = (self.starts_on.year(), (self.starts_on.month() - 1) / 6);
                (0..self.periods)
                    .map(|_| {
                        let first = h * 6 + 1;
                        let p = Period {
                            key: format!("{y}-H{}", h + 1),
                            label: format!("{y}年{}", if h == 0 { "上半年" } else { "下半年" }),
                            start: NaiveDate::from_ymd_opt(y, first, 1).expect("valid month"),
                            end: month_end(y, first + 5),
                        };
                        (y, h) = if h == 1 { (y + 1, 0) } else { (y, 1) };
                        p
                    })
                    .collect()
            }
            Cadence::Yearly => (0..self.periods)
                .map(|n| {
                    let y = self.starts_on.year() + n as i32;
                    Period {
                        key: format!("{y}"),
                        label: format!("{y}年"),
                        start: NaiveDate::from_ymd_opt(y, 1, 1).expect("valid year"),
                        end: NaiveDate::from_ymd_opt(y, 12, 31).expect("valid year"),
                    }
                })
                .collect(),
            Cadence::Monthly => {
                let (mut y, mut m) = (self.starts_on.year(), self.starts_on.month());
                (0..self.periods)
                    .map(|_| {
                        let p = Period {
                            key: format!("{y}-{m:02}"),
                            label: format!("{y}年{m}月"),
                            start: NaiveDate::from_ymd_opt(y, m, 1).expect("valid month"),
                            end: month_end(y, m),
                        };
                        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                        p
                    })
                    .collect()
            }
            Cadence::Quarterly => {
                let (mut y, mut q) = (self.starts_on.year(), (self.starts_on.month() - 1) / 3);
                (0..self.periods)
                    .map(|_| {
                        let first = q * 3 + 1;
                        let p = Period {
                            key: format!("{y}-Q{}", q + 1),
                            label: format!("{y}年第{}季度", QUARTERS[q as usize]),
                            start: NaiveDate::from_ymd_opt(y, first, 1).expect("valid month"),
                            end: month_end(y, first + 2),
                        };
                        (y, q) = if q == 3 { (y + 1, 0) } else { (y, q + 1) };
                        p
                    })
                    .collect()
            }
        }
    }

    /// When a unit's report for a period is due: a set number of days after the period, the
    /// co units earlier; a day off in `calendar` moves it to the next working day (节假日顺延).
    pub fn due_on(&self, period: &Period, lead: bool, calendar: &Calendar) -> NaiveDate {
        let lead_due = match self.due_day {
            Some(day) => {
                let last = period.end.day();
                let (y, m) = (period.end.year(), period.end.month());
                NaiveDate::from_ymd_opt(y, m, day.clamp(1, last)).unwrap_or(period.end)
            }
            None => period.end + Duration::days(self.due_days.into()),
        };
        let due = if lead {
            lead_due
        } else {
            lead_due - Duration::days(self.co_days.into())
        };
        calendar.on_or_after(due)
    }
}

/// Reads custom periods, one per line: `label, start, end` (dates as 2026-01-01).
pub fn parse_custom_periods(text: &str) -> Result<Vec<Period>, String> {
    let mut out: Vec<Period> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.split([',', '，', '|']).map(str::trim).collect();
        let line_error = |key: &str| tr(key, &[("line", &(n + 1).to_string())]);
        let bad = || line_error("domain.schedule.bad_period_line");
        let [label, start, end] = parts.as_slice() else {
            return Err(bad());
        };
        let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| bad());
        let (start, end) = (date(start)?, date(end)?);
        if label.is_empty() || label.chars().count() > 40 || end < start {
            return Err(bad());
        }
        if out.last().is_some_and(|p| start <= p.end) {
            return Err(line_error("domain.schedule.period_overlap"));
        }
        out.push(Period {
            key: format!("{start}~{end}"),
            label: label.to_string(),
            start,
            end,
        });
    }
    if out.is_empty() {
        return Err(tr("domain.schedule.no_periods", &[]));
    }
    if out.len() > 120 {
        return Err(tr("domain.schedule.too_many_periods", &[]));
    }
    Ok(out)
}

/// One department's part in one measure, as the schedule sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assignment {
    pub measure_id: i32,
    pub department_id: i32,
    pub lead: bool,
    /// 办结时限: no period starting after it.
    pub deadline: Option<NaiveDate>,
    /// The day the office closed the measure (办结/销号): nothing due after it.
    pub closed_on: Option<NaiveDate>,
}

/// An obligation the schedule calls for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedObligation {
    pub measure_id: i32,
    pub department_id: i32,
    pub lead: bool,
    pub period: Period,
    pub due_on: NaiveDate,
}

/// Every obligation of a document: each assignment, each period up to its measure's
/// completion deadline.
pub fn plan_obligations(
    schedule: &Schedule,
    assignments: &[Assignment],
    calendar: &Calendar,
) -> Vec<PlannedObligation> {
    let periods = schedule.periods();
    let mut out = Vec::with_capacity(periods.len() * assignments.len());
    for a in assignments {
        for p in &periods {
            if a.deadline.is_some_and(|d| p.start > d) {
                break;
            }
            let due_on = schedule.due_on(p, a.lead, calendar);
            if a.closed_on.is_some_and(|c| due_on > c) {
                break;
            }
            out.push(PlannedObligation {
                measure_id: a.measure_id,
                department_id: a.department_id,
                lead: a.lead,
                due_on,
                period: p.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn quarterly(start: NaiveDate, periods: u32) -> Schedule {
        Schedule {
            cadence: Cadence::Quarterly,
            starts_on: start,
            periods,
            due_days: 10,
            due_day: None,
            co_days: 3,
        }
    }

    #[test]
    fn weeks_half_years_and_years() {
        let weekly = Schedule {
            cadence: Cadence::Weekly,
            ..quarterly(d(2026, 3, 4), 3)
        };
        let p = weekly.periods();
        assert_eq!(p[0].key, "2026-W10");
        assert_eq!((p[0].start, p[0].end), (d(2026, 3, 2), d(2026, 3, 8)));
        assert_eq!(p[2].label, "2026年第12周");
        let halves = Schedule {
            cadence: Cadence::HalfYearly,
            ..quarterly(d(2026, 8, 1), 3)
        };
        let keys: Vec<String> = halves.periods().into_iter().map(|p| p.key).collect();
        assert_eq!(keys, ["2026-H2", "2027-H1", "2027-H2"]);
        assert_eq!(halves.periods()[1].label, "2027年上半年");
        assert_eq!(halves.periods()[1].end, d(2027, 6, 30));
        let years = Schedule {
            cadence: Cadence::Yearly,
            ..quarterly(d(2026, 8, 1), 2)
        };
        assert_eq!(years.periods()[1].key, "2027");
        assert_eq!(years.periods()[1].end, d(2027, 12, 31));
    }

    #[test]
    fn a_fixed_day_each_month_is_due_in_the_month_itself() {
        // 每月25日前: March's report is due on 25 March, February's on its last day when
        // the day is beyond it; a day off moves it on.
        let s = Schedule {
            cadence: Cadence::Monthly,
            due_day: Some(25),
            ..quarterly(d(2026, 2, 1), 3)
        };
        let p = s.periods();
        let cal = Calendar::china();
        assert_eq!(s.due_on(&p[1], true, cal), d(2026, 3, 25));
        assert_eq!(
            s.due_on(&p[1], false, cal),
            d(2026, 3, 23),
            "co units 3 days before, past the Sunday"
        );
        assert_eq!(
            s.due_on(&p[2], true, cal),
            d(2026, 4, 27),
            "25 April is a Saturday"
        );
        let end = Schedule {
            due_day: Some(31),
            ..s.clone()
        };
        assert_eq!(
            end.due_on(&p[0], true, cal),
            d(2026, 2, 28),
            "the 31st is February's last day, a make-up working Saturday in 2026"
        );
    }

    #[test]
    fn quarters_start_with_the_one_containing_the_start_date() {
        let p = quarterly(d(2026, 11, 26), 3).periods();
        let keys: Vec<_> = p.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["2026-Q4", "2027-Q1", "2027-Q2"]);
        assert_eq!(p[0].label, "2026年第四季度");
        assert_eq!((p[0].start, p[0].end), (d(2026, 10, 1), d(2026, 12, 31)));
        assert_eq!((p[1].start, p[1].end), (d(2027, 1, 1), d(2027, 3, 31)));
    }

    #[test]
    fn months_roll_over_the_year_and_know_february() {
        let s = Schedule {
            cadence: Cadence::Monthly,
            ..quarterly(d(2027, 12, 5), 3)
        };
        let p = s.periods();
        assert_eq!(p[0].key, "2027-12");
        assert_eq!(p[1].label, "2028年1月");
        assert_eq!(p[2].end, d(2028, 2, 29));
    }

    #[test]
    fn co_units_are_due_before_the_lead() {
        let s = quarterly(d(2026, 1, 1), 1);
        let q1 = &s.periods()[0];
        assert_eq!(s.due_on(q1, true, Calendar::china()), d(2026, 4, 10));
        assert_eq!(s.due_on(q1, false, Calendar::china()), d(2026, 4, 7));
    }

    #[test]
    fn a_due_date_on_a_day_off_moves_to_the_next_working_day() {
        let s = quarterly(d(2026, 7, 1), 2);
        let q3 = &s.periods()[0];
        // 09-30 + 10 = 10-10, a make-up working Saturday: it stands.
        assert_eq!(s.due_on(q3, true, Calendar::china()), d(2026, 10, 10));
        // 10-07 is in the National Day holiday: the next working day is 10-08.
        assert_eq!(s.due_on(q3, false, Calendar::china()), d(2026, 10, 8));
        // 12-31 + 10 = 2027-01-10, a Sunday.
        assert_eq!(
            s.due_on(&s.periods()[1], true, Calendar::china()),
            d(2027, 1, 11)
        );
    }

    #[test]
    fn obligations_stop_at_the_completion_deadline() {
        let s = quarterly(d(2026, 1, 1), 4);
        let a = [
            Assignment {
                measure_id: 1,
                department_id: 10,
                lead: true,
                deadline: None,
                closed_on: None,
            },
            Assignment {
                measure_id: 2,
                department_id: 11,
                lead: false,
                deadline: Some(d(2026, 5, 1)),
                closed_on: None,
            },
        ];
        let plan = plan_obligations(&s, &a, Calendar::china());
        assert_eq!(plan.iter().filter(|o| o.measure_id == 1).count(), 4);
        let m2: Vec<_> = plan
            .iter()
            .filter(|o| o.measure_id == 2)
            .map(|o| o.period.key.as_str())
            .collect();
        assert_eq!(m2, ["2026-Q1", "2026-Q2"]);
    }

    #[test]
    fn a_closed_measure_plans_nothing_due_after_its_closing_day() {
        // Quarterly, due 10 days after each quarter: 04-10, 07-10, 10-10, 2027-01-10.
        let s = quarterly(d(2026, 1, 1), 4);
        let closed = |on| Assignment {
            measure_id: 1,
            department_id: 10,
            lead: true,
            deadline: None,
            closed_on: on,
        };
        let keys = |on| -> Vec<String> {
            plan_obligations(&s, &[closed(on)], Calendar::china())
                .into_iter()
                .map(|o| o.period.key)
                .collect()
        };
        assert_eq!(
            keys(Some(d(2026, 7, 10))),
            ["2026-Q1", "2026-Q2"],
            "due on the closing day stays"
        );
        assert_eq!(keys(Some(d(2026, 7, 9))), ["2026-Q1"]);
        assert_eq!(keys(None).len(), 4);
    }

    #[test]
    fn custom_periods_are_checked() {
        let p = parse_custom_periods(
            "上半年, 2026-01-01, 2026-06-30\n下半年，2026-07-01，2026-12-31\n",
        )
        .unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].label, "下半年");
        assert!(parse_custom_periods("").is_err());
        assert!(parse_custom_periods("a, 2026-02-01, 2026-01-01").is_err());
        let overlap = "a, 2026-01-01, 2026-06-30\nb, 2026-06-01, 2026-12-31";
        assert_eq!(
            parse_custom_periods(overlap).unwrap_err(),
            "第 2 行的周期与上一周期重叠或顺序颠倒"
        );
        assert_eq!(
            crate::i18n::with_lang(crate::i18n::Lang::En, || parse_custom_periods(overlap))
                .unwrap_err(),
            "The period on line 2 overlaps the one before it or is out of order"
        );
        assert!(parse_custom_periods("a, 2026-13-01, 2026-12-31").is_err());
    }
}
