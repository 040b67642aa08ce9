//! `policy_get` / `policy_set` through Tauri's IPC, without a window, against a fresh embedded
//! database with demo data (the shared harness in `support`).

mod support;

use std::sync::Arc;

use paydesk_core::{OpenMode, Store, StoreConfig};
use serde_json::{Value, json};
use support::{Harness, harness};

impl Harness {
    /// What another install (or someone with SQL) writes straight into the platform database.
    fn store_raw(&self, key: &str, value: &str) {
        let db = self.database();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let store = Store::connect(
                &StoreConfig::new(db),
                Arc::new(alipay::SystemClock),
                OpenMode::MustExist,
            )
            .await
            .unwrap();
            let mut tx = store.begin_write().await.unwrap();
            paydesk_core::queries::settings::set(&mut tx, key, value, "dba")
                .await
                .unwrap();
            tx.commit().await.unwrap();
            store.close().await;
        });
    }

    fn policy_audits(&self) -> Vec<Value> {
        self.ok(
            "audit_list",
            json!({ "filter": { "operator": null, "action": "policy_change", "order_number": null, "user_id": null, "from": null, "to": null }, "page": { "after": null, "limit": 100 } }),
        )["rows"]
            .as_array()
            .unwrap()
            .clone()
    }
}

fn set_args(revoke: bool, credits: bool, reason: &str, confirm: Option<&str>) -> Value {
    json!({
        "revokeGrantsOnFullRefund": revoke,
        "returnCreditsOnFullRefund": credits,
        "reason": reason,
        "confirm": confirm,
    })
}

#[test]
fn the_policy_is_read_and_changed_with_a_reason() {
    let h = harness(20);
    let p = h.ok("policy_get", json!({}));
    assert_eq!(
        p,
        json!({
            "revoke_grants_on_full_refund": true,
            "return_credits_on_full_refund": true,
            "updated_time": null,
            "updated_by": null,
        })
    );

    // A reason is required: invalid_input, nothing written.
    let e = h.err("policy_set", set_args(false, true, "  ", None));
    assert_eq!(e["code"], "invalid_input", "{e}");
    assert!(h.policy_audits().is_empty());

    let p = h.ok(
        "policy_set",
        set_args(false, true, "courses stay after refunds", None),
    );
    assert_eq!(p["revoke_grants_on_full_refund"], false, "{p}");
    assert_eq!(p["return_credits_on_full_refund"], true);
    let when = p["updated_time"].as_str().unwrap();
    assert_eq!(when.len(), "2026-01-01 00:00:00".len(), "{when}");
    assert!(p["updated_by"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(h.ok("policy_get", json!({})), p);

    let audits = h.policy_audits();
    assert_eq!(audits.len(), 1);
    assert_eq!(audits[0]["reason"], "courses stay after refunds");
    assert_eq!(audits[0]["before"]["revoke_grants_on_full_refund"], true);
    assert_eq!(audits[0]["after"]["revoke_grants_on_full_refund"], false);

    // A malformed stored value reaches the UI as a sentence naming the key, not as "internal".
    h.store_raw("refund.return_credits_on_full_refund", "1");
    let e = h.err("policy_get", json!({}));
    assert_eq!(e["code"], "conflict", "{e}");
    let m = e["message"].as_str().unwrap();
    assert!(
        m.contains("refund.return_credits_on_full_refund") && m.contains("\"true\" and \"false\""),
        "{m}"
    );
    // Saving a valid policy repairs it.
    let p = h.ok("policy_set", set_args(true, true, "repair", None));
    assert_eq!(p["return_credits_on_full_refund"], true);
    assert_eq!(h.ok("policy_get", json!({}))["updated_by"], p["updated_by"]);
}

#[test]
fn a_production_profile_wants_policy_typed() {
    let h = harness(20);
    let db = h.database();
    h.write_live_profile(&db, "");
    let live = h.ok("profile_activate", json!({ "name": "live" }));
    assert_eq!(live["kind"], "production");

    // Reading needs no confirmation.
    assert_eq!(
        h.ok("policy_get", json!({}))["revoke_grants_on_full_refund"],
        true
    );
    for confirm in [None, Some("policy"), Some("EXPIRE")] {
        let e = h.err("policy_set", set_args(false, false, "r", confirm));
        assert_eq!(e["code"], "confirmation_required", "{confirm:?}: {e}");
        assert!(e["message"].as_str().unwrap().contains("POLICY"), "{e}");
    }
    assert!(h.policy_audits().is_empty(), "nothing changed");
    assert_eq!(h.ok("policy_get", json!({}))["updated_by"], Value::Null);

    let p = h.ok("policy_set", set_args(false, false, "r", Some("POLICY")));
    assert_eq!(p["revoke_grants_on_full_refund"], false);
    assert_eq!(p["return_credits_on_full_refund"], false);
    assert_eq!(p["updated_by"], "finance");
    assert_eq!(h.policy_audits()[0]["profile"], "live");

    // Back on the simulator profile, on the same database: the same rule, changed by finance.
    h.ok("profile_activate", json!({ "name": "simulator" }));
    assert_eq!(h.ok("policy_get", json!({}))["updated_by"], "finance");
}
