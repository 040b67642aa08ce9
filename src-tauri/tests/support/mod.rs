//! The windowless harness the app's command tests share: the app on tauri's mock runtime over a
//! fresh temporary folder (embedded database with demo data, built-in simulator profile), IPC
//! helpers, an HTTP client for the simulator's cashier and test hooks, and the few requests the
//! tests make alike.

// Each test binary compiles this module on its own and uses a different subset of it; what one
// of them leaves unused is not dead.
#![allow(dead_code)]

use std::cell::RefCell;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use paydesk_app::config::Paths;
use paydesk_app::state::AppState;
use serde_json::{Value, json};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{
    INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets,
};
use tauri::webview::InvokeRequest;
use tauri::{App, Listener, WebviewWindow, WebviewWindowBuilder};

/// A fresh temporary folder and the app's paths under it, with `demo_orders` demo orders.
pub fn temp_paths(demo_orders: u64) -> (tempfile::TempDir, Paths) {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path(), demo_orders);
    (dir, paths)
}

pub struct Harness {
    pub app: App<MockRuntime>,
    pub window: WebviewWindow<MockRuntime>,
    pub dir: tempfile::TempDir,
    /// Every answer and error of [`Harness::call`], for the key-leak check.
    pub seen: RefCell<Vec<String>>,
    /// Every `paydesk://changed` and `paydesk://progress` payload, in order.
    pub events: Arc<Mutex<Vec<(String, Value)>>>,
}

/// The app on the simulator profile over a fresh folder with `demo_orders` demo orders.
pub fn harness(demo_orders: u64) -> Harness {
    harness_with(demo_orders, |_| {})
}

/// [`harness`], with `before_start` run on the built app just before the first profile starts.
pub fn harness_with(demo_orders: u64, before_start: impl FnOnce(&App<MockRuntime>)) -> Harness {
    let (dir, paths) = temp_paths(demo_orders);
    let app = paydesk_app::setup(mock_builder(), AppState::new(paths), "simulator".into())
        .build(mock_context(noop_assets()))
        .expect("mock app");
    let events: Arc<Mutex<Vec<(String, Value)>>> = Default::default();
    for name in ["paydesk://changed", "paydesk://progress"] {
        let seen = events.clone();
        app.listen_any(name, move |e| {
            let v = serde_json::from_str(e.payload()).unwrap_or(Value::Null);
            seen.lock().unwrap().push((name.to_string(), v));
        });
    }
    before_start(&app);
    paydesk_app::start(app.handle(), "simulator".into());
    let window = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("mock window");
    Harness {
        app,
        window,
        dir,
        seen: Default::default(),
        events,
    }
}

impl Harness {
    /// One command through IPC, not recorded in `seen` (for timings).
    pub fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        get_ipc_response(
            &self.window,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|b| b.deserialize::<Value>().unwrap())
    }

    /// One command through IPC; its answer or error is recorded in `seen`.
    pub fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        let res = self.invoke(cmd, args);
        self.seen.borrow_mut().push(match &res {
            Ok(v) | Err(v) => v.to_string(),
        });
        res
    }

    pub fn ok(&self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args)
            .unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }

    pub fn err(&self, cmd: &str, args: Value) -> Value {
        match self.call(cmd, args) {
            Ok(v) => panic!("{cmd} should have failed, got {v}"),
            Err(e) => e,
        }
    }

    pub fn order(&self, number: &str) -> Value {
        self.ok("order_detail", json!({ "orderNumber": number }))
    }

    /// The events recorded since the last call.
    pub fn take_events(&self) -> Vec<(String, Value)> {
        std::mem::take(&mut *self.events.lock().unwrap())
    }

    /// The active profile's database, as `app_status` names it.
    pub fn database(&self) -> String {
        self.ok("app_status", json!({}))["database"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Writes a config with a production profile `live` (operator `finance`) on `db`;
    /// `extra` is more lines of that profile, each ending in a newline.
    pub fn write_live_profile(&self, db: &str, extra: &str) {
        std::fs::create_dir_all(self.dir.path().join("config")).unwrap();
        std::fs::write(
            self.dir.path().join("config/paydesk.toml"),
            format!("[profiles.live]\nkind = \"production\"\noperator = \"finance\"\n{extra}\n[profiles.live.database]\ndatabase = \"{db}\"\n"),
        )
        .unwrap();
    }
}

/// The simulator's base URL, from an `app_status` answer.
pub fn sim_base(status: &Value) -> String {
    status["simulator"]["gateway_url"]
        .as_str()
        .unwrap()
        .trim_end_matches("/gateway.do")
        .to_string()
}

/// An order filter that lets every order through.
pub fn all_orders() -> Value {
    json!({ "status": [], "from": null, "to": null, "user": null, "number_prefix": null, "min_amount": null, "max_amount": null, "refund": "any" })
}

/// The first page of `limit` rows.
pub fn page(limit: u32) -> Value {
    json!({ "after": null, "limit": limit })
}

/// A test order made by [`new_test_orders`].
pub struct TestOrder {
    pub number: String,
    /// The cashier URL of its pay link.
    pub url: String,
    /// The answer of `test_order_create`.
    pub created: Value,
    /// The answer of `pay_link`.
    pub link: Value,
}

/// Test orders for demo users, each for a demo course the user does not own yet, so every one
/// of them can be paid and settled.
pub fn new_test_orders(h: &Harness, n: usize) -> Vec<TestOrder> {
    let rows = h.ok(
        "orders_list",
        json!({ "filter": all_orders(), "page": page(50) }),
    );
    let mut courses: Vec<i64> = Vec::new();
    for r in rows["rows"].as_array().unwrap().iter().take(10) {
        for c in h.order(r["order_number"].as_str().unwrap())["courses"]
            .as_array()
            .unwrap()
        {
            courses.push(c["course_id"].as_i64().unwrap());
        }
    }
    let mut used: Vec<(i64, i64)> = Vec::new();
    let mut out = Vec::new();
    for r in rows["rows"].as_array().unwrap() {
        if out.len() == n {
            break;
        }
        let user = r["user_id"].as_i64().unwrap();
        let owned: Vec<i64> = h
            .ok(
                "grants_list",
                json!({ "filter": { "user": user.to_string(), "course_id": null, "order_number": null } }),
            )
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["course_id"].as_i64().unwrap())
            .collect();
        let Some(course) = courses
            .iter()
            .find(|c| !owned.contains(c) && !used.contains(&(user, **c)))
        else {
            continue;
        };
        used.push((user, *course));
        let created = h.ok(
            "test_order_create",
            json!({ "req": { "user_id": user, "course_ids": [course], "coupon_log_id": null, "credits": 0 } }),
        );
        let number = created["order_number"].as_str().unwrap().to_string();
        let link = h.ok("pay_link", json!({ "orderNumber": number, "wap": false }));
        out.push(TestOrder {
            number,
            url: link["url"].as_str().unwrap().to_string(),
            created,
            link,
        });
    }
    assert_eq!(out.len(), n, "not enough demo users without a demo course");
    out
}

/// A small HTTP client for the simulator's cashier and test hooks.
pub struct Http(tokio::runtime::Runtime, reqwest::Client);

pub fn http() -> Http {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    Http(
        rt,
        reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    )
}

impl Http {
    pub fn get(&self, url: &str) -> (u16, String) {
        self.0.block_on(async {
            let r = self.1.get(url).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        })
    }

    pub fn post_json(&self, url: &str, body: Value) -> (u16, Value) {
        self.0.block_on(async {
            let r = self
                .1
                .post(url)
                .header("content-type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (
                status,
                serde_json::from_str(&r.text().await.unwrap()).unwrap_or(Value::Null),
            )
        })
    }

    pub fn delete(&self, url: &str) -> u16 {
        self.0
            .block_on(async { self.1.delete(url).send().await.unwrap().status().as_u16() })
    }

    /// What a buyer does: open the cashier (creates the trade), then pay through the test hook.
    /// Returns the hook's answer.
    pub fn pay(&self, sim_base: &str, link: &str, number: &str) -> Value {
        let (status, _) = self.get(link);
        assert!(status < 400, "the cashier did not open: {status}");
        let (status, paid) = self.post_json(
            &format!("{sim_base}/sim/pay"),
            json!({ "out_trade_no": number }),
        );
        assert_eq!(status, 200, "{paid}");
        paid
    }
}

/// Polls `f` every 100 ms for up to 10 s.
pub fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..100 {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting for {what}");
}
