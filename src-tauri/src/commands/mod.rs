//! `#[tauri::command]` adapters: take state and a DTO, call one crates/core (or crates/alipay)
//! function, map the result and the error. No SQL, no signing, no business rule here.

pub mod audit;
pub mod grants;
pub mod keys;
pub mod orders;
pub mod policy;
pub mod reconcile;
pub mod refunds;
pub mod revenue;
pub mod status;
pub mod verify;

use paydesk_core::browse;
use paydesk_core::confirm::Guarded;
use paydesk_core::desk::Desk;
use paydesk_core::ops::OrderRef;
use paydesk_core::rows;

use crate::dto::orders::OrderRow;
use crate::error::IpcResult;

/// Core's confirmation rule (`paydesk_core::confirm`): on production the typed confirmation must
/// equal `expected` (the order number, the grant id, or a word); elsewhere a wrong one is refused
/// too. The UI asks for it; this is the check that cannot be skipped.
pub fn require_confirm(
    desk: &Desk,
    action: Guarded,
    confirm: Option<&str>,
    expected: &str,
) -> IpcResult<()> {
    Ok(desk.confirm(action, confirm, expected)?)
}

pub fn order_ref(number: &str) -> IpcResult<OrderRef> {
    Ok(number.parse::<OrderRef>()?)
}

/// One order by number (core refuses a number used by two orders).
pub async fn find_order(desk: &Desk, number: &str) -> IpcResult<rows::OrderRow> {
    Ok(paydesk_core::lookup::order(&desk.store, &order_ref(number)?).await?)
}

/// The order as the Orders table shows it, read again after a change.
pub async fn order_row(desk: &Desk, order_id: i64) -> IpcResult<OrderRow> {
    let d = browse::order_detail(&desk.store, order_id).await?;
    Ok(OrderRow::from_detail(&d))
}
