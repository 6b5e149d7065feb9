//! The one source of "now". Production reads the system clock; tests fix it.

use chrono::NaiveDateTime;

pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time in UTC.
    fn now(&self) -> NaiveDateTime;
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> NaiveDateTime {
        chrono::Utc::now().naive_utc()
    }
}

/// A clock that always answers the same time.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub NaiveDateTime);

impl Clock for FixedClock {
    fn now(&self) -> NaiveDateTime {
        self.0
    }
}

/// A clock that tests move forward by hand.
#[derive(Debug)]
pub struct ManualClock(std::sync::Mutex<NaiveDateTime>);

impl ManualClock {
    pub fn new(at: NaiveDateTime) -> Self {
        ManualClock(std::sync::Mutex::new(at))
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> NaiveDateTime {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The calendar date at `now` (UTC) in the office's time zone: due dates end at 24:00 there.
pub fn local_date(now: NaiveDateTime, tz: chrono_tz::Tz) -> chrono::NaiveDate {
    use chrono::TimeZone;
    tz.from_utc_datetime(&now).date_naive()
}

/// A UTC time as the office reads it, to the minute: 2026-04-10 23:59.
pub fn local_time(t: NaiveDateTime, tz: chrono_tz::Tz) -> String {
    use chrono::TimeZone;
    tz.from_utc_datetime(&t)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A moment as a write records it: the UTC time, and the office's date at that time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub now: NaiveDateTime,
    pub today: chrono::NaiveDate,
}

impl Stamp {
    pub fn at(now: NaiveDateTime, tz: chrono_tz::Tz) -> Stamp {
        Stamp {
            now,
            today: local_date(now, tz),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_ends_at_midnight_in_the_office_time_zone() {
        let utc = |h| {
            chrono::NaiveDate::from_ymd_opt(2026, 4, 10)
                .unwrap()
                .and_hms_opt(h, 30, 0)
                .unwrap()
        };
        let tz = chrono_tz::Asia::Shanghai;
        assert_eq!(local_date(utc(15), tz).to_string(), "2026-04-10");
        // 16:30 UTC is 00:30 the next day in Beijing.
        assert_eq!(local_date(utc(16), tz).to_string(), "2026-04-11");
    }
}
