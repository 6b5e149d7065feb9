//! Black-box tests: the real application on a free port and the real binary, each test with a
//! database of its own (SQLite by default; PostgreSQL when TEST_DATABASE_URL is set).

mod access;
mod accounts;
mod browse;
mod calendar;
mod channels;
mod circulars;
mod closing;
mod config;
mod delivery;
mod durability;
mod helpers;
mod http_receiver;
mod import;
mod instructions;
mod language;
mod ledger;
mod migrations;
mod queries;
mod reminders;
mod reporting;
mod review;
mod scorecard;
mod security;
mod smtp;
