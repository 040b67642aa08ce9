//! The payment operations, one module per capability in the platform's vocabulary. Each state
//! change runs in one transaction, is guarded (row lock or conditional UPDATE with the rows
//! affected checked), is idempotent (a repeat is a no-op that says so) and leaves an audit row —
//! refusals included, written in a transaction of their own.

pub mod close;
pub mod grant;
pub mod pay_link;
pub mod policy;
pub mod refund;
pub mod settle;
pub mod test_order;

use std::fmt;
use std::str::FromStr;

use alipay::{CallbackError, GatewayError};
use serde::{Deserialize, Serialize};

use crate::db::Tx;
use crate::domain::{DomainError, OrderNumber, OrderStatus};
use crate::error::{ErrorKind, StoreError};
use crate::pricing::PricingError;
use crate::queries;
use crate::rows::OrderRow;

/// How an operator names an order: its number (what Alipay calls out_trade_no), or `id:N`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderRef {
    Id(i64),
    Number(OrderNumber),
}

impl FromStr for OrderRef {
    type Err = OpsError;
    fn from_str(s: &str) -> Result<Self, OpsError> {
        let t = s.trim();
        if let Some(id) = t.strip_prefix("id:") {
            return id
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|i| *i > 0)
                .map(OrderRef::Id)
                .ok_or_else(|| {
                    OpsError::InvalidInput(format!("{s:?}: an order id is id:<positive number>"))
                });
        }
        OrderNumber::parse(t).map(OrderRef::Number).map_err(|e| {
            OpsError::InvalidInput(format!(
                "{e} (give the order number, or id:N for the row id)"
            ))
        })
    }
}

impl fmt::Display for OrderRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderRef::Id(id) => write!(f, "id:{id}"),
            OrderRef::Number(n) => write!(f, "{n}"),
        }
    }
}

/// Whether an operation changed anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The change was made now.
    Done,
    /// Nothing to do: it had been done before (or by someone else a moment ago).
    Noop,
}

impl Outcome {
    pub fn audit_word(self) -> &'static str {
        match self {
            Outcome::Done => "ok",
            Outcome::Noop => "noop",
        }
    }
}

/// Why an operation did not happen. Every variant is a sentence an operator can act on; the
/// `code()` is what the desktop UI switches on.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error("{what} not found")]
    NotFound { what: String },
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The order (or refund, grant) is not in a state that allows this.
    #[error("{0}")]
    Refused(String),
    /// What Alipay sent does not belong to this profile or this order.
    #[error("{field} mismatch: expected {expected}, got {got}")]
    Mismatch {
        field: &'static str,
        expected: String,
        got: String,
    },
    #[error("the callback does not verify: {0}")]
    Signature(Box<CallbackError>),
    #[error("Alipay has not been paid for order {order_number}: trade status {status}")]
    NotPaid {
        order_number: String,
        status: String,
    },
    #[error("{0}")]
    Gateway(Box<GatewayError>),
    /// The gateway call may or may not have happened; nothing was changed that depends on it.
    #[error("{0}")]
    UnknownOutcome(String),
    /// The profile cannot reach Alipay; the sentence says which setting is missing or wrong.
    #[error("{0}")]
    NoGateway(String),
    #[error("{0}")]
    Pricing(#[from] PricingError),
    /// A production action the operator has not (or wrongly) confirmed; nothing was done.
    #[error("{0}")]
    Confirmation(crate::confirm::Refusal),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for OpsError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what } => OpsError::NotFound { what },
            StoreError::InvalidInput(m) => OpsError::InvalidInput(m),
            other => OpsError::Store(other),
        }
    }
}

impl From<DomainError> for OpsError {
    fn from(e: DomainError) -> Self {
        OpsError::InvalidInput(e.to_string())
    }
}

impl From<GatewayError> for OpsError {
    fn from(e: GatewayError) -> Self {
        if e.outcome_unknown() {
            OpsError::UnknownOutcome(e.to_string())
        } else {
            OpsError::Gateway(Box::new(e))
        }
    }
}

impl From<CallbackError> for OpsError {
    fn from(e: CallbackError) -> Self {
        OpsError::Signature(Box::new(e))
    }
}

impl OpsError {
    /// How the front ends treat it (IPC code, exit code).
    pub fn kind(&self) -> ErrorKind {
        match self {
            OpsError::NotFound { .. } => ErrorKind::NotFound,
            OpsError::InvalidInput(_) | OpsError::Pricing(_) | OpsError::NoGateway(_) => {
                ErrorKind::InvalidInput
            }
            OpsError::Refused(_) | OpsError::Mismatch { .. } | OpsError::NotPaid { .. } => {
                ErrorKind::Conflict
            }
            OpsError::Confirmation(_) => ErrorKind::ConfirmationRequired,
            OpsError::Signature(_) => ErrorKind::Signature,
            OpsError::Gateway(_) => ErrorKind::Gateway,
            OpsError::UnknownOutcome(_) => ErrorKind::UnknownOutcome,
            OpsError::Store(e) => e.kind(),
        }
    }
}

pub type OpsResult<T> = Result<T, OpsError>;

/// Finds exactly one order. `order_number` is not unique on the platform: two rows with one
/// number are refused rather than guessed between.
pub async fn find_order(tx: &mut Tx, r: &OrderRef) -> OpsResult<OrderRow> {
    match r {
        OrderRef::Id(id) => {
            queries::orders::get(tx, *id)
                .await?
                .ok_or_else(|| OpsError::NotFound {
                    what: format!("order with id {id}"),
                })
        }
        OrderRef::Number(n) => {
            let mut rows = queries::orders::find_by_number(tx, n).await?;
            match rows.len() {
                0 => Err(OpsError::NotFound {
                    what: format!("order {n}"),
                }),
                1 => Ok(rows.remove(0)),
                k => Err(OpsError::Refused(format!(
                    "order number {n} is used by {k} orders (ids {}): name the one you mean with id:N",
                    rows.iter()
                        .map(|o| o.id.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))),
            }
        }
    }
}

/// The order again, locked until the transaction ends (see [`queries::orders::get_for_update`]).
pub async fn lock_order(tx: &mut Tx, id: i64) -> OpsResult<OrderRow> {
    queries::orders::get_for_update(tx, id)
        .await?
        .ok_or_else(|| OpsError::NotFound {
            what: format!("order with id {id}"),
        })
}

/// A short phrase for a status, for messages.
pub fn status_phrase(s: OrderStatus) -> String {
    match s {
        OrderStatus::Unpaid => "unpaid".into(),
        OrderStatus::Paid => "paid".into(),
        OrderStatus::Cancelled => "cancelled".into(),
        OrderStatus::TimedOut => "timed out".into(),
        OrderStatus::Unknown(n) => format!("in unknown status {n}"),
    }
}

/// JSON of a row for the audit log's before/after.
pub fn json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// Ledger remark tag naming an order, so Paydesk's rows for an order can be found again.
pub fn credit_remark(order_number: &str, what: &str) -> String {
    format!("paydesk 订单 {order_number}: {what}")
}
