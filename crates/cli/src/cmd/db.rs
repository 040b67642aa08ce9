//! `paydesk db check|migrate|init` and `paydesk demo`: the profile's platform database.

use std::sync::Arc;

use alipay::SystemClock;
use clap::{Args, Subcommand};
use paydesk_core::OpenMode;
use paydesk_core::demo::{DemoSpec, generate, human};
use paydesk_core::{Store, admin, schema};

use crate::cmd::desk::{DbArgs, resolve, runtime, store_config};
use crate::ctx::Ctx;
use crate::exit::{CmdResult, Exit, Failure};
use crate::output;

#[derive(Debug, Args)]
pub struct DbCmd {
    #[command(subcommand)]
    action: DbAction,
    #[command(flatten)]
    db: DbArgs,
}

#[derive(Debug, Subcommand)]
pub enum DbAction {
    /// Check the platform tables and columns Paydesk needs; list Paydesk's migrations
    Check,
    /// Apply Paydesk's own migrations (paydesk_* tables only; safe on the live database)
    Migrate,
    /// Create a NEW database: the platform tables as Django makes them, plus Paydesk's
    Init,
}

fn connect(
    ctx: &Ctx,
    db: &DbArgs,
    mode: OpenMode,
    rt: &tokio::runtime::Runtime,
) -> Result<(Store, String), Failure> {
    let r = resolve(ctx)?;
    let cfg = store_config(&r, db)?;
    let target = paydesk_core::config::redact_url(&cfg.database);
    let store = match mode {
        OpenMode::CreateIfMissing => rt.block_on(admin::init_new(&cfg, Arc::new(SystemClock))),
        OpenMode::MustExist => rt.block_on(Store::connect(&cfg, Arc::new(SystemClock), mode)),
    }
    .map_err(Failure::from)?;
    Ok((store, target))
}

pub fn run(ctx: &Ctx, c: DbCmd) -> CmdResult {
    let rt = runtime()?;
    match c.action {
        DbAction::Check => {
            let (store, target) = connect(ctx, &c.db, OpenMode::MustExist, &rt)?;
            let report = rt.block_on(admin::check(&store)).map_err(Failure::from)?;
            if ctx.json {
                output::json(&report);
            } else {
                output::line(&format!("{} database {target}", report.dialect));
                output::line(&format!("platform clock: {}", report.clock.describe()));
                if let Some(w) = &report.clock.warning {
                    output::line(&format!("  warning: {w}"));
                }
                if report.ok() {
                    let off = report.layout.features.off();
                    if off.is_empty() {
                        output::line("platform tables: OK");
                    } else {
                        output::line(&format!(
                            "platform tables: OK, with {} off",
                            off.iter().map(|f| f.label()).collect::<Vec<_>>().join(", ")
                        ));
                    }
                } else {
                    // Paydesk never creates or alters platform tables on an existing database:
                    // the operator fixes the profile (table names, is_deleted spelling) or the URL.
                    output::line(&format!(
                        "platform tables: {} mismatch(es) — not the platform's database, or the \
                         profile's table names differ (Paydesk will not create or alter them here):",
                        report.problems.len()
                    ));
                    for p in &report.problems {
                        output::line(&format!("  - {p}"));
                    }
                }
                for n in &report.notes {
                    output::line(&format!("note: {n}"));
                }
                for s in &report.suggested_indexes {
                    output::line(&format!(
                        "suggested index: {}",
                        serde_json::to_string(s).unwrap_or_default()
                    ));
                }
                for m in &report.migrations {
                    output::line(&format!(
                        "migration {} {}: {}",
                        m.version,
                        m.description,
                        match (m.applied, report.ok()) {
                            (true, _) => "applied",
                            (false, true) => "PENDING (run paydesk db migrate)",
                            (false, false) => "PENDING",
                        }
                    ));
                }
            }
            Ok(if report.ok() {
                Exit::Ok
            } else {
                Exit::Negative
            })
        }
        DbAction::Migrate => {
            let (store, _) = connect(ctx, &c.db, OpenMode::MustExist, &rt)?;
            let found = rt
                .block_on(schema::check_platform_schema(&store))
                .map_err(Failure::from)?;
            // The one problem migrate itself fixes: an earlier Paydesk's integer-fen money.
            let problems: Vec<_> = found
                .problems
                .into_iter()
                .filter(|p| !matches!(p, schema::Problem::FenMoney { .. }))
                .collect();
            schema::problems_to_error(&store, problems).map_err(Failure::from)?;
            let converted = rt
                .block_on(paydesk_core::fen_layout::convert_if_needed(&store))
                .map_err(Failure::from)?;
            if let Some(backup) = converted.as_ref().filter(|_| !ctx.json) {
                output::line(&format!(
                    "converted money from integer fen to yuan in decimal columns, as Django keeps it \
                     (backup: {})",
                    backup.display()
                ));
            }
            let applied = rt.block_on(admin::migrate(&store)).map_err(Failure::from)?;
            if ctx.json {
                output::json(&serde_json::json!({ "applied": applied, "backup": converted }));
            } else if applied.is_empty() {
                output::line("Paydesk's tables are up to date");
            } else {
                output::line(&format!("applied migrations {applied:?}"));
            }
            Ok(Exit::Ok)
        }
        DbAction::Init => {
            let (_, target) = connect(ctx, &c.db, OpenMode::CreateIfMissing, &rt)?;
            if ctx.json {
                output::json(&serde_json::json!({ "created": target }));
            } else {
                output::line(&format!("created a new platform database at {target}"));
            }
            Ok(Exit::Ok)
        }
    }
}

#[derive(Debug, Args)]
#[command(after_help = "Example:
  paydesk --database /tmp/demo.sqlite demo --orders 1000000

Fills a NEW database (created when missing) with courses, coupons, users and orders in every
status, priced with the site's rules; duplicate grants as the racy site leaves them.")]
pub struct DemoArgs {
    #[arg(long, default_value_t = 10_000)]
    orders: u64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Default: one per five orders
    #[arg(long)]
    users: Option<u64>,
    #[arg(long, default_value_t = 365)]
    days: u32,
    #[command(flatten)]
    db: DbArgs,
}

pub fn demo(ctx: &Ctx, a: DemoArgs) -> CmdResult {
    let rt = runtime()?;
    let r = resolve(ctx)?;
    let cfg = store_config(&r, &a.db)?;
    let clock = Arc::new(SystemClock);
    let store = rt
        .block_on(Store::connect(
            &cfg,
            clock.clone(),
            OpenMode::CreateIfMissing,
        ))
        .map_err(Failure::from)?;
    let existing = rt
        .block_on(schema::existing_platform_tables(&store))
        .map_err(Failure::from)?;
    let store = if existing.is_empty() {
        rt.block_on(store.close());
        rt.block_on(admin::init_new(&cfg, clock))
            .map_err(Failure::from)?
    } else {
        rt.block_on(admin::migrate(&store)).map_err(Failure::from)?;
        store
    };
    let mut spec = DemoSpec::new(a.orders, a.seed);
    spec.users = a.users;
    spec.days = a.days;
    let json = ctx.json;
    let report = rt
        .block_on(generate(&store, &spec, move |done, total| {
            if !json {
                eprint!("\r{done}/{total} orders");
                if done == total {
                    eprintln!();
                }
            }
        }))
        .map_err(Failure::from)?;
    if ctx.json {
        output::json(&report);
    } else {
        output::line(&format!(
            "{} orders ({:?} by status), {} users, {} courses, {} coupons, {} grants in {}",
            report.orders,
            report.orders_by_status,
            report.users,
            report.courses,
            report.coupons,
            report.grants,
            human(std::time::Duration::from_millis(report.elapsed_ms as u64))
        ));
    }
    Ok(Exit::Ok)
}
