//! Grants (`ly_user_course`): list, grant by hand, revoke, restore a revoked one, and merge the
//! duplicates the racy site left. Grant and revoke need a reason; a revoked row goes whole into
//! the audit log (`before`), which is what [`restore`] puts back.

use serde::Serialize;

use super::{OpsError, OpsResult, Outcome, json};
use crate::db::{Query, Tx, Val};
use crate::desk::Desk;
use crate::queries::grants::{DuplicateGrant, GrantFilter, NewGrant};
use crate::queries::{self, in_list};
use crate::rows::GrantRow;

pub async fn list(desk: &Desk, f: &GrantFilter) -> OpsResult<Vec<GrantRow>> {
    require_grants(desk)?;
    let mut tx = desk.store.begin_read().await?;
    let rows = queries::grants::list(&mut tx, f).await?;
    tx.rollback().await?;
    Ok(rows)
}

#[derive(Debug, Clone, Serialize)]
pub struct GrantReport {
    pub outcome: Outcome,
    pub grant: Option<GrantRow>,
    /// The audit row that holds the change (revoke: the whole row, for restore).
    pub audit_id: Option<i64>,
    pub message: String,
}

fn need_reason(reason: &str, what: &str) -> OpsResult<String> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(OpsError::InvalidInput(format!(
            "a reason is required to {what}"
        )));
    }
    Ok(r.to_string())
}

/// Grants a course to a user by hand; a no-op when the user already has it.
pub async fn grant(
    desk: &Desk,
    user_id: i64,
    course_id: i64,
    reason: &str,
) -> OpsResult<GrantReport> {
    require_grants(desk)?;
    let reason = need_reason(reason, "grant a course")?;
    let mut tx = desk.store.begin_write().await?;
    let checked = async {
        queries::users::get(&mut tx, user_id)
            .await?
            .ok_or_else(|| OpsError::NotFound {
                what: format!("user with id {user_id}"),
            })?;
        let course = queries::courses::get(&mut tx, course_id)
            .await?
            .ok_or_else(|| OpsError::NotFound {
                what: format!("course {course_id}"),
            })?;
        Ok::<_, OpsError>(course)
    }
    .await;
    let course = match checked {
        Ok(c) => c,
        Err(e) => {
            tx.rollback().await?;
            let mut a = desk.audit("grant", "refused");
            a.user_id = Some(user_id);
            a.reason = Some(reason);
            a.detail = Some(format!("course {course_id}: {e}"));
            desk.audit_alone(&a).await;
            return Err(e);
        }
    };
    let live = queries::grants::live_for(&mut tx, user_id, course_id).await?;
    let mut a = desk.audit("grant", "ok");
    a.user_id = Some(user_id);
    a.reason = Some(reason);
    if let Some(g) = live.into_iter().next() {
        a.outcome = "noop".into();
        let message = format!(
            "user {user_id} already has course {course_id} (grant {})",
            g.id
        );
        a.detail = Some(message.clone());
        let audit_id = desk.audit_in(&mut tx, &a).await?;
        tx.commit().await?;
        return Ok(GrantReport {
            outcome: Outcome::Noop,
            grant: Some(g),
            audit_id: Some(audit_id),
            message,
        });
    }
    let now = tx.now();
    let id = queries::grants::insert(
        &mut tx,
        &NewGrant {
            user_id,
            course_id,
            name: course.base.name.clone(),
            created_time: now,
        },
    )
    .await?;
    let g = queries::grants::get(&mut tx, id)
        .await?
        .ok_or_else(|| OpsError::NotFound {
            what: format!("grant {id} just made"),
        })?;
    a.after = Some(json(&g));
    a.detail = Some(format!("grant {id}"));
    let audit_id = desk.audit_in(&mut tx, &a).await?;
    tx.commit().await?;
    Ok(GrantReport {
        outcome: Outcome::Done,
        message: format!("granted course {course_id} to user {user_id} (grant {id})"),
        grant: Some(g),
        audit_id: Some(audit_id),
    })
}

/// Revokes one grant. The whole row is kept in the audit row's `before`.
pub async fn revoke(desk: &Desk, grant_id: i64, reason: &str) -> OpsResult<GrantReport> {
    require_grants(desk)?;
    let reason = need_reason(reason, "revoke a grant")?;
    let detail = format!("grant {grant_id}");
    let mut tx = desk.store.begin_write().await?;
    let Some(g) = queries::grants::get(&mut tx, grant_id).await? else {
        let earlier = queries::ops::audit_by_detail(&mut tx, "revoke", "ok", &detail).await?;
        tx.rollback().await?;
        if let Some(prev) = earlier.first() {
            let message = format!(
                "grant {grant_id} was already revoked by {} at {} (audit row {}): nothing to do",
                prev.operator,
                prev.at.format("%Y-%m-%d %H:%M:%S"),
                prev.id
            );
            let mut a = desk.audit("revoke", "noop");
            a.user_id = prev.user_id;
            a.reason = Some(reason);
            a.detail = Some(detail);
            desk.audit_alone(&a).await;
            return Ok(GrantReport {
                outcome: Outcome::Noop,
                grant: None,
                audit_id: Some(prev.id),
                message,
            });
        }
        let e = OpsError::NotFound {
            what: format!("grant {grant_id}"),
        };
        let mut a = desk.audit("revoke", "refused");
        a.reason = Some(reason);
        a.detail = Some(format!("{detail}: {e}"));
        desk.audit_alone(&a).await;
        return Err(e);
    };
    if queries::grants::delete(&mut tx, g.id).await? != 1 {
        tx.rollback().await?;
        return Err(OpsError::Refused(format!(
            "grant {grant_id} changed meanwhile: run revoke again"
        )));
    }
    let mut a = desk.audit("revoke", "ok");
    a.user_id = Some(g.user_id);
    a.reason = Some(reason);
    a.before = Some(json(&g));
    a.detail = Some(detail);
    let audit_id = desk.audit_in(&mut tx, &a).await?;
    tx.commit().await?;
    Ok(GrantReport {
        outcome: Outcome::Done,
        message: format!(
            "revoked grant {grant_id} (user {}, course {}); restore it with audit row {audit_id}",
            g.user_id, g.course_id
        ),
        grant: Some(g),
        audit_id: Some(audit_id),
    })
}

/// Puts back a grant removed by a `revoke` audit row, with its original id
/// and columns. A no-op when that row (or another grant of the pair) is there again.
pub async fn restore(desk: &Desk, audit_id: i64, reason: &str) -> OpsResult<GrantReport> {
    require_grants(desk)?;
    let reason = need_reason(reason, "restore a grant")?;
    let mut tx = desk.store.begin_write().await?;
    let q = Query::new(format!(
        "SELECT {} FROM paydesk_audit_log WHERE id = ?",
        crate::rows::AUDIT_COLS
    ))
    .bind(audit_id);
    let row = match tx.fetch_optional(q).await? {
        Some(r) => crate::rows::AuditRow::from_row(&r)?,
        None => {
            tx.rollback().await?;
            return Err(OpsError::NotFound {
                what: format!("audit row {audit_id}"),
            });
        }
    };
    if row.action != "revoke" || row.outcome != "ok" {
        tx.rollback().await?;
        return Err(OpsError::InvalidInput(format!(
            "audit row {audit_id} is a {} ({}), not a revoke",
            row.action, row.outcome
        )));
    }
    let before = row
        .before
        .ok_or_else(|| OpsError::InvalidInput(format!("audit row {audit_id} holds no grant")))?;
    let g = grant_from_json(&before).ok_or_else(|| {
        OpsError::InvalidInput(format!(
            "audit row {audit_id} does not hold a whole grant row"
        ))
    })?;
    if queries::grants::get(&mut tx, g.id).await?.is_some() {
        tx.rollback().await?;
        return Ok(GrantReport {
            outcome: Outcome::Noop,
            grant: None,
            audit_id: None,
            message: format!("grant {} exists again: nothing to do", g.id),
        });
    }
    if let Some(other) = queries::grants::live_for(&mut tx, g.user_id, g.course_id)
        .await?
        .into_iter()
        .next()
    {
        tx.rollback().await?;
        return Ok(GrantReport {
            outcome: Outcome::Noop,
            message: format!(
                "user {} has course {} again (grant {}): nothing to restore",
                g.user_id, g.course_id, other.id
            ),
            grant: Some(other),
            audit_id: None,
        });
    }
    insert_whole(&mut tx, &g).await?;
    let mut a = desk.audit("restore_grant", "ok");
    a.user_id = Some(g.user_id);
    a.reason = Some(reason);
    a.after = Some(json(&g));
    a.detail = Some(format!("grant {} from audit row {audit_id}", g.id));
    let new_audit = desk.audit_in(&mut tx, &a).await?;
    tx.commit().await?;
    Ok(GrantReport {
        outcome: Outcome::Done,
        message: format!(
            "restored grant {} (user {}, course {})",
            g.id, g.user_id, g.course_id
        ),
        grant: Some(g),
        audit_id: Some(new_audit),
    })
}

fn grant_from_json(v: &serde_json::Value) -> Option<GrantRow> {
    let i = |k: &str| v.get(k).and_then(serde_json::Value::as_i64);
    let t = |k: &str| {
        v.get(k)
            .and_then(|x| x.as_str())
            .and_then(|s| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok())
    };
    Some(GrantRow {
        id: i("id")?,
        base: crate::rows::Base {
            name: v.get("name").and_then(|x| x.as_str()).map(str::to_string),
            is_deleted: v
                .get("is_deleted")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false),
            orders: i("orders").unwrap_or(0),
            is_show: v
                .get("is_show")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(true),
            created_time: t("created_time")?,
            updated_time: t("updated_time")?,
        },
        user_id: i("user_id")?,
        course_id: i("course_id")?,
        chapter_id: i("chapter_id"),
        lesson_id: i("lesson_id"),
        study_time: i("study_time").unwrap_or(0),
    })
}

async fn insert_whole(tx: &mut Tx, g: &GrantRow) -> OpsResult<()> {
    let mut cols = vec!["id".to_string()];
    cols.extend(queries::grants::insert_cols(tx));
    let now = tx.now();
    let args = vec![
        Val::I64(g.id),
        // A NULL name (a row from a copy whose BaseModel allowed it) comes back as Django's default.
        Val::Str(g.base.name.clone().unwrap_or_default()),
        Val::from(g.base.is_deleted),
        Val::I64(g.base.orders),
        Val::from(g.base.is_show),
        Val::Time(g.base.created_time),
        Val::Time(now),
        Val::I64(g.user_id),
        Val::I64(g.course_id),
        Val::from(g.chapter_id),
        Val::from(g.lesson_id),
        Val::I64(g.study_time),
    ];
    let mut q = Query::new(format!(
        "INSERT INTO {} ({}) VALUES {}",
        tx.names().user_course,
        cols.join(", "),
        in_list(cols.len())
    ));
    q.args = args;
    tx.execute(q).await?;
    Ok(())
}

pub async fn duplicates(desk: &Desk, limit: i64) -> OpsResult<Vec<DuplicateGrant>> {
    require_grants(desk)?;
    if !(1..=100_000).contains(&limit) {
        return Err(OpsError::InvalidInput(format!(
            "limit {limit} must be between 1 and 100000"
        )));
    }
    let mut tx = desk.store.begin_read().await?;
    let rows = queries::grants::duplicates(&mut tx, limit).await?;
    tx.rollback().await?;
    Ok(rows)
}

#[derive(Debug, Clone, Serialize)]
pub struct Merged {
    pub user_id: i64,
    pub course_id: i64,
    pub kept: i64,
    pub removed: Vec<i64>,
    pub audit_id: i64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct MergeReport {
    pub pairs: usize,
    pub grants_removed: usize,
    pub merged: Vec<Merged>,
}

/// Merges every duplicate (user, course): keeps the oldest grant, carries over the furthest study
/// progress, removes the rest (each whole in the audit row). One transaction per pair.
pub async fn merge_duplicates(
    desk: &Desk,
    reason: &str,
    progress: impl Fn(usize, usize),
) -> OpsResult<MergeReport> {
    require_grants(desk)?;
    let reason = need_reason(reason, "merge duplicate grants")?;
    let dups = duplicates(desk, 100_000).await?;
    let total = dups.len();
    let mut report = MergeReport::default();
    progress(0, total);
    for (i, d) in dups.iter().enumerate() {
        if let Some(m) = merge_in_one_pair(desk, &reason, d.user_id, d.course_id).await? {
            report.pairs += 1;
            report.grants_removed += m.removed.len();
            report.merged.push(m);
        }
        progress(i + 1, total);
    }
    Ok(report)
}

/// Merges the duplicate grants of one (user, course) — the row an operator clicked — as
/// [`merge_duplicates`] does for each pair. `None` when the pair has no duplicates (any more).
pub async fn merge_pair(
    desk: &Desk,
    user_id: i64,
    course_id: i64,
    reason: &str,
) -> OpsResult<Option<Merged>> {
    require_grants(desk)?;
    let reason = need_reason(reason, "merge duplicate grants")?;
    merge_in_one_pair(desk, &reason, user_id, course_id).await
}

/// One transaction: keeps the oldest grant, carries over the furthest study progress, removes
/// the rest (each whole in the audit row).
async fn merge_in_one_pair(
    desk: &Desk,
    reason: &str,
    user_id: i64,
    course_id: i64,
) -> OpsResult<Option<Merged>> {
    let mut tx = desk.store.begin_write().await?;
    let mut live = queries::grants::live_for(&mut tx, user_id, course_id).await?;
    if live.len() < 2 {
        tx.rollback().await?;
        return Ok(None);
    }
    live.sort_by_key(|g| (g.base.created_time, g.id));
    let keep = live[0].clone();
    let furthest = live
        .iter()
        .max_by_key(|g| (g.study_time, std::cmp::Reverse(g.id)))
        .cloned()
        .unwrap_or_else(|| keep.clone());
    let mut removed = Vec::new();
    for g in &live[1..] {
        if queries::grants::delete(&mut tx, g.id).await? == 1 {
            removed.push(g.id);
        }
    }
    if furthest.id != keep.id && furthest.study_time > keep.study_time {
        queries::ops::set_grant_progress(
            &mut tx,
            keep.id,
            furthest.study_time,
            furthest.chapter_id,
            furthest.lesson_id,
        )
        .await?;
    }
    let kept_after = queries::grants::get(&mut tx, keep.id).await?;
    let mut a = desk.audit("merge_grants", "ok");
    a.user_id = Some(user_id);
    a.reason = Some(reason.to_string());
    a.before = Some(json(&live));
    a.after = Some(json(&kept_after));
    a.detail = Some(format!(
        "user {user_id} course {course_id}: kept grant {}, removed {removed:?}",
        keep.id
    ));
    let audit_id = desk.audit_in(&mut tx, &a).await?;
    tx.commit().await?;
    Ok(Some(Merged {
        user_id,
        course_id,
        kept: keep.id,
        removed,
        audit_id,
    }))
}

/// Grants need the site's user-course table; some copies of the site have none.
fn require_grants(desk: &Desk) -> OpsResult<()> {
    if desk.store.features().grants {
        return Ok(());
    }
    Err(OpsError::Refused(format!(
        "course grants are off on this database: it has no {} table (if the site keeps grants \
         under another name, set [database.tables] user_course in the profile)",
        desk.store.config().tables.user_course
    )))
}
