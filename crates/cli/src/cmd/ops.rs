//! The payment operations over the profile's database and gateway: `test-order`, `pay-link
//! --order`, `settle`, `close N`, `expire`, `refund N`, `refunds [resume]`, `grants`, `grant`,
//! `revoke`. Each is one call into `paydesk_core::ops` on a [`Desk`] built from the profile; the
//! desktop app builds the same Desk.
//!
//! `pay-link`, `refund` and `close` also exist as raw gateway calls (`--out-trade-no …`); the
//! order-level forms are recognised by their arguments (see [`route`]) so both keep their names.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;

use alipay::client::GatewayConfig;
use alipay::{GatewayClient, PayProduct, SystemClock};
use clap::{Args, Subcommand};
use paydesk_core::admin::Access;
use paydesk_core::browse::UserRef;
use paydesk_core::desk::{Desk, Gateway, ProfileKind as CoreKind, os_user};
use paydesk_core::ops::close::{Expired, close, expire};
use paydesk_core::ops::pay_link::{PayLinkRequest, pay_link};
use paydesk_core::ops::refund::{list as list_refunds, refund, resume};
use paydesk_core::ops::settle::{SettleInput, settle_with_reason};
use paydesk_core::ops::test_order::{TestCourse, TestOrderRequest, test_order};
use paydesk_core::ops::{OpsError, OrderRef, grant};
use paydesk_core::queries::grants::GrantFilter;
use paydesk_core::{StoreConfig, StoreError};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::cmd::read_arg_text;
use crate::ctx::Ctx;
use crate::exit::{CmdResult, Exit, Failure};
use crate::output;
use crate::profile::{Overrides, ProfileKind, Resolved};
use crate::settings;

/// Rewrites `refund N …`, `close N …` and `pay-link --order N …` to the order-level commands,
/// leaving the raw gateway forms (`refund --out-trade-no …`) to their own commands.
pub fn route(args: Vec<OsString>) -> Vec<OsString> {
    const WITH_VALUE: [&str; 2] = ["--config", "--profile"];
    let mut i = 1;
    while i < args.len() {
        let a = args[i].to_string_lossy();
        if WITH_VALUE.contains(&a.as_ref()) {
            i += 2;
            continue;
        }
        if a.starts_with('-') {
            i += 1;
            continue;
        }
        break;
    }
    let Some(cmd) = args.get(i).map(|a| a.to_string_lossy().to_string()) else {
        return args;
    };
    let rest: Vec<String> = args[i + 1..]
        .iter()
        .map(|a| a.to_string_lossy().to_string())
        .collect();
    let positional_first = rest.first().is_some_and(|r| !r.starts_with('-'));
    let new = match cmd.as_str() {
        "refund" if positional_first => "order-refund",
        "close" if positional_first => "order-close",
        "pay-link"
            if rest
                .iter()
                .any(|r| r == "--order" || r.starts_with("--order=")) =>
        {
            "order-pay-link"
        }
        _ => return args,
    };
    let mut out = args;
    out[i] = OsString::from(new);
    out
}

/// Where the platform database is [default: the profile's `database`, else
/// `$XDG_DATA_HOME/paydesk/<profile>.sqlite`; env PAYDESK_DATABASE].
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// SQLite file path or mysql://user:pass@host:port/db [default: the profile's database,
    /// else $XDG_DATA_HOME/paydesk/<profile>.sqlite; env PAYDESK_DATABASE]
    #[arg(long, value_name = "URL|FILE", env = "PAYDESK_DATABASE", global = true)]
    pub database: Option<String>,
}

pub fn default_db_path(profile: &str) -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local").join("share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("paydesk").join(format!("{profile}.sqlite"))
}

/// The profile (env and flag overrides applied), or none when no settings file exists and the
/// default profile is used.
pub fn resolve(ctx: &Ctx) -> Result<Resolved, Failure> {
    ctx.resolve(&Overrides::default())
}

pub fn store_config(ctx: &Ctx, r: &Resolved, db: &DbArgs) -> Result<StoreConfig, Failure> {
    if let Some(url) = db.database.as_deref().filter(|s| !s.trim().is_empty()) {
        return Ok(StoreConfig::new(url));
    }
    match &r.profile.database {
        Some(toml::Value::String(s)) => Ok(StoreConfig::new(s.clone())),
        Some(v @ toml::Value::Table(_)) => v
            .clone()
            .try_into::<StoreConfig>()
            .map_err(|e| Failure::usage(format!("profile {:?}: database: {e}", r.name))),
        Some(_) => Err(Failure::usage(format!(
            "profile {:?}: database must be a path/URL string or a table with `database = \"…\"`",
            r.name
        ))),
        None => {
            let p = default_db_path(&ctx.profile);
            Ok(StoreConfig::new(p.to_string_lossy().to_string()))
        }
    }
}

pub fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("cannot start the async runtime: {e}")))
}

pub fn store_failure(e: StoreError) -> Failure {
    let (exit, kind) = match &e {
        StoreError::Config(_)
        | StoreError::Schema(_)
        | StoreError::NotPlatform { .. }
        | StoreError::Connect { .. } => (Exit::Usage, "config"),
        StoreError::NotFound { .. } => (Exit::Usage, "not_found"),
        StoreError::InvalidInput(_) => (Exit::Usage, "invalid_input"),
        _ => (Exit::Usage, "internal"),
    };
    Failure {
        exit,
        kind,
        message: e.to_string(),
        details: None,
    }
}

pub fn ops_failure(e: OpsError) -> Failure {
    let code = e.code();
    let exit = match code {
        "invalid_input" | "not_found" | "internal" => Exit::Usage,
        _ => Exit::Negative,
    };
    let message = match &e {
        OpsError::UnknownOutcome(m) => format!("UNKNOWN OUTCOME: {m}"),
        other => other.to_string(),
    };
    Failure {
        exit,
        kind: code,
        message,
        details: None,
    }
}

fn core_kind(k: ProfileKind) -> CoreKind {
    match k {
        ProfileKind::Simulator => CoreKind::Simulator,
        ProfileKind::Sandbox => CoreKind::Sandbox,
        ProfileKind::Production => CoreKind::Production,
    }
}

/// The Desk of the profile. `gateway`: also load keys and build the gateway client.
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
    let cfg = store_config(ctx, &r, db)?;
    let clock: Arc<dyn alipay::Clock> = Arc::new(SystemClock);
    let store = rt
        .block_on(paydesk_core::admin::open_platform(
            &cfg,
            clock.clone(),
            access,
        ))
        .map_err(store_failure)?;
    let operator = r
        .profile
        .operator
        .clone()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(os_user);
    let mut desk = Desk::new(store, r.name.clone(), core_kind(r.profile.kind), operator);
    desk.fee_rate = r.profile.fee_rate(&r.name)?;
    if gateway {
        let url = r.require("gateway", &r.profile.gateway)?.to_string();
        let cert = settings::cert_mode(&r)?;
        let app = settings::app_identity(&r, cert.as_ref())?;
        let alipay_key = settings::alipay_public_key(&r, cert.as_ref())?;
        settings::refuse_own_key(&app, &alipay_key, &r)?;
        let client = GatewayClient::new(
            GatewayConfig {
                gateway_url: url.clone(),
                app: app.clone(),
                alipay_public_key: alipay_key,
                alipay_cert_sn: cert.map(|c| c.alipay_cert_sn),
                timeout: settings::timeout(&r),
            },
            clock,
        )
        .map_err(|e| Failure::usage(e.to_string()))?;
        desk = desk.with_gateway(Gateway {
            client,
            app,
            gateway_url: url,
            seller_id: r.profile.seller_id.clone().unwrap_or_default(),
            return_url: None,
            notify_url: None,
        });
    }
    Ok(desk)
}

/// On a production profile a destructive command must name what it acts on a second time,
/// `--confirm <ORDER_NUMBER>` (the grant id for `revoke`, `EXPIRE` for `expire`): a bare `--yes`
/// is too easily carried over from shell history onto the wrong order. Elsewhere `--confirm` is
/// optional, but a wrong one is still refused: it means the operator has something else in mind.
/// Checked before anything is changed or sent to Alipay.
pub fn confirm_typed(
    desk: &Desk,
    given: Option<&str>,
    expected: &str,
    what: &str,
) -> Result<(), Failure> {
    confirm_value(
        desk.profile_kind == CoreKind::Production,
        &desk.profile_name,
        given,
        expected,
        what,
    )
}

/// [`confirm_typed`] for commands without a desk (the raw gateway calls).
pub fn confirm_value(
    production: bool,
    profile: &str,
    given: Option<&str>,
    expected: &str,
    what: &str,
) -> Result<(), Failure> {
    let given = given.map(str::trim);
    if given == Some(expected) || (given.is_none() && !production) {
        return Ok(());
    }
    let message = match given {
        None => format!(
            "profile {profile:?} is production: {what}. Nothing was changed; to confirm, re-run \
             with --confirm {expected}"
        ),
        Some(g) => format!(
            "--confirm {g:?} does not match: {what}. Nothing was changed; to confirm, re-run \
             with --confirm {expected}"
        ),
    };
    Err(Failure {
        exit: Exit::Usage,
        kind: "confirmation",
        message,
        details: Some(serde_json::json!({ "confirm": expected })),
    })
}

/// [`confirm_typed`] with the order's number, looked up when the operator named it by `id:N`
/// (only when a confirmation is required or given, so other profiles pay no extra query).
fn confirm_order(
    desk: &Desk,
    rt: &tokio::runtime::Runtime,
    order: &OrderRef,
    given: Option<&str>,
    what: &str,
) -> Result<(), Failure> {
    if given.is_none() && desk.profile_kind != CoreKind::Production {
        return Ok(());
    }
    let number = match order {
        OrderRef::Number(n) => n.to_string(),
        OrderRef::Id(_) => {
            rt.block_on(async {
                let mut tx = desk.store.begin_read().await?;
                let o = paydesk_core::ops::find_order(&mut tx, order).await;
                tx.rollback().await?;
                o
            })
            .map_err(ops_failure)?
            .order_number
        }
    };
    confirm_typed(desk, given, &number, what)
}

fn print<T: Serialize>(ctx: &Ctx, value: &T, message: &str) {
    if ctx.json {
        output::json(value);
    } else {
        output::line(message);
    }
}

fn progress(ctx: &Ctx) -> impl Fn(usize, usize) + '_ {
    move |done, total| {
        if !ctx.json && total > 0 {
            eprint!("\r{done}/{total}");
            if done == total {
                eprintln!();
            }
        }
    }
}

fn parse_order(s: &str) -> Result<OrderRef, Failure> {
    s.parse::<OrderRef>().map_err(ops_failure)
}

fn parse_money(s: &str) -> Result<Decimal, String> {
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

fn parse_user(s: &str) -> UserRef {
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

// ───────────────────────────── test-order ─────────────────────────────

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  paydesk test-order --user 12 --course 3 --course 7:799.00 --coupon-log 55 --credits 100
  paydesk --json test-order --user 13800000001 --course 3

COURSE is a course id, or ID:PRICE to apply an activity price (the site reads those from its
activity tables, which Paydesk does not); refused on a production profile.")]
pub struct TestOrderArgs {
    /// The buyer: user id, 11-digit mobile, or username
    #[arg(long, value_name = "USER")]
    user: String,
    /// A course (repeat for several): ID or ID:ACTIVITY_PRICE
    #[arg(long = "course", value_name = "COURSE", required = true)]
    courses: Vec<String>,
    /// An unused coupon of the user (its ly_coupon_log id)
    #[arg(long, value_name = "ID")]
    coupon_log: Option<i64>,
    /// Credits to spend (10 credits = ¥1), capped by the courses and the balance
    #[arg(long, default_value_t = 0)]
    credits: i64,
    /// A note stored in order_desc and the audit log
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
    #[command(flatten)]
    db: DbArgs,
}

pub fn test_order_cmd(ctx: &Ctx, a: TestOrderArgs) -> CmdResult {
    let mut courses = Vec::new();
    for c in &a.courses {
        let (id, price) = match c.split_once(':') {
            Some((id, p)) => (id, Some(parse_money(p).map_err(Failure::usage)?)),
            None => (c.as_str(), None),
        };
        let course_id = id
            .trim()
            .parse::<i64>()
            .map_err(|_| Failure::usage(format!("--course {c:?}: expected ID or ID:PRICE")))?;
        courses.push(TestCourse {
            course_id,
            activity_price: price,
            activity_name: None,
        });
    }
    let rt = runtime()?;
    let desk = open_desk(ctx, &a.db, false, &rt)?;
    let req = TestOrderRequest {
        user: parse_user(&a.user),
        courses,
        coupon_log_id: a.coupon_log,
        credits: a.credits,
        note: a.note,
    };
    let r = rt.block_on(test_order(&desk, &req)).map_err(ops_failure)?;
    print(ctx, &r, &r.message);
    Ok(Exit::Ok)
}

// ───────────────────────────── pay-link --order ─────────────────────────────

#[derive(Debug, Args)]
pub struct OrderPayLinkArgs {
    /// The order: its number, or id:N
    #[arg(long, value_name = "N")]
    order: String,
    /// Phone cashier (alipay.trade.wap.pay) instead of the PC one
    #[arg(long)]
    wap: bool,
    /// An auto-submitting HTML form (POST) instead of a GET link
    #[arg(long)]
    form: bool,
    #[arg(long, value_name = "URL")]
    return_url: Option<String>,
    #[arg(long, value_name = "URL")]
    notify_url: Option<String>,
    #[command(flatten)]
    db: DbArgs,
}

pub fn pay_link_cmd(ctx: &Ctx, a: OrderPayLinkArgs) -> CmdResult {
    let order = parse_order(&a.order)?;
    let rt = runtime()?;
    let desk = open_desk(ctx, &a.db, true, &rt)?;
    let req = PayLinkRequest {
        order,
        product: if a.wap {
            PayProduct::Wap
        } else {
            PayProduct::Page
        },
        form: a.form,
        return_url: a.return_url,
        notify_url: a.notify_url,
    };
    let r = rt.block_on(pay_link(&desk, &req)).map_err(ops_failure)?;
    // Only the link on stdout, so $(paydesk pay-link --order N) works.
    print(ctx, &r, &r.link);
    Ok(Exit::Ok)
}

// ───────────────────────────── settle ─────────────────────────────

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  paydesk settle 'https://shop.example/return?charset=utf-8&out_trade_no=…&sign=…'
  paydesk settle @notify.txt
  paydesk settle --order 202611240000001200000034 --reason 'notify missed, customer sent the receipt'
  (on a production profile, settling by hand also needs --confirm <ORDER_NUMBER>)

A return URL or notify is verified (signature, app_id, seller_id, amount), then Alipay is asked
(alipay.trade.query); only a paid trade of the same amount settles the order. Settling twice is a
no-op. An order that was cancelled or timed out but is paid is settled and, if its credits or
coupon cannot be taken back, FLAGGED for finance (audit action settle_late).")]
pub struct SettleArgs {
    /// A return URL, a notify body, @FILE or - (stdin)
    #[arg(
        value_name = "URL|BODY",
        required_unless_present = "order",
        conflicts_with = "order"
    )]
    input: Option<String>,
    /// Settle by asking Alipay about this order (a missed notify)
    #[arg(long, value_name = "N")]
    order: Option<String>,
    /// With --order on a production profile: the order number again
    #[arg(long, value_name = "ORDER_NUMBER", requires = "order")]
    confirm: Option<String>,
    /// Why you settle it by hand (kept in the audit log, refusals included)
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    #[command(flatten)]
    db: DbArgs,
}

pub fn settle_cmd(ctx: &Ctx, a: SettleArgs) -> CmdResult {
    let input = match (&a.order, &a.input) {
        (Some(o), _) => SettleInput::Order(parse_order(o)?),
        (None, Some(i)) => SettleInput::Callback(read_arg_text(i)?.trim().to_string()),
        (None, None) => {
            return Err(Failure::usage(
                "give a return URL, a notify body or --order N",
            ));
        }
    };
    let rt = runtime()?;
    let desk = open_desk(ctx, &a.db, true, &rt)?;
    // A callback proves the payment by its signature; settling by hand rests on Alipay's word
    // about the order the operator names, so on production that name is typed twice.
    if let SettleInput::Order(order) = &input {
        confirm_order(
            &desk,
            &rt,
            order,
            a.confirm.as_deref(),
            "settling by hand grants a real customer's courses",
        )?;
    }
    let r = rt
        .block_on(settle_with_reason(&desk, input, a.reason.as_deref()))
        .map_err(ops_failure)?;
    print(ctx, &r, &r.message);
    Ok(if r.flags.is_empty() {
        Exit::Ok
    } else {
        Exit::Negative
    })
}

// ───────────────────────────── close / expire ─────────────────────────────

#[derive(Debug, Args)]
pub struct OrderCloseArgs {
    /// The order: its number, or id:N
    #[arg(value_name = "N")]
    order: String,
    /// Why (kept in the audit log)
    #[arg(long, value_name = "TEXT")]
    reason: String,
    /// Required on a production profile: the order number again
    #[arg(long, value_name = "ORDER_NUMBER")]
    confirm: Option<String>,
    #[command(flatten)]
    db: DbArgs,
}

pub fn close_cmd(ctx: &Ctx, a: OrderCloseArgs) -> CmdResult {
    let order = parse_order(&a.order)?;
    let rt = runtime()?;
    let desk = open_desk(ctx, &a.db, true, &rt)?;
    confirm_order(
        &desk,
        &rt,
        &order,
        a.confirm.as_deref(),
        "closing an order cancels a real customer's order",
    )?;
    let r = rt
        .block_on(close(&desk, &order, &a.reason))
        .map_err(ops_failure)?;
    print(ctx, &r, &r.message);
    Ok(Exit::Ok)
}

#[derive(Debug, Args)]
#[command(
    after_help = "Every unpaid order older than 15 minutes: Alipay is asked first, a paid one is
settled instead; the rest are closed at Alipay and set to 超时取消 (3), credits and coupons back.
On a production profile: --confirm EXPIRE."
)]
pub struct ExpireArgs {
    /// Required on a production profile: the word EXPIRE
    #[arg(long, value_name = "EXPIRE")]
    confirm: Option<String>,
    #[command(flatten)]
    db: DbArgs,
}

pub fn expire_cmd(ctx: &Ctx, a: ExpireArgs) -> CmdResult {
    let rt = runtime()?;
    let desk = open_desk(ctx, &a.db, true, &rt)?;
    confirm_typed(
        &desk,
        a.confirm.as_deref(),
        "EXPIRE",
        "expiring cancels real customers' unpaid orders",
    )?;
    let r = rt
        .block_on(expire(&desk, progress(ctx)))
        .map_err(ops_failure)?;
    if ctx.json {
        output::json(&r);
    } else {
        // Expiries are the routine case (the summary counts them); what needs a look is listed.
        for o in &r.orders {
            match o {
                Expired::Expired(_) => {}
                Expired::Settled(s) => output::line(&s.message),
                Expired::Skipped {
                    order_number,
                    error,
                } => output::line(&format!("order {order_number} left unpaid: {error}")),
            }
        }
        output::line(&format!(
            "{} due: {} expired, {} settled (paid at Alipay), {} skipped, {} already done",
            r.examined, r.expired, r.settled, r.skipped, r.noop
        ));
    }
    Ok(if r.skipped > 0 {
        Exit::Negative
    } else {
        Exit::Ok
    })
}

// ───────────────────────────── refund / refunds ─────────────────────────────

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  paydesk refund 202611240000001200000034 --amount 100.00 --reason 'one chapter missing'
  paydesk refund 202611240000001200000034 --reason 'customer cancelled'   # all that is left
  paydesk --profile production refund 202611240000001200000034 --reason R \
      --confirm 202611240000001200000034   # production: type the order number again

The refund is recorded before Alipay is called, with out_request_no <order>R<n>; if the outcome is
unknown, `paydesk refunds resume` resolves it with the same out_request_no (never a second refund).
A full refund revokes the order's courses and gives its credits back, as the refund policy says
(`paydesk policy`).")]
pub struct OrderRefundArgs {
    /// The order: its number, or id:N
    #[arg(value_name = "N")]
    order: String,
    /// Yuan [default: all that is left]
    #[arg(long, value_name = "YUAN", value_parser = parse_money)]
    amount: Option<Decimal>,
    /// Refund reason (the buyer sees it)
    #[arg(long, value_name = "TEXT")]
    reason: String,
    /// Required on a production profile (real money): the order number again
    #[arg(long, value_name = "ORDER_NUMBER")]
    confirm: Option<String>,
    #[command(flatten)]
    db: DbArgs,
}

pub fn refund_cmd(ctx: &Ctx, a: OrderRefundArgs) -> CmdResult {
    let order = parse_order(&a.order)?;
    let rt = runtime()?;
    let desk = open_desk(ctx, &a.db, true, &rt)?;
    confirm_order(
        &desk,
        &rt,
        &order,
        a.confirm.as_deref(),
        "a refund moves real money",
    )?;
    let r = rt
        .block_on(refund(&desk, &order, a.amount, &a.reason))
        .map_err(ops_failure)?;
    print(ctx, &r, &r.message);
    Ok(Exit::Ok)
}

#[derive(Debug, Args)]
pub struct RefundsArgs {
    #[command(subcommand)]
    action: Option<RefundsAction>,
    /// The refunds of this order (default: every unresolved refund)
    #[arg(long, value_name = "N")]
    order: Option<String>,
    #[command(flatten)]
    db: DbArgs,
}

#[derive(Debug, Subcommand)]
pub enum RefundsAction {
    /// Resolve every pending/unknown refund by resending it with its own out_request_no
    Resume {
        /// Required on a production profile: the word RESUME
        #[arg(long, value_name = "RESUME")]
        confirm: Option<String>,
    },
}

pub fn refunds_cmd(ctx: &Ctx, a: RefundsArgs) -> CmdResult {
    let rt = runtime()?;
    match a.action {
        None => {
            let order = a.order.as_deref().map(parse_order).transpose()?;
            let desk = open_desk(ctx, &a.db, false, &rt)?;
            let rows = rt
                .block_on(list_refunds(&desk, order.as_ref()))
                .map_err(ops_failure)?;
            if ctx.json {
                output::json(&rows);
            } else if rows.is_empty() {
                output::line(if order.is_some() {
                    "no refunds for this order"
                } else {
                    "no unresolved refunds"
                });
            } else {
                for r in rows {
                    output::line(&format!(
                        "{}  {}  {:>10}  {:<9}  attempts {}  {}",
                        r.out_request_no,
                        r.created_time.format("%Y-%m-%d %H:%M:%S"),
                        r.amount,
                        r.status.as_str(),
                        r.attempts,
                        r.last_error.unwrap_or_default()
                    ));
                }
            }
            Ok(Exit::Ok)
        }
        Some(RefundsAction::Resume { confirm }) => {
            let desk = open_desk(ctx, &a.db, true, &rt)?;
            confirm_typed(
                &desk,
                confirm.as_deref(),
                "RESUME",
                "resuming refunds moves real money",
            )?;
            let r = rt
                .block_on(resume(&desk, progress(ctx)))
                .map_err(ops_failure)?;
            if ctx.json {
                output::json(&r);
            } else {
                for x in &r.refunds {
                    output::line(&format!(
                        "{} {} {}: {}",
                        x.out_request_no,
                        x.amount,
                        x.status.as_str(),
                        x.message
                    ));
                }
                output::line(&format!(
                    "{} unresolved: {} succeeded, {} failed, {} still unknown",
                    r.examined, r.succeeded, r.failed, r.still_unknown
                ));
            }
            Ok(if r.still_unknown > 0 {
                Exit::Negative
            } else {
                Exit::Ok
            })
        }
    }
}

// ───────────────────────────── grants ─────────────────────────────

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  paydesk grants --user 12
  paydesk grants --duplicates
  paydesk grants --merge --reason 'clean up double grants of the old settlement'")]
pub struct GrantsArgs {
    #[arg(long, value_name = "ID")]
    user: Option<i64>,
    #[arg(long, value_name = "ID")]
    course: Option<i64>,
    /// The grants of this order's user for its courses
    #[arg(long, value_name = "N")]
    order: Option<String>,
    /// Include soft-deleted rows
    #[arg(long)]
    all: bool,
    /// Grants with id below this (next page)
    #[arg(long, value_name = "ID")]
    before: Option<i64>,
    #[arg(long, default_value_t = 100)]
    limit: i64,
    /// List the (user, course) pairs granted more than once
    #[arg(long, conflicts_with = "merge")]
    duplicates: bool,
    /// Merge every duplicate: keep the oldest grant (with the furthest progress), remove the rest
    #[arg(long, requires = "reason")]
    merge: bool,
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    #[command(flatten)]
    db: DbArgs,
}

pub fn grants_cmd(ctx: &Ctx, a: GrantsArgs) -> CmdResult {
    let rt = runtime()?;
    let desk = open_desk(ctx, &a.db, false, &rt)?;
    if a.duplicates {
        let d = rt
            .block_on(grant::duplicates(&desk, a.limit.max(1)))
            .map_err(ops_failure)?;
        if ctx.json {
            output::json(&d);
        } else {
            for x in &d {
                output::line(&format!(
                    "user {} course {}: {} grants {:?}",
                    x.user_id, x.course_id, x.count, x.grant_ids
                ));
            }
            output::line(&format!("{} duplicated pair(s)", d.len()));
        }
        return Ok(Exit::Ok);
    }
    if a.merge {
        let r = rt
            .block_on(grant::merge_duplicates(
                &desk,
                a.reason.as_deref().unwrap_or_default(),
                progress(ctx),
            ))
            .map_err(ops_failure)?;
        print(
            ctx,
            &r,
            &format!(
                "merged {} pair(s), removed {} duplicate grant(s)",
                r.pairs, r.grants_removed
            ),
        );
        return Ok(Exit::Ok);
    }
    let order_id = match a.order.as_deref().map(parse_order).transpose()? {
        None => None,
        Some(OrderRef::Id(id)) => Some(id),
        Some(r) => {
            let mut tx = rt
                .block_on(desk.store.begin_read())
                .map_err(store_failure)?;
            let o = rt
                .block_on(paydesk_core::ops::find_order(&mut tx, &r))
                .map_err(ops_failure)?;
            Some(o.id)
        }
    };
    let f = GrantFilter {
        user_id: a.user,
        course_id: a.course,
        order_id,
        include_deleted: a.all,
        before_id: a.before,
        limit: a.limit,
    };
    let rows = rt.block_on(grant::list(&desk, &f)).map_err(ops_failure)?;
    if ctx.json {
        output::json(&rows);
    } else {
        for g in &rows {
            output::line(&format!(
                "grant {}  user {}  course {}  since {}  study {}s{}",
                g.id,
                g.user_id,
                g.course_id,
                g.base.created_time.format("%Y-%m-%d %H:%M:%S"),
                g.study_time,
                if g.base.is_deleted { "  (deleted)" } else { "" }
            ));
        }
        output::line(&format!("{} grant(s)", rows.len()));
    }
    Ok(Exit::Ok)
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  paydesk grant --user 12 --course 3 --reason 'compensation for outage'
  paydesk grant --restore 881 --reason 'revoked by mistake'   # audit row of the revoke")]
pub struct GrantArgs {
    #[arg(long, value_name = "ID", required_unless_present = "restore")]
    user: Option<i64>,
    #[arg(long, value_name = "ID", required_unless_present = "restore")]
    course: Option<i64>,
    /// Put back a revoked grant from its revoke audit row
    #[arg(long, value_name = "AUDIT_ID", conflicts_with_all = ["user", "course"])]
    restore: Option<i64>,
    /// Why (required; kept in the audit log)
    #[arg(long, value_name = "TEXT")]
    reason: String,
    #[command(flatten)]
    db: DbArgs,
}

pub fn grant_cmd(ctx: &Ctx, a: GrantArgs) -> CmdResult {
    let rt = runtime()?;
    let desk = open_desk(ctx, &a.db, false, &rt)?;
    let r = match (a.restore, a.user, a.course) {
        (Some(audit), _, _) => rt.block_on(grant::restore(&desk, audit, &a.reason)),
        (None, Some(u), Some(c)) => rt.block_on(grant::grant(&desk, u, c, &a.reason)),
        _ => {
            return Err(Failure::usage(
                "give --user and --course, or --restore AUDIT_ID",
            ));
        }
    }
    .map_err(ops_failure)?;
    print(ctx, &r, &r.message);
    Ok(Exit::Ok)
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The grant (ly_user_course id)
    #[arg(value_name = "GRANT_ID")]
    grant: i64,
    /// Why (required; the whole row is kept in the audit log for `grant --restore`)
    #[arg(long, value_name = "TEXT")]
    reason: String,
    /// Required on a production profile: the grant id again
    #[arg(long, value_name = "GRANT_ID")]
    confirm: Option<String>,
    #[command(flatten)]
    db: DbArgs,
}

pub fn revoke_cmd(ctx: &Ctx, a: RevokeArgs) -> CmdResult {
    let rt = runtime()?;
    let desk = open_desk(ctx, &a.db, false, &rt)?;
    confirm_typed(
        &desk,
        a.confirm.as_deref(),
        &a.grant.to_string(),
        "revoking takes a course away from a real customer",
    )?;
    let r = rt
        .block_on(grant::revoke(&desk, a.grant, &a.reason))
        .map_err(ops_failure)?;
    print(ctx, &r, &r.message);
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routed(args: &[&str]) -> Vec<String> {
        route(args.iter().map(OsString::from).collect())
            .into_iter()
            .map(|a| a.to_string_lossy().to_string())
            .collect()
    }

    #[test]
    fn order_level_forms_are_routed_and_gateway_forms_are_not() {
        assert_eq!(
            routed(&["paydesk", "--json", "refund", "2026", "--reason", "x"])[2],
            "order-refund"
        );
        assert_eq!(
            routed(&[
                "paydesk",
                "--profile",
                "sandbox",
                "close",
                "id:7",
                "--reason",
                "x"
            ])[3],
            "order-close"
        );
        assert_eq!(
            routed(&["paydesk", "pay-link", "--wap", "--order", "2026"])[1],
            "order-pay-link"
        );
        assert_eq!(
            routed(&["paydesk", "pay-link", "--order=2026"])[1],
            "order-pay-link"
        );
        // The raw gateway calls keep their commands.
        assert_eq!(
            routed(&[
                "paydesk",
                "refund",
                "--out-trade-no",
                "A",
                "--amount",
                "1",
                "--out-request-no",
                "R"
            ])[1],
            "refund"
        );
        assert_eq!(routed(&["paydesk", "close", "--trade-no", "T"])[1], "close");
        assert_eq!(
            routed(&[
                "paydesk",
                "pay-link",
                "--out-trade-no",
                "A",
                "--amount",
                "1",
                "--subject",
                "s"
            ])[1],
            "pay-link"
        );
        // A flag value that looks like a command is not taken for one.
        assert_eq!(
            routed(&["paydesk", "--profile", "refund", "orders"])[3],
            "orders"
        );
        assert_eq!(routed(&["paydesk"]), vec!["paydesk"]);
    }
}
