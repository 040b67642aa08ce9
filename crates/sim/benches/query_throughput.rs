//! Queries per second of the simulator over loopback against the raw RSA2 signing rate of
//! crates/alipay on the same cores. Every query answer costs the simulator one RSA signature
//! (plus one cheap verification of the request), so signing bounds its throughput; the target is
//! ≥ 80 % of that bound, i.e. the simulator's own overhead is small.
//!
//! `cargo bench -p paydesk-sim --bench query_throughput` (env: SIM_BENCH_SECS, SIM_BENCH_CONCURRENCY).
//! The client sends pre-signed requests so that the client's own signing does not compete with
//! the simulator for the CPU; responses are checked for `code 10000` and one is fully verified.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use alipay::{AppIdentity, SignType, Urls};

fn env_u64(k: &str, default: u64) -> u64 {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Signatures per second over `threads` threads for `secs`, on a response-sized text.
fn sign_rate(key: &alipay::PrivateKey, threads: usize, secs: u64) -> u64 {
    let text = r#"{"code":"10000","msg":"Success","trade_no":"2026112522001458860515315453","out_trade_no":"bench_0001","buyer_logon_id":"138****1234","trade_status":"TRADE_SUCCESS","total_amount":"1579.00","buyer_pay_amount":"1579.00","point_amount":"0.00","invoice_amount":"1579.00","send_pay_date":"2026-11-25 10:00:00","receipt_amount":"1579.00","buyer_user_id":"2088000000000001"}"#;
    let stop = AtomicBool::new(false);
    let count = AtomicU64::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    key.sign(text.as_bytes(), SignType::Rsa2).expect("sign");
                    count.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        std::thread::sleep(Duration::from_secs(secs));
        stop.store(true, Ordering::Relaxed);
    });
    count.load(Ordering::Relaxed) * 1000 / start.elapsed().as_millis().max(1) as u64
}

fn main() -> anyhow::Result<()> {
    let secs = env_u64("SIM_BENCH_SECS", 5);
    let concurrency = env_u64("SIM_BENCH_CONCURRENCY", 16) as usize;
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);

    let keys = sim::SimKeys::generate()?;
    let single = sign_rate(&keys.alipay, 1, secs.min(3));
    let parallel_before = sign_rate(&keys.alipay, cores, secs);
    let signer = keys.alipay.clone();

    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .enable_all()
        .build()?;
    let handle = server_rt.block_on(sim::Simulator::start(sim::SimConfig {
        keys: Some(keys),
        ..sim::SimConfig::ephemeral()
    }))?;

    // One paid trade to query.
    let app = AppIdentity::new(handle.app_id(), handle.app_private_key());
    let clock = handle.clock();
    let biz = r#"{"out_trade_no":"bench_0001","total_amount":"1579.00","subject":"bench","product_code":"FAST_INSTANT_TRADE_PAY"}"#;
    let mut p = app.common_params(
        "alipay.trade.page.pay",
        biz,
        &Urls::default(),
        clock.as_ref(),
    );
    app.sign(&mut p)?;
    handle
        .open_pay_link(&format!("{}?{}", handle.gateway_url(), p.to_query()))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    handle
        .pay("bench_0001")
        .map_err(|e| anyhow::anyhow!("{e}"))?;

    let mut q = app.common_params(
        "alipay.trade.query",
        r#"{"out_trade_no":"bench_0001"}"#,
        &Urls::default(),
        clock.as_ref(),
    );
    app.sign(&mut q)?;
    let url = Arc::new(format!("{}?{}", handle.gateway_url(), q.to_query()));
    let alipay_key = handle.alipay_public_key().clone();

    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (done, errors, elapsed) = client_rt.block_on(async {
        let client = reqwest::Client::builder().no_proxy().build()?;
        // Full verification of one answer: the benchmark measures real, signed responses.
        let body = client.get(url.as_str()).send().await?.text().await?;
        verify_one(&body, &alipay_key)?;

        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicU64::new(0));
        let errors = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..concurrency {
            let (client, url, stop, done, errors) = (
                client.clone(),
                url.clone(),
                stop.clone(),
                done.clone(),
                errors.clone(),
            );
            tasks.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    match client.get(url.as_str()).send().await {
                        Ok(r) => match r.text().await {
                            Ok(b) if b.contains(r#""code":"10000""#) => {
                                done.fetch_add(1, Ordering::Relaxed)
                            }
                            _ => errors.fetch_add(1, Ordering::Relaxed),
                        },
                        Err(_) => errors.fetch_add(1, Ordering::Relaxed),
                    };
                }
            }));
        }
        tokio::time::sleep(Duration::from_secs(secs)).await;
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            let _ = t.await;
        }
        anyhow::Ok((
            done.load(Ordering::Relaxed),
            errors.load(Ordering::Relaxed),
            start.elapsed(),
        ))
    })?;
    server_rt.block_on(handle.stop());
    // Signing measured before and after the query run: on a shared machine the load can change
    // in between, and the mean keeps the comparison fair.
    let parallel_after = sign_rate(&signer, cores, secs);
    let parallel = (parallel_before + parallel_after) / 2;

    let qps = done * 1000 / elapsed.as_millis().max(1) as u64;
    let permille = qps * 1000 / parallel.max(1);
    println!("machine: {cores} cores; RSA2 2048-bit signing (crates/alipay)");
    println!("raw signing, 1 thread:            {single} signatures/s");
    println!(
        "raw signing, {cores} threads:           {parallel} signatures/s (before {parallel_before}, after {parallel_after})"
    );
    println!(
        "simulator alipay.trade.query:     {qps} queries/s over loopback ({concurrency} concurrent, {secs} s, {done} ok, {errors} errors)"
    );
    println!(
        "ratio queries/s : signatures/s = {}.{}% (target >= 80%)",
        permille / 10,
        permille % 10
    );
    if errors > 0 {
        anyhow::bail!("{errors} queries failed");
    }
    Ok(())
}

fn verify_one(body: &str, key: &alipay::PublicKey) -> anyhow::Result<()> {
    let v = alipay::verify_response(body, "alipay.trade.query", key, SignType::Rsa2, None)?;
    anyhow::ensure!(
        v.value["trade_status"] == "TRADE_SUCCESS",
        "unexpected answer: {body}"
    );
    Ok(())
}
