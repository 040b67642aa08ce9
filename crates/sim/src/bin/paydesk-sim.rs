//! `paydesk-sim`: the simulator on its own, for scripts that must not depend on the full CLI
//! (the python flow test, a tester's terminal). Same flags as `paydesk sim`.

use clap::Parser;

#[derive(Debug, Parser)]
#[command(
    name = "paydesk-sim",
    version,
    about = "Offline Alipay gateway simulator (loopback only)"
)]
struct Cli {
    /// Print the startup information as one JSON document
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    args: sim::cli::SimArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let mut args = cli.args;
    args.json = cli.json;
    sim::cli::run(args).await
}
