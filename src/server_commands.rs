//! `toolbox servers add|list|sync|remove`: upstream MCP servers managed through a running
//! service's `/servers` API (the service holds the connections and each server's health), so
//! the command needs its URL and an admin key, not the database.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Subcommand;
use serde_json::{Value, json};

/// How long one request may take: a registration or a sync waits for the upstream.
const TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, clap::Args)]
pub struct ServersArgs {
    /// The running service.
    #[arg(long, env = "TOOLBOX_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// An admin key (`API_KEYS`), sent as a bearer token.
    #[arg(long, env = "TOOLBOX_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    #[command(subcommand)]
    pub command: ServersCommand,
}

#[derive(Debug, Subcommand)]
pub enum ServersCommand {
    /// Register an upstream MCP server (Streamable HTTP) and sync its tools.
    Add {
        /// The server's name (also its tools' namespace unless `--namespace`).
        name: String,
        /// Its MCP endpoint, e.g. http://127.0.0.1:3001/mcp.
        url: String,
        /// `NAME=VALUE`, sent with every request (a secret: prefer `--header-env`).
        #[arg(long = "header")]
        headers: Vec<String>,
        /// `NAME=VAR`: the header's value is read from environment variable VAR.
        #[arg(long = "header-env")]
        header_env: Vec<String>,
        #[arg(long)]
        namespace: Option<String>,
        /// Upstream tool names (`*` globs) to register; repeat for more.
        #[arg(long)]
        include: Vec<String>,
        /// Upstream tool names (`*` globs) to leave out; repeat for more.
        #[arg(long)]
        exclude: Vec<String>,
        #[arg(long)]
        category: Option<String>,
        /// Seconds between refreshes (default 300).
        #[arg(long)]
        refresh: Option<u64>,
    },
    /// List the servers with their health.
    List,
    /// Sync a server's tools now.
    Sync { name: String },
    /// Remove a server and its tools (their history stays).
    Remove { name: String },
}

/// Runs one `servers` command against the service at `args.url`.
pub async fn run(args: ServersArgs) -> anyhow::Result<()> {
    let client = reqwest::Client::builder().timeout(TIMEOUT).build()?;
    let base = args.url.trim_end_matches('/').to_owned();
    let send = |req: reqwest::RequestBuilder| {
        let req = match &args.api_key {
            Some(key) => req.bearer_auth(key),
            None => req,
        };
        answer(req)
    };
    match args.command {
        ServersCommand::Add {
            name,
            url,
            headers,
            header_env,
            namespace,
            include,
            exclude,
            category,
            refresh,
        } => {
            let mut body = json!({"name": name, "url": url,
                "headers": header_map(&headers, &header_env)?});
            let optional = [
                ("namespace", namespace.map(Value::from)),
                ("category", category.map(Value::from)),
                ("refresh_interval_s", refresh.map(Value::from)),
                ("include", (!include.is_empty()).then(|| json!(include))),
                ("exclude", (!exclude.is_empty()).then(|| json!(exclude))),
            ];
            for (key, value) in optional {
                if let Some(v) = value {
                    body[key] = v;
                }
            }
            let created = send(client.post(format!("{base}/servers")).json(&body)).await?;
            print_health(&created);
        }
        ServersCommand::List => {
            let servers = send(client.get(format!("{base}/servers"))).await?;
            println!("{:<24} {:<10} {:>6}  URL", "NAME", "STATUS", "TOOLS");
            for s in servers.as_array().into_iter().flatten() {
                println!(
                    "{:<24} {:<10} {:>6}  {}",
                    s["name"].as_str().unwrap_or_default(),
                    s["health"]["status"].as_str().unwrap_or_default(),
                    s["health"]["tool_count"],
                    s["url"].as_str().unwrap_or_default(),
                );
            }
        }
        ServersCommand::Sync { name } => {
            let done = send(client.post(format!("{base}/servers/{name}/sync"))).await?;
            println!("{}", serde_json::to_string_pretty(&done)?);
        }
        ServersCommand::Remove { name } => {
            send(client.delete(format!("{base}/servers/{name}"))).await?;
            println!("removed {name} and its tools");
        }
    }
    Ok(())
}

/// Sends the request; a problem answer becomes an error with its detail and field errors.
async fn answer(req: reqwest::RequestBuilder) -> anyhow::Result<Value> {
    let resp = req.send().await.context("the service does not answer")?;
    let status = resp.status();
    let body: Value = if status == reqwest::StatusCode::NO_CONTENT {
        Value::Null
    } else {
        resp.json().await.unwrap_or(Value::Null)
    };
    if status.is_success() {
        return Ok(body);
    }
    let mut message = format!(
        "{status}: {}",
        body["detail"].as_str().unwrap_or("(no detail)")
    );
    for e in body["errors"].as_array().into_iter().flatten() {
        message.push_str(&format!(
            "\n  {}: {}",
            e["pointer"].as_str().unwrap_or_default(),
            e["message"].as_str().unwrap_or_default()
        ));
    }
    bail!(message)
}

fn header_map(pairs: &[String], from_env: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    let mut headers = BTreeMap::new();
    for pair in pairs {
        let (name, value) = pair
            .split_once('=')
            .with_context(|| format!("--header {pair:?}: expected NAME=VALUE"))?;
        headers.insert(name.to_owned(), value.to_owned());
    }
    for pair in from_env {
        let (name, var) = pair
            .split_once('=')
            .with_context(|| format!("--header-env {pair:?}: expected NAME=VAR"))?;
        let value = std::env::var(var).with_context(|| {
            format!("--header-env {name}: environment variable {var} is not set")
        })?;
        headers.insert(name.to_owned(), value);
    }
    Ok(headers)
}

fn print_health(server: &Value) {
    let h = &server["health"];
    println!(
        "{}: {} ({} tools){}",
        server["name"].as_str().unwrap_or_default(),
        h["status"].as_str().unwrap_or_default(),
        h["tool_count"],
        h["last_error"]
            .as_str()
            .map(|e| format!(", last error: {e}"))
            .unwrap_or_default()
    );
    for s in h["skipped"].as_array().into_iter().flatten() {
        println!(
            "  skipped {}: {}",
            s["tool"].as_str().unwrap_or_default(),
            s["reason"].as_str().unwrap_or_default()
        );
    }
}
