//! The `toolbox export`, `toolbox import` (of an export) and `toolbox copy` commands: the
//! whole registry out of one database and into another, in the format of [`snapshot_file`].
//!
//! [`snapshot_file`]: crate::snapshot_file

use std::io::{BufRead, BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;

use crate::app;
use crate::config::Config;
use crate::http::AppState;
use crate::registry::RegistryError;
use crate::snapshot_file::{self, JsonlWriter};
use crate::store::{self, ExportOptions, Snapshot, StoreError};

/// `toolbox export`'s options.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Include the execution history.
    #[arg(long)]
    pub with_history: bool,
    /// Leave the embeddings out (smaller; the importer re-embeds every tool).
    #[arg(long)]
    pub without_embeddings: bool,
    /// The database to read (default: DATABASE_URL).
    #[arg(long, value_name = "URL")]
    pub from: Option<String>,
    /// Write to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `toolbox copy`'s options.
#[derive(Debug, clap::Args)]
pub struct CopyArgs {
    /// The database to read.
    #[arg(long, value_name = "URL")]
    pub from: String,
    /// The database to write (migrated first; must be empty unless --replace).
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// Copy the execution history too.
    #[arg(long)]
    pub with_history: bool,
    /// Delete what the target holds first, in the import's transaction.
    #[arg(long)]
    pub replace: bool,
}

/// The configuration with `url` (an option named `flag`) as its database, if given.
fn pointed_at(cfg: &Config, url: Option<&str>, flag: &'static str) -> anyhow::Result<Config> {
    let mut cfg = cfg.clone();
    if let Some(url) = url {
        cfg.database = cfg.database.with_url(url, flag)?;
    }
    Ok(cfg)
}

/// The registry over a database that must already be a toolbox database, left unchanged:
/// no migration, no seeding.
async fn source(cfg: Config) -> anyhow::Result<AppState> {
    let store = store::connect_existing(&cfg.database).context("the source database")?;
    match store.is_up_to_date().await {
        Ok(true) => {}
        Ok(false) => anyhow::bail!(
            "the source database's schema is older than this binary: run `toolbox migrate` \
             against it first (DATABASE_URL=...)"
        ),
        Err(e) => {
            return Err(e).context("the source is not a toolbox database, or cannot be read");
        }
    }
    store.close().await;
    app::build_state(cfg, false).await
}

/// The registry over the target database, migrated (but not seeded: an export brings the
/// built-in tools along).
async fn target(cfg: Config) -> anyhow::Result<AppState> {
    let store = store::connect(&cfg.database).context("the target database")?;
    app::migrate_store(store.as_ref(), &cfg).await?;
    store.close().await;
    app::build_state(cfg, false).await
}

/// Writes the registry (one read snapshot) as JSON Lines to standard output or a file.
pub async fn export(cfg: Config, args: ExportArgs) -> anyhow::Result<()> {
    let cfg = pointed_at(&cfg, args.from.as_deref(), "--from")?;
    let state = source(cfg).await?;
    let opts = ExportOptions {
        with_history: args.with_history,
        without_embeddings: args.without_embeddings,
    };
    let started = Instant::now();
    let out: Box<dyn Write + Send> = match &args.output {
        Some(path) => Box::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout()),
    };
    let mut writer = JsonlWriter::new(BufWriter::new(out), opts);
    let counts = state
        .registry
        .export(&opts, &mut writer)
        .await
        .context("export failed")?;
    writer.finish().context("writing the export")?;
    eprintln!(
        "exported {} tools, {} servers and {} history rows in {:.1} s",
        counts.tools,
        counts.servers,
        counts.executions,
        started.elapsed().as_secs_f64()
    );
    state.registry.shutdown().await;
    Ok(())
}

/// Restores an export (already read) into the target database, all or nothing.
pub async fn import(
    cfg: Config,
    input: impl BufRead,
    to: Option<&str>,
    replace: bool,
) -> anyhow::Result<()> {
    let (header, snapshot) = snapshot_file::read(input).context("cannot read the export")?;
    tracing::info!(
        export.backend = %header.backend,
        export.exported_at = %header.exported_at,
        export.tools = header.counts.tools,
        "restoring an export"
    );
    let cfg = pointed_at(&cfg, to, "--to")?;
    let state = target(cfg).await?;
    restore_into(&state, snapshot, replace).await
}

/// Copies one database's registry into another: `export --from | import --to` in one process.
pub async fn copy(cfg: Config, args: CopyArgs) -> anyhow::Result<()> {
    let from = source(pointed_at(&cfg, Some(&args.from), "--from")?).await?;
    let to = target(pointed_at(&cfg, Some(&args.to), "--to")?).await?;
    let mut snapshot = Snapshot::default();
    let opts = ExportOptions {
        with_history: args.with_history,
        without_embeddings: false,
    };
    from.registry
        .export(&opts, &mut snapshot)
        .await
        .context("reading the source failed")?;
    snapshot.with_history = args.with_history;
    from.registry.shutdown().await;
    restore_into(&to, snapshot, args.replace).await
}

async fn restore_into(state: &AppState, snapshot: Snapshot, replace: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    let result = state.registry.restore(snapshot, replace).await;
    state.registry.shutdown().await;
    match result {
        Ok(done) => {
            println!(
                "imported {} tools, {} servers and {} history rows in {:.1} s ({} re-embedded)",
                done.counts.tools,
                done.counts.servers,
                done.counts.executions,
                started.elapsed().as_secs_f64(),
                done.reembedded
            );
            Ok(())
        }
        Err(RegistryError::Store(StoreError::NotEmpty(why))) if why.starts_with("the target") => {
            Err(anyhow::anyhow!(
                "{why}; import into an empty database, or pass --replace to delete what it \
                 holds in the same transaction; nothing was written"
            ))
        }
        Err(RegistryError::Store(StoreError::NotEmpty(why))) => {
            Err(anyhow::anyhow!("{why}; nothing was written"))
        }
        Err(RegistryError::Invalid(errors)) => {
            for e in &errors {
                eprintln!("{}: {} ({})", e.pointer, e.message, e.rule);
            }
            Err(anyhow::anyhow!(
                "{} problem(s) in the export; nothing was written",
                errors.len()
            ))
        }
        Err(e) => Err(e).context("import failed; nothing was written"),
    }
}
