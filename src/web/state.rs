//! Shared application state, handed to handlers as `web::Data<AppState>`.

use std::sync::Arc;

use actix_web::web;

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{DbConn, Pool};
use crate::error::AppError;
use crate::security::CookieSigner;
use crate::storage::EvidenceStore;
use crate::web::templates::{Page, Templates};

pub struct AppState {
    pub pool: Pool,
    pub templates: Templates,
    pub settings: Settings,
    pub clock: Arc<dyn Clock>,
    pub signer: CookieSigner,
    pub evidence: EvidenceStore,
}

impl AppState {
    /// Runs blocking database work on the blocking thread pool with a pooled connection.
    pub async fn db<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }

    /// Today in the office's time zone.
    pub fn today(&self) -> chrono::NaiveDate {
        crate::clock::local_date(self.clock.now(), self.settings.timezone)
    }

    /// What lights need from the configuration and the clock: today and the yellow window.
    pub fn light_inputs(&self) -> (chrono::NaiveDate, u32) {
        (self.today(), self.settings.reporting.yellow_days)
    }

    /// Renders a page template into an HTML response.
    pub fn page<T: serde::Serialize>(
        &self,
        template: &str,
        page: &Page<T>,
    ) -> Result<actix_web::HttpResponse, AppError> {
        let html = self.templates.render(template, page)?;
        Ok(actix_web::HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(html))
    }
}
