//! `paydesk_audit_log`: append-only. There is deliberately no update or delete function.

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::db::{Query, Tx};
use crate::error::Result;

#[derive(Debug, Clone, Serialize)]
pub struct NewAudit {
    pub operator: String,
    pub profile: String,
    /// e.g. `settle`, `refund`, `close`, `expire`, `grant`, `revoke`, `demo`.
    pub action: String,
    pub order_id: Option<i64>,
    pub order_number: Option<String>,
    pub user_id: Option<i64>,
    pub reason: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    /// `ok`, `noop`, `refused`, `error`, `pending` …
    pub outcome: String,
    pub detail: Option<String>,
}

/// Appends one row stamped with the store clock's Beijing time; returns its id.
pub async fn append(tx: &mut Tx, a: &NewAudit) -> Result<i64> {
    let at: NaiveDateTime = tx.now();
    let json = |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string());
    let q = Query::new(
        "INSERT INTO paydesk_audit_log (at, operator, profile, action, order_id, order_number, user_id, reason, \
         before_json, after_json, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(at)
    .bind(a.operator.as_str())
    .bind(a.profile.as_str())
    .bind(a.action.as_str())
    .bind(a.order_id)
    .bind(a.order_number.clone())
    .bind(a.user_id)
    .bind(a.reason.clone())
    .bind(json(&a.before))
    .bind(json(&a.after))
    .bind(a.outcome.as_str())
    .bind(a.detail.clone());
    Ok(tx.execute(q).await?.last_insert_id)
}
