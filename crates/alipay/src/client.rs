//! The gateway client for server calls (query, refund, refund query, close, bill URL) and the
//! bill download.
//!
//! Requests are POSTed as the official SDKs do: common parameters and `sign` in the URL query
//! (`charset` must be there, or the gateway checks the signature against the wrong bytes and
//! answers `isv.invalid-signature`), `biz_content` in the form body. Every answer's signature is
//! verified before anything in it is believed.
//!
//! Failures are sorted by what the caller may conclude:
//! - [`GatewayError::Business`]: Alipay refused (the operation did not happen);
//! - [`GatewayError::UnknownOutcome`]: 20000 / `ACQ.SYSTEM_ERROR` — it may or may not have
//!   happened, query again;
//! - [`GatewayError::Transport`]: no usable answer (timeout, refused, dropped, 5xx, not JSON) —
//!   for a call that moves money, also an unknown outcome;
//! - [`GatewayError::Signature`]: an answer arrived but is not proven to come from Alipay.
//!
//! Nothing is retried except [`GatewayClient::refund`], which resends the very same signed request
//! (same `out_request_no`, the refund's idempotency key) after an unknown outcome or a transport
//! failure: Alipay answers a repeat of a refund it already made with `fund_change=N` instead of
//! refunding twice.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::clock::Clock;
use crate::keys::PublicKey;
use crate::money::Amount;
use crate::request::{AppIdentity, Urls};
use crate::response::{ResponseError, VerifiedResponse, verify_response};
use crate::trade::{RefundStatus, TradeRef, TradeStatus, parse_money, parse_time};

pub const METHOD_QUERY: &str = "alipay.trade.query";
pub const METHOD_REFUND: &str = "alipay.trade.refund";
pub const METHOD_REFUND_QUERY: &str = "alipay.trade.fastpay.refund.query";
pub const METHOD_CLOSE: &str = "alipay.trade.close";
pub const METHOD_BILL_URL: &str = "alipay.data.dataservice.bill.downloadurl.query";

/// Where and as whom to call the gateway.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// e.g. `https://openapi.alipay.com/gateway.do`; no query string.
    pub gateway_url: String,
    pub app: AppIdentity,
    /// Alipay's public key (支付宝公钥; in certificate mode the key of its certificate).
    pub alipay_public_key: PublicKey,
    /// Certificate mode: answers must name this certificate.
    pub alipay_cert_sn: Option<String>,
    /// Whole-request timeout (connect, send, answer).
    pub timeout: Duration,
}

/// Why no usable answer came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "status")]
pub enum TransportKind {
    /// No complete answer within the timeout.
    Timeout,
    /// Could not connect (refused, DNS, TLS handshake).
    Connect,
    /// The connection was closed or reset before a complete answer.
    Dropped,
    /// The gateway (or a proxy before it) answered 5xx.
    Http5xx(u16),
    /// Any other non-success HTTP status (redirects are not followed).
    HttpStatus(u16),
    /// The answer is not JSON (an HTML error page, a proxy's message).
    NotJson,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    #[error("Alipay refused {method}: {code} {msg}{}{}", sub_code.as_deref().map(|s| format!(" — {s}")).unwrap_or_default(), sub_msg.as_deref().map(|s| format!(": {s}")).unwrap_or_default())]
    Business {
        method: String,
        code: String,
        msg: String,
        sub_code: Option<String>,
        sub_msg: Option<String>,
        /// `false`: the refusal came without a signature, so it is not proven to come from
        /// Alipay. Report it, but do not change any state because of it.
        signed: bool,
    },
    #[error(
        "the outcome of {method} is unknown ({detail}): query the trade before doing anything else"
    )]
    UnknownOutcome { method: String, detail: String },
    #[error("no usable answer from the gateway ({kind:?}): {detail}")]
    Transport { kind: TransportKind, detail: String },
    #[error("the gateway's answer failed verification: {0}")]
    Signature(ResponseError),
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("gateway settings: {0}")]
    Config(String),
    #[error("the verified answer to {method} cannot be read: {detail}")]
    BadResponse { method: String, detail: String },
}

impl GatewayError {
    pub fn sub_code(&self) -> Option<&str> {
        match self {
            GatewayError::Business { sub_code, .. } => sub_code.as_deref(),
            _ => None,
        }
    }

    /// A signed `ACQ.TRADE_NOT_EXIST`: Alipay has no such trade (before the buyer opens the
    /// cashier, a trade does not exist yet). An unsigned one proves nothing.
    pub fn is_trade_not_exist(&self) -> bool {
        self.is_signed_sub_code("ACQ.TRADE_NOT_EXIST")
    }

    /// A signed `isp.bill_not_exist`: no bill for that date (nothing happened that day).
    pub fn is_bill_not_exist(&self) -> bool {
        self.is_signed_sub_code("isp.bill_not_exist")
    }

    fn is_signed_sub_code(&self, want: &str) -> bool {
        matches!(self, GatewayError::Business { sub_code: Some(s), signed: true, .. } if s == want)
    }

    /// The call may have taken effect: unknown outcome or no usable answer.
    pub fn outcome_unknown(&self) -> bool {
        matches!(
            self,
            GatewayError::UnknownOutcome { .. } | GatewayError::Transport { .. }
        )
    }
}

/// A refund as sent; `out_request_no` identifies it across retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    pub trade: TradeRef,
    pub refund_amount: Amount,
    /// Unique per refund of a trade; resending the same one is how a refund is retried safely.
    pub out_request_no: String,
    pub refund_reason: Option<String>,
}

impl RefundRequest {
    pub fn new(trade: TradeRef, refund_amount: Amount, out_request_no: impl Into<String>) -> Self {
        RefundRequest {
            trade,
            refund_amount,
            out_request_no: out_request_no.into(),
            refund_reason: None,
        }
    }
}

fn check_out_request_no(v: &str) -> Result<(), GatewayError> {
    if v.is_empty() {
        return Err(GatewayError::InvalidRequest(
            "out_request_no is empty: every refund needs its own out_request_no (it is how a retry is recognised)".into(),
        ));
    }
    if v.chars().count() > 64 || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(GatewayError::InvalidRequest(format!(
            "out_request_no {v:?} must be at most 64 characters without whitespace"
        )));
    }
    Ok(())
}

/// `alipay.trade.query`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TradeQuery {
    pub trade_no: String,
    pub out_trade_no: String,
    pub trade_status: TradeStatus,
    pub total_amount: Decimal,
    pub buyer_pay_amount: Option<Decimal>,
    pub receipt_amount: Option<Decimal>,
    pub point_amount: Option<Decimal>,
    pub invoice_amount: Option<Decimal>,
    /// Naive Beijing time of payment.
    pub send_pay_date: Option<NaiveDateTime>,
    pub buyer_logon_id: Option<String>,
    pub buyer_user_id: Option<String>,
    /// The signed JSON text, for the audit trail.
    pub raw: String,
}

/// `alipay.trade.refund`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RefundOutcome {
    pub trade_no: String,
    pub out_trade_no: String,
    pub out_request_no: String,
    /// `Y`: money moved now. `N`: nothing moved by this call — typically a repeat of a refund
    /// already made (look at `refund_fee`).
    pub fund_change: bool,
    /// Cumulative refunded amount of the trade.
    pub refund_fee: Decimal,
    pub gmt_refund_pay: Option<NaiveDateTime>,
    pub buyer_logon_id: Option<String>,
    /// How many times the request was sent (1 = no retry).
    pub attempts: u32,
    pub raw: String,
}

/// `alipay.trade.fastpay.refund.query`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RefundQuery {
    pub trade_no: Option<String>,
    pub out_trade_no: Option<String>,
    pub out_request_no: String,
    /// Absent while Alipay does not know the refund or it failed.
    pub refund_status: Option<RefundStatus>,
    pub refund_amount: Option<Decimal>,
    pub total_amount: Option<Decimal>,
    pub gmt_refund_pay: Option<NaiveDateTime>,
    pub refund_reason: Option<String>,
    pub raw: String,
}

impl RefundQuery {
    /// Only an explicit REFUND_SUCCESS counts as refunded.
    pub fn is_refunded(&self) -> bool {
        self.refund_status == Some(RefundStatus::RefundSuccess)
    }
}

/// `alipay.trade.close`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CloseOutcome {
    pub trade_no: Option<String>,
    pub out_trade_no: Option<String>,
    pub raw: String,
}

/// A signed request ready to be sent (and, for a refund, resent byte for byte).
struct Prepared {
    method: String,
    url: String,
    body: String,
}

pub struct GatewayClient {
    cfg: GatewayConfig,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    refund_retries: u32,
    refund_backoff: Duration,
}

impl std::fmt::Debug for GatewayClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayClient")
            .field("cfg", &self.cfg)
            .field("refund_retries", &self.refund_retries)
            .finish_non_exhaustive()
    }
}

impl GatewayClient {
    pub fn new(cfg: GatewayConfig, clock: Arc<dyn Clock>) -> Result<Self, GatewayError> {
        let url = reqwest::Url::parse(&cfg.gateway_url).map_err(|e| {
            GatewayError::Config(format!(
                "gateway URL {:?} is not a URL ({e}): use e.g. https://openapi.alipay.com/gateway.do",
                cfg.gateway_url
            ))
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(GatewayError::Config(format!(
                "gateway URL {:?} must be http(s)://host/…",
                cfg.gateway_url
            )));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(GatewayError::Config(format!(
                "gateway URL {:?} must not carry a query or fragment: the client adds the signed parameters itself",
                cfg.gateway_url
            )));
        }
        if cfg.timeout.is_zero() {
            return Err(GatewayError::Config(
                "the gateway timeout is zero: set a few seconds".into(),
            ));
        }
        let mut builder = reqwest::Client::builder();
        if is_loopback(&url) {
            // The simulator runs on this machine: a system-wide HTTP_PROXY must not capture it.
            builder = builder.no_proxy();
        }
        let http = builder
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout.min(Duration::from_secs(10)))
            // A redirected POST becomes a GET elsewhere; a gateway never redirects, so report it.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("paydesk/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| GatewayError::Config(format!("cannot set up HTTPS: {e}")))?;
        Ok(GatewayClient {
            cfg,
            http,
            clock,
            refund_retries: 2,
            refund_backoff: Duration::from_millis(500),
        })
    }

    /// How often a refund is resent after an unknown outcome or a transport failure, and the
    /// pause before the first resend (it grows linearly).
    pub fn with_refund_retries(mut self, retries: u32, backoff: Duration) -> Self {
        self.refund_retries = retries;
        self.refund_backoff = backoff;
        self
    }

    pub fn config(&self) -> &GatewayConfig {
        &self.cfg
    }

    fn prepare(&self, method: &str, biz: &Value) -> Result<Prepared, GatewayError> {
        let well_formed = method.split('.').count() >= 3
            && method
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_');
        if !well_formed {
            return Err(GatewayError::InvalidRequest(format!(
                "method {method:?} is not an Alipay method name such as alipay.trade.query"
            )));
        }
        let biz = serde_json::to_string(biz)
            .map_err(|e| GatewayError::InvalidRequest(format!("biz_content: {e}")))?;
        let mut params = self
            .cfg
            .app
            .common_params(method, &biz, &Urls::default(), &*self.clock);
        self.cfg
            .app
            .sign(&mut params)
            .map_err(|e| GatewayError::InvalidRequest(format!("cannot sign the request: {e}")))?;
        // Signed with biz_content; sent without it in the query.
        let biz = params.remove("biz_content").unwrap_or_default();
        let url = format!("{}?{}", self.cfg.gateway_url, params.to_query());
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("biz_content", &biz)
            .finish();
        Ok(Prepared {
            method: method.to_string(),
            url,
            body,
        })
    }

    async fn send(&self, req: &Prepared) -> Result<VerifiedResponse, GatewayError> {
        let resp = self
            .http
            .post(&req.url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded;charset=utf-8",
            )
            .body(req.body.clone())
            .send()
            .await
            .map_err(transport)?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(transport)?;
        if status.is_server_error() {
            return Err(GatewayError::Transport {
                kind: TransportKind::Http5xx(status.as_u16()),
                detail: format!("HTTP {status}: {}", preview(&bytes)),
            });
        }
        if !status.is_success() {
            return Err(GatewayError::Transport {
                kind: TransportKind::HttpStatus(status.as_u16()),
                detail: format!(
                    "HTTP {status} (is the gateway URL right?): {}",
                    preview(&bytes)
                ),
            });
        }
        let body = std::str::from_utf8(&bytes).map_err(|_| GatewayError::Transport {
            kind: TransportKind::NotJson,
            detail: format!("the answer is not UTF-8 text: {}", preview(&bytes)),
        })?;
        let verified = verify_response(
            body,
            &req.method,
            &self.cfg.alipay_public_key,
            self.cfg.app.sign_type,
            self.cfg.alipay_cert_sn.as_deref(),
        )
        .map_err(|e| response_failure(&req.method, e, body))?;
        classify(&req.method, verified)
    }

    /// Any method: signs, sends, verifies, and returns the answer when its code is 10000.
    pub async fn call(
        &self,
        method: &str,
        biz_content: &Value,
    ) -> Result<VerifiedResponse, GatewayError> {
        self.send(&self.prepare(method, biz_content)?).await
    }

    /// `alipay.trade.query`.
    pub async fn query(&self, by: TradeRef) -> Result<TradeQuery, GatewayError> {
        by.validate()
            .map_err(|e| GatewayError::InvalidRequest(e.to_string()))?;
        let v = self
            .send(&self.prepare(METHOD_QUERY, &json!({ by.key(): by.value() }))?)
            .await?;
        let r = Reader::new(METHOD_QUERY, &v);
        r.same_trade(&by)?;
        Ok(TradeQuery {
            trade_no: r.required("trade_no")?,
            out_trade_no: r.required("out_trade_no")?,
            trade_status: TradeStatus::parse(&r.required("trade_status")?),
            total_amount: r.required_money("total_amount")?,
            buyer_pay_amount: r.money("buyer_pay_amount")?,
            receipt_amount: r.money("receipt_amount")?,
            point_amount: r.money("point_amount")?,
            invoice_amount: r.money("invoice_amount")?,
            send_pay_date: r.time("send_pay_date")?,
            buyer_logon_id: r.text("buyer_logon_id"),
            buyer_user_id: r.text("buyer_user_id"),
            raw: v.raw.clone(),
        })
    }

    /// `alipay.trade.refund`, resent as is (same out_request_no, same signature) up to the
    /// configured number of times while the outcome is unknown.
    pub async fn refund(&self, req: &RefundRequest) -> Result<RefundOutcome, GatewayError> {
        req.trade
            .validate()
            .map_err(|e| GatewayError::InvalidRequest(e.to_string()))?;
        check_out_request_no(&req.out_request_no)?;
        let mut biz = json!({
            req.trade.key(): req.trade.value(),
            "refund_amount": req.refund_amount.to_string(),
            "out_request_no": req.out_request_no,
        });
        if let Some(reason) = req.refund_reason.as_deref().filter(|r| !r.is_empty()) {
            biz["refund_reason"] = Value::String(reason.to_string());
        }
        let prepared = self.prepare(METHOD_REFUND, &biz)?;
        let mut attempts = 0u32;
        let v = loop {
            attempts += 1;
            match self.send(&prepared).await {
                Err(e) if e.outcome_unknown() && attempts <= self.refund_retries => {
                    tracing::warn!(
                        out_request_no = %req.out_request_no,
                        attempt = attempts,
                        error = %e,
                        "refund outcome unknown; resending the same request"
                    );
                    tokio::time::sleep(self.refund_backoff * attempts).await;
                }
                Err(e) if e.outcome_unknown() && attempts > 1 => {
                    let note = format!(
                        " (after {attempts} attempts with out_request_no {}: retry later with the same one)",
                        req.out_request_no
                    );
                    return Err(match e {
                        GatewayError::UnknownOutcome { method, detail } => {
                            GatewayError::UnknownOutcome {
                                method,
                                detail: detail + &note,
                            }
                        }
                        GatewayError::Transport { kind, detail } => GatewayError::Transport {
                            kind,
                            detail: detail + &note,
                        },
                        other => other,
                    });
                }
                other => break other?,
            }
        };
        let r = Reader::new(METHOD_REFUND, &v);
        r.same_trade(&req.trade)?;
        let fund_change = match r.required("fund_change")?.as_str() {
            "Y" => true,
            "N" => false,
            other => return Err(r.bad(format!("fund_change is {other:?}, expected Y or N"))),
        };
        Ok(RefundOutcome {
            trade_no: r.required("trade_no")?,
            out_trade_no: r.required("out_trade_no")?,
            out_request_no: req.out_request_no.clone(),
            fund_change,
            refund_fee: r.required_money("refund_fee")?,
            gmt_refund_pay: r.time("gmt_refund_pay")?,
            buyer_logon_id: r.text("buyer_logon_id"),
            attempts,
            raw: v.raw.clone(),
        })
    }

    /// `alipay.trade.fastpay.refund.query` (ask ≥ 10 s after the refund).
    pub async fn refund_query(
        &self,
        by: TradeRef,
        out_request_no: &str,
    ) -> Result<RefundQuery, GatewayError> {
        by.validate()
            .map_err(|e| GatewayError::InvalidRequest(e.to_string()))?;
        check_out_request_no(out_request_no)?;
        let biz = json!({ by.key(): by.value(), "out_request_no": out_request_no });
        let v = self.send(&self.prepare(METHOD_REFUND_QUERY, &biz)?).await?;
        let r = Reader::new(METHOD_REFUND_QUERY, &v);
        if let Some(got) = r.text("out_request_no")
            && got != out_request_no
        {
            return Err(r.bad(format!(
                "the answer is about out_request_no {got:?}, not {out_request_no:?}"
            )));
        }
        Ok(RefundQuery {
            trade_no: r.text("trade_no"),
            out_trade_no: r.text("out_trade_no"),
            out_request_no: out_request_no.to_string(),
            refund_status: r.text("refund_status").map(|s| RefundStatus::parse(&s)),
            refund_amount: r.money("refund_amount")?,
            total_amount: r.money("total_amount")?,
            gmt_refund_pay: r.time("gmt_refund_pay")?,
            refund_reason: r.text("refund_reason"),
            raw: v.raw.clone(),
        })
    }

    /// `alipay.trade.close` (only WAIT_BUYER_PAY trades close).
    pub async fn close(&self, by: TradeRef) -> Result<CloseOutcome, GatewayError> {
        by.validate()
            .map_err(|e| GatewayError::InvalidRequest(e.to_string()))?;
        let v = self
            .send(&self.prepare(METHOD_CLOSE, &json!({ by.key(): by.value() }))?)
            .await?;
        let r = Reader::new(METHOD_CLOSE, &v);
        r.same_trade(&by)?;
        Ok(CloseOutcome {
            trade_no: r.text("trade_no"),
            out_trade_no: r.text("out_trade_no"),
            raw: v.raw.clone(),
        })
    }

    /// `alipay.data.dataservice.bill.downloadurl.query`: the bill's download URL (valid 30 s).
    /// `bill_type` is `trade` or `signcustomer`; `bill_date` `yyyy-MM-dd` or `yyyy-MM`.
    pub async fn bill_download_url(
        &self,
        bill_type: &str,
        bill_date: &str,
    ) -> Result<String, GatewayError> {
        if !matches!(bill_type, "trade" | "signcustomer") {
            return Err(GatewayError::InvalidRequest(format!(
                "bill_type {bill_type:?}: use trade (the trade bill) or signcustomer (the account bill)"
            )));
        }
        let day = chrono::NaiveDate::parse_from_str(bill_date, "%Y-%m-%d").is_ok()
            && bill_date.len() == 10;
        let month = bill_date.len() == 7
            && chrono::NaiveDate::parse_from_str(&format!("{bill_date}-01"), "%Y-%m-%d").is_ok();
        if !day && !month {
            return Err(GatewayError::InvalidRequest(format!(
                "bill_date {bill_date:?}: use yyyy-MM-dd (a past day) or yyyy-MM (a past month)"
            )));
        }
        let biz = json!({ "bill_type": bill_type, "bill_date": bill_date });
        let v = self.send(&self.prepare(METHOD_BILL_URL, &biz)?).await?;
        let url = Reader::new(METHOD_BILL_URL, &v).required("bill_download_url")?;
        Ok(url)
    }

    /// Downloads the bill file (a zip) from the URL `bill_download_url` returned.
    pub async fn download_bill(&self, url: &str) -> Result<Vec<u8>, GatewayError> {
        let parsed = reqwest::Url::parse(url).map_err(|e| {
            GatewayError::InvalidRequest(format!("bill URL {url:?} is not a URL ({e})"))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(GatewayError::InvalidRequest(format!(
                "bill URL {url:?} is not http(s)"
            )));
        }
        let resp = self.http.get(parsed).send().await.map_err(transport)?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(transport)?;
        if !status.is_success() {
            let kind = if status.is_server_error() {
                TransportKind::Http5xx(status.as_u16())
            } else {
                TransportKind::HttpStatus(status.as_u16())
            };
            return Err(GatewayError::Transport {
                kind,
                detail: format!(
                    "bill download answered HTTP {status} (download URLs expire after 30 s: ask for a new one): {}",
                    preview(&bytes)
                ),
            });
        }
        if !bytes.starts_with(b"PK\x03\x04") {
            return Err(GatewayError::BadResponse {
                method: "bill download".into(),
                detail: format!(
                    "the file is not a zip (expired link? ask for a new URL): {}",
                    preview(&bytes)
                ),
            });
        }
        Ok(bytes.to_vec())
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn transport(e: reqwest::Error) -> GatewayError {
    let kind = if e.is_timeout() {
        TransportKind::Timeout
    } else if e.is_connect() {
        TransportKind::Connect
    } else if e.is_request() || e.is_body() || e.is_decode() {
        TransportKind::Dropped
    } else {
        TransportKind::Other
    };
    // The request URL carries every signed parameter: noise in an error message, so drop it.
    let e = e.without_url();
    // reqwest's Display stops at the outermost cause; the chain says e.g. "connection reset".
    let mut detail = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        src = s.source();
    }
    GatewayError::Transport { kind, detail }
}

fn response_failure(method: &str, e: ResponseError, body: &str) -> GatewayError {
    match e {
        ResponseError::NotJson(_) | ResponseError::NotAnObject => GatewayError::Transport {
            kind: TransportKind::NotJson,
            detail: format!("{e}; the answer starts with: {}", preview(body.as_bytes())),
        },
        ResponseError::UnsignedError {
            code,
            msg,
            sub_code,
            sub_msg,
            ..
        } => {
            if code == "20000" || sub_code == "ACQ.SYSTEM_ERROR" {
                return GatewayError::UnknownOutcome {
                    method: method.to_string(),
                    detail: format!("unsigned {code} {sub_code} {sub_msg}"),
                };
            }
            log_rejected_signature(method, &sub_code, &sub_msg);
            GatewayError::Business {
                method: method.to_string(),
                code,
                msg,
                sub_code: Some(sub_code).filter(|s| !s.is_empty()),
                sub_msg: Some(sub_msg).filter(|s| !s.is_empty()),
                signed: false,
            }
        }
        other => GatewayError::Signature(other),
    }
}

/// The gateway's `sub_msg` for a rejected signature contains the exact string it checked: the
/// one thing that shows which parameter differs. It holds no secret (the request's own content).
fn log_rejected_signature(method: &str, sub_code: &str, sub_msg: &str) {
    if sub_code == "isv.invalid-signature" {
        tracing::warn!(
            method,
            sub_msg,
            "the gateway rejected our request signature"
        );
    }
}

fn classify(method: &str, v: VerifiedResponse) -> Result<VerifiedResponse, GatewayError> {
    let code = v.code().unwrap_or_default().to_string();
    let sub_code = v.str_field("sub_code").map(str::to_string);
    if code == "10000" && !v.is_error_response {
        return Ok(v);
    }
    if code == "20000"
        || sub_code.as_deref() == Some("ACQ.SYSTEM_ERROR")
        || code.is_empty()
        || code == "10000"
    {
        // No code (or "success" under error_response) is as uninformative as 20000.
        return Err(GatewayError::UnknownOutcome {
            method: method.to_string(),
            detail: format!(
                "code {:?} {}",
                code,
                [
                    v.str_field("msg"),
                    sub_code.as_deref(),
                    v.str_field("sub_msg")
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ")
            ),
        });
    }
    let sub_msg = v.str_field("sub_msg").map(str::to_string);
    log_rejected_signature(
        method,
        sub_code.as_deref().unwrap_or_default(),
        sub_msg.as_deref().unwrap_or_default(),
    );
    Err(GatewayError::Business {
        method: method.to_string(),
        msg: v.str_field("msg").unwrap_or_default().to_string(),
        code,
        sub_code,
        sub_msg,
        signed: true,
    })
}

fn preview(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]);
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if bytes.len() > 200 {
        format!("{one_line}…")
    } else {
        one_line
    }
}

/// Typed reads of a verified answer; every failure names the method and the field.
struct Reader<'a> {
    method: &'static str,
    v: &'a VerifiedResponse,
}

impl<'a> Reader<'a> {
    fn new(method: &'static str, v: &'a VerifiedResponse) -> Self {
        Reader { method, v }
    }

    fn bad(&self, detail: String) -> GatewayError {
        GatewayError::BadResponse {
            method: self.method.to_string(),
            detail,
        }
    }

    fn text(&self, k: &str) -> Option<String> {
        self.v
            .str_field(k)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }

    fn required(&self, k: &str) -> Result<String, GatewayError> {
        self.text(k)
            .ok_or_else(|| self.bad(format!("{k} is missing")))
    }

    fn money(&self, k: &str) -> Result<Option<Decimal>, GatewayError> {
        match self.text(k) {
            None => Ok(None),
            Some(s) => parse_money(&s)
                .map(Some)
                .map_err(|e| self.bad(format!("{k}: {e}"))),
        }
    }

    fn required_money(&self, k: &str) -> Result<Decimal, GatewayError> {
        self.money(k)?
            .ok_or_else(|| self.bad(format!("{k} is missing")))
    }

    fn time(&self, k: &str) -> Result<Option<NaiveDateTime>, GatewayError> {
        match self.text(k) {
            None => Ok(None),
            Some(s) => parse_time(&s)
                .map(Some)
                .ok_or_else(|| self.bad(format!("{k} {s:?} is not yyyy-MM-dd HH:mm:ss"))),
        }
    }

    /// A signed answer about another trade would be a gateway fault; never apply it to ours.
    fn same_trade(&self, by: &TradeRef) -> Result<(), GatewayError> {
        match self.text(by.key()) {
            Some(got) if got != by.value() => Err(self.bad(format!(
                "the answer is about {}={got:?}, not {by}",
                by.key()
            ))),
            _ => Ok(()),
        }
    }
}
