//! `paydesk sim`: run the simulator in the foreground, print how to reach it, optionally write a
//! ready `[profiles.simulator]` section for paydesk.toml.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde_json::json;

use crate::fault::FaultRule;
use crate::{SimConfig, SimHandle, Simulator};

pub const DEFAULT_PORT: u16 = 8771;

#[derive(Debug, Clone, clap::Args)]
pub struct SimArgs {
    /// Port on 127.0.0.1 (0 = any free port)
    #[arg(long, default_value_t = DEFAULT_PORT, env = "PAYDESK_SIM_PORT")]
    pub port: u16,
    /// Keep trades, refunds, registered apps and the clock in this JSON file across restarts
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Keys and identity [default: $XDG_DATA_HOME/paydesk/sim, else ~/.local/share/paydesk/sim]
    #[arg(long, value_name = "DIR", env = "PAYDESK_SIM_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The default app's id [default: 2021000000000001, or what the data dir remembers]
    #[arg(long, value_name = "ID")]
    pub app_id: Option<String>,
    /// Let another app call the gateway: its app_id and the file of its public key (repeatable)
    #[arg(long = "register-app", value_name = "ID=PUBKEYFILE")]
    pub register_app: Vec<String>,
    /// Write (or replace) the [profiles.simulator] section of this paydesk.toml
    #[arg(long, value_name = "FILE")]
    pub write_profile: Option<PathBuf>,
    /// Divide Alipay's notify retry schedule (4m, 10m, 10m, 1h, 2h, 6h, 15h) by N
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub notify_speedup: u32,
    /// Least time between two refunds of one trade, as Alipay enforces (a sooner one is answered
    /// 20000 ACQ.SYSTEM_ERROR); 0 turns the rule off, for load tests only
    #[arg(long, value_name = "MS", default_value_t = 3000)]
    pub refund_min_interval_ms: u32,
    /// Inject a fault: METHOD:FAULT[:sticky|:xN], FAULT one of latency=MS|Ns, http=5xx,
    /// http-after=5xx, drop-before, drop-after, bad-signature, system-error, system-error-after;
    /// or notify:notify-fail=N. METHOD `*` = every gateway method (repeatable)
    #[arg(long = "fault", value_name = "RULE")]
    pub faults: Vec<FaultRule>,
    /// Also write the startup information as JSON to this file (for scripts)
    #[arg(long, value_name = "FILE")]
    pub info_file: Option<PathBuf>,
    /// Print the startup information as one JSON document (set from the global --json)
    #[arg(skip)]
    pub json: bool,
}

fn parse_app(spec: &str) -> anyhow::Result<(String, alipay::PublicKey)> {
    let (id, file) = spec
        .split_once('=')
        .filter(|(id, f)| !id.is_empty() && !f.is_empty())
        .with_context(|| format!("--register-app {spec:?}: expected APP_ID=PUBLIC_KEY_FILE"))?;
    let key = alipay::PublicKey::from_file(file).with_context(|| format!("--register-app {id}"))?;
    Ok((id.to_string(), key))
}

pub async fn run(args: SimArgs) -> anyhow::Result<()> {
    let data_dir = match args.data_dir.clone() {
        Some(d) => d,
        None => crate::keystore::default_data_dir()?,
    };
    // Absolute, so the printed paths and a written profile work from any directory.
    let data_dir = std::path::absolute(&data_dir)
        .with_context(|| format!("--data-dir {}", data_dir.display()))?;
    let apps = args
        .register_app
        .iter()
        .map(|s| parse_app(s))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let cfg = SimConfig {
        port: args.port,
        data_dir: Some(data_dir),
        state_file: args.state.clone(),
        app_id: args.app_id.clone(),
        apps,
        notify_speedup: args.notify_speedup,
        refund_min_interval: chrono::Duration::milliseconds(i64::from(args.refund_min_interval_ms)),
        faults: args.faults.clone(),
        ..SimConfig::default()
    };
    let sim = Simulator::start(cfg).await?;
    let info = info_json(&sim, &args);
    if let Some(p) = &args.write_profile {
        write_profile(p, &sim)?;
    }
    if let Some(p) = &args.info_file {
        // Written whole then renamed: a script polling for the file never reads half of it.
        let tmp = p.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_string_pretty(&info)? + "\n")
            .and_then(|()| std::fs::rename(&tmp, p))
            .with_context(|| format!("writing {}", p.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string(&info)?);
    } else {
        print_human(&sim, &args);
    }
    wait_for_stop().await;
    sim.stop().await;
    Ok(())
}

fn info_json(sim: &SimHandle, args: &SimArgs) -> serde_json::Value {
    let paths = sim.key_paths();
    json!({
        "gateway_url": sim.gateway_url(),
        "base_url": sim.base_url(),
        "app_id": sim.app_id(),
        "seller_id": sim.seller_id(),
        "sign_type": "RSA2",
        "app_private_key": paths.map(|p| &p.app.pkcs8_pem),
        "app_private_key_pkcs1": paths.map(|p| &p.app.pkcs1_pem),
        "app_public_key": paths.map(|p| &p.app.public_pem),
        "alipay_public_key": paths.map(|p| &p.alipay_public_key_pem),
        "alipay_public_key_fingerprint": sim.alipay_public_key().fingerprint(),
        "state_file": args.state,
        "data_dir": paths.map(|p| &p.data_dir),
        "profile_written": args.write_profile,
    })
}

fn print_human(sim: &SimHandle, args: &SimArgs) {
    let show = |p: Option<&PathBuf>| p.map(|p| p.display().to_string()).unwrap_or_default();
    let paths = sim.key_paths();
    println!("Paydesk Alipay simulator (offline; listening on loopback only)");
    println!("  gateway            {}", sim.gateway_url());
    println!("  app_id             {}", sim.app_id());
    println!("  seller_id          {}", sim.seller_id());
    println!(
        "  app private key    {}",
        show(paths.map(|p| &p.app.pkcs8_pem))
    );
    println!(
        "  app public key     {}",
        show(paths.map(|p| &p.app.public_pem))
    );
    println!(
        "  alipay public key  {}",
        show(paths.map(|p| &p.alipay_public_key_pem))
    );
    match &args.state {
        Some(s) => println!("  state file         {}", s.display()),
        None => println!("  state              in memory (use --state FILE to keep trades)"),
    }
    if let Some(p) = &args.write_profile {
        println!(
            "  profile written    [profiles.simulator] in {}",
            p.display()
        );
    }
    for f in sim.faults() {
        println!("  fault              {f}");
    }
    println!(
        "  control            {}/sim/ (pay, faults, clock, ledger, trades, notifications, apps)",
        sim.base_url()
    );
    println!("Open a pay link for this gateway in a browser to see the cashier. Ctrl-C stops.");
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The `[profiles.simulator]` section for this simulator (fields of crates/cli's profile).
pub fn profile_section(sim: &SimHandle) -> anyhow::Result<String> {
    let paths = sim
        .key_paths()
        .context("the simulator runs without a data dir: no key files to point a profile at")?;
    let q = |s: &str| toml::Value::String(s.to_string()).to_string();
    let p = |p: &Path| q(&p.display().to_string());
    Ok(format!(
        "[profiles.simulator]\nkind = \"simulator\"\ngateway = {}\napp_id = {}\nseller_id = {}\nsign_type = \"RSA2\"\napp_private_key = {}\nalipay_public_key = {}\n",
        q(&sim.gateway_url()),
        q(sim.app_id()),
        q(sim.seller_id()),
        p(&paths.app.pkcs8_pem),
        p(&paths.alipay_public_key_pem),
    ))
}

/// Replaces the `[profiles.simulator]` table of `file` (or appends it), keeping everything else.
pub fn write_profile(file: &Path, sim: &SimHandle) -> anyhow::Result<()> {
    let section = profile_section(sim)?;
    let old = match std::fs::read_to_string(file) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", file.display())),
    };
    let new = replace_section(&old, "profiles.simulator", &section);
    toml::from_str::<toml::Table>(&new).with_context(|| {
        format!(
            "{} would not be valid TOML after writing the simulator profile; left unchanged",
            file.display()
        )
    })?;
    std::fs::write(file, new).with_context(|| format!("writing {}", file.display()))
}

fn replace_section(old: &str, table: &str, section: &str) -> String {
    let header = format!("[{table}]");
    let mut out = String::new();
    let mut skipping = false;
    let mut replaced = false;
    for line in old.lines() {
        let t = line.trim();
        if t == header {
            skipping = true;
            if !replaced {
                out.push_str(section);
                replaced = true;
            }
            continue;
        }
        if skipping && t.starts_with('[') {
            skipping = false;
            out.push('\n');
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    if !replaced {
        if !out.is_empty() && !out.ends_with("\n\n") {
            out.push('\n');
        }
        out.push_str(section);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_section_is_replaced_in_place_or_appended() {
        let old = "[profiles.sandbox]\napp_id = \"9\"\n\n[profiles.simulator]\napp_id = \"old\"\n\n[profiles.production]\napp_id = \"1\"\n";
        let new = replace_section(
            old,
            "profiles.simulator",
            "[profiles.simulator]\napp_id = \"new\"\n",
        );
        let t: toml::Table = toml::from_str(&new).unwrap();
        assert_eq!(t["profiles"]["simulator"]["app_id"].as_str(), Some("new"));
        assert_eq!(t["profiles"]["sandbox"]["app_id"].as_str(), Some("9"));
        assert_eq!(t["profiles"]["production"]["app_id"].as_str(), Some("1"));
        assert!(!new.contains("old"));

        let appended = replace_section(
            "",
            "profiles.simulator",
            "[profiles.simulator]\napp_id = \"a\"\n",
        );
        assert_eq!(appended, "[profiles.simulator]\napp_id = \"a\"\n");
    }

    #[test]
    fn register_app_spec_errors_are_specific() {
        assert!(
            parse_app("no-equals")
                .unwrap_err()
                .to_string()
                .contains("APP_ID=PUBLIC_KEY_FILE")
        );
        assert!(parse_app("=file").is_err());
        let e = parse_app("2021=/nonexistent/key.pem").unwrap_err();
        assert!(format!("{e:#}").contains("/nonexistent/key.pem"));
    }
}
