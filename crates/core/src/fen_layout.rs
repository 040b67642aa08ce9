//! SQLite files made by an earlier Paydesk kept the platform's money as integer fen; Django keeps
//! yuan in `decimal` columns, so a Django site reading such a file saw every price 100× too big.
//! `db migrate` (and the app, on its own embedded database) converts them once: a backup copy of
//! the file first, then each affected table rebuilt with Django's declared types in one
//! transaction — nothing half-converted can survive a failure.

use std::path::PathBuf;

use crate::config::Target;
use crate::db::{Dialect, Query, Store};
use crate::error::{Result, StoreError};
use crate::ident::q;
use crate::schema::{self, ColType, Role};

/// Platform tables whose money columns are still integer fen, with those columns.
async fn fen_tables(store: &Store) -> Result<Vec<(Role, Vec<&'static str>)>> {
    let mut out = Vec::new();
    let mut tx = store.begin_read().await?;
    for role in Role::ALL {
        let money: Vec<&'static str> = schema::columns(role, store.names().deleted_bare)
            .into_iter()
            .filter(|c| matches!(c.ty, ColType::Money { .. }))
            .map(|c| c.name)
            .collect();
        if money.is_empty() {
            continue;
        }
        let rows = tx
            .fetch_all(
                Query::new("SELECT name, type FROM pragma_table_info(?)").bind(role.table(store)),
            )
            .await?;
        let mut fen = Vec::new();
        for r in rows {
            let name = r.string("name")?.to_ascii_lowercase();
            let ty = r.string("type")?.to_ascii_lowercase();
            if let Some(m) = money.iter().find(|m| **m == name)
                && ty.contains("int")
            {
                fen.push(*m);
            }
        }
        if !fen.is_empty() {
            out.push((role, fen));
        }
    }
    tx.rollback().await?;
    Ok(out)
}

/// Where the backup goes: beside the file, named for the conversion and the time.
fn backup_path(store: &Store) -> Result<PathBuf> {
    let Target::Sqlite(path) = store.config().target()? else {
        return Err(StoreError::Config("not a SQLite database".into()));
    };
    let stamp = store.now().format("%Y%m%d-%H%M%S");
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".before-yuan-{stamp}.bak"));
    Ok(path.with_file_name(name))
}

/// Converts an earlier Paydesk's fen layout to Django's; does nothing on any other database.
/// Returns the backup's path when it converted.
pub async fn convert_if_needed(store: &Store) -> Result<Option<PathBuf>> {
    if store.dialect() != Dialect::Sqlite {
        return Ok(None);
    }
    let tables = fen_tables(store).await?;
    if tables.is_empty() {
        return Ok(None);
    }
    let backup = backup_path(store)?;
    if backup.exists() {
        return Err(StoreError::Config(format!(
            "backup {} already exists: move it away and run again",
            backup.display()
        )));
    }
    let b = backup.display().to_string();
    if b.contains('\'') {
        return Err(StoreError::Config(format!(
            "cannot back up to {b}: the path holds a quote"
        )));
    }
    // A consistent copy, taken by SQLite itself (WAL contents included).
    store.execute_raw(&format!("VACUUM INTO '{b}'")).await?;

    let d = Dialect::Sqlite;
    let mut tx = store.begin_write().await?;
    for (role, fen) in &tables {
        let table = role.table(store).to_string();
        let tmp = format!("{table}__paydesk_yuan");
        let indexes: Vec<String> = tx
            .fetch_all(
                Query::new(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                )
                .bind(table.as_str()),
            )
            .await?
            .iter()
            .map(|r| r.string("sql"))
            .collect::<Result<_>>()?;
        let existing: Vec<String> = tx
            .fetch_all(Query::new("SELECT name FROM pragma_table_info(?)").bind(table.as_str()))
            .await?
            .iter()
            .map(|r| r.string("name").map(|n| n.to_ascii_lowercase()))
            .collect::<Result<_>>()?;
        let ddl = schema::create_table_sql(store, *role).replacen(&q(d, &table), &q(d, &tmp), 1);
        tx.execute(Query::new(ddl)).await?;
        let new_cols: Vec<&'static str> = schema::columns(*role, store.names().deleted_bare)
            .into_iter()
            .map(|c| c.name)
            .filter(|c| existing.iter().any(|e| e == c))
            .collect();
        let select: Vec<String> = new_cols
            .iter()
            .map(|c| {
                if fen.contains(c) {
                    // fen / 100.0 is the double nearest the yuan amount, exactly what SQLite
                    // makes of the text Django binds; whole amounts become integers again.
                    format!("{0} / 100.0", q(d, c))
                } else {
                    q(d, c)
                }
            })
            .collect();
        let cols: Vec<String> = new_cols.iter().map(|c| q(d, c)).collect();
        tx.execute(Query::new(format!(
            "INSERT INTO {} ({}) SELECT {} FROM {}",
            q(d, &tmp),
            cols.join(", "),
            select.join(", "),
            q(d, &table)
        )))
        .await?;
        tx.execute(Query::new(format!("DROP TABLE {}", q(d, &table))))
            .await?;
        tx.execute(Query::new(format!(
            "ALTER TABLE {} RENAME TO {}",
            q(d, &tmp),
            q(d, &table)
        )))
        .await?;
        for sql in indexes {
            tx.execute(Query::new(sql)).await?;
        }
    }
    tx.commit().await?;
    Ok(Some(backup))
}
