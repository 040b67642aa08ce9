//! The one error shape that crosses IPC: `{code, message}`.
//!
//! The code is core's [`paydesk_core::ErrorKind`], which every core error reports through its
//! `kind()`; this module only picks the sentence. Driver and SQL text never reaches the message:
//! internal errors are logged with their full chain and the UI gets a sentence and what to do.

use paydesk_core::ops::OpsError;
use paydesk_core::reconcile::ReconError;
use paydesk_core::{ErrorKind, StoreError};
use serde::Serialize;
use ts_rs::TS;

/// The IPC error code is core's error kind: one list, mapped once (see `paydesk_core::ErrorKind`).
pub use paydesk_core::ErrorKind as IpcErrorCode;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct IpcError {
    pub code: IpcErrorCode,
    pub message: String,
}

pub type IpcResult<T> = Result<T, IpcError>;

impl IpcError {
    pub fn new(code: IpcErrorCode, message: impl Into<String>) -> Self {
        IpcError {
            code,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(IpcErrorCode::InvalidInput, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(IpcErrorCode::NotFound, message)
    }

    /// Something the operator cannot fix from the UI. The detail goes to the log only.
    pub fn internal(context: &str, detail: &dyn std::fmt::Display) -> Self {
        tracing::error!(%context, error = %detail, "internal error");
        Self::new(
            IpcErrorCode::Internal,
            format!(
                "{context} failed because of an internal error; details are in the Paydesk log"
            ),
        )
    }

    pub fn confirmation(expected_hint: &str) -> Self {
        Self::new(
            IpcErrorCode::ConfirmationRequired,
            format!("this is a production profile: type {expected_hint} to confirm"),
        )
    }
}

impl std::fmt::Display for IpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

impl From<StoreError> for IpcError {
    fn from(e: StoreError) -> Self {
        let kind = e.kind();
        if let Some(detail) = e.detail() {
            tracing::error!(error = %e, %detail, "database");
        }
        match kind {
            ErrorKind::Internal => IpcError::internal("the database operation", &e),
            // Every other store sentence is written for operators and holds no driver text.
            kind => IpcError::new(kind, e.to_string()),
        }
    }
}

impl From<OpsError> for IpcError {
    fn from(e: OpsError) -> Self {
        match e {
            OpsError::Store(s) => IpcError::from(s),
            e if e.kind() == ErrorKind::Internal => IpcError::internal("the operation", &e),
            e => IpcError::new(e.kind(), e.to_string()),
        }
    }
}

impl From<ReconError> for IpcError {
    fn from(e: ReconError) -> Self {
        match e {
            // Their own mappings keep driver text out and say what to do.
            ReconError::Store(s) => IpcError::from(*s),
            ReconError::Ops(o) => IpcError::from(*o),
            // A refused bill: the parser says what is wrong; add what it means and what to do.
            ReconError::Bill(b) => IpcError::invalid(format!(
                "the bill was refused and nothing was reconciled: {b} (use the trade bill zip or its 业务明细 CSV as downloaded from the merchant portal)"
            )),
            ReconError::File(what, why) => IpcError::invalid(format!(
                "{what}: cannot read: {why} (check the path and that Paydesk may read it)"
            )),
            e if e.kind() == ErrorKind::Internal => IpcError::internal("the reconciliation", &e),
            // The other variants are sentences written for the operator (see ReconError).
            e => IpcError::new(e.kind(), e.to_string()),
        }
    }
}

impl From<paydesk_core::profile::ProfileError> for IpcError {
    fn from(e: paydesk_core::profile::ProfileError) -> Self {
        IpcError::new(e.kind(), e.to_string())
    }
}

impl From<paydesk_core::desk_open::OpenError> for IpcError {
    fn from(e: paydesk_core::desk_open::OpenError) -> Self {
        use paydesk_core::desk_open::OpenError;
        match e {
            OpenError::Profile(p) => p.into(),
            OpenError::Store(s) => s.into(),
        }
    }
}

impl From<alipay::KeyError> for IpcError {
    fn from(e: alipay::KeyError) -> Self {
        // Key errors name files and formats, never key material.
        IpcError::invalid(e.to_string())
    }
}

impl From<alipay::CertError> for IpcError {
    fn from(e: alipay::CertError) -> Self {
        IpcError::invalid(e.to_string())
    }
}

impl From<alipay::SignError> for IpcError {
    fn from(e: alipay::SignError) -> Self {
        IpcError::invalid(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_json_shape_is_code_and_message_only() {
        let e = IpcError::new(IpcErrorCode::ConfirmationRequired, "type it");
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({"code": "confirmation_required", "message": "type it"})
        );
        // The wire name is the kind's own, for every kind.
        for code in ErrorKind::ALL {
            assert_eq!(serde_json::to_value(code).unwrap(), json!(code.as_str()));
        }
    }

    #[test]
    fn ops_errors_keep_their_code_and_sentence() {
        let e: IpcError = OpsError::Refused("order 1 is paid: refund it instead".into()).into();
        assert_eq!(e.code, IpcErrorCode::Conflict);
        assert_eq!(e.message, "order 1 is paid: refund it instead");
        let e: IpcError = OpsError::NotFound {
            what: "order 42".into(),
        }
        .into();
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({"code": "not_found", "message": "order 42 not found"})
        );
        let e: IpcError = OpsError::UnknownOutcome("timeout".into()).into();
        assert_eq!(e.code, IpcErrorCode::UnknownOutcome);
    }

    #[test]
    fn driver_text_is_not_shown() {
        let db = StoreError::Db {
            context: "read orders".into(),
            source: sqlx_like_error(),
        };
        let e: IpcError = OpsError::Store(db).into();
        assert_eq!(e.code, IpcErrorCode::Internal);
        assert!(!e.message.contains("SELECT"), "{}", e.message);
        assert!(!e.message.contains("no such table"), "{}", e.message);
        assert!(e.message.contains("log"), "{}", e.message);
    }

    #[test]
    fn recon_errors_keep_their_code_and_sentence() {
        let e: IpcError = ReconError::Cancelled.into();
        assert_eq!(e.code, IpcErrorCode::Cancelled);
        assert_eq!(e.message, "cancelled: nothing was stored");
        let e: IpcError = ReconError::RowNotFound(7).into();
        assert_eq!(e.code, IpcErrorCode::NotFound);
        let e: IpcError = ReconError::from(alipay::bill::BillError::Empty).into();
        assert_eq!(e.code, IpcErrorCode::InvalidInput);
        assert!(e.message.contains("the file is empty"), "{}", e.message);
        let e: IpcError = ReconError::from(StoreError::Db {
            context: "read rows".into(),
            source: sqlx_like_error(),
        })
        .into();
        assert_eq!(e.code, IpcErrorCode::Internal);
        assert!(!e.message.contains("SELECT"), "{}", e.message);
    }

    fn sqlx_like_error() -> sqlx::Error {
        sqlx::Error::Protocol("no such table: ly_order in SELECT * FROM ly_order".into())
    }
}
