//! The command line: each command reads the same configuration as `serve` and calls into the
//! library. Errors go to standard error with a non-zero exit.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};

use crate::accounts::{self, UserInput};
use crate::clock::{local_date, Clock, SystemClock};
use crate::config::Settings;
use crate::db::departments::Change;
use crate::db::documents::{self, ImportOutcome};
use crate::db::users;
use crate::domain::importer::{self, ParsedDocument};
use crate::reporting::{self, ScheduleInput};
use crate::startup::{open_connection, Application};

#[derive(Debug, Parser)]
#[command(
    name = "duban",
    version,
    about = "督办: turns a policy document into tracked, accountable work"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (migrates, and on an empty database imports the bundled plan).
    Serve {
        /// Listen address, overriding DUBAN_BIND.
        #[arg(long)]
        bind: Option<String>,
    },
    /// Run pending database migrations and exit.
    Migrate,
    /// Import a policy document (UTF-8 text).
    Import {
        /// The document's text file.
        file: PathBuf,
        /// Parse and report without writing anything.
        #[arg(long)]
        dry_run: bool,
        /// Print the result as one JSON object.
        #[arg(long)]
        json: bool,
        /// Replace a stored document with the same number (文号).
        #[arg(long)]
        replace: bool,
        /// First day of the reporting schedule (YYYY-MM-DD): its period is the first.
        /// Default: today.
        #[arg(long, value_parser = parse_day)]
        schedule_from: Option<chrono::NaiveDate>,
    },
    /// Build demo data: N copies of the bundled plan with departments, liaisons and two years
    /// of reporting history (liaisons' password: demo-password).
    DemoData {
        /// How many copies of the plan.
        #[arg(long, default_value_t = 1)]
        scale: usize,
    },
    /// Plan every reminder due now, queue them, deliver the queue once, print
    /// `planned N, sent N, failed N` and exit (for cron, or with the server's scheduler off).
    Remind {
        /// The time to plan for (RFC 3339, e.g. 2026-04-13T09:00:00+08:00). Default: now.
        #[arg(long, value_parser = parse_instant)]
        now: Option<chrono::NaiveDateTime>,
        /// Show what would be sent (to standard error) without recording or sending anything.
        #[arg(long)]
        dry_run: bool,
    },
    /// A consistent copy of the database (SQLite) and the evidence files into DIR (new or
    /// empty), with a manifest of checksums; safe while the server runs. On PostgreSQL the
    /// evidence is copied and the database is left to pg_dump (see README).
    Backup { dir: PathBuf },
    /// Restore a backup into the configured database and data directory (stop the server
    /// first). Refuses a target that holds data without --force.
    Restore {
        dir: PathBuf,
        #[arg(long)]
        force: bool,
    },
    /// Remove abandoned uploads and evidence files that no report references (older than
    /// storage.orphan_grace_minutes).
    Gc,
    /// Check the database and that every evidence file is present and intact.
    Check,
    /// Manage users (the password is read from standard input, one line).
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; reads the password from standard input.
    Add {
        username: String,
        /// admin (督查室), liaison (联络员) or leader (领导).
        #[arg(long)]
        role: String,
        /// The liaison's department, by name or alias.
        #[arg(long)]
        department: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Name shown in the UI (defaults to the user name).
        #[arg(long)]
        display_name: Option<String>,
    },
    /// List users.
    List,
    /// Disable a user: no sign-in, sessions end, tokens stop working.
    Disable { username: String },
    /// Set a user's password from standard input.
    Passwd { username: String },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user; prints it once, alone on standard output.
    Create {
        username: String,
        /// What the token is for.
        #[arg(long = "name", default_value = "")]
        label: String,
    },
    /// Revoke a token by its id.
    Revoke { token_id: i32 },
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    let mut settings = Settings::from_env()?;
    match cli.command {
        Command::Serve { bind } => {
            if let Some(bind) = bind {
                settings.bind = bind.parse().with_context(|| {
                    format!("--bind `{bind}` is not an address such as 127.0.0.1:8080")
                })?;
            }
            serve(settings)
        }
        Command::Migrate => {
            open_connection(&settings)?;
            println!("database {} is up to date", settings.database.masked());
            Ok(())
        }
        Command::Import {
            file,
            dry_run,
            json,
            replace,
            schedule_from,
        } => import(&settings, &file, dry_run, json, replace, schedule_from),
        Command::DemoData { scale } => {
            let mut conn = open_connection(&settings)?;
            let now = SystemClock.now();
            // The demo's liaisons must not stand in for the first start's administrator.
            if let Some(password) = accounts::bootstrap_admin(&mut conn, &settings.auth, now)? {
                eprintln!("created the administrator `admin` with password: {password}");
            }
            let started = std::time::Instant::now();
            let out = crate::demo::generate(
                &mut conn,
                &settings,
                scale,
                local_date(now, settings.timezone),
                now,
                &cli_actor(),
            )?;
            println!(
                "demo data: {} documents, {} departments and liaisons, {} obligations, {} reports in {:.1} s",
                out.documents,
                out.departments,
                out.obligations,
                out.reports,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Remind { now, dry_run } => remind(&settings, now, dry_run),
        Command::Backup { dir } => {
            let mut conn = open_connection(&settings)?;
            let out = crate::maintenance::backup(&mut conn, &settings, &dir)?;
            if !out.database {
                eprintln!(
                    "the database is PostgreSQL: dump it with pg_dump beside this backup (see README)"
                );
            }
            println!(
                "backup in {}: database {}, {} evidence files, {} bytes",
                dir.display(),
                if out.database {
                    "copied"
                } else {
                    "not included"
                },
                out.files,
                out.bytes
            );
            Ok(())
        }
        Command::Restore { dir, force } => {
            let out = crate::maintenance::restore(&settings, &dir, force)?;
            // Bring the restored copy up to this version's schema.
            open_connection(&settings)?;
            println!(
                "restored from {}: database {}, {} evidence files, {} bytes",
                dir.display(),
                if out.database {
                    "replaced"
                } else {
                    "untouched"
                },
                out.files,
                out.bytes
            );
            Ok(())
        }
        Command::Gc => {
            let mut conn = open_connection(&settings)?;
            let out = crate::maintenance::collect_garbage(&mut conn, &settings)?;
            println!(
                "removed {} abandoned uploads and {} unreferenced files ({} bytes)",
                out.staged, out.files, out.bytes
            );
            Ok(())
        }
        Command::Check => {
            let mut conn = open_connection(&settings)?;
            let out = crate::maintenance::check(&mut conn, &settings)?;
            for p in &out.problems {
                eprintln!("{p}");
            }
            if !out.problems.is_empty() {
                anyhow::bail!("{} problems found", out.problems.len());
            }
            println!("database ok, {} evidence files ok", out.files_ok);
            Ok(())
        }
        Command::User(command) => user(&settings, command),
        Command::Token(command) => token(&settings, command),
    }
}

/// An RFC 3339 instant, as UTC.
fn parse_instant(s: &str) -> Result<chrono::NaiveDateTime, String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.naive_utc())
        .map_err(|_| format!("`{s}` is not a time such as 2026-04-13T09:00:00+08:00"))
}

fn remind(
    settings: &Settings,
    now: Option<chrono::NaiveDateTime>,
    dry_run: bool,
) -> anyhow::Result<()> {
    let mut conn = open_connection(settings)?;
    let mailroom = crate::reminders::Mailroom::new(settings)?;
    // SIGTERM or Ctrl-C: finish the messages in flight, record them, and stop (a second
    // signal ends the process at once).
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register_conditional_shutdown(signal, 1, mailroom.stop.clone())?;
        signal_hook::flag::register(signal, mailroom.stop.clone())?;
    }
    let runner = mailroom.runner(settings);
    let now = now.unwrap_or_else(|| SystemClock.now());
    let (summary, planned) = runner.run_once(&mut conn, now, dry_run)?;
    if dry_run {
        for p in &planned {
            eprintln!(
                "would send [{}] to {}{}: {} ({} items)",
                p.kind,
                p.to.join(", "),
                if p.cc.is_empty() {
                    String::new()
                } else {
                    format!(" cc {}", p.cc.join(", "))
                },
                p.subject,
                p.keys.len()
            );
        }
    }
    if summary.retrying > 0 {
        eprintln!("{} emails will be retried", summary.retrying);
    }
    println!("{summary}");
    Ok(())
}

/// Every change from the command line is recorded as made by `cli:<login name>`.
fn cli_actor() -> String {
    let who = std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{who}")
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    if password.is_empty() {
        bail!("no password on standard input (give it as one line)");
    }
    Ok(password)
}

fn user(settings: &Settings, command: UserCommand) -> anyhow::Result<()> {
    let mut conn = open_connection(settings)?;
    let actor = cli_actor();
    let change = Change {
        actor: &actor,
        at: SystemClock.now(),
    };
    match command {
        UserCommand::Add {
            username,
            role,
            department,
            email,
            display_name,
        } => {
            let password = read_password()?;
            let input = UserInput {
                display_name: display_name.unwrap_or_else(|| username.clone()),
                username,
                email: email.unwrap_or_default(),
                role,
                department_id: None,
                department_name: department,
                active: true,
            };
            let id = accounts::create_user(&mut conn, &input, &password, change)?;
            eprintln!(
                "created user {} (id {id})",
                input.username.trim().to_lowercase()
            );
        }
        UserCommand::List => {
            let mut out = std::io::stdout().lock();
            for u in users::list(&mut conn)? {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}",
                    u.user.username,
                    u.user.role,
                    u.department.as_deref().unwrap_or("-"),
                    if u.user.active { "active" } else { "disabled" },
                    u.user.display_name
                )?;
            }
        }
        UserCommand::Disable { username } => {
            accounts::disable_user(&mut conn, &username, change)?;
            eprintln!("disabled {username}");
        }
        UserCommand::Passwd { username } => {
            let password = read_password()?;
            let user = users::find_by_username(&mut conn, &username)?
                .ok_or_else(|| anyhow::anyhow!("no user named {username}"))?;
            accounts::set_password(&mut conn, user.id, &password, None, change)?;
            eprintln!("password of {username} set; their sessions ended");
        }
    }
    Ok(())
}

fn token(settings: &Settings, command: TokenCommand) -> anyhow::Result<()> {
    let mut conn = open_connection(settings)?;
    let actor = cli_actor();
    let change = Change {
        actor: &actor,
        at: SystemClock.now(),
    };
    match command {
        TokenCommand::Create { username, label } => {
            let (id, token) = accounts::create_token(&mut conn, &username, &label, change)?;
            // The token alone on standard output, for scripts; the rest on standard error.
            println!("{token}");
            eprintln!("token {id} created for {username}; it is shown only now");
        }
        TokenCommand::Revoke { token_id } => {
            accounts::revoke_token(&mut conn, token_id, change)?;
            eprintln!("token {token_id} revoked");
        }
    }
    Ok(())
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    crate::startup::tune_allocator();
    let system = actix_web::rt::System::new();
    system.block_on(async move {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let database = settings.database.masked();
        let app = Application::build(settings.clone(), clock)?;
        // On SIGTERM reminders stop at once (after the message in flight) while the HTTP
        // server finishes its requests.
        for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
            signal_hook::flag::register(signal, app.stop_flag())?;
        }
        tracing::info!(
            "duban listening on http://{}:{} (database {database})",
            settings.bind.ip(),
            app.port()
        );
        app.run_until_stopped().await?;
        Ok(())
    })
}

fn parse_day(s: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date such as 2026-01-01"))
}

fn import(
    settings: &Settings,
    file: &std::path::Path,
    dry_run: bool,
    json: bool,
    replace: bool,
    schedule_from: Option<chrono::NaiveDate>,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    // Recognised by content: text in any common encoding, .docx, a saved web page, a PDF.
    let extracted = importer::formats::extract(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let text = extracted.text.as_str();
    let parsed = importer::parse(text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;

    let stored = if dry_run {
        None
    } else {
        let mut conn = open_connection(settings)?;
        let actor = cli_actor();
        let now = SystemClock.now();
        let starts_on = schedule_from.unwrap_or_else(|| local_date(now, settings.timezone));
        let schedule = ScheduleInput::defaults(&settings.reporting, starts_on);
        let outcome =
            reporting::import_document(&mut conn, &parsed, text, replace, &actor, now, &schedule);
        match outcome {
            Ok((o, sync)) => {
                eprintln!(
                    "reporting schedule from {starts_on}: {} obligations",
                    sync.created
                );
                Some(o)
            }
            Err(documents::StoreError::Exists { number, id }) => bail!(
                "{}: document {number} is already imported (id {id}); pass --replace to replace it",
                file.display()
            ),
            Err(e) => return Err(e).context("storing the document"),
        }
    };
    let mut out = std::io::stdout().lock();
    if json {
        let mut value = serde_json::to_value(parsed.summary())?;
        if let Some(o) = &stored {
            value["stored"] = serde_json::to_value(o)?;
        }
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
    } else {
        print_report(&mut out, &parsed, stored.as_ref())?;
    }
    for w in &parsed.warnings {
        eprintln!("warning: {}", w.message);
    }
    Ok(())
}

fn print_report(
    out: &mut impl Write,
    parsed: &ParsedDocument,
    stored: Option<&ImportOutcome>,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{} {}{}",
        parsed.number.as_deref().unwrap_or("(no document number)"),
        parsed.title.as_deref().unwrap_or("(no title)"),
        parsed
            .issued_on
            .map(|d| format!(" ({d})"))
            .unwrap_or_default()
    )?;
    writeln!(
        out,
        "{} sections, {} measures, {} departments, {} warnings",
        parsed.sections.len(),
        parsed.measures.len(),
        parsed.departments.len(),
        parsed.warnings.len()
    )?;
    for m in &parsed.measures {
        let co = parsed.co_of(m).join("、");
        writeln!(
            out,
            "  {:>3}. {}  [牵头: {}{}]",
            m.label,
            m.title,
            parsed.lead_of(m).unwrap_or("—"),
            if co.is_empty() {
                String::new()
            } else {
                format!("; 配合: {co}")
            }
        )?;
    }
    match stored {
        Some(o) => writeln!(
            out,
            "{} as document {} ({} new departments)",
            if o.replaced { "replaced" } else { "imported" },
            o.document_id,
            o.new_departments
        ),
        None => writeln!(out, "dry run: nothing written"),
    }
}
