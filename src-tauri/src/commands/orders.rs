//! Orders: browse, detail, trade status, test orders, pay links, close and expire.

use alipay::TradeRef;
use paydesk_core::browse::{self, UserRef};
use paydesk_core::ops::{self, close, pay_link as link, test_order};
use tauri::{AppHandle, Runtime, State};

use super::{find_order, order_ref, order_row, require_confirm};
use crate::dto::events::ChangedEntity;
use crate::dto::orders::*;
use crate::dto::{money, opt_time};
use crate::error::IpcResult;
use crate::state::{AppState, changed, progress};
use paydesk_core::confirm::Guarded;

#[tauri::command]
pub async fn orders_list(
    state: State<'_, AppState>,
    filter: OrderFilter,
    page: PageRequest,
) -> IpcResult<OrderPage> {
    check_limit(page.limit)?;
    let a = state.current().await?;
    let p = browse::orders(&a.desk.store, &filter.to_core(&page)?).await?;
    let rows = p.orders.iter().map(OrderRow::from_item).collect();
    Ok(OrderPage {
        rows,
        next: p.next.map(|c| c.to_string()),
    })
}

/// Totals of every order the filter selects, for the list's footer.
#[tauri::command]
pub async fn orders_totals(
    state: State<'_, AppState>,
    filter: OrderFilter,
) -> IpcResult<OrderTotals> {
    let a = state.current().await?;
    let f = filter.to_core(&PageRequest {
        after: None,
        limit: 0,
    })?;
    let t = paydesk_core::order_totals::order_totals(&a.desk.store, &f).await?;
    Ok(OrderTotals::from(&t))
}

#[tauri::command]
pub async fn order_detail(
    state: State<'_, AppState>,
    order_number: String,
) -> IpcResult<OrderDetail> {
    let a = state.current().await?;
    let o = find_order(&a.desk, &order_number).await?;
    let d = browse::order_detail(&a.desk.store, o.id).await?;
    Ok(OrderDetail::from_core(&d))
}

#[tauri::command]
pub async fn order_trade_status(
    state: State<'_, AppState>,
    order_number: String,
) -> IpcResult<TradeStatusView> {
    let a = state.current().await?;
    let number = order_ref(&order_number)?.to_string();
    match a
        .desk
        .gateway()?
        .client
        .query(TradeRef::OutTradeNo(number.clone()))
        .await
    {
        Ok(q) => Ok(TradeStatusView {
            exists: true,
            trade_no: Some(q.trade_no.clone()),
            trade_status: Some(q.trade_status.as_str().to_string()),
            total_amount: Some(money(q.total_amount)),
            buyer_pay_amount: q.buyer_pay_amount.map(money),
            send_pay_date: opt_time(q.send_pay_date),
            message: format!("Alipay: {} ({})", q.trade_status.as_str(), q.trade_no),
        }),
        Err(e) if e.is_trade_not_exist() => Ok(TradeStatusView {
            exists: false,
            trade_no: None,
            trade_status: None,
            total_amount: None,
            buyer_pay_amount: None,
            send_pay_date: None,
            message: format!(
                "Alipay has no trade for order {number}: the buyer never opened the cashier"
            ),
        }),
        Err(e) => Err(ops::OpsError::from(e).into()),
    }
}

#[tauri::command]
pub async fn test_order_options(state: State<'_, AppState>) -> IpcResult<TestOrderOptions> {
    let a = state.current().await?;
    let c = paydesk_core::options::test_order_choices(&a.desk.store, 500).await?;
    Ok(TestOrderOptions {
        users: c
            .users
            .iter()
            .map(|u| TestUser {
                id: u.id,
                username: u.username.clone(),
                mobile: u.mobile.clone(),
                credit: u.credit,
            })
            .collect(),
        courses: c
            .courses
            .iter()
            .filter_map(|k| {
                Some(TestCourse {
                    id: k.id,
                    name: k
                        .base
                        .name
                        .clone()
                        .unwrap_or_else(|| format!("course {}", k.id)),
                    price: money(k.price?),
                    credit: k.credit.unwrap_or(0),
                })
            })
            .collect(),
        coupons: c
            .coupons
            .iter()
            .map(|x| TestCoupon {
                coupon_log_id: x.coupon_log_id,
                user_id: x.user_id,
                name: x.coupon.base.name.clone().unwrap_or_default(),
                sale: x.coupon.sale.clone(),
                condition: x.coupon.condition,
            })
            .collect(),
    })
}

#[tauri::command]
pub async fn test_order_create<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    req: TestOrderRequest,
) -> IpcResult<OrderRow> {
    let a = state.current().await?;
    let core_req = test_order::TestOrderRequest {
        user: UserRef::Id(req.user_id),
        courses: req
            .course_ids
            .iter()
            .map(|id| test_order::TestCourse {
                course_id: *id,
                activity_price: None,
                activity_name: None,
            })
            .collect(),
        coupon_log_id: req.coupon_log_id,
        credits: req.credits,
        note: Some("Paydesk desktop".into()),
    };
    let r = test_order::test_order(&a.desk, &core_req).await?;
    changed(&app, ChangedEntity::Order, Some(&r.order.order_number));
    order_row(&a.desk, r.order.id).await
}

#[tauri::command]
pub async fn pay_link(
    state: State<'_, AppState>,
    order_number: String,
    wap: bool,
) -> IpcResult<PayLink> {
    let a = state.current().await?;
    let mut req = link::PayLinkRequest::page(order_ref(&order_number)?);
    if wap {
        req.product = alipay::PayProduct::Wap;
    }
    let r = link::pay_link(&a.desk, &req).await?;
    Ok(PayLink {
        qr_svg: crate::qr::svg(&r.link)?,
        url: r.link,
        expires_at: Some(r.time_expire),
    })
}

#[tauri::command]
pub async fn order_close<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    order_number: String,
    reason: String,
    confirm: Option<String>,
) -> IpcResult<OperationResult> {
    let a = state.current().await?;
    require_confirm(
        &a.desk,
        Guarded::Close,
        confirm.as_deref(),
        order_number.trim(),
    )?;
    let r = close::close(&a.desk, &order_ref(&order_number)?, &reason).await?;
    changed(&app, ChangedEntity::Order, Some(&r.order_number));
    Ok(OperationResult {
        changed: r.outcome == ops::Outcome::Done,
        message: r.message,
        order: order_row(&a.desk, r.order_id).await?,
    })
}

#[tauri::command]
pub async fn orders_expire<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    confirm: Option<String>,
) -> IpcResult<ExpireReport> {
    let a = state.current().await?;
    require_confirm(&a.desk, Guarded::Expire, confirm.as_deref(), "EXPIRE")?;
    let r = close::expire(&a.desk, |done, total| progress(&app, "expire", done, total)).await?;
    changed(&app, ChangedEntity::Order, None);
    Ok(ExpireReport::from_core(&r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_that_is_not_digits_is_invalid_input() {
        let e = order_ref("12ab").unwrap_err();
        assert_eq!(e.code, crate::error::IpcErrorCode::InvalidInput);
    }
}
