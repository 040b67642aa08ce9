//! Realistic demo data for a NEW database, priced with the site's rules ([`crate::pricing`]):
//! courses with prices, activity prices and credit caps; coupons of both kinds; users with credit
//! balances and unique mobiles; orders in every status using coupons and credits; grants for paid
//! orders, with a few duplicate grants and ledger rows as the racy site leaves them.
//!
//! Rows get explicit ids (from the tables' current maxima) so order courses, coupon logs and grants
//! can point at their orders without reading anything back, and go in as multi-row INSERTs, one
//! transaction per chunk of orders: 1,000,000 orders stay practical on SQLite.

use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, TimeDelta};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::db::{Dialect, Query, Store, Tx, Val};
use crate::domain::{
    CouponDiscount, CouponSale, CouponType, CreditOperation, OrderNumber, OrderStatus, PayType,
    UseStatus,
};
use crate::error::{Result, StoreError};
use crate::ident::q;
use crate::pricing::{CouponToApply, CourseToPrice, PricingError, price_order};
use crate::queries::{self, base_insert_cols, base_values, insert_many};

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct DemoSpec {
    pub orders: u64,
    pub seed: u64,
    /// Default: one user per five orders (at least 20).
    pub users: Option<u64>,
    pub courses: u32,
    pub coupons: u32,
    /// Orders are spread over this many days up to now.
    pub days: u32,
    /// Paid orders settled twice by the racy site (duplicate grants and ledger rows), per mille.
    pub duplicate_per_mille: u32,
}

impl DemoSpec {
    pub fn new(orders: u64, seed: u64) -> Self {
        DemoSpec {
            orders,
            seed,
            users: None,
            courses: 120,
            coupons: 16,
            days: 365,
            duplicate_per_mille: 10,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct DemoReport {
    pub users: u64,
    pub courses: u64,
    pub coupons: u64,
    pub orders: u64,
    /// Orders per status code 0..=3.
    pub orders_by_status: [u64; 4],
    pub order_courses: u64,
    pub coupon_logs: u64,
    pub credit_rows: u64,
    pub grants: u64,
    pub duplicate_settlements: u64,
    pub elapsed_ms: u128,
}

struct Course {
    id: i64,
    name: String,
    price: Decimal,
    activity: Option<(Decimal, &'static str)>,
    cap: i64,
}

struct Coupon {
    id: i64,
    sale: CouponSale,
    condition: i64,
    start: NaiveDateTime,
    end: NaiveDateTime,
}

const CHUNK: u64 = 20_000;

async fn next_id(tx: &mut Tx, table: &str) -> Result<i64> {
    let r = tx
        .fetch_one(
            Query::new(format!("SELECT COALESCE(MAX(id), 0) AS m FROM {table}")),
            "max id",
        )
        .await?;
    Ok(r.i64("m")? + 1)
}

fn fen(rng: &mut Xoshiro256PlusPlus, lo: i64, hi: i64) -> Decimal {
    Decimal::new(rng.random_range(lo..=hi), 2)
}

fn micros(rng: &mut Xoshiro256PlusPlus, max: i64) -> TimeDelta {
    TimeDelta::microseconds(rng.random_range(0..max.max(1)))
}

/// Fills the store's database. `progress(done, total)` is called after every chunk of orders.
pub async fn generate(
    store: &Store,
    spec: &DemoSpec,
    progress: impl Fn(u64, u64),
) -> Result<DemoReport> {
    if spec.orders == 0 || spec.courses == 0 || spec.coupons == 0 || spec.days == 0 {
        return Err(StoreError::InvalidInput(
            "demo needs at least one order, course, coupon and day".into(),
        ));
    }
    if spec.orders > 20_000_000 {
        return Err(StoreError::InvalidInput(format!(
            "{} orders is more than the demo generator's 20,000,000",
            spec.orders
        )));
    }
    let started = Instant::now();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(spec.seed);
    let n = store.names().clone();
    let d = store.dialect();
    let now = store.now();
    let period = TimeDelta::days(i64::from(spec.days));
    let begin = now - period;
    let n_users = spec.users.unwrap_or((spec.orders / 5).max(20)).max(1);
    if n_users > 99_999_999 {
        return Err(StoreError::InvalidInput(
            "more users than the order number's 8-digit user id allows".into(),
        ));
    }
    let mut report = DemoReport::default();

    // Catalogue: courses and coupons, one transaction.
    let mut tx = store.begin_write().await?;
    let course_base = next_id(&mut tx, &n.course).await?;
    let coupon_base = next_id(&mut tx, &n.coupon).await?;
    let user_base = next_id(&mut tx, &n.users).await?;
    if user_base + n_users as i64 > 99_999_999 {
        return Err(StoreError::InvalidInput(
            "user ids would exceed the order number's 8 digits".into(),
        ));
    }
    const LIST: [i64; 14] = [
        1990, 4999, 9900, 19900, 29900, 39900, 59900, 79900, 99900, 129900, 157900, 199900, 299900,
        399900,
    ];
    const ACTIVITIES: [&str; 3] = ["限时折扣", "限时减免", "新课特惠"];
    let mut courses = Vec::new();
    for i in 0..i64::from(spec.courses) {
        // Mostly list prices; some odd fen values keep rounding honest.
        let price = if rng.random_range(0..10) == 0 {
            fen(&mut rng, 1, 500_000)
        } else {
            Decimal::new(LIST[rng.random_range(0..LIST.len())], 2)
        };
        let activity = (rng.random_range(0..100) < 30).then(|| {
            let pct = Decimal::new(rng.random_range(50..=90), 2);
            let ap = (price * pct)
                .round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven)
                .max(Decimal::new(1, 2));
            (ap, ACTIVITIES[rng.random_range(0..ACTIVITIES.len())])
        });
        let cap = if rng.random_range(0..100) < 25 {
            0
        } else {
            rng.random_range(1..=50) * 10
        };
        courses.push(Course {
            id: course_base + i,
            name: format!("演示课程 {}", course_base + i),
            price,
            activity,
            cap,
        });
    }
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
    let created = begin - TimeDelta::days(60);
    let rows = courses
        .iter()
        .map(|c| {
            let mut v: Vec<Val> = base_values(Some(&c.name), created).into();
            v.extend([
                Val::I64(0),
                Val::I64(1),
                Val::from("Paydesk demo course"),
                Val::I64(30),
                Val::I64(0),
                Val::I64(0),
                Val::I64(20),
                Val::I64(20),
                Val::Yuan(c.price),
                Val::I64(c.cap),
            ]);
            let mut with_id = vec![Val::I64(c.id)];
            with_id.extend(v);
            with_id
        })
        .collect();
    let mut id_cols = vec!["id".to_string()];
    id_cols.extend(cols);
    report.courses = insert_many(&mut tx, &n.course, &id_cols, rows).await?;

    const SALES: [(&str, i64); 8] = [
        ("-30", 200),
        ("-50", 300),
        ("-100", 800),
        ("-10", 0),
        ("*0.88", 0),
        ("*0.75", 500),
        ("*0.9", 100),
        ("*0.95", 0),
    ];
    let mut coupons = Vec::new();
    for i in 0..i64::from(spec.coupons) {
        let (sale, condition) = SALES[(i as usize) % SALES.len()];
        let start = begin - TimeDelta::days(30)
            + TimeDelta::days(rng.random_range(0..i64::from(spec.days) / 2 + 1));
        // A quarter expire during the period; the rest run well past now.
        let end = if i % 4 == 3 {
            start + TimeDelta::days(rng.random_range(30..120))
        } else {
            now + TimeDelta::days(365)
        };
        coupons.push(Coupon {
            id: coupon_base + i,
            sale: CouponSale::parse(sale).expect("demo sale formulas are valid"),
            condition,
            start,
            end,
        });
    }
    let mut cols = vec!["id".to_string()];
    cols.extend(base_insert_cols(&n));
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
    cols.push(q(d, "condition"));
    cols.extend(["per_limit", "sale"].map(String::from));
    let rows = coupons
        .iter()
        .map(|c| {
            let (discount, label) = match c.sale {
                CouponSale::Minus(m) => {
                    (CouponDiscount::Minus, format!("满{}减{}", c.condition, m))
                }
                CouponSale::Times(f) => (
                    CouponDiscount::Percent,
                    format!("{}折券", (f * Decimal::TEN).normalize()),
                ),
            };
            let mut v = vec![Val::I64(c.id)];
            v.extend(base_values(Some(&label), c.start));
            v.extend([
                Val::I64(discount.code()),
                Val::I64(CouponType::General.code()),
                Val::I64(100_000),
                Val::I64(100_000),
                Val::Time(c.start),
                Val::Time(c.end),
                Val::I64(0),
                Val::I64(c.condition),
                Val::I64(1),
                Val::from(c.sale.to_string()),
            ]);
            v
        })
        .collect();
    report.coupons = insert_many(&mut tx, &n.coupon, &cols, rows).await?;
    let first_counter =
        queries::counters::reserve(&mut tx, queries::counters::ORDER_NUMBER, spec.orders as i64)
            .await?;
    if first_counter + spec.orders as i64 > 99_999_999 {
        return Err(StoreError::InvalidInput(
            "the order number counter would exceed 8 digits".into(),
        ));
    }
    tx.commit().await?;

    // Users' starting balances; orders spend from them; users are written last with what is left.
    let balances_start: Vec<i64> = (0..n_users)
        .map(|_| [0, 0, 100, 500, 1000, 3000, 10000][rng.random_range(0..7)])
        .collect();
    let mut balances = balances_start.clone();

    let mut tx0 = store.begin_write().await?;
    let mut order_id = next_id(&mut tx0, &n.order).await?;
    let mut oc_id = next_id(&mut tx0, &n.order_course).await?;
    let mut log_id = next_id(&mut tx0, &n.coupon_log).await?;
    tx0.rollback().await?;

    let order_cols = {
        let mut c = vec!["id".to_string()];
        c.extend(base_insert_cols(&n));
        c.extend(
            [
                "total_price",
                "real_price",
                "order_number",
                "order_status",
                "pay_type",
                "order_desc",
                "pay_time",
                "user_id",
                "credit",
            ]
            .map(String::from),
        );
        c
    };
    let oc_cols = {
        let mut c = vec!["id".to_string()];
        c.extend(base_insert_cols(&n));
        c.extend(
            [
                "price",
                "real_price",
                "discount_name",
                "course_id",
                "order_id",
            ]
            .map(String::from),
        );
        c
    };
    let log_cols = {
        let mut c = vec!["id".to_string()];
        c.extend(base_insert_cols(&n));
        c.extend(["user_id", "coupon_id", "order_id", "use_time", "use_status"].map(String::from));
        c
    };
    let credit_cols = {
        let mut c: Vec<String> = base_insert_cols(&n).into();
        c.extend(["operation", "number", "remark", "user_id"].map(String::from));
        c
    };
    let grant_cols = {
        let mut c: Vec<String> = base_insert_cols(&n).into();
        c.extend(
            [
                "user_id",
                "course_id",
                "chapter_id",
                "lesson_id",
                "study_time",
            ]
            .map(String::from),
        );
        c
    };

    let step = period.num_microseconds().unwrap_or(i64::MAX) / spec.orders as i64;
    let timeout = TimeDelta::seconds(crate::domain::ORDER_TIMEOUT_SECS);
    let mut done = 0u64;
    while done < spec.orders {
        let end = (done + CHUNK).min(spec.orders);
        let (mut o_rows, mut oc_rows, mut log_rows, mut cr_rows, mut g_rows) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for i in done..end {
            let created_time =
                begin + TimeDelta::microseconds(step * i as i64) + micros(&mut rng, step);
            let uidx = rng.random_range(0..n_users) as usize;
            let user_id = user_base + uidx as i64;
            let k = [1, 1, 1, 2, 2, 3][rng.random_range(0..6)];
            let mut picked: Vec<&Course> = Vec::with_capacity(k);
            while picked.len() < k.min(courses.len()) {
                let c = &courses[rng.random_range(0..courses.len())];
                if !picked.iter().any(|p| p.id == c.id) {
                    picked.push(c);
                }
            }
            let to_price: Vec<CourseToPrice> = picked
                .iter()
                .map(|c| CourseToPrice {
                    course_id: c.id,
                    name: c.name.clone(),
                    price: c.price,
                    activity_price: c.activity.map(|a| a.0),
                    discount_name: c.activity.map(|a| a.1.to_string()).unwrap_or_default(),
                    credit_cap: Some(c.cap),
                })
                .collect();
            let status = if now - created_time < timeout {
                OrderStatus::Unpaid
            } else {
                match rng.random_range(0..100) {
                    0..60 => OrderStatus::Paid,
                    60..68 => OrderStatus::Unpaid, // the site's timeout task never ran for these
                    68..80 => OrderStatus::Cancelled,
                    _ => OrderStatus::TimedOut,
                }
            };
            let coupon = (rng.random_range(0..100) < 25)
                .then(|| &coupons[rng.random_range(0..coupons.len())]);
            let coupon_apply = coupon.map(|c| CouponToApply {
                sale: c.sale,
                condition: c.condition,
                start_time: c.start,
                end_time: c.end,
            });
            let balance = balances[uidx];
            let cap: i64 = picked.iter().map(|c| c.cap).sum();
            let mut credits = if balance > 0 && cap > 0 && rng.random_range(0..100) < 30 {
                rng.random_range(1..=balance.min(cap))
            } else {
                0
            };
            // Price as the site would; drop what the site would refuse (the customer would not
            // have been offered it), keeping every stored order consistent with the rules.
            let mut use_coupon = coupon_apply.is_some();
            let priced = loop {
                match price_order(
                    &to_price,
                    if use_coupon {
                        coupon_apply.as_ref()
                    } else {
                        None
                    },
                    credits,
                    balance,
                    created_time,
                ) {
                    Ok(p) => break p,
                    Err(PricingError::BelowMinimum(_)) if credits > 0 => credits /= 2,
                    Err(_) if use_coupon => use_coupon = false,
                    Err(e) => {
                        return Err(StoreError::InvalidInput(format!(
                            "demo pricing failed: {e}"
                        )));
                    }
                }
            };
            let counter = first_counter + i as i64;
            let number = OrderNumber::generate(created_time.date(), user_id, counter)
                .map_err(|e| StoreError::InvalidInput(e.to_string()))?;
            let pay_time = (status == OrderStatus::Paid)
                .then(|| created_time + TimeDelta::seconds(rng.random_range(10..14 * 60)));
            // The site deducts credits at order time and gives them back on cancel/timeout.
            if matches!(status, OrderStatus::Unpaid | OrderStatus::Paid) {
                balances[uidx] -= priced.credits_used;
            }
            let updated = pay_time.unwrap_or(created_time);
            let mut v = vec![Val::I64(order_id)];
            v.extend([
                Val::from("购买课程"),
                Val::I64(0),
                Val::I64(0),
                Val::I64(1),
                Val::Time(created_time),
                Val::Time(updated),
            ]);
            v.extend([
                Val::Yuan(priced.total_price),
                Val::Yuan(priced.real_price),
                Val::Str(number.to_string()),
                Val::I64(status.code()),
                Val::I64(PayType::Alipay.code()),
                Val::Null,
                Val::from(pay_time),
                Val::I64(user_id),
                Val::I64(priced.credits_used),
            ]);
            o_rows.push(v);
            for line in &priced.lines {
                let mut v = vec![Val::I64(oc_id)];
                v.extend(base_values(Some(&line.name), created_time));
                v.extend([
                    Val::Yuan(line.price),
                    Val::Yuan(line.real_price),
                    Val::from(line.discount_name.as_str()),
                    Val::I64(line.course_id),
                    Val::I64(order_id),
                ]);
                oc_rows.push(v);
                oc_id += 1;
            }
            if let Some(c) = coupon {
                // Issued to the user before the order (or before it expired).
                let issued = (created_time - TimeDelta::days(rng.random_range(1..30))).max(c.start);
                let (order_link, use_time, use_status) = match (use_coupon, status) {
                    (true, OrderStatus::Paid) => (Some(order_id), pay_time, UseStatus::Used),
                    (true, OrderStatus::Unpaid) => (Some(order_id), None, UseStatus::Unused),
                    // Released on cancel/timeout, or never applicable: unused, or expired by now.
                    _ if c.end <= now => (None, None, UseStatus::Expired),
                    _ => (None, None, UseStatus::Unused),
                };
                let mut v = vec![Val::I64(log_id)];
                v.extend(base_values(None, issued));
                v.extend([
                    Val::I64(user_id),
                    Val::I64(c.id),
                    Val::from(order_link),
                    Val::from(use_time),
                    Val::I64(use_status.code()),
                ]);
                log_rows.push(v);
                log_id += 1;
            }
            if let Some(paid) = pay_time {
                // The racy site: browser return and notify both settle now and then.
                let settlements = if rng.random_range(0..1000) < spec.duplicate_per_mille {
                    2
                } else {
                    1
                };
                if settlements == 2 {
                    report.duplicate_settlements += 1;
                }
                for s in 0..settlements {
                    let at = paid + TimeDelta::milliseconds(s * 300);
                    if priced.credits_used > 0 {
                        // The site books consumption as a positive number under operation 1.
                        let mut v: Vec<Val> = base_values(None, at).into();
                        v.extend([
                            Val::I64(CreditOperation::Purchase.code()),
                            Val::I64(priced.credits_used),
                            Val::Null,
                            Val::I64(user_id),
                        ]);
                        cr_rows.push(v);
                    }
                    for line in &priced.lines {
                        let mut v: Vec<Val> = base_values(None, at).into();
                        v.extend([
                            Val::I64(user_id),
                            Val::I64(line.course_id),
                            Val::Null,
                            Val::Null,
                            Val::I64(0),
                        ]);
                        g_rows.push(v);
                    }
                }
            }
            report.orders_by_status[status.code() as usize] += 1;
            order_id += 1;
        }
        let mut tx = store.begin_write().await?;
        report.orders += insert_many(&mut tx, &n.order, &order_cols, o_rows).await?;
        report.order_courses += insert_many(&mut tx, &n.order_course, &oc_cols, oc_rows).await?;
        report.coupon_logs += insert_many(&mut tx, &n.coupon_log, &log_cols, log_rows).await?;
        report.credit_rows += insert_many(&mut tx, &n.credit, &credit_cols, cr_rows).await?;
        report.grants += insert_many(&mut tx, &n.user_course, &grant_cols, g_rows).await?;
        tx.commit().await?;
        done = end;
        progress(done, spec.orders);
    }

    // Users with what their orders left them, and the gift rows that explain their balances.
    let user_cols: Vec<String> = [
        "id",
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
    ]
    .map(String::from)
    .into();
    let mut start = 0u64;
    while start < n_users {
        let stop = (start + CHUNK).min(n_users);
        let mut u_rows = Vec::new();
        let mut gift_rows = Vec::new();
        for u in start..stop {
            let id = user_base + u as i64;
            let joined = begin
                - TimeDelta::days(rng.random_range(1..365))
                - micros(&mut rng, 86_400_000_000);
            u_rows.push(vec![
                Val::I64(id),
                // An unusable Django password ("!" prefix): demo users cannot log in.
                Val::from("!paydesk-demo"),
                Val::Null,
                Val::I64(0),
                Val::Str(format!("demo{id}")),
                Val::from(""),
                Val::from(""),
                Val::Str(format!("demo{id}@example.invalid")),
                Val::I64(0),
                Val::I64(1),
                Val::Time(joined),
                Val::Str(format!("演示用户{id}")),
                // 11 digits, unique by construction (ids stay below 10^8).
                Val::Str(format!("139{id:08}")),
                Val::Yuan(Decimal::ZERO),
                Val::I64(balances[u as usize]),
                Val::Null,
                Val::I64(0),
            ]);
            if balances_start[u as usize] > 0 {
                let mut v: Vec<Val> = base_values(None, joined).into();
                v.extend([
                    Val::I64(CreditOperation::Gift.code()),
                    Val::I64(balances_start[u as usize]),
                    Val::from("注册赠送"),
                    Val::I64(id),
                ]);
                gift_rows.push(v);
            }
        }
        let mut tx = store.begin_write().await?;
        report.users += insert_many(&mut tx, &n.users, &user_cols, u_rows).await?;
        report.credit_rows += insert_many(&mut tx, &n.credit, &credit_cols, gift_rows).await?;
        tx.commit().await?;
        start = stop;
    }

    // Fresh statistics so the planners pick the browse indexes on the new data.
    match d {
        Dialect::Sqlite => store.execute_raw("ANALYZE").await?,
        Dialect::MySql => {
            store
                .execute_raw(&format!(
                    "ANALYZE TABLE {}, {}, {}",
                    n.order, n.order_course, n.user_course
                ))
                .await?;
        }
    }
    report.elapsed_ms = started.elapsed().as_millis();
    Ok(report)
}

/// A demo order paid through Alipay, as the site sent it to the cashier: what a simulator needs
/// to list it in its bills.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemoPayment {
    pub order_number: String,
    pub real_price: Decimal,
    pub created_time: NaiveDateTime,
    pub pay_time: NaiveDateTime,
    pub subject: String,
}

/// The `limit` most recent payments Alipay's bills should list (paid, with a pay_time, not
/// balance-paid, not free), oldest first: for seeding the simulator of a new demo database so
/// its bills agree with the demo history.
pub async fn paid_orders(store: &Store, limit: usize) -> Result<Vec<DemoPayment>> {
    let mut tx = store.begin_read().await?;
    let rows = queries::orders::paid_through_alipay(&mut tx, limit).await?;
    tx.rollback().await?;
    Ok(rows
        .into_iter()
        .map(|o| DemoPayment {
            subject: crate::ops::pay_link::subject_of(o.name.as_deref()),
            order_number: o.order_number,
            real_price: o.real_price,
            created_time: o.created_time,
            pay_time: o.pay_time,
        })
        .collect())
}

/// Formats a duration for progress messages.
pub fn human(d: Duration) -> String {
    format!("{}.{:01}s", d.as_secs(), d.subsec_millis() / 100)
}
