//! `paydesk refund` in its two forms, and `paydesk refunds [resume]`.
//!
//! `refund ORDER` refunds a platform order through the refund ledger (recorded before Alipay is
//! called, resumable, never twice). `refund --out-trade-no|--trade-no …` is the raw gateway call
//! for a trade the platform may not know, with the operator's own idempotency key.

use clap::{Args, Subcommand};
use paydesk_core::confirm::Guarded;
use paydesk_core::ops::refund::{list as list_refunds, refund, resume};
use rust_decimal::Decimal;

use crate::cmd::desk::{
    DbArgs, confirm_order, open_desk, parse_money, parse_order, print, progress, runtime,
};
use crate::cmd::gateway::{self, ConnArgs, TradeRefund, parse_amount};
use crate::ctx::Ctx;
use crate::exit::{CmdResult, Exit, Failure};
use crate::output;

#[derive(Debug, Args)]
#[command(after_help = "A platform order (the refund ledger):
  paydesk refund 202611240000001200000034 --amount 100.00 --reason 'one chapter missing'
  paydesk refund id:34 --reason 'customer cancelled'   # all that is left
  paydesk --profile production refund 202611240000001200000034 --reason R \\
      --confirm 202611240000001200000034   # production: type the order number again

The refund is recorded before Alipay is called, with out_request_no <order>R<n>; if the outcome is
unknown, `paydesk refunds resume` resolves it with the same out_request_no (never a second refund).
A full refund revokes the order's courses and gives its credits back, as the refund policy says
(`paydesk policy`).

A raw gateway refund (alipay.trade.refund) of any trade:
  paydesk --profile sandbox refund --out-trade-no 20261124000001 --amount 100.00 \\
      --out-request-no 20261124000001-R1 --reason 'course cancelled'

--out-request-no is that refund's idempotency key: a new one for each refund of a trade, the SAME
one to retry a refund whose outcome is unknown (Alipay then answers with the refund already made,
fund_change N, instead of refunding twice). Refunds of one trade must be at least 3 s apart.")]
pub struct RefundArgs {
    /// The platform order: its number, or id:N
    #[arg(
        value_name = "ORDER",
        required_unless_present_any = ["out_trade_no", "trade_no"],
        conflicts_with_all = ["out_trade_no", "trade_no", "out_request_no"]
    )]
    order: Option<String>,
    /// Raw gateway form: the trade by the platform's order number
    #[arg(long, value_name = "N", conflicts_with = "trade_no")]
    out_trade_no: Option<String>,
    /// Raw gateway form: the trade by Alipay's 28-digit trade number
    #[arg(long, value_name = "T")]
    trade_no: Option<String>,
    /// Yuan, at most two decimals [ORDER form: default all that is left; gateway form: required]
    #[arg(long, value_name = "YUAN")]
    amount: Option<String>,
    /// Raw gateway form: this refund's idempotency key (reuse it only to retry the same refund)
    #[arg(long, value_name = "R")]
    out_request_no: Option<String>,
    /// Refund reason, shown to the buyer [required for an ORDER]
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

pub fn run(ctx: &Ctx, a: RefundArgs) -> CmdResult {
    let by = gateway::trade_ref(&a.out_trade_no, &a.trade_no);
    match (a.order.as_deref(), by) {
        (Some(order), _) => refund_order(ctx, order, &a),
        (None, Some(by)) => {
            let amount = a.amount.as_deref().ok_or_else(|| {
                Failure::usage("a gateway refund needs --amount YUAN (the refund of this call)")
            })?;
            let out_request_no = a.out_request_no.clone().ok_or_else(|| {
                Failure::usage(
                    "a gateway refund needs --out-request-no R, its idempotency key: a new one \
                     for a new refund, the same one to retry",
                )
            })?;
            gateway::refund_trade(
                ctx,
                &a.conn,
                TradeRefund {
                    by,
                    amount: parse_amount(amount).map_err(Failure::usage)?,
                    out_request_no,
                    reason: a.reason.clone(),
                    confirm: a.confirm.clone(),
                },
            )
        }
        (None, None) => Err(Failure::usage(
            "give the ORDER to refund (its number or id:N), or --out-trade-no/--trade-no for a \
             raw gateway refund",
        )),
    }
}

fn refund_order(ctx: &Ctx, order: &str, a: &RefundArgs) -> CmdResult {
    gateway::order_form_only(&a.conn, "refunded")?;
    let order = parse_order(order)?;
    let amount: Option<Decimal> = a
        .amount
        .as_deref()
        .map(parse_money)
        .transpose()
        .map_err(|e| Failure::usage(format!("--amount: {e}")))?;
    let reason = a.reason.as_deref().unwrap_or_default();
    let rt = runtime()?;
    let desk = open_desk(ctx, &a.db, true, &rt)?;
    confirm_order(&desk, &rt, &order, a.confirm.as_deref(), Guarded::Refund)?;
    let r = rt.block_on(refund(&desk, &order, amount, reason))?;
    print(ctx, &r, &r.message);
    Ok(Exit::Ok)
}

#[derive(Debug, Args)]
pub struct RefundsArgs {
    #[command(subcommand)]
    action: Option<RefundsAction>,
    /// The refunds of this order (default: every unresolved refund)
    #[arg(long, value_name = "ORDER")]
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

pub fn refunds(ctx: &Ctx, a: RefundsArgs) -> CmdResult {
    let rt = runtime()?;
    match a.action {
        None => {
            let order = a.order.as_deref().map(parse_order).transpose()?;
            let desk = open_desk(ctx, &a.db, false, &rt)?;
            let rows = rt.block_on(list_refunds(&desk, order.as_ref()))?;
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
            desk.confirm(Guarded::ResumeRefunds, confirm.as_deref(), "RESUME")?;
            let r = rt.block_on(resume(&desk, progress(ctx)))?;
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
