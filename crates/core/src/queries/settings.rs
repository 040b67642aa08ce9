//! `paydesk_settings`: small key/value policy settings (e.g. refund side effects).

use chrono::NaiveDateTime;

use crate::db::{Dialect, Query, Tx};
use crate::error::Result;

/// One stored setting with who wrote it when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub value: String,
    pub updated_time: NaiveDateTime,
    pub updated_by: String,
}

pub async fn get(tx: &mut Tx, key: &str) -> Result<Option<String>> {
    Ok(get_entry(tx, key).await?.map(|s| s.value))
}

pub async fn get_entry(tx: &mut Tx, key: &str) -> Result<Option<Setting>> {
    tx.fetch_optional(
        Query::new(
            "SELECT setting_value, updated_time, updated_by FROM paydesk_settings WHERE setting_key = ?",
        )
        .bind(key),
    )
    .await?
    .map(|r| {
        Ok(Setting {
            value: r.string("setting_value")?,
            updated_time: r.time("updated_time")?,
            updated_by: r.string("updated_by")?,
        })
    })
    .transpose()
}

pub async fn set(tx: &mut Tx, key: &str, value: &str, by: &str) -> Result<()> {
    let now = tx.now();
    let sql = match tx.dialect() {
        Dialect::Sqlite => {
            "INSERT INTO paydesk_settings (setting_key, setting_value, updated_time, updated_by) VALUES (?, ?, ?, ?) \
             ON CONFLICT(setting_key) DO UPDATE SET setting_value = excluded.setting_value, \
             updated_time = excluded.updated_time, updated_by = excluded.updated_by"
        }
        Dialect::MySql => {
            "INSERT INTO paydesk_settings (setting_key, setting_value, updated_time, updated_by) VALUES (?, ?, ?, ?) \
             ON DUPLICATE KEY UPDATE setting_value = VALUES(setting_value), updated_time = VALUES(updated_time), \
             updated_by = VALUES(updated_by)"
        }
    };
    tx.execute(Query::new(sql).bind(key).bind(value).bind(now).bind(by))
        .await?;
    Ok(())
}
