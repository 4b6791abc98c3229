//! Command-line interface: `toolbox [serve|migrate|seed|healthcheck|import|export|copy|reindex|eval|servers]`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::app::{self, App};
use crate::config::Config;
use crate::domain::SearchMethod;
use crate::store::{self, ScratchDatabase};

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
    /// Ask the running server's `/health` on this host (HOST/PORT); exit 0 if it answers 200.
    /// For container health checks: the image has no curl.
    Healthcheck,
    /// Run the retrieval benchmark in a throwaway database beside DATABASE_URL's and print
    /// Recall@1, Recall@5, NDCG@10 and MRR per search method.
    Eval(EvalArgs),
    /// Import, in one transaction, either tool definitions (a JSON array or JSON Lines file)
    /// or a whole registry written by `toolbox export` (recognised by its header line).
    Import {
        /// The file to read (default, or `-`: standard input).
        file: Option<std::path::PathBuf>,
        /// Tool definitions: replace tools that already exist (by name) instead of refusing.
        #[arg(long)]
        upsert: bool,
        /// An export: the database to write (default: DATABASE_URL); migrated first.
        #[arg(long, value_name = "URL")]
        to: Option<String>,
        /// An export: delete the target's tools and servers (and history, if the export has
        /// it) in the same transaction, instead of refusing a database that is not empty.
        #[arg(long)]
        replace: bool,
    },
    /// Write the whole registry (tools with embeddings, upstream servers, optionally the
    /// history) as JSON Lines, from one consistent snapshot, for `toolbox import`.
    Export(crate::snapshot_commands::ExportArgs),
    /// Copy the whole registry from one database to another (`export --from | import --to`).
    Copy(crate::snapshot_commands::CopyArgs),
    /// Re-embed tools whose embedding model or text changed; the service can keep running.
    Reindex {
        /// Rows read, embedded and written per transaction (default: batch size × concurrency).
        #[arg(long)]
        batch: Option<usize>,
    },
    /// Manage upstream MCP servers through a running service (`--url`, `TOOLBOX_API_KEY`).
    Servers(crate::server_commands::ServersArgs),
}

#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Tools, one JSON object per line.
    #[arg(long, default_value = "bench/datasets/metatool/tools.jsonl")]
    pub tools: PathBuf,
    /// Labelled queries, one JSON object per line.
    #[arg(long, default_value = "bench/datasets/metatool/queries.jsonl")]
    pub queries: PathBuf,
    /// Unlabelled tools (as `toolbox import` reads them) registered beside the labelled set,
    /// to measure retrieval in a larger catalogue, e.g. bench/gen.py's synthetic tools.
    #[arg(long)]
    pub distractors: Option<PathBuf>,
    /// Queries no tool answers (`relevant` empty): the report says how many get no hit above
    /// the default threshold, and how many labelled queries keep their tool above it.
    #[arg(long, default_value = "bench/datasets/offtopic/queries.jsonl")]
    pub off_topic: PathBuf,
    /// Methods to score (default: all four).
    #[arg(long, value_delimiter = ',', value_parser = ["vector", "text", "weighted", "rrf"])]
    pub method: Vec<String>,
    /// How queries are read: `auto` (steps when a query names several), `single`, `task`.
    #[arg(long, default_value = "auto", value_parser = ["auto", "single", "task"])]
    pub mode: String,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs the chosen command with a validated configuration.
pub async fn run(cli: Cli, cfg: Config) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => App::build(cfg).await?.run_until_stopped().await,
        Command::Migrate => {
            let store = store::connect(&cfg.database)?;
            app::migrate_store(store.as_ref(), &cfg).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Seed => {
            let state = app::build_state(cfg, true).await?;
            let seeded = state.registry.seed_builtins().await?;
            tracing::info!(
                tools.changed = seeded.written,
                tools.unembedded = seeded.unembedded,
                "built-in tools registered"
            );
            Ok(())
        }
        Command::Healthcheck => healthcheck(&cfg).await,
        Command::Eval(args) => eval(args, cfg).await,
        Command::Import {
            file,
            upsert,
            to,
            replace,
        } => crate::commands::import(cfg, file.as_deref(), upsert, to.as_deref(), replace).await,
        Command::Export(args) => crate::snapshot_commands::export(cfg, args).await,
        Command::Copy(args) => crate::snapshot_commands::copy(cfg, args).await,
        Command::Reindex { batch } => crate::commands::reindex(cfg, batch).await,
        Command::Servers(args) => crate::server_commands::run(args).await,
    }
}

/// How long the health probe waits for an answer; container runtimes give it a few seconds.
const HEALTHCHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// GETs `/health` on the address the server listens on (loopback when it listens on all).
async fn healthcheck(cfg: &Config) -> anyhow::Result<()> {
    let ip = match cfg.server.host {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let url = format!("http://{}/health", SocketAddr::new(ip, cfg.server.port));
    let client = reqwest::Client::builder()
        .timeout(HEALTHCHECK_TIMEOUT)
        .build()?;
    let resp = client
        .get(&url)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    anyhow::ensure!(
        resp.status().is_success(),
        "GET {url} answered {}",
        resp.status()
    );
    Ok(())
}

async fn eval(args: EvalArgs, mut cfg: Config) -> anyhow::Result<()> {
    let methods: Vec<SearchMethod> = crate::eval::all_methods(&cfg)
        .into_iter()
        .filter(|m| {
            let short = m.label().trim_start_matches("hybrid-");
            args.method.is_empty() || args.method.iter().any(|a| a == short)
        })
        .collect();
    let scratch = ScratchDatabase::create(&cfg.database.url, "toolbox_eval")
        .await
        .context("creating a throwaway database on DATABASE_URL's server")?;
    cfg.database.url = scratch.url.clone();
    let report = crate::eval::evaluate(
        cfg,
        &args.tools,
        &args.queries,
        args.distractors.as_deref(),
        Some(&args.off_topic),
        &methods,
        args.mode
            .parse()
            .map_err(|e: String| anyhow::anyhow!("--mode {e}"))?,
    )
    .await;
    scratch.drop_now().await?;
    let report = report?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.table());
    }
    Ok(())
}

/// The Tokio runtime, with `WORKERS` worker threads (default: one per core).
pub fn runtime(cfg: &Config) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = cfg.edge.workers {
        builder.worker_threads(n);
    }
    builder.enable_all().build()
}
