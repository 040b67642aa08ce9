//! The full-refund policy ([`Policy`]): what a full refund takes back. It is stored in the platform
//! database (`paydesk_settings`), not in a profile or in code, so every Paydesk install against one
//! database — finance's desktop app, an admin's CLI — follows the same rule and anyone can see it.
//!
//! Refunds read it inside their own transactions (see [`read`]) rather than once when a [`Desk`]
//! is built: a desk lives as long as the app runs, and a change made on another machine must apply
//! to the very next refund without a restart. Keys that were never written mean the defaults; a
//! stored value other than `true`/`false` stops refunds with an error naming the key, because
//! silently falling back to a default could take back (or leave) courses and credits nobody meant.

use chrono::NaiveDateTime;
use serde::Serialize;

use super::{OpsError, OpsResult, Outcome};
use crate::db::Tx;
use crate::desk::{Desk, Policy};
use crate::queries::{self, settings::Setting};

pub const REVOKE_GRANTS_KEY: &str = "refund.revoke_grants_on_full_refund";
pub const RETURN_CREDITS_KEY: &str = "refund.return_credits_on_full_refund";

const AUDIT_ACTION: &str = "policy_change";
/// The ReasonDialog's limit; the audit column itself is TEXT.
const MAX_REASON: usize = 500;

/// The policy in force and its last change (both `None` while it is the code default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyState {
    pub revoke_grants_on_full_refund: bool,
    pub return_credits_on_full_refund: bool,
    pub updated_time: Option<NaiveDateTime>,
    pub updated_by: Option<String>,
}

impl PolicyState {
    pub fn policy(&self) -> Policy {
        Policy {
            revoke_grants_on_full_refund: self.revoke_grants_on_full_refund,
            return_credits_on_full_refund: self.return_credits_on_full_refund,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PolicyChange {
    pub outcome: Outcome,
    /// What was in force before; `None` when a stored value was malformed (the audit row keeps it).
    pub before: Option<Policy>,
    pub after: PolicyState,
    pub audit_id: i64,
    pub message: String,
}

/// The policy in force, read in the caller's transaction (a refund's, under its order lock).
pub async fn read(tx: &mut Tx) -> OpsResult<Policy> {
    Ok(read_state(tx).await?.policy())
}

/// [`read`] with who changed it when (the later of the two keys' changes).
pub async fn read_state(tx: &mut Tx) -> OpsResult<PolicyState> {
    let revoke = queries::settings::get_entry(tx, REVOKE_GRANTS_KEY).await?;
    let credits = queries::settings::get_entry(tx, RETURN_CREDITS_KEY).await?;
    let defaults = Policy::default();
    let last = [&revoke, &credits]
        .into_iter()
        .flatten()
        .max_by_key(|s| s.updated_time);
    Ok(PolicyState {
        revoke_grants_on_full_refund: flag(
            REVOKE_GRANTS_KEY,
            revoke.as_ref(),
            defaults.revoke_grants_on_full_refund,
        )?,
        return_credits_on_full_refund: flag(
            RETURN_CREDITS_KEY,
            credits.as_ref(),
            defaults.return_credits_on_full_refund,
        )?,
        updated_time: last.map(|s| s.updated_time),
        updated_by: last.map(|s| s.updated_by.clone()),
    })
}

/// The policy in force, for display.
pub async fn show(desk: &Desk) -> OpsResult<PolicyState> {
    let mut tx = desk.store.begin_read().await?;
    let state = read_state(&mut tx).await;
    tx.rollback().await?;
    state
}

fn flag(key: &str, stored: Option<&Setting>, default: bool) -> OpsResult<bool> {
    match stored.map(|s| s.value.as_str()) {
        None => Ok(default),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(other) => Err(malformed(key, other)),
    }
}

fn malformed(key: &str, value: &str) -> OpsError {
    let shown: String = value.chars().take(40).collect();
    OpsError::Refused(format!(
        "the full-refund policy in paydesk_settings is unreadable: {key} = {shown:?}, but the \
         allowed values are \"true\" and \"false\". Full refunds stop until it is set again \
         (`paydesk policy set`, or Settings → Refund policy in the app)"
    ))
}

fn on_off(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

/// Changes the policy: both keys in one transaction with an audit row holding the old and new
/// values and the operator's reason. Setting what is already in force is a no-op that says so.
/// A malformed stored value does not block this: writing a valid one is how it gets repaired.
pub async fn set(desk: &Desk, new: Policy, reason: &str) -> OpsResult<PolicyChange> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(OpsError::InvalidInput(
            "a reason is required to change the full-refund policy".into(),
        ));
    }
    if reason.chars().count() > MAX_REASON {
        return Err(OpsError::InvalidInput(format!(
            "the reason is longer than {MAX_REASON} characters"
        )));
    }
    let mut tx = desk.store.begin_write().await?;
    // Two admins changing the policy at once: on MySQL both could read the same old values and
    // the audit log would tell two stories. Bumping a counter row first makes the second change
    // wait for the first and then read what it wrote (SQLite's write lock does this already).
    let change_no = queries::counters::reserve(&mut tx, AUDIT_ACTION, 1).await?;
    let stored_revoke = queries::settings::get_entry(&mut tx, REVOKE_GRANTS_KEY).await?;
    let stored_credits = queries::settings::get_entry(&mut tx, RETURN_CREDITS_KEY).await?;
    let defaults = Policy::default();
    let before = match (
        flag(
            REVOKE_GRANTS_KEY,
            stored_revoke.as_ref(),
            defaults.revoke_grants_on_full_refund,
        ),
        flag(
            RETURN_CREDITS_KEY,
            stored_credits.as_ref(),
            defaults.return_credits_on_full_refund,
        ),
    ) {
        (Ok(r), Ok(c)) => Some(Policy {
            revoke_grants_on_full_refund: r,
            return_credits_on_full_refund: c,
        }),
        _ => None,
    };
    // The old values as stored (a malformed one verbatim), or the default in force when absent.
    let old_json = |s: &Option<Setting>, default: bool| match s {
        Some(s) => match s.value.as_str() {
            "true" => serde_json::Value::Bool(true),
            "false" => serde_json::Value::Bool(false),
            other => serde_json::Value::String(other.to_string()),
        },
        None => serde_json::Value::Bool(default),
    };
    let mut a = desk.audit(AUDIT_ACTION, "ok");
    a.reason = Some(reason.to_string());
    a.before = Some(serde_json::json!({
        "revoke_grants_on_full_refund": old_json(&stored_revoke, defaults.revoke_grants_on_full_refund),
        "return_credits_on_full_refund": old_json(&stored_credits, defaults.return_credits_on_full_refund),
        "stored": stored_revoke.is_some() || stored_credits.is_some(),
    }));
    a.after = Some(serde_json::to_value(new).unwrap_or(serde_json::Value::Null));
    let describe = |p: Option<Policy>| match p {
        Some(p) => format!(
            "revoke grants {}, return credits {}",
            on_off(p.revoke_grants_on_full_refund),
            on_off(p.return_credits_on_full_refund)
        ),
        None => "unreadable".to_string(),
    };
    if before == Some(new) {
        a.outcome = "noop".into();
        let message = format!(
            "the full-refund policy is already: {}; nothing changed",
            describe(before)
        );
        a.detail = Some(message.clone());
        let audit_id = desk.audit_in(&mut tx, &a).await?;
        let after = read_state(&mut tx).await?;
        // The counter bump is the only write besides the audit row; keep both.
        tx.commit().await?;
        return Ok(PolicyChange {
            outcome: Outcome::Noop,
            before,
            after,
            audit_id,
            message,
        });
    }
    let value = |b: bool| if b { "true" } else { "false" };
    queries::settings::set(
        &mut tx,
        REVOKE_GRANTS_KEY,
        value(new.revoke_grants_on_full_refund),
        &desk.operator,
    )
    .await?;
    queries::settings::set(
        &mut tx,
        RETURN_CREDITS_KEY,
        value(new.return_credits_on_full_refund),
        &desk.operator,
    )
    .await?;
    let message = format!(
        "full-refund policy changed: {} → {}",
        describe(before),
        describe(Some(new))
    );
    a.detail = Some(format!("{message} (change {change_no})"));
    let audit_id = desk.audit_in(&mut tx, &a).await?;
    let after = read_state(&mut tx).await?;
    tx.commit().await?;
    Ok(PolicyChange {
        outcome: Outcome::Done,
        before,
        after,
        audit_id,
        message,
    })
}
