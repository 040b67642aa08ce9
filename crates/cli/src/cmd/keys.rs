//! `paydesk keys gen | check | show`: the app key pair, without ever printing a private key.

use std::path::{Path, PathBuf};

use alipay::keys::{KeyFormat, check_alipay_public_key, write_pair};
use alipay::{KeyError, PrivateKey, PublicKey, SignType};
use clap::{Args, Subcommand};
use serde::Serialize;

use crate::ctx::Ctx;
use crate::exit::{CmdResult, Exit, Failure};
use crate::output;
use crate::profile::Overrides;

#[derive(Debug, Subcommand)]
pub enum KeysCmd {
    /// Generate a new app key pair (RSA, 2048 bits by default) for the Alipay console.
    ///
    /// Writes app_private_key.pem (PKCS#8), app_private_key_pkcs1.pem (PKCS#1), app_public_key.pem
    /// (SPKI) and app_public_key.txt (the one line to paste into the console as 应用公钥).
    /// Private files are created readable by the owner only. The private key is never printed.
    Gen(GenArgs),
    /// Check that a private key and a public key form a pair, and that the configured Alipay
    /// public key is not the app's own. Exit 1 when they do not match.
    Check(CheckArgs),
    /// Show what a key file holds: kind, format, bits, SHA-256 fingerprint of the public key.
    /// Never shows private key material.
    Show(ShowArgs),
}

#[derive(Debug, Args)]
pub struct GenArgs {
    /// Directory to write the four files to [default: keys/<profile>]
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Key size; Alipay requires at least 2048 for RSA2
    #[arg(long, default_value_t = 2048, value_parser = parse_bits)]
    bits: usize,
    /// Overwrite key files that already exist in DIR (the old private key is lost)
    #[arg(long)]
    force: bool,
}

fn parse_bits(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(b @ (2048 | 3072 | 4096)) => Ok(b),
        Ok(b) if b < 2048 => Err(format!(
            "{b} bits is too small: Alipay requires 2048-bit keys for RSA2"
        )),
        _ => Err("use 2048 (Alipay's size), 3072 or 4096".to_string()),
    }
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The app private key [default: the profile's app_private_key]
    #[arg(long = "private", value_name = "FILE")]
    private: Option<PathBuf>,
    /// The public key that should belong to it (e.g. app_public_key.pem or .txt)
    #[arg(long = "public", value_name = "FILE")]
    public: Option<PathBuf>,
    /// Alipay's public key: checked to be a valid key and NOT the app's own
    /// [default: the profile's alipay_public_key]
    #[arg(long, value_name = "FILE")]
    alipay_public_key: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A private or public key file (PEM or one-line base64)
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

pub fn run(ctx: &Ctx, cmd: KeysCmd) -> CmdResult {
    match cmd {
        KeysCmd::Gen(a) => gen_(ctx, a),
        KeysCmd::Check(a) => check(ctx, a),
        KeysCmd::Show(a) => show(ctx, a),
    }
}

#[derive(Serialize)]
struct Generated {
    dir: PathBuf,
    bits: usize,
    fingerprint: String,
    public_key_one_line: String,
    files: alipay::keys::WrittenPair,
}

fn gen_(ctx: &Ctx, a: GenArgs) -> CmdResult {
    let dir = a
        .out
        .unwrap_or_else(|| Path::new("keys").join(&ctx.profile));
    let names = [
        "app_private_key.pem",
        "app_private_key_pkcs1.pem",
        "app_public_key.pem",
        "app_public_key.txt",
    ];
    if !a.force {
        let existing: Vec<String> = names
            .iter()
            .map(|n| dir.join(n))
            .filter(|p| p.exists())
            .map(|p| p.display().to_string())
            .collect();
        if !existing.is_empty() {
            return Err(Failure::usage(format!(
                "refusing to overwrite {}: a private key there may already be registered with Alipay; \
                 choose another --out DIR or pass --force",
                existing.join(", ")
            )));
        }
    }
    let key = PrivateKey::generate(a.bits)?;
    let files = write_pair(&key, &dir)?;
    let g = Generated {
        dir,
        bits: key.bits(),
        fingerprint: key.public_key().fingerprint(),
        public_key_one_line: key.public_key().to_one_line(),
        files,
    };
    if ctx.json {
        output::json(&g);
    } else {
        output::rows(&[
            (
                "private key (PKCS#8)",
                g.files.pkcs8_pem.display().to_string(),
            ),
            (
                "private key (PKCS#1)",
                g.files.pkcs1_pem.display().to_string(),
            ),
            ("public key (PEM)", g.files.public_pem.display().to_string()),
            (
                "public key (one line)",
                g.files.public_one_line.display().to_string(),
            ),
            ("bits", g.bits.to_string()),
            ("fingerprint", format!("SHA256 {}", g.fingerprint)),
        ]);
        output::line("");
        output::line("Paste this line into the Alipay console as the app public key (应用公钥):");
        output::line(&g.public_key_one_line);
        output::line("");
        output::line(
            "Then save the console's Alipay public key (支付宝公钥) and set alipay_public_key in paydesk.toml.",
        );
    }
    Ok(Exit::Ok)
}

#[derive(Serialize)]
struct KeyInfo {
    file: PathBuf,
    kind: &'static str,
    format: KeyFormat,
    format_name: String,
    bits: usize,
    fingerprint: String,
    /// Enough for RSA2 (Alipay requires 2048 bits).
    rsa2_ok: bool,
    /// The public half in the console's one-line form; safe to show.
    public_key_one_line: String,
}

fn private_info(file: &Path, k: &PrivateKey) -> KeyInfo {
    KeyInfo {
        file: file.to_path_buf(),
        kind: "private",
        format: k.format(),
        format_name: k.format().to_string(),
        bits: k.bits(),
        fingerprint: k.public_key().fingerprint(),
        rsa2_ok: k.check_for(SignType::Rsa2, "").is_ok(),
        public_key_one_line: k.public_key().to_one_line(),
    }
}

fn public_info(file: &Path, k: &PublicKey) -> KeyInfo {
    KeyInfo {
        file: file.to_path_buf(),
        kind: "public",
        format: k.format(),
        format_name: k.format().to_string(),
        bits: k.bits(),
        fingerprint: k.fingerprint(),
        rsa2_ok: k.bits() >= 2048,
        public_key_one_line: k.to_one_line(),
    }
}

fn info_rows(i: &KeyInfo) -> Vec<(&'static str, String)> {
    let mut bits = i.bits.to_string();
    if !i.rsa2_ok {
        bits.push_str("  (too small for RSA2: Alipay requires 2048)");
    }
    vec![
        ("file", i.file.display().to_string()),
        ("kind", i.kind.to_string()),
        ("format", i.format_name.clone()),
        ("bits", bits),
        ("fingerprint", format!("SHA256 {}", i.fingerprint)),
        ("public key", i.public_key_one_line.clone()),
    ]
}

fn show(ctx: &Ctx, a: ShowArgs) -> CmdResult {
    let info = match PrivateKey::from_file(&a.file) {
        Ok(k) => private_info(&a.file, &k),
        // Not a private key: it may well be a public one, which `show` accepts too.
        Err(KeyError::PublicWherePrivate { .. }) => {
            let k = PublicKey::from_file(&a.file)?;
            public_info(&a.file, &k)
        }
        // Certificate mode hands out .crt files; showing their SNs answers "which SN is sent".
        Err(KeyError::CertificateNotKey { .. }) => return show_cert(ctx, &a.file),
        Err(e) => return Err(e.into()),
    };
    if ctx.json {
        output::json(&info);
    } else {
        output::rows(&info_rows(&info));
    }
    Ok(Exit::Ok)
}

#[derive(Serialize)]
struct CheckReport {
    private: KeyInfo,
    public: Option<KeyInfo>,
    /// `None` when no public key was given.
    pair_matches: Option<bool>,
    alipay_public_key: Option<KeyInfo>,
    /// True when the "Alipay public key" is really the app's own: every verification would fail.
    alipay_key_is_app_own: Option<bool>,
    ok: bool,
    problems: Vec<String>,
}

fn check(ctx: &Ctx, a: CheckArgs) -> CmdResult {
    // Only touch the settings file when a path has to come from it.
    let (private, alipay) =
        if a.private.is_none() || (a.alipay_public_key.is_none() && a.public.is_none()) {
            let r = ctx.resolve(&Overrides {
                app_private_key: a.private.clone(),
                alipay_public_key: a.alipay_public_key.clone(),
                ..Overrides::default()
            })?;
            let p = r
                .require_path("app_private_key", &r.profile.app_private_key)?
                .to_path_buf();
            (p, r.profile.alipay_public_key.clone())
        } else {
            (
                a.private.clone().unwrap_or_default(),
                a.alipay_public_key.clone(),
            )
        };
    if a.public.is_none() && alipay.is_none() {
        return Err(Failure::usage(
            "nothing to check the private key against: pass --public FILE (the app public key) \
             and/or --alipay-public-key FILE",
        ));
    }
    let key = PrivateKey::from_file(&private)?;
    let mut problems = Vec::new();
    if let Err(e) = key.check_for(SignType::Rsa2, &private.display().to_string()) {
        problems.push(e.to_string());
    }
    let (public, pair_matches) = match &a.public {
        Some(p) => {
            let pk = PublicKey::from_file(p)?;
            let m = key.matches(&pk);
            if !m {
                problems.push(format!(
                    "{} is not the public half of {}: fingerprints {} vs {}",
                    p.display(),
                    private.display(),
                    pk.fingerprint(),
                    key.public_key().fingerprint()
                ));
            }
            (Some(public_info(p, &pk)), Some(m))
        }
        None => (None, None),
    };
    let (alipay_info, own) = match &alipay {
        Some(p) => {
            let ak = PublicKey::from_file(p)?;
            let own = check_alipay_public_key(&key, &ak).is_err();
            if own {
                problems.push(format!("{}: {}", p.display(), KeyError::OwnPublicKey));
            }
            (Some(public_info(p, &ak)), Some(own))
        }
        None => (None, None),
    };
    let report = CheckReport {
        private: private_info(&private, &key),
        public,
        pair_matches,
        alipay_public_key: alipay_info,
        alipay_key_is_app_own: own,
        ok: problems.is_empty(),
        problems,
    };
    if ctx.json {
        output::json(&report);
    } else {
        let mut rows = vec![
            ("private key", report.private.file.display().to_string()),
            (
                "  format, bits",
                format!("{}, {}", report.private.format_name, report.private.bits),
            ),
            (
                "  fingerprint",
                format!("SHA256 {}", report.private.fingerprint),
            ),
        ];
        if let Some(p) = &report.public {
            rows.push(("public key", p.file.display().to_string()));
            rows.push(("  format, bits", format!("{}, {}", p.format_name, p.bits)));
            rows.push(("  fingerprint", format!("SHA256 {}", p.fingerprint)));
            rows.push((
                "pair",
                if report.pair_matches == Some(true) {
                    "MATCH"
                } else {
                    "MISMATCH"
                }
                .to_string(),
            ));
        }
        if let Some(p) = &report.alipay_public_key {
            rows.push(("alipay public key", p.file.display().to_string()));
            rows.push(("  format, bits", format!("{}, {}", p.format_name, p.bits)));
            rows.push(("  fingerprint", format!("SHA256 {}", p.fingerprint)));
            rows.push((
                "  is Alipay's",
                if report.alipay_key_is_app_own == Some(true) {
                    "NO: it is the app's own public key".to_string()
                } else {
                    "yes (differs from the app's key)".to_string()
                },
            ));
        }
        output::rows(&rows);
        for p in &report.problems {
            eprintln!("error: {p}");
        }
        output::line(if report.ok { "OK" } else { "FAILED" });
    }
    Ok(if report.ok { Exit::Ok } else { Exit::Negative })
}

#[derive(Serialize)]
struct CertShow {
    file: PathBuf,
    kind: &'static str,
    certificates: Vec<alipay::cert::CertInfo>,
    /// The first certificate's key: Alipay's public key in alipayCertPublicKey_RSA2.crt.
    public_key: Option<CertKey>,
    /// What `alipay_root_cert_sn` would be if this file were the root bundle.
    root_cert_sn: Option<String>,
}

#[derive(Serialize)]
struct CertKey {
    bits: usize,
    fingerprint: String,
    public_key_one_line: String,
}

fn show_cert(ctx: &Ctx, file: &Path) -> CmdResult {
    let data = std::fs::read(file)
        .map_err(|e| Failure::input(format!("{}: cannot read: {e}", file.display())))?;
    let certs = alipay::cert::inspect(&data)
        .map_err(|e| Failure::input(format!("{}: {e}", file.display())))?;
    // Root bundles also hold SM2/ECDSA certificates: no RSA key there is not an error.
    let public_key = alipay::cert::public_key_from_cert(&data)
        .ok()
        .map(|k| CertKey {
            bits: k.bits(),
            fingerprint: k.fingerprint(),
            public_key_one_line: k.to_one_line(),
        });
    let c = CertShow {
        file: file.to_path_buf(),
        kind: "certificate",
        root_cert_sn: alipay::cert::root_cert_sn(&data).ok(),
        certificates: certs,
        public_key,
    };
    if ctx.json {
        output::json(&c);
        return Ok(Exit::Ok);
    }
    let mut rows = vec![
        ("file", c.file.display().to_string()),
        (
            "kind",
            format!("certificate ({} in the file)", c.certificates.len()),
        ),
    ];
    for (i, ci) in c.certificates.iter().enumerate() {
        rows.push(("certificate", format!("#{}: {}", i + 1, ci.subject)));
        rows.push(("  issuer", ci.issuer.clone()));
        rows.push(("  serial", ci.serial.clone()));
        rows.push(("  cert SN", ci.sn.clone()));
        rows.push((
            "  signature",
            format!(
                "{}{}",
                ci.signature_algorithm,
                if ci.rsa_signed {
                    " (RSA: counts for the root SN)"
                } else {
                    ""
                }
            ),
        ));
    }
    if let Some(k) = &c.public_key {
        rows.push(("public key bits", k.bits.to_string()));
        rows.push(("fingerprint", format!("SHA256 {}", k.fingerprint)));
    }
    if c.certificates.len() > 1
        && let Some(sn) = &c.root_cert_sn
    {
        rows.push(("root cert SN", sn.clone()));
    }
    output::rows(&rows);
    Ok(Exit::Ok)
}
