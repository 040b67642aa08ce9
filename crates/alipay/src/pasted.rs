//! What a tester pastes to be verified: a return URL, a notify body, or a gateway response body
//! (`{"alipay_trade_query_response":{…},"sign":"…"}`). Callbacks are [`crate::callback`]'s;
//! a response is verified here without knowing which method it answers — the method is read from
//! its single `<method>_response` member — under the same rules as the gateway client
//! ([`crate::response`]): the raw text byte for byte, duplicate members refused, `alipay_cert_sn`
//! checked in certificate mode.

use serde::Serialize;

use crate::keys::PublicKey;
use crate::response::{ERROR_RESPONSE, ResponseError, VerifiedResponse, members, verify_members};
use crate::sign::SignType;

/// A pasted input that starts with `{` is a gateway response: a form or a URL never does.
pub fn is_response(input: &str) -> bool {
    input
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('{')
}

/// The business result an answer claims (read before, and shown whatever, the verdict).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BusinessResult {
    pub code: Option<String>,
    pub msg: Option<String>,
    pub sub_code: Option<String>,
    pub sub_msg: Option<String>,
}

impl BusinessResult {
    fn of(value: &serde_json::Value) -> Self {
        let s = |k: &str| value.get(k).and_then(|v| v.as_str()).map(str::to_string);
        BusinessResult {
            code: s("code"),
            msg: s("msg"),
            sub_code: s("sub_code"),
            sub_msg: s("sub_msg"),
        }
    }

    /// What the code means for a tester (ALIPAY.md): 10000 success, 20000 unknown outcome …
    pub fn meaning(&self) -> &'static str {
        match self.code.as_deref() {
            Some("10000") => "success",
            Some("20000") => "outcome unknown: query again, never assume failure",
            Some("40004") => "business failure",
            Some("40001" | "40002" | "40003" | "40006") => "request refused by the gateway",
            Some(_) => "failure",
            None => "no code",
        }
    }
}

/// A pasted response, verified or not: what it claims, and what the signature says.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseCheck {
    /// The member that holds the answer (`alipay_trade_query_response`, `error_response`);
    /// `None` when the input is not a readable answer.
    pub key: Option<String>,
    pub business: BusinessResult,
    pub alipay_cert_sn: Option<String>,
    pub result: Result<VerifiedResponse, PastedResponseError>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PastedResponseError {
    #[error(transparent)]
    Response(#[from] ResponseError),
    #[error(
        "the JSON object has no <method>_response member (members: {found}): it is not an Alipay gateway response — paste the whole body"
    )]
    NoResponseMember { found: String },
    #[error(
        "the JSON object holds more than one answer ({keys}): an Alipay response holds exactly one — paste one body as received"
    )]
    SeveralResponses { keys: String },
    #[error(
        "the signature of {key} does not match. It covers the raw text of {key} byte for byte as Alipay sent it, so the body must be the raw text: a reordered, re-indented or re-serialised copy (a JSON viewer, an SDK's log of the parsed answer) never verifies{}. If this is the raw body, the Alipay public key is wrong (sandbox and production keys differ; it must be 支付宝公钥, not the app's own)",
        if *reformatted { " — this one has line breaks or tabs inside the object, so it was reformatted" } else { "" }
    )]
    NotRawOrWrongKey { key: String, reformatted: bool },
}

impl PastedResponseError {
    /// A stable machine-readable name (`paydesk verify --json`'s `error.code`).
    pub fn code(&self) -> &'static str {
        match self {
            PastedResponseError::Response(e) => match e {
                ResponseError::NotJson(_) => "not_json",
                ResponseError::NotAnObject => "not_an_object",
                ResponseError::DuplicateKey(_) => "duplicate_key",
                ResponseError::MissingResponse { .. } => "no_response_member",
                ResponseError::AmbiguousResponse { .. } => "several_responses",
                ResponseError::ResponseNotObject(_) => "response_not_object",
                ResponseError::MissingSign | ResponseError::UnsignedError { .. } => "missing_sign",
                ResponseError::SignNotString => "bad_base64",
                ResponseError::MissingCertSn { .. } => "missing_cert_sn",
                ResponseError::CertSnMismatch { .. } => "cert_sn_mismatch",
                ResponseError::BadBase64(_) => "bad_base64",
                ResponseError::WrongLength { .. } => "wrong_signature_length",
                ResponseError::Mismatch { .. } => "signature_mismatch",
            },
            PastedResponseError::NoResponseMember { .. } => "no_response_member",
            PastedResponseError::SeveralResponses { .. } => "several_responses",
            PastedResponseError::NotRawOrWrongKey { .. } => "signature_mismatch",
        }
    }
}

/// Verifies a pasted gateway response with the Alipay public key. `sign_type` is the app's
/// (answers do not carry one); in certificate mode pass the expected `alipay_cert_sn`.
pub fn check_pasted_response(
    body: &str,
    alipay_key: &PublicKey,
    sign_type: SignType,
    expected_alipay_cert_sn: Option<&str>,
) -> ResponseCheck {
    let body = body.trim_start_matches('\u{feff}');
    let fail = |e: PastedResponseError| ResponseCheck {
        key: None,
        business: BusinessResult::default(),
        alipay_cert_sn: None,
        result: Err(e),
    };
    let top = match members(body) {
        Ok(t) => t,
        Err(e) => return fail(e.into()),
    };
    let answers: Vec<&str> = top
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| k.ends_with("_response"))
        .collect();
    let method_answers: Vec<&str> = answers
        .iter()
        .copied()
        .filter(|k| *k != ERROR_RESPONSE)
        .collect();
    let key = match (method_answers.as_slice(), answers.as_slice()) {
        ([one], _) => one.to_string(),
        ([], [ERROR_RESPONSE]) => ERROR_RESPONSE.to_string(),
        ([], _) => {
            let found = top.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>();
            return fail(PastedResponseError::NoResponseMember {
                found: found.join(", "),
            });
        }
        _ => {
            return fail(PastedResponseError::SeveralResponses {
                keys: answers.join(", "),
            });
        }
    };
    let raw = top.iter().find(|(k, _)| *k == key).map(|(_, v)| v.get());
    let business = raw
        .and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok())
        .map(|v| BusinessResult::of(&v))
        .unwrap_or_default();
    let alipay_cert_sn = top
        .iter()
        .find(|(k, _)| k == "alipay_cert_sn")
        .and_then(|(_, v)| serde_json::from_str::<String>(v.get()).ok());
    let result = verify_members(
        &top,
        key.clone(),
        alipay_key,
        sign_type,
        expected_alipay_cert_sn,
    )
    .map_err(|e| match e {
        ResponseError::Mismatch { key } => PastedResponseError::NotRawOrWrongKey {
            reformatted: raw.is_some_and(|r| r.contains(['\n', '\r', '\t'])),
            key,
        },
        e => e.into(),
    });
    ResponseCheck {
        key: Some(key),
        business,
        alipay_cert_sn,
        result,
    }
}
