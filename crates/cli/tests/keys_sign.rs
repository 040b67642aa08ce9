//! `paydesk keys …` and `paydesk sign` through the built binary.

mod common;

use alipay::{PublicKey, SignType};
use common::Sandbox;

#[test]
fn keys_gen_writes_four_files_and_never_prints_the_private_key() {
    let sb = Sandbox::new();
    let r = sb.run(&["keys", "gen", "--out", "app"]);
    r.expect(0);
    for f in [
        "app_private_key.pem",
        "app_private_key_pkcs1.pem",
        "app_public_key.pem",
        "app_public_key.txt",
    ] {
        assert!(common::exists(&sb.path("app").join(f)), "{f} missing");
    }
    let pkcs8 = std::fs::read_to_string(sb.path("app/app_private_key.pem")).unwrap();
    assert!(pkcs8.starts_with("-----BEGIN PRIVATE KEY-----"));
    let pkcs1 = std::fs::read_to_string(sb.path("app/app_private_key_pkcs1.pem")).unwrap();
    assert!(pkcs1.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    // No secret line of either private key may appear in the output. The first lines hold the
    // modulus, which is public (it is in the public key too): check the later ones, which hold
    // the private exponent and the primes.
    for pem in [&pkcs8, &pkcs1] {
        let body: Vec<&str> = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        assert!(body.len() > 20);
        for line in &body[8..] {
            assert!(
                !r.stdout.contains(line) && !r.stderr.contains(line),
                "private key material printed"
            );
        }
    }
    let one_line = std::fs::read_to_string(sb.path("app/app_public_key.txt")).unwrap();
    assert!(
        r.stdout.contains(one_line.trim()),
        "one-line public key not shown"
    );
    let pk = PublicKey::parse(&one_line, "t").unwrap();
    assert!(r.stdout.contains(&pk.fingerprint()));

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(sb.path("app/app_private_key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "private key readable by others");
    }

    // A second run must not silently replace a key that may be registered with Alipay.
    let again = sb.run(&["keys", "gen", "--out", "app"]);
    again.expect(2);
    assert!(
        again.stderr.contains("refusing to overwrite"),
        "{}",
        again.stderr
    );
    sb.run(&["keys", "gen", "--out", "app", "--force"])
        .expect(0);
}

#[test]
fn keys_gen_refuses_small_keys() {
    let sb = Sandbox::new();
    let r = sb.run(&["keys", "gen", "--bits", "1024"]);
    r.expect(2);
    assert!(r.stderr.contains("Alipay requires 2048"), "{}", r.stderr);
}

#[test]
fn keys_show_private_and_public_with_json() {
    let sb = Sandbox::new();
    let key = sb.keys("k");
    let r = sb.run(&[
        "--json",
        "keys",
        "show",
        &sb.p("k/app_private_key_pkcs1.pem"),
    ]);
    r.expect(0);
    let j = r.json();
    assert_eq!(j["kind"], "private");
    assert_eq!(j["format"], "pkcs1_pem");
    assert_eq!(j["bits"], 2048);
    assert_eq!(j["fingerprint"], key.public_key().fingerprint());
    let secret = key.to_pkcs8_base64().unwrap();
    assert!(!r.stdout.contains(&secret.expose()[64..128]));

    let r = sb.run(&["keys", "show", &sb.p("k/app_public_key.txt")]);
    r.expect(0);
    assert!(r.stdout.contains("public"), "{}", r.stdout);
    assert!(r.stdout.contains("SPKI one-line base64"), "{}", r.stdout);
    assert!(r.stdout.contains(&key.public_key().fingerprint()));

    let bad = sb.write("bad.txt", "this is not a key\n");
    let r = sb.run(&["keys", "show", &bad.display().to_string()]);
    r.expect(2);
    assert!(r.stderr.contains("not base64"), "{}", r.stderr);
    let r = sb.run(&["keys", "show", "missing.pem"]);
    r.expect(2);
    assert!(
        r.stderr.contains("cannot read the key file"),
        "{}",
        r.stderr
    );
}

#[test]
fn keys_check_pair_mismatch_and_wrong_kind() {
    let sb = Sandbox::new();
    sb.keys("a");
    sb.keys("b");
    let ok = sb.run(&[
        "keys",
        "check",
        "--private",
        "a/app_private_key.pem",
        "--public",
        "a/app_public_key.txt",
    ]);
    ok.expect(0);
    assert!(ok.stdout.contains("MATCH"), "{}", ok.stdout);

    let bad = sb.run(&[
        "keys",
        "check",
        "--private",
        "a/app_private_key.pem",
        "--public",
        "b/app_public_key.pem",
    ]);
    bad.expect(1);
    assert!(bad.stdout.contains("MISMATCH"), "{}", bad.stdout);
    assert!(
        bad.stderr.contains("is not the public half"),
        "{}",
        bad.stderr
    );

    let j = sb.run(&[
        "--json",
        "keys",
        "check",
        "--private",
        "a/app_private_key.pem",
        "--public",
        "b/app_public_key.pem",
    ]);
    j.expect(1);
    assert_eq!(j.json()["pair_matches"], false);
    assert_eq!(j.json()["ok"], false);

    // A public key where the private one belongs: exit 2 and the key crate's clear message.
    let wrong = sb.run(&[
        "keys",
        "check",
        "--private",
        "a/app_public_key.pem",
        "--public",
        "a/app_public_key.pem",
    ]);
    wrong.expect(2);
    assert!(
        wrong
            .stderr
            .contains("this is a public key where the app PRIVATE key is expected"),
        "{}",
        wrong.stderr
    );

    // The app's own public key configured as Alipay's: the most common support question.
    let own = sb.run(&[
        "keys",
        "check",
        "--private",
        "a/app_private_key.pem",
        "--alipay-public-key",
        "a/app_public_key.txt",
    ]);
    own.expect(1);
    assert!(
        own.stderr.contains("your app's own public key"),
        "{}",
        own.stderr
    );
    sb.run(&[
        "keys",
        "check",
        "--private",
        "a/app_private_key.pem",
        "--alipay-public-key",
        "b/app_public_key.txt",
    ])
    .expect(0);
}

#[test]
fn sign_query_string_and_json_agree_and_verify() {
    let sb = Sandbox::new();
    let key = sb.keys("k");
    let q = sb.run(&[
        "--json",
        "sign",
        "--private-key",
        "k/app_private_key.pem",
        "sign_type=RSA2&app_id=2021&method=alipay.trade.query&biz_content=%7B%22out_trade_no%22%3A%22A+1%22%7D&notify_url=",
    ]);
    q.expect(0);
    let qj = q.json();
    let content = "app_id=2021&biz_content={\"out_trade_no\":\"A 1\"}&method=alipay.trade.query&sign_type=RSA2";
    assert_eq!(qj["content"], content);
    assert_eq!(qj["sign_type"], "RSA2");
    key.public_key()
        .verify(
            content.as_bytes(),
            qj["sign"].as_str().unwrap(),
            SignType::Rsa2,
        )
        .unwrap();

    // The same parameters as JSON, biz_content as a nested object, via a file.
    sb.write(
        "p.json",
        r#"{"app_id":"2021","method":"alipay.trade.query","sign_type":"RSA2","biz_content":{"out_trade_no":"A 1"}}"#,
    );
    let j = sb.run(&[
        "--json",
        "sign",
        "--private-key",
        "k/app_private_key.pem",
        "@p.json",
    ]);
    j.expect(0);
    assert_eq!(j.json()["content"], content);
    assert_eq!(j.json()["sign"], qj["sign"]);

    // Human output, legacy RSA, via stdin.
    let h = sb.run_stdin(
        &[
            "sign",
            "--private-key",
            "k/app_private_key.pem",
            "--sign-type",
            "RSA",
            "-",
        ],
        "a=1&b=2\n",
    );
    h.expect(0);
    assert!(h.stdout.contains("content    a=1&b=2"), "{}", h.stdout);
    let sig = h
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("sign       "))
        .unwrap();
    key.public_key()
        .verify(b"a=1&b=2", sig.trim(), SignType::Rsa)
        .unwrap();
}

#[test]
fn sign_refuses_ambiguous_or_broken_params() {
    let sb = Sandbox::new();
    sb.keys("k");
    let dup = sb.run(&["sign", "--private-key", "k/app_private_key.pem", "a=1&a=2"]);
    dup.expect(2);
    assert!(dup.stderr.contains("\"a\" twice"), "{}", dup.stderr);
    let conflict = sb.run(&[
        "sign",
        "--private-key",
        "k/app_private_key.pem",
        "--sign-type",
        "RSA2",
        "a=1&sign_type=RSA",
    ]);
    conflict.expect(2);
    assert!(
        conflict.stderr.contains("make them agree"),
        "{}",
        conflict.stderr
    );
    let bad_type = sb.run(&[
        "sign",
        "--private-key",
        "k/app_private_key.pem",
        "--sign-type",
        "SM2",
        "a=1",
    ]);
    bad_type.expect(2);
    assert!(
        bad_type.stderr.contains("unknown sign_type"),
        "{}",
        bad_type.stderr
    );
    let no_key = sb.run(&["sign", "a=1"]);
    no_key.expect(2);
    assert!(
        no_key.stderr.contains("app_private_key is not set"),
        "{}",
        no_key.stderr
    );
    assert!(
        no_key.stderr.contains("PAYDESK_APP_PRIVATE_KEY"),
        "{}",
        no_key.stderr
    );
    let json_err = sb.run(&[
        "--json",
        "sign",
        "--private-key",
        "k/app_public_key.pem",
        "a=1",
    ]);
    json_err.expect(2);
    assert_eq!(json_err.json()["error"]["kind"], "input");
    assert!(
        json_err.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("PRIVATE key is expected")
    );
}

#[test]
fn every_command_has_help() {
    let sb = Sandbox::new();
    for cmd in [
        vec!["--help"],
        vec!["keys", "--help"],
        vec!["keys", "gen", "--help"],
        vec!["keys", "check", "--help"],
        vec!["keys", "show", "--help"],
        vec!["sign", "--help"],
        vec!["pay-link", "--help"],
        vec!["verify", "--help"],
        vec!["query", "--help"],
        vec!["refund", "--help"],
        vec!["refund-query", "--help"],
        vec!["close", "--help"],
        vec!["bill", "--help"],
        vec!["sim", "--help"],
    ] {
        let r = sb.run(&cmd);
        r.expect(0);
        assert!(r.stdout.contains("Usage:"), "{cmd:?}: {}", r.stdout);
        assert!(r.stdout.contains("--json"), "{cmd:?} lacks --json");
    }
    let refund = sb.run(&["refund", "--help"]);
    assert!(
        refund.stdout.contains("idempotency key"),
        "{}",
        refund.stdout
    );
    // clap's own usage errors exit 2.
    sb.run(&["keys", "frobnicate"]).expect(2);
}
