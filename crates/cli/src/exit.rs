//! Exit codes and the errors that carry them.
//!
//! 0 ok; 1 a negative verdict or an operation that did not happen for a reason outside the
//! command line (INVALID, mismatch, refused by the record's state, a lost race, Alipay's refusal,
//! unknown outcome, a database that does not answer, an internal fault); 2 a usage error, bad or
//! unreadable input or settings, a missing confirmation: fix the command and run it again.
//! Core's [`ErrorKind`] decides, in one exhaustive match ([`exit_for`]).

use std::fmt;

use paydesk_core::ErrorKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    Negative = 1,
    Usage = 2,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// An error that knows its exit code and a short machine-readable kind for `--json`.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub kind: &'static str,
    pub message: String,
    /// Extra machine-readable facts for `--json` (e.g. a gateway's code and sub_code).
    pub details: Option<serde_json::Value>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// The exit code of each kind of failure: the one place the CLI decides it.
pub fn exit_for(kind: ErrorKind) -> Exit {
    match kind {
        ErrorKind::NotFound | ErrorKind::InvalidInput | ErrorKind::ConfirmationRequired => {
            Exit::Usage
        }
        ErrorKind::Conflict
        | ErrorKind::Cancelled
        | ErrorKind::Gateway
        | ErrorKind::Signature
        | ErrorKind::UnknownOutcome
        | ErrorKind::Unavailable
        | ErrorKind::Internal => Exit::Negative,
    }
}

impl Failure {
    /// A failure core classified: its kind names it in `--json` and decides the exit code.
    pub fn of(kind: ErrorKind, message: impl Into<String>) -> Self {
        Failure {
            exit: exit_for(kind),
            kind: kind.as_str(),
            message: message.into(),
            details: None,
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            exit: Exit::Usage,
            kind: "usage",
            message: message.into(),
            details: None,
        }
    }

    /// Bad or unreadable input: a key file, a settings file, an input list.
    pub fn input(message: impl Into<String>) -> Self {
        Failure {
            exit: Exit::Usage,
            kind: "input",
            message: message.into(),
            details: None,
        }
    }
}

impl From<crate::profile::ProfileError> for Failure {
    fn from(e: crate::profile::ProfileError) -> Self {
        Failure {
            exit: Exit::Usage,
            kind: "config",
            message: e.to_string(),
            details: None,
        }
    }
}

impl From<paydesk_core::StoreError> for Failure {
    fn from(e: paydesk_core::StoreError) -> Self {
        let mut f = Failure::of(e.kind(), e.to_string());
        // An operator at a terminal can act on the driver's words for a fault of their own
        // setup; a lost race or an unreachable server is already said in full.
        if e.kind() == ErrorKind::Internal
            && let Some(d) = e.detail()
        {
            f.details = Some(serde_json::json!({ "detail": d }));
        }
        f
    }
}

impl From<paydesk_core::ops::OpsError> for Failure {
    fn from(e: paydesk_core::ops::OpsError) -> Self {
        use paydesk_core::ops::OpsError;
        match e {
            OpsError::Store(s) => Failure::from(s),
            OpsError::Confirmation(r) => {
                let details = serde_json::json!({ "confirm": r.expected });
                let mut f = Failure::of(
                    ErrorKind::ConfirmationRequired,
                    format!("{r} (re-run with --confirm {})", r.expected),
                );
                f.details = Some(details);
                f
            }
            OpsError::UnknownOutcome(m) => {
                Failure::of(ErrorKind::UnknownOutcome, format!("UNKNOWN OUTCOME: {m}"))
            }
            e => Failure::of(e.kind(), e.to_string()),
        }
    }
}

impl From<paydesk_core::reconcile::ReconError> for Failure {
    fn from(e: paydesk_core::reconcile::ReconError) -> Self {
        use paydesk_core::reconcile::ReconError;
        match e {
            ReconError::Store(s) => Failure::from(*s),
            ReconError::Ops(o) => Failure::from(*o),
            e => Failure::of(e.kind(), e.to_string()),
        }
    }
}

impl From<alipay::KeyError> for Failure {
    fn from(e: alipay::KeyError) -> Self {
        Failure::input(e.to_string())
    }
}

pub type CmdResult = Result<Exit, Failure>;
