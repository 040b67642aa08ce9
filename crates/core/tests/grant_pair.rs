//! Merging one duplicate (user, course) pair — what the desktop's Merge button does — and the
//! named duplicates list it is clicked from.

mod ops_support;

use ops_support::*;
use paydesk_core::grant_duplicates::named_duplicates;
use paydesk_core::ops::grant;
use paydesk_core::queries::{self, grants::NewGrant};

/// Two extra grants of `course` for `user` (the site's concurrent-settle duplicates).
async fn duplicate(env: &Env, user: i64, course: i64) -> Vec<i64> {
    let mut tx = env.store().begin_write().await.unwrap();
    let now = env.desk.now();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let g = NewGrant {
            user_id: user,
            course_id: course,
            name: Some("dup".into()),
            created_time: now,
        };
        ids.push(queries::grants::insert(&mut tx, &g).await.unwrap());
    }
    tx.commit().await.unwrap();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_pair_touches_only_the_clicked_pair() {
    let env = env(Backend::Sqlite).await;
    let s = seed(&env).await;
    let mine = duplicate(&env, s.user, s.courses[0]).await;
    let other = duplicate(&env, s.other_user, s.courses[1]).await;

    let named = named_duplicates(&env.desk, 100).await.unwrap();
    let row = named
        .iter()
        .find(|d| d.user_id == s.user && d.course_id == s.courses[0])
        .expect("the pair is listed");
    assert!(!row.username.is_empty(), "duplicates name the user");
    assert!(
        !row.course_name.starts_with("course "),
        "and the course: {row:?}"
    );
    assert_eq!(row.grant_ids, mine);

    let m = grant::merge_pair(&env.desk, s.user, s.courses[0], "merge from the desk")
        .await
        .unwrap()
        .expect("merged");
    assert_eq!((m.kept, m.removed.clone()), (mine[0], vec![mine[1]]));
    // The other pair is untouched; merging the same pair again changes nothing.
    let left = named_duplicates(&env.desk, 100).await.unwrap();
    assert!(left.iter().any(|d| d.grant_ids == other));
    assert!(
        !left
            .iter()
            .any(|d| d.user_id == s.user && d.course_id == s.courses[0])
    );
    assert!(
        grant::merge_pair(&env.desk, s.user, s.courses[0], "again")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        grant::merge_pair(&env.desk, s.user, s.courses[0], " ")
            .await
            .is_err()
    );
    env.finish().await;
}
