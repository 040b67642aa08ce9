//! Return URLs and notifies signed here with generated keys, the way Alipay signs them, then
//! verified (or refused) through the public API only.

use std::sync::OnceLock;

use alipay::callback::{CallbackError, CallbackKind, parse_callback, parse_callback_bytes};
use alipay::form::{Charset, FormError, encode_component};
use alipay::sign::{CALLBACK_EXCLUDE, canonical_content};
use alipay::{
    PrivateKey, SignType, SignedOver, TradeStatus, verify_callback, verify_callback_with_hint,
};
use rust_decimal::Decimal;

fn alipay_key() -> &'static PrivateKey {
    static K: OnceLock<PrivateKey> = OnceLock::new();
    K.get_or_init(|| PrivateKey::generate(2048).unwrap())
}

fn app_key() -> &'static PrivateKey {
    static K: OnceLock<PrivateKey> = OnceLock::new();
    K.get_or_init(|| PrivateKey::generate(2048).unwrap())
}

/// Alipay's callback signature: all but sign/sign_type, empties dropped, sorted, raw; the bytes in
/// `signed_as`.
fn sign_pairs(
    key: &PrivateKey,
    pairs: &[(&str, &str)],
    st: SignType,
    signed_as: Charset,
) -> String {
    let canonical = canonical_content(pairs.iter().copied(), CALLBACK_EXCLUDE);
    let bytes = match signed_as {
        Charset::Utf8 => canonical.into_bytes(),
        _ => encoding_rs::GBK.encode(&canonical).0.into_owned(),
    };
    key.sign(&bytes, st).unwrap()
}

/// Form-encodes the pairs (values as bytes in `charset`) with `sign` and `sign_type` added.
fn encode(pairs: &[(&str, &str)], sign: &str, st: &str, charset: Charset) -> String {
    let mut out: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode_component(v, charset)))
        .collect();
    out.push(format!("sign={}", encode_component(sign, charset)));
    if !st.is_empty() {
        out.push(format!("sign_type={st}"));
    }
    out.join("&")
}

fn signed(pairs: &[(&str, &str)]) -> String {
    let sig = sign_pairs(alipay_key(), pairs, SignType::Rsa2, Charset::Utf8);
    encode(pairs, &sig, "RSA2", Charset::Utf8)
}

/// The seed's real return URL, with our own key standing in for Alipay's.
fn seed_return_pairs() -> Vec<(&'static str, &'static str)> {
    vec![
        ("charset", "utf-8"),
        ("out_trade_no", "202207120000000100000022"),
        ("method", "alipay.trade.page.pay.return"),
        ("total_amount", "1579.00"),
        ("trade_no", "2022071222001439880503951070"),
        ("auth_app_id", "2016091600523592"),
        ("version", "1.0"),
        ("app_id", "2016091600523592"),
        ("seller_id", "2088102175868026"),
        ("timestamp", "2022-07-12 12:50:02"),
    ]
}

fn notify_pairs() -> Vec<(&'static str, &'static str)> {
    vec![
        ("gmt_create", "2022-07-12 12:49:40"),
        ("charset", "utf-8"),
        ("seller_email", "sandbox@example.com"),
        ("subject", "路飞学城-购买课程《Python全栈》"),
        ("body", ""),
        ("buyer_id", "2088102177846880"),
        ("invoice_amount", "1579.00"),
        ("notify_id", "2022071200222124959046880512345678"),
        (
            "fund_bill_list",
            "[{\"amount\":\"1579.00\",\"fundChannel\":\"ALIPAYACCOUNT\"}]",
        ),
        ("notify_type", "trade_status_sync"),
        ("trade_status", "TRADE_SUCCESS"),
        ("receipt_amount", "1579.00"),
        ("buyer_pay_amount", "1579.00"),
        ("app_id", "2016091600523592"),
        ("notify_time", "2022-07-12 12:50:03"),
        ("point_amount", "0.00"),
        ("total_amount", "1579.00"),
        ("passback_params", "coupon%3D12%26credit%3D100"),
        ("trade_no", "2022071222001439880503951070"),
        ("auth_app_id", "2016091600523592"),
        ("buyer_logon_id", "lfy***@sandbox.com"),
        ("gmt_payment", "2022-07-12 12:50:02"),
        ("out_trade_no", "202207120000000100000022"),
        ("seller_id", "2088102175868026"),
        ("version", "1.0"),
    ]
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[test]
fn seed_shaped_return_url_verifies() {
    let pairs = seed_return_pairs();
    let url = format!("http://www.luffycity.cn:3000/alipay?{}", signed(&pairs));
    // Alipay's form encoding: the space of the timestamp is a '+'.
    assert!(url.contains("timestamp=2022-07-12+12%3A50%3A02"));
    let v = verify_callback(&url, alipay_key().public_key()).unwrap();
    assert_eq!(v.kind(), CallbackKind::Return);
    assert_eq!(v.out_trade_no(), Some("202207120000000100000022"));
    assert_eq!(v.trade_no(), Some("2022071222001439880503951070"));
    assert_eq!(v.total_amount(), Some(dec("1579.00")));
    assert_eq!(v.app_id(), Some("2016091600523592"));
    assert_eq!(v.seller_id(), Some("2088102175868026"));
    assert_eq!(
        v.trade_status(),
        None,
        "a return URL says nothing about payment"
    );
    assert_eq!(v.timestamp().unwrap().to_string(), "2022-07-12 12:50:02");
    assert_eq!(v.sign_type(), SignType::Rsa2);
    v.expect_app_id("2016091600523592").unwrap();
    assert!(matches!(
        v.expect_app_id("2021000000000000"),
        Err(CallbackError::AppIdMismatch { .. })
    ));
    // The bare query, `location.search` and the URL with a fragment verify the same way.
    let q = url.split_once('?').unwrap().1;
    verify_callback(q, alipay_key().public_key()).unwrap();
    verify_callback(&format!("?{q}"), alipay_key().public_key()).unwrap();
    verify_callback(&format!(" {url}#/paid\n"), alipay_key().public_key()).unwrap();
}

#[test]
fn seed_url_as_printed_in_html_is_explained() {
    let url = signed(&seed_return_pairs()).replace("&timestamp=", "×tamp=");
    let e = verify_callback(&url, alipay_key().public_key()).unwrap_err();
    assert!(
        matches!(e, CallbackError::Form(FormError::HtmlMangled { .. })),
        "{e:?}"
    );
}

#[test]
fn notify_with_cjk_and_passback_verifies_with_typed_fields() {
    let pairs = notify_pairs();
    let body = signed(&pairs);
    // The platform's passback_params arrive encoded once more on the wire.
    assert!(body.contains("passback_params=coupon%253D12%2526credit%253D100"));
    let v = verify_callback(&body, alipay_key().public_key()).unwrap();
    assert_eq!(v.kind(), CallbackKind::Notify);
    assert_eq!(v.trade_status(), Some(TradeStatus::TradeSuccess));
    assert!(v.trade_status().unwrap().is_paid());
    assert_eq!(v.subject(), Some("路飞学城-购买课程《Python全栈》"));
    assert_eq!(v.passback_params(), Some("coupon%3D12%26credit%3D100"));
    assert_eq!(v.receipt_amount(), Some(dec("1579.00")));
    assert_eq!(v.buyer_pay_amount(), Some(dec("1579.00")));
    assert_eq!(v.point_amount(), Some(dec("0.00")));
    assert_eq!(v.refund_fee(), None);
    assert_eq!(v.notify_id(), Some("2022071200222124959046880512345678"));
    assert_eq!(v.gmt_payment().unwrap().to_string(), "2022-07-12 12:50:02");
    assert_eq!(v.gmt_create().unwrap().to_string(), "2022-07-12 12:49:40");
    assert_eq!(v.body(), None, "empty values read as absent");
    let bd = v.breakdown();
    let field = |n: &str| bd.fields.iter().find(|f| f.name == n).unwrap();
    assert!(!field("sign").signed && !field("sign_type").signed && !field("body").signed);
    assert!(field("subject").signed);
    assert_eq!(
        field("passback_params").raw,
        "coupon%253D12%2526credit%253D100"
    );
    assert!(
        field("passback_params")
            .note
            .as_deref()
            .unwrap()
            .contains("URL-encoded")
    );
    assert!(!bd.canonical.contains("sign="));
    let json = serde_json::to_value(&bd).unwrap();
    assert_eq!(json["kind"], "notify");
    assert_eq!(json["charset"], "utf-8");
}

#[test]
fn refund_notify_with_millisecond_gmt_refund() {
    let mut pairs = notify_pairs();
    pairs
        .iter_mut()
        .find(|(k, _)| *k == "trade_status")
        .unwrap()
        .1 = "TRADE_CLOSED";
    pairs.push(("refund_fee", "1579.00"));
    pairs.push(("gmt_refund", "2022-07-13 09:00:00.320"));
    pairs.push(("gmt_close", "2022-07-13 09:00:00"));
    let v = verify_callback(&signed(&pairs), alipay_key().public_key()).unwrap();
    assert_eq!(v.trade_status(), Some(TradeStatus::TradeClosed));
    assert!(!v.trade_status().unwrap().is_paid());
    assert_eq!(v.refund_fee(), Some(dec("1579.00")));
    assert_eq!(
        v.gmt_refund().unwrap().to_string(),
        "2022-07-13 09:00:00.320"
    );
    assert_eq!(v.gmt_close().unwrap().to_string(), "2022-07-13 09:00:00");
}

#[test]
fn gbk_notify_verifies_whether_signed_as_gbk_or_utf8_bytes() {
    let mut pairs = notify_pairs();
    pairs.retain(|(k, _)| *k != "charset");
    pairs.push(("charset", "gbk"));
    for signed_as in [Charset::Gbk, Charset::Utf8] {
        let sig = sign_pairs(alipay_key(), &pairs, SignType::Rsa2, signed_as);
        let body = encode(&pairs, &sig, "RSA2", Charset::Gbk);
        // 路 is %C2%B7 in GBK: the values really are GBK on the wire.
        assert!(body.contains("subject=%C2%B7"), "{body}");
        let v = verify_callback(&body, alipay_key().public_key()).unwrap();
        assert_eq!(v.subject(), Some("路飞学城-购买课程《Python全栈》"));
        assert_eq!(v.charset(), Charset::Gbk);
        assert_eq!(v.signed_as(), signed_as);
        // The same body as raw bytes off the wire.
        parse_callback_bytes(body.as_bytes())
            .unwrap()
            .verify(alipay_key().public_key())
            .unwrap();
    }
    // Unescaped GBK bytes in a body (some senders do not escape non-ASCII).
    let sig = sign_pairs(alipay_key(), &pairs, SignType::Rsa2, Charset::Gbk);
    let mut raw = Vec::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            raw.push(b'&');
        }
        raw.extend_from_slice(k.as_bytes());
        raw.push(b'=');
        if *k == "subject" {
            raw.extend_from_slice(&encoding_rs::GBK.encode(v).0);
        } else {
            raw.extend_from_slice(encode_component(v, Charset::Gbk).as_bytes());
        }
    }
    raw.extend_from_slice(
        format!(
            "&sign={}&sign_type=RSA2",
            encode_component(&sig, Charset::Utf8)
        )
        .as_bytes(),
    );
    let v = parse_callback_bytes(&raw)
        .unwrap()
        .verify(alipay_key().public_key())
        .unwrap();
    assert_eq!(v.subject(), Some("路飞学城-购买课程《Python全栈》"));
}

/// Every value that is signed, changed by one character (replaced, dropped, or one added), and
/// the signature itself changed anywhere: nothing verifies.
#[test]
fn every_single_change_is_rejected() {
    let key = alipay_key().public_key();
    for pairs in [seed_return_pairs(), notify_pairs()] {
        let sig = sign_pairs(alipay_key(), &pairs, SignType::Rsa2, Charset::Utf8);
        verify_callback(&encode(&pairs, &sig, "RSA2", Charset::Utf8), key).unwrap();
        let mut tried = 0;
        for (i, (_, v)) in pairs.iter().enumerate() {
            let chars: Vec<char> = v.chars().collect();
            for pos in 0..=chars.len() {
                let mut variants = Vec::new();
                if pos < chars.len() {
                    let mut c = chars.clone();
                    c[pos] = if c[pos] == '1' { '2' } else { '1' };
                    variants.push(c);
                    let mut c = chars.clone();
                    c.remove(pos);
                    variants.push(c);
                }
                let mut c = chars.clone();
                c.insert(pos, 'x');
                variants.push(c);
                for c in variants {
                    let changed: String = c.into_iter().collect();
                    let mut p = pairs.clone();
                    p[i].1 = &changed;
                    let input = encode(&p, &sig, "RSA2", Charset::Utf8);
                    let r = verify_callback(&input, key);
                    // A changed charset may name no charset at all; refused either way.
                    let ok = match &r {
                        Err(CallbackError::SignatureMismatch { .. }) => true,
                        Err(CallbackError::Form(FormError::UnknownCharset(_))) => {
                            p[i].0 == "charset"
                        }
                        _ => false,
                    };
                    assert!(ok, "{}={changed:?} gave {r:?}", p[i].0);
                    tried += 1;
                }
            }
        }
        assert!(tried > 100);
        // The signature: any base64 character replaced by another.
        for pos in 0..sig.len() {
            let mut s = sig.clone().into_bytes();
            s[pos] = if s[pos] == b'A' { b'B' } else { b'A' };
            let s = String::from_utf8(s).unwrap();
            let r = verify_callback(&encode(&pairs, &s, "RSA2", Charset::Utf8), key);
            assert!(r.is_err(), "sign changed at {pos} verified");
        }
    }
}

#[test]
fn duplicated_keys_are_named() {
    let body = signed(&notify_pairs());
    let dup = format!("{body}&trade_status=TRADE_SUCCESS");
    assert_eq!(
        verify_callback(&dup, alipay_key().public_key()).unwrap_err(),
        CallbackError::DuplicateKey("trade_status".into())
    );
    // An escaped key is the same key.
    let dup = format!("{body}&total%5Famount=0.01");
    assert_eq!(
        parse_callback(&dup).unwrap_err(),
        CallbackError::DuplicateKey("total_amount".into())
    );
    let dup = format!("{body}&sign=abc");
    assert_eq!(
        parse_callback(&dup).unwrap_err(),
        CallbackError::DuplicateKey("sign".into())
    );
}

#[test]
fn missing_or_empty_sign() {
    let pairs = seed_return_pairs();
    let q: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode_component(v, Charset::Utf8)))
        .collect();
    let q = q.join("&");
    let e = verify_callback(&q, alipay_key().public_key()).unwrap_err();
    assert_eq!(e, CallbackError::MissingSign);
    assert!(e.to_string().contains("sign"));
    let e = verify_callback(
        &format!("{q}&sign=&sign_type=RSA2"),
        alipay_key().public_key(),
    )
    .unwrap_err();
    assert_eq!(e, CallbackError::MissingSign);
}

#[test]
fn sign_type_missing_unknown_and_legacy() {
    let pairs = seed_return_pairs();
    let sig = sign_pairs(alipay_key(), &pairs, SignType::Rsa2, Charset::Utf8);
    let no_type = encode(&pairs, &sig, "", Charset::Utf8);
    let input = parse_callback(&no_type).unwrap();
    assert!(input.sign_type_defaulted());
    assert!(
        input
            .breakdown()
            .notes
            .iter()
            .any(|n| n.contains("RSA2 assumed"))
    );
    input.verify(alipay_key().public_key()).unwrap();

    let sm2 = encode(&pairs, &sig, "SM2", Charset::Utf8);
    assert_eq!(
        verify_callback(&sm2, alipay_key().public_key()).unwrap_err(),
        CallbackError::UnknownSignType("SM2".into())
    );

    let sha1 = sign_pairs(alipay_key(), &pairs, SignType::Rsa, Charset::Utf8);
    let v = verify_callback(
        &encode(&pairs, &sha1, "RSA", Charset::Utf8),
        alipay_key().public_key(),
    )
    .unwrap();
    assert_eq!(v.sign_type(), SignType::Rsa);
    // Labelled RSA2 but signed with SHA1: refused, and the hint says why.
    match verify_callback(
        &encode(&pairs, &sha1, "RSA2", Charset::Utf8),
        alipay_key().public_key(),
    ) {
        Err(CallbackError::SignatureMismatch { hint: Some(h), .. }) => {
            assert!(h.contains("signed with RSA"), "{h}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn spaces_in_sign_mean_plus_was_decoded() {
    let pairs = seed_return_pairs();
    let mut sig = sign_pairs(alipay_key(), &pairs, SignType::Rsa2, Charset::Utf8);
    // Make sure the signature has a '+' to lose (re-sign with a changed timestamp if needed).
    let mut ts = 0;
    let mut p = pairs.clone();
    let stamps: Vec<String> = (10..60).map(|s| format!("2022-07-12 12:50:{s}")).collect();
    while !sig.contains('+') {
        p = pairs.clone();
        p.iter_mut().find(|(k, _)| *k == "timestamp").unwrap().1 = &stamps[ts];
        sig = sign_pairs(alipay_key(), &p, SignType::Rsa2, Charset::Utf8);
        ts += 1;
    }
    // The whole input decoded once already (e.g. copied from a log of parsed parameters).
    let decoded: Vec<String> = p
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .chain([format!("sign={sig}"), "sign_type=RSA2".to_string()])
        .collect();
    let decoded = decoded.join("&");
    match verify_callback(&decoded, alipay_key().public_key()) {
        Err(CallbackError::BadBase64 { hint, .. }) => {
            assert!(hint.contains("already been URL-decoded"), "{hint}")
        }
        other => panic!("{other:?}"),
    }
    // Only the sign's '+' left unescaped: no alternative verifies, the generic explanation.
    let raw_plus = encode(&p, &sig, "RSA2", Charset::Utf8).replace("%2B", "+");
    match verify_callback(&raw_plus, alipay_key().public_key()) {
        Err(CallbackError::BadBase64 { hint, .. }) => assert!(hint.contains("%2B"), "{hint}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn cut_signature_is_a_length_error() {
    let pairs = seed_return_pairs();
    let sig = sign_pairs(alipay_key(), &pairs, SignType::Rsa2, Charset::Utf8);
    let cut = &sig[..sig.len() - 8];
    match verify_callback(
        &encode(&pairs, cut, "RSA2", Charset::Utf8),
        alipay_key().public_key(),
    ) {
        Err(CallbackError::WrongLength { got, want, .. }) => assert_eq!((got, want), (252, 256)),
        other => panic!("{other:?}"),
    }
    let junk = encode(&pairs, "not*base64", "RSA2", Charset::Utf8);
    assert!(matches!(
        verify_callback(&junk, alipay_key().public_key()),
        Err(CallbackError::BadBase64 { .. })
    ));
}

#[test]
fn wrong_key_and_own_key_hints() {
    let input = signed(&seed_return_pairs());
    let app_pub = app_key().public_key();
    match verify_callback(&input, app_pub) {
        Err(CallbackError::SignatureMismatch { canonical, hint }) => {
            assert!(canonical.starts_with("app_id=2016091600523592&auth_app_id="));
            assert!(!canonical.contains("sign"));
            assert_eq!(hint, None);
        }
        other => panic!("{other:?}"),
    }
    // The app's own public key configured as Alipay's.
    match verify_callback_with_hint(&input, app_pub, Some(app_pub)) {
        Err(CallbackError::SignatureMismatch { hint: Some(h), .. }) => {
            assert!(h.contains("应用公钥"), "{h}")
        }
        other => panic!("{other:?}"),
    }
    // Something the app signed itself, checked against Alipay's key.
    let pairs = seed_return_pairs();
    let by_app = sign_pairs(app_key(), &pairs, SignType::Rsa2, Charset::Utf8);
    let input = encode(&pairs, &by_app, "RSA2", Charset::Utf8);
    match verify_callback_with_hint(&input, alipay_key().public_key(), Some(app_pub)) {
        Err(CallbackError::SignatureMismatch { hint: Some(h), .. }) => {
            assert!(h.contains("app's own private key"), "{h}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn mishandled_plus_and_double_encoding_are_diagnosed() {
    let mut pairs = seed_return_pairs();
    pairs.push(("subject", "C++ 入门"));
    let sig = sign_pairs(alipay_key(), &pairs, SignType::Rsa2, Charset::Utf8);
    // An encoder in the style of JavaScript's encodeURI: spaces as %20, '+' left as is.
    let plus_raw = encode(&pairs, &sig, "RSA2", Charset::Utf8)
        .replace('+', "%20")
        .replace("C%2B%2B", "C++");
    match verify_callback(&plus_raw, alipay_key().public_key()) {
        Err(CallbackError::SignatureMismatch { hint: Some(h), .. }) => {
            assert!(h.contains("'+' is kept"), "{h}")
        }
        other => panic!("{other:?}"),
    }
    // Every value encoded twice.
    let twice: Vec<String> = pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                encode_component(&encode_component(v, Charset::Utf8), Charset::Utf8)
            )
        })
        .chain([format!(
            "sign={}",
            encode_component(&encode_component(&sig, Charset::Utf8), Charset::Utf8)
        )])
        .collect();
    // The sign's own escapes survive one decoding, so it is not base64 yet.
    match verify_callback(&twice.join("&"), alipay_key().public_key()) {
        Err(CallbackError::BadBase64 { hint, .. }) => {
            assert!(hint.contains("encoded twice"), "{hint}")
        }
        other => panic!("{other:?}"),
    }
}

/// Alipay's other habit: signed over the content with `sign_type` kept. VALID, and it says so;
/// the rest stays strict (a changed field, a changed sign_type, no sign_type at all).
#[test]
fn signed_over_content_with_sign_type_kept_is_valid_and_says_so() {
    let pairs = seed_return_pairs();
    let mut with_type = pairs.clone();
    with_type.push(("sign_type", "RSA2"));
    let canonical = canonical_content(with_type.iter().copied(), &["sign"]);
    let sig = alipay_key()
        .sign(canonical.as_bytes(), SignType::Rsa2)
        .unwrap();
    let input = encode(&pairs, &sig, "RSA2", Charset::Utf8);
    let v = verify_callback(&input, alipay_key().public_key()).unwrap();
    assert_eq!(v.signed_over(), SignedOver::SignTypeKept);
    assert_eq!(v.canonical(), canonical);
    let b = v.breakdown();
    assert!(b.fields.iter().any(|f| f.name == "sign_type" && f.signed));
    assert!(
        b.notes.iter().any(|n| n.contains("sign_type kept")),
        "{:?}",
        b.notes
    );

    // The documented rule still reports itself.
    let documented = sign_pairs(alipay_key(), &pairs, SignType::Rsa2, Charset::Utf8);
    let v = verify_callback(
        &encode(&pairs, &documented, "RSA2", Charset::Utf8),
        alipay_key().public_key(),
    )
    .unwrap();
    assert_eq!(v.signed_over(), SignedOver::Documented);

    // sign_type is signed under this reading: changing it breaks the signature.
    let relabelled = encode(&pairs, &sig, "RSA", Charset::Utf8);
    assert!(verify_callback(&relabelled, alipay_key().public_key()).is_err());
    // A changed field fails under both readings.
    let mut changed = pairs.clone();
    changed.iter_mut().for_each(|p| {
        if p.0 == "total_amount" {
            p.1 = "0.01";
        }
    });
    assert!(matches!(
        verify_callback(
            &encode(&changed, &sig, "RSA2", Charset::Utf8),
            alipay_key().public_key()
        ),
        Err(CallbackError::SignatureMismatch { .. })
    ));
    // Another key fails too.
    assert!(verify_callback(&input, app_key().public_key()).is_err());
}

#[test]
fn pay_link_pasted_into_verify_is_recognised() {
    let pairs = [
        ("app_id", "2016091600523592"),
        ("method", "alipay.trade.page.pay"),
        ("charset", "utf-8"),
        ("timestamp", "2022-07-12 12:49:00"),
    ];
    let sig = sign_pairs(app_key(), &pairs, SignType::Rsa2, Charset::Utf8);
    let input = encode(&pairs, &sig, "RSA2", Charset::Utf8);
    let parsed = parse_callback(&input).unwrap();
    assert_eq!(parsed.kind(), CallbackKind::Unknown);
    assert!(
        parsed
            .breakdown()
            .notes
            .iter()
            .any(|n| n.contains("pay link"))
    );
    match verify_callback(&input, alipay_key().public_key()) {
        Err(CallbackError::SignatureMismatch { hint: Some(h), .. }) => {
            assert!(h.contains("pay link"), "{h}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn signed_but_malformed_amount_is_refused() {
    let mut pairs = seed_return_pairs();
    pairs
        .iter_mut()
        .find(|(k, _)| *k == "total_amount")
        .unwrap()
        .1 = "1579.001";
    match verify_callback(&signed(&pairs), alipay_key().public_key()) {
        Err(CallbackError::BadField { field, .. }) => assert_eq!(field, "total_amount"),
        other => panic!("{other:?}"),
    }
    let mut pairs = notify_pairs();
    pairs
        .iter_mut()
        .find(|(k, _)| *k == "gmt_payment")
        .unwrap()
        .1 = "2022/07/12 12:50:02";
    match verify_callback(&signed(&pairs), alipay_key().public_key()) {
        Err(CallbackError::BadField { field, .. }) => assert_eq!(field, "gmt_payment"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unreadable_inputs_have_their_own_errors() {
    let k = alipay_key().public_key();
    assert_eq!(
        verify_callback("  \r\n", k).unwrap_err(),
        CallbackError::Form(FormError::Empty)
    );
    assert!(matches!(
        verify_callback("{\"sign\":1}", k),
        Err(CallbackError::Form(FormError::NotAForm(_)))
    ));
    assert_eq!(
        verify_callback("http://www.luffycity.cn:3000/alipay", k).unwrap_err(),
        CallbackError::Form(FormError::UrlWithoutQuery)
    );
    assert!(
        matches!(verify_callback("charset=big5&a=1&sign=x", k), Err(CallbackError::Form(FormError::UnknownCharset(c))) if c == "big5")
    );
    assert!(matches!(
        verify_callback("a=%E4%B8&sign=x", k),
        Err(CallbackError::Form(FormError::BadEncoding { .. }))
    ));
    assert!(matches!(
        verify_callback("a=%G1&sign=x", k),
        Err(CallbackError::Form(FormError::BadPercent { .. }))
    ));
    // Each message says what to do.
    for e in [
        CallbackError::Form(FormError::Empty),
        CallbackError::MissingSign,
        CallbackError::DuplicateKey("sign".into()),
    ] {
        assert!(e.to_string().len() > 40, "{e}");
    }
}
