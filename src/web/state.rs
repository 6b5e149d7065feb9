//! Shared application state, handed to handlers as `web::Data<AppState>`.

use std::sync::Arc;

use actix_web::web;

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{DbConn, Pool};
use crate::error::AppError;
use crate::read::progress::LightRules;
use crate::security::CookieSigner;
use crate::storage::EvidenceStore;
use crate::web::cache::Drawn;
use crate::web::templates::{Page, Templates};

pub struct AppState {
    pub pool: Pool,
    /// One connection of its own for `/healthz`, so the check never queues behind pages.
    pub health: Pool,
    /// Bounds the password hashes computed at once (see `web::login`).
    pub hashing: std::sync::Arc<tokio::sync::Semaphore>,
    /// Sign-in throttling per address and the device cookies' failures.
    pub guard: crate::web::guard::LoginGuard,
    pub templates: Templates,
    pub settings: Settings,
    pub clock: Arc<dyn Clock>,
    pub signer: CookieSigner,
    pub evidence: EvidenceStore,
    pub mailroom: Arc<crate::reminders::Mailroom>,
    /// Drawn pages and scorecards, current while the data has not changed.
    pub parts: crate::web::cache::PartCache,
}

impl AppState {
    /// Runs blocking database work on the blocking thread pool with a pooled connection.
    pub async fn db<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let lang = crate::i18n::current();
        web::block(move || {
            crate::i18n::with_lang(lang, || {
                let mut conn = pool.get()?;
                f(&mut conn)
            })
        })
        .await?
    }

    /// Runs CPU work (parsing a plan, rendering a large page) on the blocking thread pool, in
    /// the request's language, so the worker threads keep answering other requests.
    pub async fn offload<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T, AppError> + Send + 'static,
    {
        let lang = crate::i18n::current();
        web::block(move || crate::i18n::with_lang(lang, f)).await?
    }

    /// Now, with the office's date.
    pub fn stamp(&self) -> crate::clock::Stamp {
        crate::clock::Stamp::at(self.clock.now(), self.settings.timezone)
    }

    /// Today in the office's time zone.
    pub fn today(&self) -> chrono::NaiveDate {
        crate::clock::local_date(self.clock.now(), self.settings.timezone)
    }

    /// Like [`AppState::db`], with the light rules for today loaded first.
    pub async fn db_lit<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn, &LightRules) -> Result<T, AppError> + Send + 'static,
    {
        let (today, yellow) = (self.today(), self.settings.reporting.yellow_days);
        self.db(move |conn| {
            let rules = LightRules::load(conn, today, yellow)?;
            f(conn, &rules)
        })
        .await
    }

    /// The data's version as drawn pages see it: this process's committed writes, the audit
    /// log's and the chase log's newest entries (which other processes' writes move too), and
    /// the day.
    pub async fn data_version(&self) -> Result<String, AppError> {
        let generation = crate::db::generation();
        let (audit, chase) = self
            .db(|conn| {
                Ok((
                    crate::db::audit::latest_id(conn)?,
                    crate::db::chase::latest_id(conn)?,
                ))
            })
            .await?;
        Ok(format!("{generation}.{audit}.{chase}.{}", self.today()))
    }

    /// What `draw` draws for `what`, from the cache while the data has not changed since it
    /// was drawn for this session (the content holds its CSRF token) in its language. The
    /// version is read before drawing, so an entry is never older than its key says.
    pub async fn drawn<F, Fut>(
        &self,
        viewer: &crate::web::auth::Viewer,
        what: &str,
        draw: F,
    ) -> Result<Arc<Drawn>, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Drawn, AppError>>,
    {
        let what = format!("{what}|{}|{}", viewer.lang.code(), viewer.session);
        self.cached(&what, draw).await
    }

    /// What `draw` draws for `what` (which names everything it depends on but the data),
    /// from the cache while the data has not changed since it was drawn.
    pub async fn cached<F, Fut>(&self, what: &str, draw: F) -> Result<Arc<Drawn>, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Drawn, AppError>>,
    {
        let key = format!("{what}|{}", self.data_version().await?);
        self.parts.get_or_draw(key, draw).await
    }

    /// A drawn page's content inside the layout, for `viewer`.
    pub fn drawn_page(
        &self,
        viewer: &crate::web::auth::Viewer,
        nav: &'static str,
        drawn: &Drawn,
        status: actix_web::http::StatusCode,
    ) -> Result<actix_web::HttpResponse, AppError> {
        let page = Page::for_viewer(viewer, drawn.title.clone(), nav, ());
        let html = self.templates.layout(&page, &drawn.html)?;
        Ok(actix_web::HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(html))
    }

    /// Renders a page template into an HTML response.
    pub fn page<T: serde::Serialize>(
        &self,
        template: &str,
        page: &Page<T>,
    ) -> Result<actix_web::HttpResponse, AppError> {
        self.page_with_status(template, page, actix_web::http::StatusCode::OK)
    }

    /// A page with another status: a form shown again with its error (422).
    pub fn page_with_status<T: serde::Serialize>(
        &self,
        template: &str,
        page: &Page<T>,
        status: actix_web::http::StatusCode,
    ) -> Result<actix_web::HttpResponse, AppError> {
        let html = self.templates.render(template, page)?;
        Ok(actix_web::HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(html))
    }
}
