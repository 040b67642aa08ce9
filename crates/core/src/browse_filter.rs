//! The WHERE clause of an order filter (alias `o`), shared by the page of orders
//! ([`crate::browse::orders`]) and the totals of everything the filter selects
//! ([`crate::order_totals`]), so the totals are always of exactly the rows the list shows.

use crate::browse::{OrderFilter, RefundFilter, prefix_upper_bound};
use crate::db::{Query, Store, Tx};
use crate::domain::RefundStatus;
use crate::error::Result;
use crate::queries::in_list;

/// Appends ` AND …` conditions for `f` (all but the page cursor) to `q`.
pub(crate) async fn push_filter(
    tx: &mut Tx,
    store: &Store,
    f: &OrderFilter,
    q: &mut Query,
) -> Result<()> {
    let n = store.names().clone();
    if !f.include_deleted {
        q.sql.push_str(&format!(" AND o.{} = 0", n.deleted));
    }
    match f.statuses.len() {
        0 => {}
        1 => {
            q.sql.push_str(" AND o.order_status = ?");
            q.push_arg(f.statuses[0].code());
        }
        k => {
            // Several statuses: unary + keeps the planner from driving by the status index, which
            // would need a sort of every matching row; the created_time index yields the page in order.
            q.sql
                .push_str(&format!(" AND +o.order_status IN {}", in_list(k)));
            for s in &f.statuses {
                q.push_arg(s.code());
            }
        }
    }
    if let Some(t) = f.created_from {
        q.sql.push_str(" AND o.created_time >= ?");
        q.push_arg(t);
    }
    if let Some(t) = f.created_to {
        q.sql.push_str(" AND o.created_time < ?");
        q.push_arg(t);
    }
    if let Some(t) = f.paid_from {
        q.sql.push_str(" AND o.pay_time >= ?");
        q.push_arg(t);
    }
    if let Some(t) = f.paid_to {
        q.sql.push_str(" AND o.pay_time < ?");
        q.push_arg(t);
    }
    if let Some(u) = &f.user {
        let id = crate::lookup::user_in(tx, u).await?.id;
        q.sql.push_str(" AND o.user_id = ?");
        q.push_arg(id);
    }
    if let Some(p) = &f.number_prefix {
        // A range, not LIKE: SQLite's LIKE is case-insensitive and would not use the index.
        q.sql
            .push_str(" AND o.order_number >= ? AND o.order_number < ?");
        q.push_arg(p.as_str());
        q.push_arg(prefix_upper_bound(p));
    }
    if let Some(a) = f.min_amount {
        q.sql.push_str(" AND o.real_price >= ?");
        q.push_arg(crate::db::Val::Yuan(a));
    }
    if let Some(a) = f.max_amount {
        q.sql.push_str(" AND o.real_price <= ?");
        q.push_arg(crate::db::Val::Yuan(a));
    }
    match f.refund {
        None => {}
        // Opened to read a database Paydesk never wrote to: no order has a Paydesk refund.
        Some(RefundFilter::None) if !store.has_paydesk_tables() => {}
        Some(_) if !store.has_paydesk_tables() => q.sql.push_str(" AND 1 = 0"),
        Some(RefundFilter::None) => {
            q.sql.push_str(
                " AND NOT EXISTS (SELECT 1 FROM paydesk_refunds r WHERE r.order_id = o.id)",
            );
        }
        Some(RefundFilter::Any) => q
            .sql
            .push_str(" AND o.id IN (SELECT r.order_id FROM paydesk_refunds r)"),
        Some(RefundFilter::State(s)) => {
            q.sql.push_str(
                " AND o.id IN (SELECT r.order_id FROM paydesk_refunds r WHERE r.status = ?)",
            );
            q.push_arg(s.as_str());
        }
        Some(RefundFilter::Unresolved) => {
            q.sql.push_str(
                " AND o.id IN (SELECT r.order_id FROM paydesk_refunds r WHERE r.status IN (?, ?))",
            );
            q.push_arg(RefundStatus::Pending.as_str());
            q.push_arg(RefundStatus::Unknown.as_str());
        }
        Some(f @ (RefundFilter::Partial | RefundFilter::Full)) => {
            // In SQL, not on the page: filtering a fetched page would shorten it. Refund rows are
            // few, so the planners drive from them; the sum is exact (fen on SQLite, decimal on MySQL).
            q.sql.push_str(&format!(
                " AND o.id IN (SELECT r.order_id FROM paydesk_refunds r WHERE r.status = ?) \
                 AND NOT EXISTS (SELECT 1 FROM paydesk_refunds u WHERE u.order_id = o.id AND u.status IN (?, ?)) \
                 AND (SELECT SUM(s.amount) FROM paydesk_refunds s WHERE s.order_id = o.id AND s.status = ?) {} {}",
                if f == RefundFilter::Full { ">=" } else { "<" },
                crate::db::yuan_as_money(store.dialect(), "o.real_price")
            ));
            q.push_arg(RefundStatus::Succeeded.as_str());
            q.push_arg(RefundStatus::Pending.as_str());
            q.push_arg(RefundStatus::Unknown.as_str());
            q.push_arg(RefundStatus::Succeeded.as_str());
        }
    }
    Ok(())
}
