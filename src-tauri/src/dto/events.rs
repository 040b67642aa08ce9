//! Event payloads (backend → UI).

use serde::Serialize;
use ts_rs::TS;

pub const CHANGED: &str = "paydesk://changed";
pub const PROGRESS: &str = "paydesk://progress";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ChangedEntity {
    Order,
    Refund,
    Grant,
    Audit,
    Profile,
    /// A reconciliation run was stored or one of its rows acted upon.
    Reconcile,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ChangedEvent {
    pub entity: ChangedEntity,
    pub order_number: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ProgressEvent {
    pub task: String,
    pub done: u64,
    pub total: u64,
    pub message: Option<String>,
}
