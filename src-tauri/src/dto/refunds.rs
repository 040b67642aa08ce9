//! Refunds (`paydesk_refunds`).

use paydesk_core::domain::RefundStatus as CoreStatus;
use paydesk_core::rows;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{money, opt_time, time};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    Pending,
    Succeeded,
    Failed,
    Unknown,
}

impl From<CoreStatus> for RefundStatus {
    fn from(s: CoreStatus) -> Self {
        match s {
            CoreStatus::Pending => RefundStatus::Pending,
            CoreStatus::Succeeded => RefundStatus::Succeeded,
            CoreStatus::Failed => RefundStatus::Failed,
            CoreStatus::Unknown => RefundStatus::Unknown,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct RefundRow {
    pub out_request_no: String,
    pub order_number: String,
    pub amount: String,
    pub reason: String,
    pub status: RefundStatus,
    pub message: Option<String>,
    pub created_time: String,
    pub resolved_time: Option<String>,
    pub operator: String,
}

impl RefundRow {
    pub fn from_core(r: &rows::RefundRow) -> Self {
        RefundRow {
            out_request_no: r.out_request_no.clone(),
            order_number: r.order_number.clone(),
            amount: money(r.amount),
            reason: r.reason.clone(),
            status: r.status.into(),
            message: r.gateway_msg.clone().or_else(|| r.last_error.clone()),
            created_time: time(r.created_time),
            resolved_time: opt_time(r.resolved_time),
            operator: r.operator.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct RefundFilter {
    pub order_number: Option<String>,
    pub status: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct RefundsResumeReport {
    pub resolved: Vec<RefundRow>,
    pub still_pending: Vec<RefundRow>,
}
