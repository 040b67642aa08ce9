//! Async notifies (`trade_status_sync`), POSTed form-encoded to notify_url and retried on
//! Alipay's schedule — immediately, then after 4m, 10m, 10m, 1h, 2h, 6h and 15h — divided by a
//! speed-up factor, until the merchant answers exactly `success`.
//!
//! Alipay keeps retrying on its schedule whether or not the merchant (or, here, the simulator)
//! was down in between, so an undelivered notify is part of the state: [`PendingNotify`] (what
//! to send, the attempts so far, which attempt is next and when) is written to the state file
//! with the change that caused it and after every attempt, and a simulator started on that file
//! goes on with the remaining schedule.

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use alipay::sign::{CALLBACK_EXCLUDE, canonical_content};
use alipay::{Clock, PrivateKey, SignType};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifyAttempt {
    /// Simulator time of the attempt (Beijing).
    pub at: String,
    pub outcome: String,
}

/// One notification and what became of each delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// A notify not yet delivered and not yet given up on, as the state file keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingNotify {
    /// Its identity and the attempts made so far.
    pub record: NotifyRecord,
    /// The parameters without `notify_time`, `sign_type` and `sign`: every attempt is stamped
    /// and signed when it goes out, as Alipay does.
    pub fields: Vec<(String, String)>,
    pub charset: Charset,
    pub sign_type: SignType,
    /// Index into [`ALIPAY_SCHEDULE_SECS`] of the next attempt.
    pub next_attempt: usize,
    /// Simulator time (Beijing) the next attempt is due.
    pub due: NaiveDateTime,
    /// Injected failures (`notify:notify-fail=N`) still to come.
    pub fail_first: u32,
}

pub(crate) struct Notifier {
    client: reqwest::Client,
    delays: Vec<Duration>,
    records: Arc<Mutex<Vec<NotifyRecord>>>,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    rt: tokio::runtime::Handle,
    /// The simulator that owns this notifier: delivery tasks write their progress into its
    /// state. Weak, because the simulator owns the notifier.
    sim: Weak<Sim>,
}

struct Job {
    index: usize,
    notify_id: String,
    url: String,
    fields: Vec<(String, String)>,
    charset: Charset,
    sign_type: SignType,
    key: Arc<PrivateKey>,
    clock: Arc<SimClock>,
    fail_first: u32,
    next_attempt: usize,
}

/// The client notifies go out with (built apart from the notifier, which is built inside the
/// simulator's `Arc` and cannot fail there).
pub(crate) fn http_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()?)
}

/// Alipay's schedule divided by `speedup` (at least 1).
fn schedule_delays(speedup: u32) -> Vec<Duration> {
    let speedup = u64::from(speedup.max(1));
    ALIPAY_SCHEDULE_SECS
        .iter()
        .map(|s| Duration::from_millis(s * 1000 / speedup))
        .collect()
}

/// How long a resumed notify still waits: until it is due, but never longer than its step of
/// the (sped-up) schedule, so a simulator restarted with a larger speed-up is not held to the
/// old one; an overdue attempt goes out at once.
fn remaining_wait(due: NaiveDateTime, now: NaiveDateTime, step: Duration) -> Duration {
    (due - now).to_std().unwrap_or(Duration::ZERO).min(step)
}

impl Notifier {
    pub fn new(
        speedup: u32,
        rt: tokio::runtime::Handle,
        client: reqwest::Client,
        sim: Weak<Sim>,
    ) -> Self {
        Notifier {
            client,
            delays: schedule_delays(speedup),
            records: Arc::default(),
            tasks: Mutex::default(),
            rt,
            sim,
        }
    }

    pub fn records(&self) -> Vec<NotifyRecord> {
        self.records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Cancels the delivery tasks and waits until they are gone, so none of them writes the
    /// state file after this (a simulator started next on the same file owns it then). What
    /// they had not delivered stays pending in the state.
    pub async fn stop(&self) {
        let tasks: Vec<_> = self
            .tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
            .collect();
        for t in &tasks {
            t.abort();
        }
        for t in tasks {
            let _ = t.await;
        }
    }

    /// The notify about `t` (a snapshot taken after the change), due now; `None` without a
    /// notify_url. The caller keeps it in the state with the change and saves both at once,
    /// then hands it to [`Notifier::start`].
    pub fn prepare(&self, sim: &Sim, t: &Trade, kind: NotifyKind) -> Option<PendingNotify> {
        let url = t.notify_url.clone()?;
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
        Some(PendingNotify {
            record: NotifyRecord {
                notify_id,
                trade_no: t.trade_no.clone(),
                out_trade_no: t.out_trade_no.clone(),
                notify_url: url,
                trade_status: t.status.as_str().to_string(),
                out_biz_no,
                attempts: Vec::new(),
                delivered: false,
            },
            fields: f,
            charset: t.charset,
            sign_type: t.sign_type,
            next_attempt: 0,
            due: now,
            fail_first,
        })
    }

    /// Starts (or, after a restart, resumes) delivering a pending notify on the schedule.
    pub fn start(&self, sim: &Sim, p: PendingNotify) {
        let Some(step) = self.delays.get(p.next_attempt).copied() else {
            return;
        };
        let first_wait = remaining_wait(p.due, sim.now(), step);
        let index = {
            let mut recs = self.records.lock().unwrap_or_else(|p| p.into_inner());
            recs.push(p.record.clone());
            recs.len() - 1
        };
        let job = Job {
            index,
            notify_id: p.record.notify_id,
            url: p.record.notify_url,
            fields: p.fields,
            charset: p.charset,
            sign_type: p.sign_type,
            key: sim.keys.alipay.clone(),
            clock: sim.clock.clone(),
            fail_first: p.fail_first,
            next_attempt: p.next_attempt,
        };
        let ctx = Ctx {
            client: self.client.clone(),
            delays: self.delays.clone(),
            records: self.records.clone(),
            sim: self.sim.clone(),
        };
        let handle = self.rt.spawn(deliver(job, first_wait, ctx));
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        tasks.retain(|t| !t.is_finished());
        tasks.push(handle);
    }
}

struct Ctx {
    client: reqwest::Client,
    delays: Vec<Duration>,
    records: Arc<Mutex<Vec<NotifyRecord>>>,
    sim: Weak<Sim>,
}

impl Ctx {
    /// Writes a notify's progress into the simulator's state: the next attempt and when it is
    /// due, or (`next: None`) that it is done with — delivered or given up.
    fn persist(&self, job: &Job, next: Option<(usize, Duration)>) {
        let Some(sim) = self.sim.upgrade() else {
            return;
        };
        let record = self
            .records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(job.index)
            .cloned();
        let now = sim.now();
        let mut st = sim.lock();
        match next {
            None => st
                .pending_notifies
                .retain(|p| p.record.notify_id != job.notify_id),
            Some((attempt, wait)) => {
                let Some(p) = st
                    .pending_notifies
                    .iter_mut()
                    .find(|p| p.record.notify_id == job.notify_id)
                else {
                    return;
                };
                p.next_attempt = attempt;
                p.due = now + chrono::Duration::from_std(wait).unwrap_or_default();
                p.fail_first = job.fail_first;
                if let Some(r) = record {
                    p.record = r;
                }
            }
        }
        sim.save(&mut st);
    }
}

async fn deliver(mut job: Job, first_wait: Duration, ctx: Ctx) {
    let index = job.index;
    let record = |outcome: String, delivered: bool, at: String| {
        let mut recs = ctx.records.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = recs.get_mut(index) {
            r.attempts.push(NotifyAttempt { at, outcome });
            r.delivered |= delivered;
        }
    };
    let mut wait = first_wait;
    let mut attempt = job.next_attempt;
    while attempt < ctx.delays.len() {
        tokio::time::sleep(wait).await;
        let at = job.clock.alipay_timestamp();
        let (outcome, delivered, give_up) = attempt_once(&mut job, &ctx.client, &at).await;
        // No await from here to the state write: a stop cannot fall between a delivery and
        // its record, so a restart never sends again what the merchant already accepted.
        record(outcome, delivered, at);
        attempt += 1;
        match ctx.delays.get(attempt) {
            Some(next) if !delivered && !give_up => {
                wait = *next;
                ctx.persist(&job, Some((attempt, wait)));
            }
            _ => {
                ctx.persist(&job, None);
                return;
            }
        }
    }
}

/// One delivery attempt: (what happened, delivered, give up).
async fn attempt_once(job: &mut Job, client: &reqwest::Client, at: &str) -> (String, bool, bool) {
    if job.fail_first > 0 {
        job.fail_first -= 1;
        return ("not delivered (injected notify-fail)".into(), false, false);
    }
    let mut fields = job.fields.clone();
    fields.push(("notify_time".into(), at.to_string()));
    fields.push(("sign_type".into(), job.sign_type.as_str().into()));
    let content = canonical_content(
        fields.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        CALLBACK_EXCLUDE,
    );
    match job.key.sign(&job.charset.encode(&content), job.sign_type) {
        Ok(s) => fields.push(("sign".into(), s)),
        Err(e) => return (format!("signing failed: {e}"), false, true),
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
                return ("delivered: success".into(), true, false);
            }
            let snippet: String = text.chars().take(80).collect();
            (
                format!("answered HTTP {}: {snippet:?}", status.as_u16()),
                false,
                false,
            )
        }
        Err(e) => (format!("failed: {e}"), false, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn schedule_is_divided_by_the_speedup() {
        let d = schedule_delays(100);
        assert_eq!(d[0], Duration::ZERO);
        assert_eq!(d[1], Duration::from_millis(2400));
        assert_eq!(d[7], Duration::from_millis(540_000));
        assert_eq!(schedule_delays(0), schedule_delays(1));
    }

    #[test]
    fn a_resumed_notify_waits_what_is_left_of_its_step_at_most() {
        let step = Duration::from_secs(240);
        let now = t("2026-11-25 10:00:00");
        assert_eq!(
            remaining_wait(t("2026-11-25 10:01:00"), now, step),
            Duration::from_secs(60)
        );
        // Overdue (the simulator was down past it): at once.
        assert_eq!(
            remaining_wait(t("2026-11-25 09:00:00"), now, step),
            Duration::ZERO
        );
        // Due later than the step allows (restarted with a larger speed-up, or the clock was
        // moved back): the step.
        assert_eq!(remaining_wait(t("2026-11-26 10:00:00"), now, step), step);
    }
}
