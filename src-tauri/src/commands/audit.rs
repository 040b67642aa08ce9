//! The audit log.

use paydesk_core::audit;
use tauri::State;

use crate::dto::audit::*;
use crate::dto::orders::PageRequest;
use crate::dto::parse_date;
use crate::error::{IpcError, IpcResult};
use crate::state::AppState;

#[tauri::command]
pub async fn audit_list(
    state: State<'_, AppState>,
    filter: AuditFilter,
    page: PageRequest,
) -> IpcResult<AuditPage> {
    let a = state.current().await?;
    let text = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let limit = if page.limit == 0 { 100 } else { page.limit };
    let before_id = match text(&page.after) {
        Some(c) => Some(c.parse::<i64>().map_err(|_| {
            IpcError::invalid(format!("audit cursor {c:?} is not one Paydesk made"))
        })?),
        None => None,
    };
    let f = audit::AuditFilter {
        operator: text(&filter.operator),
        action: text(&filter.action),
        order_id: None,
        order_number: text(&filter.order_number),
        user_id: filter.user_id,
        from: text(&filter.from)
            .map(|d| parse_date("from", &d))
            .transpose()?,
        to: text(&filter.to)
            .map(|d| parse_date("to", &d).map(|t| t + chrono::TimeDelta::days(1)))
            .transpose()?,
        before_id,
        limit,
    };
    let rows = audit::query(&a.desk.store, &f).await?;
    let next = if rows.len() == limit as usize {
        rows.last().map(|r| r.id.to_string())
    } else {
        None
    };
    Ok(AuditPage {
        rows: rows.iter().map(AuditRow::from_core).collect(),
        next,
    })
}
