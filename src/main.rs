use clap::Parser;
use toolbox::cli::{self, Cli};
use toolbox::{Config, telemetry};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let cfg = match Config::from_env() {
        Ok(cfg) => cfg,
        Err(e) => {
            eprintln!("toolbox: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    telemetry::init(&cfg);
    match cli::run(cli, cfg).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "toolbox failed");
            eprintln!("toolbox: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
