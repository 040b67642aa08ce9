//! Async notifies (`trade_status_sync`), POSTed form-encoded to notify_url and retried on
//! Alipay's schedule — immediately, then after 4m, 10m, 10m, 1h, 2h, 6h and 15h — divided by a
//! speed-up factor, until the merchant answers exactly `success`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use alipay::sign::{CALLBACK_EXCLUDE, canonical_content};
use alipay::{Clock, PrivateKey, SignType};
use serde::Serialize;

use crate::clock::SimClock;
use crate::core::{Sim, money, ts};
use crate::fault::{Fault, NOTIFY};
use crate::protocol::{Charset, form_encode};
use crate::state::Trade;

/// Alipay's retry delays (the first attempt is immediate).
pub const ALIPAY_SCHEDULE_SECS: [u64; 8] = [
    0,
    4 * 60,
    10 * 60,
    10 * 60,
    3600,
    2 * 3600,
    6 * 3600,
    15 * 3600,
];

#[derive(Debug, Clone)]
pub enum NotifyKind {
    Payment,
    Refund { out_request_no: String },
}

#[derive(Debug, Clone, Serialize)]
pub struct NotifyAttempt {
    /// Simulator time of the attempt (Beijing).
    pub at: String,
    pub outcome: String,
}

/// One notification and what became of each delivery attempt.
#[derive(Debug, Clone, Serialize)]
pub struct NotifyRecord {
    pub notify_id: String,
    pub trade_no: String,
    pub out_trade_no: String,
    pub notify_url: String,
    pub trade_status: String,
    pub out_biz_no: Option<String>,
    pub attempts: Vec<NotifyAttempt>,
    pub delivered: bool,
}

pub(crate) struct Notifier {
    client: reqwest::Client,
    delays: Vec<Duration>,
    records: Arc<Mutex<Vec<NotifyRecord>>>,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    rt: tokio::runtime::Handle,
}

struct Job {
    index: usize,
    url: String,
    fields: Vec<(String, String)>,
    charset: Charset,
    sign_type: SignType,
    key: Arc<PrivateKey>,
    clock: Arc<SimClock>,
    fail_first: u32,
}

impl Notifier {
    pub fn new(speedup: u32, rt: tokio::runtime::Handle) -> anyhow::Result<Self> {
        let speedup = speedup.max(1);
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Notifier {
            client,
            delays: ALIPAY_SCHEDULE_SECS
                .iter()
                .map(|s| Duration::from_millis(s * 1000 / u64::from(speedup)))
                .collect(),
            records: Arc::default(),
            tasks: Mutex::default(),
            rt,
        })
    }

    pub fn records(&self) -> Vec<NotifyRecord> {
        self.records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn stop(&self) {
        for t in self
            .tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            t.abort();
        }
    }

    /// Starts delivering a notify about `t` (a snapshot taken after the change).
    pub fn schedule(&self, sim: &Sim, t: &Trade, kind: NotifyKind) {
        let Some(url) = t.notify_url.clone() else {
            return;
        };
        let fail_first = sim
            .faults
            .take(NOTIFY)
            .into_iter()
            .map(|f| match f {
                Fault::NotifyFail(n) => n,
                _ => 0,
            })
            .sum();
        let now = sim.now();
        let notify_id = format!(
            "{}00222{}{:015}",
            now.format("%Y%m%d"),
            now.format("%H%M%S"),
            rand::random_range(0..1_000_000_000_000_000u64)
        );
        let total = t.total_amount.to_string();
        let mut f: Vec<(String, String)> = Vec::new();
        let mut put = |k: &str, v: &str| f.push((k.to_string(), v.to_string()));
        put("gmt_create", &ts(t.gmt_create));
        put("charset", t.charset.as_str());
        put("seller_email", &sim.identity.seller_email);
        put("subject", &t.subject);
        if let Some(b) = &t.body {
            put("body", b);
        }
        put("buyer_id", t.buyer_id.as_deref().unwrap_or(""));
        put("invoice_amount", &total);
        put("notify_id", &notify_id);
        put(
            "fund_bill_list",
            &format!(r#"[{{"amount":"{total}","fundChannel":"ALIPAYACCOUNT"}}]"#),
        );
        put("notify_type", "trade_status_sync");
        put("trade_status", t.status.as_str());
        put("receipt_amount", &total);
        put("app_id", &t.app_id);
        put("buyer_pay_amount", &total);
        put("seller_id", &sim.identity.seller_id);
        if let Some(p) = t.gmt_payment {
            put("gmt_payment", &ts(p));
        }
        if let Some(p) = &t.passback_params {
            put("passback_params", p);
        }
        put("version", "1.0");
        put("out_trade_no", &t.out_trade_no);
        put("total_amount", &total);
        put("trade_no", &t.trade_no);
        put("auth_app_id", &t.app_id);
        put("buyer_logon_id", t.buyer_logon_id.as_deref().unwrap_or(""));
        put("point_amount", "0.00");
        let mut out_biz_no = None;
        if let NotifyKind::Refund { out_request_no } = &kind {
            put("out_biz_no", out_request_no);
            put("refund_fee", &money(t.refunded()));
            if let Some(r) = t.refund(out_request_no) {
                put(
                    "gmt_refund",
                    &r.gmt_refund.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
                );
            }
            if let Some(c) = t.gmt_close {
                put("gmt_close", &ts(c));
            }
            out_biz_no = Some(out_request_no.clone());
        }
        let index = {
            let mut recs = self.records.lock().unwrap_or_else(|p| p.into_inner());
            recs.push(NotifyRecord {
                notify_id,
                trade_no: t.trade_no.clone(),
                out_trade_no: t.out_trade_no.clone(),
                notify_url: url.clone(),
                trade_status: t.status.as_str().to_string(),
                out_biz_no,
                attempts: Vec::new(),
                delivered: false,
            });
            recs.len() - 1
        };
        let job = Job {
            index,
            url,
            fields: f,
            charset: t.charset,
            sign_type: t.sign_type,
            key: sim.keys.alipay.clone(),
            clock: sim.clock.clone(),
            fail_first,
        };
        let client = self.client.clone();
        let delays = self.delays.clone();
        let records = self.records.clone();
        let handle = self.rt.spawn(deliver(job, client, delays, records));
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        tasks.retain(|t| !t.is_finished());
        tasks.push(handle);
    }
}

async fn deliver(
    mut job: Job,
    client: reqwest::Client,
    delays: Vec<Duration>,
    records: Arc<Mutex<Vec<NotifyRecord>>>,
) {
    let record = |outcome: String, delivered: bool, at: String| {
        let mut recs = records.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = recs.get_mut(job.index) {
            r.attempts.push(NotifyAttempt { at, outcome });
            r.delivered |= delivered;
        }
    };
    for delay in delays {
        tokio::time::sleep(delay).await;
        let at = job.clock.alipay_timestamp();
        if job.fail_first > 0 {
            job.fail_first -= 1;
            record("not delivered (injected notify-fail)".into(), false, at);
            continue;
        }
        let mut fields = job.fields.clone();
        fields.push(("notify_time".into(), at.clone()));
        fields.push(("sign_type".into(), job.sign_type.as_str().into()));
        let content = canonical_content(
            fields.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            CALLBACK_EXCLUDE,
        );
        match job.key.sign(&job.charset.encode(&content), job.sign_type) {
            Ok(s) => fields.push(("sign".into(), s)),
            Err(e) => {
                record(format!("signing failed: {e}"), false, at);
                return;
            }
        }
        let body = form_encode(
            fields.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            job.charset,
        );
        let sent = client
            .post(&job.url)
            .header(
                reqwest::header::CONTENT_TYPE,
                format!(
                    "application/x-www-form-urlencoded; charset={}",
                    job.charset.as_str()
                ),
            )
            .body(body)
            .send()
            .await;
        match sent {
            Ok(resp) => {
                let status = resp.status();
                let text = resp.text().await.unwrap_or_default();
                // Exactly `success`: anything else, even "SUCCESS" or "success\n", is a
                // failure to Alipay and the notify comes again.
                if status.is_success() && text == "success" {
                    record("delivered: success".into(), true, at);
                    return;
                }
                let snippet: String = text.chars().take(80).collect();
                record(
                    format!("answered HTTP {}: {snippet:?}", status.as_u16()),
                    false,
                    at,
                );
            }
            Err(e) => record(format!("failed: {e}"), false, at),
        }
    }
}
