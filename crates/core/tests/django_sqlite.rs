//! SQLite the way Django keeps it: decimal columns hold yuan (integers and reals), a check or a
//! read leaves the file byte for byte as it was, an earlier Paydesk's integer-fen file is
//! converted once with a backup, and a `USE_TZ=True` site's UTC times come out as Beijing time.

mod common;

use std::str::FromStr;

use paydesk_core::admin::{self, Access};
use paydesk_core::db::{OpenMode, Query, Store, Val};
use paydesk_core::schema::{self, Problem, Role};
use paydesk_core::{StoreConfig, queries};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use common::clock;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn sha(path: &std::path::Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

/// A new database (Django's declared types) with one user, one course and an order of 399.50,
/// written the way Django writes: the decimal's text into a `decimal` column.
async fn platform(dir: &std::path::Path) -> (StoreConfig, i64) {
    let cfg = StoreConfig::new(dir.join("site.sqlite").display().to_string());
    let store = admin::init_new(&cfg, clock()).await.unwrap();
    let mut tx = store.begin_write().await.unwrap();
    let n = store.names().clone();
    for sql in [
        format!(
            "INSERT INTO {} (id, password, is_superuser, username, first_name, last_name, email, is_staff, \
             is_active, date_joined, name, mobile, money, credit, study_time) VALUES \
             (1, 'x', 0, 'u1', '', '', 'u1@example.invalid', 0, 1, '2026-12-01 10:00:00', '', '13800000001', '0.00', 50, 0)",
            n.users
        ),
        format!(
            "INSERT INTO {} (id, name, {}, orders, is_show, created_time, updated_time, total_price, real_price, \
             order_number, order_status, pay_type, order_desc, pay_time, user_id, credit) VALUES \
             (1, '购买课程', 0, 1, 1, '2026-12-01 10:00:00', '2026-12-01 10:00:00', '2398.00', '399.50', \
             '202612010000000100000001', 0, 0, NULL, NULL, 1, 0)",
            n.order, n.deleted
        ),
    ] {
        tx.execute(Query::new(sql)).await.unwrap();
    }
    tx.commit().await.unwrap();
    store.close().await;
    (cfg, 1)
}

#[tokio::test]
async fn decimal_columns_hold_yuan_and_read_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, id) = platform(dir.path()).await;
    let store = admin::open_platform(&cfg, clock(), Access::Write)
        .await
        .unwrap();
    let mut tx = store.begin_read().await.unwrap();
    // Stored as Django stores them: 2398.00 as the integer 2398, 399.50 as the real 399.5.
    let r = tx
        .fetch_one(
            Query::new(format!(
                "SELECT typeof(total_price) AS a, typeof(real_price) AS b FROM {} WHERE id = ?",
                store.names().order
            ))
            .bind(id),
            "order",
        )
        .await
        .unwrap();
    assert_eq!(
        (r.string("a").unwrap(), r.string("b").unwrap()),
        ("integer".into(), "real".into())
    );
    let o = queries::orders::get(&mut tx, id).await.unwrap().unwrap();
    assert_eq!(o.total_price.to_string(), "2398.00");
    assert_eq!(o.real_price.to_string(), "399.50");
    drop(tx);
    // Paydesk's own writes land the same way, and sums stay exact over reals.
    let mut tx = store.begin_write().await.unwrap();
    let mut q = Query::new(format!(
        "UPDATE {} SET real_price = ? WHERE id = ?",
        store.names().order
    ));
    q.args = vec![Val::Yuan(d("0.10")), Val::I64(id)];
    tx.execute(q).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin_read().await.unwrap();
    let r = tx
        .fetch_one(
            Query::new(format!(
                "SELECT {} AS s, CAST(real_price AS TEXT) AS t FROM {}",
                paydesk_core::db::yuan_sum(store.dialect(), "real_price + 0.2"),
                store.names().order
            )),
            "sum",
        )
        .await
        .unwrap();
    assert_eq!(r.money("s").unwrap(), d("0.30"));
    assert_eq!(r.string("t").unwrap(), "0.1");
}

#[tokio::test]
async fn a_check_and_a_read_leave_the_file_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, id) = platform(dir.path()).await;
    // A Django file: rollback journal, no Paydesk tables yet.
    let path = std::path::PathBuf::from(&cfg.database);
    {
        let store = Store::connect(&cfg, clock(), OpenMode::MustExist)
            .await
            .unwrap();
        store
            .execute_raw("PRAGMA journal_mode = DELETE")
            .await
            .unwrap();
        for t in ["paydesk_audit_log", "paydesk_refunds"] {
            store
                .execute_raw(&format!("DROP TABLE IF EXISTS {t}"))
                .await
                .unwrap();
        }
        store
            .execute_raw("DELETE FROM paydesk_migrations")
            .await
            .unwrap();
        store.close().await;
    }
    let before = sha(&path);
    let store = Store::connect(&cfg, clock(), OpenMode::MustExist)
        .await
        .unwrap();
    let report = admin::check(&store).await.unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    store.close().await;
    let store = admin::open_platform(&cfg, clock(), Access::Read)
        .await
        .unwrap();
    let page = paydesk_core::browse::orders(&store, &Default::default())
        .await
        .unwrap();
    assert_eq!(page.orders[0].order.id, id);
    let detail = paydesk_core::browse::order_detail(&store, id)
        .await
        .unwrap();
    assert_eq!(detail.order.real_price.to_string(), "399.50");
    store.close().await;
    assert_eq!(
        sha(&path),
        before,
        "a check and a read must not change the file"
    );
    assert!(!dir.path().join("site.sqlite-wal").exists());
}

#[tokio::test]
async fn an_earlier_paydesks_fen_file_is_converted_once_with_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = StoreConfig::new(dir.path().join("old.sqlite").display().to_string());
    let store = Store::connect(&cfg, clock(), OpenMode::CreateIfMissing)
        .await
        .unwrap();
    // The old layout: every platform money column declared integer and holding fen.
    for role in Role::ALL {
        let ddl = schema::create_table_sql(&store, role).replace(" decimal ", " integer ");
        store.execute_raw(&ddl).await.unwrap();
    }
    let n = store.names().clone();
    store
        .execute_raw(&format!(
            "INSERT INTO {} (id, name, {}, orders, is_show, created_time, updated_time, total_price, real_price, \
             order_number, order_status, pay_type, order_desc, pay_time, user_id, credit) VALUES \
             (7, '购买课程', 0, 1, 1, '2026-12-01 10:00:00', '2026-12-01 10:00:00', 239800, 39950, \
             '202612010000000100000007', 1, 0, NULL, '2026-12-01 10:01:00', 1, 0)",
            n.order, n.deleted
        ))
        .await
        .unwrap();
    store.close().await;
    // A read is refused with the way out; nothing changes.
    let path = std::path::PathBuf::from(&cfg.database);
    let before = sha(&path);
    let err = admin::open_platform(&cfg, clock(), Access::Read)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("paydesk db migrate"), "{err}");
    assert_eq!(sha(&path), before);
    // Opening to write converts, after a backup that still holds the old values.
    let store = admin::open_platform(&cfg, clock(), Access::Write)
        .await
        .unwrap();
    let mut tx = store.begin_read().await.unwrap();
    let o = queries::orders::get(&mut tx, 7).await.unwrap().unwrap();
    assert_eq!(
        (o.total_price.to_string(), o.real_price.to_string()),
        ("2398.00".into(), "399.50".into())
    );
    drop(tx);
    let check = schema::check_platform_schema(&store).await.unwrap();
    assert!(
        !check
            .problems
            .iter()
            .any(|p| matches!(p, Problem::FenMoney { .. })),
        "{:?}",
        check.problems
    );
    store.close().await;
    let backups: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".before-yuan-"))
        .collect();
    assert_eq!(backups.len(), 1);
    let old = StoreConfig::new(backups[0].path().display().to_string());
    let bak = Store::connect(&old, clock(), OpenMode::MustExist)
        .await
        .unwrap();
    let mut tx = bak.begin_read().await.unwrap();
    let r = tx
        .fetch_one(
            Query::new(format!(
                "SELECT real_price AS p FROM {} WHERE id = 7",
                n.order
            )),
            "old order",
        )
        .await
        .unwrap();
    assert_eq!(r.i64("p").unwrap(), 39950);
    drop(tx);
    bak.close().await;
    // Once: a second open converts nothing and makes no second backup.
    let store = admin::open_platform(&cfg, clock(), Access::Write)
        .await
        .unwrap();
    store.close().await;
    let n_backups = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().contains(".before-yuan-"))
        })
        .count();
    assert_eq!(n_backups, 1);
}

#[tokio::test]
async fn a_use_tz_site_stores_utc_and_paydesk_works_in_beijing_time() {
    let dir = tempfile::tempdir().unwrap();
    let (mut cfg, id) = platform(dir.path()).await;
    cfg.use_tz = Some(true);
    let store = admin::open_platform(&cfg, clock(), Access::Write)
        .await
        .unwrap();
    let mut tx = store.begin_read().await.unwrap();
    let o = queries::orders::get(&mut tx, id).await.unwrap().unwrap();
    // Stored 10:00 UTC is 18:00 in Beijing.
    assert_eq!(o.base.created_time.to_string(), "2026-12-01 18:00:00");
    drop(tx);
    let mut tx = store.begin_write().await.unwrap();
    let beijing =
        chrono::NaiveDateTime::parse_from_str("2026-12-02 08:30:00", "%Y-%m-%d %H:%M:%S").unwrap();
    let mut q = Query::new(format!(
        "UPDATE {} SET pay_time = ? WHERE id = ?",
        store.names().order
    ));
    q.args = vec![Val::Time(beijing), Val::I64(id)];
    tx.execute(q).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin_read().await.unwrap();
    let raw = tx
        .fetch_one(
            Query::new(format!(
                "SELECT CAST(pay_time AS TEXT) AS t FROM {} WHERE id = ?",
                store.names().order
            ))
            .bind(id),
            "order",
        )
        .await
        .unwrap();
    assert_eq!(raw.string("t").unwrap(), "2026-12-02 00:30:00.000000");
    let o = queries::orders::get(&mut tx, id).await.unwrap().unwrap();
    assert_eq!(o.pay_time, Some(beijing));
}
