//! `paydesk sim`: the offline Alipay gateway simulator (crates/sim) in the foreground.
//! The flags and the behaviour live in `sim::cli` so the standalone `paydesk-sim` binary (used
//! by scripts/sim) and this command cannot drift apart.

pub use sim::cli::SimArgs;

/// Runs until Ctrl-C / SIGTERM. Set `args.json` from the global `--json` before calling.
pub async fn run(args: SimArgs) -> anyhow::Result<()> {
    sim::cli::run(args).await
}
