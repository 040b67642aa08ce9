//! Orders: list, detail, test orders, pay links, close/expire.

use paydesk_core::browse::{self, OrderListItem, UserRef};
use paydesk_core::domain::OrderStatus;
use paydesk_core::rows;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::audit::AuditRow;
use super::grants::GrantRow;
use super::refunds::RefundRow;
use super::{money, opt_time, parse_date, parse_money, time};
use crate::error::{IpcError, IpcResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RefundState {
    None,
    Partial,
    Full,
    Pending,
}

impl From<browse::RefundState> for RefundState {
    fn from(s: browse::RefundState) -> Self {
        match s {
            browse::RefundState::None => RefundState::None,
            browse::RefundState::Partial => RefundState::Partial,
            browse::RefundState::Full => RefundState::Full,
            browse::RefundState::Pending => RefundState::Pending,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RefundFilterState {
    Any,
    None,
    Partial,
    Full,
    Pending,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct OrderFilter {
    pub status: Vec<i64>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub user: Option<String>,
    pub number_prefix: Option<String>,
    pub min_amount: Option<String>,
    pub max_amount: Option<String>,
    pub refund: RefundFilterState,
    /// Paid on or after this day (YYYY-MM-DD, Beijing).
    pub paid_from: Option<String>,
    /// Paid on or before this day (inclusive).
    pub paid_to: Option<String>,
}

/// What everything the filter selects adds up to (not only the page on screen).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct OrderTotals {
    pub orders: i64,
    pub real_price: String,
    pub paid_orders: i64,
    pub paid: String,
    pub refunded: String,
}

impl From<&paydesk_core::order_totals::OrderTotals> for OrderTotals {
    fn from(t: &paydesk_core::order_totals::OrderTotals) -> Self {
        OrderTotals {
            orders: t.orders,
            real_price: super::money(t.real_price),
            paid_orders: t.paid_orders,
            paid: super::money(t.paid),
            refunded: super::money(t.refunded),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct PageRequest {
    pub after: Option<String>,
    pub limit: u32,
}

/// The UI's one "user" box: id, mobile or username (core decides which).
pub fn user_ref(text: &str) -> Option<UserRef> {
    paydesk_core::lookup::user_ref(text)
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl OrderFilter {
    pub fn to_core(&self, page: &PageRequest) -> IpcResult<browse::OrderFilter> {
        let after = match non_empty(&page.after) {
            Some(c) => Some(c.parse::<browse::Cursor>()?),
            None => None,
        };
        let created_to = match non_empty(&self.to) {
            // The UI's "to" date is inclusive.
            Some(d) => Some(parse_date("to", d)? + chrono::TimeDelta::days(1)),
            None => None,
        };
        Ok(browse::OrderFilter {
            statuses: self.status.iter().map(|s| OrderStatus::from(*s)).collect(),
            created_from: non_empty(&self.from)
                .map(|d| parse_date("from", d))
                .transpose()?,
            created_to,
            paid_from: non_empty(&self.paid_from)
                .map(|d| parse_date("paid from", d))
                .transpose()?,
            paid_to: match non_empty(&self.paid_to) {
                // Inclusive, as the created-date filter.
                Some(d) => Some(parse_date("paid to", d)? + chrono::TimeDelta::days(1)),
                None => None,
            },
            user: non_empty(&self.user).and_then(user_ref),
            number_prefix: non_empty(&self.number_prefix).map(str::to_string),
            min_amount: non_empty(&self.min_amount)
                .map(|a| parse_money("minimum amount", a))
                .transpose()?,
            max_amount: non_empty(&self.max_amount)
                .map(|a| parse_money("maximum amount", a))
                .transpose()?,
            refund: match self.refund {
                RefundFilterState::Any => None,
                RefundFilterState::None => Some(browse::RefundState::None.filter()),
                RefundFilterState::Partial => Some(browse::RefundState::Partial.filter()),
                RefundFilterState::Full => Some(browse::RefundState::Full.filter()),
                RefundFilterState::Pending => Some(browse::RefundState::Pending.filter()),
            },
            include_deleted: false,
            after,
            limit: page.limit,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct OrderRow {
    pub id: i64,
    pub order_number: String,
    pub user_id: i64,
    pub username: String,
    pub mobile: String,
    pub status: i64,
    pub status_label: String,
    pub total_price: String,
    pub real_price: String,
    pub credit: i64,
    pub pay_time: Option<String>,
    pub created_time: String,
    pub refunded: String,
    pub refund_state: RefundState,
}

impl OrderRow {
    pub fn new(
        o: &rows::OrderRow,
        user: Option<&rows::UserRow>,
        refunded: Decimal,
        unresolved: bool,
    ) -> Self {
        OrderRow {
            id: o.id,
            order_number: o.order_number.clone(),
            user_id: o.user_id,
            username: user.map(|u| u.username.clone()).unwrap_or_default(),
            mobile: user.map(|u| u.mobile.clone()).unwrap_or_default(),
            status: o.order_status.code(),
            status_label: o.order_status.label_zh(),
            total_price: money(o.total_price),
            real_price: money(o.real_price),
            credit: o.credit.unwrap_or(0),
            pay_time: opt_time(o.pay_time),
            created_time: time(o.base.created_time),
            refunded: money(refunded),
            refund_state: browse::RefundState::of(o.real_price, refunded, unresolved).into(),
        }
    }

    pub fn from_item(i: &OrderListItem) -> Self {
        let mut r = OrderRow::new(&i.order, None, i.refunded, i.refund_unresolved);
        r.refund_state = i.refund_state().into();
        r.username = i.username.clone().unwrap_or_default();
        r.mobile = i.mobile.clone().unwrap_or_default();
        r
    }

    pub fn from_detail(d: &browse::OrderDetail) -> Self {
        let mut r = OrderRow::new(&d.order, d.user.as_ref(), d.refunded, false);
        r.refund_state = d.refund_state().into();
        r
    }
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct OrderPage {
    pub rows: Vec<OrderRow>,
    pub next: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct OrderCourse {
    pub course_id: i64,
    pub name: String,
    pub price: String,
    pub real_price: String,
    pub discount_name: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct OrderCoupon {
    pub coupon_log_id: i64,
    pub name: String,
    pub sale: String,
    pub discount: i64,
    pub use_status: i64,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct CreditRow {
    pub id: i64,
    pub operation: i64,
    pub number: i64,
    pub remark: Option<String>,
    pub created_time: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct OrderDetail {
    pub order: OrderRow,
    pub courses: Vec<OrderCourse>,
    pub coupon: Option<OrderCoupon>,
    pub credits: Vec<CreditRow>,
    pub grants: Vec<GrantRow>,
    pub refunds: Vec<RefundRow>,
    pub audit: Vec<AuditRow>,
}

impl OrderDetail {
    pub fn from_core(d: &browse::OrderDetail) -> Self {
        let username = d
            .user
            .as_ref()
            .map(|u| u.username.clone())
            .unwrap_or_default();
        OrderDetail {
            order: OrderRow::from_detail(d),
            courses: d
                .courses
                .iter()
                .map(|c| OrderCourse {
                    course_id: c.course_id,
                    name: c
                        .base
                        .name
                        .clone()
                        .unwrap_or_else(|| format!("course {}", c.course_id)),
                    price: money(c.price),
                    real_price: money(c.real_price),
                    discount_name: c.discount_name.clone(),
                })
                .collect(),
            coupon: d.coupons.first().map(|c| OrderCoupon {
                coupon_log_id: c.log.id,
                name: c
                    .coupon
                    .as_ref()
                    .and_then(|k| k.base.name.clone())
                    .or_else(|| c.log.base.name.clone())
                    .unwrap_or_default(),
                sale: c
                    .coupon
                    .as_ref()
                    .map(|k| k.sale.clone())
                    .unwrap_or_default(),
                discount: c.coupon.as_ref().map_or(0, |k| k.discount.code()),
                use_status: c.log.use_status.map_or(0, |s| s.code()),
            }),
            credits: d
                .credits
                .iter()
                .map(|c| CreditRow {
                    id: c.id,
                    operation: c.operation.code(),
                    number: c.number,
                    remark: c.remark.clone(),
                    created_time: time(c.base.created_time),
                })
                .collect(),
            grants: d
                .grants
                .iter()
                .map(|g| GrantRow::new(g, &username))
                .chain(d.revoked_grants.iter().map(|g| {
                    GrantRow {
                        id: g.grant_id,
                        user_id: g.user_id,
                        username: username.clone(),
                        course_id: g.course_id,
                        course_name: g
                            .name
                            .clone()
                            .unwrap_or_else(|| format!("course {}", g.course_id)),
                        created_time: opt_time(g.created_time).unwrap_or_default(),
                        study_time: 0,
                        revoked: true,
                    }
                }))
                .collect(),
            refunds: d.refunds.iter().map(RefundRow::from_core).collect(),
            audit: d.audit.iter().map(AuditRow::from_core).collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct TradeStatusView {
    pub exists: bool,
    pub trade_no: Option<String>,
    pub trade_status: Option<String>,
    pub total_amount: Option<String>,
    pub buyer_pay_amount: Option<String>,
    pub send_pay_date: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct TestOrderRequest {
    pub user_id: i64,
    pub course_ids: Vec<i64>,
    pub coupon_log_id: Option<i64>,
    pub credits: i64,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct TestUser {
    pub id: i64,
    pub username: String,
    pub mobile: String,
    pub credit: i64,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct TestCourse {
    pub id: i64,
    pub name: String,
    pub price: String,
    pub credit: i64,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct TestCoupon {
    pub coupon_log_id: i64,
    pub user_id: i64,
    pub name: String,
    pub sale: String,
    pub condition: i64,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct TestOrderOptions {
    pub users: Vec<TestUser>,
    pub courses: Vec<TestCourse>,
    pub coupons: Vec<TestCoupon>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct PayLink {
    pub url: String,
    pub qr_svg: String,
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct OperationResult {
    pub changed: bool,
    pub message: String,
    pub order: OrderRow,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ExpireFailure {
    pub order_number: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct ExpireReport {
    pub expired: Vec<String>,
    pub settled_instead: Vec<String>,
    pub failed: Vec<ExpireFailure>,
}

impl ExpireReport {
    pub fn from_core(r: &paydesk_core::ops::close::ExpireReport) -> Self {
        use paydesk_core::ops::Outcome;
        use paydesk_core::ops::close::Expired;
        let mut out = ExpireReport::default();
        for o in &r.orders {
            match o {
                Expired::Expired(c) if c.outcome == Outcome::Done => {
                    out.expired.push(c.order_number.clone())
                }
                Expired::Settled(s) if s.outcome == Outcome::Done => {
                    out.settled_instead.push(s.order_number.clone())
                }
                Expired::Skipped {
                    order_number,
                    error,
                } => out.failed.push(ExpireFailure {
                    order_number: order_number.clone(),
                    message: error.clone(),
                }),
                _ => {}
            }
        }
        out
    }
}

/// Page size the UI may ask for (core refuses above 500).
pub fn check_limit(limit: u32) -> IpcResult<()> {
    if limit > 500 {
        return Err(IpcError::invalid(format!(
            "page size {limit} is above the maximum of 500"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_and_full_refund_filters_go_to_core_sql() {
        let mut f = OrderFilter {
            status: vec![],
            from: None,
            to: None,
            user: None,
            number_prefix: None,
            min_amount: None,
            max_amount: None,
            refund: RefundFilterState::Partial,
            paid_from: None,
            paid_to: None,
        };
        let page = PageRequest {
            after: None,
            limit: 50,
        };
        assert_eq!(
            f.to_core(&page).unwrap().refund,
            Some(browse::RefundFilter::Partial)
        );
        f.refund = RefundFilterState::Full;
        assert_eq!(
            f.to_core(&page).unwrap().refund,
            Some(browse::RefundFilter::Full)
        );
        f.refund = RefundFilterState::Pending;
        assert_eq!(
            f.to_core(&page).unwrap().refund,
            Some(browse::RefundFilter::Unresolved)
        );
    }

    #[test]
    fn the_to_date_is_inclusive() {
        let f = OrderFilter {
            status: vec![1],
            from: Some("2026-01-01".into()),
            to: Some("2026-01-31".into()),
            user: None,
            number_prefix: Some("2026".into()),
            min_amount: None,
            max_amount: Some("99.5".into()),
            refund: RefundFilterState::Any,
            paid_from: None,
            paid_to: None,
        };
        let c = f
            .to_core(&PageRequest {
                after: None,
                limit: 50,
            })
            .unwrap();
        assert_eq!(c.created_to.unwrap().to_string(), "2026-02-01 00:00:00");
        assert_eq!(c.statuses, vec![OrderStatus::Paid]);
        assert_eq!(c.max_amount, Some(Decimal::new(995, 1)));
    }
}
