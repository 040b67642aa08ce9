//! Prints, as JSON, pay links and POST forms made by Paydesk with the committed TEST app key, for
//! the reference peers to verify (`scripts/peers/check_ours.sh`). Nothing here talks to Alipay.
//!
//!   cargo run -q -p paydesk-alipay --example emit_links > ours.json

use std::path::PathBuf;
use std::sync::Arc;

use alipay::{
    AppIdentity, CertMode, FixedClock, PayProduct, PayRequest, PrivateKey, SignType, pay_form,
    pay_link, signed_pay_params,
};
use serde_json::json;

const GATEWAY: &str = "https://openapi.alipay.com/gateway.do";
const RETURN_URL: &str = "https://www.luffycity.com/pay/return/?next=/my/orders&utm_source=alipay";
const NOTIFY_URL: &str = "https://api.luffycity.com/pay/notify";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/peers");
    let key = Arc::new(PrivateKey::from_file(
        fixtures.join("test_app_private_key.pem"),
    )?);
    // Any instant will do; a fixed one keeps the output reproducible.
    let clock = FixedClock::at_beijing("2025-03-14 09:26:53").ok_or("bad clock")?;
    let cert = CertMode::load(
        &fixtures.join("certs/app_cert.pem"),
        &fixtures.join("certs/alipay_cert.pem"),
        &fixtures.join("certs/root_bundle.pem"),
    )?;

    let subjects = [
        ("ascii", "Python full-stack course"),
        ("cjk", "路飞学城 Python 全栈开发（第 9 期）"),
        ("special", "A&B=C+D%E~F*G'H!I(J)K/L M  N"),
    ];
    let mut out = Vec::new();
    let mut n = 0;
    for product in [PayProduct::Page, PayProduct::Wap] {
        for (sname, subject) in subjects {
            for sign_type in [SignType::Rsa2, SignType::Rsa] {
                for (uname, ret, notify) in [
                    ("both-urls", Some(RETURN_URL), Some(NOTIFY_URL)),
                    ("return-only", Some(RETURN_URL), None),
                    ("no-urls", None, None),
                ] {
                    n += 1;
                    let mut req = PayRequest::new(
                        product,
                        format!("LC2025031409265300{n:02}"),
                        "1579.00".parse()?,
                        subject,
                    );
                    req.return_url = ret.map(String::from);
                    req.notify_url = notify.map(String::from);
                    if n % 3 == 0 {
                        req.body = Some("含税 & 发票 100%".into());
                        req.timeout_express = Some("30m".into());
                        req.passback_params = Some("merchant=luffy&course=42 /?".into());
                    }
                    let mut app = AppIdentity::new("2021004100000001", key.clone());
                    app.sign_type = sign_type;
                    let cert_mode = n % 4 == 0;
                    if cert_mode {
                        app = cert.apply(app);
                    }
                    let id = format!(
                        "paydesk/{}/{sname}/{}/{uname}{}",
                        if product == PayProduct::Page {
                            "page"
                        } else {
                            "wap"
                        },
                        sign_type.as_str().to_lowercase(),
                        if cert_mode { "/cert" } else { "" }
                    );
                    let params: serde_json::Map<String, serde_json::Value> =
                        signed_pay_params(&app, &req, &clock)?
                            .iter()
                            .map(|(k, v)| (k.to_string(), json!(v)))
                            .collect();
                    out.push(json!({
                        "id": id,
                        "sign_type": sign_type.as_str(),
                        "params": params,
                        "link": pay_link(GATEWAY, &app, &req, &clock)?,
                        "form_html": if n % 2 == 0 { Some(pay_form(GATEWAY, &app, &req, &clock)?) } else { None },
                    }));
                }
            }
        }
    }
    let doc = json!({
        "generated_by": "crates/alipay/examples/emit_links.rs",
        "app_public_key_pem": key.public_key().to_pem(),
        "vectors": out,
    });
    println!("{}", serde_json::to_string_pretty(&doc)?);
    Ok(())
}
