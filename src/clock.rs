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
