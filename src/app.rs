//! Builds the application (pool, migrations, clients, listener), serves it, and shuts it down
//! on SIGTERM or Ctrl-C.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::embedding::{self, Embedder, EmbeddingError};
use crate::executor::Executor;
use crate::http::AppState;
use crate::mcp::{self, ChangeFeed, McpState};
use crate::registry::RegistryService;
use crate::store::{self, Store};

/// A built application, listening but not yet serving.
pub struct App {
    listener: TcpListener,
    router: axum::Router,
    /// `/metrics` on its own port (`METRICS_PORT`).
    metrics: Option<(TcpListener, axum::Router)>,
    state: AppState,
    shutdown: CancellationToken,
    /// Background listener for tool changes (MCP's list_changed), started by `run_until_stopped`.
    changes: (ChangeFeed, Arc<dyn Store>),
    /// Builds the search index, then keeps it in step with the store, until shutdown.
    index_task: tokio::task::JoinHandle<()>,
    /// Syncs upstream MCP servers when due and when they announce a change, until shutdown.
    upstream_task: tokio::task::JoinHandle<()>,
}

impl App {
    /// Connects, migrates (unless `MIGRATE_ON_START=false`), registers the built-in tools and
    /// binds the listener. `PORT=0` binds a free port; see [`App::port`].
    pub async fn build(cfg: Config) -> anyhow::Result<Self> {
        crate::metrics::handle();
        let state = build_state(cfg.clone(), cfg.database.migrate_on_start).await?;
        let shutdown = CancellationToken::new();
        let changes = ChangeFeed::new();
        let store = state.registry.store().clone();
        // Built in the background: the listener opens at once, `/ready` answers 503 until the
        // index is built, and a search that arrives first waits a little for it.
        let index_task = tokio::spawn(
            state
                .registry
                .index()
                .clone()
                .run(store.changes(), shutdown.clone()),
        );
        let upstream_task =
            tokio::spawn(refresh_upstreams(state.registry.clone(), shutdown.clone()));
        let mcp_state = McpState::new(
            state.registry.clone(),
            &cfg,
            changes.clone(),
            shutdown.clone(),
        );
        if !cfg.edge.auth_enabled() {
            tracing::warn!(
                "neither API_KEYS nor AUTH_OIDC_ISSUER is set: every route is open to anyone who can reach the service"
            );
        }
        let readers = cfg
            .edge
            .api_keys
            .iter()
            .filter(|k| k.scope == crate::domain::Role::Read)
            .count();
        if readers > 0 {
            tracing::info!(
                keys = readers,
                "API_KEYS has `read` keys: they list and find tools but no longer call them (give agents that call tools `call`)"
            );
        }
        let router = crate::http::router(state.clone(), Some(mcp::service(mcp_state)));
        let addr = SocketAddr::new(cfg.server.host, cfg.server.port);
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr} (HOST/PORT)"))?;
        let metrics = match cfg.edge.metrics_port {
            Some(port) => {
                let addr = SocketAddr::new(cfg.server.host, port);
                let listener = TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen on {addr} (METRICS_PORT)"))?;
                Some((listener, crate::http::metrics_router(state.clone())))
            }
            None => None,
        };
        Ok(Self {
            listener,
            router,
            metrics,
            state,
            shutdown,
            changes: (changes, store),
            index_task,
            upstream_task,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// A token that stops the server when cancelled (SIGTERM and Ctrl-C cancel it too).
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Serves until the shutdown token is cancelled, then stops accepting, drains in-flight
    /// requests for at most `SHUTDOWN_TIMEOUT`, and closes the database pool.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let token = self.shutdown.clone();
        tokio::spawn(cancel_on_signal(token.clone()));
        tracing::info!(port = self.port(), "listening");
        if let Some((listener, router)) = self.metrics {
            tracing::info!(port = listener.local_addr()?.port(), "serving /metrics");
            let stop = token.clone().cancelled_owned();
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, router)
                    .with_graceful_shutdown(stop)
                    .await
                {
                    tracing::error!(error = %e, "metrics listener failed");
                }
            });
        }
        let (changes, store) = self.changes;
        let listener_task = tokio::spawn(changes.run(store.changes(), token.clone()));
        let app = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        // No Nagle delay: a streamed response (a whole listing) ends with small writes that
        // would otherwise wait for the client's delayed ACK.
        let listener = self.listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let server = axum::serve(listener, app)
            .with_graceful_shutdown(token.clone().cancelled_owned())
            .into_future();
        let mut server = tokio::spawn(server);
        let budget = self.state.config.edge.shutdown_timeout;
        let deadline = async {
            token.cancelled().await;
            tokio::time::sleep(budget).await;
        };
        tokio::select! {
            result = &mut server => result.context("server task failed")?.context("server error")?,
            () = deadline => {
                tracing::warn!(
                    timeout_s = budget.as_secs_f64(),
                    "in-flight requests did not finish within SHUTDOWN_TIMEOUT: exiting anyway"
                );
                server.abort();
            }
        }
        token.cancel();
        let _ = listener_task.await;
        let _ = self.index_task.await;
        let _ = self.upstream_task.await;
        // In-flight calls have their rows committed already; this drains anything queued.
        self.state.registry.shutdown().await;
        // Buffered writes go out with the pool: close waits for connections in use.
        let store = self.state.registry.store().clone();
        if tokio::time::timeout(budget, store.close()).await.is_err() {
            tracing::warn!("the database pool did not close within SHUTDOWN_TIMEOUT");
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// Connects to the database and builds the registry; with `migrate`, applies migrations and
/// registers the built-in tools first.
pub async fn build_state(cfg: Config, migrate: bool) -> anyhow::Result<AppState> {
    let store = store::connect(&cfg.database).context("DATABASE_URL")?;
    store.log_startup();
    if migrate {
        migrate_store(store.as_ref(), &cfg).await?;
    }
    let embedder = embedding::from_config(&cfg.embedding)?;
    let endpoint_up = if cfg.uses_builtin_embedder() {
        tracing::warn!(
            "EMBEDDING_ENDPOINT_URL is not set: using the built-in lexical embedder (development only; \
             it matches words, not meaning)"
        );
        true
    } else {
        probe_embedder(&cfg, embedder.as_ref()).await?
    };
    let executor = Executor::new(cfg.executor.tool_timeout, &cfg.execution);
    let registry = RegistryService::new(store, embedder, executor, &cfg);
    if migrate {
        // With the endpoint down the built-ins are stored without embeddings, so they can be
        // listed and called at once, and embedded in the background once it answers.
        let seeded = if endpoint_up {
            registry.seed_builtins().await
        } else {
            registry.seed_builtins_unembedded().await
        }
        .context("registering the built-in tools")?;
        tracing::info!(
            tools.seeded = seeded.written,
            tools.unembedded = seeded.unembedded,
            "built-in tools registered"
        );
        if seeded.unembedded > 0 {
            tokio::spawn(embed_builtins_when_embedder_returns(registry.clone()));
        }
    }
    Ok(AppState {
        auth: Arc::new(crate::auth::Authenticator::new(&cfg.edge, registry.clone())),
        config: Arc::new(cfg),
        registry,
    })
}

/// Embeds one text at startup. A response of the wrong dimension stops startup (the
/// configuration is wrong and will not fix itself); an endpoint that is down only logs an
/// error and returns `false`: the service starts, answers what needs no embedding (list,
/// call, get), and answers 503 naming the endpoint for the rest until it is back.
async fn probe_embedder(cfg: &Config, embedder: &dyn Embedder) -> anyhow::Result<bool> {
    match embedding::probe(embedder).await {
        Ok(()) => {
            tracing::info!(
                embedding.model = %cfg.embedding.model,
                embedding.dimension = cfg.embedding.dimension,
                "embedding endpoint answered the startup probe"
            );
            Ok(true)
        }
        Err(e @ EmbeddingError::BadResponse { .. }) => Err(anyhow::anyhow!(
            "{e} (check EMBEDDING_DIMENSION={}, EMBEDDING_MODEL={:?} and EMBEDDING_API_FORMAT)",
            cfg.embedding.dimension,
            cfg.embedding.model
        )),
        Err(e) => {
            tracing::error!(error = %e, "embedding endpoint is down at startup; starting anyway");
            Ok(false)
        }
    }
}

/// Embeds the built-in tools stored without embeddings once the embedding endpoint answers,
/// backing off up to 60 s.
async fn embed_builtins_when_embedder_returns(registry: RegistryService) {
    let mut wait = Duration::from_secs(2);
    loop {
        tokio::time::sleep(wait).await;
        match registry.seed_builtins().await {
            Ok(seeded) if seeded.unembedded == 0 => {
                tracing::info!(tools.seeded = seeded.written, "built-in tools embedded");
                return;
            }
            Ok(_) => tracing::warn!("built-in tools not embedded yet; will retry"),
            Err(e) => tracing::warn!(error = %e, "built-in tools not embedded yet; will retry"),
        }
        wait = (wait * 2).min(Duration::from_secs(60));
    }
}

/// Syncs every upstream server when its refresh interval has passed (checked every second)
/// and whenever one announces a changed tool list, until `stop`. A sync in progress at
/// shutdown is abandoned (nothing half-written: each write is one transaction).
async fn refresh_upstreams(registry: RegistryService, stop: CancellationToken) {
    let Some(mut announced) = registry.take_upstream_changes() else {
        return;
    };
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let work = tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => None,
            Some(server) = announced.recv() => Some(server),
        };
        let run = async {
            match work {
                None => registry.sync_due().await,
                Some(server) => {
                    let _ = registry.sync_server(&server).await;
                }
            }
        };
        tokio::select! {
            () = stop.cancelled() => return,
            () = run => {}
        }
    }
}

/// Applies migrations and fixes the embedding dimension.
pub async fn migrate_store(store: &dyn Store, cfg: &Config) -> anyhow::Result<()> {
    store
        .check_connection()
        .await
        .context("cannot connect to the database (DATABASE_URL)")?;
    store
        .migrate(&cfg.database, cfg.embedding.dimension)
        .await
        .context("applying database migrations")
}

async fn cancel_on_signal(token: CancellationToken) {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
        _ = token.cancelled() => return,
    }
    tracing::info!("shutdown signal received: draining in-flight requests");
    token.cancel();
}
