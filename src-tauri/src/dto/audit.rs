//! The audit log.

use paydesk_core::rows;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::time;

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub operator: String,
    pub profile: String,
    pub action: String,
    pub order_number: Option<String>,
    pub user_id: Option<i64>,
    pub reason: Option<String>,
    pub outcome: String,
    #[ts(type = "unknown")]
    pub before: serde_json::Value,
    /// Carries core's detail sentence (why it was refused, which grant) as `after.detail`.
    #[ts(type = "unknown")]
    pub after: serde_json::Value,
}

impl AuditRow {
    pub fn from_core(a: &rows::AuditRow) -> Self {
        let mut after = a.after.clone().unwrap_or(serde_json::Value::Null);
        if let Some(d) = &a.detail {
            // The detail (why it was refused, which grant) is what an operator reads first; the
            // contract has no column for it, so it travels inside `after`.
            after = match after {
                serde_json::Value::Object(mut m) => {
                    m.insert("detail".into(), serde_json::Value::String(d.clone()));
                    serde_json::Value::Object(m)
                }
                serde_json::Value::Null => serde_json::json!({ "detail": d }),
                other => serde_json::json!({ "value": other, "detail": d }),
            };
        }
        AuditRow {
            id: a.id,
            at: time(a.at),
            operator: a.operator.clone(),
            profile: a.profile.clone(),
            action: a.action.clone(),
            order_number: a.order_number.clone(),
            user_id: a.user_id,
            reason: a.reason.clone(),
            outcome: a.outcome.clone(),
            before: a.before.clone().unwrap_or(serde_json::Value::Null),
            after,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct AuditFilter {
    pub operator: Option<String>,
    pub action: Option<String>,
    pub order_number: Option<String>,
    pub user_id: Option<i64>,
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    pub next: Option<String>,
}
