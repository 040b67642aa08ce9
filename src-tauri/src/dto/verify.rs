//! Verify & settle. Every text that came from the pasted input is made visible here (control,
//! bidi and escape characters shown as `\r`, `\u{1b}`, `\u{202e}` …) before it reaches the
//! webview: the raw `input` is only sent back for settling, never shown.

use serde::Serialize;
use ts_rs::TS;

use super::orders::OrderRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum VerifyKind {
    Return,
    Notify,
    Unknown,
    /// A gateway response body (`{"<method>_response":{…},"sign":"…"}`).
    Response,
}

impl From<paydesk_core::verify_report::InputKind> for VerifyKind {
    fn from(k: paydesk_core::verify_report::InputKind) -> Self {
        use paydesk_core::verify_report::InputKind;
        match k {
            InputKind::Return => VerifyKind::Return,
            InputKind::Notify => VerifyKind::Notify,
            InputKind::Unknown => VerifyKind::Unknown,
            InputKind::Response => VerifyKind::Response,
        }
    }
}

/// Which content a valid callback's signature held over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum VerifySignedOver {
    /// The documented rule: without `sign` and `sign_type`.
    Documented,
    /// With `sign_type` kept, as Alipay signs some notifies and older sandbox return URLs.
    SignTypeKept,
}

impl From<alipay::SignedOver> for VerifySignedOver {
    fn from(s: alipay::SignedOver) -> Self {
        match s {
            alipay::SignedOver::Documented => VerifySignedOver::Documented,
            alipay::SignedOver::SignTypeKept => VerifySignedOver::SignTypeKept,
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

/// A gateway response's claimed business result (claimed: verified only when the report is).
#[derive(Debug, Clone, Serialize, TS)]
pub struct VerifyBusiness {
    /// `alipay_trade_query_response`, `error_response`.
    pub key: Option<String>,
    pub code: Option<String>,
    pub msg: Option<String>,
    pub sub_code: Option<String>,
    pub sub_msg: Option<String>,
    pub alipay_cert_sn: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct VerifyReport {
    pub index: u32,
    /// As pasted, for settling; never shown (see `input_preview`).
    pub input: String,
    /// The start of the input, made visible.
    pub input_preview: String,
    pub valid: bool,
    pub kind: VerifyKind,
    pub signed_over: Option<VerifySignedOver>,
    pub response: Option<VerifyBusiness>,
    pub reason: Option<String>,
    pub hint: Option<String>,
    pub canonical: Option<String>,
    pub fields: Vec<VerifyField>,
    pub order: Option<VerifyOrderMatch>,
}

/// One input of a large batch beyond the detailed ones: its verdict in a line.
#[derive(Debug, Clone, Serialize, TS)]
pub struct VerifyLine {
    pub index: u32,
    pub valid: bool,
    pub kind: VerifyKind,
    pub signed_over: Option<VerifySignedOver>,
    /// Made visible and shortened.
    pub reason: Option<String>,
    pub preview: String,
}

/// The verdicts of one pasted text or file (`verify_text`).
#[derive(Debug, Clone, Serialize, TS)]
pub struct VerifyBatch {
    pub job: u32,
    /// Inputs found in the text, and how many were verified (fewer when cancelled).
    pub total: u32,
    pub done: u32,
    pub cancelled: bool,
    pub valid: u32,
    pub invalid: u32,
    /// Valid callbacks per rule, and valid responses.
    pub valid_documented: u32,
    pub valid_sign_type_kept: u32,
    pub valid_responses: u32,
    /// The first inputs in full (with the order match).
    pub reports: Vec<VerifyReport>,
    /// The rest, one line each, up to a limit; `lines_omitted` more were only counted.
    pub lines: Vec<VerifyLine>,
    pub lines_omitted: u32,
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
