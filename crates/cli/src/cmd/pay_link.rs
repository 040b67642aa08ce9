//! `paydesk pay-link`: a signed `alipay.trade.page.pay` / `wap.pay` link or auto-submitting form,
//! for a platform order (`--order N`, priced and titled from the order) or for any trade given
//! in full (`--out-trade-no`, `--amount`, `--subject`).

use std::path::PathBuf;

use alipay::pay::{PayProduct, PayRequest, pay_form, pay_link, signed_pay_params};
use alipay::{Amount, Clock, FixedClock, SignType, SystemClock};
use clap::Args;
use serde::Serialize;

use crate::cmd::desk::{DbArgs, open_desk, parse_order, print, runtime};
use crate::cmd::parse_sign_type;
use crate::ctx::Ctx;
use crate::exit::{CmdResult, Exit, Failure};
use crate::output;
use crate::profile::Overrides;
use paydesk_core::desk_open;
use paydesk_core::ops::pay_link::{PayLinkRequest, pay_link as order_pay_link};

#[derive(Debug, Args)]
#[command(
    after_help = "For a platform order (amount and subject from the order):
  paydesk pay-link --order 202611240000001200000034
  paydesk pay-link --order id:34 --wap --form > pay.html

For any trade, given in full:
  paydesk pay-link --app-id 9021000000000000 --private-key keys/sandbox/app_private_key.pem \\
      --gateway https://openapi-sandbox.dl.alipaydev.com/gateway.do \\
      --out-trade-no 20261124000001 --amount 1579.00 --subject 'Python full stack' \\
      --return-url https://shop.example/alipay/return
  paydesk --profile sandbox pay-link --out-trade-no A1 --amount 0.01 --subject test --wap --form > pay.html

Prints only the link (or the HTML form) on stdout, so $(paydesk pay-link ...) works in scripts."
)]
pub struct PayLinkArgs {
    /// The app's APPID [default: the profile's app_id; env PAYDESK_APP_ID]
    #[arg(long, value_name = "ID")]
    app_id: Option<String>,
    /// The app private key [default: the profile's app_private_key; env PAYDESK_APP_PRIVATE_KEY]
    #[arg(long, value_name = "FILE")]
    private_key: Option<PathBuf>,
    /// The gateway URL [default: the profile's gateway; env PAYDESK_GATEWAY]
    #[arg(long, value_name = "URL")]
    gateway: Option<String>,
    /// RSA2 or the legacy RSA [default: the profile's sign_type, else RSA2]
    #[arg(long, value_name = "TYPE", value_parser = parse_sign_type)]
    sign_type: Option<SignType>,
    /// A platform order (its number, or id:N): amount, subject and deadline come from it
    #[arg(
        long,
        value_name = "ORDER",
        conflicts_with_all = [
            "out_trade_no", "amount", "subject", "body", "timeout_express", "time_expire",
            "passback_params", "qr_pay_mode", "timestamp", "app_id", "private_key", "gateway",
            "sign_type",
        ]
    )]
    order: Option<String>,
    /// The trade's number (1–64 letters, digits, underscores)
    #[arg(long, value_name = "N", required_unless_present = "order")]
    out_trade_no: Option<String>,
    /// Yuan with at most two decimals, 0.01 – 100000000 (e.g. 1579.00)
    #[arg(long, value_name = "YUAN", value_parser = parse_amount, required_unless_present = "order")]
    amount: Option<Amount>,
    /// The order title the buyer sees (at most 256 characters)
    #[arg(long, value_name = "TEXT", required_unless_present = "order")]
    subject: Option<String>,
    /// Order description (at most 128 characters)
    #[arg(long, value_name = "TEXT")]
    body: Option<String>,
    /// Where the buyer's browser goes after paying
    #[arg(long, value_name = "URL")]
    return_url: Option<String>,
    /// Where Alipay posts the async notify
    #[arg(long, value_name = "URL")]
    notify_url: Option<String>,
    /// Relative payment deadline: 90m, 2h, 1d (1m – 15d) or 1c (until midnight)
    #[arg(long, value_name = "SPAN", conflicts_with = "time_expire")]
    timeout_express: Option<String>,
    /// Absolute payment deadline, "YYYY-MM-DD HH:MM:SS" Beijing time
    #[arg(long, value_name = "TIME")]
    time_expire: Option<String>,
    /// Handed back unchanged in the return URL and notify; give it plain, Paydesk URL-encodes it
    #[arg(long, value_name = "TEXT")]
    passback_params: Option<String>,
    /// PC page pay only: 0–3 embeds the QR code in your page
    #[arg(long, value_name = "MODE")]
    qr_pay_mode: Option<String>,
    /// Sign as of this Beijing time instead of now ("YYYY-MM-DD HH:MM:SS"); for reproducible links
    #[arg(long, value_name = "TIME")]
    timestamp: Option<String>,
    /// Phone cashier (alipay.trade.wap.pay, QUICK_WAP_WAY) instead of the PC one
    #[arg(long)]
    wap: bool,
    /// Print an auto-submitting HTML form (POST) instead of a GET link
    #[arg(long)]
    form: bool,
    #[command(flatten)]
    db: DbArgs,
}

fn parse_amount(s: &str) -> Result<Amount, String> {
    s.parse::<Amount>().map_err(|e| e.to_string())
}

#[derive(Serialize)]
struct PayOut {
    method: &'static str,
    product_code: &'static str,
    gateway: String,
    out_trade_no: String,
    total_amount: Amount,
    timestamp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    link: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    form_html: Option<String>,
    /// Every signed parameter, including `sign`.
    params: std::collections::BTreeMap<String, String>,
    /// The string that was signed.
    content: String,
}

pub fn run(ctx: &Ctx, a: PayLinkArgs) -> CmdResult {
    if let Some(order) = a.order.as_deref() {
        return order_link(ctx, order, &a);
    }
    let (Some(out_trade_no), Some(amount), Some(subject)) =
        (a.out_trade_no.clone(), a.amount, a.subject.clone())
    else {
        return Err(Failure::usage(
            "give --order N for a platform order, or --out-trade-no, --amount and --subject",
        ));
    };
    let r = ctx.resolve(&Overrides {
        app_id: a.app_id.clone(),
        app_private_key: a.private_key.clone(),
        gateway: a.gateway.clone(),
        sign_type: a.sign_type.map(|s| s.to_string()),
        ..Overrides::default()
    })?;
    let gateway = r.require("gateway", &r.profile.gateway)?.to_string();
    let cert = desk_open::cert_mode(&r)?;
    let app = desk_open::app_identity(&r, cert.as_ref())?;

    let product = if a.wap {
        PayProduct::Wap
    } else {
        PayProduct::Page
    };
    let mut req = PayRequest::new(product, out_trade_no, amount, subject);
    req.body = a.body.clone();
    req.return_url = a.return_url.clone();
    req.notify_url = a.notify_url.clone();
    req.timeout_express = a.timeout_express.clone();
    req.time_expire = a.time_expire.clone();
    req.passback_params = a.passback_params.clone();
    req.qr_pay_mode = a.qr_pay_mode.clone();
    req.validate().map_err(|e| Failure::usage(e.to_string()))?;

    // One instant for everything below, so the link and the JSON `params` carry the same
    // timestamp and signature.
    let clock = match &a.timestamp {
        Some(t) => FixedClock::at_beijing(t.trim()).ok_or_else(|| {
            Failure::usage(format!(
                "--timestamp {t:?} is not \"YYYY-MM-DD HH:MM:SS\" (Beijing time), e.g. \"2026-11-24 10:00:00\""
            ))
        })?,
        None => FixedClock::new(SystemClock.now_utc()),
    };
    let pay_err = |e: alipay::pay::PayError| Failure::usage(e.to_string());
    let text = if a.form {
        pay_form(&gateway, &app, &req, &clock).map_err(pay_err)?
    } else {
        pay_link(&gateway, &app, &req, &clock).map_err(pay_err)?
    };
    if !ctx.json {
        // The form is a whole document: print it as is; the link gets its newline.
        if a.form {
            print!("{text}");
        } else {
            output::line(&text);
        }
        return Ok(Exit::Ok);
    }
    let params = signed_pay_params(&app, &req, &clock).map_err(pay_err)?;
    let out = PayOut {
        method: product.method(),
        product_code: product.product_code(),
        gateway,
        out_trade_no: req.out_trade_no.clone(),
        total_amount: req.total_amount,
        timestamp: clock.alipay_timestamp(),
        content: params.canonical(),
        params: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        link: (!a.form).then(|| text.clone()),
        form_html: a.form.then_some(text),
    };
    output::json(&out);
    Ok(Exit::Ok)
}

/// A link for a platform order: the order's own amount, subject and remaining pay time, signed
/// with the profile's gateway.
fn order_link(ctx: &Ctx, order: &str, a: &PayLinkArgs) -> CmdResult {
    let order = parse_order(order)?;
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
        return_url: a.return_url.clone(),
        notify_url: a.notify_url.clone(),
    };
    let r = rt.block_on(order_pay_link(&desk, &req))?;
    // Only the link on stdout, so $(paydesk pay-link --order N) works.
    print(ctx, &r, &r.link);
    Ok(Exit::Ok)
}
