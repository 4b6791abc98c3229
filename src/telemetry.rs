//! Logging: readable on a terminal, JSON in production (`LOG_FORMAT`), level from `LOG_LEVEL`
//! (or `RUST_LOG` when set, for per-module filters); spans exported as OpenTelemetry traces
//! over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::SpanExporter;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::{Config, LogFormat};

/// Keeps the trace exporter alive; dropping it flushes the spans not yet sent.
#[must_use = "dropping the guard stops trace export"]
pub struct Telemetry {
    tracer: Option<SdkTracerProvider>,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(provider) = self.tracer.take()
            && let Err(e) = provider.shutdown()
        {
            eprintln!("toolbox: flushing traces failed: {e}");
        }
    }
}

pub fn init(cfg: &Config) -> Telemetry {
    let filter = EnvFilter::try_from_env("RUST_LOG")
        .or_else(|_| EnvFilter::try_new(&cfg.log_level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let tracer = cfg.edge.otlp_endpoint.as_ref().and_then(|_| otlp(cfg));
    let otel = tracer
        .as_ref()
        .map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer("toolbox")));
    let registry = tracing_subscriber::registry().with(filter).with(otel);
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let result = match cfg.log_format {
        LogFormat::Json => registry.with(fmt.json().flatten_event(true)).try_init(),
        LogFormat::Pretty => registry.with(fmt.compact()).try_init(),
    };
    // A second init (tests) keeps the first subscriber.
    let _ = result;
    if tracer.is_some() {
        tracing::info!("exporting traces over OTLP/HTTP (OTEL_EXPORTER_OTLP_ENDPOINT)");
    }
    Telemetry { tracer }
}

/// The OTLP/HTTP exporter reads `OTEL_EXPORTER_OTLP_ENDPOINT` (and the other standard
/// `OTEL_*` variables) itself; spans are batched on a background thread.
fn otlp(cfg: &Config) -> Option<SdkTracerProvider> {
    let exporter = match SpanExporter::builder().with_http().build() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("toolbox: trace export disabled: {e}");
            return None;
        }
    };
    let resource = Resource::builder()
        .with_service_name(cfg.app_name.clone())
        .build();
    Some(
        SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource)
            .build(),
    )
}
