//! Pure domain logic: no database, no web, no mail. Everything here is tested without I/O.

pub mod accounts;
pub mod calendar;
pub mod channels;
pub mod circular;
pub mod feeds;
pub mod importer;
pub mod reminders;
pub mod reporting;
pub mod schedule;
pub mod scoring;
pub mod text;
