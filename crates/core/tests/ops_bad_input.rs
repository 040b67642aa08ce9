//! Bad input gets a distinct, clear error, changes nothing, and (for state changes) is on record.

mod ops_support;

use std::sync::Arc;

use alipay::{Amount, PayProduct, PayRequest, PrivateKey};
use ops_support::*;
use paydesk_core::db::{Query, Val};
use paydesk_core::ops::close::close;
use paydesk_core::ops::grant;
use paydesk_core::ops::refund::refund;
use paydesk_core::ops::settle::{SettleInput, settle};
use paydesk_core::ops::{OpsError, OrderRef};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_input_sqlite() {
    bad_input(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_input_mariadb() {
    bad_input(Backend::MySql).await;
}

async fn bad_input(backend: Backend) {
    let env = env(backend).await;
    let s = seed(&env).await;
    let desk = &env.desk;
    let (id, number) = site_order(&env, s.user, s.courses[0], "1579.00", 0, None, "1579.00").await;
    let ret = env.pay(&number).await;
    let before = env.snapshot(s.user, id).await;

    // A tampered return URL: the amount lowered.
    let audits = env.audit_count().await;
    let e = settle(
        desk,
        SettleInput::Callback(tamper(&ret, "total_amount", "0.01")),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, OpsError::Signature(_)), "{e}");
    assert_eq!(e.kind().as_str(), "signature");
    assert_eq!(env.snapshot(s.user, id).await, before);
    assert_eq!(
        env.audit_count().await,
        audits + 1,
        "the refusal is on record"
    );

    // Orders that do not exist.
    for e in [
        settle(desk, SettleInput::parse("209901010000000100000001"))
            .await
            .unwrap_err(),
        refund(desk, &order_ref("209901010000000100000001"), None, "r")
            .await
            .unwrap_err(),
        close(desk, &order_ref("209901010000000100000001"), "r")
            .await
            .unwrap_err(),
        settle(desk, SettleInput::parse("id:999999"))
            .await
            .unwrap_err(),
    ] {
        assert!(matches!(e, OpsError::NotFound { .. }), "{e}");
        assert_eq!(e.kind().as_str(), "not_found");
    }
    assert!(matches!(
        "abc".parse::<OrderRef>(),
        Err(OpsError::InvalidInput(_))
    ));
    assert!(matches!(
        "id:0".parse::<OrderRef>(),
        Err(OpsError::InvalidInput(_))
    ));

    // A correctly signed callback for an order number the database does not have.
    let foreign_number = "209901010000000900000009";
    let link = alipay::pay_link(
        &env.sim.gateway_url(),
        &env.sim.app_identity(),
        &PayRequest {
            return_url: Some("http://127.0.0.1:9/r".into()),
            ..PayRequest::new(
                PayProduct::Page,
                foreign_number,
                Amount::new(d("1.00")).unwrap(),
                "x",
            )
        },
        env.sim.clock().as_ref(),
    )
    .unwrap();
    env.sim.open_pay_link(&link).unwrap();
    let foreign_ret = env.sim.pay(foreign_number).unwrap().return_url.unwrap();
    let e = settle(desk, SettleInput::Callback(foreign_ret))
        .await
        .unwrap_err();
    assert!(matches!(e, OpsError::NotFound { .. }), "{e}");

    // Signed by Alipay but for another app of the same simulator.
    let other_key = Arc::new(PrivateKey::generate(2048).unwrap());
    env.sim
        .register_app("2021000000000999", other_key.public_key().clone());
    let other_app = app_identity_for("2021000000000999", other_key);
    let link = alipay::pay_link(
        &env.sim.gateway_url(),
        &other_app,
        &PayRequest {
            return_url: Some("http://127.0.0.1:9/r".into()),
            ..PayRequest::new(
                PayProduct::Page,
                number.as_str(),
                Amount::new(d("1579.00")).unwrap(),
                "x",
            )
        },
        env.sim.clock().as_ref(),
    )
    .unwrap();
    env.sim.open_pay_link(&link).unwrap();
    let other_ret = env
        .sim
        .pay_for("2021000000000999", &number)
        .unwrap()
        .return_url
        .unwrap();
    let e = settle(desk, SettleInput::Callback(other_ret))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            OpsError::Mismatch {
                field: "app_id",
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(env.snapshot(s.user, id).await, before);

    // The paid amount differs from the order's real_price (e.g. the order was edited since).
    let n = env.store().names().clone();
    let set_price = |p: &'static str| {
        let store = env.store().clone();
        let table = n.order.clone();
        async move {
            let mut tx = store.begin_write().await.unwrap();
            let mut q = Query::new(format!("UPDATE {table} SET real_price = ? WHERE id = ?"));
            q.args = vec![Val::Yuan(d(p)), id.into()];
            tx.execute(q).await.unwrap();
            tx.commit().await.unwrap();
        }
    };
    set_price("1578.99").await;
    let e = settle(desk, SettleInput::Callback(ret.clone()))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            OpsError::Mismatch {
                field: "total_amount",
                ..
            }
        ),
        "{e}"
    );
    let e = settle(desk, SettleInput::parse(&number)).await.unwrap_err();
    assert!(
        matches!(
            e,
            OpsError::Mismatch {
                field: "paid amount",
                ..
            }
        ),
        "{e}"
    );
    set_price("1579.00").await;
    assert_eq!(env.snapshot(s.user, id).await, before);

    // An unpaid trade, and no trade at all, are refused.
    let (id2, number2) = site_order(&env, s.user, s.courses[1], "899.90", 0, None, "899.90").await;
    let e = settle(desk, SettleInput::parse(&number2))
        .await
        .unwrap_err();
    assert!(
        matches!(e, OpsError::NotPaid { ref status, .. } if status == "TRADE_NOT_EXIST"),
        "{e}"
    );
    env.open(&number2).await;
    let e = settle(desk, SettleInput::parse(&number2))
        .await
        .unwrap_err();
    assert!(
        matches!(e, OpsError::NotPaid { ref status, .. } if status == "WAIT_BUYER_PAY"),
        "{e}"
    );
    assert_eq!(env.snapshot(s.user, id2).await.status, 0);

    // Refund: unpaid order, bad amounts, no reason.
    let e = refund(desk, &order_ref(&number2), None, "r")
        .await
        .unwrap_err();
    assert!(
        matches!(e, OpsError::Refused(ref m) if m.contains("unpaid")),
        "{e}"
    );
    settle(desk, SettleInput::Callback(ret)).await.unwrap();
    for (amount, want) in [
        ("-1", "positive"),
        ("0", "positive"),
        ("1.001", "two decimals"),
        ("1579.01", "above what is left"),
    ] {
        let e = refund(desk, &order_ref(&number), Some(d(amount)), "r")
            .await
            .unwrap_err();
        assert!(
            matches!(e, OpsError::InvalidInput(ref m) if m.contains(want)),
            "{amount}: {e}"
        );
    }
    let e = refund(desk, &order_ref(&number), None, "  ")
        .await
        .unwrap_err();
    assert!(matches!(e, OpsError::InvalidInput(_)), "{e}");
    assert!(
        env.snapshot(s.user, id).await.refunds.is_empty(),
        "nothing recorded"
    );
    assert_eq!(env.sim_money(&number).2, 0);

    // Close of a paid order is refused with what to do instead.
    let e = close(desk, &order_ref(&number), "r").await.unwrap_err();
    assert!(
        matches!(e, OpsError::Refused(ref m) if m.contains("refund it")),
        "{e}"
    );

    // Revoke of a grant that does not exist; grant of a course that does not exist.
    let audits = env.audit_count().await;
    let e = grant::revoke(desk, 987_654, "cleanup").await.unwrap_err();
    assert!(
        matches!(e, OpsError::NotFound { ref what } if what == "grant 987654"),
        "{e}"
    );
    let e = grant::grant(desk, s.user, 987_654, "gift")
        .await
        .unwrap_err();
    assert!(matches!(e, OpsError::NotFound { .. }), "{e}");
    assert_eq!(env.audit_count().await, audits + 2);

    // A profile with another seller: callbacks for it are refused.
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_for_another_seller_is_refused() {
    let env = env(Backend::Sqlite).await;
    let s = seed(&env).await;
    let (id, number) = site_order(&env, s.user, s.courses[0], "1579.00", 0, None, "1579.00").await;
    let ret = env.pay(&number).await;
    let forged_seller = tamper(&ret, "seller_id", "2088000000000001");
    // Changing a signed field breaks the signature; the seller check is for correctly signed
    // callbacks of a merchant whose profile names another seller.
    assert!(matches!(
        settle(&env.desk, SettleInput::Callback(forged_seller)).await,
        Err(OpsError::Signature(_))
    ));
    let other = ops_support::desk_with_seller(&env, "2088000000000001");
    let e = settle(&other, SettleInput::Callback(ret))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            OpsError::Mismatch {
                field: "seller_id",
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(env.snapshot(s.user, id).await.status, 0);
    env.finish().await;
}
