//! What a tester can put in a test order: users, courses for sale, and unused coupon logs
//! (read-only; the desktop app's Pay view fills its pickers from this).
//!
//! Only what `ops::test_order` would accept: active users, priced live courses, and coupon logs
//! that are unused, unbound and inside their coupon's validity window now.

use serde::Serialize;

use crate::db::{Query, Store};
use crate::error::Result;
use crate::ident::q;
use crate::rows::{CouponRow, CourseRow, UserRow, coupon_cols, course_cols, user_cols};

#[derive(Debug, Clone, Serialize)]
pub struct CouponChoice {
    pub coupon_log_id: i64,
    pub user_id: i64,
    pub coupon: CouponRow,
}

#[derive(Debug, Clone, Serialize)]
pub struct TestOrderChoices {
    pub users: Vec<UserRow>,
    pub courses: Vec<CourseRow>,
    pub coupons: Vec<CouponChoice>,
}

/// Up to `limit` (1–1000) of each, lowest ids first.
pub async fn test_order_choices(store: &Store, limit: i64) -> Result<TestOrderChoices> {
    if !(1..=1000).contains(&limit) {
        return Err(crate::error::StoreError::InvalidInput(format!(
            "limit {limit} must be between 1 and 1000"
        )));
    }
    let now = store.now();
    let mut tx = store.begin_read().await?;
    let n = tx.names().clone();
    let users = tx
        .fetch_all(
            Query::new(format!(
                "SELECT {} FROM {} u WHERE u.is_active = 1 ORDER BY u.id LIMIT ?",
                user_cols(&n, "u"),
                n.users
            ))
            .bind(limit),
        )
        .await?
        .iter()
        .map(UserRow::from_row)
        .collect::<Result<Vec<_>>>()?;
    let courses = tx
        .fetch_all(
            Query::new(format!(
                "SELECT {} FROM {} c WHERE c.{} = 0 AND c.price IS NOT NULL ORDER BY c.id LIMIT ?",
                course_cols(&n, "c"),
                n.course,
                n.deleted
            ))
            .bind(limit),
        )
        .await?
        .iter()
        .map(CourseRow::from_row)
        .collect::<Result<Vec<_>>>()?;
    let cond = q(tx.dialect(), "condition");
    let rows = tx
        .fetch_all(
            Query::new(format!(
                "SELECT l.id AS log_id, l.user_id AS log_user_id, {} FROM {} l JOIN {} c ON c.id = l.coupon_id \
                 WHERE l.{d} = 0 AND c.{d} = 0 AND (l.use_status IS NULL OR l.use_status = 0) AND l.order_id IS NULL \
                 AND c.start_time <= ? AND c.end_time > ? \
                 ORDER BY l.id LIMIT ?",
                coupon_cols(&n, "c", &cond),
                n.coupon_log,
                n.coupon,
                d = n.deleted
            ))
            .bind(now)
            .bind(now)
            .bind(limit),
        )
        .await?;
    let coupons = rows
        .iter()
        .map(|r| {
            Ok(CouponChoice {
                coupon_log_id: r.i64("log_id")?,
                user_id: r.i64("log_user_id")?,
                coupon: CouponRow::from_row(r)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    tx.rollback().await?;
    Ok(TestOrderChoices {
        users,
        courses,
        coupons,
    })
}
