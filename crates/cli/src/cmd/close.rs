//! `paydesk close` in its two forms, and `paydesk expire`.
//!
//! `close ORDER` cancels an unpaid platform order (Alipay's trade closed first, credits and
//! coupon given back). `close --out-trade-no|--trade-no` is the raw gateway call alone.

use clap::Args;
use paydesk_core::confirm::Guarded;
use paydesk_core::ops::close::{Expired, close, expire};

use crate::cmd::desk::{DbArgs, confirm_order, open_desk, parse_order, print, progress, runtime};
use crate::cmd::gateway::{self, ConnArgs};
use crate::ctx::Ctx;
use crate::exit::{CmdResult, Exit, Failure};
use crate::output;

#[derive(Debug, Args)]
#[command(after_help = "A platform order:
  paydesk close 202611240000001200000034 --reason 'customer asked to cancel'
  paydesk --profile production close id:34 --reason R --confirm 202611240000001200000034

Alipay's trade is closed first (a paid one is refused: settle or refund it instead); then the
order becomes 已取消 (2) and its credits and coupon go back to the customer.

A raw gateway close (alipay.trade.close) of any trade:
  paydesk --profile sandbox close --out-trade-no 20261124000001

Only unpaid (WAIT_BUYER_PAY) trades can be closed.")]
pub struct CloseArgs {
    /// The platform order: its number, or id:N
    #[arg(
        value_name = "ORDER",
        required_unless_present_any = ["out_trade_no", "trade_no"],
        conflicts_with_all = ["out_trade_no", "trade_no"]
    )]
    order: Option<String>,
    /// Raw gateway form: the trade by the platform's order number
    #[arg(long, value_name = "N", conflicts_with = "trade_no")]
    out_trade_no: Option<String>,
    /// Raw gateway form: the trade by Alipay's 28-digit trade number
    #[arg(long, value_name = "T")]
    trade_no: Option<String>,
    /// Why (kept in the audit log) [required for an ORDER]
    #[arg(long, value_name = "TEXT", required_unless_present_any = ["out_trade_no", "trade_no"])]
    reason: Option<String>,
    /// On a production profile: the order (or trade) number again
    #[arg(long, value_name = "NUMBER")]
    confirm: Option<String>,
    #[command(flatten)]
    conn: ConnArgs,
    #[command(flatten)]
    db: DbArgs,
}

pub fn run(ctx: &Ctx, a: CloseArgs) -> CmdResult {
    let by = gateway::trade_ref(&a.out_trade_no, &a.trade_no);
    let Some(order) = a.order.as_deref() else {
        return match by {
            Some(by) => gateway::close_trade(ctx, &a.conn, by, a.confirm.as_deref()),
            None => Err(Failure::usage(
                "give the ORDER to close (its number or id:N), or --out-trade-no/--trade-no for \
                 a raw gateway close",
            )),
        };
    };
    gateway::order_form_only(&a.conn, "closed")?;
    let order = parse_order(order)?;
    let rt = runtime()?;
    let desk = open_desk(ctx, &a.db, true, &rt)?;
    confirm_order(&desk, &rt, &order, a.confirm.as_deref(), Guarded::Close)?;
    let r = rt.block_on(close(
        &desk,
        &order,
        a.reason.as_deref().unwrap_or_default(),
    ))?;
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
    desk.confirm(Guarded::Expire, a.confirm.as_deref(), "EXPIRE")?;
    let r = rt.block_on(expire(&desk, progress(ctx)))?;
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
