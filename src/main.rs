use clap::Parser;
use toolbox::cli::{self, Cli};
use toolbox::{Config, telemetry};

/// mimalloc rather than glibc's allocator: see Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let cfg = match Config::from_env() {
        Ok(cfg) => cfg,
        Err(e) => {
            eprintln!("toolbox: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    // Dropped last: flushes traces not yet exported.
    let _telemetry = telemetry::init(&cfg);
    let runtime = match cli::runtime(&cfg) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("toolbox: cannot start the runtime (WORKERS): {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(cli, cfg)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "toolbox failed");
            eprintln!("toolbox: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
