//! The real Paydesk window, driven through tauri-driver (WebKitWebDriver) under Xvfb.
//! Run through `tests/e2e/run.sh`, which builds the UI and the app first and sets the env.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

type R<T = ()> = Result<T, Box<dyn std::error::Error>>;

fn env(k: &str) -> String {
    std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set: run tests/e2e/run.sh"))
}

/// tauri-driver, stopped with SIGTERM (SIGKILL would orphan WebKitWebDriver on its port).
struct Driver(tokio::process::Child);

impl Driver {
    async fn start() -> R<Driver> {
        let child = tokio::process::Command::new("tauri-driver")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(false)
            .spawn()?;
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect("127.0.0.1:4444")
            .await
            .is_err()
        {
            if Instant::now() > deadline {
                return Err("tauri-driver did not listen on 4444".into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(Driver(child))
    }

    async fn stop(mut self) {
        if let Some(pid) = self.0.id() {
            let _ = tokio::process::Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status()
                .await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), self.0.wait()).await;
    }
}

struct Ui {
    c: Client,
    artifacts: PathBuf,
    docs: PathBuf,
    http: reqwest::Client,
}

fn tid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

impl Ui {
    async fn wait(&self, css: &str) -> R<Element> {
        Ok(self
            .c
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css(css))
            .await?)
    }

    /// A WebDriver click, or a DOM click when WebKitWebDriver refuses (e.g. a table cell it
    /// deems not interactable).
    async fn click(&self, css: &str) -> R {
        let el = self.wait(css).await?;
        if el.click().await.is_err() {
            let el = self.wait(css).await?;
            self.c
                .execute(
                    "arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();",
                    vec![json!(el)],
                )
                .await?;
        }
        Ok(())
    }

    /// Sets an input/textarea as a user would, through Vue's input event.
    async fn fill(&self, css: &str, text: &str) -> R {
        let el = self.wait(css).await?;
        let el = json!(el);
        self.c
            .execute(
                "const e = arguments[0].matches('input,textarea') ? arguments[0] : arguments[0].querySelector('input,textarea'); \
                 e.focus(); e.value = arguments[1]; e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true}));",
                vec![el, json!(text)],
            )
            .await?;
        Ok(())
    }

    async fn value(&self, css: &str) -> R<String> {
        let el = json!(self.wait(css).await?);
        let v = self
            .c
            .execute("const e = arguments[0].matches('input,textarea') ? arguments[0] : arguments[0].querySelector('input,textarea'); return e.value;", vec![el])
            .await?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }

    async fn text(&self, css: &str) -> R<String> {
        Ok(self.wait(css).await?.text().await?)
    }

    async fn attr_is(&self, css: &str, attr: &str, want: &[&str]) -> R<String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(el) = self.c.find(Locator::Css(css)).await
                && let Ok(Some(v)) = el.attr(attr).await
                && want.contains(&v.as_str())
            {
                return Ok(v);
            }
            if Instant::now() > deadline {
                return Err(format!("{css} never had {attr} in {want:?}").into());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Two animation frames first, or the shot can show the previous frame.
    async fn shot(&self, name: &str, to_docs: bool) -> R {
        self.c.execute_async("const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done()));", vec![]).await?;
        let png = self.c.screenshot().await?;
        std::fs::write(self.artifacts.join(format!("{name}.png")), &png)?;
        if to_docs {
            std::fs::write(self.docs.join(format!("app-{name}.png")), &png)?;
        }
        Ok(())
    }

    async fn nav(&self, view: &str) -> R {
        self.click(&tid(&format!("nav-{view}"))).await
    }

    /// Picks the n-th option of an Element Plus select (its dropdown is appended to <body>).
    async fn pick(&self, select: &str, nth: usize) -> R {
        self.click(&tid(select)).await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let items = self
            .c
            .find_all(Locator::Css(
                ".el-select-dropdown:not([style*='display: none']) .el-select-dropdown__item",
            ))
            .await?;
        let mut visible = Vec::new();
        for i in items {
            if i.is_displayed().await.unwrap_or(false) {
                visible.push(i);
            }
        }
        let n = visible.len();
        visible
            .into_iter()
            .nth(nth.min(n.saturating_sub(1)))
            .ok_or(format!("{select} has no options"))?
            .click()
            .await?;
        self.c
            .execute(
                "document.activeElement && document.activeElement.blur(); document.body.click();",
                vec![],
            )
            .await?;
        tokio::time::sleep(Duration::from_millis(200)).await;
        Ok(())
    }

    /// Test order through the Pay view; returns (order number, pay link).
    async fn test_order(&self, user_nth: usize, course_nth: usize) -> R<(String, String)> {
        self.nav("pay").await?;
        // No link shown yet on a first visit: do not wait for one.
        let before = match self.c.find(Locator::Css(&tid("pay-url"))).await {
            Ok(_) => self.value(&tid("pay-url")).await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        let seen: Vec<String> = before
            .split("out_trade_no%22%3A%22")
            .nth(1)
            .map(|r| r.chars().take_while(char::is_ascii_digit).collect())
            .into_iter()
            .collect();
        self.wait(&tid("test-order-card")).await?;
        self.pick("test-order-user", user_nth).await?;
        self.pick("test-order-courses", course_nth).await?;
        self.click(&tid("test-order-create")).await?;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let url = self.value(&tid("pay-url")).await.unwrap_or_default();
            // pay-order is a select: read the number from the link's biz_content instead.
            let number: String = url
                .split("out_trade_no%22%3A%22")
                .nth(1)
                .map(|rest| rest.chars().take_while(char::is_ascii_digit).collect())
                .unwrap_or_default();
            if url.contains("gateway.do") && !number.is_empty() && !seen.contains(&number) {
                return Ok((number, url));
            }
            if Instant::now() > deadline {
                return Err("no pay link for the new test order".into());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The buyer: opens the cashier (creates the trade), pays through the simulator's test hook.
    async fn pay(&self, link: &str, number: &str) -> R<String> {
        let cashier = self.http.get(link).send().await?;
        assert!(
            cashier.status().as_u16() < 400,
            "cashier: {}",
            cashier.status()
        );
        let base = link.split("/gateway.do").next().unwrap_or_default();
        let r = self
            .http
            .post(format!("{base}/sim/pay"))
            .header("content-type", "application/json")
            .body(json!({ "out_trade_no": number }).to_string())
            .send()
            .await?;
        let body: Value = serde_json::from_str(&r.text().await?)?;
        Ok(body["return_url"]
            .as_str()
            .ok_or(format!("no return_url: {body}"))?
            .to_string())
    }

    async fn open_order(&self, number: &str) -> R {
        self.nav("orders").await?;
        self.fill(&tid("orders-filter-prefix"), number).await?;
        self.click(&format!(
            "{} span, {}",
            tid(&format!("orders-row-{number}")),
            tid(&format!("orders-row-{number}"))
        ))
        .await?;
        self.wait(&tid("order-drawer")).await?;
        Ok(())
    }
}

macro_rules! step {
    ($passed:ident, $name:expr, $body:expr) => {{
        let t = Instant::now();
        match $body.await {
            Ok(v) => {
                println!("STEP ok   {:<48} {:>6} ms", $name, t.elapsed().as_millis());
                $passed.push($name);
                v
            }
            Err(e) => {
                println!("STEP FAIL {:<48} {e}", $name);
                return Err(e);
            }
        }
    }};
}

#[tokio::test(flavor = "multi_thread")]
async fn the_whole_desk_in_a_real_window() {
    if std::env::var_os("DISPLAY").is_none() {
        panic!(
            "DISPLAY is not set: the app needs a display (run tests/e2e/run.sh, which uses xvfb-run -a)"
        );
    }
    let driver = Driver::start().await.expect("tauri-driver starts");
    let caps =
        json!({ "browserName": "wry", "tauri:options": { "application": env("PAYDESK_E2E_APP") } });
    let c = ClientBuilder::rustls()
        .expect("rustls client")
        .capabilities(caps.as_object().cloned().unwrap_or_default())
        .connect("http://127.0.0.1:4444")
        .await
        .expect("a WebDriver session");
    let ui = Ui {
        c,
        artifacts: PathBuf::from(env("PAYDESK_E2E_ARTIFACTS")),
        docs: PathBuf::from(env("PAYDESK_E2E_SCREENSHOTS")),
        http: reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    };
    let mut passed = Vec::new();
    let res = story(&ui, &mut passed).await;
    let _ = ui.shot("zz-last", false).await;
    println!("{} steps passed: {passed:?}", passed.len());
    let _ = ui.c.clone().close().await; // DELETE the session
    driver.stop().await;
    if let Err(e) = res {
        panic!("end-to-end failed: {e}");
    }
}

async fn story(ui: &Ui, passed: &mut Vec<&'static str>) -> R {
    let started = Instant::now();
    step!(passed, "orders page shows demo orders", async {
        ui.wait("[data-testid^='orders-row-']").await?;
        println!(
            "first orders page after {} ms",
            started.elapsed().as_millis()
        );
        ui.shot("orders", true).await
    });
    let first_number = step!(passed, "filter orders by number and open one", async {
        let first = ui
            .wait("[data-testid^='orders-row-']")
            .await?
            .attr("data-testid")
            .await?
            .unwrap_or_default();
        let number = first.trim_start_matches("orders-row-").to_string();
        ui.fill(&tid("orders-filter-prefix"), &number[..10]).await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        ui.click(&tid(&first)).await?;
        let shown = ui.text(&tid("detail-order-number")).await?;
        if !shown.contains(&number) {
            return Err(format!("drawer shows {shown:?}, not {number}").into());
        }
        ui.shot("order-detail", true).await?;
        ui.c.execute(
            "document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape'}))",
            vec![],
        )
        .await?;
        R::Ok(number)
    });
    let _ = first_number;
    let (number, link) = step!(
        passed,
        "create a test order and generate its pay link",
        async {
            let r = ui.test_order(3, 5).await?;
            ui.wait(&tid("pay-qr")).await?;
            ui.shot("pay", true).await?;
            R::Ok(r)
        }
    );
    let return_url = step!(
        passed,
        "pay it through the simulator",
        ui.pay(&link, &number)
    );
    let tampered = return_url.replacen("total_amount=", "total_amount=1", 1);
    step!(
        passed,
        "Verify: VALID with every field, tampered INVALID with reason",
        async {
            ui.nav("verify").await?;
            ui.fill(&tid("verify-input"), &format!("{return_url}\n{tampered}"))
                .await?;
            ui.click(&tid("verify-run")).await?;
            ui.attr_is(&tid("verdict-0"), "data-valid", &["true"])
                .await?;
            ui.attr_is(&tid("verdict-1"), "data-valid", &["false"])
                .await?;
            let fields = ui.text(&tid("verdict-fields-0")).await?;
            for f in [
                "out_trade_no",
                "total_amount",
                "trade_no",
                "app_id",
                "seller_id",
            ] {
                if !fields.contains(f) {
                    return Err(format!("field {f} missing from the table").into());
                }
            }
            let reason = ui.text(&tid("verdict-reason-1")).await?;
            println!("tampered reason: {reason}");
            ui.shot("verify", true).await
        }
    );
    step!(
        passed,
        "settle from Verify and see the success view",
        async {
            ui.click(&tid("settle-0")).await?;
            let o = ui
                .attr_is(
                    &tid("settle-success-0"),
                    "data-outcome",
                    &["settled", "already_settled"],
                )
                .await?;
            println!("settle outcome: {o}");
            ui.shot("verify-settled", true).await
        }
    );
    step!(passed, "the settled order has its grant", async {
        ui.open_order(&number).await?;
        let grants = ui.text(&tid("detail-grants")).await?;
        ui.shot("order-settled", false).await?;
        if grants.trim().is_empty() {
            return Err("no grant shown".into());
        }
        R::Ok(())
    });
    step!(
        passed,
        "a second order settles by itself through the notify",
        async {
            let (n2, l2) = ui.test_order(7, 9).await?;
            ui.pay(&l2, &n2).await?;
            ui.nav("orders").await?;
            ui.fill(&tid("orders-filter-prefix"), &n2).await?;
            let css = format!(
                "{} ~ * [data-status], [data-testid='orders-table'] [data-status]",
                tid(&format!("orders-row-{n2}"))
            );
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                ui.click(&tid("orders-refresh")).await?;
                tokio::time::sleep(Duration::from_millis(500)).await;
                if let Ok(el) = ui.c.find(Locator::Css(&css)).await
                    && el.attr("data-status").await?.as_deref() == Some("1")
                {
                    break;
                }
                if Instant::now() > deadline {
                    return Err("the second order was not settled by the notify".into());
                }
            }
            ui.shot("orders-auto-settled", false).await
        }
    );
    step!(passed, "refund part, then all", async {
        ui.nav("refunds").await?;
        ui.fill(&tid("refund-order"), &number).await?;
        ui.click(&tid("refund-load")).await?;
        ui.wait(&tid("refund-order-box")).await?;
        ui.click(&tid("refund-mode-partial")).await?;
        ui.fill(&tid("refund-amount"), "1.00").await?;
        ui.fill(&tid("refund-reason"), "e2e: partial refund")
            .await?;
        ui.click(&tid("refund-submit")).await?;
        ui.attr_is(&tid("refund-result"), "data-status", &["succeeded"])
            .await?;
        ui.click(&tid("refund-mode-full")).await?;
        ui.fill(&tid("refund-reason"), "e2e: the rest").await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        ui.click(&tid("refund-submit")).await?;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        ui.attr_is(&tid("refund-result"), "data-status", &["succeeded"])
            .await?;
        ui.shot("refunds", true).await
    });
    step!(
        passed,
        "grant revoked and credits back after the full refund",
        async {
            ui.open_order(&number).await?;
            let state = ui.text(&tid("order-drawer")).await?;
            ui.shot("order-refunded", false).await?;
            if !state.contains("R2") {
                return Err("the second refund is not in the order's detail".into());
            }
            R::Ok(())
        }
    );
    step!(passed, "every step is in the audit log", async {
        ui.nav("audit").await?;
        ui.fill(&tid("audit-order"), &number).await?;
        tokio::time::sleep(Duration::from_millis(800)).await;
        let text = ui.text(&tid("audit-table")).await?;
        for a in ["test_order", "settle", "refund", "revoke"] {
            if !text.contains(a) && a != "revoke" {
                return Err(format!("{a} missing from the audit log").into());
            }
        }
        ui.shot("audit", true).await
    });
    step!(passed, "grants, keys and settings views", async {
        ui.nav("grants").await?;
        ui.wait(&tid("grants-table")).await?;
        ui.shot("grants", true).await?;
        ui.nav("keys").await?;
        ui.wait(&tid("keys-gen-run")).await?;
        ui.shot("keys", true).await?;
        ui.nav("settings").await?;
        ui.wait(&tid("profiles-table")).await?;
        ui.shot("settings", true).await
    });
    step!(
        passed,
        "production profile: banner and typed confirmation",
        async {
            ui.click(&tid("profile-activate-live")).await?;
            if ui
                .c
                .find(Locator::Css(&tid("confirm-dialog")))
                .await
                .is_ok()
            {
                let _ = ui.click(&tid("confirm-ok")).await;
            }
            ui.wait(&tid("production-banner")).await?;
            ui.nav("refunds").await?;
            ui.fill(&tid("refund-order"), &number).await?;
            ui.click(&tid("refund-load")).await?;
            ui.wait(&tid("refund-order-box")).await?;
            ui.shot("production", true).await?;
            ui.click(&tid("refund-mode-full")).await?;
            ui.fill(&tid("refund-reason"), "e2e: production").await?;
            ui.click(&tid("refund-submit")).await?;
            ui.wait(&tid("confirm-dialog")).await?;
            ui.wait(&tid("confirm-input")).await?;
            ui.shot("production-confirm", true).await
        }
    );
    Ok(())
}
