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
/// Both ports are free ones picked here, so two runs on one machine (a helper's and `make test`)
/// do not take each other's session.
struct Driver(tokio::process::Child, u16);

/// Two distinct free loopback ports (both held while picking, so they cannot be the same).
fn free_ports() -> R<(u16, u16)> {
    let a = std::net::TcpListener::bind("127.0.0.1:0")?;
    let b = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok((a.local_addr()?.port(), b.local_addr()?.port()))
}

impl Driver {
    async fn start() -> R<Driver> {
        let (port, native) = free_ports()?;
        let child = tokio::process::Command::new("tauri-driver")
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(false)
            .spawn()?;
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            if Instant::now() > deadline {
                return Err(format!("tauri-driver did not listen on {port}").into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(Driver(child, port))
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
        if to_docs {
            // A toast ("switched to live", "refund succeeded") would cover the page's own header.
            let _ = self
                .until(
                    "toasts to go",
                    "return !document.querySelector('.el-message');",
                    vec![],
                    8,
                )
                .await;
        }
        self.c.execute_async("const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done()));", vec![]).await?;
        let png = self.c.screenshot().await?;
        std::fs::write(self.artifacts.join(format!("{name}.png")), &png)?;
        if to_docs {
            std::fs::write(self.docs.join(format!("app-{name}.png")), &png)?;
        }
        Ok(())
    }

    /// Scrolls an element into the middle of the view (for a shot of what is below the fold).
    async fn scroll_to(&self, css: &str, block: &str) -> R {
        let el = json!(self.wait(css).await?);
        self.c
            .execute(
                "arguments[0].scrollIntoView({block: arguments[1]});",
                vec![el, json!(block)],
            )
            .await?;
        tokio::time::sleep(Duration::from_millis(150)).await;
        Ok(())
    }

    async fn nav(&self, view: &str) -> R {
        self.click(&tid(&format!("nav-{view}"))).await
    }

    /// Picks the n-th visible option of an Element Plus select (its dropdown is teleported to
    /// <body>), in one script: a WebDriver round trip per option is seconds over 500 options.
    /// With `min_credit`, only options whose `data-credit` is at least that count.
    async fn pick(&self, select: &str, nth: usize, min_credit: i64) -> R {
        self.click(&tid(select)).await?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let picked = self
                .c
                .execute(
                    "const input = document.querySelector(arguments[2] + ' input'); \
                     const box = input && document.getElementById(input.getAttribute('aria-controls')); \
                     if (!box) return null; \
                     const items = [...box.querySelectorAll('.el-select-dropdown__item')] \
                       .filter(i => i.offsetParent !== null && Number(i.dataset.credit ?? 0) >= arguments[1]); \
                     if (!items.length) return null; \
                     const i = items[Math.min(arguments[0], items.length - 1)]; i.click(); return i.textContent;",
                    vec![json!(nth), json!(min_credit), json!(tid(select))],
                )
                .await?;
            if !picked.is_null() {
                break;
            }
            if Instant::now() > deadline {
                return Err(format!("{select} shows no option with credit >= {min_credit}").into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.c
            .execute(
                "document.activeElement && document.activeElement.blur(); document.body.click();",
                vec![],
            )
            .await?;
        tokio::time::sleep(Duration::from_millis(250)).await;
        Ok(())
    }

    /// Polls a script until it returns true.
    async fn until(&self, what: &str, script: &str, args: Vec<Value>, secs: u64) -> R {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if self.c.execute(script, args.clone()).await? == json!(true) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("timed out after {secs} s waiting for {what}").into());
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Test order through the Pay view (with `credits` of the user's balance spent on it);
    /// returns (order number, pay link).
    async fn test_order(
        &self,
        user_nth: usize,
        course_nth: usize,
        credits: i64,
    ) -> R<(String, String)> {
        self.nav("pay").await?;
        self.wait(&tid("test-order-card")).await?;
        let before = self
            .c
            .execute(
                "const e = document.querySelector('[data-testid=\"pay-link-result\"]'); return e ? e.dataset.order : '';",
                vec![],
            )
            .await?;
        self.pick("test-order-user", user_nth, credits).await?;
        self.pick("test-order-courses", course_nth, credits).await?;
        if credits > 0 {
            self.fill(&tid("test-order-credits"), &credits.to_string())
                .await?;
        }
        self.click(&tid("test-order-create")).await?;
        self.until(
            "the new order's pay link",
            "const e = document.querySelector('[data-testid=\"pay-link-result\"]'); return !!e && !!e.dataset.order && e.dataset.order !== arguments[0];",
            vec![before],
            30,
        )
        .await?;
        let number = self
            .wait(&tid("pay-link-result"))
            .await?
            .attr("data-order")
            .await?
            .unwrap_or_default();
        let url = self.value(&tid("pay-url")).await?;
        if !url.contains("gateway.do") || !url.contains(&number) {
            return Err(format!("pay link {url:?} is not for order {number}").into());
        }
        Ok((number, url))
    }

    fn sim_base(link: &str) -> String {
        link.split("/gateway.do")
            .next()
            .unwrap_or_default()
            .to_string()
    }

    /// Makes the simulator's next notify fail its first `n` deliveries (retries come seconds
    /// later at the app's speed-up), so a settle by hand gets there first.
    async fn delay_next_notify(&self, link: &str, n: u32) -> R {
        let r = self
            .http
            .post(format!("{}/sim/faults", Self::sim_base(link)))
            .header("content-type", "application/json")
            .body(json!({ "rule": format!("notify:notify-fail={n}") }).to_string())
            .send()
            .await?;
        if !r.status().is_success() {
            return Err(format!("simulator refused the fault: {}", r.text().await?).into());
        }
        Ok(())
    }

    /// Makes every delivery of the simulator's next notify fail: the platform never hears of
    /// the payment (the missed notify a reconciliation must find).
    async fn lose_next_notify(&self, link: &str) -> R {
        self.delay_next_notify(link, 100).await
    }

    /// Moves the simulator's clock (which is also the desk's) forward.
    async fn advance_clock(&self, link: &str, secs: i64) -> R<String> {
        let r = self
            .http
            .post(format!("{}/sim/clock", Self::sim_base(link)))
            .header("content-type", "application/json")
            .body(json!({ "advance_secs": secs }).to_string())
            .send()
            .await?;
        let body: Value = serde_json::from_str(&r.text().await?)?;
        body["now"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("simulator refused the clock change: {body}").into())
    }

    /// The buyer: opens the cashier (creates the trade), pays through the simulator's test hook.
    async fn pay(&self, link: &str, number: &str) -> R<String> {
        let cashier = self.http.get(link).send().await?;
        if cashier.status().as_u16() >= 400 {
            return Err(format!("cashier: {}", cashier.status()).into());
        }
        let r = self
            .http
            .post(format!("{}/sim/pay", Self::sim_base(link)))
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

    /// Pastes inputs into Verify and runs it; waits for `n` verdicts.
    async fn verify(&self, inputs: &[&str]) -> R {
        self.nav("verify").await?;
        self.fill(&tid("verify-input"), &inputs.join("\n")).await?;
        self.click(&tid("verify-run")).await?;
        self.until(
            "the verdicts",
            "return document.querySelectorAll('[data-testid^=\"verdict-\"][data-valid]').length === arguments[0];",
            vec![json!(inputs.len())],
            30,
        )
        .await
    }

    /// Data attribute `attr` of every element matching `css`, in document order.
    async fn attrs(&self, css: &str, attr: &str) -> R<Vec<String>> {
        let v = self
            .c
            .execute(
                "return [...document.querySelectorAll(arguments[0])].map(e => e.getAttribute(arguments[1]) ?? '');",
                vec![json!(css), json!(attr)],
            )
            .await?;
        Ok(v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Orders view, filtered to one number, its drawer open with that order's detail loaded.
    async fn open_order(&self, number: &str) -> R {
        self.close_drawer().await?;
        self.nav("orders").await?;
        self.fill(&tid("orders-filter-prefix"), number).await?;
        // A change event (a refund's notify arriving, say) reloads the list and may replace the
        // row under the click: click again, as a person would, before giving up.
        let mut tries = 0;
        loop {
            tries += 1;
            self.click(&tid(&format!("orders-row-{number}"))).await?;
            let shown = self
                .until(
                    "the order's detail",
                    "const e = document.querySelector('[data-testid=\"detail-order-number\"]'); return !!e && e.textContent.includes(arguments[0]);",
                    vec![json!(number)],
                    10,
                )
                .await;
            match shown {
                Ok(()) => break,
                Err(e) if tries >= 3 => return Err(e),
                Err(_) => println!("order {number}: no detail after a click, clicking again"),
            }
        }
        // The drawer slides in: shots taken mid-way cut it off at the right edge.
        self.until(
            "the drawer to finish sliding in",
            "const d = [...document.querySelectorAll('.el-drawer')].find(e => e.offsetParent !== null); \
             return !!d && Math.abs(d.getBoundingClientRect().right - window.innerWidth) < 1 && !d.closest('.el-drawer-fade-enter-active');",
            vec![],
            10,
        )
        .await
    }

    async fn close_drawer(&self) -> R {
        if self
            .c
            .find(Locator::Css(".el-drawer__close-btn"))
            .await
            .is_ok()
        {
            let _ = self
                .c
                .execute(
                    "document.querySelectorAll('.el-drawer__close-btn').forEach(b => b.offsetParent && b.click());",
                    vec![],
                )
                .await;
            tokio::time::sleep(Duration::from_millis(400)).await;
        }
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
    // From here: the session request launches the app, so this is start → first orders page.
    let started = Instant::now();
    let caps =
        json!({ "browserName": "wry", "tauri:options": { "application": env("PAYDESK_E2E_APP") } });
    let c = ClientBuilder::rustls()
        .expect("rustls client")
        .capabilities(caps.as_object().cloned().unwrap_or_default())
        .connect(&format!("http://127.0.0.1:{}", driver.1))
        .await;
    let c = match c {
        Ok(c) => c,
        Err(e) => {
            driver.stop().await;
            panic!("no WebDriver session: {e}");
        }
    };
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
    let res = if std::env::var_os("PAYDESK_E2E_BENCH").is_some() {
        bench(&ui, started).await
    } else {
        story(&ui, &mut passed, started).await
    };
    let _ = ui.shot("zz-last", false).await;
    println!("{} steps passed: {passed:?}", passed.len());
    let _ = ui.c.clone().close().await; // DELETE the session
    driver.stop().await;
    if let Err(e) = res {
        panic!("end-to-end failed: {e}");
    }
}

/// tests/e2e/bench.sh: start → first orders page, then the resident memory of the app and its
/// WebKit processes once idle.
async fn bench(ui: &Ui, started: Instant) -> R {
    ui.wait("[data-testid^='orders-row-']").await?;
    println!(
        "BENCH start to first orders page: {} ms",
        started.elapsed().as_millis()
    );
    tokio::time::sleep(Duration::from_secs(10)).await;
    let (procs, kb) = app_tree_rss()?;
    println!(
        "BENCH idle RSS, app + WebKit ({procs} processes): {} MB",
        kb / 1024
    );
    Ok(())
}

/// Sum of VmRSS over the paydesk-app processes this test started (through its tauri-driver) and
/// everything under them (the WebKit web and network processes).
fn app_tree_rss() -> R<(usize, u64)> {
    let me = std::process::id();
    let mut parent = std::collections::HashMap::new();
    let mut name = std::collections::HashMap::new();
    for e in std::fs::read_dir("/proc")?.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // pid (comm) state ppid …: comm may hold spaces, so split after the last ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let ppid = stat[close + 2..]
            .split(' ')
            .nth(1)
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0);
        parent.insert(pid, ppid);
        name.insert(pid, stat[open + 1..close].to_string());
    }
    let under = |mut p: u32, root: u32| {
        while p > 1 {
            if p == root {
                return true;
            }
            p = parent.get(&p).copied().unwrap_or(0);
        }
        false
    };
    let apps: Vec<u32> = name
        .iter()
        .filter(|(p, n)| n.starts_with("paydesk-app") && under(**p, me))
        .map(|(p, _)| *p)
        .collect();
    let mut total = 0;
    let mut count = 0;
    for (&pid, _) in parent.iter() {
        if apps.iter().any(|a| under(pid, *a)) {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            if let Some(kb) = status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
            {
                total += kb;
                count += 1;
            }
        }
    }
    if apps.is_empty() {
        return Err("no paydesk-app process under this test".into());
    }
    Ok((count, total))
}

async fn story(ui: &Ui, passed: &mut Vec<&'static str>, started: Instant) -> R {
    step!(passed, "orders page shows demo orders", async {
        ui.wait("[data-testid^='orders-row-']").await?;
        println!(
            "first orders page after {} ms",
            started.elapsed().as_millis()
        );
        // The demo-data progress panel must be gone before the shots (it covered buttons).
        ui.until(
            "the progress panel to hide",
            "return !document.querySelector('[data-testid=\"progress\"]');",
            vec![],
            15,
        )
        .await?;
        ui.shot("orders", true).await
    });
    step!(passed, "filter orders by number and open one", async {
        let first = ui
            .wait("[data-testid^='orders-row-']")
            .await?
            .attr("data-testid")
            .await?
            .unwrap_or_default();
        let number = first.trim_start_matches("orders-row-").to_string();
        ui.fill(&tid("orders-filter-prefix"), &number[..16]).await?;
        ui.until(
            "the filtered page",
            "const rows = [...document.querySelectorAll('[data-testid^=\"orders-row-\"]')]; \
             return rows.length > 0 && rows.every(r => r.dataset.testid.startsWith('orders-row-' + arguments[0]));",
            vec![json!(&number[..16])],
            10,
        )
        .await?;
        ui.open_order(&number).await?;
        ui.shot("order-detail", true).await?;
        ui.close_drawer().await
    });
    // Order A spends 10 credits: the full refund must give them back.
    let (number, link) = step!(
        passed,
        "create a test order and generate its pay link",
        async {
            let r = ui.test_order(3, 5, 10).await?;
            ui.wait(&tid("pay-qr")).await?;
            ui.shot("pay", true).await?;
            R::Ok(r)
        }
    );
    let return_url = step!(passed, "pay it through the simulator", async {
        ui.delay_next_notify(&link, 2).await?;
        ui.pay(&link, &number).await
    });
    step!(
        passed,
        "Verify: VALID with every field and the order matched",
        async {
            ui.verify(&[&return_url]).await?;
            ui.attr_is(&tid("verdict-0"), "data-valid", &["true"])
                .await?;
            let fields = ui.text(&tid("verdict-fields-0")).await?;
            for f in [
                "out_trade_no",
                "total_amount",
                "trade_no",
                "app_id",
                "seller_id",
                "timestamp",
                "method",
            ] {
                if !fields.contains(f) {
                    return Err(format!("field {f} missing from the table").into());
                }
            }
            for m in ["amount", "app_id", "seller_id"] {
                ui.attr_is(&tid(&format!("verdict-{m}-0")), "data-mark", &["match"])
                    .await?;
            }
            ui.shot("verify-valid", true).await
        }
    );
    step!(passed, "settle from Verify: the success view", async {
        ui.click(&tid("settle-0")).await?;
        let o = ui
            .attr_is(
                &tid("settle-success-0"),
                "data-outcome",
                &["settled", "already_settled", "refused"],
            )
            .await?;
        let title = ui.text(&tid("settle-success-0")).await?;
        if o != "settled" {
            return Err(format!("settle by hand answered {o}: {title}").into());
        }
        ui.scroll_to(&tid("settle-success-0"), "end").await?;
        ui.shot("settle-success", true).await
    });
    step!(passed, "settling again says already settled", async {
        ui.click(&tid("verify-run")).await?;
        ui.until("Settle offered again", "const b = document.querySelector('[data-testid=\"settle-0\"]'); return !!b && !b.disabled;", vec![], 15).await?;
        ui.click(&tid("settle-0")).await?;
        ui.attr_is(
            &tid("settle-success-0"),
            "data-outcome",
            &["already_settled"],
        )
        .await?;
        let title = ui.text(&tid("settle-title-0")).await?;
        println!("second settle: {title}");
        if !title.contains("已结算") {
            return Err(format!("the already-settled answer is not clear: {title:?}").into());
        }
        ui.shot("verify-already-settled", false).await
    });
    step!(passed, "the settled order has its grant", async {
        ui.open_order(&number).await?;
        ui.wait(&tid("detail-grants")).await?;
        let revoked = ui
            .attrs("[data-testid^='detail-grant-']", "data-revoked")
            .await?;
        if revoked.is_empty() || revoked.iter().any(|r| r != "false") {
            return Err(format!("grants of the settled order: {revoked:?}").into());
        }
        ui.shot("order-settled", false).await?;
        ui.close_drawer().await
    });
    step!(
        passed,
        "a tampered copy is INVALID with the reason",
        async {
            let tampered = return_url.replacen("total_amount=", "total_amount=1", 1);
            ui.verify(&[&tampered]).await?;
            ui.attr_is(&tid("verdict-0"), "data-valid", &["false"])
                .await?;
            let reason = ui.text(&tid("verdict-reason-0")).await?;
            println!("tampered reason: {reason}");
            if !reason.contains("signature") {
                return Err(format!("no signature reason: {reason:?}").into());
            }
            if ui.c.find(Locator::Css(&tid("settle-0"))).await.is_ok() {
                return Err("Settle is offered on an invalid input".into());
            }
            ui.scroll_to(&tid("verdict-0"), "start").await?;
            ui.shot("verify-invalid", true).await
        }
    );
    step!(passed, "a 5 MB paste never freezes the window", async {
        ui.nav("verify").await?;
        // Paste ~5 MB (the real return URL 7,000+ times) as the clipboard would, while a
        // timer records the longest the page's event loop went without running.
        ui.c.execute(
                "window.__gap = 0; let last = performance.now(); \
                 window.__gapTimer = setInterval(() => { const now = performance.now(); window.__gap = Math.max(window.__gap, now - last); last = now; }, 20); \
                 const line = arguments[0]; const n = Math.ceil(5 * 1024 * 1024 / (line.length + 1)); \
                 const big = Array(n).fill(line).join('\\n'); window.__bigN = n; \
                 const dt = new DataTransfer(); dt.setData('text/plain', big); \
                 const el = document.querySelector('[data-testid=\"verify-input\"]'); \
                 const ta = el.matches('textarea') ? el : el.querySelector('textarea'); ta.focus(); \
                 ta.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));",
                vec![json!(return_url)],
            )
            .await?;
        ui.wait(&tid("verify-big")).await?;
        let paste_gap =
            ui.c.execute(
                "const g = window.__gap; window.__gap = 0; return g;",
                vec![],
            )
            .await?;
        println!("5 MB paste: longest event-loop gap while pasting {paste_gap} ms");
        ui.click(&tid("verify-run")).await?;
        ui.until(
                "the 5 MB batch to finish",
                "const s = document.querySelector('[data-testid=\"verify-summary\"]'); return !!s && s.textContent.includes(String(window.__bigN));",
                vec![],
                120,
            )
            .await?;
        let gap =
            ui.c.execute(
                "clearInterval(window.__gapTimer); return window.__gap;",
                vec![],
            )
            .await?;
        let gap = gap.as_f64().unwrap_or(f64::MAX);
        println!("5 MB paste: longest event-loop gap while verifying and showing {gap:.0} ms");
        ui.shot("verify-big-paste", true).await?;
        if gap > 1000.0 {
            return Err(format!("the window froze for {gap:.0} ms").into());
        }
        ui.click(&tid("verify-big-discard")).await
    });
    let n2 = step!(
        passed,
        "a second order settles by itself through the notify",
        async {
            let (n2, l2) = ui.test_order(7, 9, 0).await?;
            ui.nav("orders").await?;
            ui.fill(&tid("orders-filter-prefix"), &n2).await?;
            ui.attr_is(&tid(&format!("orders-row-{n2}")), "data-status", &["0"])
                .await?;
            ui.pay(&l2, &n2).await?;
            // No refresh click: the Orders view follows the change event of the notify's settle.
            ui.attr_is(&tid(&format!("orders-row-{n2}")), "data-status", &["1"])
                .await?;
            ui.shot("orders-auto-settled", false).await?;
            R::Ok(n2)
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
        let first_no = ui
            .wait(&tid("refund-result"))
            .await?
            .attr("data-no")
            .await?
            .unwrap_or_default();
        ui.click(&tid("refund-mode-full")).await?;
        ui.fill(&tid("refund-reason"), "e2e: the rest").await?;
        ui.until("Submit enabled", "const b = document.querySelector('[data-testid=\"refund-submit\"]'); return !!b && !b.disabled;", vec![], 10).await?;
        ui.click(&tid("refund-submit")).await?;
        ui.until(
            "the second refund",
            "const e = document.querySelector('[data-testid=\"refund-result\"]'); return !!e && e.dataset.no !== arguments[0] && e.dataset.status === 'succeeded';",
            vec![json!(first_no)],
            30,
        )
        .await?;
        let msg = ui.text(&tid("refund-result")).await?;
        println!("full refund: {msg}");
        ui.shot("refunds", true).await
    });
    let user_id = step!(
        passed,
        "grant revoked and credits back after the full refund",
        async {
            ui.open_order(&number).await?;
            ui.wait(&tid("detail-refunds")).await?;
            let user_id = ui
                .wait(&tid("detail-user"))
                .await?
                .attr("data-user-id")
                .await?
                .unwrap_or_default();
            let revoked = ui
                .attrs("[data-testid^='detail-grant-']", "data-revoked")
                .await?;
            if revoked.is_empty() || revoked.iter().any(|r| r != "true") {
                return Err(format!("grants after the full refund: {revoked:?}").into());
            }
            let credits = ui
                .c
                .execute(
                    "return document.querySelector('[data-testid=\"detail-credits\"] .el-table__body').textContent;",
                    vec![],
                )
                .await?;
            let credits = credits.as_str().unwrap_or_default().to_string();
            if !credits.contains("退还积分") {
                return Err(format!("no credits returned in {credits:?}").into());
            }
            let refunds = ui
                .attrs("[data-testid='detail-refunds'] .el-table__body tr", "class")
                .await?;
            if refunds.len() != 2 {
                return Err(format!("{} refunds in the detail, want 2", refunds.len()).into());
            }
            ui.shot("order-refunded", true).await?;
            ui.close_drawer().await?;
            R::Ok(user_id)
        }
    );
    step!(passed, "every step is in the audit log", async {
        ui.nav("audit").await?;
        ui.fill(&tid("audit-order"), &number).await?;
        ui.until(
            "the order's audit rows",
            "const t = document.querySelector('[data-testid=\"audit-table\"]'); const rows = t ? [...t.querySelectorAll('.el-table__body tr')] : []; \
             return rows.length >= 5 && rows.every(r => r.innerText.includes(arguments[0]));",
            vec![json!(number)],
            15,
        )
        .await?;
        let rows = ui
            .c
            .execute(
                "return [...document.querySelectorAll('[data-testid=\"audit-table\"] .el-table__body tr')].map(r => r.innerText.replace(/\\s+/g, ' '));",
                vec![],
            )
            .await?;
        let rows: Vec<String> = rows
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        for r in &rows {
            println!("  audit: {r}");
        }
        let has = |action: &str, outcome: &str| {
            rows.iter()
                .any(|r| r.contains(action) && r.contains(outcome))
        };
        for (a, o) in [
            ("test_order", "ok"),
            ("settle", "ok"),
            ("settle", "noop"),
            ("refund", "pending"),
            ("refund", "ok"),
        ] {
            if !has(a, o) {
                return Err(format!("{a}/{o} missing from the audit log").into());
            }
        }
        if rows
            .iter()
            .filter(|r| r.contains("refund") && r.contains(" ok"))
            .count()
            < 2
        {
            return Err("both refunds are not in the audit log".into());
        }
        ui.shot("audit", true).await
    });
    step!(passed, "grants, keys and settings views", async {
        ui.nav("grants").await?;
        ui.fill(&tid("grants-query"), &user_id).await?;
        ui.click(&tid("grants-search")).await?;
        ui.until(
            "the user's grants",
            "return document.querySelectorAll('[data-testid^=\"grant-row-\"]').length > 0;",
            vec![],
            15,
        )
        .await?;
        ui.shot("grants", true).await?;
        ui.nav("keys").await?;
        ui.wait(&tid("keys-gen-run")).await?;
        ui.shot("keys", true).await?;
        ui.nav("settings").await?;
        ui.wait(&tid("profile-row-live")).await?;
        ui.shot("settings", true).await
    });
    step!(
        passed,
        "reconcile yesterday: missed notify settled from the report, then clean",
        async {
            // Order C is paid at Alipay, but no notify ever arrives.
            let (n3, l3) = ui.test_order(11, 13, 0).await?;
            ui.lose_next_notify(&l3).await?;
            ui.pay(&l3, &n3).await?;
            // A day later at the simulator (and the desk): today's trades are yesterday's bill.
            let now = ui.advance_clock(&l3, 86_400).await?;
            println!("simulator clock now {now}");
            ui.nav("reconcile").await?;
            ui.click(&tid("recon-source-fetch")).await?;
            ui.click(&tid("recon-run")).await?;
            ui.attr_is(&tid("recon-summary"), "data-status", &["open", "clean"])
                .await?;
            let first_run = ui
                .wait(&tid("recon-summary"))
                .await?
                .attr("data-run-id")
                .await?
                .unwrap_or_default();
            let row = format!(
                "[data-testid^='recon-row-'][data-order='{n3}'][data-category='missed_notify']"
            );
            ui.until(
                "the missed-notify row of order C",
                "return !!document.querySelector(arguments[0]);",
                vec![json!(row)],
                30,
            )
            .await?;
            let id = ui
                .wait(&row)
                .await?
                .attr("data-testid")
                .await?
                .unwrap_or_default()
                .trim_start_matches("recon-row-")
                .to_string();
            let open = ui
                .wait(&tid("recon-summary"))
                .await?
                .attr("data-open")
                .await?;
            println!("first run {first_run}: {open:?} open, missed notify row {id}");
            if open.as_deref() != Some("1") {
                let cats = ui
                    .attrs("[data-testid^='recon-row-']", "data-category")
                    .await?;
                return Err(
                    format!("want exactly the missed notify open, got {open:?}: {cats:?}").into(),
                );
            }
            ui.shot("reconcile", true).await?;
            ui.scroll_to(&tid("recon-table"), "center").await?;
            ui.shot("reconcile-rows", true).await?;
            ui.click(&tid(&format!("recon-settle-{id}"))).await?;
            // Settled: the row says so, or (with "open only" on) leaves the table.
            ui.until(
                "the row to be settled",
                "const r = document.querySelector(arguments[0]); return !r || r.dataset.open === 'false';",
                vec![json!(tid(&format!("recon-row-{id}")))],
                30,
            )
            .await?;
            ui.attr_is(&tid("recon-summary"), "data-open", &["0"])
                .await?;
            // Run again: the same bill now agrees with the platform.
            ui.click(&tid("recon-run")).await?;
            ui.until(
                "a second, clean run",
                "const s = document.querySelector('[data-testid=\"recon-summary\"]'); return !!s && s.dataset.runId !== arguments[0] && s.dataset.status === 'clean';",
                vec![json!(first_run)],
                60,
            )
            .await?;
            ui.shot("reconcile-clean", true).await?;
            // The order itself is paid now.
            ui.open_order(&n3).await?;
            ui.attr_is(&tid(&format!("orders-row-{n3}")), "data-status", &["1"])
                .await?;
            ui.close_drawer().await
        }
    );
    step!(
        passed,
        "production profile: banner and typed confirmation",
        async {
            ui.nav("settings").await?;
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
            ui.attr_is(&tid("profile-badge"), "data-kind", &["production"])
                .await?;
            ui.nav("orders").await?;
            ui.wait("[data-testid^='orders-row-']").await?;
            ui.shot("production", true).await?;
            // Refund the second (paid, auto-settled) order: the dialog asks for its number first.
            ui.nav("refunds").await?;
            ui.fill(&tid("refund-order"), &n2).await?;
            ui.click(&tid("refund-load")).await?;
            ui.wait(&tid("refund-order-box")).await?;
            ui.click(&tid("refund-mode-full")).await?;
            ui.fill(&tid("refund-reason"), "e2e: production confirmation")
                .await?;
            ui.until("Submit enabled", "const b = document.querySelector('[data-testid=\"refund-submit\"]'); return !!b && !b.disabled;", vec![], 10).await?;
            ui.click(&tid("refund-submit")).await?;
            ui.wait(&tid("confirm-dialog")).await?;
            // The dialog fades in: read its text from the DOM once it names the order.
            ui.until(
                "the dialog to ask for the order number",
                "const e = document.querySelector('[data-testid=\"confirm-expected\"]'); return !!e && e.textContent.trim() === arguments[0];",
                vec![json!(n2)],
                10,
            )
            .await?;
            let ok_disabled = "const b = document.querySelector('[data-testid=\"confirm-ok\"]'); return !!b && b.disabled;";
            ui.until("OK disabled before typing", ok_disabled, vec![], 5)
                .await?;
            ui.fill(&tid("confirm-input"), &n2[..n2.len() - 1]).await?;
            ui.until("OK disabled on a wrong number", ok_disabled, vec![], 5)
                .await?;
            ui.fill(&tid("confirm-input"), &n2).await?;
            ui.until(
                "OK enabled on the typed order number",
                "const b = document.querySelector('[data-testid=\"confirm-ok\"]'); return !!b && !b.disabled;",
                vec![],
                5,
            )
            .await?;
            ui.shot("production-confirm", true).await?;
            // Cancel: no money moves in this test's production profile.
            ui.click(&tid("confirm-cancel")).await?;
            tokio::time::sleep(Duration::from_millis(500)).await;
            if ui.c.find(Locator::Css(&tid("refund-result"))).await.is_ok() {
                return Err("a cancelled confirmation still refunded".into());
            }
            R::Ok(())
        }
    );
    Ok(())
}
