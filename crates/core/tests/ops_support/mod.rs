//! Shared by the ops_* tests: a fresh database per test (a SQLite file, or a uniquely named
//! MariaDB database on the server of `scripts/mariadb.sh` / PAYDESK_TEST_MYSQL_URL), the real
//! simulator on loopback, a notify receiver on loopback, and platform fixtures written the way
//! Django would (every column supplied).
#![allow(dead_code)]

use std::str::FromStr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use alipay::client::GatewayConfig;
use alipay::{AppIdentity, Clock, GatewayClient};
use chrono::NaiveDateTime;
use paydesk_core::db::{Query, Val};
use paydesk_core::desk::{Desk, Gateway};
use paydesk_core::ops::OrderRef;
use paydesk_core::profile::ProfileKind;
use paydesk_core::queries::{base_insert_cols, base_values, in_list};
use paydesk_core::{Store, StoreConfig};
use rust_decimal::Decimal;
use sim::{SimConfig, SimHandle, SimKeys, Simulator};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    MySql,
}

pub const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::MySql];

/// The MariaDB server tests use: PAYDESK_TEST_MYSQL_URL, else the one `scripts/mariadb.sh start`
/// runs. Tests fail (not skip) when it is unreachable: the MySQL path is half of what they prove.
pub fn mysql_url() -> String {
    std::env::var("PAYDESK_TEST_MYSQL_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "mysql://paydesk:paydesk-test@127.0.0.1:33306/paydesk_test".into())
}

pub fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// Keys are slow to generate: one pair per test binary.
pub fn sim_keys() -> SimKeys {
    static KEYS: OnceLock<SimKeys> = OnceLock::new();
    KEYS.get_or_init(|| SimKeys::generate().expect("simulator keys"))
        .clone()
}

pub struct Env {
    pub backend: Backend,
    pub sim: SimHandle,
    pub desk: Arc<Desk>,
    pub notifies: Arc<Mutex<Vec<String>>>,
    pub notify_url: String,
    _dir: Option<tempfile::TempDir>,
    mysql_db: Option<String>,
}

pub struct Opts {
    pub refund_retries: u32,
    pub timeout: Duration,
    pub max_connections: u32,
    /// The site's coupon Redis in the profile.
    pub redis: Option<String>,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            refund_retries: 0,
            timeout: Duration::from_secs(3),
            max_connections: 8,
            redis: None,
        }
    }
}

pub async fn env(backend: Backend) -> Env {
    env_with(backend, Opts::default()).await
}

pub async fn env_with(backend: Backend, opts: Opts) -> Env {
    let sim = Simulator::start(SimConfig {
        keys: Some(sim_keys()),
        ..SimConfig::ephemeral()
    })
    .await
    .expect("simulator starts");
    // One clock for the store, the requests and the simulator: moving it moves all three.
    let clock: Arc<dyn Clock> = sim.clock();
    let (config, dir, mysql_db) = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("platform.sqlite");
            (
                StoreConfig::new(path.to_string_lossy().to_string()),
                Some(dir),
                None,
            )
        }
        Backend::MySql => {
            let base = mysql_url();
            let name = format!("pd_ops_{}", rand_suffix());
            let admin = Store::connect(&StoreConfig::new(base.clone()), clock.clone(), paydesk_core::OpenMode::MustExist)
                .await
                .unwrap_or_else(|e| panic!("MariaDB at {base} is not reachable ({e}): run scripts/mariadb.sh start or set PAYDESK_TEST_MYSQL_URL"));
            admin
                .execute_raw(&format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
                .await
                .unwrap();
            admin.close().await;
            let (head, _) = base.rsplit_once('/').unwrap();
            (StoreConfig::new(format!("{head}/{name}")), None, Some(name))
        }
    };
    let mut config = config;
    config.max_connections = opts.max_connections;
    config.redis = opts.redis.clone();
    let store = paydesk_core::admin::init_new(&config, clock.clone())
        .await
        .expect("new platform database");

    let notifies = Arc::new(Mutex::new(Vec::new()));
    let notify_url = notify_receiver(notifies.clone()).await;
    let client = GatewayClient::new(
        GatewayConfig {
            gateway_url: sim.gateway_url(),
            app: sim.app_identity(),
            alipay_public_key: sim.alipay_public_key().clone(),
            alipay_cert_sn: None,
            timeout: opts.timeout,
        },
        clock.clone(),
    )
    .unwrap()
    .with_refund_retries(opts.refund_retries, Duration::from_millis(50));
    let gateway = Gateway {
        client,
        app: sim.app_identity(),
        gateway_url: sim.gateway_url(),
        seller_id: sim.seller_id().to_string(),
        return_url: Some("http://127.0.0.1:9/alipay/return".into()),
        notify_url: Some(notify_url.clone()),
    };
    let desk =
        Desk::new(store, "simulator", ProfileKind::Simulator, "tester").with_gateway(gateway);
    Env {
        backend,
        sim,
        desk: Arc::new(desk),
        notifies,
        notify_url,
        _dir: dir,
        mysql_db,
    }
}

impl Env {
    pub fn store(&self) -> &Store {
        &self.desk.store
    }

    pub async fn finish(self) {
        self.sim.stop().await;
        if let Some(db) = &self.mysql_db {
            let s = self.desk.store.clone();
            let _ = s.execute_raw(&format!("DROP DATABASE `{db}`")).await;
            s.close().await;
        }
    }

    /// Waits for the n-th notify to arrive (the simulator posts it right after the payment).
    pub async fn notify(&self, n: usize) -> String {
        for _ in 0..200 {
            if let Some(b) = self.notifies.lock().unwrap().get(n) {
                return b.clone();
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("notify #{n} did not arrive");
    }

    /// Opens the pay link in the simulator's cashier and pays: returns the signed return URL.
    pub async fn pay(&self, number: &str) -> String {
        let r = paydesk_core::ops::pay_link::pay_link(
            &self.desk,
            &paydesk_core::ops::pay_link::PayLinkRequest::page(order_ref(number)),
        )
        .await
        .expect("pay link");
        self.sim.open_pay_link(&r.link).expect("cashier opens");
        self.sim
            .pay(number)
            .expect("buyer pays")
            .return_url
            .expect("a return URL")
    }

    /// Opens the cashier only (the trade exists, WAIT_BUYER_PAY).
    pub async fn open(&self, number: &str) {
        let r = paydesk_core::ops::pay_link::pay_link(
            &self.desk,
            &paydesk_core::ops::pay_link::PayLinkRequest::page(order_ref(number)),
        )
        .await
        .expect("pay link");
        self.sim.open_pay_link(&r.link).expect("cashier opens");
    }

    /// Money the simulator moved for an order: (payments, refunds as a positive sum, refund count).
    pub fn sim_money(&self, number: &str) -> (Decimal, Decimal, usize) {
        let l = self.sim.ledger();
        let mine: Vec<_> = l.iter().filter(|e| e.out_trade_no == number).collect();
        let paid = mine
            .iter()
            .filter(|e| e.kind == sim::LedgerKind::Payment)
            .map(|e| e.amount)
            .sum();
        let refunds: Vec<_> = mine
            .iter()
            .filter(|e| e.kind == sim::LedgerKind::Refund)
            .collect();
        (
            paid,
            -refunds.iter().map(|e| e.amount).sum::<Decimal>(),
            refunds.len(),
        )
    }

    pub async fn scalar(&self, sql: &str, args: Vec<Val>) -> i64 {
        let mut tx = self.store().begin_read().await.unwrap();
        let mut q = Query::new(sql.replace("{order}", &self.store().names().order));
        q.args = args;
        let r = tx.fetch_one(q, "scalar").await.unwrap();
        let v = r.opt_i64("v").unwrap().unwrap_or(0);
        tx.rollback().await.unwrap();
        v
    }

    /// Everything a settlement or cancellation touches, to compare before/after.
    pub async fn snapshot(&self, user_id: i64, order_id: i64) -> Snapshot {
        let n = self.store().names().clone();
        let mut tx = self.store().begin_read().await.unwrap();
        let one = |sql: String, args: Vec<Val>| {
            let mut q = Query::new(sql);
            q.args = args;
            q
        };
        let o = tx
            .fetch_one(
                one(
                    format!(
                        "SELECT order_status, pay_time FROM {} WHERE id = ?",
                        n.order
                    ),
                    vec![order_id.into()],
                ),
                "order",
            )
            .await
            .unwrap();
        let status = o.i64("order_status").unwrap();
        let pay_time = o.opt_time("pay_time").unwrap();
        let credit = tx
            .fetch_one(
                one(
                    format!("SELECT credit FROM {} WHERE id = ?", n.users),
                    vec![user_id.into()],
                ),
                "user",
            )
            .await
            .unwrap()
            .i64("credit")
            .unwrap();
        let ledger = tx
            .fetch_one(
                one(
                    format!("SELECT COUNT(*) AS c FROM {} WHERE user_id = ?", n.credit),
                    vec![user_id.into()],
                ),
                "ledger",
            )
            .await
            .unwrap()
            .i64("c")
            .unwrap();
        let grants = tx
            .fetch_one(
                one(
                    format!(
                        "SELECT COUNT(*) AS c FROM {} WHERE user_id = ? AND {} = 0",
                        n.user_course, n.deleted
                    ),
                    vec![user_id.into()],
                ),
                "grants",
            )
            .await
            .unwrap()
            .i64("c")
            .unwrap();
        let logs = tx
            .fetch_all(one(
                format!(
                    "SELECT id, order_id, use_status FROM {} WHERE user_id = ? ORDER BY id",
                    n.coupon_log
                ),
                vec![user_id.into()],
            ))
            .await
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r.i64("id").unwrap(),
                    r.opt_i64("order_id").unwrap(),
                    r.opt_i64("use_status").unwrap(),
                )
            })
            .collect();
        let refunds = tx
            .fetch_all(one(
                "SELECT out_request_no, status FROM paydesk_refunds WHERE order_id = ? ORDER BY id"
                    .into(),
                vec![order_id.into()],
            ))
            .await
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r.string("out_request_no").unwrap(),
                    r.string("status").unwrap(),
                )
            })
            .collect();
        tx.rollback().await.unwrap();
        Snapshot {
            status,
            pay_time,
            credit,
            ledger_rows: ledger,
            grants,
            coupon_logs: logs,
            refunds,
        }
    }

    /// Audit rows of an order (newest first): (action, outcome).
    pub async fn audit_of(&self, order_id: i64) -> Vec<(String, String)> {
        let rows = paydesk_core::audit::query(
            self.store(),
            &paydesk_core::audit::AuditFilter {
                order_id: Some(order_id),
                limit: 1000,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        rows.into_iter().map(|r| (r.action, r.outcome)).collect()
    }

    pub async fn audit_count(&self) -> usize {
        paydesk_core::audit::query(
            self.store(),
            &paydesk_core::audit::AuditFilter {
                limit: 1000,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .len()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub status: i64,
    pub pay_time: Option<NaiveDateTime>,
    pub credit: i64,
    pub ledger_rows: i64,
    pub grants: i64,
    /// (id, order_id, use_status)
    pub coupon_logs: Vec<(i64, Option<i64>, Option<i64>)>,
    pub refunds: Vec<(String, String)>,
}

pub fn order_ref(number: &str) -> OrderRef {
    number.parse().unwrap()
}

fn rand_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos,
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}
static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A minimal HTTP endpoint for notifies: keeps each body and answers `success`, as a merchant
/// must (anything else makes Alipay retry).
async fn notify_receiver(bodies: Arc<Mutex<Vec<String>>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let bodies = bodies.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Ok(n) = sock.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let Some(end) = find(&buf, b"\r\n\r\n") else {
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| {
                            l.strip_prefix("content-length:")
                                .map(|v| v.trim().parse().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + len {
                        let body =
                            String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).to_string();
                        bodies.lock().unwrap().push(body);
                        let _ = sock.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\nsuccess").await;
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}/alipay/notify")
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

/// Platform fixtures, inserted as Django would (all columns, naive Beijing times).
pub struct Seed {
    pub user: i64,
    pub other_user: i64,
    /// 1579.00 (credit cap 100), 899.90 (cap 50), 2999.00 (cap 0)
    pub courses: [i64; 3],
    /// -30, condition 100
    pub minus_coupon: i64,
    /// *0.88, condition 0
    pub times_coupon: i64,
}

pub async fn seed(env: &Env) -> Seed {
    let store = env.store();
    let n = store.names().clone();
    let now = store.now();
    let mut tx = store.begin_write().await.unwrap();
    let mut users = Vec::new();
    for (i, credit) in [(1, 1000i64), (2, 500)] {
        let cols = [
            "password",
            "last_login",
            "is_superuser",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_staff",
            "is_active",
            "date_joined",
            "name",
            "mobile",
            "money",
            "credit",
            "avatar",
            "study_time",
        ];
        let vals: Vec<Val> = vec![
            "pbkdf2_sha256$x".into(),
            Val::Null,
            0.into(),
            format!("buyer{i}").into(),
            "".into(),
            "".into(),
            format!("buyer{i}@example.invalid").into(),
            0.into(),
            1.into(),
            now.into(),
            format!("买家{i}").into(),
            format!("1380000000{i}").into(),
            Val::Yuan(Decimal::ZERO),
            credit.into(),
            Val::Null,
            0.into(),
        ];
        users.push(
            insert(
                &mut tx,
                &n.users,
                cols.iter().map(|s| s.to_string()).collect(),
                vals,
            )
            .await,
        );
    }
    let mut courses = [0; 3];
    for (i, (name, price, cap)) in [
        ("Python 全栈", "1579.00", 100i64),
        ("Go 入门", "899.90", 50),
        ("算法精讲", "2999.00", 0),
    ]
    .iter()
    .enumerate()
    {
        let mut cols: Vec<String> = base_insert_cols(&n).into();
        cols.extend(
            [
                "course_type",
                "level",
                "description",
                "period",
                "status",
                "students",
                "lessons",
                "pub_lessons",
                "price",
                "credit",
            ]
            .map(String::from),
        );
        let mut vals: Vec<Val> = base_values(Some(name), now).into();
        vals.extend([
            0.into(),
            1.into(),
            "".into(),
            30.into(),
            0.into(),
            0.into(),
            10.into(),
            10.into(),
            Val::Yuan(d(price)),
            (*cap).into(),
        ]);
        courses[i] = insert(&mut tx, &n.course, cols, vals).await;
    }
    let mut coupons = Vec::new();
    for (name, discount, sale, cond) in
        [("满100减30", 1i64, "-30", 100i64), ("88折", 2, "*0.88", 0)]
    {
        let mut cols: Vec<String> = base_insert_cols(&n).into();
        cols.extend(
            [
                "discount",
                "coupon_type",
                "total",
                "has_total",
                "start_time",
                "end_time",
                "get_type",
            ]
            .map(String::from),
        );
        cols.push(paydesk_core::ident::q(store.dialect(), "condition"));
        cols.extend(["per_limit", "sale"].map(String::from));
        let mut vals: Vec<Val> = base_values(Some(name), now).into();
        vals.extend([
            discount.into(),
            0.into(),
            100.into(),
            100.into(),
            (now - chrono::TimeDelta::days(1)).into(),
            (now + chrono::TimeDelta::days(30)).into(),
            0.into(),
            cond.into(),
            1.into(),
            sale.into(),
        ]);
        coupons.push(insert(&mut tx, &n.coupon, cols, vals).await);
    }
    tx.commit().await.unwrap();
    Seed {
        user: users[0],
        other_user: users[1],
        courses,
        minus_coupon: coupons[0],
        times_coupon: coupons[1],
    }
}

/// Issues a coupon to a user (an unused `ly_coupon_log`).
pub async fn issue_coupon(env: &Env, user: i64, coupon: i64) -> i64 {
    let store = env.store();
    let n = store.names().clone();
    let mut tx = store.begin_write().await.unwrap();
    let mut cols: Vec<String> = base_insert_cols(&n).into();
    cols.extend(["user_id", "coupon_id", "order_id", "use_time", "use_status"].map(String::from));
    let mut vals: Vec<Val> = base_values(None, store.now()).into();
    vals.extend([user.into(), coupon.into(), Val::Null, Val::Null, 0.into()]);
    let id = insert(&mut tx, &n.coupon_log, cols, vals).await;
    tx.commit().await.unwrap();
    id
}

async fn insert(tx: &mut paydesk_core::Tx, table: &str, cols: Vec<String>, vals: Vec<Val>) -> i64 {
    let mut q = Query::new(format!(
        "INSERT INTO {table} ({}) VALUES {}",
        cols.join(", "),
        in_list(cols.len())
    ));
    q.args = vals;
    tx.execute(q).await.unwrap().last_insert_id
}

/// An order as the SITE creates it (orders/serializers.py): credits deducted from the balance at
/// once WITHOUT a ledger row, coupon log bound, status 0 — what Paydesk most often settles.
pub async fn site_order(
    env: &Env,
    user: i64,
    course: i64,
    price: &str,
    credits: i64,
    coupon_log: Option<i64>,
    real_price: &str,
) -> (i64, String) {
    use paydesk_core::domain::{OrderNumber, OrderStatus, PayType};
    use paydesk_core::queries::orders::{
        NewOrder, NewOrderCourse, insert as insert_order, insert_course,
    };
    let store = env.store();
    let now = store.now();
    let mut tx = store.begin_write().await.unwrap();
    let counter = paydesk_core::queries::counters::reserve(&mut tx, "order_number", 1)
        .await
        .unwrap();
    let number = OrderNumber::generate(now.date(), user, counter).unwrap();
    let id = insert_order(
        &mut tx,
        &NewOrder {
            user_id: user,
            order_number: number.clone(),
            total_price: d(price),
            real_price: d(real_price),
            order_status: OrderStatus::Unpaid,
            pay_type: PayType::Alipay,
            credit: credits,
            order_desc: None,
            pay_time: None,
            created_time: now,
        },
    )
    .await
    .unwrap();
    insert_course(
        &mut tx,
        &NewOrderCourse {
            order_id: id,
            course_id: course,
            course_name: format!("course {course}"),
            price: d(price),
            real_price: d(price),
            discount_name: String::new(),
            created_time: now,
        },
    )
    .await
    .unwrap();
    let n = store.names().clone();
    let mut q = Query::new(format!(
        "UPDATE {} SET credit = credit - ? WHERE id = ?",
        n.users
    ));
    q.args = vec![credits.into(), user.into()];
    tx.execute(q).await.unwrap();
    if let Some(l) = coupon_log {
        let mut q = Query::new(format!(
            "UPDATE {} SET order_id = ? WHERE id = ?",
            n.coupon_log
        ));
        q.args = vec![id.into(), l.into()];
        tx.execute(q).await.unwrap();
    }
    tx.commit().await.unwrap();
    (id, number.to_string())
}

/// Replaces one `key=value` of a form/URL (to tamper with a signed callback).
pub fn tamper(text: &str, key: &str, value: &str) -> String {
    let (head, query) = text.split_once('?').map_or(("", text), |(h, q)| (h, q));
    let parts: Vec<String> = query
        .split('&')
        .map(|kv| {
            if kv.split('=').next() == Some(key) {
                format!("{key}={value}")
            } else {
                kv.to_string()
            }
        })
        .collect();
    if head.is_empty() {
        parts.join("&")
    } else {
        format!("{head}?{}", parts.join("&"))
    }
}

pub fn app_identity_for(app_id: &str, key: Arc<alipay::PrivateKey>) -> AppIdentity {
    AppIdentity::new(app_id, key)
}

/// The same store and simulator, but a profile that names another seller.
pub fn desk_with_seller(env: &Env, seller_id: &str) -> Desk {
    let clock: Arc<dyn Clock> = env.sim.clock();
    let client = GatewayClient::new(
        GatewayConfig {
            gateway_url: env.sim.gateway_url(),
            app: env.sim.app_identity(),
            alipay_public_key: env.sim.alipay_public_key().clone(),
            alipay_cert_sn: None,
            timeout: Duration::from_secs(3),
        },
        clock,
    )
    .unwrap();
    let gateway = Gateway {
        client,
        app: env.sim.app_identity(),
        gateway_url: env.sim.gateway_url(),
        seller_id: seller_id.to_string(),
        return_url: None,
        notify_url: None,
    };
    Desk::new(env.store().clone(), "other", ProfileKind::Sandbox, "tester").with_gateway(gateway)
}

/// What the site's timeout task does: status 3, credits back to the balance (no ledger row),
/// the coupon put back (in Redis; the log row keeps its order link).
pub async fn site_times_out(env: &Env, order_id: i64, user: i64, credits: i64) {
    site_cancels(env, order_id, user, credits, 3).await;
}

pub async fn site_cancels(env: &Env, order_id: i64, user: i64, credits: i64, status: i64) {
    let n = env.store().names().clone();
    let mut tx = env.store().begin_write().await.unwrap();
    let mut q = paydesk_core::db::Query::new(format!(
        "UPDATE {} SET order_status = ? WHERE id = ?",
        n.order
    ));
    q.args = vec![status.into(), order_id.into()];
    tx.execute(q).await.unwrap();
    let mut q = paydesk_core::db::Query::new(format!(
        "UPDATE {} SET credit = credit + ? WHERE id = ?",
        n.users
    ));
    q.args = vec![credits.into(), user.into()];
    tx.execute(q).await.unwrap();
    tx.commit().await.unwrap();
}
