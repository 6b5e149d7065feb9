//! The ledger's filter (台账筛选), parsed once from a query string. Pages, the API and the
//! exports share it; a value that cannot be understood is refused with a message naming the
//! parameter and what it accepts (422), never silently ignored.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::db::obligations::{LedgerSort, LedgerState, LedgerWhere};
use crate::domain::reporting::Light;
use crate::error::AppError;
use crate::i18n::tr;

/// Rows a page may hold; the page offers these, the API accepts 1–100.
pub const PAGE_SIZES: [u32; 3] = [25, 50, 100];
pub const MAX_PER_PAGE: u32 = 100;

/// A due-date window relative to today: 本月, 本季度, 本年.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Window {
    Month,
    Quarter,
    Year,
}

impl Window {
    fn parse(s: &str) -> Option<Window> {
        match s {
            "month" => Some(Window::Month),
            "quarter" => Some(Window::Quarter),
            "year" => Some(Window::Year),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Window::Month => "month",
            Window::Quarter => "quarter",
            Window::Year => "year",
        }
    }

    /// The first and last day of the window that holds `today`.
    pub fn range(self, today: NaiveDate) -> (NaiveDate, NaiveDate) {
        let (y, m) = (today.year(), today.month());
        let first_month = match self {
            Window::Month => m,
            Window::Quarter => (m - 1) / 3 * 3 + 1,
            Window::Year => 1,
        };
        let months = match self {
            Window::Month => 1,
            Window::Quarter => 3,
            Window::Year => 12,
        };
        let start = NaiveDate::from_ymd_opt(y, first_month, 1).expect("first of a month");
        let end = start
            .checked_add_months(chrono::Months::new(months))
            .and_then(|d| d.pred_opt())
            .expect("a date in range");
        (start, end)
    }
}

/// The ledger's filter as the person chose it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LedgerFilter {
    pub document: Option<i32>,
    pub section: Option<i32>,
    pub measure: Option<i32>,
    pub department: Option<i32>,
    /// `lead` or `co`.
    pub role: Option<&'static str>,
    pub period: Option<String>,
    pub window: Option<Window>,
    pub due_from: Option<NaiveDate>,
    pub due_to: Option<NaiveDate>,
    pub state: Option<LedgerState>,
    pub light: Option<Light>,
    pub overdue_days_min: Option<i64>,
    pub returned: bool,
    pub unacknowledged: bool,
    /// A leader's 我分管的单位: only the units they oversee.
    pub mine: bool,
    pub q: Option<String>,
    pub sort: LedgerSort,
    pub page: u32,
    pub per_page: u32,
}

fn invalid(name: &str, value: &str, expected: &str) -> AppError {
    AppError::Validation(tr(
        "ledger.filter.invalid",
        &[("name", name), ("value", value), ("expected", expected)],
    ))
}

fn id(name: &str, value: &str) -> Result<i32, AppError> {
    value
        .parse::<i32>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| invalid(name, value, &tr("ledger.filter.expected_id", &[])))
}

fn date(name: &str, value: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| invalid(name, value, &tr("ledger.filter.expected_date", &[])))
}

fn flag(name: &str, value: &str) -> Result<bool, AppError> {
    match value {
        "1" | "true" | "on" | "yes" => Ok(true),
        "0" | "false" | "off" | "no" => Ok(false),
        _ => Err(invalid(name, value, "1 / 0")),
    }
}

pub fn state_str(s: LedgerState) -> &'static str {
    match s {
        LedgerState::Open => "open",
        LedgerState::Submitted => "submitted",
        LedgerState::Returned => "returned",
        LedgerState::Accepted => "accepted",
        LedgerState::Overdue => "overdue",
        LedgerState::Pending => "pending",
        LedgerState::Unreported => "unreported",
    }
}

pub fn sort_str(s: LedgerSort) -> &'static str {
    match s {
        LedgerSort::Urgent => "urgent",
        LedgerSort::Due => "due",
        LedgerSort::DueDesc => "due_desc",
        LedgerSort::Unit => "unit",
        LedgerSort::Measure => "measure",
    }
}

impl LedgerFilter {
    /// Parses a query string. Empty values (an unset select in a form) mean "any"; unknown
    /// parameter names are left alone (links may carry others), unknown values are refused.
    /// `page_sizes_only`: the page offers 25 / 50 / 100; the API takes any size up to 100.
    pub fn parse(query: &str, page_sizes_only: bool) -> Result<LedgerFilter, AppError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
            .map_err(|_| AppError::Validation(tr("ledger.filter.unreadable", &[])))?;
        let mut f = LedgerFilter {
            page: 1,
            per_page: PAGE_SIZES[0],
            ..LedgerFilter::default()
        };
        for (name, value) in &pairs {
            let v = value.trim();
            if v.is_empty() {
                continue;
            }
            match name.as_str() {
                "document" => f.document = Some(id(name, v)?),
                "section" => f.section = Some(id(name, v)?),
                "measure" => f.measure = Some(id(name, v)?),
                "department" => f.department = Some(id(name, v)?),
                "role" => {
                    f.role = Some(match v {
                        "lead" => "lead",
                        "co" => "co",
                        _ => return Err(invalid(name, v, "lead / co")),
                    })
                }
                "period" => {
                    if v.chars().count() > 40 {
                        return Err(invalid(name, v, &tr("ledger.filter.expected_period", &[])));
                    }
                    f.period = Some(v.to_string())
                }
                "window" => {
                    f.window = Some(
                        Window::parse(v)
                            .ok_or_else(|| invalid(name, v, "month / quarter / year"))?,
                    )
                }
                "due_from" => f.due_from = Some(date(name, v)?),
                "due_to" => f.due_to = Some(date(name, v)?),
                "state" => f.state = Some(match v {
                    "open" => LedgerState::Open,
                    "submitted" => LedgerState::Submitted,
                    "returned" => LedgerState::Returned,
                    "accepted" => LedgerState::Accepted,
                    "overdue" => LedgerState::Overdue,
                    "pending" => LedgerState::Pending,
                    "unreported" => LedgerState::Unreported,
                    _ => return Err(invalid(
                        name,
                        v,
                        "open / submitted / returned / accepted / overdue / pending / unreported",
                    )),
                }),
                "light" => {
                    f.light = Some(match v {
                        "green" => Light::Green,
                        "yellow" => Light::Yellow,
                        "red" => Light::Red,
                        "done" => Light::Done,
                        _ => return Err(invalid(name, v, "green / yellow / red / done")),
                    })
                }
                "overdue_days_min" | "overdue" => {
                    let n = v.parse::<i64>().ok().filter(|n| (0..=36500).contains(n));
                    f.overdue_days_min =
                        Some(n.ok_or_else(|| {
                            invalid(name, v, &tr("ledger.filter.expected_days", &[]))
                        })?)
                }
                "returned" => f.returned = flag(name, v)?,
                "unacknowledged" => f.unacknowledged = flag(name, v)?,
                "mine" => f.mine = flag(name, v)?,
                "q" => {
                    let text = crate::domain::text::strip_format(v).into_owned();
                    if text.chars().count() > 100 {
                        return Err(invalid(name, v, &tr("ledger.filter.expected_text", &[])));
                    }
                    f.q = Some(text).filter(|t| !t.is_empty());
                }
                "sort" => {
                    f.sort = match v {
                        "urgent" => LedgerSort::Urgent,
                        "due" => LedgerSort::Due,
                        "due_desc" => LedgerSort::DueDesc,
                        "unit" => LedgerSort::Unit,
                        "measure" => LedgerSort::Measure,
                        _ => {
                            return Err(invalid(
                                name,
                                v,
                                "urgent / due / due_desc / unit / measure",
                            ))
                        }
                    }
                }
                "page" => {
                    f.page = v
                        .parse::<u32>()
                        .ok()
                        .filter(|p| (1..=1_000_000).contains(p))
                        .ok_or_else(|| invalid(name, v, &tr("ledger.filter.expected_page", &[])))?
                }
                "per_page" => {
                    let n = v.parse::<u32>().ok().filter(|n| {
                        if page_sizes_only {
                            PAGE_SIZES.contains(n)
                        } else {
                            (1..=MAX_PER_PAGE).contains(n)
                        }
                    });
                    f.per_page = n.ok_or_else(|| {
                        invalid(
                            name,
                            v,
                            if page_sizes_only {
                                "25 / 50 / 100"
                            } else {
                                "1–100"
                            },
                        )
                    })?;
                }
                _ => {}
            }
        }
        if let (Some(from), Some(to)) = (f.due_from, f.due_to) {
            if from > to {
                return Err(AppError::Validation(tr(
                    "ledger.filter.dates_reversed",
                    &[],
                )));
            }
        }
        Ok(f)
    }

    /// The selection in SQL terms for today.
    pub fn to_where(&self, today: NaiveDate, yellow_days: u32) -> LedgerWhere {
        let (mut due_from, mut due_to) = (self.due_from, self.due_to);
        if let Some(w) = self.window {
            let (start, end) = w.range(today);
            due_from = Some(due_from.map_or(start, |d| d.max(start)));
            due_to = Some(due_to.map_or(end, |d| d.min(end)));
        }
        LedgerWhere {
            document: self.document,
            section: self.section,
            measure: self.measure,
            department: self.department,
            role: self.role,
            period: self.period.clone(),
            due_from,
            due_to,
            state: self.state,
            light: self.light,
            overdue_days_min: self.overdue_days_min,
            returned: self.returned,
            unacknowledged: self.unacknowledged,
            title_like: self.q.as_ref().map(|q| {
                let escaped: String = q
                    .chars()
                    .flat_map(|c| match c {
                        '%' | '_' | '\\' => vec!['\\', c],
                        c => vec![c],
                    })
                    .collect();
                format!("%{escaped}%")
            }),
            today,
            yellow_days,
            ..LedgerWhere::default()
        }
    }

    /// The filter as query parameters (without the page), for links and exports.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out: Vec<(&'static str, String)> = Vec::new();
        let mut put = |k: &'static str, v: Option<String>| {
            if let Some(v) = v {
                out.push((k, v));
            }
        };
        put("document", self.document.map(|v| v.to_string()));
        put("section", self.section.map(|v| v.to_string()));
        put("measure", self.measure.map(|v| v.to_string()));
        put("department", self.department.map(|v| v.to_string()));
        put("role", self.role.map(str::to_string));
        put("period", self.period.clone());
        put("window", self.window.map(|w| w.as_str().to_string()));
        put("due_from", self.due_from.map(|d| d.to_string()));
        put("due_to", self.due_to.map(|d| d.to_string()));
        put("state", self.state.map(|s| state_str(s).to_string()));
        put("light", self.light.map(|l| l.as_str().to_string()));
        put(
            "overdue_days_min",
            self.overdue_days_min.map(|n| n.to_string()),
        );
        put("returned", self.returned.then(|| "1".to_string()));
        put(
            "unacknowledged",
            self.unacknowledged.then(|| "1".to_string()),
        );
        put("mine", self.mine.then(|| "1".to_string()));
        put("q", self.q.clone());
        put(
            "sort",
            (self.sort != LedgerSort::Urgent).then(|| sort_str(self.sort).to_string()),
        );
        put(
            "per_page",
            (self.per_page != PAGE_SIZES[0]).then(|| self.per_page.to_string()),
        );
        out
    }

    /// The filter's query string with other values for some parameters.
    pub fn query_with(&self, changes: &[(&'static str, Option<String>)]) -> String {
        let mut pairs = self.pairs();
        for (k, v) in changes {
            pairs.retain(|(name, _)| name != k);
            if let Some(v) = v {
                pairs.push((k, v.clone()));
            }
        }
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_reads_every_parameter_and_writes_them_back() {
        let q = "document=2&measure=6&role=lead&state=overdue&light=red&overdue_days_min=3\
                 &q=%E5%B0%B1%E4%B8%9A&sort=unit&page=2&per_page=50&window=quarter&returned=1";
        let f = LedgerFilter::parse(q, true).unwrap();
        assert_eq!(f.document, Some(2));
        assert_eq!(f.measure, Some(6));
        assert_eq!(f.role, Some("lead"));
        assert_eq!(f.state, Some(LedgerState::Overdue));
        assert_eq!(f.light, Some(Light::Red));
        assert_eq!(f.overdue_days_min, Some(3));
        assert_eq!(f.q.as_deref(), Some("就业"));
        assert_eq!(f.sort, LedgerSort::Unit);
        assert_eq!((f.page, f.per_page), (2, 50));
        assert!(f.returned);
        // Written back (without the page) and read again, it is the same filter.
        let again = LedgerFilter::parse(&f.query_with(&[("page", Some("2".into()))]), true);
        assert_eq!(again.unwrap(), f);
    }

    #[test]
    fn empty_values_mean_any_and_unknown_values_are_refused_by_name() {
        let f = LedgerFilter::parse("document=&state=&q=+&x=1", true).unwrap();
        assert_eq!(f, LedgerFilter::parse("", true).unwrap());
        for bad in [
            "state=late",
            "overdue_days_min=abc",
            "overdue_days_min=-1",
            "page=0",
            "per_page=30",
            "light=blue",
            "document=x",
            "due_from=2026-13-01",
            "sort=random",
            "due_from=2026-05-01&due_to=2026-04-01",
        ] {
            let e = LedgerFilter::parse(bad, true).unwrap_err();
            assert!(matches!(e, AppError::Validation(_)), "{bad}: {e:?}");
        }
        // The API takes any size up to 100, never more.
        assert_eq!(
            LedgerFilter::parse("per_page=30", false).unwrap().per_page,
            30
        );
        assert!(LedgerFilter::parse("per_page=101", false).is_err());
    }

    #[test]
    fn windows_are_calendar_month_quarter_and_year() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let ymd = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(
            Window::Month.range(d),
            (ymd(2026, 11, 1), ymd(2026, 11, 30))
        );
        assert_eq!(
            Window::Quarter.range(d),
            (ymd(2026, 10, 1), ymd(2026, 12, 31))
        );
        assert_eq!(Window::Year.range(d), (ymd(2026, 1, 1), ymd(2026, 12, 31)));
        let f = LedgerFilter::parse("window=quarter&due_from=2026-11-05", true).unwrap();
        let w = f.to_where(d, 7);
        assert_eq!(
            (w.due_from, w.due_to),
            (Some(ymd(2026, 11, 5)), Some(ymd(2026, 12, 31)))
        );
    }

    #[test]
    fn search_text_is_matched_literally() {
        let f = LedgerFilter::parse("q=50%25_a", true).unwrap();
        let w = f.to_where(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), 7);
        assert_eq!(w.title_like.as_deref(), Some("%50\\%\\_a%"));
    }
}
