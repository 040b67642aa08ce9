//! Every refused settle is on record with what it was about and why: one audit row (outcome
//! `refused`) naming the order when the input names one that exists, `reason` the short cause,
//! `detail` the specifics (and the operator's reason for a settle by hand), and nothing else in
//! the database changes. A callback that does not verify is linked to the order it claims only
//! by that read-only lookup, and says its claims were unverified.

mod ops_support;

use std::sync::Arc;

use alipay::form::{Charset, encode_component};
use alipay::sign::{CALLBACK_EXCLUDE, canonical_content};
use alipay::{Amount, PayProduct, PayRequest, PrivateKey, SignType};
use ops_support::*;
use paydesk_core::audit::{AuditFilter, query};
use paydesk_core::db::{Query, Val};
use paydesk_core::ops::settle::{SettleInput, settle, settle_with_reason};
use paydesk_core::ops::{OpsError, OpsResult};
use paydesk_core::rows::AuditRow;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refused_settles_are_audited_sqlite() {
    refused_settles_are_audited(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refused_settles_are_audited_mariadb() {
    refused_settles_are_audited(Backend::MySql).await;
}

/// What one refusal must leave behind, besides the error.
struct Want<'a> {
    order: Option<(i64, &'a str)>,
    /// The order_number column when no order was found (a verified claim), else `None`.
    named: Option<&'a str>,
    reason: &'a str,
    detail: &'a [&'a str],
}

/// Runs a settle that must be refused; checks that it wrote exactly one audit row, as wanted,
/// and changed nothing else. Returns the error.
async fn refused(
    env: &Env,
    orders: &[(i64, i64)],
    want: Want<'_>,
    settle: impl Future<Output = OpsResult<paydesk_core::ops::settle::SettleReport>>,
) -> OpsError {
    let mut before = Vec::new();
    for &(user, id) in orders {
        before.push(env.snapshot(user, id).await);
    }
    let audits = env.audit_count().await;
    let e = settle.await.expect_err("refused");
    assert_eq!(env.audit_count().await, audits + 1, "one audit row: {e}");
    let row = newest(env).await;
    let what = format!("{e} → {row:#?}");
    assert_eq!(row.action, "settle", "{what}");
    assert_eq!(row.outcome, "refused", "{what}");
    assert_eq!(row.order_id, want.order.map(|o| o.0), "{what}");
    assert_eq!(
        row.order_number.as_deref(),
        want.order.map(|o| o.1).or(want.named),
        "{what}"
    );
    assert_eq!(row.reason.as_deref(), Some(want.reason), "{what}");
    let detail = row.detail.clone().unwrap_or_default();
    for part in want.detail {
        assert!(detail.contains(part), "detail lacks {part:?}: {what}");
    }
    if want.order.is_some() {
        assert!(row.user_id.is_some() && row.before.is_some(), "{what}");
    } else {
        assert!(row.user_id.is_none() && row.before.is_none(), "{what}");
    }
    for (&(user, id), b) in orders.iter().zip(before) {
        assert_eq!(
            env.snapshot(user, id).await,
            b,
            "order {id} changed: {what}"
        );
    }
    e
}

async fn newest(env: &Env) -> AuditRow {
    query(
        env.store(),
        &AuditFilter {
            limit: 1,
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .remove(0)
}

async fn set_order(env: &Env, id: i64, col: &str, v: Val) {
    let mut tx = env.store().begin_write().await.unwrap();
    let mut q = Query::new(format!(
        "UPDATE {} SET {col} = ? WHERE id = ?",
        env.store().names().order
    ));
    q.args = vec![v, id.into()];
    tx.execute(q).await.unwrap();
    tx.commit().await.unwrap();
}

/// A callback as Alipay would sign it (the simulator's key): `text`'s fields with `set` applied.
fn resign(text: &str, set: &[(&str, &str)]) -> String {
    let cb = alipay::parse_callback(text).unwrap();
    let mut pairs: Vec<(String, String)> = cb
        .fields()
        .iter()
        .filter(|(k, _)| !CALLBACK_EXCLUDE.contains(&k.as_str()))
        .cloned()
        .collect();
    for (k, v) in set {
        match pairs.iter_mut().find(|p| p.0 == *k) {
            Some(p) => p.1 = v.to_string(),
            None => pairs.push((k.to_string(), v.to_string())),
        }
    }
    let canonical = canonical_content(
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        CALLBACK_EXCLUDE,
    );
    let sign = sim_keys()
        .alipay
        .sign(canonical.as_bytes(), SignType::Rsa2)
        .unwrap();
    let mut out: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode_component(v, Charset::Utf8)))
        .collect();
    out.push(format!("sign={}", encode_component(&sign, Charset::Utf8)));
    out.push("sign_type=RSA2".into());
    out.join("&")
}

async fn refused_settles_are_audited(backend: Backend) {
    let env = env(backend).await;
    let s = seed(&env).await;
    let desk = &env.desk;
    let (id, number) = site_order(&env, s.user, s.courses[0], "1579.00", 0, None, "1579.00").await;
    let ret = env.pay(&number).await;
    let notify = env.notify(0).await;
    let (id2, number2) = site_order(&env, s.user, s.courses[1], "899.90", 0, None, "899.90").await;
    let both = [(s.user, id), (s.user, id2)];
    let this = Some((id, number.as_str()));
    let other = Some((id2, number2.as_str()));
    let cb = |t: &str| SettleInput::Callback(t.to_string());
    let by_hand = |n: &str| SettleInput::parse(n);

    // Unverified (a signed field changed): linked to the order it claims, claims marked as such.
    let e = refused(
        &env,
        &both,
        Want {
            order: this,
            named: None,
            reason: "unverified callback: signature_mismatch",
            detail: &[
                "unverified, used only to find the order",
                "claimed total_amount 0.01",
                &format!("claimed out_trade_no {number}"),
                "via return_url",
            ],
        },
        settle(desk, cb(&tamper(&ret, "total_amount", "0.01"))),
    )
    .await;
    assert!(matches!(e, OpsError::Signature(_)), "{e}");

    // Unverified, naming an order that does not exist: no order on the row, the claim in detail.
    let unknown = "209901010000000100000001";
    refused(
        &env,
        &both,
        Want {
            order: None,
            named: None,
            reason: "unverified callback: signature_mismatch",
            detail: &[
                "no single order has that number",
                &format!("claimed out_trade_no {unknown}"),
            ],
        },
        settle(desk, cb(&tamper(&notify, "out_trade_no", unknown))),
    )
    .await;

    // Not even a form: the decoder's code is the cause.
    refused(
        &env,
        &both,
        Want {
            order: None,
            named: None,
            reason: "unverified callback: bad_percent_escape",
            detail: &["naming no order"],
        },
        settle(desk, cb("out_trade_no=%zz&sign=x")),
    )
    .await;

    // Signed by Alipay for another app of the same simulator.
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
    let app_id = env.sim.app_id().to_string();
    refused(
        &env,
        &both,
        Want {
            order: this,
            named: None,
            reason: "app_id mismatch",
            detail: &[&format!(
                "app_id 2021000000000999 ≠ this profile's app_id {app_id}"
            )],
        },
        settle(desk, cb(&other_ret)),
    )
    .await;

    // A profile that names another seller.
    let seller_desk = desk_with_seller(&env, "2088000000000001");
    refused(
        &env,
        &both,
        Want {
            order: this,
            named: None,
            reason: "seller_id mismatch",
            detail: &["≠ this profile's seller_id 2088000000000001"],
        },
        settle(&seller_desk, cb(&ret)),
    )
    .await;

    // Signed for an order number this database does not have.
    let foreign = "209901010000000900000009";
    let link = alipay::pay_link(
        &env.sim.gateway_url(),
        &env.sim.app_identity(),
        &PayRequest {
            return_url: Some("http://127.0.0.1:9/r".into()),
            ..PayRequest::new(
                PayProduct::Page,
                foreign,
                Amount::new(d("1.00")).unwrap(),
                "x",
            )
        },
        env.sim.clock().as_ref(),
    )
    .unwrap();
    env.sim.open_pay_link(&link).unwrap();
    let foreign_ret = env.sim.pay(foreign).unwrap().return_url.unwrap();
    refused(
        &env,
        &both,
        Want {
            order: None,
            named: Some(foreign),
            reason: "order not found",
            detail: &[&format!("order {foreign} not found")],
        },
        settle(desk, cb(&foreign_ret)),
    )
    .await;
    refused(
        &env,
        &both,
        Want {
            order: None,
            named: None,
            reason: "order not found",
            detail: &["order with id 999999 not found", "via query"],
        },
        settle(desk, by_hand("id:999999")),
    )
    .await;

    // The amounts differ (the order was edited since): by callback, and by hand with a reason.
    set_order(&env, id, "real_price", Val::Yuan(d("1578.99"))).await;
    refused(
        &env,
        &both,
        Want {
            order: this,
            named: None,
            reason: "total_amount mismatch",
            detail: &["total_amount 1579.00 ≠ real_price 1578.99; via return_url"],
        },
        settle(desk, cb(&ret)),
    )
    .await;
    refused(
        &env,
        &both,
        Want {
            order: this,
            named: None,
            reason: "paid amount mismatch",
            detail: &[
                "Alipay's paid amount 1579.00 ≠ real_price 1578.99",
                "via query",
                "operator's reason: the customer sent the receipt",
            ],
        },
        settle_with_reason(
            desk,
            by_hand(&number),
            Some(" the customer sent the receipt "),
        ),
    )
    .await;
    set_order(&env, id, "real_price", Val::Yuan(d("1579.00"))).await;

    // Alipay's callback says the trade is not paid.
    let closed = resign(
        &notify,
        &[
            ("out_trade_no", &number2),
            ("total_amount", "899.90"),
            ("trade_status", "TRADE_CLOSED"),
        ],
    );
    refused(
        &env,
        &both,
        Want {
            order: other,
            named: None,
            reason: "not paid",
            detail: &["the callback's trade_status is TRADE_CLOSED; via notify"],
        },
        settle(desk, cb(&closed)),
    )
    .await;
    // Alipay's trade query says so: no trade at all, then a trade not paid yet.
    refused(
        &env,
        &both,
        Want {
            order: other,
            named: None,
            reason: "not paid",
            detail: &["TRADE_NOT_EXIST", "operator's reason: missed notify?"],
        },
        settle_with_reason(desk, by_hand(&number2), Some("missed notify?")),
    )
    .await;
    env.open(&number2).await;
    refused(
        &env,
        &both,
        Want {
            order: other,
            named: None,
            reason: "not paid",
            detail: &["Alipay's trade status is WAIT_BUYER_PAY"],
        },
        settle(desk, by_hand(&number2)),
    )
    .await;

    // Correctly signed, but for another trade than the one Alipay has for the order.
    let wrong_trade = resign(&notify, &[("trade_no", "2099010122001400000000000001")]);
    refused(
        &env,
        &both,
        Want {
            order: this,
            named: None,
            reason: "trade_no mismatch",
            detail: &["the callback's trade_no 2099010122001400000000000001 ≠ Alipay's trade_no"],
        },
        settle(desk, cb(&wrong_trade)),
    )
    .await;

    // A status Paydesk does not know.
    set_order(&env, id2, "order_status", 7.into()).await;
    refused(
        &env,
        &both,
        Want {
            order: other,
            named: None,
            reason: "unknown order status",
            detail: &["in status 7"],
        },
        settle(desk, by_hand(&number2)),
    )
    .await;
    set_order(&env, id2, "order_status", 0.into()).await;

    // And a settle by hand that goes through keeps the operator's reason.
    let r = settle_with_reason(desk, by_hand(&number), Some("notify lost"))
        .await
        .unwrap();
    assert_eq!(r.order_id, id);
    let row = newest(&env).await;
    assert_eq!(
        (row.action.as_str(), row.outcome.as_str(), row.order_id),
        ("settle", "ok", Some(id))
    );
    assert_eq!(row.reason.as_deref(), Some("notify lost"));
    env.finish().await;
}
