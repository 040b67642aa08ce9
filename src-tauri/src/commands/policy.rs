//! The full-refund policy: read it, change it (reason required, typed POLICY on production).

use paydesk_core::desk::Policy;
use paydesk_core::ops::policy;
use tauri::{AppHandle, Runtime, State};

use super::require_confirm;
use crate::dto::events::ChangedEntity;
use crate::dto::policy::RefundPolicy;
use crate::error::IpcResult;
use crate::state::{AppState, changed};
use paydesk_core::confirm::Guarded;

/// What the operator types on a production profile (the CLI's `--confirm POLICY`).
pub const CONFIRM_WORD: &str = "POLICY";

#[tauri::command]
pub async fn policy_get(state: State<'_, AppState>) -> IpcResult<RefundPolicy> {
    let a = state.current().await?;
    Ok(RefundPolicy::from(&policy::show(&a.desk).await?))
}

#[tauri::command]
pub async fn policy_set<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    revoke_grants_on_full_refund: bool,
    return_credits_on_full_refund: bool,
    reason: String,
    confirm: Option<String>,
) -> IpcResult<RefundPolicy> {
    let a = state.current().await?;
    require_confirm(&a.desk, Guarded::Policy, confirm.as_deref(), CONFIRM_WORD)?;
    let change = policy::set(
        &a.desk,
        Policy {
            revoke_grants_on_full_refund,
            return_credits_on_full_refund,
        },
        &reason,
    )
    .await?;
    // The change is an audit row (no entity of its own); views showing the policy reload on open.
    changed(&app, ChangedEntity::Audit, None);
    Ok(RefundPolicy::from(&change.after))
}
