//! Browsing orders: filters, keyset pagination (newest first: created_time DESC, id DESC), and the
//! order detail with everything attached to it.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::db::{Query, Store, Tx, parse_sqlite_time, sqlite_time};
use crate::domain::{OrderStatus, RefundStatus};
use crate::error::{Result, StoreError};
use crate::queries::{self, in_list};
use crate::rows::{
    AuditRow, CouponLogRow, CouponRow, CreditRow, GrantRow, OrderCourseRow, OrderRow, RefundRow,
    UserRow, order_cols, user_cols,
};

/// Who placed the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserRef {
    Id(i64),
    Mobile(String),
    Username(String),
}

/// Orders by what Paydesk knows of their refunds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundFilter {
    /// No refund record at all.
    None,
    /// At least one refund record, any state.
    Any,
    /// At least one refund in this state.
    State(RefundStatus),
    /// What [`RefundState`] calls partial: some money back, less than paid, nothing unresolved.
    Partial,
    /// What [`RefundState`] calls full: all the paid price back, nothing unresolved.
    Full,
    /// A refund is pending or its outcome unknown (needs `refunds resume`).
    Unresolved,
}

/// An order's refunds in one word, as the Orders table shows them: an unresolved refund first
/// (it needs attention), then how much of the paid price went back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundState {
    None,
    Partial,
    Full,
    Pending,
}

impl RefundState {
    pub fn of(real_price: Decimal, refunded: Decimal, unresolved: bool) -> Self {
        if unresolved {
            RefundState::Pending
        } else if refunded <= Decimal::ZERO {
            RefundState::None
        } else if refunded >= real_price {
            RefundState::Full
        } else {
            RefundState::Partial
        }
    }

    /// The [`RefundFilter`] that selects exactly the orders in this state.
    pub fn filter(self) -> RefundFilter {
        match self {
            RefundState::None => RefundFilter::None,
            RefundState::Partial => RefundFilter::Partial,
            RefundState::Full => RefundFilter::Full,
            RefundState::Pending => RefundFilter::Unresolved,
        }
    }
}

/// A position in the newest-first order list: the last row of the previous page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_time: NaiveDateTime,
    pub id: i64,
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}|{}", sqlite_time(self.created_time), self.id)
    }
}

impl FromStr for Cursor {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            StoreError::InvalidInput(format!(
                "page cursor {s:?} is not one this program produced"
            ))
        };
        let (t, id) = s.rsplit_once('|').ok_or_else(bad)?;
        Ok(Cursor {
            created_time: parse_sqlite_time(t).ok_or_else(bad)?,
            id: id.parse().map_err(|_| bad())?,
        })
    }
}

impl Serialize for Cursor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
impl<'de> Deserialize<'de> for Cursor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderFilter {
    /// Any of these statuses (empty: all).
    pub statuses: Vec<OrderStatus>,
    /// created_time ≥ this.
    pub created_from: Option<NaiveDateTime>,
    /// created_time < this.
    pub created_to: Option<NaiveDateTime>,
    /// pay_time ≥ this (Beijing time; unpaid orders have none and drop out).
    pub paid_from: Option<NaiveDateTime>,
    /// pay_time < this.
    pub paid_to: Option<NaiveDateTime>,
    pub user: Option<UserRef>,
    /// Digits the order number starts with.
    pub number_prefix: Option<String>,
    /// real_price ≥ this.
    pub min_amount: Option<Decimal>,
    /// real_price ≤ this.
    pub max_amount: Option<Decimal>,
    pub refund: Option<RefundFilter>,
    /// Soft-deleted orders are hidden unless asked for.
    pub include_deleted: bool,
    pub after: Option<Cursor>,
    /// Page size, 1–500 (0 means the default 50).
    pub limit: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct OrderListItem {
    #[serde(flatten)]
    pub order: OrderRow,
    pub username: Option<String>,
    pub mobile: Option<String>,
    /// Succeeded refunds.
    pub refunded: Decimal,
    /// A refund is pending or unknown.
    pub refund_unresolved: bool,
}

impl OrderListItem {
    pub fn refund_state(&self) -> RefundState {
        RefundState::of(self.order.real_price, self.refunded, self.refund_unresolved)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct OrderPage {
    pub orders: Vec<OrderListItem>,
    /// Pass as `after` for the next page; `None` on the last page.
    pub next: Option<Cursor>,
}

/// The smallest string greater than every string starting with `prefix` (digits only).
pub(crate) fn prefix_upper_bound(prefix: &str) -> String {
    // Digits: bumping the last character to the next code point ('9' → ':') bounds the range.
    let mut s = prefix.to_string();
    let last = s.pop().expect("prefix is not empty");
    s.push(char::from_u32(last as u32 + 1).expect("digit + 1 is a char"));
    s
}

pub(crate) fn validate(f: &OrderFilter) -> Result<u32> {
    let limit = if f.limit == 0 { 50 } else { f.limit };
    if limit > 500 {
        return Err(StoreError::InvalidInput(format!(
            "page size {limit} is above the maximum of 500"
        )));
    }
    if let (Some(a), Some(b)) = (f.created_from, f.created_to)
        && a >= b
    {
        return Err(StoreError::InvalidInput(format!(
            "date range is empty: from {a} is not before to {b}"
        )));
    }
    if let (Some(a), Some(b)) = (f.paid_from, f.paid_to)
        && a >= b
    {
        return Err(StoreError::InvalidInput(format!(
            "paid date range is empty: from {a} is not before to {b}"
        )));
    }
    if let (Some(a), Some(b)) = (f.min_amount, f.max_amount)
        && a > b
    {
        return Err(StoreError::InvalidInput(format!(
            "amount range is empty: minimum {a} is above maximum {b}"
        )));
    }
    for a in [f.min_amount, f.max_amount].into_iter().flatten() {
        crate::db::money_to_fen(a)?;
    }
    if let Some(p) = &f.number_prefix
        && (p.is_empty() || p.len() > 64 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(StoreError::InvalidInput(format!(
            "order number prefix {p:?} must be 1–64 digits"
        )));
    }
    Ok(limit)
}

/// One page of orders, newest first.
pub async fn orders(store: &Store, f: &OrderFilter) -> Result<OrderPage> {
    let limit = validate(f)?;
    let mut tx = store.begin_read().await?;
    let n = store.names().clone();
    let mut q = Query::new(format!(
        "SELECT {} FROM {} o WHERE 1 = 1",
        order_cols(&n, "o"),
        n.order
    ));
    crate::browse_filter::push_filter(&mut tx, store, f, &mut q).await?;
    if let Some(c) = f.after {
        // The leading `<=` is a plain range the (…, created_time) indexes can seek to; the OR
        // alone would make the planners scan.
        q.sql
            .push_str(" AND o.created_time <= ? AND (o.created_time < ? OR o.id < ?)");
        q.push_arg(c.created_time);
        q.push_arg(c.created_time);
        q.push_arg(c.id);
    }
    q.sql
        .push_str(" ORDER BY o.created_time DESC, o.id DESC LIMIT ?");
    q.push_arg(i64::from(limit) + 1);
    let mut rows: Vec<OrderRow> = tx
        .fetch_all(q)
        .await?
        .iter()
        .map(OrderRow::from_row)
        .collect::<Result<_>>()?;
    let next = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().map(|o| Cursor {
            created_time: o.base.created_time,
            id: o.id,
        })
    } else {
        None
    };

    // Decorate the page with two IN queries instead of joins over the whole table.
    let ids: Vec<i64> = rows.iter().map(|o| o.id).collect();
    let mut user_ids: Vec<i64> = rows.iter().map(|o| o.user_id).collect();
    user_ids.sort_unstable();
    user_ids.dedup();
    let users = users_by_id(&mut tx, &user_ids).await?;
    let refunds = refund_summary(&mut tx, &ids).await?;
    tx.rollback().await?;
    let orders = rows
        .into_iter()
        .map(|o| {
            let u = users.get(&o.user_id);
            let (refunded, unresolved) = refunds
                .get(&o.id)
                .copied()
                .unwrap_or((Decimal::ZERO, false));
            let mut refunded = refunded;
            refunded.rescale(2);
            OrderListItem {
                username: u.map(|u| u.username.clone()),
                mobile: u.map(|u| u.mobile.clone()),
                refunded,
                refund_unresolved: unresolved,
                order: o,
            }
        })
        .collect();
    Ok(OrderPage { orders, next })
}

async fn users_by_id(tx: &mut Tx, ids: &[i64]) -> Result<HashMap<i64, UserRow>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut q = Query::new(format!(
        "SELECT {} FROM {} u WHERE u.id IN {}",
        user_cols(tx.names(), "u"),
        tx.names().users,
        in_list(ids.len())
    ));
    for id in ids {
        q.push_arg(*id);
    }
    tx.fetch_all(q)
        .await?
        .iter()
        .map(|r| UserRow::from_row(r).map(|u| (u.id, u)))
        .collect()
}

async fn refund_summary(tx: &mut Tx, order_ids: &[i64]) -> Result<HashMap<i64, (Decimal, bool)>> {
    let mut out: HashMap<i64, (Decimal, bool)> = HashMap::new();
    // Paydesk never wrote here (opened to read): it has refunded nothing.
    if order_ids.is_empty() || !tx.store().has_paydesk_tables() {
        return Ok(out);
    }
    let mut q = Query::new(format!(
        "SELECT order_id, amount, status FROM paydesk_refunds WHERE order_id IN {}",
        in_list(order_ids.len())
    ));
    for id in order_ids {
        q.push_arg(*id);
    }
    for r in tx.fetch_all(q).await? {
        let e = out
            .entry(r.i64("order_id")?)
            .or_insert((Decimal::ZERO, false));
        match RefundStatus::parse(&r.string("status")?) {
            Some(RefundStatus::Succeeded) => e.0 += r.money("amount")?,
            Some(RefundStatus::Pending | RefundStatus::Unknown) => e.1 = true,
            _ => {}
        }
    }
    Ok(out)
}

/// A coupon log and its coupon (the coupon may be missing: no foreign keys on the platform).
#[derive(Debug, Clone, Serialize)]
pub struct CouponUse {
    pub log: CouponLogRow,
    pub coupon: Option<CouponRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OrderDetail {
    pub order: OrderRow,
    pub user: Option<UserRow>,
    pub courses: Vec<OrderCourseRow>,
    pub coupons: Vec<CouponUse>,
    pub credits: Vec<CreditRow>,
    pub grants: Vec<GrantRow>,
    pub refunds: Vec<RefundRow>,
    /// Sum of succeeded refunds.
    pub refunded: Decimal,
    pub audit: Vec<AuditRow>,
    /// Grants a full refund of this order removed (the rows are gone; the audit keeps them).
    pub revoked_grants: Vec<RevokedGrant>,
}

/// A grant removed by a full refund, as the refund's audit row recorded it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RevokedGrant {
    pub grant_id: i64,
    pub user_id: i64,
    pub course_id: i64,
    /// The grant row's name column (the site fills it with the course name).
    pub name: Option<String>,
    /// When the grant was made (as recorded).
    pub created_time: Option<NaiveDateTime>,
    /// The refund's audit row, which holds the whole grant (restore from it).
    pub audit_id: i64,
    pub revoked_at: NaiveDateTime,
}

/// The grants a successful refund removed: its audit row keeps them whole in
/// `before.revoked_grants` (see `ops::refund`).
fn revoked_by_refunds(audit: &[AuditRow]) -> Vec<RevokedGrant> {
    let mut out = Vec::new();
    for a in audit
        .iter()
        .filter(|a| a.action == "refund" && a.outcome == "ok")
    {
        let Some(grants) = a
            .before
            .as_ref()
            .and_then(|v| v.get("revoked_grants"))
            .and_then(|v| v.as_array())
        else {
            continue;
        };
        for g in grants {
            let int = |k: &str| g.get(k).and_then(serde_json::Value::as_i64);
            let (Some(grant_id), Some(user_id), Some(course_id)) =
                (int("id"), int("user_id"), int("course_id"))
            else {
                continue;
            };
            out.push(RevokedGrant {
                grant_id,
                user_id,
                course_id,
                name: g.get("name").and_then(|v| v.as_str()).map(str::to_string),
                created_time: g
                    .get("created_time")
                    .and_then(|v| v.as_str())
                    .and_then(|t| t.parse::<NaiveDateTime>().ok()),
                audit_id: a.id,
                revoked_at: a.at,
            });
        }
    }
    out
}

impl OrderDetail {
    pub fn refund_state(&self) -> RefundState {
        let unresolved = self
            .refunds
            .iter()
            .any(|r| matches!(r.status, RefundStatus::Pending | RefundStatus::Unknown));
        RefundState::of(self.order.real_price, self.refunded, unresolved)
    }
}

pub async fn order_detail(store: &Store, order_id: i64) -> Result<OrderDetail> {
    let mut tx = store.begin_read().await?;
    let order = queries::orders::get(&mut tx, order_id)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: format!("order with id {order_id}"),
        })?;
    let user = queries::users::get(&mut tx, order.user_id).await?;
    let courses = queries::orders::courses(&mut tx, order_id).await?;
    let mut coupons = Vec::new();
    for log in queries::coupons::log_for_order(&mut tx, order_id).await? {
        let coupon = queries::coupons::get_coupon(&mut tx, log.coupon_id).await?;
        coupons.push(CouponUse { log, coupon });
    }
    let credits = queries::credits::for_order(
        &mut tx,
        order.user_id,
        &order.order_number,
        order.credit.unwrap_or(0),
        order.base.created_time,
    )
    .await?;
    let grants = if store.features().grants {
        queries::grants::list(
            &mut tx,
            &queries::grants::GrantFilter {
                order_id: Some(order_id),
                include_deleted: true,
                limit: 1000,
                ..Default::default()
            },
        )
        .await?
    } else {
        Vec::new()
    };
    // A database Paydesk only read has none of its refunds or audit rows.
    let ours = store.has_paydesk_tables();
    let refunds = if ours {
        queries::refunds::for_order(&mut tx, order_id).await?
    } else {
        Vec::new()
    };
    let mut refunded: Decimal = refunds
        .iter()
        .filter(|r| r.status == RefundStatus::Succeeded)
        .map(|r| r.amount)
        .sum();
    refunded.rescale(2);
    let audit = if ours {
        crate::audit::query_in(
            &mut tx,
            &crate::audit::AuditFilter {
                order_id: Some(order_id),
                limit: 500,
                ..Default::default()
            },
        )
        .await?
    } else {
        Vec::new()
    };
    tx.rollback().await?;
    let revoked_grants = revoked_by_refunds(&audit);
    Ok(OrderDetail {
        order,
        user,
        courses,
        coupons,
        credits,
        grants,
        refunds,
        refunded,
        audit,
        revoked_grants,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_revoked_by_a_full_refund_come_from_its_audit_row() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 26)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap();
        let row = |action: &str, outcome: &str, before: serde_json::Value| AuditRow {
            id: 7,
            at,
            operator: "t".into(),
            profile: "simulator".into(),
            action: action.into(),
            order_id: Some(1),
            order_number: None,
            user_id: Some(3),
            reason: None,
            before: Some(before),
            after: None,
            outcome: outcome.into(),
            detail: None,
        };
        let grants = serde_json::json!({ "revoked_grants": [
            { "id": 11, "user_id": 3, "course_id": 5, "name": "Python", "created_time": "2026-11-25T09:00:00" }
        ]});
        let got = revoked_by_refunds(&[
            row("refund", "pending", grants.clone()),
            row("refund", "ok", grants),
            row("refund", "ok", serde_json::json!({ "revoked_grants": [] })),
        ]);
        assert_eq!(got.len(), 1);
        assert_eq!(
            (got[0].grant_id, got[0].course_id, got[0].audit_id),
            (11, 5, 7)
        );
        assert_eq!(got[0].name.as_deref(), Some("Python"));
        assert!(got[0].created_time.is_some());
    }

    #[test]
    fn refund_state_puts_unresolved_first() {
        let p = Decimal::new(10000, 2);
        assert_eq!(RefundState::of(p, Decimal::ZERO, false), RefundState::None);
        assert_eq!(
            RefundState::of(p, Decimal::new(100, 2), false),
            RefundState::Partial
        );
        assert_eq!(RefundState::of(p, p, false), RefundState::Full);
        assert_eq!(RefundState::of(p, p, true), RefundState::Pending);
    }
}
