//! What the commands that work on the platform share: where the database is, opening the
//! profile's desk through core's [`desk_open`], the production confirmation, and the small parsers
//! of order, user and money arguments.

use std::path::PathBuf;
use std::sync::Arc;

use alipay::SystemClock;
use clap::Args;
use paydesk_core::StoreConfig;
use paydesk_core::admin::Access;
use paydesk_core::browse::UserRef;
use paydesk_core::confirm::Guarded;
use paydesk_core::desk::Desk;
use paydesk_core::desk_open::{self, OpenError, OpenOptions};
use paydesk_core::ops::OrderRef;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::ctx::Ctx;
use crate::exit::Failure;
use crate::output;
use crate::profile::{Overrides, Resolved};

/// Where the platform database is.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// SQLite file path or mysql://user:pass@host:port/db [default: the profile's database,
    /// else the app's embedded database, paydesk.sqlite in the data directory; env PAYDESK_DATABASE]
    #[arg(long, value_name = "URL|FILE", env = "PAYDESK_DATABASE", global = true)]
    pub database: Option<String>,
}

/// The data directory the desktop app uses too (`PAYDESK_DATA_DIR` beats it).
pub fn data_dir() -> PathBuf {
    desk_open::default_data_dir(&|k| std::env::var(k).ok())
}

/// The profile (env and flag overrides applied), or the default simulator profile when no
/// settings file exists.
pub fn resolve(ctx: &Ctx) -> Result<Resolved, Failure> {
    ctx.resolve(&Overrides::default())
}

/// The profile's database as core reads it, unless `--database` names another.
pub fn store_config(r: &Resolved, db: &DbArgs) -> Result<StoreConfig, Failure> {
    if let Some(url) = db.database.as_deref().filter(|s| !s.trim().is_empty()) {
        return Ok(StoreConfig::new(url));
    }
    Ok(desk_open::store_config(&r.name, &r.profile, &data_dir())?)
}

pub fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("cannot start the async runtime: {e}")))
}

impl From<OpenError> for Failure {
    fn from(e: OpenError) -> Self {
        match e {
            OpenError::Profile(p) => Failure::from(p),
            OpenError::Store(s) => Failure::from(s),
        }
    }
}

/// The Desk of the profile. `gateway`: the command needs Alipay, so keys are loaded and a profile
/// that cannot reach it is refused before anything else.
pub fn open_desk(
    ctx: &Ctx,
    db: &DbArgs,
    gateway: bool,
    rt: &tokio::runtime::Runtime,
) -> Result<Desk, Failure> {
    open_desk_for(ctx, db, gateway, Access::Write, rt)
}

/// [`open_desk`] for a command that only reads: the database is left exactly as it is.
pub fn open_desk_to_read(
    ctx: &Ctx,
    db: &DbArgs,
    gateway: bool,
    rt: &tokio::runtime::Runtime,
) -> Result<Desk, Failure> {
    open_desk_for(ctx, db, gateway, Access::Read, rt)
}

fn open_desk_for(
    ctx: &Ctx,
    db: &DbArgs,
    gateway: bool,
    access: Access,
    rt: &tokio::runtime::Runtime,
) -> Result<Desk, Failure> {
    let r = resolve(ctx)?;
    let data_dir = data_dir();
    let desk = rt.block_on(desk_open::open(
        &r,
        OpenOptions {
            access,
            require_gateway: gateway,
            database: db.database.as_deref(),
            data_dir: &data_dir,
            clock: Arc::new(SystemClock),
        },
    ))?;
    Ok(desk)
}

/// The production confirmation for an action on an order, with the order's number looked up
/// when the operator named it by `id:N` (only when a confirmation is required or given, so other
/// profiles pay no extra query).
pub fn confirm_order(
    desk: &Desk,
    rt: &tokio::runtime::Runtime,
    order: &OrderRef,
    given: Option<&str>,
    action: Guarded,
) -> Result<(), Failure> {
    if given.is_none() && desk.profile_kind != paydesk_core::profile::ProfileKind::Production {
        return Ok(());
    }
    let number = match order {
        OrderRef::Number(n) => n.to_string(),
        OrderRef::Id(_) => {
            rt.block_on(paydesk_core::lookup::order(&desk.store, order))?
                .order_number
        }
    };
    Ok(desk.confirm(action, given, &number)?)
}

pub fn print<T: Serialize>(ctx: &Ctx, value: &T, message: &str) {
    if ctx.json {
        output::json(value);
    } else {
        output::line(message);
    }
}

pub fn progress(ctx: &Ctx) -> impl Fn(usize, usize) + '_ {
    move |done, total| {
        if !ctx.json && total > 0 {
            eprint!("\r{done}/{total}");
            if done == total {
                eprintln!();
            }
        }
    }
}

pub fn parse_order(s: &str) -> Result<OrderRef, Failure> {
    Ok(s.parse::<OrderRef>()?)
}

pub fn parse_money(s: &str) -> Result<Decimal, String> {
    let t = s.trim();
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
    {
        return Err(format!("{s:?} is not an amount like 100.00"));
    }
    t.parse::<Decimal>().map_err(|e| format!("{s:?}: {e}"))
}

pub fn parse_user(s: &str) -> UserRef {
    let t = s.trim();
    if let Ok(id) = t.parse::<i64>()
        && t.len() < 11
    {
        return UserRef::Id(id);
    }
    if t.len() == 11 && t.bytes().all(|b| b.is_ascii_digit()) {
        return UserRef::Mobile(t.to_string());
    }
    UserRef::Username(t.to_string())
}
