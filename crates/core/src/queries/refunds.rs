//! `paydesk_refunds`: a refund is recorded as pending BEFORE the gateway call and resolved after,
//! keyed by its `out_request_no` (unique), so a retry can never become a second refund.

use chrono::NaiveDateTime;
use rust_decimal::Decimal;

use crate::db::{Query, Tx, Val};
use crate::domain::RefundStatus;
use crate::error::Result;
use crate::rows::{REFUND_COLS, RefundRow};

#[derive(Debug, Clone)]
pub struct NewRefund {
    pub out_request_no: String,
    pub order_id: i64,
    pub order_number: String,
    pub trade_no: Option<String>,
    pub amount: Decimal,
    pub reason: String,
    pub operator: String,
    pub profile: String,
    pub full_refund: bool,
}

/// Inserts a pending refund. A duplicate out_request_no fails on the unique key.
pub async fn insert_pending(tx: &mut Tx, r: &NewRefund) -> Result<i64> {
    let now = tx.now();
    let q = Query::new(
        "INSERT INTO paydesk_refunds (out_request_no, order_id, order_number, trade_no, amount, reason, status, \
         operator, profile, full_refund, attempts, created_time, updated_time) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
    )
    .bind(r.out_request_no.as_str())
    .bind(r.order_id)
    .bind(r.order_number.as_str())
    .bind(r.trade_no.clone())
    .bind(Val::Money(r.amount))
    .bind(r.reason.as_str())
    .bind(RefundStatus::Pending.as_str())
    .bind(r.operator.as_str())
    .bind(r.profile.as_str())
    .bind(r.full_refund)
    .bind(now)
    .bind(now);
    Ok(tx.execute(q).await?.last_insert_id)
}

pub async fn get_by_request_no(tx: &mut Tx, out_request_no: &str) -> Result<Option<RefundRow>> {
    let q = Query::new(format!(
        "SELECT {REFUND_COLS} FROM paydesk_refunds WHERE out_request_no = ?"
    ))
    .bind(out_request_no);
    tx.fetch_optional(q)
        .await?
        .map(|r| RefundRow::from_row(&r))
        .transpose()
}

pub async fn for_order(tx: &mut Tx, order_id: i64) -> Result<Vec<RefundRow>> {
    let q = Query::new(format!(
        "SELECT {REFUND_COLS} FROM paydesk_refunds WHERE order_id = ? ORDER BY id"
    ))
    .bind(order_id);
    tx.fetch_all(q)
        .await?
        .iter()
        .map(RefundRow::from_row)
        .collect()
}

/// When the order's last refund request other than `except_id` went out, at the latest: each
/// answer (or its absence) is recorded in `updated_time` after the call returned, so it is never
/// before the gateway handled the request; a row never answered keeps its `created_time`,
/// written just before its call. `None` when the order has no other refund.
pub async fn last_request_time(
    tx: &mut Tx,
    order_id: i64,
    except_id: i64,
) -> Result<Option<NaiveDateTime>> {
    Ok(for_order(tx, order_id)
        .await?
        .iter()
        .filter(|r| r.id != except_id)
        .map(|r| r.updated_time.max(r.created_time))
        .max())
}

/// Refunds not yet resolved (pending or unknown), oldest first: what `refunds resume` works on.
pub async fn unresolved(tx: &mut Tx) -> Result<Vec<RefundRow>> {
    let q = Query::new(format!(
        "SELECT {REFUND_COLS} FROM paydesk_refunds WHERE status IN ('pending', 'unknown') ORDER BY id"
    ));
    tx.fetch_all(q)
        .await?
        .iter()
        .map(RefundRow::from_row)
        .collect()
}

/// Money of an order already refunded or possibly refunded (pending/unknown count, so a new refund
/// can never exceed what is left even while one is unresolved).
pub async fn committed_amount(tx: &mut Tx, order_id: i64) -> Result<Decimal> {
    let rows = for_order(tx, order_id).await?;
    Ok(rows
        .iter()
        .filter(|r| r.status != RefundStatus::Failed)
        .map(|r| r.amount)
        .sum())
}

#[derive(Debug, Clone, Default)]
pub struct RefundResult {
    pub status: Option<RefundStatus>,
    pub trade_no: Option<String>,
    pub gateway_code: Option<String>,
    pub gateway_sub_code: Option<String>,
    pub gateway_msg: Option<String>,
    pub fund_change: Option<String>,
    pub refund_fee: Option<Decimal>,
    pub gmt_refund_pay: Option<chrono::NaiveDateTime>,
    pub last_error: Option<String>,
}

/// Records one gateway attempt's outcome; `resolved_time` is set when the status is final.
pub async fn record_attempt(tx: &mut Tx, id: i64, res: &RefundResult) -> Result<u64> {
    let now = tx.now();
    let status = res.status.map(|s| s.as_str());
    let resolved = matches!(
        res.status,
        Some(RefundStatus::Succeeded | RefundStatus::Failed)
    )
    .then_some(now);
    let q = Query::new(
        "UPDATE paydesk_refunds SET status = COALESCE(?, status), trade_no = COALESCE(?, trade_no), \
         gateway_code = ?, gateway_sub_code = ?, gateway_msg = ?, fund_change = COALESCE(?, fund_change), \
         refund_fee = COALESCE(?, refund_fee), gmt_refund_pay = COALESCE(?, gmt_refund_pay), last_error = ?, \
         attempts = attempts + 1, updated_time = ?, resolved_time = COALESCE(?, resolved_time) WHERE id = ?",
    )
    .bind(status)
    .bind(res.trade_no.clone())
    .bind(res.gateway_code.clone())
    .bind(res.gateway_sub_code.clone())
    .bind(res.gateway_msg.clone())
    .bind(res.fund_change.clone())
    .bind(res.refund_fee.map_or(Val::Null, Val::Money))
    .bind(res.gmt_refund_pay)
    .bind(res.last_error.clone())
    .bind(now)
    .bind(resolved)
    .bind(id);
    Ok(tx.execute(q).await?.rows_affected)
}
