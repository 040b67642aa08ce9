//! Request checks, cashier rules, refunds' edge cases, persistence and the control endpoints.

mod common;

use alipay::{Clock, RefundRequest, TradeRef, TradeStatus};
use chrono::Duration;
use sim::{SimConfig, Simulator};

use common::*;

const QUERY: &str = "alipay.trade.query";

fn sub_code(v: &serde_json::Value) -> &str {
    v["sub_code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn invalid_signature_shows_the_string_the_gateway_checked() {
    let sim = start().await;
    let mut p = signed_params(&sim, QUERY, r#"{"out_trade_no":"x"}"#);
    // Tamper after signing.
    p.set("biz_content", r#"{"out_trade_no":"y"}"#);
    let body = raw_call(&sim, &p).await;
    let v = answer(&sim, &body, QUERY);
    assert_eq!(v["code"], "40002");
    assert_eq!(sub_code(&v), "isv.invalid-signature");
    let msg = v["sub_msg"].as_str().unwrap();
    assert!(msg.starts_with(
        "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为："
    ));
    assert!(msg.ends_with(&p.canonical()), "{msg}");
    assert!(msg.contains("sign_type=RSA2"), "sign_type is signed");
    sim.stop().await;
}

#[tokio::test]
async fn common_parameter_errors_have_their_own_codes() {
    let sim = start().await;
    type Edit = Box<dyn Fn(&mut alipay::Params)>;
    let cases: Vec<(&str, Edit, &str, &str)> = vec![
        (
            "missing sign",
            Box::new(|p| {
                p.remove("sign");
            }),
            "40001",
            "isv.missing-signature",
        ),
        (
            "unknown app",
            Box::new(|p| {
                p.set("app_id", "2021999999999999");
            }),
            "40002",
            "isv.invalid-app-id",
        ),
        (
            "missing app",
            Box::new(|p| {
                p.remove("app_id");
            }),
            "40001",
            "isv.missing-app-id",
        ),
        (
            "bad charset",
            Box::new(|p| {
                p.set("charset", "latin1");
            }),
            "40002",
            "isv.invalid-charset",
        ),
        (
            "bad sign_type",
            Box::new(|p| {
                p.set("sign_type", "SM2");
            }),
            "40002",
            "isv.invalid-signature-type",
        ),
        (
            "old timestamp",
            Box::new(|p| {
                p.set("timestamp", "2020-01-01 00:00:00");
            }),
            "40002",
            "isv.invalid-timestamp",
        ),
        (
            "bad timestamp",
            Box::new(|p| {
                p.set("timestamp", "2020/01/01");
            }),
            "40002",
            "isv.invalid-timestamp",
        ),
        (
            "missing version",
            Box::new(|p| {
                p.remove("version");
            }),
            "40001",
            "isv.missing-version",
        ),
        (
            "bad format",
            Box::new(|p| {
                p.set("format", "XML");
            }),
            "40002",
            "isv.invalid-format",
        ),
    ];
    for (what, edit, code, sub) in cases {
        let mut p = signed_params(&sim, QUERY, r#"{"out_trade_no":"x"}"#);
        edit(&mut p);
        let body = raw_call(&sim, &p).await;
        let v = answer(&sim, &body, QUERY);
        assert_eq!(
            (v["code"].as_str().unwrap(), sub_code(&v)),
            (code, sub),
            "{what}: {body}"
        );
    }
    // Without a usable method there is no method key: error_response.
    let mut p = signed_params(&sim, QUERY, "{}");
    p.set("method", "alipay.trade.nonsense");
    let body = raw_call(&sim, &p).await;
    assert!(body.starts_with(r#"{"error_response":"#), "{body}");
    let v = alipay::verify_response(
        &body,
        "alipay.trade.nonsense",
        sim.alipay_public_key(),
        alipay::SignType::Rsa2,
        None,
    )
    .unwrap();
    assert!(v.is_error_response);
    assert_eq!(v.value["sub_code"], "isv.invalid-method");
    sim.stop().await;
}

#[tokio::test]
async fn charset_must_be_in_the_query_when_posting_cjk() {
    let sim = start().await;
    let p = signed_params(&sim, QUERY, r#"{"out_trade_no":"订单1"}"#);
    let body_all = p.to_query();
    // Everything in the body, nothing in the query: decoded as GBK, the CJK bytes change.
    let r = http()
        .post(sim.gateway_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body_all.clone())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(sub_code(&answer(&sim, &r, QUERY)), "isv.invalid-signature");
    // charset in the query: verified, and the trade is simply unknown.
    let r = http()
        .post(format!("{}?charset=utf-8", sim.gateway_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body_all)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(sub_code(&answer(&sim, &r, QUERY)), "ACQ.TRADE_NOT_EXIST");
    sim.stop().await;
}

#[tokio::test]
async fn responses_escape_slashes_and_sign_the_escaped_text() {
    let sim = start().await;
    let mut req = pay_request("esc_1", "1.00", "a/b 课程");
    req.notify_url = None;
    open_cashier(&link(&sim, &req)).await;
    sim.pay("esc_1").unwrap();
    sim.clock().advance(Duration::days(1));
    let day = (sim.clock().now_beijing() - Duration::days(1))
        .date()
        .to_string();
    let biz = format!(r#"{{"bill_type":"trade","bill_date":"{day}"}}"#);
    let body = raw_call(
        &sim,
        &signed_params(&sim, "alipay.data.dataservice.bill.downloadurl.query", &biz),
    )
    .await;
    assert!(
        body.contains(r#""bill_download_url":"http:\/\/127.0.0.1:"#),
        "{body}"
    );
    answer(
        &sim,
        &body,
        "alipay.data.dataservice.bill.downloadurl.query",
    );
    sim.stop().await;
}

#[tokio::test]
async fn cashier_rules_match_alipay() {
    let sim = start().await;
    let c = client(&sim);
    let l = link(&sim, &pay_request("cr_1", "20.00", "课程A"));
    assert!(open_cashier(&l).await.contains("确认付款"));
    // Same order number, other amount or subject.
    for (amount, subject) in [("20.01", "课程A"), ("20.00", "课程B")] {
        let page = open_cashier(&link(&sim, &pay_request("cr_1", amount, subject))).await;
        assert!(
            page.contains("ACQ.CONTEXT_INCONSISTENT"),
            "{amount} {subject}"
        );
    }
    // Reopening the same order is fine and shows the same trade.
    let t1 = sim.open_pay_link(&l).unwrap();
    assert_eq!(sim.trade("cr_1").unwrap().trade_no, t1.trade_no);
    sim.pay("cr_1").unwrap();
    assert!(open_cashier(&l).await.contains("ACQ.TRADE_HAS_SUCCESS"));
    assert_eq!(
        sim.pay("cr_1").unwrap_err().sub_code,
        "ACQ.TRADE_HAS_SUCCESS"
    );

    let l2 = link(&sim, &pay_request("cr_2", "1.00", "x"));
    open_cashier(&l2).await;
    c.close(TradeRef::OutTradeNo("cr_2".into())).await.unwrap();
    assert!(open_cashier(&l2).await.contains("ACQ.TRADE_HAS_CLOSE"));
    assert_eq!(sim.pay("cr_2").unwrap_err().sub_code, "ACQ.TRADE_HAS_CLOSE");

    // A tampered link is refused at the cashier with the invalid-signature page.
    let bad = l2.replace("x", "y");
    assert!(open_cashier(&bad).await.contains("isv.invalid-signature"));
    // Paying a trade whose cashier was never opened.
    assert_eq!(
        sim.pay("never").unwrap_err().sub_code,
        "ACQ.TRADE_NOT_EXIST"
    );
    sim.stop().await;
}

#[tokio::test]
async fn time_expire_and_timeout_express_close_unpaid_trades() {
    let sim = start().await;
    let c = client(&sim);
    let mut req = pay_request("te_1", "1.00", "x");
    req.timeout_express = Some("30m".into());
    open_cashier(&link(&sim, &req)).await;
    let mut req2 = pay_request("te_2", "1.00", "x");
    let deadline = sim.clock().now_beijing() + Duration::hours(2);
    req2.time_expire = Some(deadline.format("%Y-%m-%d %H:%M:%S").to_string());
    open_cashier(&link(&sim, &req2)).await;

    sim.clock().advance(Duration::minutes(31));
    let q = c.query(TradeRef::OutTradeNo("te_1".into())).await.unwrap();
    assert_eq!(q.trade_status, TradeStatus::TradeClosed);
    assert_eq!(sim.pay("te_1").unwrap_err().sub_code, "ACQ.TRADE_HAS_CLOSE");
    let q = c.query(TradeRef::OutTradeNo("te_2".into())).await.unwrap();
    assert_eq!(q.trade_status, TradeStatus::WaitBuyerPay);
    sim.clock().advance(Duration::hours(2));
    let q = c.query(TradeRef::OutTradeNo("te_2".into())).await.unwrap();
    assert_eq!(q.trade_status, TradeStatus::TradeClosed);

    // A deadline already past: no trade is created.
    // (crates/alipay refuses to build such a link, so sign the parameters directly.)
    let past = (sim.clock().now_beijing() - Duration::minutes(1)).format("%Y-%m-%d %H:%M:%S");
    let biz = format!(
        r#"{{"out_trade_no":"te_3","total_amount":"1.00","subject":"x","product_code":"FAST_INSTANT_TRADE_PAY","time_expire":"{past}"}}"#
    );
    let p = signed_params(&sim, "alipay.trade.page.pay", &biz);
    let l3 = format!("{}?{}", sim.gateway_url(), p.to_query());
    assert_eq!(
        sim.open_pay_link(&l3).unwrap_err().sub_code,
        "ACQ.TRADE_HAS_CLOSE"
    );
    assert!(sim.trade("te_3").is_none());
    sim.stop().await;
}

#[tokio::test]
async fn refund_edge_cases() {
    let sim = start().await;
    let c = client(&sim);
    let mut req = pay_request("re_1", "50.00", "x");
    req.notify_url = None;
    open_cashier(&link(&sim, &req)).await;

    // Not paid yet.
    let r = RefundRequest::new(
        TradeRef::OutTradeNo("re_1".into()),
        "1.00".parse().unwrap(),
        "a",
    );
    assert_eq!(
        c.refund(&r).await.unwrap_err().sub_code(),
        Some("ACQ.TRADE_STATUS_ERROR")
    );
    sim.pay("re_1").unwrap();

    // Partial without out_request_no (raw call: crates/alipay always sends one).
    let body = raw_call(
        &sim,
        &signed_params(
            &sim,
            "alipay.trade.refund",
            r#"{"out_trade_no":"re_1","refund_amount":"1.00"}"#,
        ),
    )
    .await;
    assert_eq!(
        sub_code(&answer(&sim, &body, "alipay.trade.refund")),
        "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"
    );
    // Bad amount.
    let body = raw_call(
        &sim,
        &signed_params(
            &sim,
            "alipay.trade.refund",
            r#"{"out_trade_no":"re_1","refund_amount":"1.001","out_request_no":"z"}"#,
        ),
    )
    .await;
    assert_eq!(
        sub_code(&answer(&sim, &body, "alipay.trade.refund")),
        "ACQ.INVALID_PARAMETER"
    );

    // Two partial refunds add up; the last one closes the trade.
    for (no, amt, fee) in [("p1", "20.00", "20.00"), ("p2", "30.00", "50.00")] {
        // Refunds of one trade must be 3 s apart: let (simulator) time pass.
        sim.clock().advance(Duration::seconds(3));
        let r = RefundRequest::new(
            TradeRef::OutTradeNo("re_1".into()),
            amt.parse().unwrap(),
            no,
        );
        let out = c.refund(&r).await.unwrap();
        assert_eq!(out.refund_fee, fee.parse().unwrap());
    }
    let q = c.query(TradeRef::OutTradeNo("re_1".into())).await.unwrap();
    assert_eq!(q.trade_status, TradeStatus::TradeClosed);
    let r = RefundRequest::new(
        TradeRef::OutTradeNo("re_1".into()),
        "0.01".parse().unwrap(),
        "p3",
    );
    assert_eq!(
        c.refund(&r).await.unwrap_err().sub_code(),
        Some("ACQ.TRADE_STATUS_ERROR")
    );
    // The repeat of a done request still answers N after the close.
    let r = RefundRequest::new(
        TradeRef::OutTradeNo("re_1".into()),
        "30.00".parse().unwrap(),
        "p2",
    );
    assert!(!c.refund(&r).await.unwrap().fund_change);

    // A full refund without out_request_no, then its repeat.
    let mut req = pay_request("re_2", "8.00", "x");
    req.notify_url = None;
    open_cashier(&link(&sim, &req)).await;
    sim.pay("re_2").unwrap();
    let full = r#"{"out_trade_no":"re_2","refund_amount":"8.00"}"#;
    let v = answer(
        &sim,
        &raw_call(&sim, &signed_params(&sim, "alipay.trade.refund", full)).await,
        "alipay.trade.refund",
    );
    assert_eq!(
        (v["fund_change"].as_str(), v["refund_fee"].as_str()),
        (Some("Y"), Some("8.00"))
    );
    let v = answer(
        &sim,
        &raw_call(&sim, &signed_params(&sim, "alipay.trade.refund", full)).await,
        "alipay.trade.refund",
    );
    assert_eq!(v["fund_change"], "N");

    // After the refund window a paid trade is TRADE_FINISHED and no longer refundable.
    let mut req = pay_request("re_3", "8.00", "x");
    req.notify_url = None;
    open_cashier(&link(&sim, &req)).await;
    sim.pay("re_3").unwrap();
    sim.clock().advance(Duration::days(366));
    let q = c.query(TradeRef::OutTradeNo("re_3".into())).await.unwrap();
    assert_eq!(q.trade_status, TradeStatus::TradeFinished);
    let r = RefundRequest::new(
        TradeRef::OutTradeNo("re_3".into()),
        "1.00".parse().unwrap(),
        "late",
    );
    assert_eq!(
        c.refund(&r).await.unwrap_err().sub_code(),
        Some("ACQ.TRADE_NOT_ALLOW_REFUND")
    );
    sim.stop().await;
}

#[tokio::test]
async fn state_survives_a_restart_and_keys_are_reused() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = || SimConfig {
        data_dir: Some(dir.path().join("data")),
        state_file: Some(dir.path().join("state.json")),
        notify_speedup: 10_000,
        ..SimConfig::ephemeral()
    };
    let sim = Simulator::start(cfg()).await.unwrap();
    let key = sim.alipay_public_key().clone();
    let mut req = pay_request("ps_1", "3.00", "持久化");
    req.notify_url = None;
    open_cashier(&link(&sim, &req)).await;
    sim.pay("ps_1").unwrap();
    sim.clock().advance(Duration::days(2));
    let paths = sim.key_paths().unwrap().clone();
    sim.stop().await;

    let sim = Simulator::start(cfg()).await.unwrap();
    assert_eq!(sim.alipay_public_key(), &key);
    assert_eq!(
        sim.trade("ps_1").unwrap().status,
        sim::TradeStatus::TradeSuccess
    );
    assert_eq!(sim.ledger().len(), 1);
    assert!(
        sim.clock().offset() > Duration::days(2) - Duration::minutes(1),
        "the moved clock is kept"
    );
    // A client configured from the files on disk works.
    let app_key = alipay::PrivateKey::from_file(&paths.app.pkcs8_pem).unwrap();
    assert!(app_key.matches(sim.app_private_key().public_key()));
    let q = client(&sim)
        .query(TradeRef::OutTradeNo("ps_1".into()))
        .await
        .unwrap();
    assert_eq!(q.trade_status, TradeStatus::TradeSuccess);
    sim.stop().await;
}

#[tokio::test]
async fn control_endpoints_pay_move_the_clock_and_register_apps() {
    let sim = start().await;
    let http = http();
    let l = link(&sim, &pay_request("ce_1", "2.00", "x"));
    open_cashier(&l).await;
    let r = http
        .post(format!("{}/sim/pay", sim.base_url()))
        .header("content-type", "application/json")
        .body(r#"{"out_trade_no":"ce_1"}"#)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r: serde_json::Value = serde_json::from_str(&r).unwrap();
    assert_eq!(r["out_trade_no"], "ce_1");
    let r = http
        .post(format!("{}/sim/pay", sim.base_url()))
        .header("content-type", "application/json")
        .body(r#"{"out_trade_no":"ce_1"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);

    let before = sim.clock().now_beijing();
    let r = http
        .post(format!("{}/sim/clock", sim.base_url()))
        .header("content-type", "application/json")
        .body(r#"{"advance_secs":86400}"#)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    assert!(sim.clock().now_beijing() - before >= Duration::days(1));
    let r = http
        .post(format!("{}/sim/clock", sim.base_url()))
        .header("content-type", "application/json")
        .body(r#"{"set":"tomorrow"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // A second app registered at run time can call the gateway.
    // Any key other than the default app's will do: reuse the shared simulator key.
    let other = (*common::keys().alipay).clone();
    let body = format!(
        r#"{{"app_id":"2021000000000777","public_key":"{}"}}"#,
        other.public_key().to_one_line()
    );
    let r = http
        .post(format!("{}/sim/apps", sim.base_url()))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let app = alipay::AppIdentity::new("2021000000000777", std::sync::Arc::new(other));
    let mut p = app.common_params(
        QUERY,
        r#"{"out_trade_no":"ce_1"}"#,
        &alipay::Urls::default(),
        sim.clock().as_ref(),
    );
    app.sign(&mut p).unwrap();
    let v = answer(&sim, &raw_call(&sim, &p).await, QUERY);
    // The trade belongs to the default app: another app cannot see it.
    assert_eq!(sub_code(&v), "ACQ.TRADE_NOT_EXIST");

    let ledger = http
        .get(format!("{}/sim/ledger", sim.base_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let ledger: serde_json::Value = serde_json::from_str(&ledger).unwrap();
    assert_eq!(ledger.as_array().unwrap().len(), 1);
    sim.stop().await;
}

/// A GBK merchant: parameters percent-encoded in GBK and signed over GBK bytes; the answer comes
/// back in GBK and is signed over its GBK bytes; the notify is GBK too.
#[tokio::test]
async fn gbk_requests_answers_and_notifies() {
    let sim = start().await;
    let listener = NotifyListener::start(0).await;
    let app = sim.app_identity();
    let biz = r#"{"out_trade_no":"gbk_1","total_amount":"6.00","subject":"中文标题","product_code":"QUICK_WAP_WAY"}"#;
    let mut p = app.common_params(
        "alipay.trade.wap.pay",
        biz,
        &alipay::Urls {
            return_url: Some("http://127.0.0.1:9/r"),
            notify_url: Some(&listener.url),
        },
        sim.clock().as_ref(),
    );
    p.set("charset", "gbk");
    p.remove("sign");
    let gbk = |s: &str| encoding_rs::GBK.encode(s).0.into_owned();
    let sig = app
        .private_key
        .sign(&gbk(&p.canonical()), alipay::SignType::Rsa2)
        .unwrap();
    p.set("sign", sig);
    let mut q = String::new();
    for (k, v) in p.iter() {
        let enc: String =
            percent_encoding::percent_encode(&gbk(v), percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        q.push_str(&format!("{k}={enc}&"));
    }
    let page = open_cashier(&format!("{}?{}", sim.gateway_url(), q)).await;
    assert!(
        page.contains("中文标题") && page.contains("手机网站支付"),
        "{page}"
    );
    let paid = sim.pay("gbk_1").unwrap();
    let ret = paid.return_url.unwrap();
    assert!(ret.contains("method=alipay.trade.wap.pay.return") && ret.contains("charset=gbk"));
    let v = alipay::verify_callback(&ret, sim.alipay_public_key()).unwrap();
    assert_eq!(v.out_trade_no(), Some("gbk_1"));
    let body = listener.wait_for(1).await.remove(0);
    assert!(
        body.contains("subject=%D6%D0%CE%C4"),
        "GBK-encoded subject: {body}"
    );
    let n = alipay::verify_callback(&body, sim.alipay_public_key()).unwrap();
    assert_eq!(n.subject(), Some("中文标题"));

    // A GBK server call: the answer's bytes are GBK and its signature covers them.
    let mut p = app.common_params(
        QUERY,
        r#"{"out_trade_no":"gbk_1"}"#,
        &alipay::Urls::default(),
        sim.clock().as_ref(),
    );
    p.set("charset", "gbk");
    p.set(
        "sign",
        app.private_key
            .sign(&gbk(&p.canonical()), alipay::SignType::Rsa2)
            .unwrap(),
    );
    let bytes = http()
        .get(format!("{}?{}", sim.gateway_url(), p.to_query()))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let (text, _, bad) = encoding_rs::GBK.decode(&bytes);
    assert!(!bad);
    let start = text.find(":{").unwrap() + 1;
    let end = text.rfind(",\"sign\":").unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    sim.alipay_public_key()
        .verify(
            &bytes[start..end],
            value["sign"].as_str().unwrap(),
            alipay::SignType::Rsa2,
        )
        .expect("signature over the GBK bytes");
    assert_eq!(
        value["alipay_trade_query_response"]["trade_status"],
        "TRADE_SUCCESS"
    );
    sim.stop().await;
}

/// The buyer's clicks: *Cancel* leaves the trade waiting, *Pay* redirects to the signed return URL.
#[tokio::test]
async fn cashier_buttons_cancel_and_pay() {
    let sim = start().await;
    let mut req = pay_request("btn_1", "12.34", "按钮");
    req.return_url = Some("http://127.0.0.1:9/done?from=shop".into());
    let page = open_cashier(&link(&sim, &req)).await;
    let token = page
        .split("name=\"token\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let form = format!("token={token}");
    let post = |path: &'static str| {
        http()
            .post(format!("{}{path}", sim.base_url()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.clone())
            .send()
    };
    let cancel = post("/cashier/cancel").await.unwrap().text().await.unwrap();
    assert!(cancel.contains("已取消付款") && cancel.contains("http://127.0.0.1:9/"));
    assert_eq!(
        sim.trade("btn_1").unwrap().status,
        sim::TradeStatus::WaitBuyerPay
    );
    let r = post("/cashier/pay").await.unwrap();
    assert_eq!(
        r.status(),
        303,
        "a POST answered with See Other, so the browser GETs the return URL"
    );
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    // The merchant's own query stays first; verifying must leave it out, as with Alipay.
    assert!(
        loc.starts_with("http://127.0.0.1:9/done?from=shop&charset=utf-8&"),
        "{loc}"
    );
    let alipay_part = loc.replacen("from=shop&", "", 1);
    let v = alipay::verify_callback(&alipay_part, sim.alipay_public_key()).unwrap();
    assert_eq!(v.total_amount(), Some("12.34".parse().unwrap()));
    // A second click does not pay twice.
    let again = post("/cashier/pay").await.unwrap().text().await.unwrap();
    assert!(again.contains("ACQ.TRADE_HAS_SUCCESS"));
    assert_eq!(sim.ledger().len(), 1);
    sim.stop().await;
}
