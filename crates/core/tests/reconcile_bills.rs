//! Hand-made bills (GBK zips with GBK entry names, UTF-8 CSVs, summary first, broken ones)
//! against orders and Paydesk refunds written straight into the database, on SQLite and on
//! MariaDB: every discrepancy kind, every bad bill refused with nothing changed, and a bill
//! that lacks most of the period's orders (every one of them a stored row).

mod ops_support;

use std::collections::BTreeMap;
use std::io::{Cursor, Write as _};

use chrono::NaiveDateTime;
use ops_support::*;
use paydesk_core::domain::{OrderNumber, OrderStatus, PayType, RefundStatus};
use paydesk_core::queries::insert_many;
use paydesk_core::queries::orders::{NewOrder, insert, order_insert_cols, order_insert_values};
use paydesk_core::queries::refunds::{NewRefund, RefundResult, insert_pending, record_attempt};
use paydesk_core::reconcile::actions::{accept_row, query_row};
use paydesk_core::reconcile::{
    BillSource, Category, Control, Period, ReconError, RunOutcome, RunReport, RunRequest, compare,
    load, report, run,
};
use rust_decimal::Decimal;
use zip::write::SimpleFileOptions;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_kind_sqlite() {
    every_kind(Backend::Sqlite).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_kind_mariadb() {
    every_kind(Backend::MySql).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_bills_change_nothing_sqlite() {
    bad_bills_change_nothing(Backend::Sqlite).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_bills_change_nothing_mariadb() {
    bad_bills_change_nothing(Backend::MySql).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bill_lacking_most_orders_sqlite() {
    bill_lacking_most_orders(Backend::Sqlite).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bill_lacking_most_orders_mariadb() {
    bill_lacking_most_orders(Backend::MySql).await;
}

fn t(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
}

fn num(counter: i64) -> String {
    format!("2026112400000001{counter:08}")
}

async fn add_order(
    env: &Env,
    counter: i64,
    price: &str,
    status: OrderStatus,
    paid: Option<&str>,
) -> i64 {
    let mut tx = env.store().begin_write().await.unwrap();
    let id = insert(
        &mut tx,
        &NewOrder {
            user_id: 1,
            order_number: OrderNumber::parse(&num(counter)).unwrap(),
            total_price: d(price),
            real_price: d(price),
            order_status: status,
            pay_type: PayType::Alipay,
            credit: 0,
            order_desc: None,
            pay_time: paid.map(t),
            created_time: t("2026-11-24 10:00:00"),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn add_refund(
    env: &Env,
    order_id: i64,
    order: i64,
    no: &str,
    amount: &str,
    status: RefundStatus,
) {
    let mut tx = env.store().begin_write().await.unwrap();
    let id = insert_pending(
        &mut tx,
        &NewRefund {
            out_request_no: no.into(),
            order_id,
            order_number: num(order),
            trade_no: None,
            amount: d(amount),
            reason: "test".into(),
            operator: "tester".into(),
            profile: "simulator".into(),
            full_refund: false,
        },
    )
    .await
    .unwrap();
    if status != RefundStatus::Pending {
        let res = RefundResult {
            status: Some(status),
            gmt_refund_pay: Some(t("2026-11-24 15:00:00")),
            ..Default::default()
        };
        record_attempt(&mut tx, id, &res).await.unwrap();
    }
    tx.commit().await.unwrap();
}

/// (trade_no, out_trade_no, type, order amount, received, out_request_no)
struct Line(
    String,
    String,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

fn line(
    trade: u32,
    out: &str,
    kind: &'static str,
    amount: &'static str,
    recv: &'static str,
    req: &'static str,
) -> Line {
    Line(
        format!("2026112422001400000000{trade:06}"),
        out.to_string(),
        kind,
        amount,
        recv,
        req,
    )
}

const HEADER: &str = "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注";

/// 服务费 as Alipay charges it: 0.6 % of a payment, to the fen half away from zero, negative.
/// Refunds give back nothing here (reconciliation does not check a refund's fee).
fn fee(l: &Line) -> Decimal {
    if l.2 != "交易" {
        return Decimal::ZERO;
    }
    let mut f = -(d(l.3) * d("0.006"))
        .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    f.rescale(2);
    if f.is_zero() {
        f.set_sign_positive(true);
    }
    f
}

/// A detail file whose totals lines agree with its rows, unless `skew` moves the payments' sum.
fn detail(account: &str, day: &str, lines: &[Line], skew: Decimal) -> String {
    let next = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .unwrap()
        .succ_opt()
        .unwrap();
    let cn = |d: chrono::NaiveDate| d.format("%Y年%m月%d日 00:00:00").to_string();
    let start = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
    let mut s = format!(
        "#支付宝业务明细查询\r\n#账号：[{account}]\r\n#起始日期：[{}]   终止日期：[{}]\r\n#-----------------------------------------业务明细列表----------------------------------------\r\n{HEADER}\r\n",
        cn(start),
        cn(next)
    );
    let (mut pn, mut ps, mut rn, mut rs) = (0, Decimal::ZERO, 0, Decimal::ZERO);
    for (i, l) in lines.iter().enumerate() {
        let req = if l.5.is_empty() {
            String::new()
        } else {
            format!("{}\t", l.5)
        };
        s.push_str(&format!(
            "{}\t,{}\t,{}\t,Python 全栈,{day} 10:00:00,{day} {:02}:00:00,,,,,b***@example.com,{},{},0.00,0.00,0.00,0.00,0.00,,0.00,0.00,{req},{},0.00,\r\n",
            l.0, l.1, l.2, 10 + i % 12, l.3, l.4, fee(l)
        ));
        match l.2 {
            "交易" => {
                pn += 1;
                ps += d(l.4);
            }
            "退款" => {
                rn += 1;
                rs += d(l.4);
            }
            _ => {}
        }
    }
    s.push_str("#-----------------------------------------业务明细列表结束------------------------------------\r\n");
    s.push_str(&format!(
        "#交易合计：{pn}笔，商家实收共{}元，商家优惠共0.00元\r\n",
        ps + skew
    ));
    s.push_str(&format!(
        "#退款合计：{rn}笔，商家实收退款共{rs}元，商家优惠退款共0.00元\r\n"
    ));
    s.push_str("#导出时间：[2026年11月25日 05:46:49]\r\n");
    s
}

fn summary(account: &str, lines: &[Line]) -> String {
    let (mut pn, mut rn, mut recv, mut fees) = (0, 0, Decimal::ZERO, Decimal::ZERO);
    for l in lines {
        match l.2 {
            "交易" => pn += 1,
            "退款" => rn += 1,
            _ => {}
        }
        recv += d(l.4);
        fees += fee(l);
    }
    let net = recv + fees;
    format!(
        "#支付宝业务汇总查询\r\n#账号：[{account}]\r\n#起始日期：[2026年11月24日 00:00:00]   终止日期：[2026年11月25日 00:00:00]\r\n\
         #-----------------------------------------业务汇总列表----------------------------------------\r\n\
         门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,支付宝优惠（元）,商家优惠（元）,卡消费金额（元）,服务费（元）,分润（元）,实收净额（元）\r\n\
         合计,,{pn},{rn},0.00,{recv},0.00,0.00,0.00,{fees},0.00,{net}\r\n\
         #-----------------------------------------业务汇总列表结束------------------------------------\r\n"
    )
}

fn gbk(s: &str) -> Vec<u8> {
    encoding_rs::GBK.encode(s).0.into_owned()
}

/// Alipay's layout: GBK names as raw bytes (no UTF-8 flag), GBK contents, deflated.
fn gbk_zip(account: &str, detail_text: &str, summary_text: &str, summary_first: bool) -> Vec<u8> {
    let mut zw = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let d = (format!("{account}_20261124_业务明细.csv"), gbk(detail_text));
    let s = (
        format!("{account}_20261124_业务明细(汇总).csv"),
        gbk(summary_text),
    );
    let entries = if summary_first { [s, d] } else { [d, s] };
    for (name, data) in entries {
        let raw_name = gbk(&name);
        let opts = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .name(&raw_name);
        zw.start_file_with_options(opts).unwrap();
        zw.write_all(&data).unwrap();
    }
    zw.finish().unwrap().into_inner()
}

async fn import(env: &Env, name: &str, bytes: Vec<u8>) -> Result<RunOutcome, ReconError> {
    let req = RunRequest {
        period: Some(Period::parse("2026-11-24").unwrap()),
        source: BillSource::Bytes {
            name: name.into(),
            bytes,
        },
        seller_id: None,
    };
    run(&env.desk, req, &Control::default()).await
}

fn reconciled(o: RunOutcome) -> RunReport {
    match o {
        RunOutcome::Reconciled(r) => *r,
        other => panic!("{other:?}"),
    }
}

async fn every_kind(backend: Backend) {
    let env = env(backend).await;
    env.sim.clock().set_beijing("2026-11-25 09:00:00").unwrap();
    let account = env.sim.account();
    let o1 = add_order(
        &env,
        1,
        "100.00",
        OrderStatus::Paid,
        Some("2026-11-24 10:01:00"),
    )
    .await;
    add_order(
        &env,
        2,
        "50.00",
        OrderStatus::Paid,
        Some("2026-11-24 10:02:00"),
    )
    .await;
    let o3 = add_order(&env, 3, "30.00", OrderStatus::Unpaid, None).await;
    add_order(&env, 4, "20.00", OrderStatus::Cancelled, None).await;
    add_order(&env, 5, "10.00", OrderStatus::Unknown(7), None).await;
    let o6 = add_order(
        &env,
        6,
        "60.00",
        OrderStatus::Paid,
        Some("2026-11-24 12:00:00"),
    )
    .await;
    let o7 = add_order(
        &env,
        7,
        "80.00",
        OrderStatus::Paid,
        Some("2026-11-23 22:00:00"),
    )
    .await;
    add_order(
        &env,
        8,
        "40.00",
        OrderStatus::Paid,
        Some("2026-11-24 13:00:00"),
    )
    .await;
    add_order(&env, 8, "40.00", OrderStatus::Unpaid, None).await;
    // Free and balance-paid orders never reach Alipay: not "missing from the bill".
    add_order(
        &env,
        9,
        "0.00",
        OrderStatus::Paid,
        Some("2026-11-24 13:00:00"),
    )
    .await;
    add_refund(&env, o7, 7, "R-OK", "30.00", RefundStatus::Succeeded).await;
    add_refund(&env, o7, 7, "R-DIFF", "10.00", RefundStatus::Succeeded).await;
    add_refund(&env, o7, 7, "R-PENDING", "5.00", RefundStatus::Pending).await;
    add_refund(&env, o7, 7, "R-FAILED", "1.00", RefundStatus::Failed).await;
    add_refund(&env, o7, 7, "R-LOST", "2.00", RefundStatus::Succeeded).await;

    let lines = vec![
        line(1, &num(1), "交易", "100.00", "100.00", ""),
        line(2, &num(2), "交易", "49.00", "49.00", ""),
        line(3, &num(3), "交易", "30.00", "30.00", ""),
        line(4, &num(4), "交易", "20.00", "20.00", ""),
        line(5, &num(5), "交易", "10.00", "10.00", ""),
        line(7, &num(7), "退款", "80.00", "-30.00", "R-OK"),
        line(7, &num(7), "退款", "80.00", "-11.00", "R-DIFF"),
        line(7, &num(7), "退款", "80.00", "-5.00", "R-PENDING"),
        line(7, &num(7), "退款", "80.00", "-1.00", "R-FAILED"),
        line(7, &num(7), "退款", "80.00", "-3.00", "PORTAL-1"),
        line(1, &num(1), "交易", "100.00", "100.00", ""),
        line(10, &num(99), "交易", "15.00", "15.00", ""),
        line(11, "SHOP-1234", "交易", "25.00", "25.00", ""),
        line(12, &num(8), "交易", "40.00", "40.00", ""),
        line(13, &num(1), "转账", "1.00", "1.00", ""),
    ];
    let raw = gbk_zip(
        &account,
        &detail(&account, "2026-11-24", &lines, Decimal::ZERO),
        &summary(&account, &lines),
        false,
    );
    let r = reconciled(import(&env, "portal.zip", raw).await.expect("reconciled"));
    let counts: BTreeMap<Category, u64> = r
        .summary
        .categories
        .iter()
        .map(|(c, t)| (*c, t.count))
        .collect();
    let expected: BTreeMap<Category, u64> = [
        (Category::Matched, 1),
        (Category::AmountMismatch, 1),
        (Category::MissedNotify, 1),
        (Category::PaidAfterClose, 1),
        (Category::StatusUnknown, 1),
        (Category::MissingFromBill, 1),
        (Category::RefundMatched, 1),
        (Category::RefundMismatch, 1),
        (Category::RefundUnresolved, 1),
        (Category::RefundFailedLocally, 1),
        (Category::RefundOutsidePaydesk, 1),
        (Category::RefundMissingFromBill, 1),
        (Category::Duplicate, 2),
        (Category::UnknownOrder, 1),
        (Category::OtherApp, 1),
        (Category::OtherType, 1),
    ]
    .into();
    assert_eq!(counts, expected);
    // Matches are counted, not stored: 15 rows, of which all but other_app/other_type are open.
    assert_eq!(r.discrepancies.len(), 15);
    assert_eq!(r.summary.open, 13);
    let by = |c: Category| {
        r.discrepancies
            .iter()
            .filter(|x| x.category == c)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        by(Category::AmountMismatch)[0].bill_amount,
        Some(d("49.00"))
    );
    assert_eq!(
        by(Category::AmountMismatch)[0].order_amount,
        Some(d("50.00"))
    );
    assert_eq!(by(Category::MissedNotify)[0].order_id, Some(o3));
    assert_eq!(by(Category::MissingFromBill)[0].order_id, Some(o6));
    assert_eq!(
        by(Category::RefundMismatch)[0].bill_amount,
        Some(d("-11.00"))
    );
    assert_eq!(
        by(Category::RefundMissingFromBill)[0]
            .out_request_no
            .as_deref(),
        Some("R-LOST")
    );
    assert_eq!(
        by(Category::RefundOutsidePaydesk)[0]
            .out_request_no
            .as_deref(),
        Some("PORTAL-1")
    );
    let dups = by(Category::Duplicate);
    assert!(
        dups.iter()
            .any(|x| x.message.contains("listed twice") && x.order_id == Some(o1)),
        "{dups:?}"
    );
    assert!(
        dups.iter().any(|x| x.message.contains("several orders")),
        "{dups:?}"
    );
    assert_eq!(
        r.summary.categories[&Category::Matched].bill_amount,
        d("100.00")
    );
    assert_eq!(r.summary.total.received, d("389.00"));
    assert_eq!(r.summary.total.refunded, d("-50.00"));
    // The bill charges 0.6 % on each payment (see `fee`): net is what is left after it.
    assert_eq!(r.summary.total.fees, d("-2.33"));
    assert_eq!(r.summary.total.net, d("337.67"));

    // Query an order the bill lacks: the simulator has no such trade. It informs, closes nothing.
    let missing = by(Category::MissingFromBill)[0].id.unwrap();
    let q = query_row(&env.desk, missing).await.expect("query");
    assert!(q.message.contains("TRADE_NOT_EXIST"), "{}", q.message);
    assert!(q.row.open());
    // Accept the portal refund with a note: closed, and audited with the whole note.
    let portal = by(Category::RefundOutsidePaydesk)[0].id.unwrap();
    assert!(matches!(
        accept_row(&env.desk, portal, "  ").await,
        Err(ReconError::InvalidInput(_))
    ));
    let note = "refunded by the finance lead in the merchant portal, ticket 4711, approved by the director".to_string();
    let a = accept_row(&env.desk, portal, &note).await.expect("accept");
    assert!(!a.row.open());
    assert!(a.row.action.as_deref().unwrap().chars().count() <= 64);
    let reopened = paydesk_core::reconcile::load(env.store(), r.run_id)
        .await
        .unwrap();
    assert_eq!(reopened.summary.open, 12);
    let audit = env.audit_count().await;
    assert!(audit >= 1);

    // A UTF-8 CSV of the same rows (a re-saved bill) and the summary-first zip give the same result.
    let utf8 = detail(&account, "2026-11-24", &lines, Decimal::ZERO).into_bytes();
    let again = reconciled(import(&env, "resaved.csv", utf8).await.expect("UTF-8 CSV"));
    assert_eq!(again.summary.categories, r.summary.categories);
    assert_eq!(again.bill.encoding, "UTF-8");
    let first = gbk_zip(
        &account,
        &detail(&account, "2026-11-24", &lines, Decimal::ZERO),
        &summary(&account, &lines),
        true,
    );
    let again = reconciled(
        import(&env, "summary-first.zip", first)
            .await
            .expect("summary first"),
    );
    assert_eq!(again.summary.categories, r.summary.categories);
    assert_eq!(
        again.bill.summary_name.as_deref(),
        Some(format!("{account}_20261124_业务明细(汇总).csv").as_str())
    );
    env.finish().await;
}

/// Everything a run could touch, to prove a refused bill touched nothing.
async fn fingerprint(env: &Env) -> (i64, i64, i64, i64) {
    (
        env.scalar("SELECT COUNT(*) AS v FROM paydesk_recon_runs", vec![])
            .await,
        env.scalar("SELECT COUNT(*) AS v FROM paydesk_recon_rows", vec![])
            .await,
        env.scalar("SELECT COUNT(*) AS v FROM paydesk_audit_log", vec![])
            .await,
        env.scalar(
            "SELECT SUM(order_status * 10 + id) AS v FROM {order}",
            vec![],
        )
        .await,
    )
}

async fn bad_bills_change_nothing(backend: Backend) {
    let env = env(backend).await;
    env.sim.clock().set_beijing("2026-11-25 09:00:00").unwrap();
    let account = env.sim.account();
    add_order(
        &env,
        1,
        "100.00",
        OrderStatus::Paid,
        Some("2026-11-24 10:01:00"),
    )
    .await;
    add_order(&env, 3, "30.00", OrderStatus::Unpaid, None).await;
    let lines = vec![
        line(1, &num(1), "交易", "100.00", "100.00", ""),
        line(3, &num(3), "交易", "30.00", "30.00", ""),
    ];
    let good = detail(&account, "2026-11-24", &lines, Decimal::ZERO);
    let before = fingerprint(&env).await;

    // Totals that do not add up, saying by how much.
    let e = import(
        &env,
        "skewed.csv",
        detail(&account, "2026-11-24", &lines, d("0.10")).into_bytes(),
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("off by -0.10 yuan"), "{e}");
    assert_eq!(e.kind().as_str(), "invalid_input");
    // A truncated file, and a cut zip.
    let cut = &good[..good
        .find("#-----------------------------------------业务明细列表结束")
        .unwrap()];
    let e = import(&env, "cut.csv", gbk(cut)).await.unwrap_err();
    assert!(e.to_string().contains("cut short"), "{e}");
    let zip = gbk_zip(&account, &good, &summary(&account, &lines), false);
    let e = import(&env, "cut.zip", zip[..zip.len() - 30].to_vec())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("damaged or cut short"), "{e}");
    // Another account's bill.
    let other = "20889999999999990156";
    let e = import(
        &env,
        "other.zip",
        gbk_zip(
            other,
            &detail(other, "2026-11-24", &lines, Decimal::ZERO),
            &summary(other, &lines),
            false,
        ),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&e, ReconError::OtherAccount { bill_account, .. } if bill_account == other),
        "{e}"
    );
    // Another day's bill for the asked day.
    let e = import(
        &env,
        "23.csv",
        detail(&account, "2026-11-23", &lines, Decimal::ZERO).into_bytes(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&e, ReconError::OtherPeriod { bill, requested } if bill == "2026-11-23" && requested == "2026-11-24"),
        "{e}"
    );
    // A day Alipay has no bill for (the simulator saw no trade): a clear result, nothing stored;
    // the paid order of that day is pointed out.
    let none = run(
        &env.desk,
        RunRequest {
            period: Some(Period::parse("2026-11-24").unwrap()),
            source: BillSource::Fetch,
            seller_id: None,
        },
        &Control::default(),
    )
    .await
    .expect("no bill is a result, not an error");
    match none {
        RunOutcome::NoBill {
            paid_orders,
            paid_amount,
            message,
            ..
        } => {
            assert_eq!((paid_orders, paid_amount), (1, d("100.00")));
            assert!(message.contains("no bill for 2026-11-24"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fingerprint(&env).await, before, "nothing changed");

    // The good bill still goes through afterwards.
    let r = reconciled(import(&env, "good.zip", zip).await.unwrap());
    assert_eq!(r.summary.open, 1);
    env.finish().await;
}

/// 20,000 paid orders, a bill naming 100 of them: 19,900 missing_from_bill rows, more than one
/// INSERT holds on either backend (4,000 rows per statement on SQLite, 7,500 on MySQL), so full
/// statements and the last, shorter one are all exercised. Every row is stored, the run reopens
/// to exactly the report the run returned, and a second run of the same bill still has them
/// all open.
async fn bill_lacking_most_orders(backend: Backend) {
    const ORDERS: i64 = 20_000;
    const BILLED_EVERY: i64 = 200;
    let env = env(backend).await;
    env.sim.clock().set_beijing("2026-11-25 09:00:00").unwrap();
    let account = env.sim.account();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    let price = |k: i64| Decimal::new(100 + (k * 37) % 10_000, 2);
    let paid_at = |k: i64| day.and_hms_opt(0, 0, 0).unwrap() + chrono::TimeDelta::seconds(k * 4);
    let number = |k: i64| {
        OrderNumber::generate(day, k % 1000 + 1, k)
            .unwrap()
            .to_string()
    };
    let mut tx = env.store().begin_write().await.unwrap();
    let cols = order_insert_cols(&tx);
    let rows = (0..ORDERS)
        .map(|k| {
            order_insert_values(&NewOrder {
                user_id: k % 1000 + 1,
                order_number: OrderNumber::parse(&number(k)).unwrap(),
                total_price: price(k),
                real_price: price(k),
                order_status: OrderStatus::Paid,
                pay_type: PayType::Alipay,
                credit: 0,
                order_desc: None,
                pay_time: Some(paid_at(k)),
                created_time: paid_at(k) - chrono::TimeDelta::minutes(1),
            })
        })
        .collect();
    let table = tx.names().order.clone();
    insert_many(&mut tx, &table, &cols, rows).await.unwrap();
    tx.commit().await.unwrap();

    // `Line` holds its amounts as &'static str, like the hand-written bills above.
    let amount = |k: i64| -> &'static str { Box::leak(price(k).to_string().into_boxed_str()) };
    let lines: Vec<Line> = (0..ORDERS)
        .filter(|k| k % BILLED_EVERY == 0)
        .map(|k| line(k as u32, &number(k), "交易", amount(k), amount(k), ""))
        .collect();
    let raw = gbk_zip(
        &account,
        &detail(&account, "2026-11-24", &lines, Decimal::ZERO),
        &summary(&account, &lines),
        false,
    );
    // Cancelled once the first rows are written: the run's transaction is dropped, nothing
    // stays.
    let before = fingerprint(&env).await;
    let ctl = Control::default();
    let flag = ctl.cancel.clone();
    let ctl = Control {
        progress: Some(std::sync::Arc::new(move |p| {
            if p.stage == "store" && p.done > 0 {
                flag.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        })),
        ..ctl
    };
    let req = RunRequest {
        period: Some(Period::parse("2026-11-24").unwrap()),
        source: BillSource::Bytes {
            name: "lacking.zip".into(),
            bytes: raw.clone(),
        },
        seller_id: None,
    };
    let e = run(&env.desk, req, &ctl).await.unwrap_err();
    assert!(matches!(e, ReconError::Cancelled), "{e}");
    assert_eq!(
        fingerprint(&env).await,
        before,
        "a cancelled run stores nothing"
    );

    let r = reconciled(
        import(&env, "lacking.zip", raw.clone())
            .await
            .expect("reconciled"),
    );

    let missing: Vec<i64> = (0..ORDERS).filter(|k| k % BILLED_EVERY != 0).collect();
    let missing_sum: Decimal = missing.iter().map(|k| price(*k)).sum();
    let cats = &r.summary.categories;
    assert_eq!(cats[&Category::Matched].count, 100);
    assert_eq!(cats[&Category::MissingFromBill].count, missing.len() as u64);
    assert_eq!(cats[&Category::MissingFromBill].order_amount, missing_sum);
    assert_eq!(cats.len(), 2, "{cats:?}");
    assert_eq!(r.summary.open, missing.len() as u64);
    assert_eq!(r.status, "open");

    // Every row is in the report, with its id, in pay-time order, each naming its order.
    assert_eq!(r.discrepancies.len(), missing.len());
    let ids: Vec<i64> = r.discrepancies.iter().map(|x| x.id.unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids increase");
    for (x, k) in r.discrepancies.iter().zip(&missing) {
        assert_eq!(x.category, Category::MissingFromBill);
        assert_eq!(x.out_trade_no.as_deref(), Some(number(*k).as_str()));
        assert_eq!(x.order_amount, Some(price(*k)));
        assert_eq!(x.at, Some(paid_at(*k)));
        assert_eq!(x.local_status.as_deref(), Some("paid"));
        assert!(
            x.message.contains(&format!("paid locally ({})", price(*k))),
            "{}",
            x.message
        );
        assert!(x.open());
    }
    let sum: Decimal = r.discrepancies.iter().filter_map(|x| x.order_amount).sum();
    assert_eq!(sum, missing_sum);

    // Every row is stored, and the run reopens to exactly the report the run returned.
    let stored = env
        .scalar(
            "SELECT COUNT(*) AS v FROM paydesk_recon_rows WHERE run_id = ?",
            vec![r.run_id.into()],
        )
        .await;
    assert_eq!(stored, missing.len() as i64);
    let reopened = load(env.store(), r.run_id).await.unwrap();
    assert_eq!(reopened, r);
    let csv = String::from_utf8(report::to_csv(&reopened).unwrap()).unwrap();
    assert_eq!(
        csv.matches(",missing_from_bill,yes,").count(),
        missing.len()
    );

    // The same bill again: nothing resolved, nothing new, every row still open.
    let again = reconciled(import(&env, "lacking.zip", raw).await.expect("again"));
    assert_eq!(again.discrepancies.len(), missing.len());
    let diff = compare(env.store(), r.run_id, again.run_id).await.unwrap();
    assert_eq!(
        (diff.resolved.len(), diff.new.len(), diff.still_open.len()),
        (0, 0, missing.len())
    );
    assert_eq!(diff.still_open, again.discrepancies);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn row_ids_follow_interleaved_runs() {
    for backend in BACKENDS {
        row_ids_follow_interleaved(backend).await;
    }
}

/// A run's rows whose ids are not one unbroken range (another run's rows between them, as
/// MySQL can interleave concurrent inserts) are still given their own ids, in order; and they
/// read back in id order exactly as written, NULL apart from '', text with the characters
/// SQLite's packed read separates with included.
async fn row_ids_follow_interleaved(backend: Backend) {
    use paydesk_core::queries::reconcile::{NewRow, RowWriter, row_ids, stream_rows_of_run};
    let env = env(backend).await;
    let mut tx = env.store().begin_write().await.unwrap();
    let row = |out: &'static str, trade: Option<&'static str>| NewRow {
        category: "missing_from_bill",
        trade_no: trade,
        out_trade_no: Some(out),
        order_id: Some(7),
        bill_amount: None,
        order_amount: Some(d("1.25")),
        detail: "{}",
    };
    // Run 1: two rows, then run 2: one row, then run 1: two more.
    let (a, b) = (RowWriter::new(&tx, 1), RowWriter::new(&tx, 2));
    let batches = [
        (&a, vec![row("A1", None), row("A\u{1f}2", Some(""))]),
        (&b, vec![row("B1", Some("T"))]),
        (&a, vec![row("A3", Some("x\u{1e}y")), row("A4", Some("T4"))]),
    ];
    for (w, rows) in &batches {
        let mut batch = w.batch();
        for r in rows {
            batch.push(*r);
        }
        assert_eq!(w.write(&mut tx, batch).await.unwrap(), rows.len() as u64);
    }
    let one = row_ids(&mut tx, 1, 4).await.unwrap();
    let two = row_ids(&mut tx, 2, 1).await.unwrap();
    assert!(
        one[0] < one[1] && one[1] < two[0] && two[0] < one[2] && one[2] < one[3],
        "{one:?} {two:?}"
    );
    // A count that does not match what is stored is an error, not a guess.
    assert!(row_ids(&mut tx, 1, 5).await.is_err());
    tx.commit().await.unwrap();

    let mut read = Vec::new();
    stream_rows_of_run(env.store(), 1, |r| {
        read.push(r);
        Ok(true)
    })
    .await
    .unwrap();
    let got: Vec<_> = read
        .iter()
        .map(|r| {
            (
                r.id,
                r.run_id,
                r.category.as_str(),
                r.out_trade_no.as_deref(),
                r.trade_no.as_deref(),
                r.order_id,
                r.bill_amount,
                r.order_amount,
                r.detail.as_deref(),
                r.action.as_deref(),
            )
        })
        .collect();
    let want: Vec<_> = [
        ("A1", None),
        ("A\u{1f}2", Some("")),
        ("A3", Some("x\u{1e}y")),
        ("A4", Some("T4")),
    ]
    .into_iter()
    .zip(&one)
    .map(|((out, trade), id)| {
        (
            *id,
            1,
            "missing_from_bill",
            Some(out),
            trade,
            Some(7),
            None,
            Some(d("1.25")),
            Some("{}"),
            None,
        )
    })
    .collect();
    assert_eq!(got, want);
    // Stopping early stops.
    let mut n = 0;
    stream_rows_of_run(env.store(), 1, |_| {
        n += 1;
        Ok(n < 2)
    })
    .await
    .unwrap();
    assert_eq!(n, 2);
    env.finish().await;
}
