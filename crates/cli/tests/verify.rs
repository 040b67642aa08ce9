//! `paydesk verify` and `paydesk pay-link` through the built binary.

mod common;
#[path = "../../alipay/tests/vectors/real_world.rs"]
mod real_world;

use alipay::sign::{CALLBACK_EXCLUDE, canonical_content};
use alipay::{PrivateKey, SignType};
use common::{Sandbox, signed_return};
use real_world::{Expect, Rule, VECTORS};

/// A sandbox with an "Alipay" key pair (signs callbacks in the test) and an app key pair.
fn setup() -> (Sandbox, PrivateKey) {
    let sb = Sandbox::new();
    let alipay = sb.keys("alipay");
    sb.keys("app");
    (sb, alipay)
}

const ALIPAY_PUB: &str = "alipay/app_public_key.txt";

#[test]
fn pay_link_is_reproducible_and_signed_with_the_app_key() {
    let (sb, _) = setup();
    let app = PrivateKey::from_file(sb.path("app/app_private_key.pem")).unwrap();
    let args = [
        "pay-link",
        "--app-id",
        "2021000000000001",
        "--private-key",
        "app/app_private_key.pem",
        "--gateway",
        "https://openapi-sandbox.dl.alipaydev.com/gateway.do",
        "--out-trade-no",
        "20261124000001",
        "--amount",
        "1579",
        "--subject",
        "Python 全栈 & more",
        "--return-url",
        "https://shop.example/alipay/return?from=pay",
        "--timestamp",
        "2026-11-24 10:00:00",
    ];
    let r = sb.run(&args);
    r.expect(0);
    let link = r.stdout.trim();
    assert!(
        link.starts_with("https://openapi-sandbox.dl.alipaydev.com/gateway.do?"),
        "{link}"
    );
    assert_eq!(
        sb.run(&args).stdout.trim(),
        link,
        "same inputs and timestamp, same link"
    );

    let query = link.split_once('?').unwrap().1;
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(kk, _)| kk == k)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(get("timestamp"), "2026-11-24 10:00:00");
    assert_eq!(get("method"), "alipay.trade.page.pay");
    assert!(get("biz_content").contains("\"total_amount\":\"1579.00\""));
    assert!(get("biz_content").contains("FAST_INSTANT_TRADE_PAY"));
    let content = alipay::sign::canonical_content(
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        alipay::sign::REQUEST_EXCLUDE,
    );
    app.public_key()
        .verify(content.as_bytes(), &get("sign"), SignType::Rsa2)
        .unwrap();

    let mut json_args = vec!["--json"];
    json_args.extend_from_slice(&args);
    json_args.push("--wap");
    let j = sb.run(&json_args);
    j.expect(0);
    let j = j.json();
    assert_eq!(j["method"], "alipay.trade.wap.pay");
    assert_eq!(j["total_amount"], "1579.00");
    assert_eq!(j["params"]["timestamp"], "2026-11-24 10:00:00");
    assert!(j["link"].as_str().unwrap().contains("sign="));

    let mut form_args = args.to_vec();
    form_args.push("--form");
    let f = sb.run(&form_args);
    f.expect(0);
    assert!(f.stdout.contains("<form"), "{}", f.stdout);
    assert!(
        f.stdout.contains("method=\"post\"") || f.stdout.contains("method=\"POST\""),
        "{}",
        f.stdout
    );
}

#[test]
fn pay_link_bad_inputs_say_what_is_wrong() {
    let (sb, _) = setup();
    let base = |extra: &[&str]| {
        let mut v = vec![
            "pay-link",
            "--app-id",
            "2021",
            "--private-key",
            "app/app_private_key.pem",
            "--gateway",
            "https://openapi.alipay.com/gateway.do",
            "--out-trade-no",
            "A1",
            "--subject",
            "s",
        ];
        v.extend_from_slice(extra);
        sb.run(&v)
    };
    let r = base(&["--amount", "1579.001"]);
    r.expect(2);
    assert!(r.stderr.contains("more than two decimals"), "{}", r.stderr);
    let r = base(&["--amount", "0"]);
    r.expect(2);
    assert!(r.stderr.contains("out of Alipay's range"), "{}", r.stderr);
    let r = base(&["--amount", "1", "--timestamp", "2026/11/24 10:00"]);
    r.expect(2);
    assert!(r.stderr.contains("--timestamp"), "{}", r.stderr);
    let r = base(&["--amount", "1", "--timeout-express", "1.5h"]);
    r.expect(2);
    assert!(r.stderr.contains("timeout_express"), "{}", r.stderr);
    let r = sb.run(&[
        "pay-link",
        "--out-trade-no",
        "A1",
        "--amount",
        "1",
        "--subject",
        "s",
    ]);
    r.expect(2);
    assert!(r.stderr.contains("gateway is not set"), "{}", r.stderr);
}

#[test]
fn verify_a_signed_return_url_and_a_tampered_one() {
    let (sb, alipay) = setup();
    let url = signed_return(&alipay, "20261124000001", "1579.00");
    let ok = sb.run(&["verify", "--alipay-public-key", ALIPAY_PUB, &url]);
    ok.expect(0);
    assert!(ok.stdout.contains("VALID"), "{}", ok.stdout);
    assert!(
        ok.stdout.contains("out_trade_no=20261124000001"),
        "{}",
        ok.stdout
    );
    // The per-field breakdown: sign_type is present but not signed, total_amount is signed.
    let line = |name: &str| {
        ok.stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} row in\n{}", ok.stdout))
            .to_string()
    };
    assert!(
        line("total_amount").contains("yes"),
        "{}",
        line("total_amount")
    );
    assert!(line("sign_type").contains("no"), "{}", line("sign_type"));

    let tampered = url.replace("total_amount=1579.00", "total_amount=0.01");
    assert_ne!(tampered, url);
    let bad = sb.run(&["verify", "--alipay-public-key", ALIPAY_PUB, &tampered]);
    bad.expect(1);
    assert!(bad.stdout.contains("INVALID"), "{}", bad.stdout);
    assert!(bad.stdout.contains("signature mismatch"), "{}", bad.stdout);
    assert!(
        bad.stdout.contains("total_amount=0.01"),
        "signed content shown: {}",
        bad.stdout
    );

    // Verified with the app's own key instead of Alipay's: the warning and hint say so.
    let own = sb.run(&[
        "verify",
        "--alipay-public-key",
        "app/app_public_key.txt",
        "--app-public-key",
        "app/app_public_key.pem",
        &url,
    ]);
    own.expect(1);
    assert!(
        own.stderr.contains("your app's own public key"),
        "{}",
        own.stderr
    );
    assert!(
        own.stdout.contains("app's own public key"),
        "{}",
        own.stdout
    );

    // A '+' of the signature left unescaped by whoever re-encoded the URL: form decoding reads
    // it as a space, and the reason says so. Find an order whose signature has a '+'.
    let with_plus = (0..200)
        .map(|i| signed_return(&alipay, &format!("P{i}"), "1.00"))
        .find(|u| u.contains("%2B"))
        .expect("some signature contains '+'");
    let r = sb.run(&[
        "verify",
        "--alipay-public-key",
        ALIPAY_PUB,
        &with_plus.replace("%2B", "+"),
    ]);
    r.expect(1);
    assert!(r.stdout.contains("INVALID"), "{}", r.stdout);
    assert!(
        r.stdout.contains("spaces where base64 has '+'"),
        "{}",
        r.stdout
    );
}

#[test]
fn verify_checks_app_id_and_seller_id() {
    let (sb, alipay) = setup();
    let url = signed_return(&alipay, "A1", "1.00");
    sb.run(&[
        "verify",
        "--alipay-public-key",
        ALIPAY_PUB,
        "--app-id",
        "2021000000000001",
        "--seller-id",
        "2088000000000002",
        &url,
    ])
    .expect(0);
    let r = sb.run(&[
        "verify",
        "--alipay-public-key",
        ALIPAY_PUB,
        "--app-id",
        "2021999",
        &url,
    ]);
    r.expect(1);
    assert!(
        r.stdout
            .contains("app_id is \"2021000000000001\", not \"2021999\""),
        "{}",
        r.stdout
    );
    let r = sb.run(&[
        "--json",
        "verify",
        "--alipay-public-key",
        ALIPAY_PUB,
        "--seller-id",
        "2088999",
        &url,
    ]);
    r.expect(1);
    let lines = r.json_lines();
    assert_eq!(lines[0]["error"]["code"], "seller_id_mismatch");
    assert_eq!(lines[0]["checks"][0]["ok"], false);
}

#[test]
fn verify_batch_file_keeps_order_and_goes_compact() {
    let (sb, alipay) = setup();
    let mut text = String::from("# returns collected by QA\n\n");
    let mut expect = Vec::new();
    for i in 0..30 {
        let url = signed_return(&alipay, &format!("ORD{i:03}"), "10.00");
        if i % 7 == 3 {
            text.push_str(&url.replace("total_amount=10.00", "total_amount=99.00"));
            expect.push(false);
        } else if i == 11 {
            text.push_str("not a callback at all");
            expect.push(false);
        } else {
            text.push_str(&url);
            expect.push(true);
        }
        text.push('\n');
        if i == 5 {
            text.push_str("   \n# a comment in the middle\n");
        }
    }
    sb.write("returns.txt", &text);
    let r = sb.run(&[
        "verify",
        "--alipay-public-key",
        ALIPAY_PUB,
        "--jobs",
        "2",
        "@returns.txt",
    ]);
    r.expect(1);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(
        lines.len(),
        31,
        "30 one-line verdicts + summary:\n{}",
        r.stdout
    );
    for (i, want) in expect.iter().enumerate() {
        let l = lines[i];
        // The verdict is the first word of its line.
        assert_eq!(l.starts_with("VALID "), *want, "line {i}: {l}");
        assert_eq!(l.starts_with("INVALID "), !*want, "line {i}: {l}");
        if *want {
            assert!(
                l.contains(&format!("out_trade_no=ORD{i:03}")),
                "order lost at {i}: {l}"
            );
        }
    }
    // File line numbers: 2 header lines, then a blank + comment after the 6th input.
    assert!(lines[0].contains("returns.txt:3"), "{}", lines[0]);
    assert!(lines[6].contains("returns.txt:11"), "{}", lines[6]);
    assert!(lines[11].contains("not form data"), "{}", lines[11]);
    let valid = expect.iter().filter(|v| **v).count();
    assert!(
        lines[30].starts_with(&format!("30 inputs: {valid} valid, {} invalid", 30 - valid)),
        "{}",
        lines[30]
    );

    // --json: JSON lines in the same order and a summary object.
    let j = sb.run(&[
        "--json",
        "verify",
        "--alipay-public-key",
        ALIPAY_PUB,
        "@returns.txt",
    ]);
    j.expect(1);
    let docs = j.json_lines();
    assert_eq!(docs.len(), 31);
    for (i, want) in expect.iter().enumerate() {
        assert_eq!(docs[i]["type"], "result");
        assert_eq!(docs[i]["index"], i + 1);
        assert_eq!(docs[i]["valid"], *want, "{}", docs[i]);
    }
    assert_eq!(docs[7]["total_amount"], "10.00");
    assert_eq!(docs[3]["error"]["code"], "signature_mismatch");
    assert_eq!(docs[11]["error"]["code"], "not_a_form");
    assert_eq!(docs[30]["type"], "summary");
    assert_eq!(docs[30]["valid"], valid);

    // Only valid lines: exit 0.
    let only_valid: Vec<String> = (0..12)
        .map(|i| signed_return(&alipay, &format!("OK{i}"), "1.00"))
        .collect();
    sb.write("good.txt", &only_valid.join("\n"));
    let r = sb.run(&["verify", "--alipay-public-key", ALIPAY_PUB, "@good.txt"]);
    r.expect(0);
    assert!(
        r.stdout.contains("12 inputs: 12 valid, 0 invalid"),
        "{}",
        r.stdout
    );
}

#[test]
fn verify_stdin_and_mixed_arguments() {
    let (sb, alipay) = setup();
    let a = signed_return(&alipay, "S1", "1.00");
    let b = signed_return(&alipay, "S2", "2.00");
    let c = signed_return(&alipay, "S3", "3.00");
    let r = sb.run_stdin(
        &[
            "--json",
            "verify",
            "--alipay-public-key",
            ALIPAY_PUB,
            &a,
            "-",
        ],
        &format!("{b}\n\n{c}\n"),
    );
    r.expect(0);
    let docs = r.json_lines();
    let order: Vec<&str> = docs[..3]
        .iter()
        .map(|d| d["out_trade_no"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["S1", "S2", "S3"]);
    assert_eq!(docs[1]["origin"], "stdin:1");
    assert_eq!(docs[2]["origin"], "stdin:3");
    // Small batches carry the breakdown.
    assert!(docs[0]["breakdown"]["fields"].as_array().unwrap().len() >= 10);
}

#[test]
fn verify_unreadable_inputs_and_keys_exit_2() {
    let (sb, alipay) = setup();
    let url = signed_return(&alipay, "X", "1.00");
    let r = sb.run(&["verify", "--alipay-public-key", ALIPAY_PUB, "@nope.txt"]);
    r.expect(2);
    assert!(
        r.stderr.contains("nope.txt: cannot read the input file"),
        "{}",
        r.stderr
    );
    sb.write("list.txt", &url);
    let r = sb.run(&["verify", "--alipay-public-key", ALIPAY_PUB, "list.txt"]);
    r.expect(2);
    assert!(r.stderr.contains("write @list.txt"), "{}", r.stderr);
    let r = sb.run(&[
        "verify",
        "--alipay-public-key",
        "alipay/app_private_key.pem",
        &url,
    ]);
    r.expect(2);
    assert!(
        r.stderr
            .contains("private key where a PUBLIC key is expected"),
        "{}",
        r.stderr
    );
    let r = sb.run(&["verify", &url]);
    r.expect(2);
    assert!(
        r.stderr.contains("alipay_public_key is not set"),
        "{}",
        r.stderr
    );
    sb.write("empty.txt", "# nothing yet\n\n");
    let r = sb.run(&["verify", "--alipay-public-key", ALIPAY_PUB, "@empty.txt"]);
    r.expect(2);
    assert!(r.stderr.contains("no inputs"), "{}", r.stderr);
}

#[test]
fn verify_a_gbk_notify_body() {
    let (sb, alipay) = setup();
    let fields: Vec<(&str, &str)> = vec![
        ("notify_time", "2026-11-24 12:50:05"),
        ("notify_type", "trade_status_sync"),
        ("notify_id", "2026112400222125005000000001"),
        ("app_id", "2021000000000001"),
        ("charset", "gbk"),
        ("version", "1.0"),
        ("trade_no", "2026112422001400000000000001"),
        ("out_trade_no", "G1"),
        ("trade_status", "TRADE_SUCCESS"),
        ("total_amount", "88.80"),
        ("subject", "课程 测试"),
        ("seller_id", "2088000000000002"),
    ];
    // Alipay signs a gbk notify over the GBK bytes of the content and %-encodes GBK bytes.
    let content =
        alipay::sign::canonical_content(fields.iter().copied(), alipay::sign::CALLBACK_EXCLUDE);
    let (gbk, _, bad) = encoding_rs::GBK.encode(&content);
    assert!(!bad);
    let sign = alipay.sign(&gbk, SignType::Rsa2).unwrap();
    let enc = |v: &str| {
        let (b, _, _) = encoding_rs::GBK.encode(v);
        form_urlencoded::byte_serialize(&b).collect::<String>()
    };
    let mut body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect();
    body.push(format!("sign={}", enc(&sign)));
    body.push("sign_type=RSA2".into());
    let body = body.join("&");
    assert!(body.contains("subject=%BF%CE%B3%CC+%B2%E2%CA%D4"), "{body}");
    sb.write("notify.txt", &format!("# one gbk notify\n{body}\n"));
    let r = sb.run(&[
        "--json",
        "verify",
        "--alipay-public-key",
        ALIPAY_PUB,
        "@notify.txt",
    ]);
    r.expect(0);
    let docs = r.json_lines();
    assert_eq!(docs[0]["kind"], "notify");
    assert_eq!(docs[0]["trade_status"], "TRADE_SUCCESS");
    assert_eq!(docs[0]["breakdown"]["charset"], "gbk");
    let subject = docs[0]["breakdown"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "subject")
        .unwrap();
    assert_eq!(subject["decoded"], "课程 测试");
}

/// Payloads really signed by Alipay (tests/vectors in crates/alipay, each citing its source)
/// through the binary: each verdict, which rule held, the business result of responses, and
/// the publishers' tampered copies INVALID with their reason.
#[test]
fn verify_real_alipay_payloads() {
    let sb = Sandbox::new();
    let mut keys: Vec<&str> = VECTORS.iter().map(|v| v.key).collect();
    keys.sort();
    keys.dedup();
    for (n, key) in keys.iter().enumerate() {
        let vs: Vec<_> = VECTORS.iter().filter(|v| v.key == *key).collect();
        sb.write(&format!("k{n}.txt"), key);
        let lines: Vec<&str> = vs.iter().map(|v| v.payload).collect();
        sb.write(&format!("in{n}.txt"), &lines.join("\n"));
        let (k, i) = (format!("k{n}.txt"), format!("@in{n}.txt"));
        let j = sb.run(&["--json", "verify", "--alipay-public-key", &k, &i]);
        let docs = j.json_lines();
        for (v, d) in vs.iter().zip(&docs) {
            match v.expect {
                Expect::Valid(rule) => {
                    assert_eq!(d["valid"], true, "{}: {d}", v.id);
                    let (kind_is_response, over) = match rule {
                        Rule::Documented => (false, "documented"),
                        Rule::SignTypeKept => (false, "sign_type_kept"),
                        Rule::Response => (true, ""),
                    };
                    assert_eq!(d["kind"] == "response", kind_is_response, "{}", v.id);
                    if !kind_is_response {
                        assert_eq!(d["signed_over"], over, "{}", v.id);
                    }
                }
                Expect::Invalid(code) => {
                    assert_eq!(d["valid"], false, "{}: {d}", v.id);
                    assert_eq!(d["error"]["code"], code, "{}", v.id);
                }
            }
        }
        let summary = docs.last().unwrap();
        let kept = vs
            .iter()
            .filter(|v| v.expect == Expect::Valid(Rule::SignTypeKept));
        assert_eq!(summary["valid_sign_type_kept"], kept.count(), "{summary}");
    }
    // Human output: the rule held is a note on a VALID line; a response shows its business
    // result; the reordered copy says the body must be the raw text.
    let human = |id: &str| {
        let v = VECTORS.iter().find(|v| v.id == id).unwrap();
        sb.write("k.txt", v.key);
        sb.write("one.txt", v.payload);
        sb.run(&["verify", "--alipay-public-key", "k.txt", "@one.txt"])
    };
    let r = human("node-notify-servicemarket-prod");
    r.expect(0);
    assert!(r.stdout.starts_with("VALID"), "{}", r.stdout);
    assert!(r.stdout.contains("sign_type kept"), "{}", r.stdout);
    let r = human("node-response-risk-analyze-stable-40003");
    r.expect(0);
    assert!(r.stdout.starts_with("VALID"), "{}", r.stdout);
    assert!(r.stdout.contains("code 40003"), "{}", r.stdout);
    assert!(
        r.stdout.contains("isv.decryption-error-unknown"),
        "{}",
        r.stdout
    );
    let r = human("rust-response-trade-create-reordered");
    r.expect(1);
    assert!(r.stdout.starts_with("INVALID"), "{}", r.stdout);
    assert!(r.stdout.contains("must be the raw text"), "{}", r.stdout);
}

/// A hostile callback cannot hide or fake the verdict: CR/LF, ANSI escapes, bidi overrides and
/// a fake "VALID" line in a signed field come out escaped, on the verdict's own line.
#[test]
fn control_characters_cannot_hide_or_fake_the_verdict() {
    let (sb, alipay) = setup();
    let evil = "x\r\nVALID    fake\u{1b}[8m\u{1b}[2K\r\u{202e}DILAVNI";
    let fields = [
        ("notify_type", "trade_status_sync"),
        ("app_id", "2021000000000001"),
        ("out_trade_no", "EVIL1"),
        ("total_amount", "1.00"),
        ("body", evil),
        ("notify_time", "2026-11-24 12:50:02"),
    ];
    let content = canonical_content(fields.iter().copied(), CALLBACK_EXCLUDE);
    let sign = alipay.sign(content.as_bytes(), SignType::Rsa2).unwrap();
    let mut q = form_urlencoded::Serializer::new(String::new());
    fields.iter().for_each(|(k, v)| {
        q.append_pair(k, v);
    });
    let good = format!("{}&sign={}", q.finish(), urlencode(&sign));
    let bad = good.replace("total_amount=1.00", "total_amount=9.00");
    for verbose in [false, true] {
        let mut args = vec!["verify", "--alipay-public-key", ALIPAY_PUB];
        if verbose {
            args.push("-v");
        }
        args.extend([good.as_str(), bad.as_str()]);
        let r = sb.run(&args);
        r.expect(1);
        for c in ['\r', '\u{1b}', '\u{202e}'] {
            assert!(!r.stdout.contains(c), "raw {c:?} in: {:?}", r.stdout);
        }
        let verdicts: Vec<&str> = r
            .stdout
            .lines()
            .filter(|l| l.starts_with("VALID") || l.starts_with("INVALID"))
            .collect();
        assert_eq!(verdicts.len(), 2, "{}", r.stdout);
        assert!(verdicts[0].starts_with("VALID "), "{}", r.stdout);
        assert!(verdicts[1].starts_with("INVALID "), "{}", r.stdout);
        if verbose {
            assert!(
                r.stdout.contains("x\\r\\nVALID    fake\\u{1b}[8m"),
                "{}",
                r.stdout
            );
        }
    }
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
