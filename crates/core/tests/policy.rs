//! The full-refund policy lives in `paydesk_settings`: defaults while nothing is stored, a change
//! applies to the very next refund through the same (long-lived) Desk, a malformed stored value
//! stops full refunds before Alipay is asked, and every change is audited with old → new and why.

mod ops_support;

use ops_support::*;
use paydesk_core::desk::Policy;
use paydesk_core::ops::policy::{self, RETURN_CREDITS_KEY, REVOKE_GRANTS_KEY};
use paydesk_core::ops::refund::refund;
use paydesk_core::ops::settle::{SettleInput, settle};
use paydesk_core::ops::{OpsError, Outcome};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn policy_sqlite() {
    policy_story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn policy_mariadb() {
    policy_story(Backend::MySql).await;
}

/// A settled order of `course` for the seed user, bought with `credits` credits.
async fn paid_order(env: &Env, user: i64, course: i64, credits: i64) -> (i64, String) {
    let (id, number) = site_order(env, user, course, "899.90", credits, None, "899.90").await;
    let ret = env.pay(&number).await;
    settle(&env.desk, SettleInput::Callback(ret))
        .await
        .expect("settle");
    (id, number)
}

async fn store_raw(env: &Env, key: &str, value: &str) {
    let mut tx = env.store().begin_write().await.unwrap();
    paydesk_core::queries::settings::set(&mut tx, key, value, "someone with SQL")
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn policy_audits(env: &Env) -> Vec<paydesk_core::rows::AuditRow> {
    paydesk_core::audit::query(
        env.store(),
        &paydesk_core::audit::AuditFilter {
            action: Some("policy_change".into()),
            limit: 100,
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

async fn policy_story(backend: Backend) {
    let env = env(backend).await;
    let s = seed(&env).await;
    let desk = &env.desk;

    // Nothing stored: the defaults, and nobody has changed them.
    let shown = policy::show(desk).await.unwrap();
    assert_eq!(shown.policy(), Policy::default());
    assert!(shown.revoke_grants_on_full_refund && shown.return_credits_on_full_refund);
    assert_eq!((shown.updated_time, shown.updated_by.clone()), (None, None));

    // Default policy: a full refund takes the course and gives the credits back.
    let (id, number) = paid_order(&env, s.user, s.courses[1], 50).await;
    let before = env.snapshot(s.user, id).await;
    assert_eq!((before.grants, before.credit), (1, 950));
    let r = refund(desk, &order_ref(&number), None, "default policy")
        .await
        .unwrap();
    assert!(r.full_refund);
    assert_eq!((r.grants_revoked.len(), r.credits_returned), (1, 50));
    let after = env.snapshot(s.user, id).await;
    assert_eq!((after.grants, after.credit), (0, 1000));

    // A reason is required; nothing is written without one.
    let off = Policy {
        revoke_grants_on_full_refund: false,
        return_credits_on_full_refund: true,
    };
    let e = policy::set(desk, off, "  ").await.unwrap_err();
    assert!(
        matches!(e, OpsError::InvalidInput(ref m) if m.contains("reason")),
        "{e}"
    );
    assert!(policy_audits(&env).await.is_empty());
    assert_eq!(policy::show(desk).await.unwrap().updated_by, None);

    // Revoke off: the same desk (no restart) follows it at the next full refund.
    let c = policy::set(desk, off, "courses stay after refunds (finance 2026-11)")
        .await
        .unwrap();
    assert_eq!(c.outcome, Outcome::Done);
    assert_eq!(c.before, Some(Policy::default()));
    assert_eq!(c.after.policy(), off);
    assert_eq!(c.after.updated_by.as_deref(), Some("tester"));
    assert!(c.after.updated_time.is_some());
    let shown = policy::show(desk).await.unwrap();
    assert_eq!(shown, c.after);

    let audits = policy_audits(&env).await;
    assert_eq!(audits.len(), 1);
    let a = &audits[0];
    assert_eq!((a.outcome.as_str(), a.operator.as_str()), ("ok", "tester"));
    assert_eq!(a.id, c.audit_id);
    assert_eq!(
        a.reason.as_deref(),
        Some("courses stay after refunds (finance 2026-11)")
    );
    assert_eq!(
        a.before.as_ref().unwrap()["revoke_grants_on_full_refund"],
        true
    );
    assert_eq!(
        a.before.as_ref().unwrap()["return_credits_on_full_refund"],
        true
    );
    assert_eq!(
        a.after.as_ref().unwrap()["revoke_grants_on_full_refund"],
        false
    );
    assert_eq!(
        a.after.as_ref().unwrap()["return_credits_on_full_refund"],
        true
    );
    assert!(
        a.detail.as_deref().unwrap().contains("revoke grants on")
            && a.detail.as_deref().unwrap().contains("→ revoke grants off"),
        "{:?}",
        a.detail
    );

    let (id, number) = paid_order(&env, s.user, s.courses[1], 40).await;
    let r = refund(desk, &order_ref(&number), None, "revoke off")
        .await
        .unwrap();
    assert!(r.full_refund);
    assert!(r.grants_revoked.is_empty(), "the course stays");
    assert_eq!(r.credits_returned, 40, "credits still come back");
    let after = env.snapshot(s.user, id).await;
    assert_eq!((after.grants, after.credit), (1, 1000));

    // Setting what is in force is a no-op that is still on record.
    let again = policy::set(desk, off, "double click").await.unwrap();
    assert_eq!(again.outcome, Outcome::Noop);
    assert!(again.message.contains("already"), "{}", again.message);
    let audits = policy_audits(&env).await;
    assert_eq!(audits.len(), 2);
    assert_eq!(audits[0].outcome, "noop");

    // Both off, written by another install: applies at once here too.
    let none = Policy {
        revoke_grants_on_full_refund: false,
        return_credits_on_full_refund: false,
    };
    store_raw(&env, RETURN_CREDITS_KEY, "false").await;
    assert_eq!(policy::show(desk).await.unwrap().policy(), none);
    assert_eq!(
        policy::show(desk).await.unwrap().updated_by.as_deref(),
        Some("someone with SQL"),
        "who changed it last"
    );
    let (id, number) = paid_order(&env, s.other_user, s.courses[0], 30).await;
    let r = refund(desk, &order_ref(&number), None, "both off")
        .await
        .unwrap();
    assert_eq!((r.grants_revoked.len(), r.credits_returned), (0, 0));
    let after = env.snapshot(s.other_user, id).await;
    assert_eq!((after.grants, after.credit), (1, 470));

    // A malformed stored value: a clear error naming the key and the allowed values; a full
    // refund stops before Alipay is asked (nothing recorded, nothing moved) and is on record.
    store_raw(&env, REVOKE_GRANTS_KEY, "yes").await;
    let e = policy::show(desk).await.unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains(REVOKE_GRANTS_KEY)
            && text.contains("\"yes\"")
            && text.contains("\"true\" and \"false\""),
        "{text}"
    );
    let (id, number) = paid_order(&env, s.other_user, s.courses[1], 0).await;
    let before = env.snapshot(s.other_user, id).await;
    let audit_before = env.audit_of(id).await.len();
    let e = refund(desk, &order_ref(&number), None, "malformed")
        .await
        .unwrap_err();
    assert!(matches!(e, OpsError::Refused(_)), "{e}");
    assert!(e.to_string().contains(REVOKE_GRANTS_KEY), "{e}");
    assert_eq!(env.snapshot(s.other_user, id).await, before);
    assert!(before.refunds.is_empty());
    assert_eq!(env.sim_money(&number).1, d("0"), "Alipay was not asked");
    let audit = env.audit_of(id).await;
    assert_eq!(audit.len(), audit_before + 1);
    assert_eq!(audit[0], ("refund".to_string(), "refused".to_string()));

    // A partial refund does not depend on the policy and still goes through.
    let p = refund(desk, &order_ref(&number), Some(d("1.00")), "partial")
        .await
        .unwrap();
    assert!(!p.full_refund);

    // Setting a valid policy repairs it; the audit row keeps the malformed value verbatim.
    let c = policy::set(desk, Policy::default(), "repair")
        .await
        .unwrap();
    assert_eq!(c.outcome, Outcome::Done);
    assert_eq!(c.before, None, "the old policy was unreadable");
    assert!(c.message.contains("unreadable"), "{}", c.message);
    let a = &policy_audits(&env).await[0];
    assert_eq!(
        a.before.as_ref().unwrap()["revoke_grants_on_full_refund"],
        "yes"
    );
    assert_eq!(
        a.before.as_ref().unwrap()["return_credits_on_full_refund"],
        false
    );
    assert_eq!(
        policy::show(desk).await.unwrap().policy(),
        Policy::default()
    );
    // Alipay wants 3 s between two refunds of one trade.
    env.sim.clock().advance(chrono::TimeDelta::seconds(4));
    let r = refund(desk, &order_ref(&number), None, "after repair")
        .await
        .unwrap();
    assert!(r.full_refund);
    assert_eq!(r.grants_revoked.len(), 1);

    env.finish().await;
}
