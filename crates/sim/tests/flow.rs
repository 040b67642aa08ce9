//! The whole merchant flow with crates/alipay's own client against the simulator: pay link →
//! cashier → pay → return URL and notify verified → query → refunds → refund query → close →
//! bill for yesterday. The python-alipay-sdk runs the same flow in scripts/sim.

mod common;

use std::io::Read as _;

use alipay::{Clock, GatewayError, RefundRequest, TradeRef, TradeStatus};
use chrono::{Datelike, Duration};
use rust_decimal::Decimal;
use sim::LedgerKind;

use common::*;

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[tokio::test]
async fn merchant_flow_with_crates_alipay() {
    let sim = start().await;
    let client = client(&sim);
    let notify = NotifyListener::start(0).await;

    let mut req = pay_request("flow_0001", "1579.00", "Python 全栈课程");
    req.return_url = Some("http://127.0.0.1:9/return".into());
    req.notify_url = Some(notify.url.clone());
    req.passback_params = Some("order=1&from=paydesk".into());
    let link = link(&sim, &req);

    // Before the buyer opens the cashier, Alipay has no such trade.
    let e = client
        .query(TradeRef::OutTradeNo("flow_0001".into()))
        .await
        .unwrap_err();
    assert!(e.is_trade_not_exist(), "{e}");

    let page = open_cashier(&link).await;
    assert!(
        page.contains("Python 全栈课程") && page.contains("1579.00") && page.contains("flow_0001")
    );
    assert!(page.contains(sim.app_id()));
    let q = client
        .query(TradeRef::OutTradeNo("flow_0001".into()))
        .await
        .unwrap();
    assert_eq!(q.trade_status, TradeStatus::WaitBuyerPay);
    assert_eq!(q.trade_no.len(), 28);
    assert!(
        q.trade_no
            .starts_with(&sim.clock().now_beijing().format("%Y%m%d").to_string())
    );

    // Pay through the test hook; the return URL verifies with the simulator's public key.
    let paid = sim.pay("flow_0001").unwrap();
    let ret = paid.return_url.unwrap();
    assert!(ret.starts_with("http://127.0.0.1:9/return?charset=utf-8&out_trade_no=flow_0001&method=alipay.trade.page.pay.return"));
    let v = alipay::verify_callback(&ret, sim.alipay_public_key()).unwrap();
    assert_eq!(v.trade_no(), Some(q.trade_no.as_str()));
    assert_eq!(v.total_amount(), Some(dec("1579.00")));
    assert_eq!(v.seller_id(), Some(sim.seller_id()));
    assert_eq!(v.app_id(), Some(sim.app_id()));
    // Verified with the app's own public key it must fail: the classic misconfiguration.
    assert!(alipay::verify_callback(&ret, sim.app_private_key().public_key()).is_err());

    // The notify arrives form-encoded and verifies; passback_params comes back still encoded.
    let bodies = notify.wait_for(1).await;
    let n = alipay::verify_callback(&bodies[0], sim.alipay_public_key()).unwrap();
    assert_eq!(n.get("notify_type"), Some("trade_status_sync"));
    assert_eq!(n.trade_status(), Some(TradeStatus::TradeSuccess));
    assert_eq!(n.receipt_amount(), Some(dec("1579.00")));
    assert_eq!(n.passback_params(), Some("order%3D1%26from%3Dpaydesk"));
    assert!(n.gmt_payment().is_some() && n.notify_id().is_some() && n.buyer_id().is_some());

    let q = client
        .query(TradeRef::OutTradeNo("flow_0001".into()))
        .await
        .unwrap();
    assert_eq!(q.trade_status, TradeStatus::TradeSuccess);
    assert_eq!(q.receipt_amount, Some(dec("1579.00")));
    assert!(q.send_pay_date.is_some());

    // Partial refund, its idempotent repeat, a discordant repeat, too much.
    let r1 = RefundRequest::new(
        TradeRef::OutTradeNo("flow_0001".into()),
        "100.00".parse().unwrap(),
        "rf_1",
    );
    let out = client.refund(&r1).await.unwrap();
    assert!(out.fund_change);
    assert_eq!(out.refund_fee, dec("100.00"));
    let again = client.refund(&r1).await.unwrap();
    assert!(
        !again.fund_change,
        "a repeated out_request_no moves no money"
    );
    assert_eq!(again.refund_fee, dec("100.00"));
    let other = RefundRequest::new(
        TradeRef::OutTradeNo("flow_0001".into()),
        "1.00".parse().unwrap(),
        "rf_1",
    );
    let e = client.refund(&other).await.unwrap_err();
    assert_eq!(e.sub_code(), Some("ACQ.DISCORDANT_REPEAT_REQUEST"));
    let big = RefundRequest::new(
        TradeRef::OutTradeNo("flow_0001".into()),
        "1479.01".parse().unwrap(),
        "rf_2",
    );
    let e = client.refund(&big).await.unwrap_err();
    assert_eq!(e.sub_code(), Some("ACQ.REASON_TRADE_REFUND_FEE_ERR"));

    let rq = client
        .refund_query(TradeRef::OutTradeNo("flow_0001".into()), "rf_1")
        .await
        .unwrap();
    assert!(rq.is_refunded());
    assert_eq!(rq.refund_amount, Some(dec("100.00")));
    let unknown = client
        .refund_query(TradeRef::OutTradeNo("flow_0001".into()), "rf_9")
        .await
        .unwrap();
    assert!(!unknown.is_refunded(), "an unknown request is not a refund");

    // The refund notify (trade still TRADE_SUCCESS, cumulative refund_fee, out_biz_no).
    let bodies = notify.wait_for(2).await;
    let input = alipay::parse_callback(&bodies[1]).unwrap();
    assert_eq!(input.get("out_biz_no"), Some("rf_1"));
    assert_eq!(input.get("refund_fee"), Some("100.00"));
    assert_eq!(input.get("trade_status"), Some("TRADE_SUCCESS"));
    sim.alipay_public_key()
        .verify(
            input.canonical().as_bytes(),
            input.sign().unwrap(),
            alipay::SignType::Rsa2,
        )
        .expect("refund notify signature");

    // Close: another trade, unpaid (cashier opened first), then a second close fails.
    let link2 = common::link(&sim, &pay_request("flow_0002", "9.90", "第二单"));
    let e = client
        .close(TradeRef::OutTradeNo("flow_0002".into()))
        .await
        .unwrap_err();
    assert!(e.is_trade_not_exist());
    open_cashier(&link2).await;
    client
        .close(TradeRef::OutTradeNo("flow_0002".into()))
        .await
        .unwrap();
    let e = client
        .close(TradeRef::OutTradeNo("flow_0002".into()))
        .await
        .unwrap_err();
    assert_eq!(e.sub_code(), Some("ACQ.TRADE_STATUS_ERROR"));
    let e = client
        .close(TradeRef::OutTradeNo("flow_0001".into()))
        .await
        .unwrap_err();
    assert_eq!(e.sub_code(), Some("ACQ.TRADE_STATUS_ERROR"));
    let q2 = client
        .query(TradeRef::OutTradeNo("flow_0002".into()))
        .await
        .unwrap();
    assert_eq!(q2.trade_status, TradeStatus::TradeClosed);

    // The bill of "today" does not exist yet; move a day and fetch yesterday's.
    let today = sim.clock().now_beijing().date();
    let e = client
        .bill_download_url("trade", &today.to_string())
        .await
        .unwrap_err();
    assert_eq!(e.sub_code(), Some("isv.invalid-arguments"));
    sim.clock().advance(Duration::days(1));
    let url = client
        .bill_download_url("trade", &today.to_string())
        .await
        .unwrap();
    let zip = client.download_bill(&url).await.unwrap();
    let bill = read_bill(&zip);
    let account = sim.account();
    let date = today.format("%Y%m%d").to_string();
    assert_eq!(
        bill.names,
        vec![
            format!("{account}_{date}_业务明细.csv"),
            format!("{account}_{date}_业务明细(汇总).csv")
        ]
    );
    let detail = &bill.texts[0];
    assert!(detail.starts_with("#支付宝业务明细查询\r\n#账号：["));
    let header = detail
        .lines()
        .find(|l| l.starts_with("支付宝交易号"))
        .unwrap();
    assert_eq!(header.split(',').count(), 25);
    let rows: Vec<&str> = detail
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("支付宝交易号"))
        .collect();
    assert_eq!(rows.len(), 2, "{detail}");
    let pay: Vec<&str> = rows[0].split(',').collect();
    assert_eq!(pay[0], format!("{}\t", q.trade_no));
    assert_eq!(pay[1], "flow_0001\t");
    assert_eq!(pay[2], "交易\t");
    assert_eq!(pay[12], "1579.00");
    let refund: Vec<&str> = rows[1].split(',').collect();
    assert_eq!(refund[2], "退款\t");
    assert_eq!(refund[12], "-100.00");
    assert_eq!(refund[21], "rf_1\t");
    assert!(detail.contains("#交易合计：1笔，商家实收共1579.00元，商家优惠共0.00元"));
    assert!(detail.contains("#退款合计：1笔，商家实收退款共-100.00元，商家优惠退款共0.00元"));
    assert!(
        bill.texts[1].contains("合计,,1,1,1579.00,1479.00"),
        "{}",
        bill.texts[1]
    );

    // After 30 s the URL no longer works.
    sim.clock().advance(Duration::seconds(31));
    let e = client.download_bill(&url).await.unwrap_err();
    assert!(matches!(e, GatewayError::Transport { .. }), "{e}");

    // The ledger: one payment, one refund, nothing for the repeats.
    let ledger = sim.ledger();
    assert_eq!(ledger.len(), 2);
    assert_eq!(ledger[0].kind, LedgerKind::Payment);
    assert_eq!(ledger[0].amount, dec("1579.00"));
    assert_eq!(ledger[1].kind, LedgerKind::Refund);
    assert_eq!(ledger[1].amount, dec("-100.00"));
    assert_eq!(ledger[1].out_request_no.as_deref(), Some("rf_1"));
    sim.stop().await;
}

struct Bill {
    names: Vec<String>,
    texts: Vec<String>,
}

/// Reads the zip the way a portal download must be read: raw GBK names, no UTF-8 flag.
fn read_bill(zip: &[u8]) -> Bill {
    let mut a = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut names = Vec::new();
    let mut texts = Vec::new();
    for i in 0..a.len() {
        let mut f = a.by_index(i).unwrap();
        let raw = f.name_raw().to_vec();
        assert!(
            std::str::from_utf8(&raw).is_err(),
            "the entry name must be GBK, not UTF-8"
        );
        let (name, _, bad) = encoding_rs::GBK.decode(&raw);
        assert!(!bad);
        names.push(name.into_owned());
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        let (text, _, bad) = encoding_rs::GBK.decode(&bytes);
        assert!(!bad);
        texts.push(text.into_owned());
    }
    // Bit 11 (UTF-8 names) of every local header's general purpose flags is clear.
    let mut at = 0;
    while let Some(p) = zip[at..].windows(4).position(|w| w == b"PK\x03\x04") {
        let flags = u16::from_le_bytes([zip[at + p + 6], zip[at + p + 7]]);
        assert_eq!(flags & 0x0800, 0, "UTF-8 flag set");
        at += p + 4;
    }
    Bill { names, texts }
}

#[tokio::test]
async fn a_day_without_trades_has_no_bill() {
    let sim = start().await;
    let client = client(&sim);
    let yesterday = (sim.clock().now_beijing() - Duration::days(1)).date();
    let e = client
        .bill_download_url("trade", &yesterday.to_string())
        .await
        .unwrap_err();
    assert!(e.is_bill_not_exist(), "{e}");
    let last_month =
        (sim.clock().now_beijing().date().with_day(1).unwrap() - Duration::days(1)).format("%Y-%m");
    let e = client
        .bill_download_url("trade", &last_month.to_string())
        .await
        .unwrap_err();
    assert!(e.is_bill_not_exist(), "{e}");
    sim.stop().await;
}
