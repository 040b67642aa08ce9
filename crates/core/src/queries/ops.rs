//! Guarded writes and lookups the payment operations need beyond the per-table basics: every
//! UPDATE here carries its precondition in the WHERE clause, and callers check rows affected.

use chrono::NaiveDateTime;

use crate::db::{Query, Tx, Val};
use crate::domain::{OrderStatus, RefundStatus, UseStatus};
use crate::error::Result;
use crate::queries::refunds::RefundResult;
use crate::rows::{AUDIT_COLS, AuditRow, OrderRow, order_cols};

/// Takes `n` credits from a user only if the balance covers them (one statement, so two
/// concurrent takers cannot both pass a read-then-write check). 0 rows = not enough (or no user).
pub async fn take_credit_if_enough(tx: &mut Tx, user_id: i64, n: i64) -> Result<u64> {
    let q = Query::new(format!(
        "UPDATE {} SET credit = credit - ? WHERE id = ? AND credit >= ?",
        tx.names().users
    ))
    .bind(n)
    .bind(user_id)
    .bind(n);
    Ok(tx.execute(q).await?.rows_affected)
}

/// Binds an unused coupon log of `user_id` to `order_id` (the site links the log at order
/// creation and marks it used at payment). 0 rows = not this user's, used, or bound elsewhere.
pub async fn bind_coupon_log(tx: &mut Tx, log_id: i64, user_id: i64, order_id: i64) -> Result<u64> {
    let now = tx.now();
    let q = Query::new(format!(
        "UPDATE {} SET order_id = ?, updated_time = ? WHERE id = ? AND user_id = ? AND order_id IS NULL \
         AND (use_status = ? OR use_status IS NULL)",
        tx.names().coupon_log
    ))
    .bind(order_id)
    .bind(now)
    .bind(log_id)
    .bind(user_id)
    .bind(UseStatus::Unused.code());
    Ok(tx.execute(q).await?.rows_affected)
}

/// Marks a coupon log used by `order_id`, only while it is unused and bound to this order or to
/// none (a coupon released by an expiry may have been taken by another order since).
pub async fn use_coupon_log_if_free(
    tx: &mut Tx,
    log_id: i64,
    order_id: i64,
    use_time: NaiveDateTime,
) -> Result<u64> {
    let now = tx.now();
    let q = Query::new(format!(
        "UPDATE {} SET use_status = ?, use_time = ?, order_id = ?, updated_time = ? WHERE id = ? \
         AND (order_id IS NULL OR order_id = ?) AND (use_status = ? OR use_status IS NULL)",
        tx.names().coupon_log
    ))
    .bind(UseStatus::Used.code())
    .bind(use_time)
    .bind(order_id)
    .bind(now)
    .bind(log_id)
    .bind(order_id)
    .bind(UseStatus::Unused.code());
    Ok(tx.execute(q).await?.rows_affected)
}

/// Unpaid, not deleted orders created before `cutoff`, oldest first (the (order_status,
/// created_time) index serves this on a million orders).
pub async fn unpaid_created_before(
    tx: &mut Tx,
    cutoff: NaiveDateTime,
    after_id: i64,
    limit: i64,
) -> Result<Vec<OrderRow>> {
    let n = tx.names().clone();
    let q = Query::new(format!(
        "SELECT {} FROM {} o WHERE o.order_status = ? AND o.{} = 0 AND o.created_time < ? AND o.id > ? \
         ORDER BY o.id LIMIT ?",
        order_cols(&n, "o"),
        n.order,
        n.deleted
    ))
    .bind(OrderStatus::Unpaid.code())
    .bind(cutoff)
    .bind(after_id)
    .bind(limit);
    tx.fetch_all(q)
        .await?
        .iter()
        .map(OrderRow::from_row)
        .collect()
}

/// Resolves a refund record only if it is still unresolved: the one caller that gets 1 row
/// applies the refund's side effects; a concurrent or repeated resolution gets 0 and does nothing.
pub async fn resolve_refund_if_open(
    tx: &mut Tx,
    id: i64,
    status: RefundStatus,
    res: &RefundResult,
) -> Result<u64> {
    let now = tx.now();
    let q = Query::new(
        "UPDATE paydesk_refunds SET status = ?, trade_no = COALESCE(?, trade_no), gateway_code = ?, \
         gateway_sub_code = ?, gateway_msg = ?, fund_change = COALESCE(?, fund_change), \
         refund_fee = COALESCE(?, refund_fee), gmt_refund_pay = COALESCE(?, gmt_refund_pay), last_error = ?, \
         attempts = attempts + 1, updated_time = ?, resolved_time = ? \
         WHERE id = ? AND status IN ('pending', 'unknown')",
    )
    .bind(status.as_str())
    .bind(res.trade_no.clone())
    .bind(res.gateway_code.clone())
    .bind(res.gateway_sub_code.clone())
    .bind(res.gateway_msg.clone())
    .bind(res.fund_change.clone())
    .bind(res.refund_fee.map_or(Val::Null, Val::Money))
    .bind(res.gmt_refund_pay)
    .bind(res.last_error.clone())
    .bind(now)
    .bind(now)
    .bind(id);
    Ok(tx.execute(q).await?.rows_affected)
}

/// Audit rows of one action whose `detail` is exactly `detail`, newest first (e.g. the revoke
/// of `grant 42`, to tell "already revoked" from "never existed").
pub async fn audit_by_detail(
    tx: &mut Tx,
    action: &str,
    outcome: &str,
    detail: &str,
) -> Result<Vec<AuditRow>> {
    let q = Query::new(format!(
        "SELECT {AUDIT_COLS} FROM paydesk_audit_log WHERE action = ? AND outcome = ? AND detail = ? ORDER BY id DESC LIMIT 10"
    ))
    .bind(action)
    .bind(outcome)
    .bind(detail);
    tx.fetch_all(q)
        .await?
        .iter()
        .map(AuditRow::from_row)
        .collect()
}

/// The newest audit rows of `actions` for an order, newest first.
pub async fn audit_for_order(
    tx: &mut Tx,
    order_id: i64,
    actions: &[&str],
) -> Result<Vec<AuditRow>> {
    let mut q = Query::new(format!(
        "SELECT {AUDIT_COLS} FROM paydesk_audit_log WHERE order_id = ? AND action IN {} ORDER BY id DESC LIMIT 50",
        super::in_list(actions.len())
    ))
    .bind(order_id);
    for a in actions {
        q.push_arg(*a);
    }
    tx.fetch_all(q)
        .await?
        .iter()
        .map(AuditRow::from_row)
        .collect()
}

/// Whether the user holds `course_id` through another paid order than `order_id` (a full refund
/// of one order must not take away a course bought again in another).
pub async fn course_paid_elsewhere(
    tx: &mut Tx,
    user_id: i64,
    course_id: i64,
    order_id: i64,
) -> Result<bool> {
    let n = tx.names().clone();
    let q = Query::new(format!(
        "SELECT o.id FROM {} o JOIN {} oc ON oc.order_id = o.id WHERE o.user_id = ? AND oc.course_id = ? \
         AND o.order_status = ? AND o.id <> ? AND o.{} = 0 LIMIT 1",
        n.order, n.order_course, n.deleted
    ))
    .bind(user_id)
    .bind(course_id)
    .bind(OrderStatus::Paid.code())
    .bind(order_id);
    Ok(tx.fetch_optional(q).await?.is_some())
}

/// Updates the study progress of the grant a duplicate merge keeps.
pub async fn set_grant_progress(
    tx: &mut Tx,
    id: i64,
    study_time: i64,
    chapter_id: Option<i64>,
    lesson_id: Option<i64>,
) -> Result<u64> {
    let now = tx.now();
    let q = Query::new(format!(
        "UPDATE {} SET study_time = ?, chapter_id = ?, lesson_id = ?, updated_time = ? WHERE id = ?",
        tx.names().user_course
    ))
    .bind(study_time)
    .bind(chapter_id)
    .bind(lesson_id)
    .bind(now)
    .bind(id);
    Ok(tx.execute(q).await?.rows_affected)
}

/// Records an attempt whose outcome stays unknown, only while the refund is unresolved (a
/// concurrent resume may have resolved it meanwhile; its verdict stands).
pub async fn mark_refund_unknown_if_open(tx: &mut Tx, id: i64, res: &RefundResult) -> Result<u64> {
    let now = tx.now();
    let q = Query::new(
        "UPDATE paydesk_refunds SET status = 'unknown', gateway_code = ?, gateway_sub_code = ?, gateway_msg = ?, \
         last_error = ?, attempts = attempts + 1, updated_time = ? WHERE id = ? AND status IN ('pending', 'unknown')",
    )
    .bind(res.gateway_code.clone())
    .bind(res.gateway_sub_code.clone())
    .bind(res.gateway_msg.clone())
    .bind(res.last_error.clone())
    .bind(now)
    .bind(id);
    Ok(tx.execute(q).await?.rows_affected)
}
