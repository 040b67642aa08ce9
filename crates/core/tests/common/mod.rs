//! Test backends: a fresh SQLite file per test, and a fresh, uniquely named MariaDB/MySQL database
//! per test (zero2prod style) when a server URL is available.

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use alipay::{Clock, FixedClock};
use paydesk_core::StoreConfig;
use sqlx::Connection;

pub const DEFAULT_MARIADB_URL: &str = "mysql://paydesk:paydesk-test@127.0.0.1:33306/paydesk_test";

pub fn clock() -> Arc<dyn Clock> {
    Arc::new(FixedClock::at_beijing("2026-06-01 12:00:00").unwrap())
}

pub struct Backend {
    pub name: &'static str,
    pub config: StoreConfig,
    _dir: Option<tempfile::TempDir>,
    mysql_admin: Option<(String, String)>,
}

impl Backend {
    pub fn sqlite() -> Backend {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("paydesk.sqlite");
        Backend {
            name: "sqlite",
            config: StoreConfig::new(path.display().to_string()),
            _dir: Some(dir),
            mysql_admin: None,
        }
    }

    /// `None` (after saying so loudly) when no server is reachable.
    pub async fn mysql() -> Option<Backend> {
        let url = std::env::var("PAYDESK_TEST_MYSQL_URL")
            .unwrap_or_else(|_| DEFAULT_MARIADB_URL.to_string());
        let mut conn = match sqlx::MySqlConnection::connect(&url).await {
            Ok(c) => c,
            Err(e) => {
                // `make test` starts a server and sets this: there, a missing server is a failure.
                if std::env::var_os("PAYDESK_REQUIRE_MYSQL").is_some() {
                    panic!(
                        "MariaDB at {url} is not reachable ({e}) and PAYDESK_REQUIRE_MYSQL is set"
                    );
                }
                eprintln!(
                    "\n*** SKIPPED MariaDB/MySQL test: no server at {url} ({e}).\n*** Run scripts/mariadb.sh start or set PAYDESK_TEST_MYSQL_URL.\n"
                );
                return None;
            }
        };
        static N: AtomicU64 = AtomicU64::new(0);
        let db = format!(
            "pdtest_{}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE `{db}` CHARACTER SET utf8mb4"
        )))
        .execute(&mut conn)
        .await
        .unwrap();
        let base = url.rsplit_once('/').unwrap().0.to_string();
        let db_url = format!("{base}/{db}");
        Some(Backend {
            name: "mysql",
            config: StoreConfig::new(db_url),
            _dir: None,
            mysql_admin: Some((url, db)),
        })
    }

    pub async fn cleanup(self) {
        if let Some((url, db)) = &self.mysql_admin
            && let Ok(mut c) = sqlx::MySqlConnection::connect(url).await
        {
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS `{db}`"
            )))
            .execute(&mut c)
            .await;
        }
    }
}

/// One test body run on both backends.
#[macro_export]
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let b = $crate::common::Backend::sqlite();
                super::$name(&b).await;
                b.cleanup().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql() {
                let Some(b) = $crate::common::Backend::mysql().await else {
                    return;
                };
                super::$name(&b).await;
                b.cleanup().await;
            }
        }
    };
}
