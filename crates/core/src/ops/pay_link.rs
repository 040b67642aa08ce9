//! A pay link (or auto-submitting form) for an unpaid order: its number, real_price and name.
//! Nothing is written: the Alipay trade only exists once the buyer opens the cashier.
//!
//! The link carries `time_expire` = created_time + ORDER_TIMEOUT, so Alipay itself refuses to
//! take money for an order the platform is about to time out.

use alipay::{Amount, PayProduct, PayRequest, pay_form, pay_link as sign_link};
use chrono::{NaiveDateTime, TimeDelta};
use rust_decimal::Decimal;
use serde::Serialize;

use super::{OpsError, OpsResult, OrderRef, find_order, status_phrase};
use crate::desk::Desk;
use crate::domain::{ORDER_TIMEOUT_SECS, OrderStatus};
use crate::queries;

#[derive(Debug, Clone)]
pub struct PayLinkRequest {
    pub order: OrderRef,
    pub product: PayProduct,
    /// An auto-submitting HTML form (POST) instead of a GET link.
    pub form: bool,
    /// Override the profile's return/notify URLs.
    pub return_url: Option<String>,
    pub notify_url: Option<String>,
}

impl PayLinkRequest {
    pub fn page(order: OrderRef) -> Self {
        PayLinkRequest {
            order,
            product: PayProduct::Page,
            form: false,
            return_url: None,
            notify_url: None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PayLinkReport {
    pub order_id: i64,
    pub order_number: String,
    pub real_price: Decimal,
    pub subject: String,
    pub time_expire: String,
    /// The GET link, or the HTML form when asked for one.
    pub link: String,
    pub form: bool,
}

pub async fn pay_link(desk: &Desk, req: &PayLinkRequest) -> OpsResult<PayLinkReport> {
    let gw = desk.gateway()?;
    let mut tx = desk.store.begin_read().await?;
    let order = find_order(&mut tx, &req.order).await?;
    let courses = queries::orders::courses(&mut tx, order.id).await?;
    tx.rollback().await?;
    if order.order_status != OrderStatus::Unpaid {
        return Err(OpsError::Refused(format!(
            "order {} is {}: a pay link is only made for an unpaid order",
            order.order_number,
            status_phrase(order.order_status)
        )));
    }
    let now = desk.now();
    let deadline: NaiveDateTime = order.base.created_time + TimeDelta::seconds(ORDER_TIMEOUT_SECS);
    if deadline <= now {
        return Err(OpsError::Refused(format!(
            "order {} was created at {} and its {} minutes to pay ended at {}: it is due to time out (`paydesk expire`), make a new order",
            order.order_number,
            order.base.created_time.format("%Y-%m-%d %H:%M:%S"),
            ORDER_TIMEOUT_SECS / 60,
            deadline.format("%Y-%m-%d %H:%M:%S")
        )));
    }
    let amount = Amount::new(order.real_price).map_err(|e| {
        OpsError::Refused(format!(
            "order {} cannot be paid through Alipay: {e}",
            order.order_number
        ))
    })?;
    let subject = subject_of(order.base.name.as_deref());
    let names: Vec<String> = courses.iter().filter_map(|c| c.base.name.clone()).collect();
    let mut p = PayRequest::new(
        req.product,
        order.order_number.clone(),
        amount,
        subject.clone(),
    );
    if !names.is_empty() {
        p.body = Some(names.join("、").chars().take(128).collect());
    }
    let time_expire = deadline.format("%Y-%m-%d %H:%M:%S").to_string();
    p.time_expire = Some(time_expire.clone());
    p.return_url = req.return_url.clone().or_else(|| gw.return_url.clone());
    p.notify_url = req.notify_url.clone().or_else(|| gw.notify_url.clone());
    let clock = desk.clock().as_ref();
    let link = if req.form {
        pay_form(&gw.gateway_url, &gw.app, &p, clock)
    } else {
        sign_link(&gw.gateway_url, &gw.app, &p, clock)
    }
    .map_err(|e| OpsError::InvalidInput(e.to_string()))?;
    Ok(PayLinkReport {
        order_id: order.id,
        order_number: order.order_number,
        real_price: order.real_price,
        subject,
        time_expire,
        link,
        form: req.form,
    })
}

/// The `subject` Alipay shows the buyer and prints in the bill: the order's title, or 购买课程
/// (what the site sends) when it has none. The demo's seeded simulator trades use it too, so
/// their bills read like real ones.
pub fn subject_of(name: Option<&str>) -> String {
    name.filter(|s| !s.trim().is_empty())
        .unwrap_or("购买课程")
        .to_string()
}
