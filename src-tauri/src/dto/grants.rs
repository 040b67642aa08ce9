//! Grants (`ly_user_course`).

use paydesk_core::rows;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::time;

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct GrantRow {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub course_id: i64,
    /// The grant row's own name column, which the site fills with the course name.
    pub course_name: String,
    pub created_time: String,
    pub study_time: i64,
    /// Revoked: soft-deleted on the platform, or removed by a full refund (that row is gone; the
    /// order detail shows it from the refund's audit row).
    pub revoked: bool,
}

impl GrantRow {
    pub fn new(g: &rows::GrantRow, username: &str) -> Self {
        GrantRow {
            id: g.id,
            user_id: g.user_id,
            username: username.to_string(),
            course_id: g.course_id,
            course_name: g
                .base
                .name
                .clone()
                .unwrap_or_else(|| format!("course {}", g.course_id)),
            created_time: time(g.base.created_time),
            study_time: g.study_time,
            revoked: g.base.is_deleted,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct GrantFilter {
    pub user: Option<String>,
    pub course_id: Option<i64>,
    pub order_number: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct OperationResultGrant {
    pub changed: bool,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct GrantDuplicate {
    pub user_id: i64,
    pub username: String,
    pub course_id: i64,
    pub course_name: String,
    pub grant_ids: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct GrantMergeResult {
    pub changed: bool,
    pub message: String,
    pub kept: i64,
    pub removed: Vec<i64>,
}
