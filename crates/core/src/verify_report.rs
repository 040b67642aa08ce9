//! The Verify screen's verdict for one pasted return URL / notify body / gateway response: the
//! signature check with its hint (wrong key? tampered field? `+` decoded wrong? a re-serialised
//! response?), which signing habit held, every field, and how the order it claims compares with
//! the store (exists, amount, app_id, seller_id). Read-only: settling is `ops::settle`, which
//! checks all of this again inside its transaction.

use alipay::pasted::{BusinessResult, check_pasted_response, is_response};
use alipay::{CallbackKind, SignedOver, parse_callback};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::desk::{Desk, Gateway};
use crate::domain::OrderStatus;
use crate::ops::{OpsError, OpsResult, OrderRef};

#[derive(Debug, Clone, Serialize)]
pub struct VerifyField {
    pub name: String,
    /// URL-decoded, as signed.
    pub value: String,
    /// Covered by the signature (`sign` and `sign_type` are not).
    pub signed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct OrderMatch {
    pub order_number: String,
    /// `None` fields below when the order is not in the store.
    pub status: Option<OrderStatus>,
    pub real_price: Option<Decimal>,
    /// `None` when the input has no total_amount or the order is unknown.
    pub amount_matches: Option<bool>,
    pub app_id_matches: Option<bool>,
    pub seller_id_matches: Option<bool>,
}

impl OrderMatch {
    pub fn exists(&self) -> bool {
        self.status.is_some()
    }
}

/// What was pasted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    Return,
    Notify,
    Unknown,
    /// A gateway response body (`{"<method>_response":{…},"sign":"…"}`).
    Response,
}

impl From<CallbackKind> for InputKind {
    fn from(k: CallbackKind) -> Self {
        match k {
            CallbackKind::Return => InputKind::Return,
            CallbackKind::Notify => InputKind::Notify,
            CallbackKind::Unknown => InputKind::Unknown,
        }
    }
}

/// A gateway response's claims, shown with its verdict.
#[derive(Debug, Clone, Serialize)]
pub struct ResponseSummary {
    /// `alipay_trade_query_response`, `error_response`; `None` when no answer was found.
    pub key: Option<String>,
    pub business: BusinessResult,
    pub alipay_cert_sn: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub valid: bool,
    pub kind: InputKind,
    /// Callbacks: which content the signature held over (when valid).
    pub signed_over: Option<SignedOver>,
    /// A remark on a valid verdict (not an error): the undocumented signing habit.
    pub note: Option<String>,
    pub response: Option<ResponseSummary>,
    /// Why it is invalid (the parse or signature error), `None` when valid.
    pub reason: Option<String>,
    /// Notes on how the input was read (defaults assumed, `+` handling …).
    pub hint: Option<String>,
    /// The string the signature covers; `None` when the input did not parse.
    pub canonical: Option<String>,
    pub fields: Vec<VerifyField>,
    /// The order named by out_trade_no, if any.
    pub order: Option<OrderMatch>,
}

/// One verdict. Needs the profile's gateway (its Alipay public key, app_id and seller_id).
pub async fn verify_report(desk: &Desk, input: &str) -> OpsResult<VerifyReport> {
    let judged = judge(desk.gateway()?, input);
    with_order(desk, judged).await
}

/// A verdict before the store is asked about the order it names: all the CPU work (parsing,
/// RSA), no I/O, so a batch can run it on a blocking thread ([`with_order`] finishes it).
pub struct Judged {
    report: VerifyReport,
    claim: Option<Claim>,
}

struct Claim {
    number: String,
    total_amount: Option<String>,
    app_id_matches: Option<bool>,
    seller_id_matches: Option<bool>,
}

impl Judged {
    /// The verdict so far (no order match yet).
    pub fn report(&self) -> &VerifyReport {
        &self.report
    }

    /// The verdict without asking the store (a batch's summary rows).
    pub fn into_report(self) -> VerifyReport {
        self.report
    }
}

/// Adds the order match to a [`judge`]d verdict.
pub async fn with_order(desk: &Desk, judged: Judged) -> OpsResult<VerifyReport> {
    let mut report = judged.report;
    if let Some(c) = judged.claim {
        report.order = Some(
            order_match(
                desk,
                c.number,
                c.total_amount.as_deref(),
                c.app_id_matches,
                c.seller_id_matches,
            )
            .await?,
        );
    }
    Ok(report)
}

/// The signature verdict of one input, without the order match.
pub fn judge(gw: &Gateway, input: &str) -> Judged {
    if is_response(input) {
        return judge_response(gw, input);
    }
    let parsed = match parse_callback(input) {
        Ok(p) => p,
        Err(e) => {
            return Judged {
                report: VerifyReport {
                    valid: false,
                    kind: InputKind::Unknown,
                    signed_over: None,
                    note: None,
                    response: None,
                    reason: Some(e.to_string()),
                    hint: None,
                    canonical: None,
                    fields: Vec::new(),
                    order: None,
                },
                claim: None,
            };
        }
    };
    let breakdown = parsed.breakdown();
    let claimed = |k: &str| parsed.get(k).map(str::to_string);
    let claim = claimed("out_trade_no").map(|number| Claim {
        number,
        total_amount: claimed("total_amount"),
        app_id_matches: claimed("app_id").map(|x| x == gw.app.app_id),
        seller_id_matches: claimed("seller_id").map(|x| x == gw.seller_id),
    });
    // The app's own public key lets the hint say "signed with the app key, not Alipay's".
    let app_public = gw.app.private_key.public_key().clone();
    let (reason, signed_over, breakdown) =
        match parsed.verify_with_hint(gw.alipay_public_key(), Some(&app_public)) {
            // Verified: the breakdown says what the signature covered (sign_type kept or not).
            Ok(v) => (None, Some(v.signed_over()), v.breakdown()),
            Err(e) => (Some(e.to_string()), None, breakdown),
        };
    let report = VerifyReport {
        valid: reason.is_none(),
        kind: breakdown.kind.into(),
        signed_over,
        note: signed_over.and_then(|s| s.note()).map(str::to_string),
        response: None,
        reason,
        hint: (!breakdown.notes.is_empty()).then(|| breakdown.notes.join("; ")),
        canonical: Some(breakdown.canonical),
        fields: breakdown
            .fields
            .into_iter()
            .map(|f| VerifyField {
                name: f.name,
                value: f.decoded,
                signed: f.signed,
            })
            .collect(),
        order: None,
    };
    Judged { report, claim }
}

/// A pasted gateway response: verified over its raw text with the profile's Alipay key (and
/// certificate serial in certificate mode); its members are the fields, all signed.
fn judge_response(gw: &Gateway, input: &str) -> Judged {
    let cfg = gw.client.config();
    let r = check_pasted_response(
        input,
        &cfg.alipay_public_key,
        gw.app.sign_type,
        cfg.alipay_cert_sn.as_deref(),
    );
    let object = r.key.as_ref().and_then(|k| {
        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(input)
            .ok()
            .and_then(|mut m| m.remove(k))
    });
    let (fields, claim) = match &object {
        Some(serde_json::Value::Object(o)) => {
            let fields = o
                .iter()
                .map(|(k, v)| VerifyField {
                    name: k.clone(),
                    value: v.as_str().map_or_else(|| v.to_string(), str::to_string),
                    signed: true,
                })
                .collect::<Vec<_>>();
            let get = |k: &str| o.get(k).and_then(|v| v.as_str()).map(str::to_string);
            let claim = get("out_trade_no").map(|number| Claim {
                number,
                total_amount: get("total_amount"),
                app_id_matches: None,
                seller_id_matches: None,
            });
            (fields, claim)
        }
        _ => (Vec::new(), None),
    };
    let report = VerifyReport {
        valid: r.result.is_ok(),
        kind: InputKind::Response,
        signed_over: None,
        note: None,
        reason: r.result.as_ref().err().map(|e| e.to_string()),
        hint: None,
        canonical: r.result.as_ref().ok().map(|v| v.raw.clone()),
        fields,
        order: None,
        response: Some(ResponseSummary {
            key: r.key,
            business: r.business,
            alipay_cert_sn: r.alipay_cert_sn,
        }),
    };
    Judged { report, claim }
}

async fn order_match(
    desk: &Desk,
    number: String,
    total_amount: Option<&str>,
    app_id_matches: Option<bool>,
    seller_id_matches: Option<bool>,
) -> OpsResult<OrderMatch> {
    let missing = |number: String| OrderMatch {
        order_number: number,
        status: None,
        real_price: None,
        amount_matches: None,
        app_id_matches,
        seller_id_matches,
    };
    // A claimed number that is not even one of ours is an unknown order, not an error.
    let Ok(r) = number.parse::<OrderRef>() else {
        return Ok(missing(number));
    };
    match crate::lookup::order(&desk.store, &r).await {
        Ok(o) => Ok(OrderMatch {
            order_number: number,
            status: Some(o.order_status),
            real_price: Some(o.real_price),
            amount_matches: total_amount
                .map(|t| t.trim().parse::<Decimal>().ok() == Some(o.real_price)),
            app_id_matches,
            seller_id_matches,
        }),
        Err(OpsError::NotFound { .. }) => Ok(missing(number)),
        Err(e) => Err(e),
    }
}
