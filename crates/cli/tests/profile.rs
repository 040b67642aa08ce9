//! Profile resolution through the binary: file location, --profile / PAYDESK_PROFILE, env and
//! flag overrides, and the errors a user sees.

mod common;

use common::{Sandbox, signed_return};

const CONFIG: &str = r#"
[profiles.simulator]
kind = "simulator"

[profiles.sandbox]
kind = "sandbox"
gateway = "https://openapi-sandbox.dl.alipaydev.com/gateway.do"
app_id = "2021000000000001"
seller_id = "2088000000000002"
app_private_key = "keys/app/app_private_key.pem"
alipay_public_key = "keys/alipay/app_public_key.txt"

[profiles.other]
kind = "production"
app_id = "2021000000000999"
alipay_public_key = "keys/wrong/app_public_key.txt"
"#;

fn setup() -> (Sandbox, alipay::PrivateKey) {
    let sb = Sandbox::new();
    let alipay = sb.keys("conf/keys/alipay");
    sb.keys("conf/keys/app");
    sb.keys("conf/keys/wrong");
    sb.write("conf/paydesk.toml", CONFIG);
    (sb, alipay)
}

#[test]
fn unknown_profile_lists_the_known_ones() {
    let (sb, _) = setup();
    let r = sb.run(&[
        "--config",
        "conf/paydesk.toml",
        "--profile",
        "prod",
        "sign",
        "a=1",
    ]);
    r.expect(2);
    assert!(
        r.stderr.contains("unknown profile \"prod\""),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("known profiles: other, sandbox, simulator"),
        "{}",
        r.stderr
    );
    let j = sb.run(&[
        "--json",
        "--config",
        "conf/paydesk.toml",
        "--profile",
        "prod",
        "sign",
        "a=1",
    ]);
    j.expect(2);
    assert_eq!(j.json()["error"]["kind"], "config");
}

#[test]
fn profile_paths_are_relative_to_the_file_and_checks_come_from_it() {
    let (sb, alipay) = setup();
    let url = signed_return(&alipay, "P1", "5.00");
    // From another directory than the file's: the key paths still resolve.
    let r = sb.run(&[
        "--config",
        "conf/paydesk.toml",
        "--profile",
        "sandbox",
        "verify",
        &url,
    ]);
    r.expect(0);
    assert!(
        r.stdout.contains("check app_id"),
        "profile app_id is checked: {}",
        r.stdout
    );
    // PAYDESK_PROFILE picks the profile; its app_id differs from the callback's.
    let mut sb2 = sb;
    let conf = sb2.p("conf/paydesk.toml");
    sb2.env("PAYDESK_PROFILE", "other")
        .env("PAYDESK_CONFIG", &conf);
    let r = sb2.run(&["verify", &url]);
    r.expect(1);
    // Env overrides the file: the right Alipay key and app_id make it VALID again.
    let alipay_pub = sb2.p("conf/keys/alipay/app_public_key.txt");
    sb2.env("PAYDESK_ALIPAY_PUBLIC_KEY", &alipay_pub)
        .env("PAYDESK_APP_ID", "2021000000000001");
    sb2.run(&["verify", &url]).expect(0);
    // And a flag beats the env.
    let r = sb2.run(&["verify", "--app-id", "2021000000000777", &url]);
    r.expect(1);
    assert!(r.stdout.contains("2021000000000777"), "{}", r.stdout);
}

#[test]
fn default_file_locations_and_missing_settings() {
    let (sb, _) = setup();
    // ./paydesk.toml is found without --config.
    std::fs::copy(sb.path("conf/paydesk.toml"), sb.path("paydesk.toml")).unwrap();
    let r = sb.run(&["--profile", "sandbox", "sign", "a=1"]);
    // The relative key path is now relative to ./, where no keys/ directory exists.
    r.expect(2);
    assert!(
        r.stderr.contains("keys/app/app_private_key.pem"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("cannot read the key file"),
        "{}",
        r.stderr
    );
    std::fs::remove_file(sb.path("paydesk.toml")).unwrap();

    // $XDG_CONFIG_HOME/paydesk/paydesk.toml.
    sb.write(
        ".config/paydesk/paydesk.toml",
        "[profiles.x]\nkind = \"sandbox\"\n",
    );
    let r = sb.run(&[
        "--profile",
        "x",
        "pay-link",
        "--out-trade-no",
        "A",
        "--amount",
        "1",
        "--subject",
        "s",
    ]);
    r.expect(2);
    assert!(
        r.stderr.contains("gateway is not set for profile \"x\""),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("PAYDESK_GATEWAY"), "{}", r.stderr);
    assert!(
        r.stderr.contains(".config/paydesk/paydesk.toml"),
        "{}",
        r.stderr
    );

    // A named file that does not exist, and a typo in a field name.
    let r = sb.run(&["--config", "missing.toml", "sign", "a=1"]);
    r.expect(2);
    assert!(
        r.stderr
            .contains("missing.toml: the settings file given by --config does not exist"),
        "{}",
        r.stderr
    );
    sb.write(
        "typo.toml",
        "[profiles.sandbox]\napp_privat_key = \"k.pem\"\n",
    );
    let r = sb.run(&[
        "--config",
        "typo.toml",
        "--profile",
        "sandbox",
        "sign",
        "a=1",
    ]);
    r.expect(2);
    assert!(r.stderr.contains("app_privat_key"), "{}", r.stderr);
    let r = sb.run(&["--profile", "nope", "sign", "a=1"]);
    r.expect(2);
    assert!(
        r.stderr.contains("unknown profile \"nope\""),
        "{}",
        r.stderr
    );
}
