//! `ly_user_course`: which user may study which course. The platform has no unique (user, course),
//! and the racy site leaves duplicates.

use chrono::NaiveDateTime;
use serde::Serialize;

use super::{base_insert_cols, base_values, in_list};
use crate::db::{Query, Tx, Val};
use crate::error::{Result, StoreError};
use crate::rows::{GrantRow, grant_cols};

#[derive(Debug, Clone)]
pub struct NewGrant {
    pub user_id: i64,
    pub course_id: i64,
    /// BaseModel `name`: the site leaves it empty for grants; Paydesk puts the course name.
    pub name: Option<String>,
    pub created_time: NaiveDateTime,
}

pub fn insert_cols(tx: &Tx) -> Vec<String> {
    let mut c: Vec<String> = base_insert_cols(tx.names()).into();
    c.extend(
        [
            "user_id",
            "course_id",
            "chapter_id",
            "lesson_id",
            "study_time",
        ]
        .map(String::from),
    );
    c
}

pub fn insert_values(g: &NewGrant) -> Vec<Val> {
    let mut v: Vec<Val> = base_values(g.name.as_deref(), g.created_time).into();
    v.extend([
        Val::I64(g.user_id),
        Val::I64(g.course_id),
        Val::Null,
        Val::Null,
        Val::I64(0),
    ]);
    v
}

pub async fn insert(tx: &mut Tx, g: &NewGrant) -> Result<i64> {
    let cols = insert_cols(tx);
    let mut q = Query::new(format!(
        "INSERT INTO {} ({}) VALUES {}",
        tx.names().user_course,
        cols.join(", "),
        in_list(cols.len())
    ));
    q.args = insert_values(g);
    Ok(tx.execute(q).await?.last_insert_id)
}

pub async fn get(tx: &mut Tx, id: i64) -> Result<Option<GrantRow>> {
    let n = tx.names().clone();
    let q = Query::new(format!(
        "SELECT {} FROM {} g WHERE g.id = ?",
        grant_cols(&n, "g"),
        n.user_course
    ))
    .bind(id);
    tx.fetch_optional(q)
        .await?
        .map(|r| GrantRow::from_row(&r))
        .transpose()
}

/// Live (not deleted) grants of one user for one course — more than one is a duplicate.
pub async fn live_for(tx: &mut Tx, user_id: i64, course_id: i64) -> Result<Vec<GrantRow>> {
    let n = tx.names().clone();
    let q = Query::new(format!(
        "SELECT {} FROM {} g WHERE g.user_id = ? AND g.course_id = ? AND g.{} = 0 ORDER BY g.id",
        grant_cols(&n, "g"),
        n.user_course,
        n.deleted
    ))
    .bind(user_id)
    .bind(course_id);
    tx.fetch_all(q)
        .await?
        .iter()
        .map(GrantRow::from_row)
        .collect()
}

/// Removes a grant row. The caller writes the whole row to the audit log first, so it can be
/// restored.
pub async fn delete(tx: &mut Tx, id: i64) -> Result<u64> {
    let q = Query::new(format!(
        "DELETE FROM {} WHERE id = ?",
        tx.names().user_course
    ))
    .bind(id);
    Ok(tx.execute(q).await?.rows_affected)
}

#[derive(Debug, Clone, Default)]
pub struct GrantFilter {
    pub user_id: Option<i64>,
    pub course_id: Option<i64>,
    /// The grants of this order's user for this order's courses.
    pub order_id: Option<i64>,
    pub include_deleted: bool,
    /// Keyset: grants with id below this.
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// Grants by user / course / order, newest first.
pub async fn list(tx: &mut Tx, f: &GrantFilter) -> Result<Vec<GrantRow>> {
    if !(1..=1000).contains(&f.limit) {
        return Err(StoreError::InvalidInput(format!(
            "limit {} must be between 1 and 1000",
            f.limit
        )));
    }
    let n = tx.names().clone();
    let mut q = Query::new(format!(
        "SELECT {} FROM {} g WHERE 1 = 1",
        grant_cols(&n, "g"),
        n.user_course
    ));
    if let Some(u) = f.user_id {
        q.sql.push_str(" AND g.user_id = ?");
        q.push_arg(u);
    }
    if let Some(c) = f.course_id {
        q.sql.push_str(" AND g.course_id = ?");
        q.push_arg(c);
    }
    if let Some(o) = f.order_id {
        q.sql.push_str(&format!(
            " AND g.user_id = (SELECT o.user_id FROM {} o WHERE o.id = ?) \
             AND g.course_id IN (SELECT oc.course_id FROM {} oc WHERE oc.order_id = ?)",
            n.order, n.order_course
        ));
        q.push_arg(o);
        q.push_arg(o);
    }
    if !f.include_deleted {
        q.sql.push_str(&format!(" AND g.{} = 0", n.deleted));
    }
    if let Some(b) = f.before_id {
        q.sql.push_str(" AND g.id < ?");
        q.push_arg(b);
    }
    q.sql.push_str(" ORDER BY g.id DESC LIMIT ?");
    q.push_arg(f.limit);
    tx.fetch_all(q)
        .await?
        .iter()
        .map(GrantRow::from_row)
        .collect()
}

/// A (user, course) pair granted more than once (not deleted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuplicateGrant {
    pub user_id: i64,
    pub course_id: i64,
    pub count: i64,
    /// All live grant ids for the pair, oldest first (the first is the one a merge keeps).
    pub grant_ids: Vec<i64>,
}

pub async fn duplicates(tx: &mut Tx, limit: i64) -> Result<Vec<DuplicateGrant>> {
    let n = tx.names().clone();
    let q = Query::new(format!(
        "SELECT g.user_id, g.course_id, COUNT(*) AS cnt FROM {} g WHERE g.{} = 0 \
         GROUP BY g.user_id, g.course_id HAVING COUNT(*) > 1 ORDER BY g.user_id, g.course_id LIMIT ?",
        n.user_course, n.deleted
    ))
    .bind(limit);
    let pairs: Vec<(i64, i64, i64)> = tx
        .fetch_all(q)
        .await?
        .iter()
        .map(|r| Ok((r.i64("user_id")?, r.i64("course_id")?, r.i64("cnt")?)))
        .collect::<Result<_>>()?;
    let mut out = Vec::with_capacity(pairs.len());
    for (user_id, course_id, count) in pairs {
        let grant_ids = live_for(tx, user_id, course_id)
            .await?
            .into_iter()
            .map(|g| g.id)
            .collect();
        out.push(DuplicateGrant {
            user_id,
            course_id,
            count,
            grant_ids,
        });
    }
    Ok(out)
}
