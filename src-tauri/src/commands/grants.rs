//! Grants: list, grant, revoke, duplicates, merge.

use paydesk_core::browse::UserRef;
use paydesk_core::ops::{Outcome, grant};
use paydesk_core::queries::grants::GrantFilter as CoreFilter;
use tauri::{AppHandle, Runtime, State};

use super::{find_order, require_confirm};
use crate::dto::events::ChangedEntity;
use crate::dto::grants::*;
use crate::dto::orders::user_ref;
use crate::error::{IpcError, IpcResult};
use crate::state::{AppState, changed};
use paydesk_core::confirm::Guarded;

#[tauri::command]
pub async fn grants_list(
    state: State<'_, AppState>,
    filter: GrantFilter,
) -> IpcResult<Vec<GrantRow>> {
    let a = state.current().await?;
    let mut f = CoreFilter {
        course_id: filter.course_id,
        limit: 500,
        ..Default::default()
    };
    let mut username = String::new();
    if let Some(u) = filter.user.as_deref().and_then(user_ref) {
        let user = super::status::find_user(&a.desk, &u).await?;
        username = user.username.clone();
        f.user_id = Some(user.id);
    }
    if let Some(n) = filter
        .order_number
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        f.order_id = Some(find_order(&a.desk, n).await?.id);
    }
    let rows = grant::list(&a.desk, &f).await?;
    Ok(rows.iter().map(|g| GrantRow::new(g, &username)).collect())
}

#[tauri::command]
pub async fn grant_create<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    user_id: i64,
    course_id: i64,
    reason: String,
) -> IpcResult<GrantRow> {
    let a = state.current().await?;
    let r = grant::grant(&a.desk, user_id, course_id, &reason).await?;
    changed(&app, ChangedEntity::Grant, None);
    let user = super::status::find_user(&a.desk, &UserRef::Id(user_id)).await?;
    r.grant
        .as_ref()
        .map(|g| GrantRow::new(g, &user.username))
        .ok_or_else(|| IpcError::invalid(r.message))
}

#[tauri::command]
pub async fn grant_revoke<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    grant_id: i64,
    reason: String,
    confirm: Option<String>,
) -> IpcResult<OperationResultGrant> {
    let a = state.current().await?;
    require_confirm(
        &a.desk,
        Guarded::Revoke,
        confirm.as_deref(),
        &grant_id.to_string(),
    )?;
    let r = grant::revoke(&a.desk, grant_id, &reason).await?;
    changed(&app, ChangedEntity::Grant, None);
    Ok(OperationResultGrant {
        changed: r.outcome == Outcome::Done,
        message: r.message,
    })
}

#[tauri::command]
pub async fn grant_duplicates(state: State<'_, AppState>) -> IpcResult<Vec<GrantDuplicate>> {
    let a = state.current().await?;
    let dups = paydesk_core::grant_duplicates::named_duplicates(&a.desk, 1000).await?;
    Ok(dups
        .into_iter()
        .map(|d| GrantDuplicate {
            user_id: d.user_id,
            username: d.username,
            course_id: d.course_id,
            course_name: d.course_name,
            grant_ids: d.grant_ids,
        })
        .collect())
}

/// Merges the one (user, course) the operator clicked.
#[tauri::command]
pub async fn grant_merge<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    user_id: i64,
    course_id: i64,
    reason: String,
) -> IpcResult<GrantMergeResult> {
    let a = state.current().await?;
    let merged = grant::merge_pair(&a.desk, user_id, course_id, &reason).await?;
    changed(&app, ChangedEntity::Grant, None);
    Ok(match merged {
        Some(m) => GrantMergeResult {
            changed: true,
            message: format!("kept grant {}, removed {:?}", m.kept, m.removed),
            kept: m.kept,
            removed: m.removed,
        },
        None => GrantMergeResult {
            changed: false,
            message: format!(
                "user {user_id} has no duplicate grants of course {course_id}: nothing to merge"
            ),
            kept: 0,
            removed: Vec::new(),
        },
    })
}
