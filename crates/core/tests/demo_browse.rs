//! Demo data follows the site's rules; browse filters and keyset paging agree with brute force.

mod common;

use std::collections::{HashMap, HashSet};

use chrono::TimeDelta;
use paydesk_core::browse::{self, Cursor, OrderFilter, RefundFilter, RefundState, UserRef};
use paydesk_core::db::Query;
use paydesk_core::demo::{DemoSpec, generate};
use paydesk_core::domain::{CouponSale, OrderStatus, RefundStatus};
use paydesk_core::pricing::{CouponToApply, CourseToPrice, price_order};
use paydesk_core::queries::{
    self,
    refunds::{NewRefund, RefundResult},
};
use paydesk_core::rows::{OrderRow, order_cols};
use paydesk_core::{Store, admin};
use rust_decimal::Decimal;

use common::{Backend, clock};

async fn all_orders(store: &Store) -> Vec<OrderRow> {
    let n = store.names().clone();
    let mut tx = store.begin_read().await.unwrap();
    let rows = tx
        .fetch_all(Query::new(format!(
            "SELECT {} FROM {} o ORDER BY o.created_time DESC, o.id DESC",
            order_cols(&n, "o"),
            n.order
        )))
        .await
        .unwrap();
    rows.iter()
        .map(|r| OrderRow::from_row(r).unwrap())
        .collect()
}

async fn demo_data_follows_the_site_rules(b: &Backend) {
    let store = admin::init_new(&b.config, clock()).await.unwrap();
    let mut spec = DemoSpec::new(1500, 42);
    spec.duplicate_per_mille = 100;
    let calls = std::sync::Mutex::new(Vec::new());
    let rep = generate(&store, &spec, |d, t| calls.lock().unwrap().push((d, t)))
        .await
        .unwrap();
    assert_eq!(rep.orders, 1500);
    assert_eq!(calls.lock().unwrap().last(), Some(&(1500, 1500)));
    assert!(
        rep.orders_by_status.iter().all(|&c| c > 0),
        "every status: {:?}",
        rep.orders_by_status
    );
    assert!(rep.duplicate_settlements > 0);

    let orders = all_orders(&store).await;
    let mut tx = store.begin_read().await.unwrap();
    let ids: Vec<i64> = orders.iter().map(|o| o.id).collect();
    let lines = queries::orders::courses_of_orders(&mut tx, &ids)
        .await
        .unwrap();
    let mut by_order: HashMap<i64, Vec<_>> = HashMap::new();
    for l in lines {
        by_order.entry(l.order_id).or_default().push(l);
    }
    let mut numbers = HashSet::new();
    let (mut with_coupon, mut with_credits, mut with_times) = (0, 0, 0);
    let mut spent_by_user: HashMap<i64, i64> = HashMap::new();
    for o in &orders {
        assert!(
            numbers.insert(o.order_number.clone()),
            "order numbers are unique"
        );
        assert_eq!(o.order_number.len(), 24);
        assert_eq!(
            &o.order_number[..8],
            o.base.created_time.format("%Y%m%d").to_string()
        );
        assert_eq!(o.order_number[8..16].parse::<i64>().unwrap(), o.user_id);
        let ls = &by_order[&o.id];
        let sum: Decimal = ls.iter().map(|l| l.real_price).sum();
        assert_eq!(
            o.total_price, sum,
            "total_price is the sum of activity prices"
        );
        assert!(o.real_price >= Decimal::new(1, 2));
        assert_eq!(o.pay_time.is_some(), o.order_status == OrderStatus::Paid);
        let credits = o.credit.unwrap_or(0);
        if matches!(o.order_status, OrderStatus::Unpaid | OrderStatus::Paid) {
            *spent_by_user.entry(o.user_id).or_default() += credits;
        }
        // Re-price from what is stored: courses (activity = a discount_name), linked coupon, credits.
        let mut courses_in = Vec::new();
        for l in ls {
            let c = queries::courses::get(&mut tx, l.course_id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(c.price, Some(l.price));
            courses_in.push(CourseToPrice {
                course_id: l.course_id,
                name: l.base.name.clone().unwrap_or_default(),
                price: l.price,
                activity_price: (!l.discount_name.is_empty()).then_some(l.real_price),
                discount_name: l.discount_name.clone(),
                credit_cap: c.credit,
            });
        }
        let logs = queries::coupons::log_for_order(&mut tx, o.id)
            .await
            .unwrap();
        assert!(logs.len() <= 1);
        let coupon = match logs.first() {
            Some(l) => {
                let c = queries::coupons::get_coupon(&mut tx, l.coupon_id)
                    .await
                    .unwrap()
                    .unwrap();
                with_coupon += 1;
                if matches!(c.sale().unwrap(), CouponSale::Times(_)) {
                    with_times += 1;
                }
                Some(CouponToApply {
                    sale: c.sale().unwrap(),
                    condition: c.condition,
                    start_time: c.start_time,
                    end_time: c.end_time,
                })
            }
            None => None,
        };
        if credits > 0 {
            with_credits += 1;
        }
        let p = price_order(
            &courses_in,
            coupon.as_ref(),
            credits,
            credits,
            o.base.created_time,
        )
        .unwrap();
        if coupon.is_none()
            && matches!(
                o.order_status,
                OrderStatus::Cancelled | OrderStatus::TimedOut
            )
        {
            // A cancelled/expired order released its coupon (log unlinked) but keeps its price.
            assert!(o.real_price <= p.real_price, "order {}", o.order_number);
        } else {
            assert_eq!(
                p.real_price, o.real_price,
                "order {} re-prices to what is stored",
                o.order_number
            );
        }
        // Paid orders: every course granted (at least once).
        if o.order_status == OrderStatus::Paid {
            for l in ls {
                assert!(
                    !queries::grants::live_for(&mut tx, o.user_id, l.course_id)
                        .await
                        .unwrap()
                        .is_empty()
                );
            }
        }
    }
    assert!(
        with_coupon > 20 && with_credits > 20 && with_times > 5,
        "{with_coupon} {with_credits} {with_times}"
    );
    // Balances: gifts minus what live orders hold.
    let n = store.names().clone();
    let gifts = tx
        .fetch_all(Query::new(format!(
            "SELECT user_id, SUM(number) AS s FROM {} WHERE operation = 2 GROUP BY user_id",
            n.credit
        )))
        .await
        .unwrap();
    let gifts: HashMap<i64, i64> = gifts
        .iter()
        .map(|r| (r.i64("user_id").unwrap(), r.i64("s").unwrap()))
        .collect();
    let users = tx
        .fetch_all(Query::new(format!(
            "SELECT id, credit, mobile FROM {}",
            n.users
        )))
        .await
        .unwrap();
    let mut mobiles = HashSet::new();
    for u in &users {
        let id = u.i64("id").unwrap();
        let bal = u.i64("credit").unwrap();
        assert!(bal >= 0);
        assert_eq!(
            bal,
            gifts.get(&id).copied().unwrap_or(0) - spent_by_user.get(&id).copied().unwrap_or(0),
            "user {id}"
        );
        assert!(mobiles.insert(u.string("mobile").unwrap()));
    }
    let dups = queries::grants::duplicates(&mut tx, 1000).await.unwrap();
    assert!(!dups.is_empty());
    assert!(
        dups.iter()
            .all(|d| d.count as usize == d.grant_ids.len() && d.count > 1)
    );
}
both!(demo_data_follows_the_site_rules);

fn brute(all: &[OrderRow], keep: impl Fn(&OrderRow) -> bool) -> Vec<i64> {
    all.iter().filter(|o| keep(o)).map(|o| o.id).collect()
}

async fn pages(store: &Store, mut f: OrderFilter) -> Vec<i64> {
    let mut ids = Vec::new();
    f.limit = 37;
    loop {
        let p = browse::orders(store, &f).await.unwrap();
        assert!(p.orders.len() <= 37);
        ids.extend(p.orders.iter().map(|o| o.order.id));
        match p.next {
            Some(c) => {
                // Cursors survive a round trip through their string form (IPC).
                f.after = Some(c.to_string().parse::<Cursor>().unwrap());
            }
            None => break,
        }
    }
    ids
}

async fn browse_filters_and_keyset_paging_match_brute_force(b: &Backend) {
    let store = admin::init_new(&b.config, clock()).await.unwrap();
    generate(&store, &DemoSpec::new(800, 7), |_, _| {})
        .await
        .unwrap();
    let all = all_orders(&store).await;
    // Refund records on a few paid orders.
    let paid: Vec<&OrderRow> = all
        .iter()
        .filter(|o| o.order_status == OrderStatus::Paid)
        .take(6)
        .collect();
    let mut tx = store.begin_write().await.unwrap();
    for (i, o) in paid.iter().enumerate() {
        let id = queries::refunds::insert_pending(
            &mut tx,
            &NewRefund {
                out_request_no: format!("{}-R{i}", o.order_number),
                order_id: o.id,
                order_number: o.order_number.clone(),
                trade_no: None,
                amount: Decimal::new(1, 2),
                reason: "test".into(),
                operator: "t".into(),
                profile: "simulator".into(),
                full_refund: false,
            },
        )
        .await
        .unwrap();
        if i < 4 {
            let res = RefundResult {
                status: Some(RefundStatus::Succeeded),
                fund_change: Some("Y".into()),
                ..Default::default()
            };
            queries::refunds::record_attempt(&mut tx, id, &res)
                .await
                .unwrap();
        }
    }
    // One more paid order refunded in full: 0.01 on the others is partial.
    let full = all
        .iter()
        .filter(|o| o.order_status == OrderStatus::Paid)
        .nth(6)
        .unwrap();
    let id = queries::refunds::insert_pending(
        &mut tx,
        &NewRefund {
            out_request_no: format!("{}-R9", full.order_number),
            order_id: full.id,
            order_number: full.order_number.clone(),
            trade_no: None,
            amount: full.real_price,
            reason: "test".into(),
            operator: "t".into(),
            profile: "simulator".into(),
            full_refund: true,
        },
    )
    .await
    .unwrap();
    let res = RefundResult {
        status: Some(RefundStatus::Succeeded),
        fund_change: Some("Y".into()),
        ..Default::default()
    };
    queries::refunds::record_attempt(&mut tx, id, &res)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut refunded: HashSet<i64> = paid.iter().map(|o| o.id).collect();
    let succeeded: HashSet<i64> = paid.iter().take(4).map(|o| o.id).collect();
    let unresolved: HashSet<i64> = paid.iter().skip(4).map(|o| o.id).collect();

    // Partial / full / unresolved are told apart in SQL: whole pages, exactly the matches.
    for (state, want) in [
        (RefundState::Partial, succeeded.clone()),
        (RefundState::Full, HashSet::from([full.id])),
        (RefundState::Pending, unresolved.clone()),
    ] {
        let f = OrderFilter {
            refund: Some(state.filter()),
            ..Default::default()
        };
        assert_eq!(
            pages(&store, f).await,
            brute(&all, |o| want.contains(&o.id)),
            "{state:?}"
        );
        let page = browse::orders(
            &store,
            &OrderFilter {
                refund: Some(state.filter()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(
            page.orders.iter().all(|i| i.refund_state() == state),
            "{state:?}"
        );
    }
    refunded.insert(full.id);

    // No filter: every order exactly once, newest first.
    assert_eq!(
        pages(&store, OrderFilter::default()).await,
        brute(&all, |_| true)
    );
    for s in OrderStatus::KNOWN {
        let f = OrderFilter {
            statuses: vec![s],
            ..Default::default()
        };
        assert_eq!(pages(&store, f).await, brute(&all, |o| o.order_status == s));
    }
    let two = vec![OrderStatus::Cancelled, OrderStatus::TimedOut];
    let f = OrderFilter {
        statuses: two.clone(),
        ..Default::default()
    };
    assert_eq!(
        pages(&store, f).await,
        brute(&all, |o| two.contains(&o.order_status))
    );

    let mid = all[all.len() / 2].base.created_time;
    let (from, to) = (mid - TimeDelta::days(40), mid + TimeDelta::days(20));
    let f = OrderFilter {
        created_from: Some(from),
        created_to: Some(to),
        ..Default::default()
    };
    assert_eq!(
        pages(&store, f).await,
        brute(&all, |o| o.base.created_time >= from
            && o.base.created_time < to)
    );

    let uid = all[3].user_id;
    let mut tx = store.begin_read().await.unwrap();
    let user = queries::users::get(&mut tx, uid).await.unwrap().unwrap();
    drop(tx);
    for u in [
        UserRef::Id(uid),
        UserRef::Mobile(user.mobile.clone()),
        UserRef::Username(user.username.clone()),
    ] {
        let f = OrderFilter {
            user: Some(u),
            ..Default::default()
        };
        assert_eq!(pages(&store, f).await, brute(&all, |o| o.user_id == uid));
    }
    let err = browse::orders(
        &store,
        &OrderFilter {
            user: Some(UserRef::Mobile("10000000000".into())),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("user with mobile 10000000000 not found"),
        "{err}"
    );

    let prefix = all[10].order_number[..8].to_string();
    let f = OrderFilter {
        number_prefix: Some(prefix.clone()),
        ..Default::default()
    };
    assert_eq!(
        pages(&store, f).await,
        brute(&all, |o| o.order_number.starts_with(&prefix))
    );

    let (lo, hi) = (Decimal::new(10000, 2), Decimal::new(99999, 2));
    let f = OrderFilter {
        min_amount: Some(lo),
        max_amount: Some(hi),
        statuses: vec![OrderStatus::Paid],
        ..Default::default()
    };
    assert_eq!(
        pages(&store, f).await,
        brute(&all, |o| o.real_price >= lo
            && o.real_price <= hi
            && o.order_status == OrderStatus::Paid)
    );

    let f = OrderFilter {
        refund: Some(RefundFilter::Any),
        ..Default::default()
    };
    assert_eq!(
        pages(&store, f).await,
        brute(&all, |o| refunded.contains(&o.id))
    );
    let f = OrderFilter {
        refund: Some(RefundFilter::State(RefundStatus::Succeeded)),
        ..Default::default()
    };
    assert_eq!(
        pages(&store, f).await,
        brute(&all, |o| succeeded.contains(&o.id) || o.id == full.id)
    );
    let f = OrderFilter {
        refund: Some(RefundFilter::None),
        ..Default::default()
    };
    assert_eq!(
        pages(&store, f).await,
        brute(&all, |o| !refunded.contains(&o.id))
    );

    let page = browse::orders(
        &store,
        &OrderFilter {
            refund: Some(RefundFilter::Any),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let item = page
        .orders
        .iter()
        .find(|i| succeeded.contains(&i.order.id))
        .unwrap();
    assert_eq!(item.refunded, Decimal::new(1, 2));
    assert!(page.orders.iter().any(|i| i.refund_unresolved));

    // Bad filters: each its own message.
    for (f, want) in [
        (
            OrderFilter {
                limit: 501,
                ..Default::default()
            },
            "above the maximum",
        ),
        (
            OrderFilter {
                min_amount: Some(hi),
                max_amount: Some(lo),
                ..Default::default()
            },
            "amount range is empty",
        ),
        (
            OrderFilter {
                created_from: Some(to),
                created_to: Some(from),
                ..Default::default()
            },
            "date range is empty",
        ),
        (
            OrderFilter {
                number_prefix: Some("2026x".into()),
                ..Default::default()
            },
            "must be 1–64 digits",
        ),
        (
            OrderFilter {
                min_amount: Some(Decimal::new(1, 3)),
                ..Default::default()
            },
            "more than two decimals",
        ),
    ] {
        let err = browse::orders(&store, &f).await.unwrap_err();
        assert!(err.to_string().contains(want), "{want}: {err}");
    }
    assert!("garbage".parse::<Cursor>().is_err());

    // Detail of a paid order with a refund.
    let d = browse::order_detail(&store, paid[0].id).await.unwrap();
    assert_eq!(d.order.id, paid[0].id);
    assert!(!d.courses.is_empty());
    assert!(d.grants.len() >= d.courses.len());
    assert_eq!(d.refunds.len(), 1);
    assert_eq!(d.refunded, Decimal::new(1, 2));
    assert!(d.user.is_some());
    let err = browse::order_detail(&store, 99_999_999).await.unwrap_err();
    assert!(
        err.to_string().contains("order with id 99999999 not found"),
        "{err}"
    );
}
both!(browse_filters_and_keyset_paging_match_brute_force);
