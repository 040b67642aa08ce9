//! What the revenue report reads: paid orders by `pay_time`, Paydesk's succeeded refunds by when
//! they succeeded, and the order courses of paid orders for the per-course split.
//!
//! Paid orders are summed per stored hour in SQL and put on Beijing days in Rust: a platform on
//! `USE_TZ=True` stores naive UTC, where a Beijing day runs from 16:00 to 16:00, so grouping by the
//! stored date would put every evening's payments on the wrong day. Hours are the finest unit both
//! clocks share, and a year is at most 8,784 of them.

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

use super::in_list;
use crate::db::{Dialect, Query, Row, Store, Tx, yuan_col, yuan_sum};
use crate::domain::{OrderStatus, RefundStatus};
use crate::error::{Result, StoreError};

/// Paid orders of one hour (Beijing time, on the hour).
#[derive(Debug, Clone, PartialEq)]
pub struct PaidHour {
    pub hour: NaiveDateTime,
    pub orders: i64,
    /// Σ `real_price`: what the customers paid.
    pub payments: Decimal,
    /// Σ `total_price`: the courses' prices before coupon and credits.
    pub list_price: Decimal,
    /// Σ `credit`: credits spent.
    pub credits: i64,
}

fn hour_expr(d: Dialect) -> &'static str {
    match d {
        // Fixed-width datetime text (see db.rs): the first 13 characters are the hour.
        Dialect::Sqlite => "substr(pay_time, 1, 13)",
        Dialect::MySql => "DATE_FORMAT(pay_time, '%Y-%m-%d %H')",
    }
}

fn stored_hour(r: &Row, s: &str) -> Result<NaiveDateTime> {
    let t = NaiveDate::parse_from_str(&s[..s.len().min(10)], "%Y-%m-%d")
        .ok()
        .zip(s.get(11..13).and_then(|h| h.parse::<u32>().ok()))
        .and_then(|(d, h)| d.and_hms_opt(h, 0, 0))
        .ok_or_else(|| StoreError::Corrupt(format!("pay_time hour {s:?} is not a datetime")))?;
    Ok(r.stored_time(t))
}

/// Paid orders with `from ≤ pay_time < to` (Beijing time), summed per hour.
pub async fn paid_hours(
    tx: &mut Tx,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<Vec<PaidHour>> {
    let d = tx.dialect();
    let n = tx.names().clone();
    let q = Query::new(format!(
        "SELECT {h} AS h, COUNT(*) AS n, {paid} AS paid, {list} AS list, \
         COALESCE(SUM(credit), 0) AS credits FROM {order} \
         WHERE order_status = ? AND pay_time >= ? AND pay_time < ? GROUP BY {h}",
        h = hour_expr(d),
        paid = yuan_sum(d, "real_price"),
        list = yuan_sum(d, "total_price"),
        order = n.order,
    ))
    .bind(OrderStatus::Paid.code())
    .bind(from)
    .bind(to);
    tx.fetch_all(q)
        .await?
        .iter()
        .map(|r| {
            Ok(PaidHour {
                hour: stored_hour(r, &r.string("h")?)?,
                orders: r.i64("n")?,
                payments: r.money("paid")?,
                list_price: r.money("list")?,
                credits: r.i64("credits")?,
            })
        })
        .collect()
}

/// How many coupons paid orders in `[from, to)` used (the coupon log rows marked used and linked
/// to them). `None` when the site has no coupon log.
pub async fn coupons_used(
    tx: &mut Tx,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<Option<i64>> {
    if !tx.store().features().coupons {
        return Ok(None);
    }
    let n = tx.names().clone();
    let q = Query::new(format!(
        "SELECT COUNT(*) AS n FROM {log} cl JOIN {order} o ON o.id = cl.order_id \
         WHERE o.order_status = ? AND o.pay_time >= ? AND o.pay_time < ? AND cl.use_status = 1",
        log = n.coupon_log,
        order = n.order,
    ))
    .bind(OrderStatus::Paid.code())
    .bind(from)
    .bind(to);
    Ok(Some(tx.fetch_one(q, "coupon count").await?.i64("n")?))
}

/// A succeeded refund: when Alipay paid it back (`gmt_refund_pay`), or when Paydesk recorded
/// it as succeeded when the answer had no time.
#[derive(Debug, Clone, PartialEq)]
pub struct SucceededRefund {
    pub order_id: i64,
    pub amount: Decimal,
    pub at: NaiveDateTime,
}

/// Paydesk's succeeded refunds with `from ≤ when < to`. A database Paydesk never wrote to has
/// none.
pub async fn refunds_succeeded(
    tx: &mut Tx,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<Vec<SucceededRefund>> {
    if !tx.store().has_paydesk_tables() {
        return Ok(Vec::new());
    }
    let q = Query::new(
        "SELECT order_id, amount, COALESCE(gmt_refund_pay, resolved_time, updated_time) AS at \
         FROM paydesk_refunds WHERE status = ? \
         AND COALESCE(gmt_refund_pay, resolved_time, updated_time) >= ? \
         AND COALESCE(gmt_refund_pay, resolved_time, updated_time) < ? ORDER BY id",
    )
    .bind(RefundStatus::Succeeded.as_str())
    .bind(from)
    .bind(to);
    tx.fetch_all(q)
        .await?
        .iter()
        .map(|r| {
            Ok(SucceededRefund {
                order_id: r.i64("order_id")?,
                amount: r.money("amount")?,
                at: r.time("at")?,
            })
        })
        .collect()
}

/// One course line of a paid order, with the order's own figures.
#[derive(Debug, Clone, PartialEq)]
pub struct PaidLine {
    pub order_id: i64,
    pub order_real_price: Decimal,
    pub order_list_price: Decimal,
    pub order_credits: i64,
    /// `None` for an order without course lines (a damaged order still took money).
    pub course_id: Option<i64>,
    pub line_real_price: Decimal,
}

/// Streams the course lines of the orders paid in `[from, to)`, grouped by order (ordered by
/// order id, then line id), calling `f` per line. Streamed: a year holds millions of lines.
pub async fn stream_paid_lines(
    store: &Store,
    from: NaiveDateTime,
    to: NaiveDateTime,
    mut f: impl FnMut(PaidLine) -> Result<()>,
) -> Result<()> {
    let d = store.dialect();
    let n = store.names();
    let q = Query::new(format!(
        "SELECT o.id AS oid, {orp}, {olp}, COALESCE(o.credit, 0) AS credits, oc.course_id AS cid, {lrp} \
         FROM {order} o LEFT JOIN {oc} oc ON oc.order_id = o.id \
         WHERE o.order_status = ? AND o.pay_time >= ? AND o.pay_time < ? ORDER BY o.id, oc.id",
        orp = yuan_col(d, "o.real_price", "orp"),
        olp = yuan_col(d, "o.total_price", "olp"),
        lrp = yuan_col(d, "oc.real_price", "lrp"),
        order = n.order,
        oc = n.order_course,
    ))
    .bind(OrderStatus::Paid.code())
    .bind(from)
    .bind(to);
    store
        .stream(q, |r| {
            f(PaidLine {
                order_id: r.i64("oid")?,
                order_real_price: r.yuan("orp")?,
                order_list_price: r.yuan("olp")?,
                order_credits: r.i64("credits")?,
                course_id: r.opt_i64("cid")?,
                line_real_price: r.opt_yuan("lrp")?.unwrap_or(Decimal::ZERO),
            })?;
            Ok(true)
        })
        .await
}

/// `(order_id, course_id, line real_price)` of the given orders, by order then line: the weights
/// a refund of the order is split by.
pub async fn lines_of_orders(tx: &mut Tx, order_ids: &[i64]) -> Result<Vec<(i64, i64, Decimal)>> {
    let mut out = Vec::new();
    let d = tx.dialect();
    let n = tx.names().clone();
    for chunk in order_ids.chunks(5_000) {
        let mut q = Query::new(format!(
            "SELECT order_id, course_id, {} FROM {} WHERE order_id IN {} ORDER BY order_id, id",
            yuan_col(d, "real_price", "rp"),
            n.order_course,
            in_list(chunk.len())
        ));
        for id in chunk {
            q.push_arg(*id);
        }
        for r in tx.fetch_all(q).await? {
            out.push((r.i64("order_id")?, r.i64("course_id")?, r.yuan("rp")?));
        }
    }
    Ok(out)
}

/// Course names by id (BaseModel `name`), for the report's course rows.
pub async fn course_names(tx: &mut Tx, ids: &[i64]) -> Result<Vec<(i64, String)>> {
    let mut out = Vec::new();
    let n = tx.names().clone();
    for chunk in ids.chunks(5_000) {
        let mut q = Query::new(format!(
            "SELECT id, name FROM {} WHERE id IN {}",
            n.course,
            in_list(chunk.len())
        ));
        for id in chunk {
            q.push_arg(*id);
        }
        for r in tx.fetch_all(q).await? {
            out.push((r.i64("id")?, r.opt_string("name")?.unwrap_or_default()));
        }
    }
    Ok(out)
}
