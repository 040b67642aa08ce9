//! The site's coupon Redis: a coupon Paydesk gives back is written back there as the site's own
//! code writes it, a late settle that takes it again removes it, and Redis being absent or down
//! never blocks or half-applies the database change — the result says what the site will miss.

mod ops_support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ops_support::*;
use paydesk_core::ops::close::close;
use paydesk_core::ops::settle::{SettleInput, settle};
use redis::AsyncCommands;

/// A private redis-server on loopback, stopped when dropped. `None` when none is installed and
/// the run does not require one (`make test` does: it installs redis-server).
struct RedisServer {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn redis_server() -> Option<RedisServer> {
    let bin = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let Some(bin) = bin else {
        if std::env::var_os("PAYDESK_REQUIRE_MYSQL").is_some() {
            panic!(
                "redis-server is not installed (make test installs it: apt-get install redis-server)"
            );
        }
        eprintln!("SKIPPED: redis-server is not installed");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let child = Command::new(bin)
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = RedisServer {
        child,
        port,
        _dir: dir,
    };
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/5")).unwrap();
    let t0 = Instant::now();
    while client.get_multiplexed_async_connection().await.is_err() {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "redis-server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Some(server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_given_back_coupon_goes_to_the_sites_redis_and_a_late_settle_takes_it_out() {
    let Some(server) = redis_server().await else {
        return;
    };
    let url = format!("redis://127.0.0.1:{}/5", server.port);
    let env = env_with(
        Backend::Sqlite,
        Opts {
            redis: Some(url.clone()),
            ..Opts::default()
        },
    )
    .await;
    let s = seed(&env).await;
    let mut con = redis::Client::open(url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();

    // Closed by hand: the coupon goes back to the user, in the database and in the site's Redis.
    let log = issue_coupon(&env, s.user, s.minus_coupon).await;
    let (id, number) = site_order(
        &env,
        s.user,
        s.courses[0],
        "1579.00",
        0,
        Some(log),
        "1549.00",
    )
    .await;
    let r = close(&env.desk, &order_ref(&number), "wrong course")
        .await
        .unwrap();
    let key = format!("{}:{log}", s.user);
    assert_eq!(r.coupon_redis.keys, vec![key.clone()], "{r:?}");
    assert!(r.coupon_redis.note.is_none(), "{r:?}");
    let hash: std::collections::HashMap<String, String> = con.hgetall(&key).await.unwrap();
    assert_eq!(hash.len(), 15, "{hash:?}");
    assert_eq!(hash["coupon_id"], s.minus_coupon.to_string());
    assert_eq!(hash["get_discount_display"], "减免");
    assert_eq!(hash["to_course"], "[]");
    let ttl: i64 = con.ttl(&key).await.unwrap();
    assert!(ttl > 0, "the hash expires at the coupon's end: {ttl}");
    assert_eq!(
        env.snapshot(s.user, id).await.coupon_logs,
        vec![(log, None, Some(0))]
    );

    // Paid after the site timed it out, the coupon back in the user's list: a late settle takes
    // the coupon again, so the site must stop offering it.
    let log2 = issue_coupon(&env, s.user, s.minus_coupon).await;
    let (id2, number2) = site_order(
        &env,
        s.user,
        s.courses[1],
        "899.90",
        0,
        Some(log2),
        "869.90",
    )
    .await;
    let ret = env.pay(&number2).await;
    site_times_out(&env, id2, s.user, 0).await;
    let key2 = format!("{}:{log2}", s.user);
    let _: () = con.hset(&key2, "coupon_id", s.minus_coupon).await.unwrap();
    let r = settle(&env.desk, SettleInput::Callback(ret)).await.unwrap();
    assert!(r.late, "{r:?}");
    assert_eq!(r.coupon_redis.keys, vec![key2.clone()], "{r:?}");
    assert!(!con.exists::<_, bool>(&key2).await.unwrap());
    assert!(
        con.exists::<_, bool>(&key).await.unwrap(),
        "the other coupon stays listed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_redis_or_a_redis_that_is_down_never_blocks_the_database_change() {
    for (redis, says) in [
        (None, "this profile names none"),
        // Nothing listens on port 1: every attempt is refused at once.
        (Some("redis://127.0.0.1:1/5".to_string()), "failed"),
    ] {
        let env = env_with(
            Backend::Sqlite,
            Opts {
                redis: redis.clone(),
                ..Opts::default()
            },
        )
        .await;
        let s = seed(&env).await;
        let log = issue_coupon(&env, s.user, s.minus_coupon).await;
        let (id, number) = site_order(
            &env,
            s.user,
            s.courses[0],
            "1579.00",
            0,
            Some(log),
            "1549.00",
        )
        .await;
        let t0 = Instant::now();
        let r = close(&env.desk, &order_ref(&number), "wrong course")
            .await
            .unwrap();
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "{redis:?}: took {:?}",
            t0.elapsed()
        );
        let note = r.coupon_redis.note.clone().unwrap_or_default();
        assert!(note.contains(says), "{redis:?}: {note}");
        assert!(r.message.contains(&note), "{}", r.message);
        assert!(r.coupon_redis.keys.is_empty());
        let snap = env.snapshot(s.user, id).await;
        assert_eq!(snap.status, 2, "{redis:?}: the close stands");
        assert_eq!(snap.coupon_logs, vec![(log, None, Some(0))]);
    }
}
