//! Fresh platform databases for unit tests: a new SQLite file, or a new database on the test
//! MariaDB (`scripts/mariadb.sh`, `PAYDESK_TEST_MYSQL_URL`) dropped afterwards. The MariaDB one
//! fails rather than skips when the server is unreachable: the MySQL SQL is half of what a store
//! test proves.

use std::sync::Arc;

use crate::{Store, StoreConfig};

fn clock() -> Arc<dyn alipay::Clock> {
    Arc::new(alipay::SystemClock)
}

/// Runs `f` on a new SQLite platform database.
pub async fn on_sqlite(f: impl AsyncFnOnce(Store)) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("platform.sqlite");
    let cfg = StoreConfig::new(path.to_string_lossy().to_string());
    let store = crate::admin::init_new(&cfg, clock()).await.unwrap();
    f(store.clone()).await;
    store.close().await;
}

/// Runs `f` on a new database `<prefix>_<pid>_<nanos>` of the test MariaDB, then drops it.
pub async fn on_mariadb(prefix: &str, f: impl AsyncFnOnce(Store)) {
    let base = std::env::var("PAYDESK_TEST_MYSQL_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "mysql://paydesk:paydesk-test@127.0.0.1:33306/paydesk_test".into());
    let admin = Store::connect(
        &StoreConfig::new(base.clone()),
        clock(),
        crate::OpenMode::MustExist,
    )
    .await
    .unwrap_or_else(|e| {
        panic!("MariaDB at {base} is not reachable ({e}): run scripts/mariadb.sh start")
    });
    let name = format!(
        "{prefix}_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    admin
        .execute_raw(&format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
        .await
        .unwrap();
    let (head, _) = base.rsplit_once('/').unwrap();
    let store = crate::admin::init_new(&StoreConfig::new(format!("{head}/{name}")), clock())
        .await
        .unwrap();
    f(store.clone()).await;
    store.close().await;
    admin
        .execute_raw(&format!("DROP DATABASE `{name}`"))
        .await
        .unwrap();
    admin.close().await;
}
