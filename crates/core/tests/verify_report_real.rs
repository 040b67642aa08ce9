//! The Verify screen's verdict (core's `verify_report::judge`, what the app's verify commands
//! adapt) on payloads really signed by Alipay: the vectors of crates/alipay/tests/vectors, each
//! citing its source, with the profile's Alipay key set to the vector's key.

#[path = "../../alipay/tests/vectors/real_world.rs"]
mod real_world;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use alipay::{AppIdentity, GatewayClient, GatewayConfig, PrivateKey, PublicKey, SignedOver};
use paydesk_core::desk::Gateway;
use paydesk_core::verify_report::{InputKind, judge};
use real_world::{Expect, Kind, Rule, VECTORS};

fn app_key() -> Arc<PrivateKey> {
    static K: OnceLock<Arc<PrivateKey>> = OnceLock::new();
    K.get_or_init(|| Arc::new(PrivateKey::generate(2048).unwrap()))
        .clone()
}

fn gateway(alipay_key: &str, cert_sn: Option<&str>) -> Gateway {
    let app = AppIdentity::new("2021000000000001", app_key());
    let cfg = GatewayConfig {
        gateway_url: "http://127.0.0.1:9/gateway.do".into(),
        app: app.clone(),
        alipay_public_key: PublicKey::parse(alipay_key, "vector").unwrap(),
        alipay_cert_sn: cert_sn.map(str::to_string),
        timeout: Duration::from_secs(1),
    };
    Gateway {
        client: GatewayClient::new(cfg, Arc::new(alipay::SystemClock)).unwrap(),
        app,
        gateway_url: "http://127.0.0.1:9/gateway.do".into(),
        seller_id: "2088000000000000".into(),
        return_url: None,
        notify_url: None,
    }
}

#[test]
fn real_payloads_get_their_verdict_on_the_verify_screen() {
    for v in VECTORS {
        let judged = judge(&gateway(v.key, v.cert_sn), v.payload);
        let r = judged.report();
        assert_eq!(
            r.kind == InputKind::Response,
            v.kind == Kind::Response,
            "{}",
            v.id
        );
        match v.expect {
            Expect::Valid(rule) => {
                assert!(r.valid, "{}: {:?}", v.id, r.reason);
                let over = match rule {
                    Rule::Documented => Some(SignedOver::Documented),
                    Rule::SignTypeKept => Some(SignedOver::SignTypeKept),
                    Rule::Response => None,
                };
                assert_eq!(r.signed_over, over, "{}", v.id);
                assert_eq!(r.note.is_some(), rule == Rule::SignTypeKept, "{}", v.id);
            }
            Expect::Invalid(_) => {
                assert!(!r.valid, "{}", v.id);
                assert!(r.reason.is_some(), "{}", v.id);
            }
        }
        if v.kind == Kind::Response {
            let b = r.response.as_ref().unwrap();
            assert!(b.business.code.is_some(), "{}", v.id);
            if r.valid {
                // The signed text is shown as the canonical string; every member is signed.
                assert!(
                    v.payload.contains(r.canonical.as_deref().unwrap()),
                    "{}",
                    v.id
                );
                assert!(r.fields.iter().all(|f| f.signed), "{}", v.id);
            }
        }
    }
}

#[test]
fn a_re_serialised_response_says_the_body_must_be_the_raw_text() {
    let v = VECTORS
        .iter()
        .find(|v| v.id == "gopay-response-trade-query-sandbox")
        .unwrap();
    let value: serde_json::Value = serde_json::from_str(v.payload).unwrap();
    let pretty = serde_json::to_string_pretty(&value).unwrap();
    let judged = judge(&gateway(v.key, None), &pretty);
    let r = judged.report();
    assert!(!r.valid);
    assert!(
        r.reason
            .as_deref()
            .unwrap()
            .contains("must be the raw text"),
        "{:?}",
        r.reason
    );
    // What it claims is still shown.
    assert_eq!(
        r.response.as_ref().unwrap().business.code.as_deref(),
        Some("10000")
    );
}
