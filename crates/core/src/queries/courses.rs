//! `fg_course_info`.

use super::in_list;
use crate::db::{Query, Tx};
use crate::error::Result;
use crate::rows::{CourseRow, course_cols};

pub async fn get(tx: &mut Tx, id: i64) -> Result<Option<CourseRow>> {
    let n = tx.names().clone();
    let q = Query::new(format!(
        "SELECT {} FROM {} c WHERE c.id = ?",
        course_cols(&n, "c"),
        n.course
    ))
    .bind(id);
    tx.fetch_optional(q)
        .await?
        .map(|r| CourseRow::from_row(&r))
        .transpose()
}

pub async fn get_many(tx: &mut Tx, ids: &[i64]) -> Result<Vec<CourseRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let n = tx.names().clone();
    let mut q = Query::new(format!(
        "SELECT {} FROM {} c WHERE c.id IN {} ORDER BY c.id",
        course_cols(&n, "c"),
        n.course,
        in_list(ids.len())
    ));
    for id in ids {
        q.push_arg(*id);
    }
    tx.fetch_all(q)
        .await?
        .iter()
        .map(CourseRow::from_row)
        .collect()
}
