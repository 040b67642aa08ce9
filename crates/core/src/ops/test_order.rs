//! A test order, priced exactly as the site prices one ([`crate::pricing`]), for testers on the
//! simulator or the sandbox. Refused on a production profile: it deducts real users' credits.
//!
//! One transaction, as the site's create: the order (status 0) and its courses, the credits
//! deducted at once (guarded: the balance must cover them) with a purchase ledger row
//! (operation 1, negative: see [`super::settle`] for the sign convention), the coupon log bound to
//! the order (it is marked used at payment). The order number is the site's layout with the
//! counter from `paydesk_counters`, checked unused in the table (`order_number` has no unique key).

use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::settle::refuse;
use super::{OpsError, OpsResult, credit_remark, json};
use crate::browse::UserRef;
use crate::db::Tx;
use crate::desk::Desk;
use crate::domain::{CreditOperation, OrderNumber, OrderStatus, PayType, UseStatus};
use crate::pricing::{CouponToApply, CourseToPrice, Priced, price_order};
use crate::profile::ProfileKind;
use crate::queries::{self, credits::NewCredit, orders::NewOrder, orders::NewOrderCourse};
use crate::rows::{OrderCourseRow, OrderRow, UserRow};

/// A course in a test order, with the activity price the site would apply (Paydesk does not read
/// the site's activity tables; the tester states it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestCourse {
    pub course_id: i64,
    #[serde(default)]
    pub activity_price: Option<Decimal>,
    #[serde(default)]
    pub activity_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TestOrderRequest {
    pub user: UserRef,
    pub courses: Vec<TestCourse>,
    /// An unused `ly_coupon_log` row of this user.
    #[serde(default)]
    pub coupon_log_id: Option<i64>,
    #[serde(default)]
    pub credits: i64,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TestOrderReport {
    pub order: OrderRow,
    pub courses: Vec<OrderCourseRow>,
    pub priced: Priced,
    pub coupon_log_id: Option<i64>,
    pub credit_row: Option<i64>,
    pub message: String,
}

pub async fn test_order(desk: &Desk, req: &TestOrderRequest) -> OpsResult<TestOrderReport> {
    if desk.profile_kind == ProfileKind::Production {
        let e = OpsError::Refused(format!(
            "test orders are refused on the production profile {:?}: they deduct real users' credits",
            desk.profile_name
        ));
        refuse(desk, "test_order", None, None, &e).await;
        return Err(e);
    }
    if !desk.store.features().test_orders {
        return Err(OpsError::Refused(
            "test orders are off on this database: an order Paydesk adds would leave a NOT NULL \
             column of the order tables empty (paydesk db check names it and the fix)"
                .into(),
        ));
    }
    let mut tx = desk.store.begin_write().await?;
    match create(desk, &mut tx, req).await {
        Ok(r) => {
            tx.commit().await?;
            Ok(r)
        }
        Err(e) => {
            tx.rollback().await?;
            let mut a = desk.audit("test_order", "refused");
            a.detail = Some(e.to_string());
            a.after = Some(json(req));
            desk.audit_alone(&a).await;
            Err(e)
        }
    }
}

async fn resolve_user(tx: &mut Tx, u: &UserRef) -> OpsResult<UserRow> {
    let found = match u {
        UserRef::Id(id) => queries::users::get_for_update(tx, *id).await?,
        UserRef::Mobile(m) => queries::users::find_by_mobile(tx, m.trim()).await?,
        UserRef::Username(n) => queries::users::find_by_username(tx, n.trim()).await?,
    };
    let user = found.ok_or_else(|| OpsError::NotFound {
        what: match u {
            UserRef::Id(id) => format!("user with id {id}"),
            UserRef::Mobile(m) => format!("user with mobile {m}"),
            UserRef::Username(n) => format!("user {n:?}"),
        },
    })?;
    // Lock the balance we are about to spend from (MySQL; SQLite's write lock covers it).
    Ok(queries::users::get_for_update(tx, user.id)
        .await?
        .unwrap_or(user))
}

async fn create(desk: &Desk, tx: &mut Tx, req: &TestOrderRequest) -> OpsResult<TestOrderReport> {
    let now = tx.now();
    let user = resolve_user(tx, &req.user).await?;
    if !user.is_active {
        return Err(OpsError::Refused(format!(
            "user {} ({}) is not active",
            user.id, user.username
        )));
    }
    let ids: Vec<i64> = req.courses.iter().map(|c| c.course_id).collect();
    let found = queries::courses::get_many(tx, &ids).await?;
    let mut to_price = Vec::with_capacity(req.courses.len());
    for c in &req.courses {
        let row = found
            .iter()
            .find(|r| r.id == c.course_id)
            .ok_or_else(|| OpsError::NotFound {
                what: format!("course {}", c.course_id),
            })?;
        if row.base.is_deleted {
            return Err(OpsError::Refused(format!("course {} is deleted", row.id)));
        }
        let price = row.price.ok_or_else(|| {
            OpsError::Refused(format!(
                "course {} has no price: it is not for sale",
                row.id
            ))
        })?;
        if let Some(ap) = c.activity_price
            && (ap <= Decimal::ZERO || ap > price)
        {
            return Err(OpsError::InvalidInput(format!(
                "activity price {ap} of course {} must be above 0 and at most its price {price}",
                row.id
            )));
        }
        to_price.push(CourseToPrice {
            course_id: row.id,
            name: row
                .base
                .name
                .clone()
                .unwrap_or_else(|| format!("course {}", row.id)),
            price,
            activity_price: c.activity_price,
            discount_name: if c.activity_price.is_some() {
                c.activity_name.clone().unwrap_or_else(|| "限时折扣".into())
            } else {
                String::new()
            },
            credit_cap: row.credit,
        });
    }

    let coupon = match req.coupon_log_id {
        None => None,
        Some(log_id) => Some(coupon_for(tx, log_id, user.id).await?),
    };
    let priced = price_order(&to_price, coupon.as_ref(), req.credits, user.credit, now)?;

    let number = new_order_number(tx, now, user.id).await?;
    let order_id = queries::orders::insert(
        tx,
        &NewOrder {
            user_id: user.id,
            order_number: number.clone(),
            total_price: priced.total_price,
            real_price: priced.real_price,
            order_status: OrderStatus::Unpaid,
            pay_type: PayType::Alipay,
            credit: priced.credits_used,
            order_desc: Some(format!(
                "Paydesk test order{}",
                req.note
                    .as_deref()
                    .map(|n| format!(": {n}"))
                    .unwrap_or_default()
            )),
            pay_time: None,
            created_time: now,
        },
    )
    .await?;
    for line in &priced.lines {
        queries::orders::insert_course(
            tx,
            &NewOrderCourse {
                order_id,
                course_id: line.course_id,
                course_name: line.name.clone(),
                price: line.price,
                real_price: line.real_price,
                discount_name: line.discount_name.clone(),
                created_time: now,
            },
        )
        .await?;
    }
    let mut credit_row = None;
    if priced.credits_used > 0 {
        if queries::ops::take_credit_if_enough(tx, user.id, priced.credits_used).await? != 1 {
            return Err(OpsError::Refused(format!(
                "user {}'s credit balance changed meanwhile: try again",
                user.id
            )));
        }
        credit_row = Some(
            queries::credits::insert(
                tx,
                &NewCredit {
                    user_id: user.id,
                    operation: CreditOperation::Purchase,
                    number: -priced.credits_used,
                    remark: Some(credit_remark(number.as_str(), "下单使用积分")),
                    created_time: now,
                },
            )
            .await?,
        );
    }
    if let Some(log_id) = req.coupon_log_id
        && queries::ops::bind_coupon_log(tx, log_id, user.id, order_id).await? != 1
    {
        return Err(OpsError::Refused(format!(
            "coupon log {log_id} was used or bound to another order meanwhile"
        )));
    }
    let order = queries::orders::get(tx, order_id)
        .await?
        .ok_or_else(|| OpsError::NotFound {
            what: format!("order {order_id} just created"),
        })?;
    let courses = queries::orders::courses(tx, order_id).await?;
    let mut a = desk.audit("test_order", "ok");
    a.order_id = Some(order.id);
    a.order_number = Some(order.order_number.clone());
    a.user_id = Some(user.id);
    a.reason = req.note.clone();
    a.before = Some(serde_json::json!({ "user_credit": user.credit }));
    a.after = Some(serde_json::json!({
        "order": json(&order),
        "courses": json(&courses),
        "priced": json(&priced),
        "coupon_log_id": req.coupon_log_id,
        "credit_row": credit_row,
    }));
    desk.audit_in(tx, &a).await?;
    let message = format!(
        "test order {} for user {}: total {}, coupon −{}, credits {} (−{}), to pay {}",
        order.order_number,
        user.id,
        priced.total_price,
        priced.coupon_discount,
        priced.credits_used,
        priced.credit_discount,
        priced.real_price
    );
    Ok(TestOrderReport {
        order,
        courses,
        priced,
        coupon_log_id: req.coupon_log_id,
        credit_row,
        message,
    })
}

async fn coupon_for(tx: &mut Tx, log_id: i64, user_id: i64) -> OpsResult<CouponToApply> {
    let log = queries::coupons::get_log(tx, log_id)
        .await?
        .ok_or_else(|| OpsError::NotFound {
            what: format!("coupon log {log_id}"),
        })?;
    if log.user_id != user_id {
        return Err(OpsError::InvalidInput(format!(
            "coupon log {log_id} belongs to user {}, not {user_id}",
            log.user_id
        )));
    }
    if log.base.is_deleted {
        return Err(OpsError::Refused(format!("coupon log {log_id} is deleted")));
    }
    match log.use_status {
        None | Some(UseStatus::Unused) => {}
        Some(s) => {
            return Err(OpsError::Refused(format!(
                "coupon log {log_id} is {}",
                s.label()
            )));
        }
    }
    if let Some(o) = log.order_id {
        return Err(OpsError::Refused(format!(
            "coupon log {log_id} is bound to order id {o}"
        )));
    }
    let c = queries::coupons::get_coupon(tx, log.coupon_id)
        .await?
        .ok_or_else(|| OpsError::NotFound {
            what: format!("coupon {}", log.coupon_id),
        })?;
    let sale = c.sale()?;
    Ok(CouponToApply {
        sale,
        condition: c.condition,
        start_time: c.start_time,
        end_time: c.end_time,
    })
}

/// `YYYYMMDD` + 8-digit user id + 8-digit counter, not yet used by any order.
async fn new_order_number(tx: &mut Tx, now: NaiveDateTime, user_id: i64) -> OpsResult<OrderNumber> {
    for _ in 0..20 {
        let counter = queries::counters::reserve(tx, queries::counters::ORDER_NUMBER, 1).await?;
        let n = OrderNumber::generate(now.date(), user_id, counter % 100_000_000)?;
        // The site's Redis counter makes numbers too: skip any it already used.
        if queries::orders::find_by_number(tx, &n).await?.is_empty() {
            return Ok(n);
        }
    }
    Err(OpsError::Refused(
        "could not find an unused order number in 20 tries: check paydesk_counters".into(),
    ))
}
