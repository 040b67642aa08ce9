//! `paydesk`: every Paydesk operation for scripts and terminals.
//!
//! Exit codes: 0 ok, 1 a negative verdict (INVALID, mismatch, business failure, unknown
//! outcome), 2 usage error or unreadable input.

mod cmd;
mod ctx;
mod exit;
mod inputs;
mod output;
use paydesk_core::profile;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::ctx::Ctx;
use crate::exit::Failure;

#[derive(Debug, Parser)]
#[command(
    name = "paydesk",
    version,
    about = "Paydesk: Alipay keys, signing, pay links, callback verification and gateway calls",
    long_about = None,
    after_help = "Exit codes: 0 ok; 1 a negative verdict or an operation that did not happen \
                  (INVALID, refused by the record's state, someone else acting at the same moment, \
                  Alipay's refusal, unknown outcome, database unavailable); 2 usage error, bad \
                  input or settings, missing confirmation.\n\
                  Settings: paydesk.toml (./paydesk.toml, else $XDG_CONFIG_HOME/paydesk/paydesk.toml, \
                  or --config / PAYDESK_CONFIG); see docs/CLI.md."
)]
struct Cli {
    /// Machine-readable output: one JSON document per command (JSON lines for batch verify)
    #[arg(long, global = true)]
    json: bool,
    /// Settings file [default: ./paydesk.toml, else $XDG_CONFIG_HOME/paydesk/paydesk.toml;
    /// env PAYDESK_CONFIG]
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Profile in the settings file: simulator, sandbox, production or any name defined there
    #[arg(
        long,
        global = true,
        value_name = "NAME",
        env = profile::ENV_PROFILE,
        default_value = profile::DEFAULT_PROFILE
    )]
    profile: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate, check and inspect the app's RSA keys
    #[command(subcommand)]
    Keys(cmd::keys::KeysCmd),
    /// Show the canonical content of a parameter set and sign it with the app private key
    Sign(cmd::sign::SignArgs),
    /// A signed pay link or auto-submitting form: for a platform order (--order N) or any trade
    PayLink(cmd::pay_link::PayLinkArgs),
    /// alipay.trade.query: a trade's status and amounts
    Query(cmd::gateway::QueryArgs),
    /// Refund a platform order (refund N --reason R), or a raw gateway refund (--out-trade-no …)
    Refund(cmd::refund::RefundArgs),
    /// alipay.trade.fastpay.refund.query: did a refund go through
    RefundQuery(cmd::gateway::RefundQueryArgs),
    /// Cancel an unpaid platform order (close N --reason R), or a raw gateway close (--out-trade-no …)
    Close(cmd::close::CloseArgs),
    /// Download a bill (the daily or monthly statement zip)
    Bill(cmd::gateway::BillArgs),
    /// Run the offline Alipay gateway simulator on loopback (the `simulator` profile's gateway)
    Sim(cmd::sim::SimArgs),
    /// Verify return URLs and notify bodies: per-field breakdown, VALID or INVALID with the reason
    Verify(cmd::verify::VerifyArgs),
    /// The platform database: check its tables, apply Paydesk's migrations, or create a new one
    Db(cmd::db::DbCmd),
    /// Fill a new database with realistic demo data (1,000,000 orders are practical)
    Demo(cmd::db::DemoArgs),
    /// Browse orders: filters and keyset pages
    Orders(cmd::orders::OrdersArgs),
    /// One order with its courses, coupon, credits, grants, refunds and audit trail
    Order(cmd::orders::OrderArgs),
    /// The audit log (newest first)
    Audit(cmd::orders::AuditArgs),
    /// Make a test order priced as the site does (not on production)
    TestOrder(cmd::test_order::TestOrderArgs),
    /// Verify a return URL / notify (or ask Alipay about --order N) and settle the order
    Settle(cmd::settle::SettleArgs),
    /// Expire unpaid orders older than 15 minutes (paid ones are settled instead)
    Expire(cmd::close::ExpireArgs),
    /// Refunds: list unresolved ones, or `resume` them
    Refunds(cmd::refund::RefundsArgs),
    /// List grants, list or merge duplicate grants
    Grants(cmd::grants::GrantsArgs),
    /// Grant a course by hand, or restore a revoked grant
    Grant(cmd::grants::GrantArgs),
    /// Revoke a grant (the whole row is kept in the audit log)
    Revoke(cmd::grants::RevokeArgs),
    /// Reconcile Alipay's trade bill for a day or month against the platform's orders
    Reconcile(cmd::reconcile::ReconcileArgs),
    /// Revenue over a period: payments, refunds, net, per day, week, month or course
    Report(cmd::report::ReportArgs),
    /// What a full refund takes back (courses, credits): show it, or `set` it (audited)
    Policy(cmd::policy::PolicyArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let ctx = Ctx {
        json: cli.json,
        config: cli.config,
        profile: cli.profile,
    };
    let result = match cli.command {
        Command::Keys(c) => cmd::keys::run(&ctx, c),
        Command::Sign(a) => cmd::sign::run(&ctx, a),
        Command::PayLink(a) => cmd::pay_link::run(&ctx, a),
        Command::Query(a) => cmd::gateway::query(&ctx, a),
        Command::Refund(a) => cmd::refund::run(&ctx, a),
        Command::RefundQuery(a) => cmd::gateway::refund_query(&ctx, a),
        Command::Close(a) => cmd::close::run(&ctx, a),
        Command::Bill(a) => cmd::gateway::bill(&ctx, a),
        Command::Verify(a) => cmd::verify::run(&ctx, a),
        Command::Sim(a) => run_sim(&ctx, a),
        Command::Db(c) => cmd::db::run(&ctx, c),
        Command::Demo(a) => cmd::db::demo(&ctx, a),
        Command::Orders(a) => cmd::orders::list(&ctx, a),
        Command::Order(a) => cmd::orders::show(&ctx, a),
        Command::Audit(a) => cmd::orders::audit(&ctx, a),
        Command::TestOrder(a) => cmd::test_order::test_order_cmd(&ctx, a),
        Command::Settle(a) => cmd::settle::settle_cmd(&ctx, a),
        Command::Expire(a) => cmd::close::expire_cmd(&ctx, a),
        Command::Refunds(a) => cmd::refund::refunds(&ctx, a),
        Command::Grants(a) => cmd::grants::grants_cmd(&ctx, a),
        Command::Grant(a) => cmd::grants::grant_cmd(&ctx, a),
        Command::Revoke(a) => cmd::grants::revoke_cmd(&ctx, a),
        Command::Reconcile(a) => cmd::reconcile::run_cmd(&ctx, a),
        Command::Policy(a) => cmd::policy::run(&ctx, a),
        Command::Report(a) => cmd::report::run(&ctx, a),
    };
    match result {
        Ok(code) => ExitCode::from(code.code()),
        Err(f) => report(&ctx, &f),
    }
}

/// The simulator is a long-running server: it gets a multi-threaded runtime of its own.
fn run_sim(ctx: &Ctx, mut args: cmd::sim::SimArgs) -> exit::CmdResult {
    args.json = ctx.json;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(cmd::sim::run(args))
        .map_err(|e| Failure::usage(format!("{e:#}")))?;
    Ok(exit::Exit::Ok)
}

fn report(ctx: &Ctx, f: &Failure) -> ExitCode {
    if ctx.json {
        output::json(&serde_json::json!({
            "error": {
                "kind": f.kind,
                "message": f.message,
                "exit_code": f.exit.code(),
                "details": f.details,
            }
        }));
    } else {
        eprintln!("error: {}", f.message);
        if let Some(d) = f
            .details
            .as_ref()
            .and_then(|d| d.get("detail"))
            .and_then(|d| d.as_str())
        {
            eprintln!("  detail: {d}");
        }
    }
    ExitCode::from(f.exit.code())
}
