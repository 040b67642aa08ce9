//! Generates signed return URLs for the batch-verification benchmark
//! (scripts/bench/batch_verify.sh): a throw-away "Alipay" key pair is created in --key-dir (or
//! reused), and --count distinct return URLs signed with it are written one per line.
//!
//! Every line is a different order with its own signature, so nothing can be cached by the
//! verifier: the benchmark measures real RSA verifications.

use std::io::Write;
use std::path::PathBuf;

use alipay::sign::{CALLBACK_EXCLUDE, canonical_content};
use alipay::{PrivateKey, SignType};
use clap::Parser;
use rayon::prelude::*;

#[derive(Parser)]
struct Args {
    /// How many return URLs
    #[arg(long, default_value_t = 100_000)]
    count: usize,
    /// Output file, one URL per line
    #[arg(long)]
    out: PathBuf,
    /// Where the signing key pair lives (created when missing); verify with
    /// DIR/app_public_key.txt
    #[arg(long)]
    key_dir: PathBuf,
    /// Instead of generating: time bare RSA verifications of the first N lines of --out on one
    /// thread (the floor `paydesk verify --jobs 1` is measured against)
    #[arg(long, value_name = "N")]
    raw_verify: Option<usize>,
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    let key_file = a.key_dir.join("app_private_key.pem");
    let key = if key_file.is_file() {
        PrivateKey::from_file(&key_file)?
    } else {
        let k = PrivateKey::generate(2048)?;
        alipay::keys::write_pair(&k, &a.key_dir)?;
        k
    };
    if let Some(n) = a.raw_verify {
        return raw_verify(&a, &key, n);
    }
    let lines: Vec<String> = (0..a.count)
        .into_par_iter()
        .map(|i| return_url(&key, i))
        .collect::<Result<_, _>>()?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(&a.out)?);
    writeln!(
        out,
        "# {} signed return URLs (paydesk batch verify benchmark)",
        a.count
    )?;
    for l in &lines {
        writeln!(out, "{l}")?;
    }
    out.flush()?;
    Ok(())
}

/// Decodes each line with a plain form decoder, builds the canonical content up front, then
/// times only `PublicKey::verify`: RSA alone, no parsing, no output.
fn raw_verify(a: &Args, key: &PrivateKey, n: usize) -> anyhow::Result<()> {
    use std::io::BufRead;
    let f = std::io::BufReader::new(std::fs::File::open(&a.out)?);
    let mut jobs = Vec::with_capacity(n);
    for line in f.lines() {
        let line = line?;
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let query = line.split_once('?').map_or(line.as_str(), |(_, q)| q);
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let sign = pairs
            .iter()
            .find(|(k, _)| k == "sign")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let content = canonical_content(
            pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            CALLBACK_EXCLUDE,
        );
        jobs.push((content, sign));
        if jobs.len() == n {
            break;
        }
    }
    let public = key.public_key();
    let start = std::time::Instant::now();
    for (content, sign) in &jobs {
        public.verify(content.as_bytes(), sign, SignType::Rsa2)?;
    }
    let secs = start.elapsed().as_secs_f64();
    #[allow(clippy::float_arithmetic)] // a rate for display
    let rate = jobs.len() as f64 / secs;
    println!(
        "{} bare RSA2 verifications on one thread in {secs:.2} s: {rate:.0}/s",
        jobs.len()
    );
    Ok(())
}

fn return_url(key: &PrivateKey, i: usize) -> anyhow::Result<String> {
    // Amounts vary in fen so every line's content differs; integer arithmetic, no floats.
    let fen = 1 + (i * 7919) % 10_000_000;
    let amount = format!("{}.{:02}", fen / 100, fen % 100);
    let mut fields: Vec<(&str, String)> = vec![
        ("charset", "utf-8".into()),
        ("out_trade_no", format!("BENCH{i:010}")),
        ("method", "alipay.trade.page.pay.return".into()),
        ("total_amount", amount),
        ("trade_no", format!("2026112422001{:015}", i)),
        ("auth_app_id", "2021000000000001".into()),
        ("version", "1.0".into()),
        ("app_id", "2021000000000001".into()),
        ("seller_id", "2088000000000002".into()),
        (
            "timestamp",
            format!(
                "2026-11-24 {:02}:{:02}:{:02}",
                (i / 3600) % 24,
                (i / 60) % 60,
                i % 60
            ),
        ),
    ];
    let content = canonical_content(
        fields.iter().map(|(k, v)| (*k, v.as_str())),
        CALLBACK_EXCLUDE,
    );
    let sign = key.sign(content.as_bytes(), SignType::Rsa2)?;
    fields.push(("sign", sign));
    fields.push(("sign_type", "RSA2".into()));
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &fields {
        q.append_pair(k, v);
    }
    Ok(format!("https://shop.example/alipay/return?{}", q.finish()))
}
