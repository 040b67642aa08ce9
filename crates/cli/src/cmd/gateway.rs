//! `paydesk query | refund | refund-query | close | bill`: server calls against the profile's
//! gateway through `alipay::client::GatewayClient`.
//!
//! Exit 1 for a business refusal, an unknown outcome, a transport failure or a bad signature on
//! the answer; exit 2 for settings and usage errors. An unknown outcome is never reported as a
//! failure: the call may have taken effect, so the message says to query again.

use std::path::PathBuf;
use std::sync::Arc;

use alipay::client::{GatewayClient, GatewayError, RefundRequest, TransportKind};
use alipay::{Amount, SignType, SystemClock, TradeRef};
use clap::Args;
use serde::Serialize;

use crate::cmd::parse_sign_type;
use crate::ctx::Ctx;
use crate::exit::{CmdResult, Exit, Failure};
use crate::output;
use crate::profile::{Overrides, ProfileKind};
use paydesk_core::confirm::Guarded;

/// Where and as whom to call; every flag defaults to the profile.
#[derive(Debug, Args)]
pub struct ConnArgs {
    /// Gateway URL [default: the profile's gateway; env PAYDESK_GATEWAY]
    #[arg(long, value_name = "URL")]
    gateway: Option<String>,
    /// The app's APPID [default: the profile's app_id; env PAYDESK_APP_ID]
    #[arg(long, value_name = "ID")]
    app_id: Option<String>,
    /// App private key [default: the profile's app_private_key; env PAYDESK_APP_PRIVATE_KEY]
    #[arg(long, value_name = "FILE")]
    private_key: Option<PathBuf>,
    /// Alipay's public key, to verify answers [default: the profile's alipay_public_key or
    /// alipay_cert; env PAYDESK_ALIPAY_PUBLIC_KEY]
    #[arg(long, value_name = "FILE")]
    alipay_public_key: Option<PathBuf>,
    /// RSA2 or the legacy RSA [default: the profile's sign_type, else RSA2]
    #[arg(long, value_name = "TYPE", value_parser = parse_sign_type)]
    sign_type: Option<SignType>,
    /// Whole-request timeout in seconds [default: the profile's timeout_secs, else 15]
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=600))]
    timeout_secs: Option<u64>,
}

/// `--out-trade-no N | --trade-no T`: exactly one.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct TradeArgs {
    /// The platform's order number
    #[arg(long, value_name = "N")]
    out_trade_no: Option<String>,
    /// Alipay's 28-digit trade number
    #[arg(long, value_name = "T")]
    trade_no: Option<String>,
}

impl TradeArgs {
    fn to_ref(&self) -> Result<TradeRef, Failure> {
        let r = match (&self.out_trade_no, &self.trade_no) {
            (Some(n), _) => TradeRef::OutTradeNo(n.clone()),
            (None, Some(t)) => TradeRef::TradeNo(t.clone()),
            (None, None) => return Err(Failure::usage("give --out-trade-no N or --trade-no T")),
        };
        r.validate().map_err(|e| Failure::usage(e.to_string()))?;
        Ok(r)
    }
}

#[derive(Debug, Args)]
#[command(after_help = "Example:
  paydesk --profile sandbox query --out-trade-no 20261124000001

Only TRADE_SUCCESS and TRADE_FINISHED mean paid. Before the buyer opens the cashier the trade
does not exist at Alipay (ACQ.TRADE_NOT_EXIST).")]
pub struct QueryArgs {
    #[command(flatten)]
    trade: TradeArgs,
    #[command(flatten)]
    conn: ConnArgs,
}

#[derive(Debug, Args)]
#[command(after_help = "Example:
  paydesk --profile sandbox refund-query --out-trade-no 20261124000001 --out-request-no 20261124000001-R1

Only refund_status REFUND_SUCCESS means refunded; ask at least 10 s after the refund.")]
pub struct RefundQueryArgs {
    #[command(flatten)]
    trade: TradeArgs,
    /// The out_request_no the refund was made with
    #[arg(long, value_name = "R")]
    out_request_no: String,
    #[command(flatten)]
    conn: ConnArgs,
}

#[derive(Debug, Args)]
#[command(after_help = "Example:
  paydesk --profile sandbox bill --date 2026-11-23 --out bills/2026-11-23.zip

The download URL Alipay returns is valid for 30 s; the file is fetched at once.")]
pub struct BillArgs {
    /// yyyy-MM-dd (yesterday or earlier) or yyyy-MM (last month or earlier)
    #[arg(long, value_name = "DATE")]
    date: String,
    /// trade (the trade bill) or signcustomer (the account bill)
    #[arg(long = "type", value_name = "TYPE", default_value = "trade")]
    bill_type: String,
    /// Where to write the zip [default: alipay_bill_<type>_<date>.zip]
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    #[command(flatten)]
    conn: ConnArgs,
}

impl ConnArgs {
    /// The first connection flag given, if any: the order-level forms take the profile's
    /// gateway and say so rather than ignoring a flag.
    pub fn first_given(&self) -> Option<&'static str> {
        [
            (self.gateway.is_some(), "--gateway"),
            (self.app_id.is_some(), "--app-id"),
            (self.private_key.is_some(), "--private-key"),
            (self.alipay_public_key.is_some(), "--alipay-public-key"),
            (self.sign_type.is_some(), "--sign-type"),
            (self.timeout_secs.is_some(), "--timeout-secs"),
        ]
        .into_iter()
        .find_map(|(set, flag)| set.then_some(flag))
    }
}

/// The trade of a verb's raw gateway form (`--out-trade-no` beats `--trade-no`), if given.
pub fn trade_ref(out_trade_no: &Option<String>, trade_no: &Option<String>) -> Option<TradeRef> {
    match (out_trade_no, trade_no) {
        (Some(n), _) => Some(TradeRef::OutTradeNo(n.clone())),
        (None, Some(t)) => Some(TradeRef::TradeNo(t.clone())),
        (None, None) => None,
    }
}

/// Refuses connection flags on a verb's ORDER form, which goes through the profile's gateway.
pub fn order_form_only(conn: &ConnArgs, verb: &str) -> Result<(), Failure> {
    match conn.first_given() {
        None => Ok(()),
        Some(flag) => Err(Failure::usage(format!(
            "{flag} applies to the raw gateway form (--out-trade-no/--trade-no); an ORDER is \
             {verb} through the profile's own gateway"
        ))),
    }
}

pub fn parse_amount(s: &str) -> Result<Amount, String> {
    s.parse::<Amount>().map_err(|e| e.to_string())
}

struct Client {
    client: GatewayClient,
    rt: tokio::runtime::Runtime,
    kind: ProfileKind,
    profile: String,
}

fn connect(ctx: &Ctx, c: &ConnArgs) -> Result<Client, Failure> {
    let r = ctx.resolve(&Overrides {
        gateway: c.gateway.clone(),
        app_id: c.app_id.clone(),
        app_private_key: c.private_key.clone(),
        alipay_public_key: c.alipay_public_key.clone(),
        sign_type: c.sign_type.map(|s| s.to_string()),
        timeout_secs: c.timeout_secs,
        ..Overrides::default()
    })?;
    let (client, _, _) = paydesk_core::desk_open::gateway_client(&r, Arc::new(SystemClock))
        .map_err(Failure::from)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("cannot start the async runtime: {e}")))?;
    Ok(Client {
        client,
        rt,
        kind: r.profile.kind,
        profile: r.name,
    })
}

/// On a production profile the trade is named a second time, `--confirm <N|T>`, as the
/// order-level commands ask for the order number: a bare `--yes` is too easily carried over from
/// shell history onto the wrong trade.
fn confirm_production(
    c: &Client,
    trade: &TradeRef,
    given: Option<&str>,
    action: Guarded,
) -> Result<(), Failure> {
    let expected = match trade {
        TradeRef::OutTradeNo(n) => n.as_str(),
        TradeRef::TradeNo(t) => t.as_str(),
    };
    paydesk_core::confirm::check(c.kind, &c.profile, action, given, expected)
        .map_err(|r| Failure::from(paydesk_core::ops::OpsError::Confirmation(r)))
}

/// What Alipay's common refusals mean for the person at the terminal.
fn sub_code_advice(sub_code: &str) -> Option<&'static str> {
    Some(match sub_code {
        "ACQ.TRADE_NOT_EXIST" => {
            "Alipay has no such trade: it exists only once the buyer has opened the cashier; check the number and the profile (sandbox vs production)"
        }
        "ACQ.SYSTEM_ERROR" => "Alipay's system error: the outcome is unknown, query again",
        "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL" => "a partial refund needs an out_request_no",
        "ACQ.REASON_TRADE_REFUND_FEE_ERR" => {
            "the refund is more than what is left to refund on this trade"
        }
        "ACQ.DISCORDANT_REPEAT_REQUEST" => {
            "this out_request_no was already used with other parameters: a new refund needs a new --out-request-no; a retry must repeat the original amount"
        }
        "ACQ.TRADE_NOT_ALLOW_REFUND" => "the trade cannot be refunded (unpaid, closed or finished)",
        "ACQ.SELLER_BALANCE_NOT_ENOUGH" => {
            "the merchant account balance is too low for this refund"
        }
        "ACQ.TRADE_STATUS_ERROR" => {
            "the trade is not in a state that allows this (only WAIT_BUYER_PAY trades can be closed)"
        }
        "isp.bill_not_exist" => "there is no bill for that date (no transactions, or too recent)",
        "isv.invalid-signature" => {
            "the gateway rejected our signature: check that app_private_key belongs to app_id and that the app public key in the console is its pair (the sub_msg shows the string the gateway checked)"
        }
        "isv.invalid-app-id" => {
            "the app_id is unknown to this gateway (sandbox and production app ids differ)"
        }
        "isv.invalid-timestamp" => "the gateway rejected the timestamp: check the machine's clock",
        _ => return None,
    })
}

fn gateway_failure(e: &GatewayError) -> Failure {
    let (exit, kind, details) = match e {
        GatewayError::Business {
            method,
            code,
            msg,
            sub_code,
            sub_msg,
            signed,
        } => (
            Exit::Negative,
            "business",
            serde_json::json!({
                "method": method, "code": code, "msg": msg, "sub_code": sub_code,
                "sub_msg": sub_msg, "signed": signed,
            }),
        ),
        GatewayError::UnknownOutcome { method, detail } => (
            Exit::Negative,
            "unknown_outcome",
            serde_json::json!({ "method": method, "detail": detail }),
        ),
        GatewayError::Transport { kind, detail } => (
            Exit::Negative,
            "transport",
            serde_json::json!({ "transport": kind, "detail": detail }),
        ),
        GatewayError::Signature(r) => (
            Exit::Negative,
            "signature",
            serde_json::json!({ "detail": r.to_string() }),
        ),
        GatewayError::BadResponse { method, detail } => (
            Exit::Negative,
            "bad_response",
            serde_json::json!({ "method": method, "detail": detail }),
        ),
        GatewayError::InvalidRequest(_) => (Exit::Usage, "usage", serde_json::Value::Null),
        GatewayError::Config(_) => (Exit::Usage, "config", serde_json::Value::Null),
    };
    let mut message = match e {
        GatewayError::UnknownOutcome { .. } => {
            format!("UNKNOWN OUTCOME — query again, never assume failure: {e}")
        }
        GatewayError::Transport { .. } => format!("transport: {e}"),
        GatewayError::Signature(_) => format!("signature: {e}"),
        GatewayError::Business { signed: false, .. } => {
            format!("{e} (this refusal was NOT signed by Alipay: do not act on it, query again)")
        }
        _ => e.to_string(),
    };
    if let Some(advice) = e.sub_code().and_then(sub_code_advice) {
        message.push_str(&format!("\n  → {advice}"));
    }
    Failure {
        exit,
        kind,
        message,
        details: (!details.is_null()).then_some(details),
    }
}

/// A transport failure after a request that moves money leaves its outcome unknown too.
fn money_call_failure(e: &GatewayError, retry: &str) -> Failure {
    let mut f = gateway_failure(e);
    // Could not connect at all: nothing was sent, so nothing can have happened.
    let never_sent = matches!(
        e,
        GatewayError::Transport {
            kind: TransportKind::Connect,
            ..
        }
    );
    if e.outcome_unknown() && !never_sent {
        if f.kind == "transport" {
            f.message = format!(
                "UNKNOWN OUTCOME — the request may have reached Alipay: {}",
                f.message
            );
        }
        f.message.push_str(&format!("\n  → {retry}"));
    }
    f
}

fn status_note(paid: bool) -> &'static str {
    if paid { "(paid)" } else { "(not paid)" }
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref()
        .map(ToString::to_string)
        .unwrap_or_else(|| "-".into())
}

pub fn query(ctx: &Ctx, a: QueryArgs) -> CmdResult {
    let by = a.trade.to_ref()?;
    let c = connect(ctx, &a.conn)?;
    let q =
        c.rt.block_on(c.client.query(by))
            .map_err(|e| gateway_failure(&e))?;
    if ctx.json {
        output::json(&q);
    } else {
        output::rows(&[
            ("out_trade_no", q.out_trade_no.clone()),
            ("trade_no", q.trade_no.clone()),
            (
                "trade_status",
                format!(
                    "{} {}",
                    q.trade_status.as_str(),
                    status_note(q.trade_status.is_paid())
                ),
            ),
            ("total_amount", q.total_amount.to_string()),
            ("buyer_pay_amount", opt(&q.buyer_pay_amount)),
            ("receipt_amount", opt(&q.receipt_amount)),
            ("send_pay_date", opt(&q.send_pay_date)),
            ("buyer_logon_id", opt(&q.buyer_logon_id)),
        ]);
    }
    Ok(Exit::Ok)
}

/// The raw `alipay.trade.refund` of `paydesk refund --out-trade-no …` (see `cmd::refund`).
pub struct TradeRefund {
    pub by: TradeRef,
    pub amount: Amount,
    pub out_request_no: String,
    pub reason: Option<String>,
    pub confirm: Option<String>,
}

pub fn refund_trade(ctx: &Ctx, conn: &ConnArgs, a: TradeRefund) -> CmdResult {
    a.by.validate().map_err(|e| Failure::usage(e.to_string()))?;
    let c = connect(ctx, conn)?;
    confirm_production(&c, &a.by, a.confirm.as_deref(), Guarded::Refund)?;
    let mut req = RefundRequest::new(a.by, a.amount, a.out_request_no.clone());
    req.refund_reason = a.reason;
    let retry = format!(
        "run refund-query --out-request-no {0}, or repeat this refund with the SAME --out-request-no {0} (it cannot refund twice)",
        a.out_request_no
    );
    let r =
        c.rt.block_on(c.client.refund(&req))
            .map_err(|e| money_call_failure(&e, &retry))?;
    if ctx.json {
        output::json(&r);
    } else {
        output::rows(&[
            ("out_trade_no", r.out_trade_no.clone()),
            ("trade_no", r.trade_no.clone()),
            ("out_request_no", r.out_request_no.clone()),
            (
                "fund_change",
                match (r.fund_change, r.attempts > 1) {
                    (true, _) => "Y (money moved now)".to_string(),
                    // The client resent the same request after an unknown outcome: an N here
                    // may well mean the earlier attempt moved the money.
                    (false, true) => "N (answer to a retry: the earlier attempt may have moved the money; refund_fee is the total)".to_string(),
                    (false, false) => "N (nothing moved by this call: a repeat of a refund already made)".to_string(),
                },
            ),
            (
                "refund_fee",
                format!("{} (cumulative for the trade)", r.refund_fee),
            ),
            ("gmt_refund_pay", opt(&r.gmt_refund_pay)),
            ("attempts", r.attempts.to_string()),
        ]);
    }
    Ok(Exit::Ok)
}

pub fn refund_query(ctx: &Ctx, a: RefundQueryArgs) -> CmdResult {
    let by = a.trade.to_ref()?;
    let c = connect(ctx, &a.conn)?;
    let q =
        c.rt.block_on(c.client.refund_query(by, &a.out_request_no))
            .map_err(|e| gateway_failure(&e))?;
    if ctx.json {
        output::json(&q);
    } else {
        output::rows(&[
            ("out_trade_no", opt(&q.out_trade_no)),
            ("trade_no", opt(&q.trade_no)),
            ("out_request_no", q.out_request_no.clone()),
            (
                "refund_status",
                match &q.refund_status {
                    Some(s) if q.is_refunded() => format!("{s} (refunded)"),
                    Some(s) => format!("{s} (not refunded)"),
                    None => "- (Alipay knows no successful refund with this out_request_no)".into(),
                },
            ),
            ("refund_amount", opt(&q.refund_amount)),
            ("total_amount", opt(&q.total_amount)),
            ("gmt_refund_pay", opt(&q.gmt_refund_pay)),
        ]);
    }
    Ok(Exit::Ok)
}

/// The raw `alipay.trade.close` of `paydesk close --out-trade-no …` (see `cmd::close`).
pub fn close_trade(ctx: &Ctx, conn: &ConnArgs, by: TradeRef, confirm: Option<&str>) -> CmdResult {
    by.validate().map_err(|e| Failure::usage(e.to_string()))?;
    let c = connect(ctx, conn)?;
    confirm_production(&c, &by, confirm, Guarded::Close)?;
    let r =
        c.rt.block_on(c.client.close(by))
            .map_err(|e| money_call_failure(&e, "query the trade to see whether it was closed"))?;
    if ctx.json {
        output::json(&r);
    } else {
        output::rows(&[
            ("out_trade_no", opt(&r.out_trade_no)),
            ("trade_no", opt(&r.trade_no)),
            ("result", "closed".into()),
        ]);
    }
    Ok(Exit::Ok)
}

#[derive(Serialize)]
struct BillOut {
    bill_type: String,
    bill_date: String,
    file: PathBuf,
    bytes: usize,
    is_zip: bool,
}

pub fn bill(ctx: &Ctx, a: BillArgs) -> CmdResult {
    let c = connect(ctx, &a.conn)?;
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("alipay_bill_{}_{}.zip", a.bill_type, a.date)));
    // The URL expires 30 s after Alipay issues it: fetch it in the same breath, no prompt between.
    let data =
        c.rt.block_on(async {
            let url = c.client.bill_download_url(&a.bill_type, &a.date).await?;
            c.client.download_bill(&url).await
        })
        .map_err(|e| gateway_failure(&e))?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            Failure::input(format!(
                "{}: cannot create the directory: {e}",
                dir.display()
            ))
        })?;
    }
    std::fs::write(&out, &data)
        .map_err(|e| Failure::input(format!("{}: cannot write the bill: {e}", out.display())))?;
    let is_zip = data.starts_with(b"PK\x03\x04");
    if !is_zip {
        output::warn(&format!(
            "{} does not look like a zip file: Alipay's trade bill is a zip of GBK CSV files",
            out.display()
        ));
    }
    let b = BillOut {
        bill_type: a.bill_type,
        bill_date: a.date,
        file: out,
        bytes: data.len(),
        is_zip,
    };
    if ctx.json {
        output::json(&b);
    } else {
        output::rows(&[
            ("bill", format!("{} {}", b.bill_type, b.bill_date)),
            ("file", b.file.display().to_string()),
            ("bytes", b.bytes.to_string()),
        ]);
    }
    Ok(Exit::Ok)
}
