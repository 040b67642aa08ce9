//! Sign and verify throughput with RSA2 2048, on the inputs Paydesk handles all day: a page-pay
//! link, a return URL, a raw signature. Keys are generated here; nothing secret is read.
//!
//! `cargo bench -p paydesk-alipay --bench sign_verify`

use std::hint::black_box;
use std::sync::Arc;

use alipay::clock::FixedClock;
use alipay::sign::{CALLBACK_EXCLUDE, canonical_content};
use alipay::{
    AppIdentity, Params, PayProduct, PayRequest, PrivateKey, SignType, pay_link, verify_callback,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const GATEWAY: &str = "https://openapi.alipay.com/gateway.do";

fn typical_order() -> PayRequest {
    let mut req = PayRequest::new(
        PayProduct::Page,
        "20261124103015_000042",
        "1579.00".parse().expect("valid amount"),
        "Python 全栈开发 · 路飞学城",
    );
    req.return_url = Some("https://www.luffycity.com/pay/result".into());
    req.notify_url = Some("https://api.luffycity.com/api/v1/pay/alipay/notify".into());
    req.timeout_express = Some("30m".into());
    req
}

/// A return URL as Alipay redirects the buyer after paying, signed by "Alipay".
fn typical_return_url(alipay: &PrivateKey) -> (String, String, String) {
    let mut p = Params::new();
    p.set("charset", "utf-8")
        .set("out_trade_no", "20261124103015_000042")
        .set("method", "alipay.trade.page.pay.return")
        .set("total_amount", "1579.00")
        .set("trade_no", "2026112422001458860515315453")
        .set("auth_app_id", "2021000000000001")
        .set("version", "1.0")
        .set("app_id", "2021000000000001")
        .set("sign_type", "RSA2")
        .set("seller_id", "2088621000000001")
        .set("timestamp", "2026-11-24 10:31:02");
    let canonical = canonical_content(p.iter(), CALLBACK_EXCLUDE);
    let sign = alipay
        .sign(canonical.as_bytes(), SignType::Rsa2)
        .expect("signing");
    p.set("sign", sign.clone());
    let url = format!("https://www.luffycity.com/pay/result?{}", p.to_query());
    (url, canonical, sign)
}

fn benches(c: &mut Criterion) {
    let app_key = PrivateKey::generate(2048).expect("app key");
    let alipay_key = PrivateKey::generate(2048).expect("alipay key");
    let app = AppIdentity::new("2021000000000001", Arc::new(app_key.clone()));
    let clock = FixedClock::at_beijing("2026-11-24 10:30:15").expect("valid time");
    let order = typical_order();
    let (return_url, canonical, sign) = typical_return_url(&alipay_key);
    let alipay_pub = alipay_key.public_key().clone();
    // Fail loudly rather than time an error path.
    alipay_pub
        .verify(canonical.as_bytes(), &sign, SignType::Rsa2)
        .expect("the return URL verifies");
    verify_callback(&return_url, &alipay_pub).expect("the return URL verifies via callback");

    let mut g = c.benchmark_group("rsa2_2048");
    g.throughput(Throughput::Elements(1));

    g.bench_function("pay_link (page pay, end to end)", |b| {
        b.iter(|| pay_link(black_box(GATEWAY), &app, black_box(&order), &clock).expect("link"))
    });

    g.bench_function("verify return URL canonical (PublicKey::verify)", |b| {
        b.iter(|| {
            alipay_pub
                .verify(
                    black_box(canonical.as_bytes()),
                    black_box(&sign),
                    SignType::Rsa2,
                )
                .expect("verifies")
        })
    });

    // The pure-Rust path verification took before (and still takes for keys aws-lc-rs refuses),
    // side by side with the library's path above.
    let portable = {
        use rsa::pkcs8::DecodePublicKey;
        rsa::PublicKey::from_public_key_der(&alipay_pub.to_spki_der()).expect("SPKI parses")
    };
    let raw_sig = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(&sign)
            .expect("base64")
    };
    g.bench_function("verify canonical, rsa 0.10 (portable fallback)", |b| {
        b.iter(|| {
            portable
                .pkcs1v15_verify::<sha2::Sha256>(black_box(canonical.as_bytes()), &raw_sig)
                .expect("verifies")
        })
    });

    g.bench_function("verify_callback (return URL, parse + verify)", |b| {
        b.iter(|| verify_callback(black_box(&return_url), &alipay_pub).expect("verifies"))
    });

    let content: String = "app_id=2021000000000001&biz_content={\"out_trade_no\":\"x\"}&"
        .chars()
        .cycle()
        .take(300)
        .collect();
    g.bench_function("raw sign of 300 bytes", |b| {
        b.iter(|| {
            app_key
                .sign(black_box(content.as_bytes()), SignType::Rsa2)
                .expect("signs")
        })
    });
    g.finish();
}

criterion_group!(sign_verify, benches);
criterion_main!(sign_verify);
