//! The CLI and the app read one `paydesk.toml` the same way: a profile made in the app's Settings
//! is read by the `paydesk` binary, a bad setting is refused by both with the same sentence, and
//! a file with a broken profile still lists the others in the app and is repaired there.

mod support;

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};
use support::harness;

/// The `paydesk` binary of this build (cargo builds it with the workspace's tests).
fn paydesk_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let bin = dir.join(format!("paydesk{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: build it with `cargo build -p paydesk-cli` (cargo test --workspace does)",
        bin.display()
    );
    bin
}

fn cli(config: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let o = Command::new(paydesk_bin())
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("PAYDESK_PROFILE")
        .env_remove("PAYDESK_DATABASE")
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn a_profile_made_in_settings_is_the_clis_and_bad_settings_are_refused_alike() {
    let h = harness(30);
    let config = h.dir.path().join("config/paydesk.toml");
    let db = h.ok("app_status", json!({}))["database"]
        .as_str()
        .unwrap()
        .to_string();

    // Settings → New profile, as the form sends it (core's TableNames: `users`, not `user`).
    let mut s: Value = h.ok("profile_get", json!({ "name": "simulator" }));
    s["name"] = json!("copy");
    s["kind"] = json!("sandbox");
    s["gateway"] = json!("");
    s["database"]["path"] = json!(db);
    h.ok("profile_save", json!({ "settings": s.clone() }));
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("[profiles.copy]"), "{text}");

    // The CLI opens that profile's desk on the same database and sees the same orders.
    let (code, out, err) = cli(
        &config,
        &["--profile", "copy", "--json", "orders", "--limit", "3"],
    );
    assert_eq!(code, 0, "{err}");
    let cli_orders: Value = serde_json::from_str(&out).unwrap();
    h.ok("profile_activate", json!({ "name": "copy" }));
    let app_orders = h.ok(
        "orders_list",
        json!({ "filter": support::all_orders(), "page": support::page(3) }),
    );
    let numbers = |v: &Value, key: &str| -> Vec<String> {
        v[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["order_number"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(numbers(&cli_orders, "orders"), numbers(&app_orders, "rows"));

    // A table key the form cannot send by type is refused by the IPC layer, and nothing is written.
    let mut bad = s.clone();
    bad["name"] = json!("bad_tables");
    bad["database"]["tables"]["user"] = json!("fg_users");
    assert!(
        h.invoke("profile_save", json!({ "settings": bad }))
            .is_err()
    );
    assert_eq!(std::fs::read_to_string(&config).unwrap(), text);

    // A sign_type typo: the same sentence from both front ends, before anything opens.
    std::fs::write(
        &config,
        format!(
            "{text}\n[profiles.typo]\nkind = \"sandbox\"\nsign_type = \"RSA256\"\ndatabase = \"{db}\"\n"
        ),
    )
    .unwrap();
    let e = h.err("profile_activate", json!({ "name": "typo" }));
    assert_eq!(e["code"], "invalid_input", "{e}");
    let app_says = e["message"].as_str().unwrap().to_string();
    assert!(app_says.contains("sign_type"), "{app_says}");
    let (code, _, err) = cli(&config, &["--profile", "typo", "orders"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.trim(), format!("error: {app_says}"));
}

#[test]
fn a_broken_settings_file_lists_the_rest_and_is_repaired_in_the_app() {
    let h = harness(30);
    let config = h.dir.path().join("config/paydesk.toml");
    let db = h.ok("app_status", json!({}))["database"]
        .as_str()
        .unwrap()
        .to_string();
    let good = format!("[profiles.live]\nkind = \"sandbox\"\ndatabase = \"{db}\"\n");
    let broken = format!(
        "[profiles.broken]\nkind = \"sandbox\"\ngatway = \"https://x\"\ndatabase = \"{db}\"\n"
    );
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(&config, format!("{good}\n{broken}")).unwrap();

    // The app lists the good profile, names the broken one with its problem.
    let list = h.ok("profiles_list", json!({}));
    let names: Vec<&str> = list["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["simulator", "live"], "{list}");
    assert_eq!(list["broken"][0]["name"], "broken", "{list}");
    assert!(
        list["broken"][0]["problem"]
            .as_str()
            .unwrap()
            .contains("gatway"),
        "{list}"
    );
    // The CLI still opens the good one, and says what is wrong with the broken one.
    let (code, _, err) = cli(&config, &["--profile", "live", "orders", "--limit", "1"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = cli(&config, &["--profile", "broken", "orders"]);
    assert_eq!(code, 2);
    assert!(err.contains("gatway"), "{err}");

    // Repair in the app: a text that still does not read is refused and nothing is written.
    let text = h.ok("settings_text_get", json!({}))["text"]
        .as_str()
        .unwrap()
        .to_string();
    let e = h.err(
        "settings_text_save",
        json!({ "text": text.replace("gatway", "gateway_url") }),
    );
    assert_eq!(e["code"], "invalid_input", "{e}");
    assert!(
        e["message"].as_str().unwrap().contains("nothing was saved"),
        "{e}"
    );
    assert_eq!(std::fs::read_to_string(&config).unwrap(), text);
    let fixed = h.ok(
        "settings_text_save",
        json!({ "text": text.replace("gatway", "gateway") }),
    );
    assert_eq!(fixed["broken"], json!([]), "{fixed}");
    assert_eq!(fixed["profiles"].as_array().unwrap().len(), 3, "{fixed}");
    let (code, _, err) = cli(&config, &["--profile", "broken", "orders", "--limit", "1"]);
    assert_eq!(code, 0, "{err}");

    // A file that is not TOML at all: the built-in profile still works, the line is named.
    std::fs::write(&config, "[profiles.live\nkind = \n").unwrap();
    let list = h.ok("profiles_list", json!({}));
    assert!(
        list["file_problem"].as_str().unwrap().contains("line 1"),
        "{list}"
    );
    assert_eq!(list["profiles"][0]["name"], "simulator", "{list}");
}
