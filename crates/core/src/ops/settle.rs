//! Verify and settle: from a return URL, a notify body, or just an order number (query only).
//!
//! Order of checks, cheapest and most telling first, none of which writes anything:
//! signature (Alipay's public key) → app_id and seller_id of this profile → the order exists
//! and is unique → total_amount equals the order's real_price → `alipay.trade.query` says
//! TRADE_SUCCESS/TRADE_FINISHED for the same amount (a return URL is only informational; the
//! query is what proves the money). Only then one transaction makes the guarded transition.
//!
//! The gateway is never called while a row lock is held: a slow gateway must not block the
//! order for everyone else.
//!
//! **Paid after it was cancelled or timed out** (status 2/3, Alipay says paid). The money is
//! real and the customer paid exactly what the order asked, so Paydesk settles it (2/3 → 1,
//! grants, pay_time) rather than leaving a paid customer without the course. What the
//! cancellation gave back is taken again when it still can be: the credits (re-deducted only if
//! the balance covers them, with a ledger row) and the coupon (re-used only if still unused and
//! not bound to another order). Whatever cannot be taken back is *flagged*: the audit row gets
//! action `settle_late`, outcome `flagged`, and a detail naming the shortfall, so finance can
//! decide between accepting it and refunding the difference. A late settle that took everything
//! back is `settle_late` / `ok`.
//!
//! **Refusals on record.** Every refused settle writes one audit row (action `settle`, outcome
//! `refused`, or `error` when the gateway or the store failed) that changes nothing else: `reason`
//! is the short cause (`total_amount mismatch`, `not paid`, `unverified callback: signature_mismatch`
//! …), `detail` the specifics (`total_amount 0.01 ≠ real_price 599.00; via notify`) and, for a
//! settle by hand, the operator's reason. The row names the order (order_id, order_number,
//! user_id, the row as `before`) whenever the input names one that exists. For a callback that does
//! not verify, the claimed out_trade_no is used for that read-only lookup and nothing else; the
//! detail says the claims were unverified, and an unknown claimed number stays in the detail only.
//!
//! Ledger sign convention for rows Paydesk writes: `number` is the change of the user's balance
//! (spent negative, returned positive), `remark` names the order. A purchase row (operation 1)
//! is written once per order: at test-order creation by Paydesk, else at settlement.

use alipay::client::TradeQuery;
use alipay::{CallbackKind, TradeRef, VerifiedCallback, parse_callback, verify_callback};
use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use serde::Serialize;

use super::{
    OpsError, OpsResult, OrderRef, Outcome, credit_remark, find_order, json, lock_order,
    status_phrase,
};
use crate::db::Tx;
use crate::desk::Desk;
use crate::domain::{CreditOperation, OrderNumber, OrderStatus, UseStatus};
use crate::queries::{self, credits::NewCredit, grants::NewGrant};
use crate::rows::{CouponLogRow, OrderRow};

/// What to settle from.
#[derive(Debug, Clone)]
pub enum SettleInput {
    /// A return URL (whole URL or query) or a notify body, as pasted.
    Callback(String),
    /// Ask Alipay about this order (a missed notify).
    Order(OrderRef),
}

impl SettleInput {
    /// A pasted text: an order reference when it looks like one, else a callback.
    pub fn parse(text: &str) -> SettleInput {
        let t = text.trim();
        if !t.is_empty()
            && (t.bytes().all(|b| b.is_ascii_digit()) || t.starts_with("id:"))
            && let Ok(r) = t.parse()
        {
            return SettleInput::Order(r);
        }
        SettleInput::Callback(text.to_string())
    }
}

/// How the payment was learnt of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    ReturnUrl,
    Notify,
    Callback,
    Query,
    Expire,
}

impl Via {
    fn of(kind: CallbackKind) -> Via {
        match kind {
            CallbackKind::Return => Via::ReturnUrl,
            CallbackKind::Notify => Via::Notify,
            CallbackKind::Unknown => Via::Callback,
        }
    }
    fn as_str(self) -> &'static str {
        match self {
            Via::ReturnUrl => "return_url",
            Via::Notify => "notify",
            Via::Callback => "callback",
            Via::Query => "query",
            Via::Expire => "expire",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SettleReport {
    pub outcome: Outcome,
    pub order_id: i64,
    pub order_number: String,
    pub status_before: OrderStatus,
    pub status_after: OrderStatus,
    pub via: Via,
    pub trade_no: Option<String>,
    pub paid_amount: Option<Decimal>,
    pub pay_time: Option<NaiveDateTime>,
    /// The order had been cancelled or had timed out before the payment was settled.
    pub late: bool,
    pub grants_created: Vec<i64>,
    pub credit_row: Option<i64>,
    pub coupon_logs_used: Vec<i64>,
    /// Coupons a late settle used again, removed from the site's Redis (or why not).
    pub coupon_redis: crate::coupon_redis::RedisWriteBack,
    /// What a late settle could not take back; finance decides (see the module docs).
    pub flags: Vec<String>,
    pub message: String,
}

/// Alipay's word that the order is paid.
#[derive(Debug, Clone)]
pub struct Confirmed {
    pub trade_no: String,
    pub amount: Decimal,
    pub pay_time: Option<NaiveDateTime>,
    pub trade_status: String,
}

impl Confirmed {
    pub fn from_query(q: &TradeQuery) -> Self {
        Confirmed {
            trade_no: q.trade_no.clone(),
            amount: q.total_amount,
            pay_time: q.send_pay_date,
            trade_status: q.trade_status.as_str().to_string(),
        }
    }
}

pub async fn settle(desk: &Desk, input: SettleInput) -> OpsResult<SettleReport> {
    settle_with_reason(desk, input, None).await
}

/// [`settle`], with the operator's reason for settling by hand: kept on every audit row the
/// settle writes (in `reason` when it settles, in the detail of a refusal, whose `reason` is the
/// cause). Blank means none.
pub async fn settle_with_reason(
    desk: &Desk,
    input: SettleInput,
    reason: Option<&str>,
) -> OpsResult<SettleReport> {
    let gw = desk.gateway()?;
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    let (order_ref, cb) = match input {
        SettleInput::Order(r) => (r, None),
        SettleInput::Callback(text) => {
            let cb = match verify_callback(&text, gw.alipay_public_key()) {
                Ok(cb) => cb,
                Err(e) => {
                    let e = OpsError::from(e);
                    refuse_unverified(desk, &text, reason, &e).await;
                    return Err(e);
                }
            };
            let trail = Trail {
                via: Via::of(cb.kind()),
                reason,
            };
            let claimed = cb.out_trade_no().unwrap_or_default().to_string();
            if let Err(e) = check_identity(desk, &cb) {
                // Signed by Alipay, but for another app or merchant: the order it names (if it is
                // one of ours) is still what the refusal is about.
                let found = order_named(desk, &claimed).await;
                let about = found.as_ref().map_or(About::Named(&claimed), About::Order);
                let cause = match &e {
                    OpsError::InvalidInput(_) => Some("profile has no seller_id"),
                    _ => None,
                };
                trail.refuse(desk, about, &e, cause, None).await;
                return Err(e);
            }
            match OrderNumber::parse(&claimed) {
                Ok(n) => (OrderRef::Number(n), Some(cb)),
                Err(e) => {
                    let e = OpsError::from(e);
                    let cause = Some("invalid out_trade_no");
                    trail
                        .refuse(desk, About::Named(&claimed), &e, cause, None)
                        .await;
                    return Err(e);
                }
            }
        }
    };
    let trail = Trail {
        via: cb.as_ref().map_or(Via::Query, |c| Via::of(c.kind())),
        reason,
    };

    let order = {
        let mut tx = desk.store.begin_read().await?;
        let found = find_order(&mut tx, &order_ref).await;
        tx.rollback().await?;
        match found {
            Ok(o) => o,
            Err(e) => {
                let named = order_ref.to_string();
                let about = match &order_ref {
                    OrderRef::Number(_) => About::Named(&named),
                    // `id:N` is not an order number: the detail names it.
                    OrderRef::Id(_) => About::Nothing,
                };
                let cause = match &e {
                    OpsError::Refused(_) => Some("ambiguous order number"),
                    _ => None,
                };
                trail.refuse(desk, about, &e, cause, None).await;
                return Err(e);
            }
        }
    };

    if let Some(cb) = &cb {
        let claimed = cb.total_amount();
        if claimed != Some(order.real_price) {
            let e = OpsError::Mismatch {
                field: "total_amount",
                expected: order.real_price.to_string(),
                got: claimed.map_or("(none)".into(), |d| d.to_string()),
            };
            trail
                .refuse(desk, About::Order(&order), &e, None, None)
                .await;
            return Err(e);
        }
        if let Some(st) = cb.trade_status()
            && !st.is_paid()
            && order.order_status != OrderStatus::Paid
        {
            let e = OpsError::NotPaid {
                order_number: order.order_number.clone(),
                status: st.as_str().to_string(),
            };
            let specifics = format!("the callback's trade_status is {}", st.as_str());
            trail
                .refuse(desk, About::Order(&order), &e, None, Some(specifics))
                .await;
            return Err(e);
        }
    }

    match order.order_status {
        OrderStatus::Paid => return noop_paid(desk, &order, trail).await,
        OrderStatus::Unknown(n) => {
            let e = OpsError::Refused(format!(
                "order {} is in status {n}, which Paydesk does not know: settle it by hand",
                order.order_number
            ));
            let cause = Some("unknown order status");
            trail
                .refuse(desk, About::Order(&order), &e, cause, None)
                .await;
            return Err(e);
        }
        OrderStatus::Unpaid | OrderStatus::Cancelled | OrderStatus::TimedOut => {}
    }

    let q = match gw
        .client
        .query(TradeRef::OutTradeNo(order.order_number.clone()))
        .await
    {
        Ok(q) => q,
        Err(e) => {
            let e = if e.is_trade_not_exist() {
                OpsError::NotPaid {
                    order_number: order.order_number.clone(),
                    status: "TRADE_NOT_EXIST".into(),
                }
            } else {
                OpsError::from(e)
            };
            trail
                .refuse(desk, About::Order(&order), &e, None, None)
                .await;
            return Err(e);
        }
    };
    if let Err(e) = check_query(&order, &q, cb.as_ref()) {
        trail
            .refuse(desk, About::Order(&order), &e, None, None)
            .await;
        return Err(e);
    }
    let mut confirmed = Confirmed::from_query(&q);
    if let Some(t) = cb.as_ref().and_then(VerifiedCallback::gmt_payment) {
        confirmed.pay_time = Some(t);
    }
    apply(desk, order.id, &confirmed, trail).await
}

/// A callback that does not verify: on record with the order it claims, when that order exists.
/// Its fields are the sender's claims: the out_trade_no only finds the order, read-only.
async fn refuse_unverified(desk: &Desk, text: &str, reason: Option<&str>, e: &OpsError) {
    let parsed = parse_callback(text).ok();
    let claim = |k: &str| {
        parsed
            .as_ref()
            .and_then(|c| c.get(k))
            .filter(|v| !v.is_empty())
    };
    let trail = Trail {
        via: parsed.as_ref().map_or(Via::Callback, |c| Via::of(c.kind())),
        reason,
    };
    let found = match claim("out_trade_no") {
        Some(n) => order_named(desk, n).await,
        None => None,
    };
    let claims: Vec<String> = ["out_trade_no", "total_amount", "trade_status", "app_id"]
        .into_iter()
        .filter_map(|k| claim(k).map(|v| format!("claimed {k} {}", clip(v))))
        .collect();
    let (_, cb) = cause_of(e);
    let note = match (claim("out_trade_no").is_some(), found.is_some()) {
        (false, _) => "unverified, and naming no order",
        (true, true) => "unverified, used only to find the order",
        (true, false) => {
            "unverified, used only to look for the order (no single order has that number)"
        }
    };
    let mut specifics = format!("{cb}; {note}");
    if !claims.is_empty() {
        specifics.push_str(&format!(": {}", claims.join(", ")));
    }
    let about = found.as_ref().map_or(About::Nothing, About::Order);
    trail.refuse(desk, about, e, None, Some(specifics)).await;
}

/// The order a callback names, read-only, for the audit row of a refusal; `None` when the number
/// is not one of ours or names no order or several. A failed read only costs the row its link.
async fn order_named(desk: &Desk, number: &str) -> Option<OrderRow> {
    let n = OrderNumber::parse(number).ok()?;
    let found = async {
        let mut tx = desk.store.begin_read().await?;
        let found = find_order(&mut tx, &OrderRef::Number(n)).await;
        tx.rollback().await?;
        found
    }
    .await;
    match found {
        Ok(o) => Some(o),
        Err(OpsError::NotFound { .. } | OpsError::Refused(_)) => None,
        Err(e) => {
            tracing::warn!(error = %e, "could not look up the order a refused settle names");
            None
        }
    }
}

/// At most 64 characters of a claimed value, control characters replaced: an audit row shows
/// what was claimed without letting the sender lay out the row.
fn clip(s: &str) -> String {
    s.chars()
        .take(64)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// How a settle came about, for its audit rows: the channel, and the operator's reason.
#[derive(Debug, Clone, Copy)]
struct Trail<'a> {
    via: Via,
    reason: Option<&'a str>,
}

/// What a refusal's audit row is about.
#[derive(Clone, Copy)]
enum About<'a> {
    /// An order read from the store.
    Order(&'a OrderRow),
    /// A number the (verified) input named that matches no single order.
    Named(&'a str),
    Nothing,
}

impl Trail<'_> {
    /// Records a refused settle (nothing was changed): `reason` the short cause (`cause`, or the
    /// error's), `detail` the specifics (`specifics`, or the error's), the channel and the
    /// operator's reason.
    async fn refuse(
        &self,
        desk: &Desk,
        about: About<'_>,
        e: &OpsError,
        cause: Option<&str>,
        specifics: Option<String>,
    ) {
        let outcome = match e {
            OpsError::UnknownOutcome(_) | OpsError::Gateway(_) | OpsError::Store(_) => "error",
            _ => "refused",
        };
        let (default_cause, default_specifics) = cause_of(e);
        let mut a = desk.audit("settle", outcome);
        match about {
            About::Order(o) => {
                a.order_id = Some(o.id);
                a.order_number = Some(o.order_number.clone());
                a.user_id = Some(o.user_id);
                a.before = Some(json(o));
            }
            About::Named(n) if !n.trim().is_empty() => a.order_number = Some(clip(n)),
            About::Named(_) | About::Nothing => {}
        }
        a.reason = Some(cause.map_or(default_cause, str::to_string));
        let mut detail = format!(
            "{}; via {}",
            specifics.unwrap_or(default_specifics),
            self.via.as_str()
        );
        if let Some(r) = self.reason {
            detail.push_str(&format!("; operator's reason: {r}"));
        }
        a.detail = Some(detail);
        desk.audit_alone(&a).await;
    }
}

/// The short cause (the audit row's `reason`) and the specifics of a refused settle.
fn cause_of(e: &OpsError) -> (String, String) {
    match e {
        OpsError::Signature(cb) => (
            format!("unverified callback: {}", cb.code()),
            format!("the callback does not verify: {cb}"),
        ),
        OpsError::Mismatch {
            field,
            expected,
            got,
        } => {
            let specifics = match *field {
                "total_amount" => format!("total_amount {got} ≠ real_price {expected}"),
                "paid amount" => format!("Alipay's paid amount {got} ≠ real_price {expected}"),
                "trade_no" => {
                    format!("the callback's trade_no {got} ≠ Alipay's trade_no {expected}")
                }
                "app_id" | "seller_id" => format!(
                    "{field} {got} ≠ this profile's {field} {expected}: the callback is for another {}",
                    if *field == "app_id" {
                        "app"
                    } else {
                        "merchant account"
                    }
                ),
                _ => format!("{field} {got} ≠ {expected}"),
            };
            (format!("{field} mismatch"), specifics)
        }
        OpsError::NotPaid { status, .. } if status == "TRADE_NOT_EXIST" => (
            "not paid".into(),
            "Alipay has no trade for this order (TRADE_NOT_EXIST)".into(),
        ),
        OpsError::NotPaid { status, .. } => (
            "not paid".into(),
            format!("Alipay's trade status is {status}"),
        ),
        OpsError::NotFound { what } => ("order not found".into(), format!("{what} not found")),
        OpsError::InvalidInput(m) => ("invalid input".into(), m.clone()),
        OpsError::Refused(m) => ("refused".into(), m.clone()),
        OpsError::Gateway(g) => ("gateway error".into(), g.to_string()),
        OpsError::UnknownOutcome(m) => ("gateway outcome unknown".into(), m.clone()),
        OpsError::Store(s) => ("store error".into(), s.to_string()),
        OpsError::NoGateway(_) | OpsError::Pricing(_) | OpsError::Confirmation(_) => {
            ("refused".into(), e.to_string())
        }
    }
}

fn check_identity(desk: &Desk, cb: &VerifiedCallback) -> OpsResult<()> {
    let gw = desk.gateway()?;
    let app = cb.app_id().unwrap_or_default();
    if app != gw.app.app_id {
        return Err(OpsError::Mismatch {
            field: "app_id",
            expected: gw.app.app_id.clone(),
            got: or_none(app),
        });
    }
    if gw.seller_id.trim().is_empty() {
        return Err(OpsError::InvalidInput(
            "the profile has no seller_id (the merchant's 2088… Alipay user id): set it so callbacks can be checked".into(),
        ));
    }
    let seller = cb.seller_id().unwrap_or_default();
    if seller != gw.seller_id {
        return Err(OpsError::Mismatch {
            field: "seller_id",
            expected: gw.seller_id.clone(),
            got: or_none(seller),
        });
    }
    Ok(())
}

fn or_none(s: &str) -> String {
    if s.is_empty() {
        "(none)".into()
    } else {
        s.to_string()
    }
}

/// The query must prove a payment of exactly this order's amount (and the callback's trade).
pub fn check_query(
    order: &OrderRow,
    q: &TradeQuery,
    cb: Option<&VerifiedCallback>,
) -> OpsResult<()> {
    if !q.trade_status.is_paid() {
        return Err(OpsError::NotPaid {
            order_number: order.order_number.clone(),
            status: q.trade_status.as_str().to_string(),
        });
    }
    if q.total_amount != order.real_price {
        return Err(OpsError::Mismatch {
            field: "paid amount",
            expected: order.real_price.to_string(),
            got: q.total_amount.to_string(),
        });
    }
    if let Some(tn) = cb.and_then(VerifiedCallback::trade_no)
        && tn != q.trade_no
    {
        return Err(OpsError::Mismatch {
            field: "trade_no",
            expected: q.trade_no.clone(),
            got: tn.to_string(),
        });
    }
    Ok(())
}

/// Records a refusal (nothing was changed) and is done with it.
pub(crate) async fn refuse(
    desk: &Desk,
    action: &str,
    order: Option<&OrderRow>,
    claimed: Option<&str>,
    e: &OpsError,
) {
    let outcome = match e {
        OpsError::UnknownOutcome(_) | OpsError::Gateway(_) | OpsError::Store(_) => "error",
        _ => "refused",
    };
    let mut a = desk.audit(action, outcome);
    if let Some(o) = order {
        a.order_id = Some(o.id);
        a.order_number = Some(o.order_number.clone());
        a.user_id = Some(o.user_id);
        a.before = Some(json(o));
    } else if let Some(c) = claimed {
        a.order_number = Some(c.chars().take(64).collect());
    }
    a.detail = Some(e.to_string());
    desk.audit_alone(&a).await;
}

async fn noop_paid(desk: &Desk, order: &OrderRow, trail: Trail<'_>) -> OpsResult<SettleReport> {
    let mut a = desk.audit("settle", "noop");
    a.order_id = Some(order.id);
    a.order_number = Some(order.order_number.clone());
    a.user_id = Some(order.user_id);
    a.reason = trail.reason.map(str::to_string);
    a.detail = Some(format!(
        "already settled (paid at {}); via {}",
        fmt_opt(order.pay_time),
        trail.via.as_str()
    ));
    desk.audit_alone(&a).await;
    Ok(noop_report(order, trail.via))
}

fn noop_report(order: &OrderRow, via: Via) -> SettleReport {
    SettleReport {
        outcome: Outcome::Noop,
        order_id: order.id,
        order_number: order.order_number.clone(),
        status_before: order.order_status,
        status_after: order.order_status,
        via,
        trade_no: None,
        paid_amount: None,
        pay_time: order.pay_time,
        late: false,
        grants_created: Vec::new(),
        credit_row: None,
        coupon_logs_used: Vec::new(),
        coupon_redis: Default::default(),
        flags: Vec::new(),
        message: format!(
            "order {} was already settled (paid at {}): nothing to do",
            order.order_number,
            fmt_opt(order.pay_time)
        ),
    }
}

fn fmt_opt(t: Option<NaiveDateTime>) -> String {
    t.map_or_else(
        || "unknown time".to_string(),
        |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
    )
}

/// The one transaction of a settlement, once Alipay has confirmed the payment.
pub async fn apply_payment(
    desk: &Desk,
    order_id: i64,
    paid: &Confirmed,
    via: Via,
) -> OpsResult<SettleReport> {
    apply(desk, order_id, paid, Trail { via, reason: None }).await
}

async fn apply(
    desk: &Desk,
    order_id: i64,
    paid: &Confirmed,
    trail: Trail<'_>,
) -> OpsResult<SettleReport> {
    let via = trail.via;
    let mut tx = desk.store.begin_write().await?;
    let order = lock_order(&mut tx, order_id).await?;
    let late = match order.order_status {
        OrderStatus::Paid => {
            tx.rollback().await?;
            return noop_paid(desk, &order, trail).await;
        }
        OrderStatus::Unpaid => false,
        OrderStatus::Cancelled | OrderStatus::TimedOut => true,
        OrderStatus::Unknown(n) => {
            tx.rollback().await?;
            let e = OpsError::Refused(format!(
                "order {} is in unknown status {n}: settle it by hand",
                order.order_number
            ));
            let cause = Some("unknown order status");
            trail
                .refuse(desk, About::Order(&order), &e, cause, None)
                .await;
            return Err(e);
        }
    };
    if paid.amount != order.real_price {
        tx.rollback().await?;
        let e = OpsError::Mismatch {
            field: "paid amount",
            expected: order.real_price.to_string(),
            got: paid.amount.to_string(),
        };
        trail
            .refuse(desk, About::Order(&order), &e, None, None)
            .await;
        return Err(e);
    }
    let now = tx.now();
    let pay_time = paid.pay_time.unwrap_or(now);
    let coupons_before = queries::coupons::log_for_order(&mut tx, order.id).await?;

    if queries::orders::set_status_if(
        &mut tx,
        order.id,
        order.order_status,
        OrderStatus::Paid,
        Some(pay_time),
    )
    .await?
        != 1
    {
        // The row is locked (MySQL) or the database is (SQLite): only a writer that bypasses
        // both (the site itself) can get here. Change nothing; a retry will see the new state.
        tx.rollback().await?;
        let e = OpsError::Refused(format!(
            "order {} changed while it was being settled: run settle again",
            order.order_number
        ));
        let cause = Some("order changed meanwhile");
        trail
            .refuse(desk, About::Order(&order), &e, cause, None)
            .await;
        return Err(e);
    }

    let mut flags = Vec::new();
    let credit = order.credit.unwrap_or(0);
    let credit_row = if credit > 0 {
        if late {
            // The cancellation gave the credits back: take them again if the balance allows.
            if queries::ops::take_credit_if_enough(&mut tx, order.user_id, credit).await? == 1 {
                Some(
                    insert_credit(
                        &mut tx,
                        &order,
                        -credit,
                        "迟到的支付: 重新扣除取消时退还的积分",
                    )
                    .await?,
                )
            } else {
                let balance = queries::users::get(&mut tx, order.user_id)
                    .await?
                    .map_or(0, |u| u.credit);
                flags.push(format!(
                    "credits: the order used {credit} credits (¥{}) that were given back when it was {}; the user's balance is now {balance}, so they were not taken again",
                    Decimal::from(credit) / Decimal::from(crate::domain::CREDIT_TO_MONEY),
                    status_phrase(order.order_status)
                ));
                None
            }
        } else if has_purchase_row(&mut tx, &order).await? {
            None
        } else {
            Some(insert_credit(&mut tx, &order, -credit, "支付成功: 订单使用的积分").await?)
        }
    } else {
        None
    };

    let mut coupon_logs_used = Vec::new();
    let candidates = if late {
        released_coupon_logs(&mut tx, &order, &coupons_before).await?
    } else {
        coupons_before.iter().map(|l| l.id).collect()
    };
    if late && candidates.is_empty() {
        // The site re-binds a returned coupon to the next order, so the link may be gone; the
        // price still shows a discount that neither credits nor activity prices explain.
        let implied = order.total_price
            - order.real_price
            - Decimal::from(credit) / Decimal::from(crate::domain::CREDIT_TO_MONEY);
        if implied > Decimal::ZERO {
            flags.push(format!(
                "coupon: the order was priced with a {implied} discount beyond its credits, but no coupon log is bound to it any more (given back when it was {})",
                status_phrase(order.order_status)
            ));
        }
    }
    for log_id in candidates {
        if queries::ops::use_coupon_log_if_free(&mut tx, log_id, order.id, pay_time).await? == 1 {
            coupon_logs_used.push(log_id);
        } else if late {
            flags.push(format!(
                "coupon: coupon log {log_id} was given back when the order was {} and has been used or bound elsewhere since, so the discount is not backed by a coupon",
                status_phrase(order.order_status)
            ));
        }
    }

    let mut grants_created = Vec::new();
    // A site without a user-course table grants nothing (db check says so).
    let courses = if desk.store.features().grants {
        queries::orders::courses(&mut tx, order.id).await?
    } else {
        Vec::new()
    };
    for oc in courses {
        if !queries::grants::live_for(&mut tx, order.user_id, oc.course_id)
            .await?
            .is_empty()
        {
            continue;
        }
        let id = queries::grants::insert(
            &mut tx,
            &NewGrant {
                user_id: order.user_id,
                course_id: oc.course_id,
                name: oc.base.name.clone(),
                created_time: now,
            },
        )
        .await?;
        grants_created.push(id);
    }

    let after = lock_order(&mut tx, order.id).await?;
    let (action, outcome) = match (late, flags.is_empty()) {
        (false, _) => ("settle", "ok"),
        (true, true) => ("settle_late", "ok"),
        (true, false) => ("settle_late", "flagged"),
    };
    let mut a = desk.audit(action, outcome);
    a.order_id = Some(order.id);
    a.order_number = Some(order.order_number.clone());
    a.user_id = Some(order.user_id);
    a.reason = trail.reason.map(str::to_string);
    a.before =
        Some(serde_json::json!({ "order": json(&order), "coupon_logs": json(&coupons_before) }));
    a.after = Some(serde_json::json!({
        "order": json(&after),
        "trade_no": paid.trade_no,
        "trade_status": paid.trade_status,
        "paid_amount": paid.amount.to_string(),
        "grants_created": grants_created,
        "credit_row": credit_row,
        "coupon_logs_used": coupon_logs_used,
        "flags": flags,
    }));
    let mut detail = format!("via {}, trade_no {}", via.as_str(), paid.trade_no);
    if late {
        detail.push_str(&format!(
            "; paid after the order was {}",
            status_phrase(order.order_status)
        ));
    }
    for f in &flags {
        detail.push_str("; FLAG ");
        detail.push_str(f);
    }
    a.detail = Some(detail);
    desk.audit_in(&mut tx, &a).await?;
    tx.commit().await?;
    // A late settle takes given-back coupons again: the site must stop offering them. (On time,
    // the site removed the coupon from its Redis when the order was made.)
    let coupon_redis = if late {
        crate::coupon_redis::remove(&desk.store, order.user_id, &coupon_logs_used).await
    } else {
        Default::default()
    };

    let mut message = if late && flags.is_empty() {
        format!(
            "order {} was {} but Alipay says paid: settled it, and took back what the cancellation had returned",
            order.order_number,
            status_phrase(order.order_status)
        )
    } else if late {
        format!(
            "order {} was {} but Alipay says paid: settled it (the customer paid); FLAGGED for finance: {}",
            order.order_number,
            status_phrase(order.order_status),
            flags.join("; ")
        )
    } else {
        format!(
            "order {} settled: paid {} (trade {})",
            order.order_number, paid.amount, paid.trade_no
        )
    };
    if !desk.store.features().grants {
        message.push_str("; no courses granted: this site has no user-course table");
    }
    if let Some(note) = &coupon_redis.note {
        message.push_str(&format!("; {note}"));
    }
    Ok(SettleReport {
        outcome: Outcome::Done,
        order_id: order.id,
        order_number: order.order_number.clone(),
        status_before: order.order_status,
        status_after: after.order_status,
        via,
        trade_no: Some(paid.trade_no.clone()),
        paid_amount: Some(paid.amount),
        pay_time: Some(pay_time),
        late,
        grants_created,
        credit_row,
        coupon_logs_used,
        coupon_redis,
        flags,
        message,
    })
}

async fn insert_credit(tx: &mut Tx, order: &OrderRow, number: i64, what: &str) -> OpsResult<i64> {
    let created_time = tx.now();
    Ok(queries::credits::insert(
        tx,
        &NewCredit {
            user_id: order.user_id,
            operation: CreditOperation::Purchase,
            number,
            remark: Some(credit_remark(&order.order_number, what)),
            created_time,
        },
    )
    .await?)
}

/// Whether Paydesk already booked the purchase row of this order (a test order books it at
/// creation, when the credits are deducted).
async fn has_purchase_row(tx: &mut Tx, order: &OrderRow) -> OpsResult<bool> {
    let rows = queries::credits::for_order(
        tx,
        order.user_id,
        &order.order_number,
        order.credit.unwrap_or(0),
        order.base.created_time,
    )
    .await?;
    Ok(rows.iter().any(|r| {
        r.operation == CreditOperation::Purchase
            && r.remark
                .as_deref()
                .is_some_and(|m| m.contains(order.order_number.as_str()))
    }))
}

/// Coupon logs a cancellation released: still bound to the order (the site's timeout leaves
/// the link), or named by Paydesk's own close/expire audit row (Paydesk unbinds them).
async fn released_coupon_logs(
    tx: &mut Tx,
    order: &OrderRow,
    bound: &[CouponLogRow],
) -> OpsResult<Vec<i64>> {
    let mut ids: Vec<i64> = bound
        .iter()
        .filter(|l| l.use_status != Some(UseStatus::Used))
        .map(|l| l.id)
        .collect();
    for row in queries::ops::audit_for_order(tx, order.id, &["close", "expire"]).await? {
        if row.outcome != "ok" {
            continue;
        }
        if let Some(list) = row
            .after
            .as_ref()
            .and_then(|v| v.get("released_coupon_logs"))
            .and_then(|v| v.as_array())
        {
            for id in list.iter().filter_map(serde_json::Value::as_i64) {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        // The newest successful cancellation is the one that released them.
        break;
    }
    Ok(ids)
}
