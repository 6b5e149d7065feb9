//! The working-day calendar (工作日): weekends, public holidays (放假) and make-up working
//! days (调休上班), from `config/holidays/<year>.toml`. Years without a file count weekends
//! only.

use std::collections::HashSet;

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
}

impl Calendar {
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
}
