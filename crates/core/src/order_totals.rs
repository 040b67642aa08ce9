//! What a filtered order list adds up to: how many orders, their `real_price`, and what Paydesk
//! refunded of them — over every order the filter selects, not only the page on screen.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::Store;
use crate::browse::{OrderFilter, validate};
use crate::db::{Query, yuan_sum};
use crate::domain::{OrderStatus, RefundStatus};
use crate::error::Result;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OrderTotals {
    pub orders: i64,
    /// Σ real_price of those orders.
    pub real_price: Decimal,
    /// Of them, paid (status 已支付) and what those came to.
    pub paid_orders: i64,
    pub paid: Decimal,
    /// Succeeded Paydesk refunds of those orders.
    pub refunded: Decimal,
}

/// Totals of every order `f` selects (its page size and cursor are ignored).
pub async fn order_totals(store: &Store, f: &OrderFilter) -> Result<OrderTotals> {
    validate(f)?;
    let d = store.dialect();
    let n = store.names().clone();
    let mut tx = store.begin_read().await?;
    let mut q = Query::new(format!(
        "SELECT COUNT(*) AS n, {all} AS total, \
         COALESCE(SUM(CASE WHEN o.order_status = {paid} THEN 1 ELSE 0 END), 0) AS paid_n, \
         {paid_sum} AS paid FROM {order} o WHERE 1 = 1",
        all = yuan_sum(d, "o.real_price"),
        paid = OrderStatus::Paid.code(),
        paid_sum = yuan_sum(
            d,
            &format!(
                "CASE WHEN o.order_status = {} THEN o.real_price ELSE 0 END",
                OrderStatus::Paid.code()
            )
        ),
        order = n.order,
    ));
    crate::browse_filter::push_filter(&mut tx, store, f, &mut q).await?;
    let r = tx.fetch_one(q, "order totals").await?;
    let mut t = OrderTotals {
        orders: r.i64("n")?,
        real_price: r.money("total")?,
        paid_orders: r.i64("paid_n")?,
        paid: r.money("paid")?,
        refunded: Decimal::ZERO,
    };
    if store.has_paydesk_tables() {
        let mut q = Query::new(format!(
            "SELECT COALESCE(SUM(r.amount), 0) AS s FROM paydesk_refunds r \
             WHERE r.status = ? AND r.order_id IN (SELECT o.id FROM {} o WHERE 1 = 1",
            n.order
        ));
        q.push_arg(RefundStatus::Succeeded.as_str());
        crate::browse_filter::push_filter(&mut tx, store, f, &mut q).await?;
        q.sql.push(')');
        t.refunded = tx.fetch_one(q, "refund totals").await?.money("s")?;
    }
    tx.rollback().await?;
    for m in [&mut t.real_price, &mut t.paid, &mut t.refunded] {
        m.rescale(2);
    }
    Ok(t)
}
