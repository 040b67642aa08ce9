//! Finding one user or one order from what an operator typed: an id, a mobile or a username;
//! an order number or `id:N`. Read-only; NotFound names what was looked for.

use crate::browse::UserRef;
use crate::db::{Store, Tx};
use crate::error::{Result, StoreError};
use crate::ops::{self, OpsResult, OrderRef};
use crate::queries;
use crate::rows::{OrderRow, UserRow};

/// How one "user" box is read: 11 digits starting with 1 is a mobile (the platform's mobiles
/// are mainland numbers), other digits an id, anything else a username. `None` when empty.
pub fn user_ref(text: &str) -> Option<UserRef> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if t.bytes().all(|b| b.is_ascii_digit()) {
        if t.len() == 11 && t.starts_with('1') {
            return Some(UserRef::Mobile(t.to_string()));
        }
        if let Ok(id) = t.parse::<i64>() {
            return Some(UserRef::Id(id));
        }
    }
    Some(UserRef::Username(t.to_string()))
}

/// The user an id, mobile or username names.
pub async fn user(store: &Store, u: &UserRef) -> Result<UserRow> {
    let mut tx = store.begin_read().await?;
    let found = user_in(&mut tx, u).await;
    tx.rollback().await?;
    found
}

/// [`user`] inside the caller's transaction.
pub async fn user_in(tx: &mut Tx, u: &UserRef) -> Result<UserRow> {
    let found = match u {
        UserRef::Id(id) => queries::users::get(tx, *id).await?,
        UserRef::Mobile(m) => queries::users::find_by_mobile(tx, m.trim()).await?,
        UserRef::Username(n) => queries::users::find_by_username(tx, n.trim()).await?,
    };
    found.ok_or_else(|| StoreError::NotFound {
        what: match u {
            UserRef::Id(id) => format!("user with id {id}"),
            UserRef::Mobile(m) => format!("user with mobile {m}"),
            UserRef::Username(n) => format!("user with username {n:?}"),
        },
    })
}

/// One order by number or `id:N` (a number used by two orders is refused, as in every operation).
pub async fn order(store: &Store, r: &OrderRef) -> OpsResult<OrderRow> {
    let mut tx = store.begin_read().await?;
    let found = ops::find_order(&mut tx, r).await;
    tx.rollback().await?;
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_box_reads_mobiles_ids_and_usernames() {
        assert_eq!(
            user_ref(" 13800000001 "),
            Some(UserRef::Mobile("13800000001".into()))
        );
        assert_eq!(user_ref("42"), Some(UserRef::Id(42)));
        // 11 digits not starting with 1 is no mainland mobile: an id.
        assert_eq!(user_ref("23800000001"), Some(UserRef::Id(23800000001)));
        assert_eq!(user_ref("alex"), Some(UserRef::Username("alex".into())));
        assert_eq!(user_ref("   "), None);
    }
}
