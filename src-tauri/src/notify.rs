//! The loopback notify endpoint of the simulator profile: it does what the platform's notify view
//! should — verify, query, settle through crates/core — and answers `success` only when the order
//! is settled (now or before), so the simulator retries anything else as Alipay would.
//!
//! Also serves the return page the simulator's cashier redirects to: a page that shows the
//! return URL to paste into Verify (a return is informational; it settles nothing).

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::response::Html;
use axum::routing::{get, post};
use paydesk_core::desk::Desk;
use paydesk_core::ops::settle::{SettleInput, settle};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::active::Events;

pub struct Listener {
    addr: SocketAddr,
    listener: std::sync::Mutex<Option<TcpListener>>,
    shutdown: watch::Sender<bool>,
    started: OnceLock<()>,
}

pub async fn start() -> std::io::Result<Listener> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let (shutdown, _) = watch::channel(false);
    Ok(Listener {
        addr,
        listener: std::sync::Mutex::new(Some(listener)),
        shutdown,
        started: OnceLock::new(),
    })
}

#[derive(Clone)]
struct Ctx {
    desk: Arc<Desk>,
    events: Arc<dyn Events>,
}

impl Listener {
    pub fn notify_url(&self) -> String {
        format!("http://{}/alipay/notify", self.addr)
    }

    pub fn return_url(&self) -> String {
        format!("http://{}/alipay/return", self.addr)
    }

    /// Serving starts once the desk exists (its gateway names this listener's URLs).
    pub fn serve(&self, desk: Arc<Desk>, events: Arc<dyn Events>) {
        let Ok(mut slot) = self.listener.lock() else {
            return;
        };
        let Some(listener) = slot.take() else { return };
        let _ = self.started.set(());
        let app = Router::new()
            .route("/alipay/notify", post(on_notify))
            .route("/alipay/return", get(on_return))
            .with_state(Ctx { desk, events });
        let mut stop = self.shutdown.subscribe();
        tokio::spawn(async move {
            let served = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
            });
            if let Err(e) = served.await {
                tracing::error!(error = %e, "the notify listener stopped");
            }
        });
    }

    pub fn stop(&self) {
        let _ = self.shutdown.send(true);
    }
}

async fn on_notify(State(ctx): State<Ctx>, body: String) -> &'static str {
    match settle(&ctx.desk, SettleInput::Callback(body)).await {
        Ok(report) => {
            tracing::info!(order = %report.order_number, outcome = ?report.outcome, "notify settled");
            ctx.events.order_changed(&report.order_number);
            "success"
        }
        Err(e) => {
            // Core wrote the refusal to the audit log; Alipay (the simulator) will try again.
            tracing::warn!(error = %e, "notify not settled");
            ctx.events.order_changed("");
            "fail"
        }
    }
}

async fn on_return(RawQuery(query): RawQuery) -> Html<String> {
    let q = query.unwrap_or_default();
    let escaped = q
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    Html(format!(
        "<!doctype html><meta charset=utf-8><title>Paydesk · 支付返回</title>\
         <body style=\"font-family:sans-serif;max-width:720px;margin:40px auto\">\
         <h2>支付完成 · Payment returned</h2>\
         <p>把本页地址粘贴到 Paydesk 的「验签」页核对签名；订单会由异步通知自动结算。<br>\
         Paste this page's address into Paydesk → Verify. The order settles by itself through the notify.</p>\
         <textarea id=u readonly style=\"width:100%;height:160px\"></textarea>\
         <script>document.getElementById('u').value = location.href</script>\
         <p style=\"color:#888;font-size:12px\">{} parameters</p></body>",
        escaped.split("&amp;").filter(|s| !s.is_empty()).count()
    ))
}
