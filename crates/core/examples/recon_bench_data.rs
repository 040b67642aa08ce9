//! Data for the reconciliation benchmark (scripts/bench/reconcile/run.sh): a new SQLite platform
//! database with N orders of 2026-11-24 (batched multi-row INSERTs, as Django would write them)
//! and Paydesk refunds, plus Alipay's trade bill of that day for them — a zip with GBK entry
//! names and GBK, deflated contents, N lines (payments and refunds) — with known discrepancies:
//!
//! - payments for the first 99 % of the orders, refunds (−0.50) for 1 % of those;
//! - every 2000th paid order billed 0.01 more (amount_mismatch), every 2000th (offset) still
//!   unpaid locally (missed_notify);
//! - the last 1 % of the orders are not in the bill: unpaid, except every 100th paid
//!   (missing_from_bill).
//!
//! With `--missing` the bill lists only every 100th of those payments (the refunds stay): the
//! case of a bill that lacks most of the period's orders, ~98 % of them `missing_from_bill`
//! rows that all have to be stored. With `--bill-only` an existing database of the same N is
//! kept (it is the same for both bills) and only the bill is written.
//!
//! It prints the expected counts as JSON so the runner can check both implementations.
//!
//! `cargo run --release -p paydesk-core --example recon_bench_data -- DB.sqlite BILL.zip [N] [--missing] [--bill-only]`

use std::io::Write as _;
use std::sync::Arc;

use alipay::{Clock, FixedClock};
use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use paydesk_core::StoreConfig;
use paydesk_core::db::Val;
use paydesk_core::domain::{OrderNumber, OrderStatus, PayType};
use paydesk_core::queries::insert_many;
use paydesk_core::queries::orders::{NewOrder, order_insert_cols, order_insert_values};
use rust_decimal::Decimal;

const CHUNK: usize = 20_000;

struct Plan {
    n: usize,
    day: NaiveDate,
    /// Bill only every 100th payment.
    missing: bool,
}

impl Plan {
    fn billed(&self) -> usize {
        self.n - self.n / 100
    }
    fn refunds(&self) -> usize {
        self.n - self.billed()
    }
    fn number(&self, i: usize) -> String {
        OrderNumber::generate(self.day, (i % 100_000) as i64 + 1, i as i64)
            .expect("order number")
            .to_string()
    }
    fn price(&self, i: usize) -> Decimal {
        Decimal::new(100 + (i as i64 * 37) % 500_000, 2)
    }
    fn paid_at(&self, i: usize) -> NaiveDateTime {
        self.day.and_hms_opt(0, 0, 0).unwrap()
            + TimeDelta::seconds((i as i64 * 86_399) / self.n as i64)
    }
    /// Whether the bill lists the payment of billed order `i`.
    fn in_bill(&self, i: usize) -> bool {
        i < self.billed() && (!self.missing || i.is_multiple_of(100))
    }
    fn mismatch(&self, i: usize) -> bool {
        i < self.billed() && i % 2000 == 7
    }
    fn missed(&self, i: usize) -> bool {
        i < self.billed() && i % 2000 == 11
    }
    fn status(&self, i: usize) -> OrderStatus {
        if i < self.billed() {
            if self.missed(i) {
                OrderStatus::Unpaid
            } else {
                OrderStatus::Paid
            }
        } else if (i - self.billed()).is_multiple_of(100) {
            OrderStatus::Paid
        } else {
            OrderStatus::Unpaid
        }
    }
    /// The order refunded: every 99th billed order that is paid locally.
    fn refunded(&self, k: usize) -> usize {
        let i = k * 99;
        if self.missed(i) { i + 1 } else { i }
    }
}

fn money(d: Decimal) -> String {
    let mut v = d;
    v.rescale(2);
    v.to_string()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let all: Vec<String> = std::env::args().skip(1).collect();
    let flag = |f: &str| all.iter().any(|a| a == f);
    let (missing, bill_only) = (flag("--missing"), flag("--bill-only"));
    let args: Vec<&String> = all.iter().filter(|a| !a.starts_with("--")).collect();
    let usage = "usage: DB.sqlite BILL.zip [N] [--missing] [--bill-only]";
    let (db, bill) = (*args.first().ok_or(usage)?, *args.get(1).ok_or(usage)?);
    let n: usize = args.get(2).map_or(Ok(1_000_000), |s| s.parse())?;
    let plan = Plan {
        n,
        day: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
        missing,
    };
    if !(bill_only && std::path::Path::new(db).exists()) {
        write_db(&plan, db).await?;
    }
    write_bill(&plan, bill)?;
    print_expected(&plan);
    Ok(())
}

/// The platform database: N orders and the Paydesk refunds (the same for both bills).
async fn write_db(plan: &Plan, db: &str) -> Result<(), Box<dyn std::error::Error>> {
    let n = plan.n;
    let _ = std::fs::remove_file(db);
    let clock: Arc<dyn Clock> =
        Arc::new(FixedClock::at_beijing("2026-11-25 08:00:00").ok_or("clock")?);
    let store = paydesk_core::admin::init_new(&StoreConfig::new(db), clock).await?;

    let created = plan.day.and_hms_opt(0, 0, 0).unwrap();
    let mut i = 0;
    while i < n {
        let mut tx = store.begin_write().await?;
        let cols = order_insert_cols(&tx);
        let rows: Vec<Vec<Val>> = (i..(i + CHUNK).min(n))
            .map(|k| {
                let status = plan.status(k);
                order_insert_values(&NewOrder {
                    user_id: (k % 100_000) as i64 + 1,
                    order_number: OrderNumber::parse(&plan.number(k)).expect("number"),
                    total_price: plan.price(k),
                    real_price: plan.price(k),
                    order_status: status,
                    pay_type: PayType::Alipay,
                    credit: 0,
                    order_desc: None,
                    pay_time: (status == OrderStatus::Paid).then(|| plan.paid_at(k)),
                    created_time: created.max(plan.paid_at(k) - TimeDelta::minutes(2)),
                })
            })
            .collect();
        let table = tx.names().order.clone();
        insert_many(&mut tx, &table, &cols, rows).await?;
        tx.commit().await?;
        i += CHUNK;
    }
    let mut tx = store.begin_write().await?;
    let cols: Vec<String> = [
        "out_request_no",
        "order_id",
        "order_number",
        "amount",
        "reason",
        "status",
        "operator",
        "profile",
        "full_refund",
        "attempts",
        "created_time",
        "updated_time",
        "resolved_time",
        "gmt_refund_pay",
    ]
    .map(String::from)
    .into();
    let rows: Vec<Vec<Val>> = (0..plan.refunds())
        .map(|k| {
            let o = plan.refunded(k);
            let at = plan.paid_at(o) + TimeDelta::seconds(30);
            vec![
                Val::from(format!("{}R1", plan.number(o))),
                Val::I64(o as i64 + 1),
                Val::from(plan.number(o)),
                Val::Money(Decimal::new(50, 2)),
                Val::from("bench"),
                Val::from("succeeded"),
                Val::from("bench"),
                Val::from("simulator"),
                Val::I64(0),
                Val::I64(1),
                Val::Time(at),
                Val::Time(at),
                Val::Time(at),
                Val::Time(at),
            ]
        })
        .collect();
    insert_many(&mut tx, "paydesk_refunds", &cols, rows).await?;
    tx.commit().await?;
    store.close().await;
    Ok(())
}

/// Alipay's bill, written as GBK bytes straight into a deflated zip entry.
fn write_bill(plan: &Plan, bill: &str) -> Result<(), Box<dyn std::error::Error>> {
    let payments = (0..plan.billed()).filter(|k| plan.in_bill(*k)).count();
    let account = "20881234567890120156";
    let gbk = |s: &str| encoding_rs::GBK.encode(s).0.into_owned();
    let subject = gbk("Python 全栈开发");
    let mut detail: Vec<u8> = Vec::with_capacity((payments + plan.refunds()) * 230);
    detail.extend(gbk(&format!(
        "#支付宝业务明细查询\r\n#账号：[{account}]\r\n#起始日期：[2026年11月24日 00:00:00]   终止日期：[2026年11月25日 00:00:00]\r\n\
         #-----------------------------------------业务明细列表----------------------------------------\r\n\
         支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注\r\n"
    )));
    let (pay, refund) = (gbk("交易"), gbk("退款"));
    let (mut pay_sum, mut ref_sum, mut fees) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let row = |trade: usize,
               i: usize,
               kind: &[u8],
               amount: Decimal,
               recv: Decimal,
               req: &str,
               fee: Decimal,
               at: NaiveDateTime,
               out: &mut Vec<u8>| {
        write!(out, "2026112422001{trade:015}\t,{}\t,", plan.number(i)).unwrap();
        out.extend_from_slice(kind);
        out.extend_from_slice(b"\t,");
        out.extend_from_slice(&subject);
        let t = at.format("%Y-%m-%d %H:%M:%S");
        write!(
            out,
            ",{},{t},,,,,b***@example.com,{},{},0.00,0.00,0.00,0.00,0.00,,0.00,0.00,{req},{},0.00,\r\n",
            (at - TimeDelta::seconds(40)).format("%Y-%m-%d %H:%M:%S"),
            money(amount),
            money(recv),
            money(fee)
        )
        .unwrap();
    };
    for k in (0..plan.billed()).filter(|k| plan.in_bill(*k)) {
        let billed = plan.price(k)
            + if plan.mismatch(k) {
                Decimal::new(1, 2)
            } else {
                Decimal::ZERO
            };
        // Half away from zero, as Alipay rounds (and reconciliation checks each fee that way).
        let fee = -(billed * Decimal::new(6, 3))
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        row(
            k,
            k,
            &pay,
            billed,
            billed,
            "",
            fee,
            plan.paid_at(k),
            &mut detail,
        );
        pay_sum += billed;
        fees += fee;
    }
    for k in 0..plan.refunds() {
        let o = plan.refunded(k);
        let req = format!("{}R1\t", plan.number(o));
        row(
            o,
            o,
            &refund,
            plan.price(o),
            Decimal::new(-50, 2),
            &req,
            Decimal::ZERO,
            plan.paid_at(o) + TimeDelta::seconds(30),
            &mut detail,
        );
        ref_sum -= Decimal::new(50, 2);
    }
    detail.extend(gbk(&format!(
        "#-----------------------------------------业务明细列表结束------------------------------------\r\n\
         #交易合计：{}笔，商家实收共{}元，商家优惠共0.00元\r\n#退款合计：{}笔，商家实收退款共{}元，商家优惠退款共0.00元\r\n\
         #导出时间：[2026年11月25日 05:46:49]\r\n",
        payments,
        money(pay_sum),
        plan.refunds(),
        money(ref_sum)
    )));
    let received = pay_sum + ref_sum;
    let summary = gbk(&format!(
        "#支付宝业务汇总查询\r\n#账号：[{account}]\r\n#起始日期：[2026年11月24日 00:00:00]   终止日期：[2026年11月25日 00:00:00]\r\n\
         #-----------------------------------------业务汇总列表----------------------------------------\r\n\
         门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,支付宝优惠（元）,商家优惠（元）,卡消费金额（元）,服务费（元）,分润（元）,实收净额（元）\r\n\
         合计,,{},{},{},{},0.00,0.00,0.00,{},0.00,{}\r\n\
         #-----------------------------------------业务汇总列表结束------------------------------------\r\n",
        payments,
        plan.refunds(),
        money(pay_sum),
        money(received),
        money(fees),
        money(received + fees)
    ));
    let mut zw = zip::ZipWriter::new(std::fs::File::create(bill)?);
    for (name, data) in [
        (format!("{account}_20261124_业务明细(汇总).csv"), &summary),
        (format!("{account}_20261124_业务明细.csv"), &detail),
    ] {
        let raw = gbk(&name);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .name(&raw);
        zw.start_file_with_options(opts)?;
        zw.write_all(data)?;
    }
    zw.finish()?;
    Ok(())
}

fn print_expected(plan: &Plan) {
    let billed = (0..plan.billed()).filter(|k| plan.in_bill(*k));
    let payments = billed.clone().count();
    let mismatch = billed.clone().filter(|k| plan.mismatch(*k)).count();
    let missed = billed.filter(|k| plan.missed(*k)).count();
    // Paid locally and not in the bill: the unbilled tail's paid orders, and with `--missing`
    // every paid order the bill leaves out.
    let missing = (0..plan.n)
        .filter(|k| !plan.in_bill(*k) && plan.status(*k) == OrderStatus::Paid)
        .count();
    let mut expected = serde_json::json!({
        "matched": payments - mismatch - missed,
        "missing_from_bill": missing,
        "refund_matched": plan.refunds(),
    });
    // Only the categories that occur: the runner compares the whole map.
    for (name, count) in [("amount_mismatch", mismatch), ("missed_notify", missed)] {
        if count > 0 {
            expected[name] = count.into();
        }
    }
    println!(
        "{}",
        serde_json::json!({
            "bill_lines": payments + plan.refunds(),
            "orders": plan.n,
            "expected": expected,
        })
    );
}
