//! The production confirmation rule, the same for the CLI and the app.
//!
//! On a production profile an action that moves money or takes something from a customer needs
//! the operator to type what it acts on a second time (the order number, the grant id, a word):
//! a bare "yes" is too easily carried over onto the wrong record. Elsewhere a confirmation is
//! optional, but a wrong one is still refused: it means the operator has something else in mind.
//! Checked before anything is changed or sent to Alipay.

use std::fmt;

use serde::Serialize;

use crate::profile::ProfileKind;

/// The actions that need a typed confirmation on production, each with why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Guarded {
    Refund,
    ResumeRefunds,
    Close,
    Expire,
    Settle,
    Grant,
    Revoke,
    Policy,
}

impl Guarded {
    pub fn why(self) -> &'static str {
        match self {
            Guarded::Refund => "a refund moves real money",
            Guarded::ResumeRefunds => "resuming refunds moves real money",
            Guarded::Close => "closing an order cancels a real customer's order",
            Guarded::Expire => "expiring cancels real customers' unpaid orders",
            Guarded::Settle => "settling marks a real order paid and grants its courses",
            Guarded::Grant => "granting gives a real customer a course without payment",
            Guarded::Revoke => "revoking takes a course away from a real customer",
            Guarded::Policy => "the refund policy decides what every full refund takes back",
        }
    }
}

/// Why an action was not done: the confirmation was missing or did not match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub action: Guarded,
    pub profile: String,
    /// What the operator has to type.
    pub expected: String,
    /// What they typed, if anything.
    pub given: Option<String>,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = self.action.why();
        match &self.given {
            None => write!(
                f,
                "profile {:?} is production and {why}. Nothing was changed; to confirm, type {}",
                self.profile, self.expected
            ),
            Some(g) => write!(
                f,
                "the confirmation {g:?} does not match ({why}). Nothing was changed; to confirm, \
                 type {}",
                self.expected
            ),
        }
    }
}

impl std::error::Error for Refusal {}

/// The rule itself. `expected` empty never confirms (a record without a number cannot be named).
pub fn check(
    kind: ProfileKind,
    profile: &str,
    action: Guarded,
    given: Option<&str>,
    expected: &str,
) -> Result<(), Refusal> {
    let given = given.map(str::trim).filter(|g| !g.is_empty());
    let ok = match given {
        Some(g) => !expected.is_empty() && g == expected,
        None => kind != ProfileKind::Production,
    };
    if ok {
        return Ok(());
    }
    Err(Refusal {
        action,
        profile: profile.to_string(),
        expected: expected.to_string(),
        given: given.map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_needs_the_exact_value_and_elsewhere_a_wrong_one_is_refused() {
        let p = ProfileKind::Production;
        assert!(check(p, "live", Guarded::Refund, Some(" 2026 "), "2026").is_ok());
        let e = check(p, "live", Guarded::Refund, None, "2026").unwrap_err();
        assert!(e.to_string().contains("production"), "{e}");
        assert!(e.to_string().contains("type 2026"), "{e}");
        assert!(check(p, "live", Guarded::Refund, Some("2027"), "2026").is_err());
        assert!(check(p, "live", Guarded::Refund, Some(""), "2026").is_err());
        assert!(check(p, "live", Guarded::Refund, Some("x"), "").is_err());
        for k in [ProfileKind::Sandbox, ProfileKind::Simulator] {
            assert!(check(k, "t", Guarded::Expire, None, "EXPIRE").is_ok());
            assert!(check(k, "t", Guarded::Expire, Some("EXPIRE"), "EXPIRE").is_ok());
            let e = check(k, "t", Guarded::Expire, Some("EXPIR"), "EXPIRE").unwrap_err();
            assert!(e.to_string().contains("does not match"), "{e}");
        }
    }
}
