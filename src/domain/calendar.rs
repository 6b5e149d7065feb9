//! The working-day calendar (工作日): weekends, public holidays (放假) and make-up working
//! days (调休上班). The years shipped in `config/holidays/<year>.toml` are the defaults; the
//! office's edits of a year (stored in the database) replace that year. Years with neither
//! count weekends only, and say so (`has_year`).

use std::collections::{BTreeSet, HashSet};

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::Deserialize;

/// The holiday files compiled into the binary.
const FILES: &[(&str, &str)] = &[
    ("2025.toml", include_str!("../../config/holidays/2025.toml")),
    ("2026.toml", include_str!("../../config/holidays/2026.toml")),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    year: i32,
    holidays: Vec<NaiveDate>,
    workdays: Vec<NaiveDate>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    holidays: HashSet<NaiveDate>,
    workdays: HashSet<NaiveDate>,
    years: BTreeSet<i32>,
}

/// One year's days off and make-up working days, as shipped or as the office saved them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct YearDays {
    pub year: i32,
    pub holidays: Vec<NaiveDate>,
    pub workdays: Vec<NaiveDate>,
}

/// The years shipped with the binary.
pub fn shipped() -> Vec<YearDays> {
    static SHIPPED: std::sync::LazyLock<Vec<YearDays>> = std::sync::LazyLock::new(|| {
        FILES
            .iter()
            .map(|(name, text)| {
                let y: YearFile = toml::from_str(text)
                    .unwrap_or_else(|e| panic!("holidays/{name}: {}", e.message()));
                YearDays {
                    year: y.year,
                    holidays: y.holidays,
                    workdays: y.workdays,
                }
            })
            .collect()
    });
    SHIPPED.clone()
}

/// What is wrong with a year the office typed, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaysError {
    /// `holidays` or `workdays`.
    pub field: &'static str,
    pub message: String,
}

/// Reads the dates the office typed for `year`: separated by commas, 、, spaces or lines,
/// each `2027-02-06` (or `2027/2/6`), or a run `2027-02-06~2027-02-13` (also `至`, `～`).
/// Every date must lie in `year`; at most 200.
pub fn parse_days(year: i32, field: &'static str, text: &str) -> Result<Vec<NaiveDate>, DaysError> {
    let refuse = |key: &str, args: &[(&str, &str)]| DaysError {
        field,
        message: crate::i18n::tr(&format!("domain.calendar.{key}"), args),
    };
    let date = |s: &str| -> Result<NaiveDate, DaysError> {
        let s = s.trim();
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(s, "%Y/%m/%d"))
            .or_else(|_| NaiveDate::parse_from_str(s, "%Y.%m.%d"))
            .map_err(|_| {
                let shown: String = s.chars().take(30).collect();
                refuse("not_a_date", &[("text", &shown)])
            })
    };
    let mut out = BTreeSet::new();
    for part in text
        .split([',', '，', '、', ';', '；', ' ', '\n', '\r', '\t'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (first, last) = match part.split_once(['~', '～', '至']) {
            Some((a, b)) => (date(a)?, date(b)?),
            None => {
                let d = date(part)?;
                (d, d)
            }
        };
        if last < first || (last - first).num_days() > 60 {
            return Err(refuse("bad_run", &[("text", part)]));
        }
        let mut d = first;
        while d <= last {
            if d.year() != year {
                return Err(refuse(
                    "outside_year",
                    &[("date", &d.to_string()), ("year", &year.to_string())],
                ));
            }
            out.insert(d);
            d += Duration::days(1);
        }
        if out.len() > 200 {
            return Err(refuse("too_many", &[]));
        }
    }
    Ok(out.into_iter().collect())
}

/// Dates as the office reads and types them: runs of consecutive days as
/// `2027-02-06~2027-02-13`, one run or day per line.
pub fn format_days(days: &[NaiveDate]) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut sorted = days.to_vec();
    sorted.sort();
    sorted.dedup();
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1] == sorted[j] + Duration::days(1) {
            j += 1;
        }
        lines.push(if i == j {
            sorted[i].to_string()
        } else {
            format!("{}~{}", sorted[i], sorted[j])
        });
        i = j + 1;
    }
    lines.join("\n")
}

/// Checks a year as a whole: no day both off and a make-up working day.
pub fn check_year(days: &YearDays) -> Result<(), DaysError> {
    let off: HashSet<&NaiveDate> = days.holidays.iter().collect();
    if let Some(both) = days.workdays.iter().find(|d| off.contains(d)) {
        return Err(DaysError {
            field: "workdays",
            message: crate::i18n::tr("domain.calendar.both", &[("date", &both.to_string())]),
        });
    }
    Ok(())
}

impl Calendar {
    /// The shipped years with `stored` ones in place of the same years.
    pub fn with_stored(stored: &[YearDays]) -> Calendar {
        let mut years: Vec<YearDays> = shipped()
            .into_iter()
            .filter(|y| !stored.iter().any(|s| s.year == y.year))
            .collect();
        years.extend(stored.iter().cloned());
        let mut cal = Calendar::default();
        for y in years {
            cal.years.insert(y.year);
            cal.holidays.extend(y.holidays);
            cal.workdays.extend(y.workdays);
        }
        cal
    }

    /// The years with holidays (shipped or saved).
    pub fn years(&self) -> BTreeSet<i32> {
        self.years.clone()
    }

    /// Whether `year` has its holidays (shipped or saved); without them its due dates
    /// move past weekends only.
    pub fn has_year(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// Reads holiday files; each date must lie in its file's year.
    pub fn from_files(files: &[(&str, &str)]) -> Result<Calendar, String> {
        let mut cal = Calendar::default();
        for (name, text) in files {
            let year: YearFile =
                toml::from_str(text).map_err(|e| format!("holidays/{name}: {}", e.message()))?;
            for d in year.holidays.iter().chain(&year.workdays) {
                if d.year() != year.year {
                    return Err(format!("holidays/{name}: {d} is not in {}", year.year));
                }
            }
            cal.years.insert(year.year);
            cal.holidays.extend(year.holidays);
            cal.workdays.extend(year.workdays);
        }
        if let Some(both) = cal.holidays.intersection(&cal.workdays).next() {
            return Err(format!(
                "{both} is listed both as a holiday and as a working day"
            ));
        }
        Ok(cal)
    }

    /// Mainland China, from the files compiled in.
    pub fn china() -> &'static Calendar {
        static CHINA: std::sync::LazyLock<Calendar> = std::sync::LazyLock::new(|| {
            Calendar::from_files(FILES).expect("the compiled-in holiday files are valid")
        });
        &CHINA
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.workdays.contains(&d) {
            return true;
        }
        !self.holidays.contains(&d) && !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// `d` if it is a working day, else the next one.
    pub fn on_or_after(&self, d: NaiveDate) -> NaiveDate {
        let mut day = d;
        // A run of non-working days is never longer than a few weeks.
        for _ in 0..60 {
            if self.is_working_day(day) {
                return day;
            }
            day += Duration::days(1);
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn national_day_is_off_and_its_make_up_saturday_is_on() {
        let cal = Calendar::china();
        assert!(!cal.is_working_day(d(2026, 10, 7)), "National Day holiday");
        assert!(cal.is_working_day(d(2026, 10, 10)), "a make-up Saturday");
        assert!(cal.is_working_day(d(2026, 9, 20)), "a make-up Sunday");
        assert!(!cal.is_working_day(d(2026, 10, 17)), "an ordinary Saturday");
        assert!(cal.is_working_day(d(2026, 10, 8)));
        assert_eq!(cal.on_or_after(d(2026, 10, 1)), d(2026, 10, 8));
        assert_eq!(
            cal.on_or_after(d(2026, 2, 15)),
            d(2026, 2, 24),
            "after Spring Festival"
        );
        assert_eq!(
            cal.on_or_after(d(2027, 1, 10)),
            d(2027, 1, 11),
            "no file: weekends only"
        );
        assert_eq!(cal.on_or_after(d(2026, 4, 10)), d(2026, 4, 10));
    }

    #[test]
    fn bad_files_are_refused() {
        let wrong_year = "year = 2026\nholidays = [\"2025-01-01\"]\nworkdays = []\n";
        assert!(Calendar::from_files(&[("x.toml", wrong_year)]).is_err());
        let both = "year = 2026\nholidays = [\"2026-01-01\"]\nworkdays = [\"2026-01-01\"]\n";
        assert!(Calendar::from_files(&[("x.toml", both)]).is_err());
        assert!(Calendar::from_files(&[("x.toml", "year = 2026\nholiday = []\n")]).is_err());
    }

    #[test]
    fn the_office_types_days_and_runs_within_the_year() {
        let days = parse_days(
            2027,
            "holidays",
            "2027-02-06~2027-02-08、2027/5/1\n2027-01-01",
        )
        .unwrap();
        assert_eq!(
            days,
            [
                d(2027, 1, 1),
                d(2027, 2, 6),
                d(2027, 2, 7),
                d(2027, 2, 8),
                d(2027, 5, 1)
            ]
        );
        assert_eq!(parse_days(2027, "holidays", "  ").unwrap(), []);
        let outside = parse_days(2027, "holidays", "2026-12-31").unwrap_err();
        assert!(outside.message.contains("2026-12-31") && outside.message.contains("2027"));
        let bad = parse_days(2027, "workdays", "2027-02-30").unwrap_err();
        assert_eq!(bad.field, "workdays");
        assert!(bad.message.contains("2027-02-30"));
        assert!(parse_days(2027, "holidays", "2027-03-01~2027-02-01").is_err());
        let both = YearDays {
            year: 2027,
            holidays: vec![d(2027, 2, 6)],
            workdays: vec![d(2027, 2, 6)],
        };
        assert!(check_year(&both)
            .unwrap_err()
            .message
            .contains("2027-02-06"));
        let typed = format_days(&days);
        assert_eq!(typed, "2027-01-01\n2027-02-06~2027-02-08\n2027-05-01");
        assert_eq!(parse_days(2027, "holidays", &typed).unwrap(), days);
    }

    #[test]
    fn a_saved_year_replaces_the_shipped_one_and_a_new_year_counts() {
        let shipped = Calendar::with_stored(&[]);
        assert!(shipped.has_year(2026) && !shipped.has_year(2027));
        assert!(!shipped.is_working_day(d(2026, 10, 7)));
        let edited = Calendar::with_stored(&[
            YearDays {
                year: 2026,
                holidays: vec![],
                workdays: vec![],
            },
            YearDays {
                year: 2027,
                holidays: vec![d(2027, 1, 11)],
                workdays: vec![d(2027, 1, 16)],
            },
        ]);
        assert!(
            edited.is_working_day(d(2026, 10, 7)),
            "2026 as the office saved it"
        );
        assert!(edited.has_year(2027));
        assert_eq!(edited.on_or_after(d(2027, 1, 10)), d(2027, 1, 12));
        assert!(edited.is_working_day(d(2027, 1, 16)), "a make-up Saturday");
    }
}
