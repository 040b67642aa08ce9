//! The duplicate-grants list as the Grants screen shows it: each (user, course) with more than one
//! live grant, with the user's name and the course's name so the operator knows what a Merge
//! touches. Read-only; merging is `ops::grant::merge_pair`.

use std::collections::HashMap;

use serde::Serialize;

use crate::desk::Desk;
use crate::ops::{OpsResult, grant};
use crate::queries;

#[derive(Debug, Clone, Serialize)]
pub struct NamedDuplicate {
    pub user_id: i64,
    /// Empty when the user row is gone (no foreign keys on the platform).
    pub username: String,
    pub course_id: i64,
    /// The course's name, or `course N` when the course row is gone.
    pub course_name: String,
    pub grant_ids: Vec<i64>,
}

/// Up to `limit` duplicate pairs, named.
pub async fn named_duplicates(desk: &Desk, limit: i64) -> OpsResult<Vec<NamedDuplicate>> {
    let dups = grant::duplicates(desk, limit).await?;
    let mut course_ids: Vec<i64> = dups.iter().map(|d| d.course_id).collect();
    course_ids.sort_unstable();
    course_ids.dedup();
    let mut user_ids: Vec<i64> = dups.iter().map(|d| d.user_id).collect();
    user_ids.sort_unstable();
    user_ids.dedup();

    let mut tx = desk.store.begin_read().await?;
    let courses: HashMap<i64, String> = queries::courses::get_many(&mut tx, &course_ids)
        .await?
        .into_iter()
        .filter_map(|c| c.base.name.map(|n| (c.id, n)))
        .collect();
    let mut users = HashMap::new();
    for id in user_ids {
        if let Some(u) = queries::users::get(&mut tx, id).await? {
            users.insert(id, u.username);
        }
    }
    tx.rollback().await?;

    Ok(dups
        .into_iter()
        .map(|d| NamedDuplicate {
            username: users.get(&d.user_id).cloned().unwrap_or_default(),
            course_name: courses
                .get(&d.course_id)
                .cloned()
                .unwrap_or_else(|| format!("course {}", d.course_id)),
            user_id: d.user_id,
            course_id: d.course_id,
            grant_ids: d.grant_ids,
        })
        .collect())
}
