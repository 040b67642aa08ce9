//! Verify & settle.

use serde::Serialize;
use ts_rs::TS;

use super::orders::OrderRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum VerifyKind {
    Return,
    Notify,
    Unknown,
}

impl From<alipay::CallbackKind> for VerifyKind {
    fn from(k: alipay::CallbackKind) -> Self {
        match k {
            alipay::CallbackKind::Return => VerifyKind::Return,
            alipay::CallbackKind::Notify => VerifyKind::Notify,
            alipay::CallbackKind::Unknown => VerifyKind::Unknown,
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct VerifyField {
    pub name: String,
    pub value: String,
    pub signed: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct VerifyOrderMatch {
    pub order_number: String,
    pub exists: bool,
    pub status: Option<i64>,
    pub status_label: Option<String>,
    pub real_price: Option<String>,
    pub amount_matches: Option<bool>,
    pub app_id_matches: Option<bool>,
    pub seller_id_matches: Option<bool>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct VerifyReport {
    pub index: u32,
    pub input: String,
    pub valid: bool,
    pub kind: VerifyKind,
    pub reason: Option<String>,
    pub hint: Option<String>,
    pub canonical: Option<String>,
    pub fields: Vec<VerifyField>,
    pub order: Option<VerifyOrderMatch>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SettleOutcome {
    Settled,
    AlreadySettled,
    Refused,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SettledCourse {
    pub course_id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SettleResult {
    pub outcome: SettleOutcome,
    pub message: String,
    pub order: Option<OrderRow>,
    pub pay_time: Option<String>,
    pub amount: Option<String>,
    pub courses: Vec<SettledCourse>,
}
