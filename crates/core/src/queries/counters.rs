//! `paydesk_counters`: the order-number counter (the site's Redis `INCR order_number`), kept in the
//! database so it is shared by everyone using it and survives restarts.

use crate::db::{Dialect, Query, Tx};
use crate::error::Result;

pub const ORDER_NUMBER: &str = "order_number";

/// Reserves `count` consecutive values and returns the first. Atomic within the write transaction.
pub async fn reserve(tx: &mut Tx, name: &str, count: i64) -> Result<i64> {
    let upsert = match tx.dialect() {
        Dialect::Sqlite => {
            "INSERT INTO paydesk_counters (name, value) VALUES (?, ?) \
             ON CONFLICT(name) DO UPDATE SET value = value + excluded.value"
        }
        Dialect::MySql => {
            "INSERT INTO paydesk_counters (name, value) VALUES (?, ?) ON DUPLICATE KEY UPDATE value = value + VALUES(value)"
        }
    };
    tx.execute(Query::new(upsert).bind(name).bind(count))
        .await?;
    let last = tx
        .fetch_one(
            Query::new("SELECT value FROM paydesk_counters WHERE name = ?").bind(name),
            "counter",
        )
        .await?
        .i64("value")?;
    Ok(last - count + 1)
}

pub async fn current(tx: &mut Tx, name: &str) -> Result<i64> {
    Ok(
        match tx
            .fetch_optional(
                Query::new("SELECT value FROM paydesk_counters WHERE name = ?").bind(name),
            )
            .await?
        {
            Some(r) => r.i64("value")?,
            None => 0,
        },
    )
}
