//! `paydesk settle`: a verified return URL or notify, or Alipay's word about an order, settles it.

use clap::Args;
use paydesk_core::confirm::Guarded;
use paydesk_core::ops::settle::{SettleInput, settle_with_reason};

use crate::cmd::desk::{DbArgs, confirm_order, open_desk, parse_order, print, runtime};
use crate::cmd::read_arg_text;
use crate::ctx::Ctx;
use crate::exit::{CmdResult, Exit, Failure};

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
        confirm_order(&desk, &rt, order, a.confirm.as_deref(), Guarded::Settle)?;
    }
    let r = rt
        .block_on(settle_with_reason(&desk, input, a.reason.as_deref()))
        .map_err(Failure::from)?;
    print(ctx, &r, &r.message);
    Ok(if r.flags.is_empty() {
        Exit::Ok
    } else {
        Exit::Negative
    })
}
