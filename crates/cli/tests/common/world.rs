//! A world for the CLI tests that move money: a SQLite database made by `db init` + `demo`, a
//! paydesk.toml written here with a `simulator` and a production `prod` profile on the same
//! database and gateway, the real simulator on loopback (started through its library, so the
//! test can pay at its cashier and move its clock) and a notify receiver on loopback. The
//! database is also opened directly (through paydesk-core's store) only to pick fixtures and to
//! check what the commands claim.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alipay::SystemClock;
use chrono::{NaiveDateTime, TimeDelta, Utc};
use paydesk_core::db::{Query, Val};
use paydesk_core::{OpenMode, Store, StoreConfig};
use serde_json::Value;
use sim::{LedgerKind, SimConfig, SimHandle, Simulator};

use super::{Run, Sandbox};

pub const OPERATOR: &str = "h12-tester";

pub struct World {
    pub sb: Sandbox,
    pub sim: SimHandle,
    /// Bodies of the notifies the simulator sent to `notify_url`.
    pub notifies: Arc<Mutex<Vec<String>>>,
    pub notify_url: String,
    pub rt: tokio::runtime::Runtime,
    /// The same database, for picking fixtures and checking what the commands claim.
    pub store: Store,
}

/// A simulator, a profile `simulator` and a profile `prod` (kind production) on the same
/// database and gateway, and a demo database.
pub fn world() -> World {
    world_with(SimConfig::ephemeral())
}

/// [`world`] with a simulator configured by the test (a wider timestamp tolerance, faults).
pub fn world_with(cfg: SimConfig) -> World {
    world_on(cfg, None)
}

/// [`world_with`] on a given database (a MariaDB URL) instead of a new SQLite file.
pub fn world_on(cfg: SimConfig, database: Option<String>) -> World {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sim = rt.block_on(Simulator::start(cfg)).unwrap();
    let sb = Sandbox::new();
    let pem = sim.app_private_key().to_pkcs8_pem().unwrap();
    sb.write("keys/app.pem", pem.expose());
    sb.write("keys/alipay.pem", &sim.alipay_public_key().to_pem());
    let db = database.unwrap_or_else(|| sb.p("platform.sqlite"));
    let profile = |name: &str, kind: &str| {
        format!(
            "[profiles.{name}]\nkind = \"{kind}\"\ngateway = \"{}\"\napp_id = \"{}\"\n\
             seller_id = \"{}\"\napp_private_key = \"keys/app.pem\"\n\
             alipay_public_key = \"keys/alipay.pem\"\ntimeout_secs = 5\n\
             operator = \"{OPERATOR}\"\ndatabase = \"{db}\"\n\n",
            sim.gateway_url(),
            sim.app_id(),
            sim.seller_id(),
        )
    };
    sb.write(
        "paydesk.toml",
        &(profile("simulator", "simulator") + &profile("prod", "production")),
    );

    let init = sb.run(&["--json", "db", "init"]);
    init.expect(0);
    assert!(init.json()["created"].as_str().is_some(), "{}", init.stdout);
    let demo = sb.run(&["--json", "demo", "--orders", "200", "--days", "30"]);
    demo.expect(0);
    let d = demo.json();
    assert_eq!(d["orders"], 200);
    let by_status: u64 = d["orders_by_status"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(by_status, 200, "{d}");

    let store = rt
        .block_on(Store::connect(
            &StoreConfig::new(db.clone()),
            Arc::new(SystemClock),
            OpenMode::MustExist,
        ))
        .unwrap();
    let notifies = Arc::new(Mutex::new(Vec::new()));
    let notify_url = notify_receiver(notifies.clone());
    World {
        sb,
        sim,
        notifies,
        notify_url,
        rt,
        store,
    }
}

/// A merchant's notify endpoint: keeps each body, answers `success`.
pub fn notify_receiver(bodies: Arc<Mutex<Vec<String>>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for sock in listener.incoming() {
            let Ok(mut sock) = sock else { return };
            let _ = sock.set_read_timeout(Some(Duration::from_secs(5)));
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let body = loop {
                let n = match sock.read(&mut chunk) {
                    Ok(0) | Err(_) => break None,
                    Ok(n) => n,
                };
                buf.extend_from_slice(&chunk[..n]);
                let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                    continue;
                };
                let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                let len = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                if buf.len() >= end + 4 + len {
                    break Some(String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).into_owned());
                }
            };
            if let Some(b) = body {
                bodies.lock().unwrap().push(b);
                let _ = sock.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\nsuccess",
                );
            }
        }
    });
    format!("http://{addr}/alipay/notify")
}

pub fn beijing_now() -> NaiveDateTime {
    (Utc::now() + TimeDelta::hours(8)).naive_utc()
}

impl World {
    pub fn run(&self, args: &[&str]) -> Run {
        self.sb.run(args)
    }

    /// `--json` + args, expecting `code`; the JSON document on stdout (or the error document).
    #[track_caller]
    pub fn json(&self, code: i32, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let r = self.sb.run(&all);
        r.expect(code);
        r.json()
    }

    pub fn ints(&self, sql: &str, args: Vec<Val>) -> Vec<i64> {
        self.rt.block_on(async {
            let mut tx = self.store.begin_read().await.unwrap();
            let mut q = Query::new(sql);
            q.args = args;
            let rows = tx.fetch_all(q).await.unwrap();
            tx.rollback().await.unwrap();
            rows.iter()
                .map(|r| r.opt_i64("v").unwrap().unwrap_or(0))
                .collect()
        })
    }

    pub fn int(&self, sql: &str, args: Vec<Val>) -> i64 {
        let v = self.ints(sql, args);
        assert_eq!(v.len(), 1, "{sql}");
        v[0]
    }

    pub fn credit(&self, user: i64) -> i64 {
        self.int(
            "SELECT credit AS v FROM fg_users WHERE id = ?",
            vec![user.into()],
        )
    }

    pub fn exec(&self, sql: &str, args: Vec<Val>) {
        self.rt.block_on(async {
            let mut tx = self.store.begin_write().await.unwrap();
            let mut q = Query::new(sql);
            q.args = args;
            tx.execute(q).await.unwrap();
            tx.commit().await.unwrap();
        })
    }

    /// `order N --json`, without the audit trail (refusals are recorded there on purpose).
    pub fn order_state(&self, number: &str) -> Value {
        let mut v = self.json(0, &["order", number]);
        v.as_object_mut().unwrap().remove("audit");
        v
    }

    /// Refunds the simulator made for an order.
    pub fn sim_refunds(&self, number: &str) -> usize {
        self.sim
            .ledger()
            .iter()
            .filter(|e| e.out_trade_no == number && e.kind == LedgerKind::Refund)
            .count()
    }

    /// A user with at least 300 credits holding an unused, valid discount coupon (`*0.xx`, no
    /// minimum), and two courses with credit caps the user does not own yet.
    pub fn fixtures(&self) -> (i64, i64, [i64; 2]) {
        let now = beijing_now();
        let picked = self.rt.block_on(async {
            let mut tx = self.store.begin_read().await.unwrap();
            let mut q = Query::new(
                "SELECT l.id AS log_id, l.user_id AS user_id FROM ly_coupon_log l \
                 JOIN ly_coupon c ON c.id = l.coupon_id JOIN fg_users u ON u.id = l.user_id \
                 WHERE l.use_status = 0 AND l.order_id IS NULL AND l.is_deleted = 0 \
                 AND c.sale LIKE '*%' AND c.\"condition\" = 0 AND c.start_time < ? \
                 AND c.end_time > ? AND u.credit >= 300 ORDER BY l.id LIMIT 1",
            );
            q.args = vec![now.into(), (now + TimeDelta::days(1)).into()];
            let r = tx.fetch_one(q, "a demo user with a coupon").await.unwrap();
            tx.rollback().await.unwrap();
            (r.i64("log_id").unwrap(), r.i64("user_id").unwrap())
        });
        let (log, user) = picked;
        let courses = self.ints(
            "SELECT id AS v FROM fg_course_info WHERE credit >= 50 AND is_deleted = 0 \
             AND id NOT IN (SELECT course_id FROM ly_user_course WHERE user_id = ?) \
             ORDER BY id LIMIT 2",
            vec![user.into()],
        );
        (user, log, [courses[0], courses[1]])
    }

    pub fn test_order(
        &self,
        user: i64,
        courses: &[i64],
        credits: i64,
        coupon: Option<i64>,
    ) -> Value {
        let user = user.to_string();
        let credits = credits.to_string();
        let courses: Vec<String> = courses.iter().map(i64::to_string).collect();
        let mut args = vec!["test-order", "--user", &user, "--credits", &credits];
        for c in &courses {
            args.extend(["--course", c.as_str()]);
        }
        let log = coupon.map(|c| c.to_string());
        if let Some(l) = &log {
            args.extend(["--coupon-log", l.as_str()]);
        }
        let r = self.json(0, &args);
        assert_eq!(r["order"]["order_status"], 0, "{r}");
        assert_eq!(r["order"]["credit"], credits.parse::<i64>().unwrap());
        r
    }

    /// `pay-link --order N` opened at the simulator's cashier (the trade exists, unpaid).
    pub fn open_cashier(&self, number: &str) {
        let r = self.run(&[
            "pay-link",
            "--order",
            number,
            "--return-url",
            "https://shop.example/alipay/return",
        ]);
        r.expect(0);
        let link = r.stdout.trim();
        assert!(link.starts_with(&self.sim.gateway_url()), "{link}");
        self.sim.open_pay_link(link).expect("the cashier opens");
    }

    pub fn wait_notify(&self) -> String {
        for _ in 0..200 {
            if let Some(b) = self.notifies.lock().unwrap().first() {
                return b.clone();
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("the simulator's notify did not arrive");
    }
}

pub fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}
