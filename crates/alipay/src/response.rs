//! Verifying the gateway's JSON answers: `{"<method>_response":{...},"sign":"..."}`.
//!
//! The signature covers the raw text of the response object exactly as received — Alipay's `\/`
//! escapes included — so the object is located with serde_json's `RawValue` (quote-aware: a `}`
//! inside a string cannot end it, unlike the Python SDK's brace counter) and never re-serialized.
//! Top-level keys are collected in a list rather than a map because a map keeps only the last of
//! two equal keys: python-alipay-sdk issue #69 was a bypass that verified one copy and returned
//! the other. Keys are compared after JSON unescaping (`"sig\u006e"` is `"sign"`).
//!
//! An answer without `sign` is never trusted. Alipay does send some failures unsigned (when it
//! cannot tell which app is calling, for instance); those come back as
//! [`ResponseError::UnsignedError`] with their code, so the client can report them as a failure
//! that is *not* proven to come from Alipay. An unsigned success is [`ResponseError::MissingSign`].

use std::fmt;

use serde::Deserialize;
use serde::de::{MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::keys::PublicKey;
use crate::sign::{SignError, SignType};

/// `alipay.trade.query` → `alipay_trade_query_response`.
pub fn response_key(method: &str) -> String {
    format!("{}_response", method.replace('.', "_"))
}

pub const ERROR_RESPONSE: &str = "error_response";

/// A response whose signature was checked (or, for nothing else, that failed to be).
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedResponse {
    /// The signed JSON text of the response object, exactly as received.
    pub raw: String,
    /// The same object parsed.
    pub value: serde_json::Value,
    /// Alipay answered under `error_response` instead of `<method>_response`.
    pub is_error_response: bool,
    /// Certificate mode: the serial of the certificate whose key signed this answer.
    pub alipay_cert_sn: Option<String>,
}

impl VerifiedResponse {
    /// A string field of the response object.
    pub fn str_field(&self, key: &str) -> Option<&str> {
        self.value.get(key).and_then(|v| v.as_str())
    }

    pub fn code(&self) -> Option<&str> {
        self.str_field("code")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    #[error(
        "the gateway's answer is not JSON ({0}): the URL may not be an Alipay gateway, or a proxy answered instead"
    )]
    NotJson(String),
    #[error("the gateway's answer is JSON but not an object: not an Alipay gateway response")]
    NotAnObject,
    #[error(
        "the key {0:?} appears twice in the gateway's answer: refusing it (a duplicated key can smuggle an unsigned value past the signature)"
    )]
    DuplicateKey(String),
    #[error(
        "the answer has no {expected:?} (keys found: {found}): it is not a response to this method"
    )]
    MissingResponse { expected: String, found: String },
    #[error("the answer holds both {expected:?} and error_response: refusing to pick one")]
    AmbiguousResponse { expected: String },
    #[error("{0:?} in the answer is not a JSON object")]
    ResponseNotObject(String),
    #[error(
        "the answer has no sign: an unsigned answer is not proven to come from Alipay; check the gateway URL"
    )]
    MissingSign,
    #[error("the sign in the answer is not a JSON string")]
    SignNotString,
    #[error(
        "unsigned failure from the gateway: code {code} {msg} {sub_code} {sub_msg} (not signed, so not proven to come from Alipay)"
    )]
    UnsignedError {
        code: String,
        msg: String,
        sub_code: String,
        sub_msg: String,
        raw: String,
    },
    #[error(
        "certificate mode: the answer has no alipay_cert_sn, expected {expected}: check that the app is set up for public-key certificates in the console"
    )]
    MissingCertSn { expected: String },
    #[error(
        "certificate mode: the answer is signed by the certificate {got}, not the configured {expected}: Alipay rotated its certificate — download the new alipayCertPublicKey_RSA2.crt"
    )]
    CertSnMismatch { expected: String, got: String },
    #[error("the answer's sign is not valid base64 ({0})")]
    BadBase64(String),
    #[error(
        "the answer's signature is {got} bytes, the configured Alipay key ({bits} bits) makes {want}: the configured key is not the one that signs these answers"
    )]
    WrongLength {
        got: usize,
        want: usize,
        bits: usize,
    },
    #[error(
        "the signature of {key} does not match: the answer was altered on the way, or the configured Alipay public key is wrong (sandbox and production keys differ; it must be 支付宝公钥, not the app's own)"
    )]
    Mismatch { key: String },
}

/// Top-level members in order, duplicates kept, values as raw text.
struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Members<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Members<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, &'de RawValue>()? {
                    out.push((k, v));
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

pub(crate) fn members(json: &str) -> Result<Vec<(String, &RawValue)>, ResponseError> {
    let trimmed = json.trim_start();
    if !trimmed.starts_with('{') {
        // Tell "not JSON at all" from "JSON, but not an object".
        return Err(match serde_json::from_str::<serde::de::IgnoredAny>(json) {
            Ok(_) => ResponseError::NotAnObject,
            Err(e) => ResponseError::NotJson(e.to_string()),
        });
    }
    let m: Members<'_> =
        serde_json::from_str(json).map_err(|e| ResponseError::NotJson(e.to_string()))?;
    let mut seen = std::collections::HashSet::with_capacity(m.0.len());
    if let Some((k, _)) = m.0.iter().find(|(k, _)| !seen.insert(k.as_str())) {
        return Err(ResponseError::DuplicateKey(k.clone()));
    }
    Ok(m.0)
}

/// Verifies a gateway answer for `method` (e.g. `alipay.trade.query`) with the Alipay public key.
/// In certificate mode pass the expected `alipay_cert_sn`: an answer signed under another
/// certificate (or naming none) is refused.
pub fn verify_response(
    body: &str,
    method: &str,
    alipay_key: &PublicKey,
    sign_type: SignType,
    expected_alipay_cert_sn: Option<&str>,
) -> Result<VerifiedResponse, ResponseError> {
    let top = members(body)?;
    verify_members(
        &top,
        response_key(method),
        alipay_key,
        sign_type,
        expected_alipay_cert_sn,
    )
}

/// [`verify_response`] over members already read, for the answer under `expected` (or
/// `error_response`).
pub(crate) fn verify_members(
    top: &[(String, &RawValue)],
    expected: String,
    alipay_key: &PublicKey,
    sign_type: SignType,
    expected_alipay_cert_sn: Option<&str>,
) -> Result<VerifiedResponse, ResponseError> {
    let get = |k: &str| top.iter().find(|(n, _)| n == k).map(|(_, v)| *v);

    let (key, raw) = match (get(&expected), get(ERROR_RESPONSE)) {
        (Some(r), Some(_)) if expected == ERROR_RESPONSE => (expected, r),
        (Some(_), Some(_)) => return Err(ResponseError::AmbiguousResponse { expected }),
        (Some(r), None) => (expected, r),
        (None, Some(r)) => (ERROR_RESPONSE.to_string(), r),
        (None, None) => {
            let found = top
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            return Err(ResponseError::MissingResponse { expected, found });
        }
    };
    if !raw.get().starts_with('{') {
        return Err(ResponseError::ResponseNotObject(key));
    }
    // Inside the signed object a duplicate cannot be forged, but the typed getters read a map
    // that would silently keep one of them: refuse rather than guess.
    members(raw.get())?;
    let value: serde_json::Value =
        serde_json::from_str(raw.get()).map_err(|e| ResponseError::NotJson(e.to_string()))?;
    let text = |k: &str| {
        value
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };

    let Some(sign_raw) = get("sign") else {
        let code = text("code");
        if !code.is_empty() && code != "10000" {
            return Err(ResponseError::UnsignedError {
                msg: text("msg"),
                sub_code: text("sub_code"),
                sub_msg: text("sub_msg"),
                code,
                raw: raw.get().to_string(),
            });
        }
        return Err(ResponseError::MissingSign);
    };
    let sign: String =
        serde_json::from_str(sign_raw.get()).map_err(|_| ResponseError::SignNotString)?;
    if sign.is_empty() {
        return Err(ResponseError::MissingSign);
    }

    let cert_sn = match get("alipay_cert_sn") {
        Some(v) => Some(serde_json::from_str::<String>(v.get()).map_err(|_| {
            ResponseError::CertSnMismatch {
                expected: expected_alipay_cert_sn.unwrap_or_default().to_string(),
                got: v.get().to_string(),
            }
        })?),
        None => None,
    };
    if let Some(want) = expected_alipay_cert_sn {
        match &cert_sn {
            None => {
                return Err(ResponseError::MissingCertSn {
                    expected: want.to_string(),
                });
            }
            Some(got) if got != want => {
                return Err(ResponseError::CertSnMismatch {
                    expected: want.to_string(),
                    got: got.clone(),
                });
            }
            Some(_) => {}
        }
    }

    let content = raw.get();
    let result = match alipay_key.verify(content.as_bytes(), &sign, sign_type) {
        // Alipay signs the text with `\/` as sent, but some of its stacks escape after signing;
        // the Java SDK retries once with the escapes undone, and so do we.
        Err(SignError::Mismatch) if content.contains("\\/") => {
            let unescaped = content.replace("\\/", "/");
            alipay_key.verify(unescaped.as_bytes(), &sign, sign_type)
        }
        r => r,
    };
    match result {
        Ok(()) => Ok(VerifiedResponse {
            raw: content.to_string(),
            value,
            is_error_response: key == ERROR_RESPONSE,
            alipay_cert_sn: cert_sn,
        }),
        Err(SignError::BadBase64(d)) => Err(ResponseError::BadBase64(d)),
        Err(SignError::WrongLength { got, want, bits }) => {
            Err(ResponseError::WrongLength { got, want, bits })
        }
        Err(_) => Err(ResponseError::Mismatch { key }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::PrivateKey;
    use std::sync::OnceLock;

    fn key() -> &'static PrivateKey {
        static K: OnceLock<PrivateKey> = OnceLock::new();
        K.get_or_init(|| PrivateKey::generate(2048).unwrap())
    }

    fn sig(content: &str) -> String {
        key().sign(content.as_bytes(), SignType::Rsa2).unwrap()
    }

    /// `sign` JSON-escaped the way Alipay does (`/` as `\/`).
    fn sign_json(content: &str) -> String {
        sig(content).replace('/', "\\/")
    }

    const QUERY: &str = r#"{"code":"10000","msg":"Success","buyer_logon_id":"lfy***@sandbox.com","buyer_pay_amount":"0.00","out_trade_no":"202207120000000100000022","point_amount":"0.00","receipt_amount":"0.00","send_pay_date":"2022-07-12 12:50:02","total_amount":"1579.00","trade_no":"2022071222001439880503951070","trade_status":"TRADE_SUCCESS","subject":"a } in \"quotes\" {","url":"https:\/\/h\/x"}"#;

    fn body(obj: &str) -> String {
        format!(
            r#"{{"alipay_trade_query_response":{obj},"sign":"{}"}}"#,
            sign_json(obj)
        )
    }

    fn verify(b: &str) -> Result<VerifiedResponse, ResponseError> {
        verify_response(
            b,
            "alipay.trade.query",
            key().public_key(),
            SignType::Rsa2,
            None,
        )
    }

    #[test]
    fn key_name() {
        assert_eq!(
            response_key("alipay.trade.query"),
            "alipay_trade_query_response"
        );
        assert_eq!(
            response_key("alipay.data.dataservice.bill.downloadurl.query"),
            "alipay_data_dataservice_bill_downloadurl_query_response"
        );
    }

    #[test]
    fn raw_text_with_braces_quotes_and_escaped_slashes_verifies() {
        let v = verify(&body(QUERY)).unwrap();
        assert_eq!(v.raw, QUERY);
        assert!(!v.is_error_response);
        assert_eq!(v.value["subject"], "a } in \"quotes\" {");
        assert_eq!(v.value["url"], "https://h/x");
        assert_eq!(v.code(), Some("10000"));
    }

    #[test]
    fn signature_over_unescaped_slashes_is_accepted_once_retried() {
        let b = format!(
            r#"{{"alipay_trade_query_response":{QUERY},"sign":"{}"}}"#,
            sign_json(&QUERY.replace("\\/", "/"))
        );
        verify(&b).unwrap();
    }

    #[test]
    fn nested_objects_and_arrays() {
        let obj = r#"{"code":"10000","msg":"Success","fund_bill_list":[{"amount":"1.00","fund_channel":"ALIPAYACCOUNT"}],"ext":{"a":{"b":"}"}}}"#;
        let v = verify(&body(obj)).unwrap();
        assert_eq!(v.value["ext"]["a"]["b"], "}");
    }

    #[test]
    fn whitespace_around_members_is_not_signed() {
        let b = format!(
            "{{\n  \"alipay_trade_query_response\" :\t{QUERY} ,\r\n  \"sign\" : \"{}\"\n}}\n",
            sign_json(QUERY)
        );
        assert_eq!(verify(&b).unwrap().raw, QUERY);
        // Sign first, response second: order does not matter.
        let b = format!(
            r#"{{"sign":"{}","alipay_trade_query_response":{QUERY}}}"#,
            sign_json(QUERY)
        );
        verify(&b).unwrap();
    }

    #[test]
    fn every_byte_of_the_signed_text_is_covered() {
        let b = body(QUERY);
        let start = b.find(QUERY).unwrap();
        for i in 0..QUERY.len() {
            let mut bytes = b.clone().into_bytes();
            bytes[start + i] = if bytes[start + i] == b'0' { b'1' } else { b'0' };
            let Ok(t) = String::from_utf8(bytes) else {
                continue;
            };
            assert!(verify(&t).is_err(), "byte {i} changed and still accepted");
        }
    }

    #[test]
    fn duplicated_keys_are_refused() {
        let evil = QUERY.replace("TRADE_SUCCESS", "WAIT_BUYER_PAY");
        let b = format!(
            r#"{{"alipay_trade_query_response":{QUERY},"sign":"{}","alipay_trade_query_response":{evil}}}"#,
            sign_json(QUERY)
        );
        assert_eq!(
            verify(&b),
            Err(ResponseError::DuplicateKey(
                "alipay_trade_query_response".into()
            ))
        );
        // The same key spelt with a JSON escape is still the same key.
        let b = format!(
            r#"{}, "sig\u006e":"x"}}"#,
            body(QUERY).trim_end_matches('}')
        );
        assert_eq!(verify(&b), Err(ResponseError::DuplicateKey("sign".into())));
        // Inside the signed object too.
        let obj =
            r#"{"code":"10000","trade_status":"WAIT_BUYER_PAY","trade_status":"TRADE_SUCCESS"}"#;
        assert_eq!(
            verify(&body(obj)),
            Err(ResponseError::DuplicateKey("trade_status".into()))
        );
    }

    #[test]
    fn missing_sign_and_unsigned_failures() {
        let b = format!(r#"{{"alipay_trade_query_response":{QUERY}}}"#);
        assert_eq!(verify(&b), Err(ResponseError::MissingSign));
        let b = r#"{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-app-id","sub_msg":"无效的AppID参数"}}"#;
        match verify(b) {
            Err(ResponseError::UnsignedError { code, sub_code, .. }) => {
                assert_eq!(
                    (code.as_str(), sub_code.as_str()),
                    ("40002", "isv.invalid-app-id")
                )
            }
            other => panic!("{other:?}"),
        }
        let b = format!(r#"{{"alipay_trade_query_response":{QUERY},"sign":""}}"#);
        assert_eq!(verify(&b), Err(ResponseError::MissingSign));
        let b = format!(r#"{{"alipay_trade_query_response":{QUERY},"sign":12}}"#);
        assert_eq!(verify(&b), Err(ResponseError::SignNotString));
    }

    #[test]
    fn signed_error_response() {
        let obj = r#"{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature","sub_msg":"验签出错"}"#;
        let b = format!(r#"{{"error_response":{obj},"sign":"{}"}}"#, sign_json(obj));
        let v = verify(&b).unwrap();
        assert!(v.is_error_response);
        assert_eq!(v.str_field("sub_code"), Some("isv.invalid-signature"));
    }

    #[test]
    fn wrong_shapes() {
        assert!(matches!(
            verify("<html>502</html>"),
            Err(ResponseError::NotJson(_))
        ));
        assert!(matches!(verify(""), Err(ResponseError::NotJson(_))));
        assert_eq!(verify("[1,2]"), Err(ResponseError::NotAnObject));
        assert!(matches!(
            verify(&format!("{} trailing", body(QUERY))),
            Err(ResponseError::NotJson(_))
        ));
        let b = format!(
            r#"{{"alipay_trade_refund_response":{QUERY},"sign":"{}"}}"#,
            sign_json(QUERY)
        );
        assert!(matches!(
            verify(&b),
            Err(ResponseError::MissingResponse { .. })
        ));
        let b = format!(
            r#"{{"alipay_trade_query_response":{QUERY},"error_response":{QUERY},"sign":"{}"}}"#,
            sign_json(QUERY)
        );
        assert!(matches!(
            verify(&b),
            Err(ResponseError::AmbiguousResponse { .. })
        ));
        let b = r#"{"alipay_trade_query_response":"10000","sign":"x"}"#;
        assert!(matches!(
            verify(b),
            Err(ResponseError::ResponseNotObject(_))
        ));
    }

    #[test]
    fn wrong_key_and_bad_signatures() {
        let other = PrivateKey::generate(2048).unwrap();
        let r = verify_response(
            &body(QUERY),
            "alipay.trade.query",
            other.public_key(),
            SignType::Rsa2,
            None,
        );
        assert!(matches!(r, Err(ResponseError::Mismatch { .. })));
        let b = format!(r#"{{"alipay_trade_query_response":{QUERY},"sign":"abc!"}}"#);
        assert!(matches!(verify(&b), Err(ResponseError::BadBase64(_))));
        let b = format!(r#"{{"alipay_trade_query_response":{QUERY},"sign":"QUJD"}}"#);
        assert!(matches!(
            verify(&b),
            Err(ResponseError::WrongLength { got: 3, .. })
        ));
    }

    #[test]
    fn certificate_mode_checks_the_serial() {
        let sn = "28a2ee9e4c0e1b6b2ec3fd6d7c6d9a6c";
        let b = format!(
            r#"{{"alipay_trade_query_response":{QUERY},"alipay_cert_sn":"{sn}","sign":"{}"}}"#,
            sign_json(QUERY)
        );
        let pk = key().public_key();
        let v = verify_response(&b, "alipay.trade.query", pk, SignType::Rsa2, Some(sn)).unwrap();
        assert_eq!(v.alipay_cert_sn.as_deref(), Some(sn));
        assert!(matches!(
            verify_response(&b, "alipay.trade.query", pk, SignType::Rsa2, Some("00ff")),
            Err(ResponseError::CertSnMismatch { .. })
        ));
        assert!(matches!(
            verify_response(
                &body(QUERY),
                "alipay.trade.query",
                pk,
                SignType::Rsa2,
                Some(sn)
            ),
            Err(ResponseError::MissingCertSn { .. })
        ));
        // Not in certificate mode: a serial in the answer is reported, not required.
        verify_response(&b, "alipay.trade.query", pk, SignType::Rsa2, None).unwrap();
    }
}
