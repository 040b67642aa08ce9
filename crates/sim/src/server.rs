//! HTTP: `/gateway.do`, the cashier, the bill download and the `/sim/*` control endpoints, served
//! by hyper directly (not `axum::serve`) so a fault can close a connection without any response.

use std::sync::Arc;

use alipay::SignType;
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt as _;

use crate::cashier::{self, Which};
use crate::core::{Biz, Sim};
use crate::envelope::{Obj, envelope, response_key};
use crate::fault::{BILL_DOWNLOAD, Fault, FaultRule, Planned};
use crate::protocol::{self, AlipayError, Charset, RawRequest, check_common};

/// Marks a response that must not be sent: the connection is closed instead.
#[derive(Debug, Clone, Copy)]
struct DropConnection;

#[derive(Debug)]
struct DroppedByFault;

impl std::fmt::Display for DroppedByFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for DroppedByFault {}

pub(crate) fn router(sim: Arc<Sim>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/gateway.do", get(gateway).post(gateway))
        .route("/cashier/pay", post(cashier_pay))
        .route("/cashier/cancel", post(cashier_cancel))
        .route("/downloadBillFile.resource", get(download_bill))
        .route("/sim/info", get(info))
        .route("/sim/pay", post(hook_pay))
        .route(
            "/sim/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/sim/clock", get(get_clock).post(set_clock))
        .route("/sim/ledger", get(ledger))
        .route("/sim/trades", get(trades))
        .route("/sim/notifications", get(notifications))
        .route("/sim/apps", post(register_app))
        .with_state(sim)
}

/// Accepts connections until `shutdown` flips, then aborts the open ones.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let router = router.clone();
                conns.spawn(async move {
                    let svc = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let router = router.clone();
                        async move {
                            let resp = match router.oneshot(req).await {
                                Ok(r) => r,
                                Err(never) => match never {},
                            };
                            // An error from the service makes hyper close the connection
                            // without writing a response: exactly a dropped connection.
                            if resp.extensions().get::<DropConnection>().is_some() {
                                return Err(DroppedByFault);
                            }
                            Ok(resp)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
                while conns.try_join_next().is_some() {}
            }
            _ = shutdown.changed() => break,
        }
    }
    conns.abort_all();
}

fn drop_connection() -> Response {
    let mut r = Response::new(axum::body::Body::empty());
    r.extensions_mut().insert(DropConnection);
    r
}

fn http_error(status: u16) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let reason = code.canonical_reason().unwrap_or("Error");
    let body = format!(
        "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} {reason}</h1></center>\r\n<hr><center>Tengine</center>\r\n</body>\r\n</html>\r\n"
    );
    (code, Html(body)).into_response()
}

fn json_envelope(
    sim: &Sim,
    key: &str,
    obj: &Obj,
    sign_type: SignType,
    charset: Charset,
    corrupt: bool,
) -> Response {
    let body = envelope(key, obj, &sim.keys.alipay, sign_type, charset, corrupt);
    let mut r = Response::new(axum::body::Body::from(body));
    let ct = format!("application/json;charset={}", charset.as_str());
    if let Ok(v) = HeaderValue::from_str(&ct) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}

/// What a fault turns the answer into; `None` for faults that do not replace it.
fn fault_response(
    sim: &Sim,
    f: &Fault,
    method: Option<&str>,
    sign_type: SignType,
    charset: Charset,
    html: bool,
) -> Option<Response> {
    match f {
        Fault::HttpStatus { status, .. } => Some(http_error(*status)),
        Fault::Drop { .. } => Some(drop_connection()),
        Fault::SystemError { .. } => {
            let e = AlipayError::system_error();
            if html {
                return Some(Html(cashier::error_html(&e)).into_response());
            }
            let key = method
                .map(response_key)
                .unwrap_or_else(|| "error_response".into());
            Some(json_envelope(
                sim,
                &key,
                &Obj::error(&e),
                sign_type,
                charset,
                false,
            ))
        }
        Fault::Latency(_) | Fault::BadSignature | Fault::NotifyFail(_) => None,
    }
}

async fn gateway(
    State(sim): State<Arc<Sim>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|ct| {
            ct.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    let form_body = (method == Method::POST && is_form).then_some(&body[..]);
    let req = RawRequest::decode(uri.query(), form_body);
    let name = req
        .value("method")
        .filter(|m| protocol::METHODS.contains(m))
        .map(str::to_string);
    let plan = name
        .as_deref()
        .map(|m| Planned::from_faults(sim.faults.take(m)))
        .unwrap_or_default();
    if !plan.latency.is_zero() {
        tokio::time::sleep(plan.latency).await;
    }
    let checked = check_common(
        &req,
        |a| sim.app_key(a),
        sim.now(),
        sim.settings.timestamp_tolerance,
    );
    let (sign_type, charset) = match &checked {
        Ok(c) => (c.sign_type, c.charset),
        Err(r) => (r.sign_type, r.charset),
    };
    let is_pay = matches!(
        name.as_deref(),
        Some(protocol::PAGE_PAY | protocol::WAP_PAY)
    );
    if let Some(f) = &plan.before
        && let Some(r) = fault_response(&sim, f, name.as_deref(), sign_type, charset, is_pay)
    {
        return r;
    }

    if is_pay {
        let page = match &checked {
            Err(rej) => Err(rej.error.clone()),
            Ok(c) => Biz::parse(c.biz_content.as_deref()).and_then(|b| sim.open_cashier(c, &b)),
        };
        if let Some(f) = &plan.after
            && let Some(r) = fault_response(&sim, f, name.as_deref(), sign_type, charset, true)
        {
            return r;
        }
        return match page {
            Ok(t) => Html(cashier::cashier_html(&t, &sim.identity.seller_id)).into_response(),
            Err(e) => Html(cashier::error_html(&e)).into_response(),
        };
    }

    let (key, obj) = match &checked {
        Err(rej) => (
            rej.method
                .as_deref()
                .map(response_key)
                .unwrap_or_else(|| "error_response".into()),
            Obj::error(&rej.error),
        ),
        Ok(c) => {
            let answer =
                Biz::parse(c.biz_content.as_deref()).and_then(|biz| match c.method.as_str() {
                    protocol::QUERY => sim.query(&c.app_id, &biz),
                    protocol::REFUND => sim.refund(&c.app_id, &biz),
                    protocol::REFUND_QUERY => sim.refund_query(&c.app_id, &biz),
                    protocol::CLOSE => sim.close(&c.app_id, &biz),
                    protocol::BILL => sim.bill_url(&biz),
                    other => Err(AlipayError::invalid(
                        "isv.invalid-method",
                        format!("不存在的方法名: {other}"),
                    )),
                });
            (
                response_key(&c.method),
                answer.unwrap_or_else(|e| Obj::error(&e)),
            )
        }
    };
    if let Some(f) = &plan.after
        && let Some(r) = fault_response(&sim, f, name.as_deref(), sign_type, charset, false)
    {
        return r;
    }
    json_envelope(&sim, &key, &obj, sign_type, charset, plan.bad_signature)
}

#[derive(Deserialize)]
struct TokenForm {
    token: String,
}

async fn cashier_pay(State(sim): State<Arc<Sim>>, Form(f): Form<TokenForm>) -> Response {
    match sim.pay(Which::Token(&f.token)) {
        Ok(p) => match &p.return_url {
            Some(u) => Redirect::to(u).into_response(),
            None => Html(cashier::paid_html(&p)).into_response(),
        },
        Err(e) => Html(cashier::error_html(&e)).into_response(),
    }
}

async fn cashier_cancel(State(sim): State<Arc<Sim>>, Form(f): Form<TokenForm>) -> Response {
    match sim.trade_by_token(&f.token) {
        Some(t) => Html(cashier::cancelled_html(&t)).into_response(),
        None => Html(cashier::error_html(&AlipayError::trade_not_exist())).into_response(),
    }
}

#[derive(Deserialize)]
struct DownloadQuery {
    token: Option<String>,
}

async fn download_bill(State(sim): State<Arc<Sim>>, Query(q): Query<DownloadQuery>) -> Response {
    let plan = Planned::from_faults(sim.faults.take(BILL_DOWNLOAD));
    if !plan.latency.is_zero() {
        tokio::time::sleep(plan.latency).await;
    }
    if let Some(f) = plan.before.as_ref().or(plan.after.as_ref()) {
        match f {
            Fault::HttpStatus { status, .. } => return http_error(*status),
            Fault::Drop { .. } => return drop_connection(),
            _ => {}
        }
    }
    let now = sim.now();
    let file = q.token.and_then(|t| {
        sim.bills
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&t)
            .cloned()
    });
    let Some(file) = file else {
        return (
            StatusCode::NOT_FOUND,
            "账单文件不存在 (no bill file for this token)",
        )
            .into_response();
    };
    if file.expires_at <= now {
        return (
            StatusCode::FORBIDDEN,
            "下载链接已失效 (the bill URL is valid for 30 seconds: ask for a new one)",
        )
            .into_response();
    }
    let mut r = Response::new(axum::body::Body::from(file.bytes));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/oct-stream"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", file.file_name)) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

fn control_error(status: StatusCode, msg: impl std::fmt::Display) -> Response {
    (status, Json(json!({ "error": msg.to_string() }))).into_response()
}

async fn index(State(sim): State<Arc<Sim>>) -> Html<String> {
    Html(format!(
        "<!doctype html><meta charset=utf-8><title>Paydesk Alipay simulator</title><h1>Paydesk Alipay simulator</h1><p>Gateway: <code>{}/gateway.do</code></p><p>app_id <code>{}</code>, seller_id <code>{}</code></p><p>Control: <code>/sim/info</code>, <code>/sim/pay</code>, <code>/sim/faults</code>, <code>/sim/clock</code>, <code>/sim/ledger</code>, <code>/sim/trades</code>, <code>/sim/notifications</code>, <code>/sim/apps</code></p>",
        sim.base_url, sim.identity.app_id, sim.identity.seller_id
    ))
}

async fn info(State(sim): State<Arc<Sim>>) -> Json<serde_json::Value> {
    Json(json!({
        "gateway_url": format!("{}/gateway.do", sim.base_url),
        "app_id": sim.identity.app_id,
        "seller_id": sim.identity.seller_id,
        "alipay_public_key": sim.keys.alipay.public_key().to_one_line(),
        "now": sim.now().format(alipay::clock::TIMESTAMP_FORMAT).to_string(),
    }))
}

#[derive(Deserialize)]
struct PayHook {
    out_trade_no: String,
    app_id: Option<String>,
}

async fn hook_pay(State(sim): State<Arc<Sim>>, Json(p): Json<PayHook>) -> Response {
    let app_id = p.app_id.unwrap_or_else(|| sim.identity.app_id.clone());
    match sim.pay(Which::OutTradeNo {
        app_id: &app_id,
        out_trade_no: &p.out_trade_no,
    }) {
        Ok(paid) => Json(paid).into_response(),
        Err(e) => (
            StatusCode::CONFLICT,
            Json(json!({ "error": e.to_string(), "sub_code": e.sub_code, "sub_msg": e.sub_msg })),
        )
            .into_response(),
    }
}

async fn list_faults(State(sim): State<Arc<Sim>>) -> Json<Vec<String>> {
    Json(sim.faults.list().iter().map(ToString::to_string).collect())
}

/// `{"rule": "alipay.trade.refund:drop-after"}` or `{"method", "fault", "times"|"sticky"}`.
#[derive(Deserialize)]
struct FaultBody {
    rule: Option<String>,
    method: Option<String>,
    fault: Option<String>,
    times: Option<u32>,
    #[serde(default)]
    sticky: bool,
}

async fn add_fault(State(sim): State<Arc<Sim>>, Json(b): Json<FaultBody>) -> Response {
    let rule: Result<FaultRule, String> = match (b.rule, b.method, b.fault) {
        (Some(r), None, None) => r
            .parse()
            .map_err(|e: crate::fault::FaultParseError| e.to_string()),
        (None, Some(m), Some(f)) => f
            .parse::<Fault>()
            .map(|fault| FaultRule {
                method: m,
                fault,
                times: if b.sticky {
                    None
                } else {
                    Some(b.times.unwrap_or(1).max(1))
                },
            })
            .map_err(|e| e.to_string()),
        _ => Err(
            "give either \"rule\" (METHOD:FAULT[:sticky|:xN]) or \"method\" and \"fault\"".into(),
        ),
    };
    match rule.and_then(|r| sim.faults.add(r).map_err(|e| e.to_string())) {
        Ok(()) => list_faults(State(sim)).await.into_response(),
        Err(e) => control_error(StatusCode::BAD_REQUEST, e),
    }
}

async fn clear_faults(State(sim): State<Arc<Sim>>) -> Json<Vec<String>> {
    sim.faults.clear();
    Json(Vec::new())
}

fn clock_json(sim: &Sim) -> serde_json::Value {
    json!({
        "now": sim.now().format(alipay::clock::TIMESTAMP_FORMAT).to_string(),
        "offset_secs": sim.clock.offset().num_seconds(),
    })
}

async fn get_clock(State(sim): State<Arc<Sim>>) -> Json<serde_json::Value> {
    Json(clock_json(&sim))
}

/// `{"advance_secs": 86400}` or `{"set": "2026-11-25 10:00:00"}` (Beijing).
#[derive(Deserialize)]
struct ClockBody {
    advance_secs: Option<i64>,
    set: Option<String>,
}

async fn set_clock(State(sim): State<Arc<Sim>>, Json(b): Json<ClockBody>) -> Response {
    match (b.advance_secs, b.set) {
        (Some(s), None) => sim.clock.advance(chrono::Duration::seconds(s)),
        (None, Some(t)) => {
            if let Err(e) = sim.clock.set_beijing(&t) {
                return control_error(StatusCode::BAD_REQUEST, e);
            }
        }
        _ => {
            return control_error(
                StatusCode::BAD_REQUEST,
                "give either \"advance_secs\" or \"set\"",
            );
        }
    }
    let mut st = sim.lock();
    sim.save(&mut st);
    drop(st);
    Json(clock_json(&sim)).into_response()
}

async fn ledger(State(sim): State<Arc<Sim>>) -> Json<serde_json::Value> {
    Json(json!(sim.lock().ledger))
}

async fn trades(State(sim): State<Arc<Sim>>) -> Json<serde_json::Value> {
    Json(json!(sim.lock().trades))
}

async fn notifications(State(sim): State<Arc<Sim>>) -> Json<serde_json::Value> {
    Json(json!(sim.notifier.records()))
}

#[derive(Deserialize)]
struct AppBody {
    app_id: String,
    public_key: String,
}

async fn register_app(State(sim): State<Arc<Sim>>, Json(b): Json<AppBody>) -> Response {
    match alipay::PublicKey::parse(&b.public_key, "public_key") {
        Ok(k) => {
            sim.register_app(&b.app_id, k.clone());
            let mut st = sim.lock();
            st.apps.insert(b.app_id.clone(), k.to_one_line());
            sim.save(&mut st);
            Json(json!({ "registered": b.app_id })).into_response()
        }
        Err(e) => control_error(StatusCode::BAD_REQUEST, e),
    }
}
