//! The handle every payment operation runs on, shared by the CLI and the desktop app: the store,
//! the Alipay gateway of the profile and who is acting. Built from explicit parts (never from a
//! settings file) so tests, the CLI and the app put it together the same way. The refund policy is
//! not part of it: it lives in the platform database (see [`crate::ops::policy`]).

use std::sync::Arc;

use alipay::{AppIdentity, Clock, GatewayClient, PublicKey};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::confirm::{self, Guarded};
use crate::db::{Store, Tx};
use crate::ops::{OpsError, OpsResult};
use crate::profile::ProfileKind;
use crate::queries::audit::{NewAudit, append};

/// Side effects of a full refund. Both on by default (and while `paydesk_settings` holds nothing
/// else): the customer got the money back, so the courses go and the credits they spent come back,
/// as if the order had been cancelled. Stored and read by [`crate::ops::policy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub revoke_grants_on_full_refund: bool,
    pub return_credits_on_full_refund: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            revoke_grants_on_full_refund: true,
            return_credits_on_full_refund: true,
        }
    }
}

/// The profile's Alipay side: the gateway client (which holds Alipay's public key) and the
/// identities callbacks must name.
pub struct Gateway {
    pub client: GatewayClient,
    pub app: AppIdentity,
    pub gateway_url: String,
    /// The merchant's Alipay user id (2088…): callbacks for another seller are refused.
    pub seller_id: String,
    /// Put into pay links when set.
    pub return_url: Option<String>,
    pub notify_url: Option<String>,
}

impl Gateway {
    pub fn alipay_public_key(&self) -> &PublicKey {
        &self.client.config().alipay_public_key
    }
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // AppIdentity's Debug already redacts the private key.
        f.debug_struct("Gateway")
            .field("app_id", &self.app.app_id)
            .field("gateway_url", &self.gateway_url)
            .field("seller_id", &self.seller_id)
            .finish_non_exhaustive()
    }
}

/// Store + gateway + who is acting. Operations that only touch the database (grants, test
/// orders) work without a gateway; those that need Alipay ask for it and fail clearly.
#[derive(Debug)]
pub struct Desk {
    pub store: Store,
    gateway: Option<Gateway>,
    no_gateway: Option<String>,
    pub profile_name: String,
    pub profile_kind: ProfileKind,
    /// Recorded in every audit row (the profile's operator, by default the OS user).
    pub operator: String,
    /// The service fee rate reconciliation checks each trade's 服务费 against.
    pub fee_rate: rust_decimal::Decimal,
}

impl Desk {
    pub fn new(
        store: Store,
        profile_name: impl Into<String>,
        profile_kind: ProfileKind,
        operator: impl Into<String>,
    ) -> Self {
        Desk {
            store,
            gateway: None,
            no_gateway: None,
            profile_name: profile_name.into(),
            profile_kind,
            operator: operator.into(),
            fee_rate: crate::reconcile::checks::DEFAULT_FEE_RATE,
        }
    }

    /// The production confirmation rule (see [`crate::confirm`]) for this desk's profile.
    pub fn confirm(&self, action: Guarded, given: Option<&str>, expected: &str) -> OpsResult<()> {
        confirm::check(
            self.profile_kind,
            &self.profile_name,
            action,
            given,
            expected,
        )
        .map_err(OpsError::Confirmation)
    }

    pub fn with_gateway(mut self, gateway: Gateway) -> Self {
        self.gateway = Some(gateway);
        self
    }

    /// A desk whose profile cannot reach Alipay, and why (said by every operation that needs it).
    pub fn without_gateway(mut self, why: impl Into<String>) -> Self {
        self.gateway = None;
        self.no_gateway = Some(why.into());
        self
    }

    pub fn gateway(&self) -> Result<&Gateway, crate::ops::OpsError> {
        self.gateway.as_ref().ok_or_else(|| {
            crate::ops::OpsError::NoGateway(
                self.no_gateway
                    .clone()
                    .unwrap_or_else(|| crate::desk_open::NO_GATEWAY.to_string()),
            )
        })
    }

    pub fn has_gateway(&self) -> bool {
        self.gateway.is_some()
    }

    /// The store's clock: one clock for database times and request timestamps.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        self.store.clock()
    }

    pub fn now(&self) -> NaiveDateTime {
        self.store.now()
    }

    /// An audit row stamped with this desk's operator and profile.
    pub fn audit(&self, action: &str, outcome: &str) -> NewAudit {
        NewAudit {
            operator: self.operator.clone(),
            profile: self.profile_name.clone(),
            action: action.to_string(),
            order_id: None,
            order_number: None,
            user_id: None,
            reason: None,
            before: None,
            after: None,
            outcome: outcome.to_string(),
            detail: None,
        }
    }

    /// Records a refusal or a failure in a transaction of its own: the operation's transaction
    /// (if any) has rolled back, and what was refused must still be on record. A failure to write
    /// it is logged, never allowed to hide the refusal itself.
    pub async fn audit_alone(&self, a: &NewAudit) {
        let res = async {
            let mut tx = self.store.begin_write().await?;
            append(&mut tx, a).await?;
            tx.commit().await
        }
        .await;
        if let Err(e) = res {
            tracing::error!(action = %a.action, outcome = %a.outcome, error = %e, "could not write the audit row");
        }
    }

    pub async fn audit_in(&self, tx: &mut Tx, a: &NewAudit) -> crate::error::Result<i64> {
        append(tx, a).await
    }
}

/// The OS user name, the default operator. Services and CI jobs often run without `USER`, and
/// an audit row saying "unknown" helps nobody: the login name, then the account of the process's
/// user id, then the uid itself.
pub fn os_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .into_iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|s| !s.trim().is_empty())
        .or_else(account_of_uid)
        .unwrap_or_else(|| "unknown".to_string())
}

#[cfg(unix)]
fn account_of_uid() -> Option<String> {
    use std::os::unix::fs::MetadataExt as _;
    // /proc/self is owned by the process's user: its uid without unsafe code or libc.
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let name = passwd.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        (f.nth(1)?.parse::<u32>().ok()? == uid).then(|| name.to_string())
    });
    Some(name.unwrap_or_else(|| format!("uid {uid}")))
}

#[cfg(not(unix))]
fn account_of_uid() -> Option<String> {
    None
}

#[cfg(all(test, unix))]
mod tests {
    #[test]
    fn the_uid_fallback_names_the_same_account_as_id() {
        let id = std::process::Command::new("id")
            .arg("-un")
            .output()
            .unwrap();
        let want = String::from_utf8_lossy(&id.stdout).trim().to_string();
        assert_eq!(super::account_of_uid().as_deref(), Some(want.as_str()));
    }
}
