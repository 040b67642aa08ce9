//! `paydesk verify`: is this return URL / notify body really from Alipay, and if not, why not.
//!
//! Inputs are verified in parallel (rayon, `--jobs`) chunk by chunk and printed in input order,
//! so a 100,000-line file is bounded by RSA verification speed, not by parsing or printing.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use alipay::callback::{CallbackBreakdown, FieldBreakdown};
use alipay::{CallbackKind, PrivateKey, PublicKey, VerifiedCallback};
use clap::Args;
use rayon::prelude::*;
use serde::Serialize;

use crate::ctx::Ctx;
use crate::exit::{CmdResult, Exit, Failure};
use crate::inputs::{Inputs, Item};
use crate::output;
use crate::profile::Overrides;
use paydesk_core::desk_open as settings;

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
    /// Return URLs, bare queries or notify bodies; @FILE reads one per line (blank lines and
    /// #comments skipped); - reads stdin likewise. No INPUT: stdin.
    #[arg(value_name = "INPUT")]
    inputs: Vec<String>,
}

struct Checks {
    key: PublicKey,
    app_public: Option<PublicKey>,
    app_id: Option<String>,
    seller_id: Option<String>,
}

#[derive(Serialize)]
struct Check {
    field: &'static str,
    expected: String,
    got: Option<String>,
    ok: bool,
}

#[derive(Serialize)]
struct ErrorInfo {
    code: &'static str,
    message: String,
}

#[derive(Serialize)]
struct Verdict {
    #[serde(rename = "type")]
    ty: &'static str,
    index: usize,
    origin: String,
    valid: bool,
    verdict: &'static str,
    kind: Option<CallbackKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorInfo>,
    out_trade_no: Option<String>,
    trade_no: Option<String>,
    /// Decimal as a string: money never goes through a float.
    total_amount: Option<String>,
    trade_status: Option<String>,
    app_id: Option<String>,
    seller_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    checks: Vec<Check>,
    /// Only with the detailed view (small batches or --verbose).
    #[serde(skip_serializing_if = "Option::is_none")]
    breakdown: Option<CallbackBreakdown>,
}

#[derive(Serialize)]
struct Summary {
    #[serde(rename = "type")]
    ty: &'static str,
    inputs: usize,
    valid: usize,
    invalid: usize,
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
        elapsed_secs: elapsed,
        inputs_per_sec: rate,
        jobs,
    };
    if ctx.json {
        let _ = serde_json::to_string(&summary).map(|s| output::line(&s));
    } else if n > 1 {
        output::line(&format!(
            "{n} inputs: {valid} valid, {invalid} invalid in {elapsed:.2} s ({rate:.0} inputs/s, {jobs} jobs)"
        ));
    }
    Ok(if invalid == 0 {
        Exit::Ok
    } else {
        Exit::Negative
    })
}

fn invalid(it: &Item, kind: Option<CallbackKind>, code: &'static str, message: String) -> Verdict {
    Verdict {
        ty: "result",
        index: it.index,
        origin: it.origin.clone(),
        valid: false,
        verdict: "INVALID",
        kind,
        error: Some(ErrorInfo { code, message }),
        out_trade_no: None,
        trade_no: None,
        total_amount: None,
        trade_status: None,
        app_id: None,
        seller_id: None,
        checks: Vec::new(),
        breakdown: None,
    }
}

fn judge(it: &Item, c: &Checks, detailed: bool) -> Verdict {
    let parsed = match std::str::from_utf8(&it.bytes) {
        Ok(s) => alipay::parse_callback(s),
        // Not UTF-8: a notify body saved as received in GBK.
        Err(_) => alipay::callback::parse_callback_bytes(&it.bytes),
    };
    let parsed = match parsed {
        Ok(p) => p,
        Err(e) => return invalid(it, None, e.code(), e.to_string()),
    };
    let kind = parsed.kind();
    let breakdown = detailed.then(|| parsed.breakdown());
    let mut v = match parsed.verify_with_hint(&c.key, c.app_public.as_ref()) {
        Ok(ok) => accepted(it, &ok, c),
        Err(e) => invalid(it, Some(kind), e.code(), e.to_string()),
    };
    v.breakdown = breakdown;
    v
}

fn accepted(it: &Item, cb: &VerifiedCallback, c: &Checks) -> Verdict {
    let mut checks = Vec::new();
    let mut check = |field: &'static str, expected: &Option<String>, got: Option<&str>| {
        if let Some(want) = expected {
            checks.push(Check {
                field,
                expected: want.clone(),
                got: got.map(str::to_string),
                ok: got == Some(want.as_str()),
            });
        }
    };
    check("app_id", &c.app_id, cb.app_id());
    check("seller_id", &c.seller_id, cb.seller_id());
    let failed = checks.iter().find(|k| !k.ok);
    let error = failed.map(|k| ErrorInfo {
        code: if k.field == "app_id" { "app_id_mismatch" } else { "seller_id_mismatch" },
        message: format!(
            "the signature is Alipay's, but {} is {:?}, not {:?}: the callback belongs to another {} \
             (or another environment)",
            k.field,
            k.got.as_deref().unwrap_or(""),
            k.expected,
            if k.field == "app_id" { "app" } else { "merchant account" }
        ),
    });
    Verdict {
        ty: "result",
        index: it.index,
        origin: it.origin.clone(),
        valid: error.is_none(),
        verdict: if error.is_none() { "VALID" } else { "INVALID" },
        kind: Some(cb.kind()),
        error,
        out_trade_no: cb.out_trade_no().map(str::to_string),
        trade_no: cb.trade_no().map(str::to_string),
        total_amount: cb.total_amount().map(|d| d.to_string()),
        trade_status: cb.trade_status().map(|s| s.as_str().to_string()),
        app_id: cb.app_id().map(str::to_string),
        seller_id: cb.seller_id().map(str::to_string),
        checks,
        breakdown: None,
    }
}

fn kind_name(k: Option<CallbackKind>) -> &'static str {
    match k {
        Some(CallbackKind::Return) => "return",
        Some(CallbackKind::Notify) => "notify",
        Some(CallbackKind::Unknown) => "unknown",
        None => "-",
    }
}

fn facts(v: &Verdict) -> String {
    let mut s = String::new();
    for (k, val) in [
        ("out_trade_no", &v.out_trade_no),
        ("total_amount", &v.total_amount),
        ("trade_status", &v.trade_status),
        ("trade_no", &v.trade_no),
    ] {
        if let Some(x) = val {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(&format!("{k}={x}"));
        }
    }
    s
}

fn write_compact(out: &mut impl Write, v: &Verdict) -> std::io::Result<()> {
    let detail = match &v.error {
        Some(e) => e.message.clone(),
        None => facts(v),
    };
    writeln!(
        out,
        "{:<24} {:<7} {:<7} {detail}",
        v.origin,
        v.verdict,
        kind_name(v.kind)
    )
}

fn write_detailed(out: &mut impl Write, v: &Verdict) -> std::io::Result<()> {
    writeln!(out, "[{}] {}", v.index, v.origin)?;
    if let Some(b) = &v.breakdown {
        writeln!(
            out,
            "  kind {}, charset {}{}, sign_type {}{}",
            kind_name(Some(b.kind)),
            b.charset,
            if b.charset_declared.is_none() {
                " (assumed)"
            } else {
                ""
            },
            b.sign_type.as_deref().unwrap_or("RSA2"),
            if b.sign_type_defaulted {
                " (assumed)"
            } else {
                ""
            },
        )?;
        write_fields(out, &b.fields)?;
        for n in &b.notes {
            writeln!(out, "  note: {n}")?;
        }
        if !v.valid {
            writeln!(out, "  signed content: {}", b.canonical)?;
        }
    }
    for c in &v.checks {
        writeln!(
            out,
            "  check {:<10} expected {:?}, got {:?}: {}",
            c.field,
            c.expected,
            c.got.as_deref().unwrap_or(""),
            if c.ok { "ok" } else { "MISMATCH" }
        )?;
    }
    match &v.error {
        None => writeln!(out, "  VALID    {}", facts(v))?,
        Some(e) => writeln!(out, "  INVALID  {}", e.message)?,
    }
    writeln!(out)
}

fn write_fields(out: &mut impl Write, fields: &[FieldBreakdown]) -> std::io::Result<()> {
    let w = fields
        .iter()
        .map(|f| f.name.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    writeln!(out, "  {:<w$}  {:<6}  value", "field", "signed")?;
    for f in fields {
        let shown = if f.name == "sign" {
            output::ellipsize(&f.decoded, 24)
        } else {
            f.decoded.clone()
        };
        writeln!(
            out,
            "  {:<w$}  {:<6}  {}",
            f.name,
            if f.signed { "yes" } else { "no" },
            shown
        )?;
        // sign and sign_type are plainly "not signed"; their note would only repeat that.
        if let Some(n) = &f.note
            && f.name != "sign"
            && f.name != "sign_type"
        {
            writeln!(out, "  {:<w$}  {:<6}  ({n})", "", "")?;
        }
    }
    Ok(())
}
