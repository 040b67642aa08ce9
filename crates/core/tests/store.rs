//! The store on both backends: migrations, platform tables, schema check, not-the-platform,
//! exact money, audit log, configurable names.

mod common;

use std::str::FromStr;

use paydesk_core::admin;
use paydesk_core::audit::{AuditFilter, query as audit_query};
use paydesk_core::db::{OpenMode, Store};
use paydesk_core::domain::{OrderNumber, OrderStatus, PayType};
use paydesk_core::ident::Ident;
use paydesk_core::queries::{self, orders::NewOrder};
use paydesk_core::schema::Problem;
use paydesk_core::{DeletedColumn, StoreError};
use rust_decimal::Decimal;

use common::{Backend, clock};

async fn migrations_are_idempotent_and_platform_tables_created(b: &Backend) {
    let store = admin::init_new(&b.config, clock()).await.unwrap();
    let report = admin::check(&store).await.unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    assert!(
        report.migrations.iter().all(|m| m.applied),
        "{:?}",
        report.migrations
    );
    // New database: Paydesk created its indexes, so nothing to suggest.
    assert!(
        report.suggested_indexes.is_empty(),
        "{:?}",
        report.suggested_indexes
    );
    // Second run applies nothing and fails nothing.
    assert!(admin::migrate(&store).await.unwrap().is_empty());
    assert!(admin::migrate(&store).await.unwrap().is_empty());
    store.close().await;
    // Opening as an existing platform DB passes the check.
    let store = admin::open_platform(&b.config, clock(), admin::Access::Write)
        .await
        .unwrap();
    // And init refuses to touch a database that already has platform tables.
    let err = admin::init_new(&b.config, clock()).await.unwrap_err();
    assert!(
        err.to_string().contains("already has platform tables"),
        "{err}"
    );
    store.close().await;
}
both!(migrations_are_idempotent_and_platform_tables_created);

async fn schema_check_reports_every_problem_in_one_message(b: &Backend) {
    let store = admin::init_new(&b.config, clock()).await.unwrap();
    let n = store.names().clone();
    store
        .execute_raw(&format!("DROP TABLE {}", n.coupon_log))
        .await
        .unwrap();
    store
        .execute_raw(&format!("ALTER TABLE {} DROP COLUMN order_desc", n.order))
        .await
        .unwrap();
    store
        .execute_raw(&format!("DROP TABLE {}", n.credit))
        .await
        .unwrap();
    // fg_credit recreated with `number` as text (wrong type) and without `remark`.
    store
        .execute_raw(&format!(
            "CREATE TABLE {} (id bigint PRIMARY KEY, name varchar(255), is_deleted tinyint, orders int, is_show tinyint, \
             created_time {dt}, updated_time {dt}, operation smallint, number varchar(20), user_id bigint)",
            n.credit,
            dt = if store.dialect() == paydesk_core::Dialect::MySql { "datetime(6)" } else { "text" }
        ))
        .await
        .unwrap();
    store.close().await;
    let err = admin::open_platform(&b.config, clock(), admin::Access::Write)
        .await
        .unwrap_err();
    let StoreError::Schema(report) = &err else {
        panic!("expected a schema report, got {err}")
    };
    let msg = err.to_string();
    assert_eq!(report.problems.len(), 3, "{msg}");
    // A missing coupon table is not a problem: some copies of the site have none. It turns
    // coupons off, and the check says so.
    assert!(
        !report
            .problems
            .iter()
            .any(|p| matches!(p, Problem::MissingTable { .. })),
        "{msg}"
    );
    let store = Store::connect(&b.config, clock(), OpenMode::MustExist)
        .await
        .unwrap();
    let check = admin::check(&store).await.unwrap();
    assert!(!check.layout.features.coupons, "{check:?}");
    assert!(
        check.notes.iter().any(|n| n
            .to_string()
            .starts_with("coupons off: no table ly_coupon / ly_coupon_log")),
        "{:?}",
        check.notes
    );
    assert!(
        msg.contains("column ly_order.order_desc is missing"),
        "{msg}"
    );
    assert!(msg.contains("column fg_credit.remark is missing"), "{msg}");
    assert!(
        msg.contains("column fg_credit.number has type varchar(20)"),
        "{msg}"
    );
    assert!(msg.contains("3 problems"), "{msg}");
}
both!(schema_check_reports_every_problem_in_one_message);

async fn a_database_that_is_not_the_platforms_is_refused_clearly(b: &Backend) {
    // An empty database that exists (another application's, say).
    let store = Store::connect(&b.config, clock(), OpenMode::CreateIfMissing)
        .await
        .unwrap();
    store
        .execute_raw("CREATE TABLE invoices (id integer PRIMARY KEY)")
        .await
        .unwrap();
    store.close().await;
    let err = admin::open_platform(&b.config, clock(), admin::Access::Write)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotPlatform { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("does not look like the Luffycity platform's"),
        "{err}"
    );
    if b.name == "sqlite" {
        let mut missing = b.config.clone();
        missing.database = format!("{}.nope", b.config.database);
        let err = admin::open_platform(&missing, clock(), admin::Access::Write)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
    }
}
both!(a_database_that_is_not_the_platforms_is_refused_clearly);

async fn money_is_exact_end_to_end(b: &Backend) {
    let store = admin::init_new(&b.config, clock()).await.unwrap();
    let now = store.now();
    let d = |s: &str| Decimal::from_str(s).unwrap();
    let mut tx = store.begin_write().await.unwrap();
    let mut ids = Vec::new();
    for (i, (total, real)) in [
        ("0.30", "0.10"),
        ("0.30", "0.20"),
        ("99999999.99", "99999999.99"),
        ("1579.00", "0.01"),
    ]
    .into_iter()
    .enumerate()
    {
        let o = NewOrder {
            user_id: 1,
            order_number: OrderNumber::generate(now.date(), 1, i as i64 + 1).unwrap(),
            total_price: d(total),
            real_price: d(real),
            order_status: OrderStatus::Unpaid,
            pay_type: PayType::Alipay,
            credit: 0,
            order_desc: None,
            pay_time: None,
            created_time: now,
        };
        ids.push(queries::orders::insert(&mut tx, &o).await.unwrap());
    }
    tx.commit().await.unwrap();
    let mut tx = store.begin_read().await.unwrap();
    let a = queries::orders::get(&mut tx, ids[0])
        .await
        .unwrap()
        .unwrap();
    let b2 = queries::orders::get(&mut tx, ids[1])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.real_price + b2.real_price, d("0.30"));
    assert_eq!(a.real_price + b2.real_price, a.total_price);
    let big = queries::orders::get(&mut tx, ids[2])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(big.real_price.to_string(), "99999999.99");
    assert_eq!(
        serde_json::to_value(&big).unwrap()["real_price"],
        "99999999.99"
    );
    // The database sums exactly too (SUM over decimal(10,2) / integer fen).
    let r = tx
        .fetch_one(
            paydesk_core::db::Query::new(format!(
                "SELECT {} AS s FROM {} WHERE id IN (?, ?)",
                paydesk_core::db::yuan_sum(store.dialect(), "real_price"),
                store.names().order
            ))
            .bind(ids[0])
            .bind(ids[1]),
            "sum",
        )
        .await
        .unwrap();
    assert_eq!(r.money("s").unwrap(), d("0.30"));
    drop(tx);
    // What decimal(10,2) cannot hold is refused on both backends, not rounded.
    let mut tx = store.begin_write().await.unwrap();
    for bad in ["0.001", "100000000.00"] {
        let o = NewOrder {
            user_id: 1,
            order_number: OrderNumber::parse("1").unwrap(),
            total_price: d(bad),
            real_price: d("1"),
            order_status: OrderStatus::Unpaid,
            pay_type: PayType::Alipay,
            credit: 0,
            order_desc: None,
            pay_time: None,
            created_time: now,
        };
        let err = queries::orders::insert(&mut tx, &o).await.unwrap_err();
        assert!(matches!(err, StoreError::InvalidInput(_)), "{bad}: {err}");
    }
}
both!(money_is_exact_end_to_end);

async fn audit_log_appends_and_filters(b: &Backend) {
    let store = admin::init_new(&b.config, clock()).await.unwrap();
    let mut tx = store.begin_write().await.unwrap();
    for (op, action, order) in [
        ("alice", "settle", 1),
        ("bob", "refund", 1),
        ("alice", "grant", 2),
    ] {
        queries::audit::append(
            &mut tx,
            &queries::audit::NewAudit {
                operator: op.into(),
                profile: "simulator".into(),
                action: action.into(),
                order_id: Some(order),
                order_number: None,
                user_id: Some(7),
                reason: Some("test".into()),
                before: Some(serde_json::json!({"order_status": 0})),
                after: Some(serde_json::json!({"order_status": 1})),
                outcome: "ok".into(),
                detail: None,
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let alice = audit_query(
        &store,
        &AuditFilter {
            operator: Some("alice".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        alice.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(),
        ["grant", "settle"]
    );
    let order1 = audit_query(
        &store,
        &AuditFilter {
            order_id: Some(1),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(order1.len(), 2);
    assert_eq!(order1[0].before.as_ref().unwrap()["order_status"], 0);
    let none = audit_query(
        &store,
        &AuditFilter {
            from: Some(store.now() + chrono::TimeDelta::seconds(1)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(none.is_empty());
    let err = audit_query(
        &store,
        &AuditFilter {
            from: Some(store.now()),
            to: Some(store.now()),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("date range is empty"), "{err}");
    if b.name == "sqlite" {
        let err = store
            .execute_raw("DELETE FROM paydesk_audit_log")
            .await
            .unwrap_err();
        // The trigger's own words are the driver's: kept for the log, not shown as the sentence.
        let detail = err.detail().unwrap_or_default();
        assert!(detail.contains("append-only"), "{detail}");
    }
}
both!(audit_log_appends_and_filters);

async fn configured_names_and_is_delete_spelling_are_honoured(b: &Backend) {
    let mut cfg = b.config.clone();
    cfg.tables.order = Ident::new("orders_order").unwrap();
    cfg.deleted_column = DeletedColumn::IsDelete;
    let store = admin::init_new(&cfg, clock()).await.unwrap();
    paydesk_core::demo::generate(&store, &paydesk_core::demo::DemoSpec::new(50, 3), |_, _| {})
        .await
        .unwrap();
    let page = paydesk_core::browse::orders(&store, &Default::default())
        .await
        .unwrap();
    assert_eq!(page.orders.len(), 50);
    store.close().await;
    // With the default names the same database lacks ly_order and every is_deleted column.
    let err = admin::open_platform(&b.config, clock(), admin::Access::Write)
        .await
        .unwrap_err();
    let msg = err.to_string();
    // Each mismatch names the setting that fixes it.
    assert!(
        msg.contains(
            "table ly_order (orders) is missing: set [database.tables] order = \"orders_order\""
        ),
        "{msg}"
    );
    assert!(
        msg.contains("column fg_credit.is_deleted is missing")
            && msg.contains("set deleted_column = \"is_delete\""),
        "{msg}"
    );
}
both!(configured_names_and_is_delete_spelling_are_honoured);

async fn an_insert_that_would_fail_is_refused_before_any_operation(b: &Backend) {
    use paydesk_core::schema::{self, Role};
    let store = admin::init_new(&b.config, clock()).await.unwrap();
    // A copy of the site whose models added NOT NULL columns Paydesk does not know, without a
    // database default (Django never declares one): every insert Paydesk makes there would fail.
    let with_extra = |role: Role, col: &str| {
        let ddl = schema::create_table_sql(&store, role);
        let at = ddl.rfind("\n)").unwrap();
        format!(
            "{},\n    {col} varchar(20) NOT NULL{}",
            &ddl[..at],
            &ddl[at..]
        )
    };
    for (role, col) in [(Role::Credit, "source"), (Role::Order, "channel")] {
        store
            .execute_raw(&format!("DROP TABLE {}", role.table(&store)))
            .await
            .unwrap();
        store.execute_raw(&with_extra(role, col)).await.unwrap();
    }
    store.close().await;
    let err = admin::open_platform(&b.config, clock(), admin::Access::Write)
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("column fg_credit.source is NOT NULL without a default"),
        "{msg}"
    );
    if b.name == "mysql" {
        assert!(
            msg.contains("ALTER TABLE `fg_credit` ALTER COLUMN `source` SET DEFAULT ''"),
            "{msg}"
        );
    }
    // The order tables' insert only stops test orders: the ledger is fixed, the desk opens.
    let store = Store::connect(&b.config, clock(), OpenMode::MustExist)
        .await
        .unwrap();
    store.execute_raw("DROP TABLE fg_credit").await.unwrap();
    store
        .execute_raw(&schema::create_table_sql(&store, Role::Credit))
        .await
        .unwrap();
    store.close().await;
    let store = admin::open_platform(&b.config, clock(), admin::Access::Write)
        .await
        .unwrap();
    assert!(!store.features().test_orders);
    let check = admin::check(&store).await.unwrap();
    assert!(check.ok(), "{:?}", check.problems);
    assert!(
        check
            .notes
            .iter()
            .any(|n| n.to_string().starts_with("test orders off:")
                && n.to_string().contains("ly_order.channel")),
        "{:?}",
        check.notes
    );
}
both!(an_insert_that_would_fail_is_refused_before_any_operation);
