//! `fg_users` (AbstractUser: no BaseModel columns, no updated_time).

use super::for_update;
use crate::db::{Query, Tx};
use crate::error::Result;
use crate::rows::{UserRow, user_cols};

pub async fn get(tx: &mut Tx, id: i64) -> Result<Option<UserRow>> {
    let q = Query::new(format!(
        "SELECT {} FROM {} u WHERE u.id = ?",
        user_cols(tx.names(), "u"),
        tx.names().users
    ))
    .bind(id);
    tx.fetch_optional(q)
        .await?
        .map(|r| UserRow::from_row(&r))
        .transpose()
}

pub async fn get_for_update(tx: &mut Tx, id: i64) -> Result<Option<UserRow>> {
    let q = Query::new(format!(
        "SELECT {} FROM {} u WHERE u.id = ?{}",
        user_cols(tx.names(), "u"),
        tx.names().users,
        for_update(tx.dialect())
    ))
    .bind(id);
    tx.fetch_optional(q)
        .await?
        .map(|r| UserRow::from_row(&r))
        .transpose()
}

pub async fn find_by_mobile(tx: &mut Tx, mobile: &str) -> Result<Option<UserRow>> {
    let q = Query::new(format!(
        "SELECT {} FROM {} u WHERE u.mobile = ?",
        user_cols(tx.names(), "u"),
        tx.names().users
    ))
    .bind(mobile);
    tx.fetch_optional(q)
        .await?
        .map(|r| UserRow::from_row(&r))
        .transpose()
}

pub async fn find_by_username(tx: &mut Tx, username: &str) -> Result<Option<UserRow>> {
    let q = Query::new(format!(
        "SELECT {} FROM {} u WHERE u.username = ?",
        user_cols(tx.names(), "u"),
        tx.names().users
    ))
    .bind(username);
    tx.fetch_optional(q)
        .await?
        .map(|r| UserRow::from_row(&r))
        .transpose()
}

/// Adds `delta` (may be negative) to the credit balance in one statement, so concurrent changes
/// add up instead of overwriting each other (the site's read-modify-write `user.save()` loses them).
/// Returns rows affected (0 = no such user).
pub async fn add_credit(tx: &mut Tx, user_id: i64, delta: i64) -> Result<u64> {
    let q = Query::new(format!(
        "UPDATE {} SET credit = credit + ? WHERE id = ?",
        tx.names().users
    ))
    .bind(delta)
    .bind(user_id);
    Ok(tx.execute(q).await?.rows_affected)
}
