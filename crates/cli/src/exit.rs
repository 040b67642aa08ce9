//! Exit codes and the errors that carry them.
//!
//! 0 ok, 1 a negative verdict (INVALID, pair mismatch, business failure, unknown outcome),
//! 2 usage error or unreadable input. Anything not classified is treated as 2: it is almost
//! always a file or setting the user has to fix.

use std::fmt;

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

impl Failure {
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

impl From<alipay::KeyError> for Failure {
    fn from(e: alipay::KeyError) -> Self {
        Failure::input(e.to_string())
    }
}

pub type CmdResult = Result<Exit, Failure>;
