//! Shared test setup: one key set per test binary (RSA generation is slow), a simulator on a
//! free port, a crates/alipay client on the simulator's clock, and a merchant notify listener.
#![allow(dead_code)]

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use alipay::{Amount, GatewayClient, GatewayConfig, PayProduct, PayRequest};
use sim::{SimConfig, SimHandle, SimKeys, Simulator};

pub fn keys() -> SimKeys {
    static KEYS: OnceLock<SimKeys> = OnceLock::new();
    KEYS.get_or_init(|| SimKeys::generate().expect("key generation"))
        .clone()
}

/// Notifies retried 10 000× faster than Alipay's schedule (4 min → 24 ms).
pub fn config() -> SimConfig {
    SimConfig {
        keys: Some(keys()),
        notify_speedup: 10_000,
        ..SimConfig::ephemeral()
    }
}

pub async fn start() -> SimHandle {
    Simulator::start(config()).await.expect("simulator starts")
}

pub fn client(sim: &SimHandle) -> GatewayClient {
    client_with_timeout(sim, Duration::from_secs(5))
}

pub fn client_with_timeout(sim: &SimHandle, timeout: Duration) -> GatewayClient {
    GatewayClient::new(
        GatewayConfig {
            gateway_url: sim.gateway_url(),
            app: sim.app_identity(),
            alipay_public_key: sim.alipay_public_key().clone(),
            alipay_cert_sn: None,
            timeout,
        },
        sim.clock(),
    )
    .expect("client")
    // Fast retries so refund-retry tests do not sleep for seconds.
    .with_refund_retries(2, Duration::from_millis(20))
}

pub fn pay_request(out_trade_no: &str, amount: &str, subject: &str) -> PayRequest {
    PayRequest::new(
        PayProduct::Page,
        out_trade_no,
        amount.parse::<Amount>().expect("amount"),
        subject,
    )
}

pub fn link(sim: &SimHandle, req: &PayRequest) -> String {
    alipay::pay_link(
        &sim.gateway_url(),
        &sim.app_identity(),
        req,
        sim.clock().as_ref(),
    )
    .expect("pay link")
}

/// Opens the cashier as a browser would (GET the link) and returns the page.
pub async fn open_cashier(link: &str) -> String {
    http()
        .get(link)
        .send()
        .await
        .expect("GET cashier")
        .text()
        .await
        .expect("cashier page")
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}

/// A merchant's notify endpoint: records every body, answers `success` after `fail_first`
/// other answers.
pub struct NotifyListener {
    pub url: String,
    pub bodies: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl NotifyListener {
    pub async fn start(fail_first: usize) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve(listener, fail_first)
    }

    /// On a given loopback port (a merchant coming back up where it was).
    pub async fn start_on(port: u16, fail_first: usize) -> Self {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        Self::serve(listener, fail_first)
    }

    fn serve(listener: tokio::net::TcpListener, fail_first: usize) -> Self {
        let bodies: Arc<Mutex<Vec<String>>> = Arc::default();
        let seen = bodies.clone();
        let app = axum::Router::new().route(
            "/notify",
            axum::routing::post(move |body: String| {
                let seen = seen.clone();
                async move {
                    let mut b = seen.lock().unwrap();
                    b.push(body);
                    if b.len() > fail_first {
                        "success"
                    } else {
                        "fail"
                    }
                }
            }),
        );
        let url = format!("http://{}/notify", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        NotifyListener { url, bodies, task }
    }

    pub fn bodies(&self) -> Vec<String> {
        self.bodies.lock().unwrap().clone()
    }

    /// Waits until `n` bodies arrived (or panics after 10 s).
    pub async fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..500 {
            let b = self.bodies();
            if b.len() >= n {
                return b;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("expected {n} notifies, got {:?}", self.bodies());
    }
}

impl Drop for NotifyListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Signs and sends raw parameters (GET, all in the query) and returns the body text.
pub async fn raw_call(sim: &SimHandle, params: &alipay::Params) -> String {
    let url = format!("{}?{}", sim.gateway_url(), params.to_query());
    http().get(url).send().await.unwrap().text().await.unwrap()
}

pub fn signed_params(sim: &SimHandle, method: &str, biz: &str) -> alipay::Params {
    let app = sim.app_identity();
    let mut p = app.common_params(method, biz, &alipay::Urls::default(), sim.clock().as_ref());
    app.sign(&mut p).unwrap();
    p
}

/// The `<key>` object of an answer, parsed (after checking the signature with crates/alipay).
pub fn answer(sim: &SimHandle, body: &str, method: &str) -> serde_json::Value {
    let v = alipay::verify_response(
        body,
        method,
        sim.alipay_public_key(),
        alipay::SignType::Rsa2,
        None,
    )
    .unwrap_or_else(|e| panic!("answer does not verify: {e}\n{body}"));
    v.value
}
