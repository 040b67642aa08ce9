//! Reading the audit log (writing is [`crate::queries::audit::append`]).

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::db::{Query, Store, Tx};
use crate::error::{Result, StoreError};
use crate::rows::{AUDIT_COLS, AuditRow};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditFilter {
    pub operator: Option<String>,
    pub action: Option<String>,
    pub order_id: Option<i64>,
    pub order_number: Option<String>,
    pub user_id: Option<i64>,
    /// at ≥ this.
    pub from: Option<NaiveDateTime>,
    /// at < this.
    pub to: Option<NaiveDateTime>,
    /// Keyset: rows with id below this (ids grow with time).
    pub before_id: Option<i64>,
    /// 1–1000 (0 means 100).
    pub limit: u32,
}

pub async fn query(store: &Store, f: &AuditFilter) -> Result<Vec<AuditRow>> {
    let mut tx = store.begin_read().await?;
    let rows = query_in(&mut tx, f).await?;
    tx.rollback().await?;
    Ok(rows)
}

/// Newest first.
pub async fn query_in(tx: &mut Tx, f: &AuditFilter) -> Result<Vec<AuditRow>> {
    let limit = if f.limit == 0 { 100 } else { f.limit };
    if limit > 1000 {
        return Err(StoreError::InvalidInput(format!(
            "audit page size {limit} is above the maximum of 1000"
        )));
    }
    if let (Some(a), Some(b)) = (f.from, f.to)
        && a >= b
    {
        return Err(StoreError::InvalidInput(format!(
            "date range is empty: from {a} is not before to {b}"
        )));
    }
    let mut q = Query::new(format!(
        "SELECT {AUDIT_COLS} FROM paydesk_audit_log WHERE 1 = 1"
    ));
    let mut eq = |col: &str, v: Option<crate::db::Val>| {
        if let Some(v) = v {
            q.sql.push_str(&format!(" AND {col} = ?"));
            q.args.push(v);
        }
    };
    eq("operator", f.operator.clone().map(Into::into));
    eq("action", f.action.clone().map(Into::into));
    eq("order_id", f.order_id.map(Into::into));
    eq("order_number", f.order_number.clone().map(Into::into));
    eq("user_id", f.user_id.map(Into::into));
    if let Some(t) = f.from {
        q.sql.push_str(" AND at >= ?");
        q.push_arg(t);
    }
    if let Some(t) = f.to {
        q.sql.push_str(" AND at < ?");
        q.push_arg(t);
    }
    if let Some(b) = f.before_id {
        q.sql.push_str(" AND id < ?");
        q.push_arg(b);
    }
    q.sql.push_str(" ORDER BY id DESC LIMIT ?");
    q.push_arg(i64::from(limit));
    tx.fetch_all(q)
        .await?
        .iter()
        .map(AuditRow::from_row)
        .collect()
}
