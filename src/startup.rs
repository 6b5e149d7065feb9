//! Builds the application: database, migrations, first-run data, the actix server. `serve`
//! and the black-box tests use the same `Application::build` (tests bind port 0).

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, DefaultHeaders, ErrorHandlers, Logger};
use actix_web::{web::Data, App, HttpServer};
use anyhow::Context;

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{self, documents, DbConn, Pool};
use crate::domain::importer;
use crate::web::{configure, errors, state::AppState, templates::Templates};

/// The plan a first run shows: Tacheng Prefecture's 2018 employment and entrepreneurship plan.
pub const BUNDLED_DOCUMENT: &str =
    include_str!("../config/documents/tacheng-2018-10-employment.txt");

/// Security headers on every response. No page uses inline script or style.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

pub struct Application {
    port: u16,
    server: Server,
}

/// Opens the database and brings it up to date.
pub fn open_database(settings: &Settings) -> anyhow::Result<Pool> {
    let pool = db::open(
        &settings.database,
        settings.pool_size,
        Duration::from_secs(settings.connect_timeout_secs),
    )?;
    let mut conn = pool.get().context("no database connection")?;
    let applied = db::run_migrations(&mut conn, &settings.database)?;
    if !applied.is_empty() {
        tracing::info!(count = applied.len(), "applied database migrations");
    }
    Ok(pool)
}

/// First-run data: on an empty database, the bundled plan, so a newcomer sees real work.
pub fn bootstrap(conn: &mut DbConn, settings: &Settings, clock: &dyn Clock) -> anyhow::Result<()> {
    if settings.bundled_document && documents::count(conn)? == 0 {
        let parsed = importer::parse(BUNDLED_DOCUMENT).context("the bundled document")?;
        let outcome = documents::store(
            conn,
            &parsed,
            BUNDLED_DOCUMENT,
            false,
            "system",
            clock.now(),
        )
        .context("storing the bundled document")?;
        tracing::info!(
            measures = outcome.measures,
            departments = outcome.departments,
            "imported the bundled document on an empty database"
        );
    }
    Ok(())
}

impl Application {
    pub fn build(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Application> {
        let pool = open_database(&settings)?;
        bootstrap(&mut *pool.get()?, &settings, clock.as_ref())?;
        let listener = TcpListener::bind(settings.bind)
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let workers = settings.workers;
        let state = Data::new(AppState {
            pool,
            templates: Templates::new().map_err(|e| anyhow::anyhow!("templates: {e}"))?,
            settings,
            clock,
        });
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(ErrorHandlers::new().default_handler(errors::render_html))
                .wrap(Compress::default())
                .wrap(
                    DefaultHeaders::new()
                        .add(("Content-Security-Policy", CSP))
                        .add(("X-Content-Type-Options", "nosniff"))
                        .add(("X-Frame-Options", "DENY"))
                        .add(("Referrer-Policy", "same-origin")),
                )
                .wrap(Logger::new("%r %s %b %Dms"))
                .configure(configure)
                .default_service(actix_web::web::to(errors::not_found))
        })
        .listen(listener)?;
        if workers > 0 {
            server = server.workers(workers);
        }
        Ok(Application {
            port,
            server: server.shutdown_timeout(30).run(),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
