//! `paydesk policy [set]` through the built binary, in the world of `common/world.rs` (a
//! `simulator` and a production `prod` profile on one database): show, set, `--json`, the typed
//! confirmation on production, a malformed stored value, and a full refund that follows the rule.

mod common;

use common::world::{OPERATOR, World, s, world};
use paydesk_core::db::Val;

const KEY_REVOKE: &str = "refund.revoke_grants_on_full_refund";

fn stored(w: &World) -> i64 {
    w.int(
        "SELECT COUNT(*) AS v FROM paydesk_settings WHERE setting_key LIKE 'refund.%'",
        vec![],
    )
}

fn policy_audits(w: &World) -> Vec<serde_json::Value> {
    w.json(0, &["audit", "--action", "policy_change", "--limit", "100"])
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn policy_show_set_and_the_production_confirmation() {
    let w = world();

    // Nothing stored: the defaults, in both forms.
    let shown = w.json(0, &["policy"]);
    assert_eq!(shown["revoke_grants_on_full_refund"], true, "{shown}");
    assert_eq!(shown["return_credits_on_full_refund"], true);
    assert!(shown["updated_time"].is_null() && shown["updated_by"].is_null());
    let human = w.run(&["policy"]);
    human.expect(0);
    assert!(
        human.stdout.contains("revoke grants on full refund   on")
            && human.stdout.contains("never"),
        "{}",
        human.stdout
    );

    // Usage errors: a reason and both switches are required, on/off only.
    for args in [
        vec!["policy", "set", "--revoke-grants", "off", "--reason", "r"],
        vec![
            "policy",
            "set",
            "--revoke-grants",
            "no",
            "--return-credits",
            "on",
            "--reason",
            "r",
        ],
        vec![
            "policy",
            "set",
            "--revoke-grants",
            "off",
            "--return-credits",
            "on",
        ],
    ] {
        w.run(&args).expect(2);
    }
    let blank = w.run(&[
        "policy",
        "set",
        "--revoke-grants",
        "off",
        "--return-credits",
        "on",
        "--reason",
        " ",
    ]);
    blank.expect(2);
    assert!(
        blank.stderr.contains("reason is required"),
        "{}",
        blank.stderr
    );
    assert_eq!(stored(&w), 0);

    // Production: without --confirm POLICY (or with another word) nothing changes, exit 2.
    let prod = |extra: &[&str]| {
        let mut all = vec![
            "--profile",
            "prod",
            "policy",
            "set",
            "--revoke-grants",
            "off",
            "--return-credits",
            "on",
            "--reason",
            "courses stay",
        ];
        all.extend_from_slice(extra);
        w.run(&all)
    };
    for r in [prod(&[]), prod(&["--confirm", "policy"])] {
        r.expect(2);
        assert!(
            r.stderr.contains("re-run with --confirm POLICY")
                && r.stderr.contains("Nothing was changed"),
            "{}",
            r.stderr
        );
    }
    let mut json_refusal = vec!["--json"];
    json_refusal.extend(["--profile", "prod", "policy", "set"]);
    json_refusal.extend(["--revoke-grants", "off", "--return-credits", "on"]);
    json_refusal.extend(["--reason", "r"]);
    let r = w.run(&json_refusal);
    r.expect(2);
    assert_eq!(r.json()["error"]["kind"], "confirmation_required");
    assert_eq!(r.json()["error"]["details"]["confirm"], "POLICY");
    assert_eq!(stored(&w), 0, "nothing written");
    assert!(policy_audits(&w).is_empty());

    // With the word: changed, audited under the prod profile with old → new and the reason.
    let c = w.json(
        0,
        &[
            "--profile",
            "prod",
            "policy",
            "set",
            "--revoke-grants",
            "off",
            "--return-credits",
            "on",
            "--reason",
            "courses stay",
            "--confirm",
            "POLICY",
        ],
    );
    assert_eq!(c["outcome"], "done", "{c}");
    assert_eq!(c["before"]["revoke_grants_on_full_refund"], true);
    assert_eq!(c["after"]["revoke_grants_on_full_refund"], false);
    assert_eq!(c["after"]["return_credits_on_full_refund"], true);
    assert_eq!(c["after"]["updated_by"], OPERATOR);
    assert_eq!(stored(&w), 2);
    let audits = policy_audits(&w);
    assert_eq!(audits.len(), 1);
    assert_eq!(audits[0]["profile"], "prod");
    assert_eq!(audits[0]["reason"], "courses stay");
    assert_eq!(audits[0]["before"]["revoke_grants_on_full_refund"], true);
    assert_eq!(audits[0]["after"]["revoke_grants_on_full_refund"], false);

    // Every profile on this database sees it, with who changed it.
    let shown = w.json(0, &["policy"]);
    assert_eq!(shown["revoke_grants_on_full_refund"], false);
    assert_eq!(shown["updated_by"], OPERATOR);
    let human = w.run(&["policy"]);
    assert!(
        human.stdout.contains("revoke grants on full refund   off")
            && human.stdout.contains(&format!("by {OPERATOR}")),
        "{}",
        human.stdout
    );
    // The same again: a no-op that says so (exit 0); human output names the change.
    let again = w.run(&[
        "policy",
        "set",
        "--revoke-grants",
        "off",
        "--return-credits",
        "on",
        "--reason",
        "again",
    ]);
    again.expect(0);
    assert!(again.stdout.contains("already"), "{}", again.stdout);

    // A full refund through the binary follows it: the course stays, the credits come back.
    let (user, _, courses) = w.fixtures();
    let credit0 = w.credit(user);
    let made = w.test_order(user, &courses[..1], 50, None);
    let number = s(&made["order"]["order_number"]).to_string();
    w.open_cashier(&number);
    let url = w.sim.pay(&number).unwrap().return_url.unwrap();
    w.json(0, &["settle", &url]);
    assert_eq!(w.credit(user), credit0 - 50);
    let f = w.json(0, &["refund", &number, "--reason", "policy test"]);
    assert_eq!(f["full_refund"], true, "{f}");
    assert_eq!(f["grants_revoked"].as_array().unwrap().len(), 0, "{f}");
    assert_eq!(f["credits_returned"], 50);
    assert_eq!(w.credit(user), credit0);
    assert_eq!(
        w.order_state(&number)["grants"].as_array().unwrap().len(),
        1,
        "the course stays"
    );

    // A malformed stored value: named, with the allowed values; `policy set` repairs it.
    w.exec(
        "UPDATE paydesk_settings SET setting_value = ? WHERE setting_key = ?",
        vec![Val::from("yes"), Val::from(KEY_REVOKE)],
    );
    let bad = w.run(&["policy"]);
    bad.expect(1);
    assert!(
        bad.stderr.contains(KEY_REVOKE)
            && bad.stderr.contains("\"yes\"")
            && bad.stderr.contains("\"true\" and \"false\""),
        "{}",
        bad.stderr
    );
    let r = w.run(&["--json", "policy"]);
    r.expect(1);
    assert_eq!(r.json()["error"]["kind"], "conflict");
    let fixed = w.json(
        0,
        &[
            "policy",
            "set",
            "--revoke-grants",
            "on",
            "--return-credits",
            "on",
            "--reason",
            "repair",
        ],
    );
    assert_eq!(fixed["outcome"], "done");
    assert!(fixed["before"].is_null(), "{fixed}");
    assert_eq!(w.json(0, &["policy"])["revoke_grants_on_full_refund"], true);
    assert_eq!(
        policy_audits(&w)[0]["before"]["revoke_grants_on_full_refund"],
        "yes"
    );
}
