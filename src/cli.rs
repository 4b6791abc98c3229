//! Command-line interface: `toolbox [serve|migrate|seed]`.

use clap::{Parser, Subcommand};

use crate::app::{self, App};
use crate::config::Config;
use crate::store::Store;

#[derive(Debug, Parser)]
#[command(name = "toolbox", version, about = "A tool registry for AI agents")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Register (or refresh) the built-in example tools and exit.
    Seed,
}

/// Runs the chosen command with a validated configuration.
pub async fn run(cli: Cli, cfg: Config) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => App::build(cfg).await?.run_until_stopped().await,
        Command::Migrate => {
            let store = Store::connect(&cfg.database)?;
            app::migrate_store(&store, &cfg).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Seed => {
            let state = app::build_state(cfg, true).await?;
            let n = state.registry.seed_builtins().await?;
            tracing::info!(tools.changed = n, "built-in tools registered");
            Ok(())
        }
    }
}
