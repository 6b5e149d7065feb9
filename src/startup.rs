//! Builds the application: database, migrations, first-run data, the actix server. `serve`
//! and the black-box tests use the same `Application::build` (tests bind port 0).

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, Service};
use actix_web::middleware::{Compress, DefaultHeaders, ErrorHandlers, Logger};
use actix_web::{web::Data, App, HttpServer};
use anyhow::Context;

use crate::accounts;
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{self, documents, DbConn, Pool};
use crate::domain::importer;
use crate::reporting::ScheduleInput;
use crate::security::{self, CookieSigner};
use crate::web::{configure, errors, state::AppState, templates::Templates};

/// The plan a first run shows: Tacheng Prefecture's 2018 employment and entrepreneurship plan.
pub const BUNDLED_DOCUMENT: &str =
    include_str!("../config/documents/tacheng-2018-10-employment.txt");

/// Security headers on every response. No page uses inline script or style.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// Browser features no page uses.
const PERMISSIONS: &str = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), \
                           serial=(), bluetooth=(), interest-cohort=()";

pub struct Application {
    port: u16,
    /// Raised on shutdown: reminder delivery finishes its message and stops.
    stop: Arc<std::sync::atomic::AtomicBool>,
    server: Server,
    /// Reminder runs; they stop when the server does.
    scheduler: Option<crate::reminders::Scheduler>,
}

/// Opens the database and brings it up to date.
pub fn open_database(settings: &Settings) -> anyhow::Result<Pool> {
    let pool = open_pool(settings)?;
    let mut conn = pool.get().context("no database connection")?;
    db::with_setup_lock(&mut conn, &settings.database, |conn| {
        migrate(conn, settings)
    })?;
    Ok(pool)
}

fn open_pool(settings: &Settings) -> anyhow::Result<Pool> {
    Ok(db::open(
        &settings.database,
        settings.pool_size,
        Duration::from_secs(settings.connect_timeout_secs),
    )?)
}

fn migrate(conn: &mut DbConn, settings: &Settings) -> anyhow::Result<()> {
    let applied = db::run_migrations(conn, &settings.database)?;
    if !applied.is_empty() {
        tracing::info!(count = applied.len(), "applied database migrations");
    }
    Ok(())
}

/// One migrated connection, for the command line.
pub fn open_connection(settings: &Settings) -> anyhow::Result<DbConn> {
    let mut conn = db::connect(&settings.database)?;
    db::with_setup_lock(&mut conn, &settings.database, |conn| {
        migrate(conn, settings)
    })?;
    Ok(conn)
}

/// First-run data: on an empty database, the bundled plan, so a newcomer sees real work, and
/// the `admin` account (with DUBAN_ADMIN_PASSWORD, or a random password printed once).
pub fn bootstrap(conn: &mut DbConn, settings: &Settings, clock: &dyn Clock) -> anyhow::Result<()> {
    if let Some(password) = accounts::bootstrap_admin(conn, &settings.auth, clock.now())? {
        // Shown once, on the operator's terminal; only its hash is kept.
        eprintln!(
            "\nCreated the administrator account `admin` with password: {password}\n\
             Sign in and change it (修改密码); it is not shown again.\n"
        );
    } else if settings.auth.admin_password.is_some() {
        tracing::debug!("DUBAN_ADMIN_PASSWORD ignored: users exist already");
    }
    if settings.bundled_document && documents::count(conn)? == 0 {
        let parsed = importer::parse(BUNDLED_DOCUMENT).context("the bundled document")?;
        let now = clock.now();
        let schedule = ScheduleInput::defaults(
            &settings.reporting,
            crate::clock::local_date(now, settings.timezone),
        );
        let (outcome, _) = crate::reporting::import_document(
            conn,
            &parsed,
            BUNDLED_DOCUMENT,
            false,
            "system",
            now,
            &schedule,
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

/// The session-signing key: DUBAN_SESSION_KEY, or one generated on the first start and kept
/// in the data directory (written to a temporary file, then renamed, readable by the owner
/// only).
fn session_key(settings: &Settings) -> anyhow::Result<Vec<u8>> {
    if let Some(key) = &settings.auth.session_key {
        return Ok(key.clone());
    }
    let path = settings.data_dir.join("session.key");
    match std::fs::read_to_string(&path) {
        Ok(text) if text.trim().len() >= 64 => return Ok(text.trim().as_bytes().to_vec()),
        Ok(_) => anyhow::bail!(
            "{} holds a key shorter than 64 bytes: remove it to generate a new one",
            path.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    }
    crate::storage::create_private_dir(&settings.data_dir)
        .with_context(|| format!("creating {}", settings.data_dir.display()))?;
    let key = security::random_hex(64);
    let tmp = settings
        .data_dir
        .join(format!(".session.key.{}.tmp", security::random_hex(6)));
    {
        use std::io::Write;
        let mut file = crate::storage::private_file(&tmp)
            .with_context(|| format!("writing {}", tmp.display()))?;
        file.write_all(key.as_bytes())?;
        file.sync_all()?;
    }
    // A link, unlike a rename, fails when the key exists: of several instances starting at
    // once on one data directory, the first key written wins and all of them use it.
    let linked = std::fs::hard_link(&tmp, &path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            tracing::info!("generated a session key in {}", path.display());
            Ok(key.into_bytes())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => session_key(settings),
        Err(e) => Err(e).with_context(|| format!("writing {}", path.display())),
    }
}

/// Tunes glibc's allocator for a long-running server: at most two arenas (the machine's
/// cores; every blocking thread would otherwise bring one of its own), and blocks of 1 MiB
/// and more (a sign-in's password hash takes 19 MiB) mapped on their own and returned to
/// the system when freed rather than kept in the heap for ever. Elsewhere: nothing.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; called before the server's threads
    // start, and both values are within glibc's documented ranges.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

impl Application {
    pub fn build(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Application> {
        crate::storage::create_private_dir(&settings.data_dir)
            .with_context(|| format!("creating {}", settings.data_dir.display()))?;
        let pool = open_pool(&settings)?;
        {
            // Several instances may start at once: one migrates and sets up, the others
            // wait, then find it done.
            let mut conn = pool.get().context("no database connection")?;
            db::with_setup_lock(&mut conn, &settings.database, |conn| {
                migrate(conn, &settings)?;
                bootstrap(conn, &settings, clock.as_ref())
            })?;
            // What a crash left: uploads cut off mid-way, files of reports never saved.
            crate::maintenance::collect_garbage(&mut conn, &settings)?;
        }
        let listener = TcpListener::bind(settings.bind)
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let workers = settings.workers;
        // Each worker's share of the pool's connections, plus two for file work (uploads).
        let worker_count = if workers > 0 {
            workers
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        };
        let blocking_threads = (settings.pool_size as usize).div_ceil(worker_count) + 2;
        let signer = CookieSigner::new(&session_key(&settings)?);
        let evidence = crate::storage::EvidenceStore::new(&settings.data_dir);
        let mailroom = Arc::new(crate::reminders::Mailroom::new(&settings)?);
        let stop = mailroom.stop.clone();
        let scheduler = match settings.reminders.interval {
            Some(interval) => Some(crate::reminders::start_scheduler(
                pool.clone(),
                settings.clone(),
                clock.clone(),
                mailroom.clone(),
                interval,
            )?),
            None => None,
        };
        let health = db::open(&settings.database, 1, Duration::from_secs(1))?;
        let hashing = Arc::new(tokio::sync::Semaphore::new(settings.auth.hash_concurrency));
        let guard = crate::web::guard::LoginGuard::new(&settings.auth);
        let state = Data::new(AppState {
            guard,
            health,
            hashing,
            mailroom,
            evidence,
            signer,
            pool,
            templates: Templates::new(settings.timezone)
                .map_err(|e| anyhow::anyhow!("templates: {e}"))?,
            settings,
            clock,
            parts: Default::default(),
        });
        let secure = state.settings.auth.secure_cookies;
        let body_timeout = state.settings.body_timeout;
        let mut server = HttpServer::new(move || {
            let mut headers = DefaultHeaders::new()
                .add(("Content-Security-Policy", CSP))
                .add(("X-Content-Type-Options", "nosniff"))
                .add(("X-Frame-Options", "DENY"))
                .add(("Referrer-Policy", "same-origin"))
                .add(("Permissions-Policy", PERMISSIONS))
                // Pages and answers carry people's data: no cache keeps them, unless a
                // handler says otherwise (the stylesheet, the favicon).
                .add(("Cache-Control", "no-store"));
            if secure {
                headers = headers.add((
                    "Strict-Transport-Security",
                    "max-age=31536000; includeSubDomains",
                ));
            }
            App::new()
                .app_data(state.clone())
                .wrap(ErrorHandlers::new().default_handler(errors::render_html))
                .wrap(Compress::default())
                .wrap(headers)
                .wrap(Logger::new("%r %s %b %Dms"))
                // Outermost: every handler, extractor and error page runs in the request's
                // language, and reads a body that cannot stall for ever.
                .wrap_fn(move |mut req, srv| {
                    crate::web::stall::guard_body(&mut req, body_timeout);
                    let lang = crate::web::auth::request_lang(req.request());
                    crate::i18n::scope(lang, srv.call(req))
                })
                .configure(configure)
                .default_service(actix_web::web::to(errors::not_found))
        })
        .listen(listener)?;
        if workers > 0 {
            server = server.workers(workers);
        }
        // Database work runs on each worker's blocking threads, and more of them than pooled
        // connections only wait for one: a bounded pool keeps memory flat under load (each
        // thread brings its own allocator arena).
        server = server.worker_max_blocking_threads(blocking_threads);
        Ok(Application {
            stop,
            port,
            server: server.shutdown_timeout(30).run(),
            scheduler,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The flag that stops reminder delivery (raised by SIGTERM in `serve`).
    pub fn stop_flag(&self) -> Arc<std::sync::atomic::AtomicBool> {
        self.stop.clone()
    }

    /// A handle to stop the server (tests stop theirs when done).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        drop(self.scheduler);
        result
    }
}
