//! Real Alipay-signed returns, notifies and responses (tests/vectors/real_world.rs, each citing
//! its source) through the library: both signing habits, certificate mode, and tampered copies.

#[path = "vectors/real_world.rs"]
mod real_world;

use alipay::pasted::{PastedResponseError, check_pasted_response, is_response};
use alipay::{PublicKey, SignType, SignedOver, verify_callback};
use real_world::{Expect, Kind, Rule, VECTORS, Vector};

fn key(v: &Vector) -> PublicKey {
    PublicKey::parse(v.key, v.id).expect("the vector's key parses")
}

/// The verdict as the vectors spell it.
fn verdict(v: &Vector, payload: &str) -> Expect {
    let k = key(v);
    if is_response(payload) {
        match check_pasted_response(payload, &k, SignType::Rsa2, v.cert_sn).result {
            Ok(_) => Expect::Valid(Rule::Response),
            Err(e) => Expect::Invalid(e.code()),
        }
    } else {
        match verify_callback(payload, &k) {
            Ok(cb) => Expect::Valid(match cb.signed_over() {
                SignedOver::Documented => Rule::Documented,
                SignedOver::SignTypeKept => Rule::SignTypeKept,
            }),
            Err(e) => Expect::Invalid(e.code()),
        }
    }
}

#[test]
fn every_vector_gets_its_verdict() {
    for v in VECTORS {
        assert_eq!(is_response(v.payload), v.kind == Kind::Response, "{}", v.id);
        assert_eq!(verdict(v, v.payload), v.expect, "{}", v.id);
    }
    // Both habits, returns and notifies, and responses are all represented.
    for (kind, rule) in [
        (Kind::Return, Rule::Documented),
        (Kind::Return, Rule::SignTypeKept),
        (Kind::Notify, Rule::Documented),
        (Kind::Notify, Rule::SignTypeKept),
        (Kind::Response, Rule::Response),
    ] {
        assert!(
            VECTORS
                .iter()
                .any(|v| v.kind == kind && v.expect == Expect::Valid(rule)),
            "{kind:?} {rule:?}"
        );
    }
}

fn valid(kind: Kind) -> impl Iterator<Item = &'static Vector> {
    VECTORS
        .iter()
        .filter(move |v| v.kind == kind || (kind == Kind::Notify && v.kind == Kind::Return))
        .filter(|v| matches!(v.expect, Expect::Valid(_)))
}

#[test]
fn tampered_callbacks_are_invalid_with_the_reason() {
    for v in valid(Kind::Notify) {
        // A signed value changed by one digit.
        let at = v
            .payload
            .find("app_id=")
            .expect("every callback names its app")
            + 10;
        let mut t = v.payload.to_string();
        let digit = if &t[at..at + 1] == "3" { "4" } else { "3" };
        t.replace_range(at..at + 1, digit);
        assert_eq!(
            verdict(v, &t),
            Expect::Invalid("signature_mismatch"),
            "{}",
            v.id
        );
        // A key pasted twice.
        assert_eq!(
            verdict(v, &format!("{}&app_id=1", v.payload)),
            Expect::Invalid("duplicate_key"),
            "{}",
            v.id
        );
        // `+` decoded one time too many: the sign's own '+' turns into spaces.
        let plus = v.payload.replace("%2B", "+");
        if plus != v.payload {
            assert!(matches!(verdict(v, &plus), Expect::Invalid(_)), "{}", v.id);
        }
        // Another key.
        let other = VECTORS.iter().find(|o| o.key != v.key).unwrap();
        let wrong = verify_callback(v.payload, &key(other));
        assert!(wrong.is_err(), "{} verified with another key", v.id);
        // Kept sign_type is signed: relabelling it breaks the signature.
        if v.expect == Expect::Valid(Rule::SignTypeKept) {
            let relabelled = if v.payload.contains("sign_type=RSA2") {
                v.payload.replace("sign_type=RSA2", "sign_type=RSA")
            } else {
                v.payload.replace("sign_type=RSA", "sign_type=RSA2")
            };
            assert_ne!(relabelled, v.payload);
            assert!(
                matches!(verdict(v, &relabelled), Expect::Invalid(_)),
                "{}",
                v.id
            );
        }
    }
}

#[test]
fn tampered_responses_are_invalid_and_say_the_body_must_be_the_raw_text() {
    for v in valid(Kind::Response) {
        let k = key(v);
        let check = |p: &str| check_pasted_response(p, &k, SignType::Rsa2, v.cert_sn);
        // Re-serialised (pretty-printed): same data, other bytes.
        let value: serde_json::Value = serde_json::from_str(v.payload).unwrap();
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        match check(&pretty).result {
            Err(
                e @ PastedResponseError::NotRawOrWrongKey {
                    reformatted: true, ..
                },
            ) => {
                assert!(e.to_string().contains("must be the raw text"), "{e}")
            }
            other => panic!("{}: {other:?}", v.id),
        }
        // A changed value in the signed object.
        let t = v.payload.replacen("\"code\":\"", "\"code\":\"9", 1);
        let r = check(&t);
        assert!(
            matches!(
                r.result,
                Err(PastedResponseError::NotRawOrWrongKey {
                    reformatted: false,
                    ..
                })
            ),
            "{}: {:?}",
            v.id,
            r.result
        );
        // What it claims is shown even when it is refused.
        assert!(r.business.code.as_deref().unwrap().starts_with('9'));
        // A second root of the same name.
        let answer_key = r.key.clone().unwrap();
        let dup = format!(
            "{},\"{answer_key}\":{{\"code\":\"10000\"}}}}",
            v.payload.trim_end().trim_end_matches('}')
        );
        assert_eq!(
            check(&dup).result.unwrap_err().code(),
            "duplicate_key",
            "{}",
            v.id
        );
    }
    // The publisher's own reordered copy: INVALID, and the message says why.
    let reordered = VECTORS
        .iter()
        .find(|v| v.id == "rust-response-trade-create-reordered")
        .unwrap();
    let err = check_pasted_response(
        reordered.payload,
        &key(reordered),
        SignType::Rsa2,
        reordered.cert_sn,
    )
    .result
    .unwrap_err();
    assert!(
        err.to_string().contains("the body must be the raw text"),
        "{err}"
    );
}

#[test]
fn business_result_and_certificate_mode() {
    let risk = VECTORS
        .iter()
        .find(|v| v.id == "node-response-risk-analyze-stable-40003")
        .unwrap();
    let r = check_pasted_response(risk.payload, &key(risk), SignType::Rsa2, None);
    assert!(r.result.is_ok());
    assert_eq!(r.business.code.as_deref(), Some("40003"));
    assert_eq!(
        r.business.sub_code.as_deref(),
        Some("isv.decryption-error-unknown")
    );
    assert_eq!(
        r.key.as_deref(),
        Some("alipay_security_risk_content_analyze_response")
    );

    let cert = VECTORS
        .iter()
        .find(|v| v.id == "rust-response-trade-create-sandbox-a")
        .unwrap();
    let sn = cert.cert_sn.unwrap();
    let k = key(cert);
    let ok = check_pasted_response(cert.payload, &k, SignType::Rsa2, Some(sn));
    assert_eq!(ok.alipay_cert_sn.as_deref(), Some(sn));
    assert_eq!(ok.result.unwrap().code(), Some("10000"));
    let other_sn = check_pasted_response(cert.payload, &k, SignType::Rsa2, Some("00ff"));
    assert_eq!(other_sn.result.unwrap_err().code(), "cert_sn_mismatch");
    // An answer without a serial where certificate mode expects one.
    let gopay = VECTORS
        .iter()
        .find(|v| v.id == "gopay-response-trade-query-sandbox")
        .unwrap();
    let r = check_pasted_response(gopay.payload, &key(gopay), SignType::Rsa2, Some(sn));
    assert_eq!(r.result.unwrap_err().code(), "missing_cert_sn");
}
