//! Reconciliation without false alarms, with bills laid out as Alipay lays them out (GBK,
//! Chinese headers, `\t,` after ids, 服务费 negative when charged): a payment completed at
//! Alipay before midnight and settled here after it, a settle days late, a fee off by a fen,
//! and a refund of another app's trade. On SQLite and on MariaDB.

mod ops_support;

use chrono::{NaiveDate, NaiveDateTime};
use ops_support::*;
use paydesk_core::domain::{OrderNumber, OrderStatus, PayType};
use paydesk_core::queries::orders::{NewOrder, insert};
use paydesk_core::reconcile::{
    BillSource, Category, Control, Period, RunOutcome, RunReport, RunRequest, run,
};
use rust_decimal::Decimal;

fn t(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
}

fn num(counter: i64) -> String {
    format!("2026112300000002{counter:08}")
}

async fn order(env: &Env, counter: i64, price: &str, paid_here: Option<&str>) -> i64 {
    let mut tx = env.store().begin_write().await.unwrap();
    let id = insert(
        &mut tx,
        &NewOrder {
            user_id: 1,
            order_number: OrderNumber::parse(&num(counter)).unwrap(),
            total_price: d(price),
            real_price: d(price),
            order_status: if paid_here.is_some() {
                OrderStatus::Paid
            } else {
                OrderStatus::Unpaid
            },
            pay_type: PayType::Alipay,
            credit: 0,
            order_desc: None,
            pay_time: paid_here.map(t),
            created_time: t("2026-11-23 09:00:00"),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

/// One bill row: (out_trade_no, 业务类型, 完成时间, 订单金额 = 商家实收, 退款请求号, 服务费).
struct Row<'a>(&'a str, &'a str, &'a str, &'a str, &'a str, &'a str);

const HEADER: &str = "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注";

/// A day's detail file as Alipay exports it, GBK-encoded.
fn bill(account: &str, day: &str, rows: &[Row<'_>]) -> Vec<u8> {
    let start = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
    let cn = |d: NaiveDate| d.format("%Y年%m月%d日 00:00:00").to_string();
    let mut s = format!(
        "#支付宝业务明细查询\r\n#账号：[{account}]\r\n#起始日期：[{}]   终止日期：[{}]\r\n\
         #-----------------------------------------业务明细列表----------------------------------------\r\n{HEADER}\r\n",
        cn(start),
        cn(start.succ_opt().unwrap())
    );
    let (mut pn, mut ps, mut rn, mut rs) = (0, Decimal::ZERO, 0, Decimal::ZERO);
    for (i, r) in rows.iter().enumerate() {
        let amount = if r.1 == "退款" {
            format!("-{}", r.3)
        } else {
            r.3.to_string()
        };
        let req = if r.4.is_empty() {
            String::new()
        } else {
            format!("{}\t", r.4)
        };
        s.push_str(&format!(
            "2026112322001400000001{i:06}\t,{}\t,{}\t,Python 全栈,{},{},,,,,b***@example.com,{amount},{amount},0.00,0.00,0.00,0.00,0.00,,0.00,0.00,{req},{},0.00,\r\n",
            r.0, r.1, r.2, r.2, r.5
        ));
        if r.1 == "交易" {
            pn += 1;
            ps += d(&amount);
        } else {
            rn += 1;
            rs += d(&amount);
        }
    }
    s.push_str("#-----------------------------------------业务明细列表结束------------------------------------\r\n");
    s.push_str(&format!(
        "#交易合计：{pn}笔，商家实收共{ps}元，商家优惠共0.00元\r\n#退款合计：{rn}笔，商家实收退款共{rs}元，商家优惠退款共0.00元\r\n#导出时间：[2026年11月30日 05:46:49]\r\n"
    ));
    encoding_rs::GBK.encode(&s).0.into_owned()
}

async fn reconcile(env: &Env, day: &str, bytes: Vec<u8>) -> RunReport {
    let req = RunRequest {
        period: Some(Period::parse(day).unwrap()),
        source: BillSource::Bytes {
            name: format!(
                "{}_{}_业务明细.csv",
                env.sim.account(),
                day.replace('-', "")
            ),
            bytes,
        },
        seller_id: None,
    };
    match run(&env.desk, req, &Control::default()).await.unwrap() {
        RunOutcome::Reconciled(r) => *r,
        other => panic!("{other:?}"),
    }
}

fn open(r: &RunReport) -> Vec<(Category, Option<String>)> {
    r.discrepancies
        .iter()
        .filter(|d| d.open())
        .map(|d| (d.category, d.out_trade_no.clone()))
        .collect()
}

async fn cross_day_payments_are_no_discrepancy(backend: Backend) {
    let env = env(backend).await;
    env.sim.clock().set_beijing("2026-11-30 09:00:00").unwrap();
    let account = env.sim.account();
    // A: Alipay completed it at 23:59:58 on the 23rd; the notify settled it here at 00:00:04.
    order(&env, 1, "100.00", Some("2026-11-24 00:00:04")).await;
    // B: an ordinary payment of the 24th.
    order(&env, 2, "50.00", Some("2026-11-24 10:00:00")).await;
    // C: paid at Alipay on the 23rd, its notify lost; still unpaid here when the 23rd is run.
    let c = order(&env, 3, "30.00", None).await;

    let day23 = bill(
        &account,
        "2026-11-23",
        &[
            Row(
                &num(1),
                "交易",
                "2026-11-23 23:59:58",
                "100.00",
                "",
                "-0.60",
            ),
            Row(&num(3), "交易", "2026-11-23 11:00:00", "30.00", "", "-0.18"),
        ],
    );
    let r23 = reconcile(&env, "2026-11-23", day23).await;
    // A is matched on the day Alipay completed it, and kept as an explained row.
    let a_row = r23
        .discrepancies
        .iter()
        .find(|d| d.out_trade_no.as_deref() == Some(num(1).as_str()))
        .expect("A's cross-day match is recorded");
    assert_eq!(a_row.category, Category::Matched);
    assert!(!a_row.open());
    assert_eq!(open(&r23), vec![(Category::MissedNotify, Some(num(3)))]);

    // C is settled three days late (a person acted on the missed notify).
    let mut tx = env.store().begin_write().await.unwrap();
    paydesk_core::queries::orders::set_status_if(
        &mut tx,
        c,
        OrderStatus::Unpaid,
        OrderStatus::Paid,
        Some(t("2026-11-26 09:30:00")),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    // The 24th's bill has B only: A (paid here on the 24th) is not missing from it.
    let day24 = bill(
        &account,
        "2026-11-24",
        &[Row(
            &num(2),
            "交易",
            "2026-11-24 10:00:01",
            "50.00",
            "",
            "-0.30",
        )],
    );
    let r24 = reconcile(&env, "2026-11-24", day24).await;
    assert_eq!(open(&r24), vec![], "{:#?}", r24.discrepancies);
    assert!(
        !r24.summary
            .categories
            .contains_key(&Category::MissingFromBill)
    );

    // The 26th's bill is empty of C (Alipay has it on the 23rd): C is not missing either.
    let day26 = bill(&account, "2026-11-26", &[]);
    let r26 = reconcile(&env, "2026-11-26", day26).await;
    assert_eq!(open(&r26), vec![], "{:#?}", r26.discrepancies);
    env.finish().await;
}

async fn fees_and_other_apps(backend: Backend) {
    let env = env(backend).await;
    env.sim.clock().set_beijing("2026-11-30 09:00:00").unwrap();
    let account = env.sim.account();
    order(&env, 11, "2398.00", Some("2026-11-23 10:00:00")).await;
    order(&env, 12, "399.50", Some("2026-11-23 10:05:00")).await;
    order(&env, 13, "0.01", Some("2026-11-23 10:06:00")).await;
    let day = bill(
        &account,
        "2026-11-23",
        &[
            // 0.6 % of 2398.00 is 14.388 → 14.39, half away from zero, as Alipay rounds.
            Row(
                &num(11),
                "交易",
                "2026-11-23 10:00:01",
                "2398.00",
                "",
                "-14.39",
            ),
            // 0.6 % of 399.50 is 2.397 → 2.40; the bill says 2.39: a fen off.
            Row(
                &num(12),
                "交易",
                "2026-11-23 10:05:01",
                "399.50",
                "",
                "-2.39",
            ),
            // 0.6 % of 0.01 rounds to nothing.
            Row(&num(13), "交易", "2026-11-23 10:06:01", "0.01", "", "0.00"),
            // Another app's trade and its refund on the same account.
            Row(
                "SHOP-7731-A",
                "交易",
                "2026-11-23 12:00:00",
                "10.00",
                "",
                "-0.06",
            ),
            Row(
                "SHOP-7731-A",
                "退款",
                "2026-11-23 13:00:00",
                "10.00",
                "SHOP-R1",
                "0.06",
            ),
        ],
    );
    let r = reconcile(&env, "2026-11-23", day).await;
    let fee: Vec<_> = r
        .discrepancies
        .iter()
        .filter(|d| d.category == Category::FeeMismatch)
        .collect();
    assert_eq!(fee.len(), 1, "{:#?}", r.discrepancies);
    assert_eq!(fee[0].out_trade_no.as_deref(), Some(num(12).as_str()));
    assert!(fee[0].message.contains("-2.40"), "{}", fee[0].message);
    assert!(fee[0].open(), "a fee off the contract needs a person");
    let refund = r
        .discrepancies
        .iter()
        .find(|d| d.out_request_no.as_deref() == Some("SHOP-R1"))
        .unwrap();
    assert_eq!(refund.category, Category::OtherApp);
    assert!(
        !r.summary
            .categories
            .contains_key(&Category::RefundOutsidePaydesk),
        "{:?}",
        r.summary.categories
    );
    assert_eq!(open(&r), vec![(Category::FeeMismatch, Some(num(12)))]);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cross_day_sqlite() {
    cross_day_payments_are_no_discrepancy(Backend::Sqlite).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cross_day_mariadb() {
    cross_day_payments_are_no_discrepancy(Backend::MySql).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fees_and_other_apps_sqlite() {
    fees_and_other_apps(Backend::Sqlite).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fees_and_other_apps_mariadb() {
    fees_and_other_apps(Backend::MySql).await;
}
