//! The command line: each command reads the same configuration as `serve` and calls into the
//! library. Errors go to standard error with a non-zero exit.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};

use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::db::documents::{self, ImportOutcome};
use crate::domain::importer::{self, ParsedDocument};
use crate::startup::{open_database, Application};

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
    },
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
            let pool = open_database(&settings)?;
            drop(pool);
            println!("database {} is up to date", settings.database.masked());
            Ok(())
        }
        Command::Import {
            file,
            dry_run,
            json,
            replace,
        } => import(&settings, &file, dry_run, json, replace),
    }
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    let system = actix_web::rt::System::new();
    system.block_on(async move {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let database = settings.database.masked();
        let app = Application::build(settings.clone(), clock)?;
        tracing::info!(
            "duban listening on http://{}:{} (database {database})",
            settings.bind.ip(),
            app.port()
        );
        app.run_until_stopped().await?;
        Ok(())
    })
}

fn import(
    settings: &Settings,
    file: &std::path::Path,
    dry_run: bool,
    json: bool,
    replace: bool,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        anyhow::anyhow!(
            "{}: {}",
            file.display(),
            importer::ImportError::NotUtf8 {
                offset: e.valid_up_to()
            }
        )
    })?;
    let parsed = importer::parse(text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;

    let stored = if dry_run {
        None
    } else {
        let pool = open_database(settings)?;
        let mut conn = pool.get().context("no database connection")?;
        let outcome = documents::store(&mut conn, &parsed, text, replace, "cli", SystemClock.now());
        match outcome {
            Ok(o) => Some(o),
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
