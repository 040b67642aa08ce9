//! `ly_order` (configurable name).

use chrono::NaiveDateTime;
use rust_decimal::Decimal;

use super::{base_insert_cols, base_values, for_update, in_list};
use crate::db::{Query, Tx, Val};
use crate::domain::{OrderNumber, OrderStatus, PayType};
use crate::error::Result;
use crate::rows::{OrderCourseRow, OrderRow, order_cols, order_course_cols};

pub async fn get(tx: &mut Tx, id: i64) -> Result<Option<OrderRow>> {
    let n = tx.names().clone();
    let q = Query::new(format!(
        "SELECT {} FROM {} o WHERE o.id = ?",
        order_cols(&n, "o"),
        n.order
    ))
    .bind(id);
    tx.fetch_optional(q)
        .await?
        .map(|r| OrderRow::from_row(&r))
        .transpose()
}

/// Locks the order row until the transaction ends (MySQL); see [`super::for_update`].
pub async fn get_for_update(tx: &mut Tx, id: i64) -> Result<Option<OrderRow>> {
    let n = tx.names().clone();
    let q = Query::new(format!(
        "SELECT {} FROM {} o WHERE o.id = ?{}",
        order_cols(&n, "o"),
        n.order,
        for_update(tx.dialect())
    ))
    .bind(id);
    tx.fetch_optional(q)
        .await?
        .map(|r| OrderRow::from_row(&r))
        .transpose()
}

/// `order_number` is neither unique nor indexed on the platform: all matches, oldest first, so the
/// caller can refuse an ambiguous number instead of picking one.
pub async fn find_by_number(tx: &mut Tx, number: &OrderNumber) -> Result<Vec<OrderRow>> {
    let n = tx.names().clone();
    let q = Query::new(format!(
        "SELECT {} FROM {} o WHERE o.order_number = ? ORDER BY o.id",
        order_cols(&n, "o"),
        n.order
    ))
    .bind(number.as_str());
    tx.fetch_all(q)
        .await?
        .iter()
        .map(OrderRow::from_row)
        .collect()
}

pub async fn courses(tx: &mut Tx, order_id: i64) -> Result<Vec<OrderCourseRow>> {
    let n = tx.names().clone();
    let q = Query::new(format!(
        "SELECT {} FROM {} oc WHERE oc.order_id = ? ORDER BY oc.id",
        order_course_cols(&n, "oc"),
        n.order_course
    ))
    .bind(order_id);
    tx.fetch_all(q)
        .await?
        .iter()
        .map(OrderCourseRow::from_row)
        .collect()
}

pub async fn courses_of_orders(tx: &mut Tx, order_ids: &[i64]) -> Result<Vec<OrderCourseRow>> {
    if order_ids.is_empty() {
        return Ok(Vec::new());
    }
    let n = tx.names().clone();
    let mut q = Query::new(format!(
        "SELECT {} FROM {} oc WHERE oc.order_id IN {} ORDER BY oc.order_id, oc.id",
        order_course_cols(&n, "oc"),
        n.order_course,
        in_list(order_ids.len())
    ));
    for id in order_ids {
        q.push_arg(*id);
    }
    tx.fetch_all(q)
        .await?
        .iter()
        .map(OrderCourseRow::from_row)
        .collect()
}

#[derive(Debug, Clone)]
pub struct NewOrder {
    pub user_id: i64,
    pub order_number: OrderNumber,
    pub total_price: Decimal,
    pub real_price: Decimal,
    pub order_status: OrderStatus,
    pub pay_type: PayType,
    pub credit: i64,
    pub order_desc: Option<String>,
    pub pay_time: Option<NaiveDateTime>,
    pub created_time: NaiveDateTime,
}

pub fn order_insert_cols(tx: &Tx) -> Vec<String> {
    let mut c: Vec<String> = base_insert_cols(tx.names()).into();
    // BaseModel's `name` is the order title, `order_title` in some copies.
    c[0] = tx.names().order_name.clone();
    c.extend(
        [
            "total_price",
            "real_price",
            "order_number",
            "order_status",
            "pay_type",
            "order_desc",
            "pay_time",
            "user_id",
            "credit",
        ]
        .map(String::from),
    );
    c
}

pub fn order_insert_values(o: &NewOrder) -> Vec<Val> {
    // The site's order title is always 购买课程.
    let mut v: Vec<Val> = base_values(Some("购买课程"), o.created_time).into();
    v.extend([
        Val::Yuan(o.total_price),
        Val::Yuan(o.real_price),
        Val::from(o.order_number.as_str()),
        Val::I64(o.order_status.code()),
        Val::I64(o.pay_type.code()),
        Val::from(o.order_desc.clone()),
        Val::from(o.pay_time),
        Val::I64(o.user_id),
        Val::I64(o.credit),
    ]);
    v
}

pub async fn insert(tx: &mut Tx, o: &NewOrder) -> Result<i64> {
    let cols = order_insert_cols(tx);
    let sql = format!(
        "INSERT INTO {} ({}) VALUES {}",
        tx.names().order,
        cols.join(", "),
        in_list(cols.len())
    );
    let mut q = Query::new(sql);
    q.args = order_insert_values(o);
    Ok(tx.execute(q).await?.last_insert_id)
}

#[derive(Debug, Clone)]
pub struct NewOrderCourse {
    pub order_id: i64,
    pub course_id: i64,
    pub course_name: String,
    pub price: Decimal,
    pub real_price: Decimal,
    pub discount_name: String,
    pub created_time: NaiveDateTime,
}

pub fn order_course_insert_cols(tx: &Tx) -> Vec<String> {
    let mut c: Vec<String> = base_insert_cols(tx.names()).into();
    c.extend(
        [
            "price",
            "real_price",
            "discount_name",
            "course_id",
            "order_id",
        ]
        .map(String::from),
    );
    c
}

pub fn order_course_insert_values(oc: &NewOrderCourse) -> Vec<Val> {
    let mut v: Vec<Val> = base_values(Some(&oc.course_name), oc.created_time).into();
    v.extend([
        Val::Yuan(oc.price),
        Val::Yuan(oc.real_price),
        Val::from(oc.discount_name.as_str()),
        Val::I64(oc.course_id),
        Val::I64(oc.order_id),
    ]);
    v
}

pub async fn insert_course(tx: &mut Tx, oc: &NewOrderCourse) -> Result<i64> {
    let cols = order_course_insert_cols(tx);
    let sql = format!(
        "INSERT INTO {} ({}) VALUES {}",
        tx.names().order_course,
        cols.join(", "),
        in_list(cols.len())
    );
    let mut q = Query::new(sql);
    q.args = order_course_insert_values(oc);
    Ok(tx.execute(q).await?.last_insert_id)
}

/// The guarded transition: changes the status only if it is still `from`. Returns rows affected
/// (1 = this caller won; 0 = someone else changed it first, re-read and report).
pub async fn set_status_if(
    tx: &mut Tx,
    id: i64,
    from: OrderStatus,
    to: OrderStatus,
    pay_time: Option<NaiveDateTime>,
) -> Result<u64> {
    let now = tx.now();
    let q = Query::new(format!(
        "UPDATE {} SET order_status = ?, pay_time = COALESCE(?, pay_time), updated_time = ? \
         WHERE id = ? AND order_status = ?",
        tx.names().order
    ))
    .bind(to.code())
    .bind(pay_time)
    .bind(now)
    .bind(id)
    .bind(from.code());
    Ok(tx.execute(q).await?.rows_affected)
}

/// A paid order as Alipay's bill would list it: what [`paid_through_alipay`] returns.
#[derive(Debug, Clone, PartialEq)]
pub struct PaidOrder {
    pub id: i64,
    pub order_number: String,
    pub real_price: Decimal,
    pub created_time: NaiveDateTime,
    pub pay_time: NaiveDateTime,
    /// The order's title (BaseModel `name`), which the pay link sends as the subject.
    pub name: Option<String>,
}

/// The `limit` most recently paid orders that went through Alipay, oldest first: the orders a
/// reconciliation expects in Alipay's bills (paid, with a pay_time; balance-paid and free ones
/// never reach Alipay).
pub async fn paid_through_alipay(tx: &mut Tx, limit: usize) -> Result<Vec<PaidOrder>> {
    let q = Query::new(format!(
        "SELECT id, order_number, {}, created_time, pay_time, {} AS name FROM {} \
         WHERE order_status = ? AND pay_time IS NOT NULL AND pay_type <> ? AND real_price > 0 \
         ORDER BY pay_time DESC, id DESC LIMIT ?",
        crate::db::yuan_col(tx.dialect(), "real_price", "real_price"),
        tx.names().order_name,
        tx.names().order
    ))
    .bind(OrderStatus::Paid.code())
    .bind(PayType::Balance.code())
    .bind(i64::try_from(limit).unwrap_or(i64::MAX));
    tx.fetch_all(q)
        .await?
        .iter()
        .rev()
        .map(|r| {
            Ok(PaidOrder {
                id: r.i64("id")?,
                order_number: r.string("order_number")?,
                real_price: r.yuan("real_price")?,
                created_time: r.time("created_time")?,
                pay_time: r.time("pay_time")?,
                name: r.opt_string("name")?,
            })
        })
        .collect()
}

/// Orders not paid here (unpaid first, then cancelled or timed out; Alipay-bound) created in
/// `[from, to)`, oldest first within each.
pub async fn unpaid_created_between(
    tx: &mut Tx,
    from: NaiveDateTime,
    to: NaiveDateTime,
    limit: i64,
) -> Result<Vec<(String, Decimal, NaiveDateTime, Option<String>)>> {
    let q = Query::new(format!(
        "SELECT order_number, {}, created_time, {} AS name FROM {} \
         WHERE order_status IN (?, ?, ?) AND pay_type <> ? AND real_price > 0 AND created_time >= ? AND created_time < ? \
         ORDER BY order_status = ? DESC, created_time, id LIMIT ?",
        crate::db::yuan_col(tx.dialect(), "real_price", "real_price"),
        tx.names().order_name,
        tx.names().order
    ))
    .bind(OrderStatus::Unpaid.code())
    .bind(OrderStatus::Cancelled.code())
    .bind(OrderStatus::TimedOut.code())
    .bind(PayType::Balance.code())
    .bind(from)
    .bind(to)
    .bind(OrderStatus::Unpaid.code())
    .bind(limit);
    tx.fetch_all(q)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.string("order_number")?,
                r.yuan("real_price")?,
                r.time("created_time")?,
                r.opt_string("name")?,
            ))
        })
        .collect()
}
