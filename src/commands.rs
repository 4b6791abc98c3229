//! The `toolbox import` (of tool definitions) and `toolbox reindex` commands: bulk work run
//! from a terminal or a Job. Whole-registry export and import are in `snapshot_commands`.

use std::io::IsTerminal;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::Value;

use crate::app;
use crate::config::Config;
use crate::domain::{NewTool, parse_tool_list};
use crate::registry::{RegistryError, ReindexProgress};

/// Imports `path` (standard input when absent or `-`): a whole registry written by
/// `toolbox export` (its first line is the export's header) goes to
/// [`snapshot_commands::import`]; anything else is read as tool definitions.
///
/// [`snapshot_commands::import`]: crate::snapshot_commands::import
pub async fn import(
    cfg: Config,
    path: Option<&Path>,
    upsert: bool,
    to: Option<&str>,
    replace: bool,
) -> anyhow::Result<()> {
    let path = path.filter(|p| p.as_os_str() != "-");
    let raw = match path {
        Some(p) => {
            std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?
        }
        None => std::io::read_to_string(std::io::stdin().lock())
            .context("cannot read standard input")?,
    };
    let first = raw.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if crate::snapshot_file::is_header(first) {
        anyhow::ensure!(
            !upsert,
            "--upsert applies to tool definitions, not to an export (see --replace)"
        );
        return crate::snapshot_commands::import(cfg, raw.as_bytes(), to, replace).await;
    }
    anyhow::ensure!(
        to.is_none() && !replace,
        "--to and --replace apply to an export written by `toolbox export`; this input has no \
         export header (for tool definitions, set DATABASE_URL and use --upsert)"
    );
    let path = path.unwrap_or(Path::new("<stdin>"));
    let tools = parse_tools(&raw, path)?;
    import_tools(cfg, tools, path, upsert).await
}

/// Imports tool definitions in one transaction. Prints every problem and writes nothing if
/// any item is bad.
async fn import_tools(
    cfg: Config,
    tools: Vec<NewTool>,
    path: &Path,
    upsert: bool,
) -> anyhow::Result<()> {
    let state = app::build_state(cfg.clone(), cfg.database.migrate_on_start).await?;
    let started = Instant::now();
    let count = tools.len();
    match state.registry.import(tools, upsert).await {
        Ok(outcome) => {
            let secs = started.elapsed().as_secs_f64();
            println!(
                "imported {count} tools in {secs:.1} s ({:.0} tools/s): {} created, {} updated, {} embedded",
                count as f64 / secs.max(1e-9),
                outcome.created.len(),
                outcome.updated.len(),
                outcome.embedded
            );
            Ok(())
        }
        Err(RegistryError::Invalid(errors) | RegistryError::ImportConflicts(errors)) => {
            Err(report_problems(&errors, path))
        }
        Err(e) => Err(e).context("import failed; nothing was written"),
    }
}

/// Reads and validates the tool definitions in `path` (a JSON array, `{"tools": [...]}`, or
/// JSON Lines), as `toolbox import` takes them; every invalid item is reported.
pub fn read_tool_file(path: &Path) -> anyhow::Result<Vec<NewTool>> {
    let raw =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse_tools(&raw, path)
}

/// Parses and validates tool definitions read from `path`.
fn parse_tools(raw: &str, path: &Path) -> anyhow::Result<Vec<NewTool>> {
    let items = read_items(raw).with_context(|| format!("cannot parse {}", path.display()))?;
    parse_tool_list(items).map_err(|errors| report_problems(&errors, path))
}

/// A JSON array, an object with a `tools` array, or one JSON value per line.
fn read_items(raw: &str) -> anyhow::Result<Vec<Value>> {
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Array(items)) => return Ok(items),
        Ok(Value::Object(mut o)) if o.get("tools").is_some_and(Value::is_array) => {
            if let Some(Value::Array(items)) = o.remove("tools") {
                return Ok(items);
            }
        }
        _ => {}
    }
    raw.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            serde_json::from_str(l).with_context(|| format!("line {}: not valid JSON", n + 1))
        })
        .collect()
}

/// Re-embeds rows whose model or text changed, with a progress bar on a terminal and a
/// plain line every few seconds otherwise.
pub async fn reindex(cfg: Config, batch: Option<usize>) -> anyhow::Result<()> {
    let batch = batch.unwrap_or(cfg.embedding.batch_size * cfg.embedding.max_concurrency);
    let state = app::build_state(cfg.clone(), cfg.database.migrate_on_start).await?;
    let started = Instant::now();
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} rows scanned, {msg} [{elapsed_precise}, eta {eta}]",
            )
            .expect("valid template"),
        );
        bar
    });
    let mut last_line = Instant::now();
    let report = |p: &ReindexProgress| match &bar {
        Some(bar) => {
            bar.set_length(p.total.max(p.scanned));
            bar.set_position(p.scanned);
            bar.set_message(format!("{} re-embedded", p.reembedded));
        }
        None => {
            if last_line.elapsed() >= Duration::from_secs(2) || p.scanned >= p.total {
                last_line = Instant::now();
                println!(
                    "reindex: {}/{} rows scanned, {} re-embedded, {} skipped (edited meanwhile)",
                    p.scanned, p.total, p.reembedded, p.skipped
                );
            }
        }
    };
    let done =
        state.registry.reindex(batch, report).await.context(
            "reindex stopped; rows re-embedded so far are kept, run it again to continue",
        )?;
    if let Some(bar) = &bar {
        bar.finish();
    }
    println!(
        "reindex done in {:.1} s: {} rows scanned, {} re-embedded, {} skipped (edited meanwhile)",
        started.elapsed().as_secs_f64(),
        done.scanned,
        done.reembedded,
        done.skipped
    );
    Ok(())
}

/// Prints each problem of an import file on stderr and returns the error that ends the import.
fn report_problems(errors: &[crate::domain::FieldError], path: &std::path::Path) -> anyhow::Error {
    for e in errors {
        eprintln!("{}: {} ({})", e.pointer, e.message, e.rule);
    }
    anyhow::anyhow!(
        "{} problem(s) in {}; nothing imported",
        errors.len(),
        path.display()
    )
}
