//! Close (by hand, status 2) and expire (unpaid after ORDER_TIMEOUT, status 3).
//!
//! Alipay first, the database second: the trade is queried and, while the buyer has not paid,
//! closed, so nobody can pay an order Paydesk is cancelling. If Alipay says it was paid, a close
//! is refused (settle it instead) and an expiry settles it. Any doubt about Alipay (timeout, 5xx,
//! unknown outcome) leaves the order as it is. Then one transaction: the guarded 0 → 2/3
//! transition, the order's credits back to the user with a ledger row (operation 0, positive),
//! and the coupon released (use_status 0, unbound; the released ids go into the audit row, which
//! is how a later payment of the order finds them again).
//!
//! The site also writes released coupons back to its Redis (DB 5); Paydesk has no Redis
//! connection configured, so the site rebuilds them from the database as it does on a restart.

use alipay::TradeRef;
use alipay::client::TradeQuery;
use alipay::trade::TradeStatus;
use chrono::TimeDelta;
use serde::Serialize;

use super::settle::{Confirmed, SettleReport, Via, apply_payment, check_query, refuse};
use super::{
    OpsError, OpsResult, OrderRef, Outcome, credit_remark, find_order, json, lock_order,
    status_phrase,
};
use crate::coupon_redis::RedisWriteBack;
use crate::desk::{Desk, Gateway};
use crate::domain::{CreditOperation, ORDER_TIMEOUT_SECS, OrderStatus, UseStatus};
use crate::queries::{self, credits::NewCredit};
use crate::rows::OrderRow;

/// What Alipay said about the order's trade.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "alipay")]
pub enum AlipaySide {
    /// The buyer never opened the cashier: there is no trade to close.
    NoTrade,
    /// We closed the waiting trade now.
    Closed,
    /// Alipay had closed it already.
    AlreadyClosed,
    /// Paid: do not cancel.
    Paid {
        #[serde(skip)]
        query: Box<TradeQuery>,
    },
}

impl AlipaySide {
    fn note(&self) -> &'static str {
        match self {
            AlipaySide::NoTrade => "no Alipay trade (cashier never opened)",
            AlipaySide::Closed => "Alipay trade closed",
            AlipaySide::AlreadyClosed => "Alipay trade was already closed",
            AlipaySide::Paid { .. } => "Alipay trade is paid",
        }
    }
}

/// Queries the trade, and closes it while it waits for the buyer.
pub async fn close_on_alipay(gw: &Gateway, order_number: &str) -> OpsResult<AlipaySide> {
    let by = || TradeRef::OutTradeNo(order_number.to_string());
    let q = match gw.client.query(by()).await {
        Ok(q) => q,
        Err(e) if e.is_trade_not_exist() => return Ok(AlipaySide::NoTrade),
        Err(e) => return Err(e.into()),
    };
    match q.trade_status {
        TradeStatus::TradeSuccess | TradeStatus::TradeFinished => {
            Ok(AlipaySide::Paid { query: Box::new(q) })
        }
        TradeStatus::TradeClosed => Ok(AlipaySide::AlreadyClosed),
        TradeStatus::WaitBuyerPay => match gw.client.close(by()).await {
            Ok(_) => Ok(AlipaySide::Closed),
            Err(e) if e.is_trade_not_exist() => Ok(AlipaySide::NoTrade),
            Err(e) if e.sub_code() == Some("ACQ.TRADE_STATUS_ERROR") => {
                // Paid (or closed) between our query and the close: ask again which.
                let q = gw.client.query(by()).await?;
                if q.trade_status.is_paid() {
                    Ok(AlipaySide::Paid { query: Box::new(q) })
                } else {
                    Ok(AlipaySide::AlreadyClosed)
                }
            }
            Err(e) => Err(e.into()),
        },
        TradeStatus::Unknown(s) => Err(OpsError::Refused(format!(
            "Alipay reports trade status {s:?} for order {order_number}, which Paydesk does not know: check it by hand"
        ))),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CloseReport {
    pub outcome: Outcome,
    pub order_id: i64,
    pub order_number: String,
    pub status_before: OrderStatus,
    pub status_after: OrderStatus,
    pub alipay: Option<String>,
    pub credits_returned: i64,
    pub credit_row: Option<i64>,
    pub released_coupon_logs: Vec<i64>,
    /// The given-back coupons written back to the site's Redis (or why not).
    pub coupon_redis: RedisWriteBack,
    pub message: String,
}

/// Cancels an unpaid order by hand (status 2).
pub async fn close(desk: &Desk, r: &OrderRef, reason: &str) -> OpsResult<CloseReport> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(OpsError::InvalidInput(
            "a reason is required to close an order".into(),
        ));
    }
    let order = {
        let mut tx = desk.store.begin_read().await?;
        let found = find_order(&mut tx, r).await;
        tx.rollback().await?;
        match found {
            Ok(o) => o,
            Err(e) => {
                refuse(desk, "close", None, Some(&r.to_string()), &e).await;
                return Err(e);
            }
        }
    };
    match order.order_status {
        OrderStatus::Unpaid => {}
        OrderStatus::Cancelled | OrderStatus::TimedOut => {
            return noop(desk, "close", &order, Some(reason)).await;
        }
        OrderStatus::Paid => {
            let e = OpsError::Refused(format!(
                "order {} is paid: refund it instead of closing it",
                order.order_number
            ));
            refuse(desk, "close", Some(&order), None, &e).await;
            return Err(e);
        }
        OrderStatus::Unknown(n) => {
            let e = OpsError::Refused(format!(
                "order {} is in unknown status {n}: close it by hand",
                order.order_number
            ));
            refuse(desk, "close", Some(&order), None, &e).await;
            return Err(e);
        }
    }
    let gw = desk.gateway()?;
    let side = match close_on_alipay(gw, &order.order_number).await {
        Ok(s) => s,
        Err(e) => {
            refuse(desk, "close", Some(&order), None, &e).await;
            return Err(e);
        }
    };
    if let AlipaySide::Paid { .. } = side {
        let e = OpsError::Refused(format!(
            "Alipay says order {} is paid: it cannot be closed; settle it with `paydesk settle --order {}`",
            order.order_number, order.order_number
        ));
        refuse(desk, "close", Some(&order), None, &e).await;
        return Err(e);
    }
    cancel_in_db(
        desk,
        order.id,
        OrderStatus::Cancelled,
        "close",
        Some(reason),
        side.note(),
    )
    .await
}

async fn noop(
    desk: &Desk,
    action: &str,
    order: &OrderRow,
    reason: Option<&str>,
) -> OpsResult<CloseReport> {
    let message = format!(
        "order {} is already {}: nothing to do",
        order.order_number,
        status_phrase(order.order_status)
    );
    let mut a = desk.audit(action, "noop");
    a.order_id = Some(order.id);
    a.order_number = Some(order.order_number.clone());
    a.user_id = Some(order.user_id);
    a.reason = reason.map(str::to_string);
    a.detail = Some(message.clone());
    desk.audit_alone(&a).await;
    Ok(CloseReport {
        outcome: Outcome::Noop,
        order_id: order.id,
        order_number: order.order_number.clone(),
        status_before: order.order_status,
        status_after: order.order_status,
        alipay: None,
        credits_returned: 0,
        credit_row: None,
        released_coupon_logs: Vec::new(),
        coupon_redis: RedisWriteBack::default(),
        message,
    })
}

/// The database half of a cancellation: one transaction, guarded 0 → `to`.
async fn cancel_in_db(
    desk: &Desk,
    order_id: i64,
    to: OrderStatus,
    action: &str,
    reason: Option<&str>,
    alipay_note: &str,
) -> OpsResult<CloseReport> {
    let mut tx = desk.store.begin_write().await?;
    let order = lock_order(&mut tx, order_id).await?;
    if order.order_status != OrderStatus::Unpaid {
        tx.rollback().await?;
        if order.order_status == OrderStatus::Paid {
            // Settled between our Alipay check and now (a notify, a colleague): keep it paid.
            let e = OpsError::Refused(format!(
                "order {} was settled meanwhile: it stays paid",
                order.order_number
            ));
            refuse(desk, action, Some(&order), None, &e).await;
            return Err(e);
        }
        return noop(desk, action, &order, reason).await;
    }
    let coupons_before = queries::coupons::log_for_order(&mut tx, order.id).await?;
    let user_before = queries::users::get_for_update(&mut tx, order.user_id).await?;
    if queries::orders::set_status_if(&mut tx, order.id, OrderStatus::Unpaid, to, None).await? != 1
    {
        tx.rollback().await?;
        let e = OpsError::Refused(format!(
            "order {} changed while it was being cancelled: run it again",
            order.order_number
        ));
        refuse(desk, action, Some(&order), None, &e).await;
        return Err(e);
    }
    let credit = order.credit.unwrap_or(0);
    let mut credit_row = None;
    if credit > 0 {
        if queries::users::add_credit(&mut tx, order.user_id, credit).await? == 1 {
            let created_time = tx.now();
            credit_row = Some(
                queries::credits::insert(
                    &mut tx,
                    &NewCredit {
                        user_id: order.user_id,
                        operation: CreditOperation::Business,
                        number: credit,
                        remark: Some(credit_remark(
                            &order.order_number,
                            &format!("订单{}，退还积分", to.label_zh()),
                        )),
                        created_time,
                    },
                )
                .await?,
            );
        } else {
            // No FK on the platform: the user may be gone. Nothing to give back to.
            tracing::warn!(order = %order.order_number, user = order.user_id, "order's user does not exist; credits not returned");
        }
    }
    let mut released = Vec::new();
    let mut given_back = Vec::new();
    for log in &coupons_before {
        if log.use_status == Some(UseStatus::Used) {
            continue;
        }
        queries::coupons::set_log_use(&mut tx, log.id, UseStatus::Unused, None, None).await?;
        released.push(log.id);
        if let Some(c) = queries::coupons::get_coupon(&mut tx, log.coupon_id).await? {
            given_back.push((log.clone(), c));
        }
    }
    let after = lock_order(&mut tx, order.id).await?;
    let mut a = desk.audit(action, "ok");
    a.order_id = Some(order.id);
    a.order_number = Some(order.order_number.clone());
    a.user_id = Some(order.user_id);
    a.reason = reason.map(str::to_string);
    a.before = Some(serde_json::json!({
        "order": json(&order),
        "coupon_logs": json(&coupons_before),
        "user_credit": user_before.as_ref().map(|u| u.credit),
    }));
    a.after = Some(serde_json::json!({
        "order": json(&after),
        "credits_returned": if credit_row.is_some() { credit } else { 0 },
        "credit_row": credit_row,
        "released_coupon_logs": released,
    }));
    a.detail = Some(alipay_note.to_string());
    desk.audit_in(&mut tx, &a).await?;
    tx.commit().await?;
    // After the commit: the database is the truth, Redis the site's copy of it.
    let coupon_redis = crate::coupon_redis::put_back(&desk.store, &given_back).await;
    let mut message = format!(
        "order {} is now {} ({alipay_note}); {} credits returned, {} coupon(s) released",
        order.order_number,
        status_phrase(to),
        if credit_row.is_some() { credit } else { 0 },
        released.len()
    );
    if let Some(note) = &coupon_redis.note {
        message.push_str(&format!("; {note}"));
    }
    Ok(CloseReport {
        outcome: Outcome::Done,
        order_id: order.id,
        order_number: order.order_number.clone(),
        status_before: order.order_status,
        status_after: to,
        alipay: Some(alipay_note.to_string()),
        credits_returned: if credit_row.is_some() { credit } else { 0 },
        credit_row,
        released_coupon_logs: released,
        coupon_redis,
        message,
    })
}

/// One order's fate in an expiry run.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum Expired {
    Expired(CloseReport),
    /// Alipay said paid: settled instead.
    Settled(SettleReport),
    /// Left unpaid (the gateway could not be asked, or the payment did not match); retried next run.
    Skipped {
        order_number: String,
        error: String,
    },
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ExpireReport {
    pub examined: usize,
    pub expired: usize,
    pub settled: usize,
    pub skipped: usize,
    pub noop: usize,
    pub orders: Vec<Expired>,
}

/// Expires every unpaid order older than ORDER_TIMEOUT; `progress(done, total)` after each.
pub async fn expire(desk: &Desk, progress: impl Fn(usize, usize)) -> OpsResult<ExpireReport> {
    let gw = desk.gateway()?;
    let cutoff = desk.now() - TimeDelta::seconds(ORDER_TIMEOUT_SECS);
    let mut due: Vec<OrderRow> = Vec::new();
    {
        let mut tx = desk.store.begin_read().await?;
        let mut after = 0;
        loop {
            let page = queries::ops::unpaid_created_before(&mut tx, cutoff, after, 1000).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            due.extend(page);
        }
        tx.rollback().await?;
    }
    let total = due.len();
    let mut report = ExpireReport {
        examined: total,
        ..Default::default()
    };
    progress(0, total);
    for (i, order) in due.into_iter().enumerate() {
        let result = expire_one(desk, gw, &order).await;
        match &result {
            Expired::Expired(r) if r.outcome == Outcome::Done => report.expired += 1,
            Expired::Settled(r) if r.outcome == Outcome::Done => report.settled += 1,
            Expired::Skipped { .. } => report.skipped += 1,
            _ => report.noop += 1,
        }
        report.orders.push(result);
        progress(i + 1, total);
    }
    Ok(report)
}

async fn expire_one(desk: &Desk, gw: &Gateway, order: &OrderRow) -> Expired {
    let skipped = |e: &OpsError| Expired::Skipped {
        order_number: order.order_number.clone(),
        error: e.to_string(),
    };
    let side = match close_on_alipay(gw, &order.order_number).await {
        Ok(s) => s,
        Err(e) => {
            refuse(desk, "expire", Some(order), None, &e).await;
            return skipped(&e);
        }
    };
    let res = match side {
        AlipaySide::Paid { query } => {
            if let Err(e) = check_query(order, &query, None) {
                refuse(desk, "expire", Some(order), None, &e).await;
                return skipped(&e);
            }
            apply_payment(desk, order.id, &Confirmed::from_query(&query), Via::Expire)
                .await
                .map(Expired::Settled)
        }
        side => cancel_in_db(
            desk,
            order.id,
            OrderStatus::TimedOut,
            "expire",
            Some("unpaid after ORDER_TIMEOUT (15 min)"),
            side.note(),
        )
        .await
        .map(Expired::Expired),
    };
    res.unwrap_or_else(|e| skipped(&e))
}
