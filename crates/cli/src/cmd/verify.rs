//! `paydesk verify`: is this return URL / notify body / gateway response really from Alipay, and
//! if not, why not.
//!
//! Inputs are verified in parallel (rayon, `--jobs`) chunk by chunk and printed in input order,
//! so a 100,000-line file is bounded by RSA verification speed, not by parsing or printing.

mod judge;
mod print;

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use alipay::{PrivateKey, PublicKey, SignedOver};
use clap::Args;
use rayon::prelude::*;
use serde::Serialize;

use crate::ctx::Ctx;
use crate::exit::{CmdResult, Exit, Failure};
use crate::inputs::Inputs;
use crate::output;
use crate::profile::Overrides;
use judge::{Checks, InputKind, Verdict, judge};
use paydesk_core::desk_open as settings;
use print::{write_compact, write_detailed};

/// Up to this many inputs get the per-field breakdown; more get one line each (unless --verbose).
pub const DETAIL_MAX: usize = 10;
/// Inputs verified per parallel round: large enough to keep every core busy, small enough to
/// keep memory flat and output flowing.
const CHUNK: usize = 4096;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  paydesk verify --alipay-public-key alipay_public_key.txt 'https://shop.example/paid?charset=utf-8&out_trade_no=...&sign=...'
  paydesk verify --app-id 2021000000000000 @returns.txt          # one input per line, # comments allowed
  pbpaste | paydesk verify -                                    # stdin, one per line
  paydesk verify @answer.json                                   # a gateway response body, raw text as received
  paydesk --json verify @notifies.txt > verdicts.jsonl          # JSON lines + a summary line

Exit 0 only if every input is VALID; 1 if any is INVALID; 2 if an input file cannot be read.")]
pub struct VerifyArgs {
    /// Alipay's public key (支付宝公钥), NOT the app's own [default: the profile's alipay_public_key,
    /// or the key in alipay_cert; env PAYDESK_ALIPAY_PUBLIC_KEY]
    #[arg(long, value_name = "FILE")]
    alipay_public_key: Option<PathBuf>,
    /// Also require this app_id [default: the profile's app_id, if set]
    #[arg(long, value_name = "ID")]
    app_id: Option<String>,
    /// Also require this seller_id (the merchant's 2088… PID) [default: the profile's seller_id]
    #[arg(long, value_name = "ID")]
    seller_id: Option<String>,
    /// The app's own public key: used only to explain failures ("signed with your app key",
    /// "configured key is your own") [default: derived from the profile's app_private_key]
    #[arg(long, value_name = "FILE")]
    app_public_key: Option<PathBuf>,
    /// Worker threads [default: every core]
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// Per-field breakdown for every input, even in large batches
    #[arg(long, short = 'v')]
    verbose: bool,
    /// Return URLs, bare queries, notify bodies or gateway response bodies (a JSON object, as
    /// received: the signature covers its raw text); @FILE reads one per line (blank lines and
    /// #comments skipped); - reads stdin likewise. No INPUT: stdin.
    #[arg(value_name = "INPUT")]
    inputs: Vec<String>,
}

#[derive(Serialize)]
struct Summary {
    #[serde(rename = "type")]
    ty: &'static str,
    inputs: usize,
    valid: usize,
    invalid: usize,
    /// Valid callbacks by the content their signature held over, and valid responses.
    valid_documented: usize,
    valid_sign_type_kept: usize,
    valid_responses: usize,
    elapsed_secs: f64,
    inputs_per_sec: f64,
    jobs: usize,
}

pub fn run(ctx: &Ctx, a: VerifyArgs) -> CmdResult {
    let mut inputs = Inputs::open(&a.inputs)?;
    let r = ctx.resolve(&Overrides {
        alipay_public_key: a.alipay_public_key.clone(),
        app_id: a.app_id.clone(),
        seller_id: a.seller_id.clone(),
        ..Overrides::default()
    })?;
    let cert = if r.profile.alipay_public_key.is_none() {
        settings::cert_mode(&r)?
    } else {
        None
    };
    let key = settings::alipay_public_key(&r, cert.as_ref())?;
    let app_public = match &a.app_public_key {
        Some(p) => Some(PublicKey::from_file(p)?),
        // Only to explain failures: a profile key that will not load is not this command's problem.
        None => r
            .profile
            .app_private_key
            .as_ref()
            .and_then(|p| PrivateKey::from_file(p).ok())
            .map(|k| k.public_key().clone()),
    };
    if app_public.as_ref() == Some(&key) {
        output::warn(
            "the Alipay public key is your app's own public key (应用公钥): every callback will be INVALID; \
             configure 支付宝公钥 from the console",
        );
    }
    let checks = Checks {
        key,
        app_public,
        app_id: r.profile.app_id.clone().filter(|s| !s.is_empty()),
        seller_id: r.profile.seller_id.clone().filter(|s| !s.is_empty()),
        alipay_cert_sn: cert.as_ref().map(|c| c.alipay_cert_sn.clone()),
    };
    let jobs = a
        .jobs
        .map(usize::from)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| Failure::usage(format!("cannot start {jobs} worker threads: {e}")))?;

    let started = Instant::now();
    let (mut valid, mut invalid) = (0usize, 0usize);
    let (mut documented, mut kept, mut responses) = (0usize, 0usize, 0usize);
    let mut detailed = a.verbose;
    let mut first = true;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    loop {
        let chunk = inputs.next_chunk(CHUNK);
        if chunk.is_empty() {
            break;
        }
        if first {
            detailed |= chunk.len() <= DETAIL_MAX && inputs.exhausted();
            first = false;
        }
        let verdicts: Vec<Verdict> = pool.install(|| {
            chunk
                .par_iter()
                .map(|it| judge(it, &checks, detailed))
                .collect()
        });
        for v in &verdicts {
            if v.valid {
                valid += 1;
                match (v.kind, v.signed_over) {
                    (Some(InputKind::Response), _) => responses += 1,
                    (_, Some(SignedOver::SignTypeKept)) => kept += 1,
                    _ => documented += 1,
                }
            } else {
                invalid += 1;
            }
            let res = if ctx.json {
                serde_json::to_writer(&mut out, v)
                    .map_err(std::io::Error::other)
                    .and_then(|_| writeln!(out))
            } else if detailed {
                write_detailed(&mut out, v)
            } else {
                write_compact(&mut out, v)
            };
            if res.is_err() {
                // stdout closed (e.g. `| head`): nobody is reading; the verdict is the exit code.
                return Ok(if invalid > 0 {
                    Exit::Negative
                } else {
                    Exit::Ok
                });
            }
        }
    }
    let _ = out.flush();
    drop(out);
    if let Some(e) = inputs.read_error.take() {
        return Err(Failure::input(e));
    }
    let n = valid + invalid;
    if n == 0 {
        return Err(Failure::usage(
            "no inputs: the files or stdin held only blank lines and # comments",
        ));
    }
    let elapsed = started.elapsed().as_secs_f64();
    #[allow(clippy::float_arithmetic)] // a rate for display, not money
    let rate = if elapsed > 0.0 {
        n as f64 / elapsed
    } else {
        0.0
    };
    let summary = Summary {
        ty: "summary",
        inputs: n,
        valid,
        invalid,
        valid_documented: documented,
        valid_sign_type_kept: kept,
        valid_responses: responses,
        elapsed_secs: elapsed,
        inputs_per_sec: rate,
        jobs,
    };
    if ctx.json {
        let _ = serde_json::to_string(&summary).map(|s| output::line(&s));
    } else if n > 1 {
        output::line(&format!(
            "{n} inputs: {valid} valid, {invalid} invalid in {elapsed:.2} s ({rate:.0} inputs/s, {jobs} jobs); \
             valid: {documented} signed the documented way, {kept} with sign_type kept, {responses} responses"
        ));
    }
    Ok(if invalid == 0 {
        Exit::Ok
    } else {
        Exit::Negative
    })
}
