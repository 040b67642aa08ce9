//! The full-refund policy (`paydesk_settings`, see `paydesk_core::ops::policy`).

use paydesk_core::ops::policy::PolicyState;
use serde::Serialize;
use ts_rs::TS;

use super::opt_time;

/// What a full refund takes back, and who last changed that (both null: the defaults, never set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct RefundPolicy {
    pub revoke_grants_on_full_refund: bool,
    pub return_credits_on_full_refund: bool,
    pub updated_time: Option<String>,
    pub updated_by: Option<String>,
}

impl From<&PolicyState> for RefundPolicy {
    fn from(s: &PolicyState) -> Self {
        RefundPolicy {
            revoke_grants_on_full_refund: s.revoke_grants_on_full_refund,
            return_credits_on_full_refund: s.return_credits_on_full_refund,
            updated_time: opt_time(s.updated_time),
            updated_by: s.updated_by.clone(),
        }
    }
}
