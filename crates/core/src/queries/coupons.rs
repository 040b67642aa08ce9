//! `ly_coupon` and `ly_coupon_log` (a coupon issued to a user, possibly bound to an order).

use chrono::NaiveDateTime;

use crate::db::{Query, Tx};
use crate::domain::UseStatus;
use crate::error::Result;
use crate::ident::q;
use crate::rows::{CouponLogRow, CouponRow, coupon_cols, coupon_log_cols};

// On a site without coupon tables (db check: coupons off) there are no coupons to find or use.

pub async fn get_coupon(tx: &mut Tx, id: i64) -> Result<Option<CouponRow>> {
    if !tx.store().features().coupons {
        return Ok(None);
    }
    let n = tx.names().clone();
    // `condition` is a reserved word on MySQL: always quoted.
    let cond = q(tx.dialect(), "condition");
    let sql = format!(
        "SELECT {} FROM {} c WHERE c.id = ?",
        coupon_cols(&n, "c", &cond),
        n.coupon
    );
    tx.fetch_optional(Query::new(sql).bind(id))
        .await?
        .map(|r| CouponRow::from_row(&r))
        .transpose()
}

pub async fn log_for_order(tx: &mut Tx, order_id: i64) -> Result<Vec<CouponLogRow>> {
    if !tx.store().features().coupons {
        return Ok(Vec::new());
    }
    let n = tx.names().clone();
    let sql = format!(
        "SELECT {} FROM {} l WHERE l.order_id = ? ORDER BY l.id",
        coupon_log_cols(&n, "l"),
        n.coupon_log
    );
    tx.fetch_all(Query::new(sql).bind(order_id))
        .await?
        .iter()
        .map(CouponLogRow::from_row)
        .collect()
}

pub async fn get_log(tx: &mut Tx, id: i64) -> Result<Option<CouponLogRow>> {
    if !tx.store().features().coupons {
        return Ok(None);
    }
    let n = tx.names().clone();
    let sql = format!(
        "SELECT {} FROM {} l WHERE l.id = ?",
        coupon_log_cols(&n, "l"),
        n.coupon_log
    );
    tx.fetch_optional(Query::new(sql).bind(id))
        .await?
        .map(|r| CouponLogRow::from_row(&r))
        .transpose()
}

/// Sets a coupon log's use state and order link (settle: Used + use_time; release: Unused, no
/// order, no use_time). Returns rows affected.
pub async fn set_log_use(
    tx: &mut Tx,
    log_id: i64,
    status: UseStatus,
    use_time: Option<NaiveDateTime>,
    order_id: Option<i64>,
) -> Result<u64> {
    let now = tx.now();
    let sql = format!(
        "UPDATE {} SET use_status = ?, use_time = ?, order_id = ?, updated_time = ? WHERE id = ?",
        tx.names().coupon_log
    );
    let qy = Query::new(sql)
        .bind(status.code())
        .bind(use_time)
        .bind(order_id)
        .bind(now)
        .bind(log_id);
    Ok(tx.execute(qy).await?.rows_affected)
}
