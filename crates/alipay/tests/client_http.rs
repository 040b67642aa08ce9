//! The gateway client against a small local gateway on 127.0.0.1 that checks each request the
//! way Alipay does (signature over query + body, `charset` and `sign` in the query, `biz_content`
//! in the body) and answers with envelopes signed by a generated "Alipay" key.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use alipay::client::{GatewayClient, GatewayConfig, GatewayError, RefundRequest, TransportKind};
use alipay::response::ResponseError;
use alipay::sign::{REQUEST_EXCLUDE, canonical_content};
use alipay::trade::RefundStatus;
use alipay::{Amount, AppIdentity, PrivateKey, SignType, SystemClock, TradeRef, TradeStatus};
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use serde_json::json;

struct Keys {
    app: Arc<PrivateKey>,
    alipay: PrivateKey,
    stranger: PrivateKey,
}

fn keys() -> &'static Keys {
    static K: OnceLock<Keys> = OnceLock::new();
    K.get_or_init(|| Keys {
        app: Arc::new(PrivateKey::generate(2048).unwrap()),
        alipay: PrivateKey::generate(2048).unwrap(),
        stranger: PrivateKey::generate(2048).unwrap(),
    })
}

const APP_ID: &str = "2021000000000001";

/// An Alipay envelope signed over the exact object text, `/` escaped as Alipay does.
fn envelope_signed_by(key: &PrivateKey, response_key: &str, obj: &str) -> String {
    let sig = key
        .sign(obj.as_bytes(), SignType::Rsa2)
        .unwrap()
        .replace('/', "\\/");
    format!(r#"{{"{response_key}":{obj},"sign":"{sig}"}}"#)
}

fn envelope(response_key: &str, obj: &str) -> String {
    envelope_signed_by(&keys().alipay, response_key, obj)
}

fn rkey(method: &str) -> String {
    format!("{}_response", method.replace('.', "_"))
}

enum Reply {
    Body(u16, String),
    Slow(Duration, Box<Reply>),
}

fn ok_json(body: String) -> Reply {
    Reply::Body(200, body)
}

/// What the test gateway saw: (method, biz_content as JSON, raw query, raw body).
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    biz: serde_json::Value,
    query: String,
    body: String,
}

type Handler = dyn Fn(u32, &Seen) -> Reply + Send + Sync;

struct Gateway {
    handler: Box<Handler>,
    calls: AtomicU32,
    seen: Mutex<Vec<Seen>>,
}

/// Alipay's own checks on a request; a failure answers isv.invalid-signature (signed, as Alipay
/// does) so that the test sees exactly what was wrong.
fn check_request(query: &str, body: &str) -> Result<Seen, String> {
    let q: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let b: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let qget = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    for k in [
        "app_id",
        "method",
        "format",
        "charset",
        "sign_type",
        "timestamp",
        "version",
        "sign",
    ] {
        if qget(k).is_none() {
            return Err(format!("{k} is not in the URL query"));
        }
    }
    if qget("charset").as_deref() != Some("utf-8") {
        return Err("charset must be utf-8".into());
    }
    if qget("biz_content").is_some() {
        return Err("biz_content must be in the body, not the query".into());
    }
    if b.len() != 1 || b[0].0 != "biz_content" {
        return Err(format!("the body must hold only biz_content, got {b:?}"));
    }
    if qget("app_id").as_deref() != Some(APP_ID) {
        return Err("unknown app_id".into());
    }
    let all: Vec<(String, String)> = q.iter().chain(b.iter()).cloned().collect();
    let canonical = canonical_content(
        all.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        REQUEST_EXCLUDE,
    );
    keys()
        .app
        .public_key()
        .verify(canonical.as_bytes(), &qget("sign").unwrap(), SignType::Rsa2)
        .map_err(|e| format!("验签出错, the gateway checked: {canonical} ({e})"))?;
    Ok(Seen {
        method: qget("method").unwrap(),
        biz: serde_json::from_str(&b[0].1).map_err(|e| format!("biz_content is not JSON: {e}"))?,
        query: query.to_string(),
        body: body.to_string(),
    })
}

async fn gateway(State(g): State<Arc<Gateway>>, RawQuery(q): RawQuery, body: String) -> Response {
    let n = g.calls.fetch_add(1, Ordering::SeqCst) + 1;
    let seen = match check_request(q.as_deref().unwrap_or_default(), &body) {
        Ok(s) => s,
        Err(why) => {
            let obj = json!({"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature","sub_msg": why}).to_string();
            return (StatusCode::OK, envelope("error_response", &obj)).into_response();
        }
    };
    g.seen.lock().unwrap().push(seen.clone());
    let mut reply = (g.handler)(n, &seen);
    loop {
        match reply {
            Reply::Slow(d, next) => {
                tokio::time::sleep(d).await;
                reply = *next;
            }
            Reply::Body(status, body) => {
                let status = StatusCode::from_u16(status).unwrap();
                return (
                    status,
                    [("content-type", "application/json;charset=utf-8")],
                    body,
                )
                    .into_response();
            }
        }
    }
}

async fn bill_zip() -> Response {
    let mut zip = b"PK\x03\x04".to_vec();
    zip.extend_from_slice(&[0u8; 60]);
    zip.into_response()
}

struct Running {
    base: String,
    gw: Arc<Gateway>,
}

impl Running {
    fn calls(&self) -> u32 {
        self.gw.calls.load(Ordering::SeqCst)
    }
    fn seen(&self) -> Vec<Seen> {
        self.gw.seen.lock().unwrap().clone()
    }
    fn client(&self, timeout: Duration) -> GatewayClient {
        client_for(&format!("{}/gateway.do", self.base), timeout)
    }
}

async fn start(handler: impl Fn(u32, &Seen) -> Reply + Send + Sync + 'static) -> Running {
    let gw = Arc::new(Gateway {
        handler: Box::new(handler),
        calls: AtomicU32::new(0),
        seen: Mutex::new(Vec::new()),
    });
    let app = Router::new()
        .route("/gateway.do", any(gateway))
        .route("/bill.zip", get(bill_zip))
        .route(
            "/expired",
            get(|| async { (StatusCode::NOT_FOUND, "link expired") }),
        )
        .route("/html", get(|| async { "<html>please log in</html>" }))
        .with_state(gw.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Running {
        base: format!("http://{addr}"),
        gw,
    }
}

fn config(url: &str, timeout: Duration) -> GatewayConfig {
    GatewayConfig {
        gateway_url: url.to_string(),
        app: AppIdentity::new(APP_ID, keys().app.clone()),
        alipay_public_key: keys().alipay.public_key().clone(),
        alipay_cert_sn: None,
        timeout,
    }
}

fn client_for(url: &str, timeout: Duration) -> GatewayClient {
    GatewayClient::new(config(url, timeout), Arc::new(SystemClock))
        .unwrap()
        .with_refund_retries(2, Duration::from_millis(20))
}

const SEC: Duration = Duration::from_secs(5);

fn order() -> TradeRef {
    TradeRef::OutTradeNo("202207120000000100000022".into())
}

fn query_ok() -> String {
    envelope("alipay_trade_query_response", QUERY_OBJ)
}

const QUERY_OBJ: &str = r#"{"code":"10000","msg":"Success","buyer_logon_id":"lfy***@sandbox.com","buyer_pay_amount":"1579.00","buyer_user_id":"2088102177846880","invoice_amount":"1579.00","out_trade_no":"202207120000000100000022","point_amount":"0.00","receipt_amount":"1579.00","send_pay_date":"2022-07-12 12:50:02","total_amount":"1579.00","trade_no":"2022071222001439880503951070","trade_status":"TRADE_SUCCESS","note":"a } and \"quote\" and https:\/\/x\/y"}"#;

fn business(method: &str, code: &str, sub_code: &str, sub_msg: &str) -> String {
    let msg = if code == "20000" {
        "Service Currently Unavailable"
    } else {
        "Business Failed"
    };
    envelope(
        &rkey(method),
        &json!({"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg}).to_string(),
    )
}

#[tokio::test]
async fn query_success_is_typed_and_request_shaped_like_the_sdks() {
    let srv = start(|_, _| ok_json(query_ok())).await;
    let q = srv.client(SEC).query(order()).await.unwrap();
    assert_eq!(q.trade_status, TradeStatus::TradeSuccess);
    assert_eq!(q.total_amount.to_string(), "1579.00");
    assert_eq!(q.receipt_amount.unwrap().to_string(), "1579.00");
    assert_eq!(q.point_amount.unwrap().to_string(), "0.00");
    assert_eq!(q.trade_no, "2022071222001439880503951070");
    assert_eq!(q.send_pay_date.unwrap().to_string(), "2022-07-12 12:50:02");
    assert_eq!(q.buyer_logon_id.as_deref(), Some("lfy***@sandbox.com"));
    assert!(
        q.raw.contains("https:\\/\\/x\\/y"),
        "raw is the signed text as received"
    );
    let seen = srv.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "alipay.trade.query");
    assert_eq!(
        seen[0].biz,
        json!({"out_trade_no": "202207120000000100000022"})
    );
    assert!(seen[0].query.contains("charset=utf-8") && seen[0].query.contains("sign="));
    assert!(seen[0].body.starts_with("biz_content="));
}

#[tokio::test]
async fn business_failure_is_typed() {
    let srv = start(|_, s| {
        ok_json(business(
            &s.method,
            "40004",
            "ACQ.TRADE_NOT_EXIST",
            "交易不存在",
        ))
    })
    .await;
    let e = srv.client(SEC).query(order()).await.unwrap_err();
    assert!(e.is_trade_not_exist(), "{e:?}");
    match &e {
        GatewayError::Business {
            code,
            sub_msg,
            signed,
            ..
        } => {
            assert_eq!(code, "40004");
            assert_eq!(sub_msg.as_deref(), Some("交易不存在"));
            assert!(signed);
        }
        other => panic!("{other:?}"),
    }
    assert!(!e.outcome_unknown());
    assert!(e.to_string().contains("ACQ.TRADE_NOT_EXIST"));
}

#[tokio::test]
async fn code_20000_and_system_error_are_unknown_outcomes() {
    let srv = start(|n, s| {
        if n == 1 {
            ok_json(business(&s.method, "20000", "isp.unknow-error", "系统繁忙"))
        } else {
            ok_json(business(&s.method, "40004", "ACQ.SYSTEM_ERROR", "系统错误"))
        }
    })
    .await;
    let c = srv.client(SEC);
    for _ in 0..2 {
        let e = c.close(order()).await.unwrap_err();
        assert!(matches!(e, GatewayError::UnknownOutcome { .. }), "{e:?}");
        assert!(e.outcome_unknown());
    }
    assert_eq!(srv.calls(), 2, "close is never retried");
}

#[tokio::test]
async fn http_5xx_and_non_json_are_transport_failures() {
    let srv = start(|n, _| match n {
        1 => Reply::Body(502, "<html>Bad Gateway</html>".into()),
        2 => Reply::Body(200, "<html>maintenance</html>".into()),
        _ => Reply::Body(404, "no such page".into()),
    })
    .await;
    let c = srv.client(SEC);
    let e = c.query(order()).await.unwrap_err();
    assert!(
        matches!(
            e,
            GatewayError::Transport {
                kind: TransportKind::Http5xx(502),
                ..
            }
        ),
        "{e:?}"
    );
    let e = c.query(order()).await.unwrap_err();
    assert!(
        matches!(
            e,
            GatewayError::Transport {
                kind: TransportKind::NotJson,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("maintenance"));
    let e = c.query(order()).await.unwrap_err();
    assert!(
        matches!(
            e,
            GatewayError::Transport {
                kind: TransportKind::HttpStatus(404),
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(srv.calls(), 3, "queries are not retried");
}

#[tokio::test]
async fn slow_gateway_times_out() {
    let srv =
        start(|_, _| Reply::Slow(Duration::from_secs(3), Box::new(ok_json(query_ok())))).await;
    let started = Instant::now();
    let e = srv
        .client(Duration::from_millis(300))
        .query(order())
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            GatewayError::Transport {
                kind: TransportKind::Timeout,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn closed_port_is_a_connect_failure() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let e = client_for(&format!("http://{addr}/gateway.do"), SEC)
        .query(order())
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            GatewayError::Transport {
                kind: TransportKind::Connect,
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn connection_dropped_before_an_answer() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let mut buf = [0u8; 4096];
            let _ = tokio::io::AsyncReadExt::read(&mut sock, &mut buf).await;
            drop(sock);
        }
    });
    let e = client_for(&format!("http://{addr}/gateway.do"), SEC)
        .query(order())
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            GatewayError::Transport {
                kind: TransportKind::Dropped,
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn forged_or_tampered_answers_are_signature_failures() {
    let srv = start(|n, _| match n {
        // Signed by someone else.
        1 => ok_json(envelope_signed_by(
            &keys().stranger,
            "alipay_trade_query_response",
            r#"{"code":"10000","msg":"Success"}"#,
        )),
        // Signed, then altered.
        2 => ok_json(query_ok().replace("TRADE_SUCCESS", "TRADE_FINISHED")),
        // Signed object plus a second, unsigned copy of the key.
        3 => {
            let body = query_ok();
            let evil = r#"{"code":"10000","trade_status":"WAIT_BUYER_PAY"}"#;
            ok_json(format!(
                "{},\"alipay_trade_query_response\":{evil}}}",
                body.trim_end_matches('}')
            ))
        }
        // Not signed at all.
        _ => ok_json(r#"{"alipay_trade_query_response":{"code":"10000","msg":"Success"}}"#.into()),
    })
    .await;
    let c = srv.client(SEC);
    let e = c.query(order()).await.unwrap_err();
    assert!(
        matches!(e, GatewayError::Signature(ResponseError::Mismatch { .. })),
        "{e:?}"
    );
    let e = c.query(order()).await.unwrap_err();
    assert!(
        matches!(e, GatewayError::Signature(ResponseError::Mismatch { .. })),
        "{e:?}"
    );
    let e = c.query(order()).await.unwrap_err();
    assert_eq!(
        e,
        GatewayError::Signature(ResponseError::DuplicateKey(
            "alipay_trade_query_response".into()
        ))
    );
    let e = c.query(order()).await.unwrap_err();
    assert_eq!(e, GatewayError::Signature(ResponseError::MissingSign));
}

#[tokio::test]
async fn unsigned_failures_are_reported_but_marked() {
    let srv = start(|_, _| {
        ok_json(r#"{"error_response":{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST","sub_msg":"交易不存在"}}"#.into())
    })
    .await;
    let e = srv.client(SEC).query(order()).await.unwrap_err();
    assert!(
        matches!(e, GatewayError::Business { signed: false, .. }),
        "{e:?}"
    );
    assert_eq!(e.sub_code(), Some("ACQ.TRADE_NOT_EXIST"));
    assert!(
        !e.is_trade_not_exist(),
        "an unsigned 'no such trade' proves nothing"
    );
}

#[tokio::test]
async fn our_signature_rejected_by_the_gateway_shows_its_sub_msg() {
    // A client with another app key: the test gateway refuses its signature like Alipay does.
    let srv = start(|_, _| ok_json(query_ok())).await;
    let mut cfg = config(&format!("{}/gateway.do", srv.base), SEC);
    cfg.app = AppIdentity::new(APP_ID, Arc::new(keys().stranger.clone()));
    let e = GatewayClient::new(cfg, Arc::new(SystemClock))
        .unwrap()
        .query(order())
        .await
        .unwrap_err();
    assert_eq!(e.sub_code(), Some("isv.invalid-signature"), "{e:?}");
    assert!(e.to_string().contains("the gateway checked: "), "{e}");
}

fn refund_req() -> RefundRequest {
    let mut r = RefundRequest::new(
        order(),
        "100.00".parse::<Amount>().unwrap(),
        "R202207120001",
    );
    r.refund_reason = Some("课程退款".into());
    r
}

fn refund_ok(fund_change: &str) -> String {
    envelope(
        "alipay_trade_refund_response",
        &json!({"code":"10000","msg":"Success","buyer_logon_id":"lfy***@sandbox.com","fund_change":fund_change,
            "gmt_refund_pay":"2022-07-13 09:00:00","out_trade_no":"202207120000000100000022","refund_fee":"100.00",
            "trade_no":"2022071222001439880503951070"})
        .to_string(),
    )
}

#[tokio::test]
async fn refund_is_resent_identically_until_the_outcome_is_known() {
    let srv = start(|n, s| match n {
        1 => ok_json(business(&s.method, "20000", "isp.unknow-error", "系统繁忙")),
        2 => Reply::Body(502, "Bad Gateway".into()),
        _ => ok_json(refund_ok("Y")),
    })
    .await;
    let out = srv.client(SEC).refund(&refund_req()).await.unwrap();
    assert_eq!(out.attempts, 3);
    assert!(out.fund_change);
    assert_eq!(out.refund_fee.to_string(), "100.00");
    assert_eq!(out.out_request_no, "R202207120001");
    assert_eq!(
        out.gmt_refund_pay.unwrap().to_string(),
        "2022-07-13 09:00:00"
    );
    let seen = srv.seen();
    assert_eq!(seen.len(), 3);
    assert!(
        seen.iter()
            .all(|s| s.query == seen[0].query && s.body == seen[0].body),
        "identical requests"
    );
    assert_eq!(
        seen[0].biz,
        json!({"out_trade_no":"202207120000000100000022","refund_amount":"100.00","out_request_no":"R202207120001","refund_reason":"课程退款"})
    );
}

#[tokio::test]
async fn refund_after_a_timeout_is_resent_and_a_repeat_says_no_fund_change() {
    let srv = start(|n, _| match n {
        1 => Reply::Slow(Duration::from_secs(2), Box::new(ok_json(refund_ok("Y")))),
        _ => ok_json(refund_ok("N")),
    })
    .await;
    let out = srv
        .client(Duration::from_millis(400))
        .refund(&refund_req())
        .await
        .unwrap();
    assert_eq!(out.attempts, 2);
    assert!(
        !out.fund_change,
        "the repeat reports that this call moved nothing"
    );
    assert_eq!(out.refund_fee.to_string(), "100.00");
}

#[tokio::test]
async fn refund_retries_are_bounded_and_business_failures_not_retried() {
    let srv =
        start(|_, s| ok_json(business(&s.method, "20000", "isp.unknow-error", "系统繁忙"))).await;
    let e = srv.client(SEC).refund(&refund_req()).await.unwrap_err();
    match &e {
        GatewayError::UnknownOutcome { detail, .. } => {
            assert!(detail.contains("after 3 attempts"), "{detail}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(srv.calls(), 3);

    let srv = start(|_, _| Reply::Body(503, "busy".into())).await;
    let e = srv.client(SEC).refund(&refund_req()).await.unwrap_err();
    match &e {
        GatewayError::Transport {
            kind: TransportKind::Http5xx(503),
            detail,
        } => {
            assert!(
                detail.contains("after 3 attempts with out_request_no R202207120001"),
                "{detail}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(srv.calls(), 3);

    let srv =
        start(|_, s| ok_json(business(&s.method, "20000", "isp.unknow-error", "系统繁忙"))).await;
    let c = srv.client(SEC).with_refund_retries(0, Duration::ZERO);
    assert!(c.refund(&refund_req()).await.unwrap_err().outcome_unknown());
    assert_eq!(srv.calls(), 1);

    let srv = start(|_, s| {
        ok_json(business(
            &s.method,
            "40004",
            "ACQ.REASON_TRADE_REFUND_FEE_ERR",
            "退款金额超限",
        ))
    })
    .await;
    let e = srv.client(SEC).refund(&refund_req()).await.unwrap_err();
    assert_eq!(e.sub_code(), Some("ACQ.REASON_TRADE_REFUND_FEE_ERR"));
    assert_eq!(srv.calls(), 1, "a refusal is final");
}

#[tokio::test]
async fn refund_query_close_and_bill() {
    let srv = start(|_, s| {
        let obj = match s.method.as_str() {
            "alipay.trade.fastpay.refund.query" => json!({"code":"10000","msg":"Success","out_request_no":"R202207120001",
                "out_trade_no":"202207120000000100000022","refund_amount":"100.00","total_amount":"1579.00",
                "refund_status":"REFUND_SUCCESS","trade_no":"2022071222001439880503951070"}),
            "alipay.trade.close" => json!({"code":"10000","msg":"Success","out_trade_no":"202207120000000100000022","trade_no":"2022071222001439880503951070"}),
            _ => json!({"code":"10000","msg":"Success","bill_download_url":"http://127.0.0.1/bill.zip"}),
        };
        ok_json(envelope(&rkey(&s.method), &obj.to_string()))
    })
    .await;
    let c = srv.client(SEC);
    let rq = c.refund_query(order(), "R202207120001").await.unwrap();
    assert!(rq.is_refunded());
    assert_eq!(rq.refund_status, Some(RefundStatus::RefundSuccess));
    assert_eq!(rq.refund_amount.unwrap().to_string(), "100.00");
    let closed = c.close(order()).await.unwrap();
    assert_eq!(
        closed.trade_no.as_deref(),
        Some("2022071222001439880503951070")
    );
    let url = c.bill_download_url("trade", "2022-07-11").await.unwrap();
    assert_eq!(url, "http://127.0.0.1/bill.zip");
    assert_eq!(
        srv.seen()[2].biz,
        json!({"bill_type":"trade","bill_date":"2022-07-11"})
    );

    let zip = c
        .download_bill(&format!("{}/bill.zip", srv.base))
        .await
        .unwrap();
    assert!(zip.starts_with(b"PK\x03\x04"));
    let e = c
        .download_bill(&format!("{}/expired", srv.base))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            GatewayError::Transport {
                kind: TransportKind::HttpStatus(404),
                ..
            }
        ),
        "{e:?}"
    );
    let e = c
        .download_bill(&format!("{}/html", srv.base))
        .await
        .unwrap_err();
    assert!(matches!(e, GatewayError::BadResponse { .. }), "{e:?}");
}

#[tokio::test]
async fn no_bill_and_answers_about_another_trade() {
    let srv = start(|_, s| match s.method.as_str() {
        "alipay.trade.query" => ok_json(envelope(
            "alipay_trade_query_response",
            &QUERY_OBJ.replace("202207120000000100000022", "202207120000000100000099"),
        )),
        m => ok_json(business(m, "40004", "isp.bill_not_exist", "账单不存在")),
    })
    .await;
    let c = srv.client(SEC);
    assert!(
        c.bill_download_url("trade", "2022-07")
            .await
            .unwrap_err()
            .is_bill_not_exist()
    );
    // Properly signed, but about another order: never applied to ours.
    let e = c.query(order()).await.unwrap_err();
    assert!(
        matches!(&e, GatewayError::BadResponse { detail, .. } if detail.contains("202207120000000100000099")),
        "{e:?}"
    );
}

#[tokio::test]
async fn generic_call_verifies_any_method() {
    let srv = start(|_, s| {
        ok_json(envelope(
            &rkey(&s.method),
            r#"{"code":"10000","msg":"Success","url":"https:\/\/h\/p"}"#,
        ))
    })
    .await;
    let v = srv
        .client(SEC)
        .call("alipay.trade.precreate", &json!({"out_trade_no": "1"}))
        .await
        .unwrap();
    assert_eq!(v.value["url"], "https://h/p");
    assert_eq!(srv.seen()[0].method, "alipay.trade.precreate");
}

#[tokio::test]
async fn refund_query_without_status_is_not_refunded() {
    let srv = start(|_, s| {
        ok_json(envelope(
            &rkey(&s.method),
            r#"{"code":"10000","msg":"Success","out_request_no":"R1","out_trade_no":"202207120000000100000022"}"#,
        ))
    })
    .await;
    let rq = srv.client(SEC).refund_query(order(), "R1").await.unwrap();
    assert_eq!(rq.refund_status, None);
    assert!(!rq.is_refunded());
}

#[tokio::test]
async fn certificate_mode_requires_the_named_certificate() {
    let sn = "b2e3c4d5a6f708192a3b4c5d6e7f8091";
    let srv = start(move |n, _| {
        let body = query_ok();
        if n == 1 {
            ok_json(body)
        } else {
            let sign_at = body.find(",\"sign\"").unwrap();
            ok_json(format!(
                "{},\"alipay_cert_sn\":\"{sn}\"{}",
                &body[..sign_at],
                &body[sign_at..]
            ))
        }
    })
    .await;
    let mut cfg = config(&format!("{}/gateway.do", srv.base), SEC);
    cfg.alipay_cert_sn = Some(sn.to_string());
    let c = GatewayClient::new(cfg, Arc::new(SystemClock)).unwrap();
    let e = c.query(order()).await.unwrap_err();
    assert!(
        matches!(
            e,
            GatewayError::Signature(ResponseError::MissingCertSn { .. })
        ),
        "{e:?}"
    );
    c.query(order()).await.unwrap();
}

#[tokio::test]
async fn bad_settings_and_requests_are_refused_before_sending() {
    for (url, why) in [
        ("not a url", "not a URL"),
        ("ftp://h/gateway.do", "http(s)"),
        (
            "https://openapi.alipay.com/gateway.do?charset=utf-8",
            "query",
        ),
    ] {
        let e = GatewayClient::new(config(url, SEC), Arc::new(SystemClock)).unwrap_err();
        assert!(
            matches!(&e, GatewayError::Config(m) if m.contains(why)),
            "{url}: {e:?}"
        );
    }
    let e = GatewayClient::new(
        config("https://h/gateway.do", Duration::ZERO),
        Arc::new(SystemClock),
    )
    .unwrap_err();
    assert!(matches!(e, GatewayError::Config(_)));

    let srv = start(|_, _| ok_json(query_ok())).await;
    let c = srv.client(SEC);
    let mut r = refund_req();
    r.out_request_no = String::new();
    assert!(matches!(
        c.refund(&r).await,
        Err(GatewayError::InvalidRequest(_))
    ));
    assert!(matches!(
        c.query(TradeRef::TradeNo(String::new())).await,
        Err(GatewayError::InvalidRequest(_))
    ));
    assert!(matches!(
        c.bill_download_url("trade", "2022-7-1").await,
        Err(GatewayError::InvalidRequest(_))
    ));
    assert!(matches!(
        c.bill_download_url("daily", "2022-07-01").await,
        Err(GatewayError::InvalidRequest(_))
    ));
    assert!(matches!(
        c.call("trade query", &json!({})).await,
        Err(GatewayError::InvalidRequest(_))
    ));
    assert!(matches!(
        c.download_bill("file:///etc/passwd").await,
        Err(GatewayError::InvalidRequest(_))
    ));
    assert_eq!(srv.calls(), 0);
}
