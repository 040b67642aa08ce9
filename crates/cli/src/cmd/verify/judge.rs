//! One input, one verdict: a return URL or notify body (form), or a gateway response body (a
//! JSON object). Values here are as received; printing makes them visible (print.rs).

use alipay::callback::CallbackBreakdown;
use alipay::pasted::{BusinessResult, check_pasted_response, is_response};
use alipay::{PublicKey, SignType, SignedOver, VerifiedCallback};
use serde::Serialize;

use crate::inputs::Item;

pub struct Checks {
    pub key: PublicKey,
    pub app_public: Option<PublicKey>,
    pub app_id: Option<String>,
    pub seller_id: Option<String>,
    /// Certificate mode: the `alipay_cert_sn` a response must name.
    pub alipay_cert_sn: Option<String>,
}

/// What the input is: core's kinds (return, notify, unknown, response), one definition for the
/// CLI and the app's Verify view.
pub use paydesk_core::verify_report::InputKind;

/// The kind's word in human output, `-` when the input could not be read at all.
pub fn kind_name(k: Option<InputKind>) -> &'static str {
    match k {
        Some(InputKind::Return) => "return",
        Some(InputKind::Notify) => "notify",
        Some(InputKind::Unknown) => "unknown",
        Some(InputKind::Response) => "response",
        None => "-",
    }
}

#[derive(Serialize)]
pub struct Check {
    pub field: &'static str,
    pub expected: String,
    pub got: Option<String>,
    pub ok: bool,
}

#[derive(Serialize)]
pub struct ErrorInfo {
    pub code: &'static str,
    pub message: String,
}

/// A gateway response's claims: which answer, its business result, the certificate serial.
#[derive(Serialize)]
pub struct ResponseInfo {
    /// `alipay_trade_query_response`, `error_response`.
    pub key: Option<String>,
    #[serde(flatten)]
    pub business: BusinessResult,
    pub meaning: &'static str,
    pub alipay_cert_sn: Option<String>,
}

#[derive(Serialize)]
pub struct Verdict {
    #[serde(rename = "type")]
    pub ty: &'static str,
    pub index: usize,
    pub origin: String,
    pub valid: bool,
    pub verdict: &'static str,
    pub kind: Option<InputKind>,
    /// Callbacks: which content the signature held over (`documented`, `sign_type_kept`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_over: Option<SignedOver>,
    /// A remark on a VALID verdict (not an error), e.g. the undocumented signing habit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorInfo>,
    pub out_trade_no: Option<String>,
    pub trade_no: Option<String>,
    /// Decimal as a string: money never goes through a float.
    pub total_amount: Option<String>,
    pub trade_status: Option<String>,
    pub app_id: Option<String>,
    pub seller_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<ResponseInfo>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
    /// Only with the detailed view (small batches or --verbose).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<CallbackBreakdown>,
}

fn base(it: &Item, kind: Option<InputKind>) -> Verdict {
    Verdict {
        ty: "result",
        index: it.index,
        origin: it.origin.clone(),
        valid: true,
        verdict: "VALID",
        kind,
        signed_over: None,
        note: None,
        error: None,
        out_trade_no: None,
        trade_no: None,
        total_amount: None,
        trade_status: None,
        app_id: None,
        seller_id: None,
        response: None,
        checks: Vec::new(),
        breakdown: None,
    }
}

fn invalid(it: &Item, kind: Option<InputKind>, code: &'static str, message: String) -> Verdict {
    Verdict {
        valid: false,
        verdict: "INVALID",
        error: Some(ErrorInfo { code, message }),
        ..base(it, kind)
    }
}

pub fn judge(it: &Item, c: &Checks, detailed: bool) -> Verdict {
    let text = std::str::from_utf8(&it.bytes);
    if let Ok(body) = text
        && is_response(body)
    {
        return judge_response(it, body, c);
    }
    let parsed = match text {
        Ok(s) => alipay::parse_callback(s),
        // Not UTF-8: a notify body saved as received in GBK.
        Err(_) => alipay::callback::parse_callback_bytes(&it.bytes),
    };
    let parsed = match parsed {
        Ok(p) => p,
        Err(e) => return invalid(it, None, e.code(), e.to_string()),
    };
    let kind = parsed.kind().into();
    let breakdown = detailed.then(|| parsed.breakdown());
    let mut v = match parsed.verify_with_hint(&c.key, c.app_public.as_ref()) {
        Ok(ok) => {
            let mut v = accepted(it, &ok, c);
            // Verified: the breakdown now says what the signature covered.
            v.breakdown = detailed.then(|| ok.breakdown());
            return v;
        }
        Err(e) => invalid(it, Some(kind), e.code(), e.to_string()),
    };
    v.breakdown = breakdown;
    v
}

fn judge_response(it: &Item, body: &str, c: &Checks) -> Verdict {
    // Answers carry no sign_type; every app Paydesk serves signs RSA2.
    let r = check_pasted_response(body, &c.key, SignType::Rsa2, c.alipay_cert_sn.as_deref());
    let info = ResponseInfo {
        meaning: r.business.meaning(),
        key: r.key.clone(),
        business: r.business,
        alipay_cert_sn: r.alipay_cert_sn,
    };
    let (mut v, value) = match r.result {
        Ok(ok) => (base(it, Some(InputKind::Response)), Some(ok.value)),
        Err(e) => (
            invalid(it, Some(InputKind::Response), e.code(), e.to_string()),
            None,
        ),
    };
    // Trade facts only from a verified answer: an unverified one is only what it claims.
    if let Some(value) = value {
        let s = |k: &str| value.get(k).and_then(|x| x.as_str()).map(str::to_string);
        v.out_trade_no = s("out_trade_no");
        v.trade_no = s("trade_no");
        v.total_amount = s("total_amount");
        v.trade_status = s("trade_status");
    }
    v.response = Some(info);
    v
}

fn accepted(it: &Item, cb: &VerifiedCallback, c: &Checks) -> Verdict {
    let mut checks = Vec::new();
    let mut check = |field: &'static str, expected: &Option<String>, got: Option<&str>| {
        if let Some(want) = expected {
            checks.push(Check {
                field,
                expected: want.clone(),
                got: got.map(str::to_string),
                ok: got == Some(want.as_str()),
            });
        }
    };
    check("app_id", &c.app_id, cb.app_id());
    check("seller_id", &c.seller_id, cb.seller_id());
    let failed = checks.iter().find(|k| !k.ok);
    let error = failed.map(|k| ErrorInfo {
        code: if k.field == "app_id" { "app_id_mismatch" } else { "seller_id_mismatch" },
        message: format!(
            "the signature is Alipay's, but {} is {:?}, not {:?}: the callback belongs to another {} \
             (or another environment)",
            k.field,
            k.got.as_deref().unwrap_or(""),
            k.expected,
            if k.field == "app_id" { "app" } else { "merchant account" }
        ),
    });
    Verdict {
        valid: error.is_none(),
        verdict: if error.is_none() { "VALID" } else { "INVALID" },
        signed_over: Some(cb.signed_over()),
        note: cb.signed_over().note().map(str::to_string),
        error,
        out_trade_no: cb.out_trade_no().map(str::to_string),
        trade_no: cb.trade_no().map(str::to_string),
        total_amount: cb.total_amount().map(|d| d.to_string()),
        trade_status: cb.trade_status().map(|s| s.as_str().to_string()),
        app_id: cb.app_id().map(str::to_string),
        seller_id: cb.seller_id().map(str::to_string),
        checks,
        ..base(it, Some(cb.kind().into()))
    }
}
