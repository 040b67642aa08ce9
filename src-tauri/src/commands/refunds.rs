//! Refunds: create (full or partial), list, resume.

use paydesk_core::domain::RefundStatus as CoreStatus;
use paydesk_core::ops::refund;
use tauri::{AppHandle, Runtime, State};

use super::{order_ref, require_confirm};
use crate::dto::events::ChangedEntity;
use crate::dto::parse_money;
use crate::dto::refunds::*;
use crate::error::{IpcError, IpcResult};
use crate::state::{AppState, changed, progress};
use paydesk_core::confirm::Guarded;

#[tauri::command]
pub async fn refund_create<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    order_number: String,
    amount: Option<String>,
    reason: String,
    confirm: Option<String>,
) -> IpcResult<RefundRow> {
    let a = state.current().await?;
    require_confirm(
        &a.desk,
        Guarded::Refund,
        confirm.as_deref(),
        order_number.trim(),
    )?;
    let amount = amount
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| parse_money("refund amount", s))
        .transpose()?;
    let r = order_ref(&order_number)?;
    let result = refund::refund(&a.desk, &r, amount, &reason).await;
    // Pending rows are written even when the gateway call fails: every view must look again.
    changed(&app, ChangedEntity::Refund, Some(order_number.trim()));
    let report = result?;
    let rows = refund::list(&a.desk, Some(&r)).await?;
    rows.iter()
        .find(|x| x.out_request_no == report.out_request_no)
        .or_else(|| rows.last())
        .map(RefundRow::from_core)
        .ok_or_else(|| IpcError::new(crate::error::IpcErrorCode::Conflict, report.message))
}

#[tauri::command]
pub async fn refunds_list(
    state: State<'_, AppState>,
    filter: RefundFilter,
) -> IpcResult<Vec<RefundRow>> {
    let a = state.current().await?;
    let order = filter
        .order_number
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(order_ref)
        .transpose()?;
    let status = match filter
        .status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(s) => Some(CoreStatus::parse(s).ok_or_else(|| {
            IpcError::invalid(format!(
                "refund status {s:?} is not pending, succeeded, failed or unknown"
            ))
        })?),
        None => None,
    };
    // Core lists one order's refunds, or the unresolved ones.
    let rows = refund::list(&a.desk, order.as_ref()).await?;
    Ok(rows
        .iter()
        .filter(|r| status.is_none_or(|s| r.status == s))
        .map(RefundRow::from_core)
        .collect())
}

#[tauri::command]
pub async fn refunds_resume<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> IpcResult<RefundsResumeReport> {
    let a = state.current().await?;
    let r = refund::resume(&a.desk, |done, total| {
        progress(&app, "refunds_resume", done, total)
    })
    .await?;
    changed(&app, ChangedEntity::Refund, None);
    let mut out = RefundsResumeReport::default();
    for x in &r.refunds {
        let rows = refund::list(&a.desk, Some(&order_ref(&x.order_number)?)).await?;
        if let Some(row) = rows
            .iter()
            .find(|row| row.out_request_no == x.out_request_no)
        {
            let dto = RefundRow::from_core(row);
            if matches!(row.status, CoreStatus::Pending | CoreStatus::Unknown) {
                out.still_pending.push(dto);
            } else {
                out.resolved.push(dto);
            }
        }
    }
    Ok(out)
}
