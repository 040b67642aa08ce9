//! What a tester can put in a test order: users, courses for sale, and unused coupon logs
//! (read-only; the desktop app's Pay view fills its pickers from this).
//!
//! Added by the desktop-app helper (H10) for `test_order_options`; the owner of crates/core may
//! move it into `ops::test_order`.

use serde::Serialize;

use crate::db::{Query, Store};
use crate::error::Result;
use crate::ident::q;
use crate::rows::{CourseRow, CouponRow, UserRow, coupon_cols, course_cols, user_cols};

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

/// Up to `limit` of each, lowest ids first: active users, priced courses not deleted, coupon logs
/// neither used nor bound to an order.
pub async fn test_order_choices(store: &Store, limit: i64) -> Result<TestOrderChoices> {
    let mut tx = store.begin_read().await?;
    let n = tx.names().clone();
    let users = tx
        .fetch_all(Query::new(format!("SELECT {} FROM {} u WHERE u.is_active = 1 ORDER BY u.id LIMIT ?", user_cols("u"), n.users)).bind(limit))
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
                 ORDER BY l.id LIMIT ?",
                coupon_cols(&n, "c", &cond),
                n.coupon_log,
                n.coupon,
                d = n.deleted
            ))
            .bind(limit),
        )
        .await?;
    let coupons = rows
        .iter()
        .map(|r| Ok(CouponChoice { coupon_log_id: r.i64("log_id")?, user_id: r.i64("log_user_id")?, coupon: CouponRow::from_row(r)? }))
        .collect::<Result<Vec<_>>>()?;
    tx.rollback().await?;
    Ok(TestOrderChoices { users, courses, coupons })
}
