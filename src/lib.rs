//! duban (督办): turns a government implementation plan into tracked, accountable work.

pub mod accounts;
pub mod authz;
pub mod bulk;
pub mod circulars;
pub mod cli;
pub mod clock;
pub mod closing;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod feeds;
pub mod holidays;
pub mod i18n;
pub mod instructions;
pub mod mail;
pub mod maintenance;
pub mod read;
pub mod reminders;
pub mod reporting;
pub mod security;
pub mod startup;
pub mod storage;
pub mod web;
