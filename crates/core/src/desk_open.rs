//! Opening a desk from a profile: the one way both front ends turn `paydesk.toml` into a
//! [`Desk`]. The CLI and the app only gather input (flags, the Settings form); reading the
//! profile's database settings, its keys and certificates, the refusal of a misconfigured key pair,
//! the default data directory and the operator's name are decided here, so the two cannot
//! disagree about what a profile means.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use alipay::keys::check_alipay_public_key;
use alipay::{
    AppIdentity, CertMode, Clock, GatewayClient, GatewayConfig, PrivateKey, PublicKey, SignType,
};

use crate::admin::{self, Access};
use crate::config::StoreConfig;
use crate::desk::{Desk, Gateway, os_user};
use crate::error::StoreError;
use crate::profile::{Profile, ProfileError, Resolved};

/// Alipay's default server timeout is generous; 15 s keeps a hung gateway from blocking anyone.
pub const DEFAULT_TIMEOUT_SECS: u64 = 15;
/// Where Paydesk keeps its embedded database and the simulator's keys, when not told otherwise.
pub const ENV_DATA_DIR: &str = "PAYDESK_DATA_DIR";
/// The desktop app's identifier: its data directory has this name on every OS.
pub const APP_IDENTIFIER: &str = "com.luffycity.paydesk";
/// The embedded database's file name in the data directory.
pub const EMBEDDED_DB: &str = "paydesk.sqlite";

/// `PAYDESK_DATA_DIR`, else the OS's per-user data directory + the app identifier
/// (`~/.local/share/com.luffycity.paydesk` on Linux): the same place for the CLI and the app, so
/// both show the same data out of the box.
pub fn default_data_dir(env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    if let Some(d) = env(ENV_DATA_DIR).filter(|v| !v.is_empty()) {
        return PathBuf::from(d);
    }
    os_data_dir(env).join(APP_IDENTIFIER)
}

fn os_data_dir(env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    let home = || {
        env("HOME")
            .or_else(|| env("USERPROFILE"))
            .map(PathBuf::from)
    };
    if cfg!(windows) {
        if let Some(d) = env("APPDATA") {
            return PathBuf::from(d);
        }
    } else if cfg!(target_os = "macos") {
        if let Some(h) = home() {
            return h.join("Library").join("Application Support");
        }
    } else {
        if let Some(d) = env("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
            return PathBuf::from(d);
        }
        if let Some(h) = home() {
            return h.join(".local").join("share");
        }
    }
    PathBuf::from(".")
}

/// The profile's database: its `database` setting (a path or URL string, or a table with
/// `database`, or the short `url` / `path`), else the embedded database in `data_dir`.
pub fn store_config(
    name: &str,
    profile: &Profile,
    data_dir: &Path,
) -> Result<StoreConfig, ProfileError> {
    let embedded = || data_dir.join(EMBEDDED_DB).to_string_lossy().to_string();
    let bad = |msg: String| ProfileError::Bad {
        profile: name.to_string(),
        field: "database",
        msg,
    };
    let Some(v) = &profile.database else {
        return Ok(StoreConfig::new(embedded()));
    };
    let cfg = match v {
        toml::Value::String(s) if s.trim().is_empty() => StoreConfig::new(embedded()),
        toml::Value::String(s) => StoreConfig::new(s.clone()),
        toml::Value::Table(table) => {
            let mut t = table.clone();
            for short in ["url", "path"] {
                if let Some(s) = t.remove(short) {
                    if t.contains_key("database") {
                        return Err(bad(format!(
                            "give the location once: `database` and `{short}` are both set"
                        )));
                    }
                    t.insert("database".into(), s);
                }
            }
            if !t.contains_key("database") {
                t.insert("database".into(), toml::Value::String(embedded()));
            }
            toml::Value::Table(t)
                .try_into::<StoreConfig>()
                .map_err(|e| bad(e.to_string().trim_end().to_string()))?
        }
        _ => {
            return Err(bad(
                "must be a path or URL string, or a table with `database = \"…\"`".into(),
            ));
        }
    };
    cfg.tables
        .validate()
        .and_then(|()| cfg.target().map(drop))
        .map_err(|e| bad(e.to_string()))?;
    Ok(cfg)
}

/// `sign_type`: exactly "RSA2" (the default) or the legacy "RSA"; anything else is refused, so
/// a typo never silently signs with the other algorithm.
pub fn sign_type(r: &Resolved) -> Result<SignType, ProfileError> {
    match r.profile.sign_type.as_deref() {
        None => Ok(SignType::Rsa2),
        Some(s) => s.parse().map_err(|e| ProfileError::Bad {
            profile: r.name.clone(),
            field: "sign_type",
            msg: format!("{e}"),
        }),
    }
}

pub fn timeout(r: &Resolved) -> Duration {
    Duration::from_secs(
        r.profile
            .timeout_secs
            .unwrap_or(DEFAULT_TIMEOUT_SECS)
            .max(1),
    )
}

fn key_error(r: &Resolved, e: impl std::fmt::Display) -> ProfileError {
    ProfileError::Key {
        profile: r.name.clone(),
        msg: e.to_string(),
    }
}

/// Certificate mode, when the profile configures it.
pub fn cert_mode(r: &Resolved) -> Result<Option<CertMode>, ProfileError> {
    match r.profile.cert_paths(&r.name)? {
        None => Ok(None),
        Some((app, alipay, root)) => CertMode::load(app, alipay, root)
            .map(Some)
            .map_err(|e| key_error(r, e)),
    }
}

/// The app as the gateway knows it: app_id, private key (checked for the sign type), and the
/// certificate SNs in certificate mode.
pub fn app_identity(r: &Resolved, cert: Option<&CertMode>) -> Result<AppIdentity, ProfileError> {
    let app_id = r.require("app_id", &r.profile.app_id)?;
    let key_path = r.require_path("app_private_key", &r.profile.app_private_key)?;
    let key = PrivateKey::from_file(key_path).map_err(|e| key_error(r, e))?;
    let st = sign_type(r)?;
    key.check_for(st, &key_path.display().to_string())
        .map_err(|e| key_error(r, e))?;
    let mut app = AppIdentity::new(app_id, Arc::new(key));
    app.sign_type = st;
    if let Some(c) = cert {
        let src = r
            .profile
            .app_cert
            .as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        c.check_app_key(&app.private_key, &src)
            .map_err(|e| key_error(r, e))?;
        app = c.apply(app);
    }
    Ok(app)
}

/// Alipay's public key: from its certificate in certificate mode, else `alipay_public_key`.
pub fn alipay_public_key(r: &Resolved, cert: Option<&CertMode>) -> Result<PublicKey, ProfileError> {
    if let Some(c) = cert
        && r.profile.alipay_public_key.is_none()
    {
        return Ok(c.alipay_public_key.clone());
    }
    let path = r.require_path("alipay_public_key", &r.profile.alipay_public_key)?;
    PublicKey::from_file(path).map_err(|e| key_error(r, e))
}

/// Refuses the most common misconfiguration before any call: the app's own public key set as
/// Alipay's, which makes every verification fail.
pub fn refuse_own_key(
    app: &AppIdentity,
    alipay: &PublicKey,
    r: &Resolved,
) -> Result<(), ProfileError> {
    check_alipay_public_key(&app.private_key, alipay).map_err(|e| {
        let src = r
            .profile
            .alipay_public_key
            .as_deref()
            .map(|p| format!("{}: ", p.display()))
            .unwrap_or_default();
        key_error(r, format!("{src}{e}"))
    })
}

/// The gateway client of a profile, every setting checked: what the raw gateway commands and
/// [`gateway`] build on.
pub fn gateway_client(
    r: &Resolved,
    clock: Arc<dyn Clock>,
) -> Result<(GatewayClient, AppIdentity, String), ProfileError> {
    let url = r.require("gateway", &r.profile.gateway)?.to_string();
    let cert = cert_mode(r)?;
    let app = app_identity(r, cert.as_ref())?;
    let alipay_key = alipay_public_key(r, cert.as_ref())?;
    refuse_own_key(&app, &alipay_key, r)?;
    let client = GatewayClient::new(
        GatewayConfig {
            gateway_url: url.clone(),
            app: app.clone(),
            alipay_public_key: alipay_key,
            alipay_cert_sn: cert.map(|c| c.alipay_cert_sn),
            timeout: timeout(r),
        },
        clock,
    )
    .map_err(|e| ProfileError::Bad {
        profile: r.name.clone(),
        field: "gateway",
        msg: e.to_string(),
    })?;
    Ok((client, app, url))
}

/// The profile's Alipay side for a desk.
pub fn gateway(r: &Resolved, clock: Arc<dyn Clock>) -> Result<Gateway, ProfileError> {
    let (client, app, gateway_url) = gateway_client(r, clock)?;
    Ok(Gateway {
        client,
        app,
        gateway_url,
        seller_id: r.profile.seller_id.clone().unwrap_or_default(),
        return_url: None,
        notify_url: None,
    })
}

/// Whether a profile configures Alipay at all. One that names none of gateway, app_id and key
/// is a browse-only profile (orders, grants, the audit log); one that names some is meant to
/// reach Alipay, so what is missing is an error worth showing.
pub fn configures_gateway(p: &Profile) -> bool {
    p.gateway.is_some() || p.app_id.is_some() || p.app_private_key.is_some()
}

/// Who is acting: the profile's operator, else the OS user.
pub fn operator(p: &Profile) -> String {
    p.operator
        .clone()
        .filter(|o| !o.trim().is_empty())
        .unwrap_or_else(os_user)
}

/// Every setting of a profile that can be checked without the network or the database: what the
/// app's Settings refuses before saving and what both front ends refuse before opening.
pub fn validate(r: &Resolved, data_dir: &Path) -> Result<(), ProfileError> {
    store_config(&r.name, &r.profile, data_dir)?;
    sign_type(r)?;
    r.profile.cert_paths(&r.name)?;
    r.profile.fee_rate(&r.name)?;
    Ok(())
}

/// Why a desk could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OpenError {
    pub fn kind(&self) -> crate::ErrorKind {
        match self {
            OpenError::Profile(e) => e.kind(),
            OpenError::Store(e) => e.kind(),
        }
    }
}

/// How a front end wants the desk.
pub struct OpenOptions<'a> {
    pub access: Access,
    /// Load keys and build the gateway client; a profile that cannot is refused with the reason.
    /// Without it, a profile's gateway is built when configured, and an incomplete one is kept
    /// as the reason operations that need Alipay give.
    pub require_gateway: bool,
    /// A database that beats the profile's (`--database`, `PAYDESK_DATABASE`).
    pub database: Option<&'a str>,
    pub data_dir: &'a Path,
    pub clock: Arc<dyn Clock>,
}

/// Opens the profile's database (checked; migrated when opened for writing) and, as asked, its
/// gateway.
pub async fn open(r: &Resolved, o: OpenOptions<'_>) -> Result<Desk, OpenError> {
    validate(r, o.data_dir)?;
    let cfg = match o.database.map(str::trim).filter(|s| !s.is_empty()) {
        Some(db) => StoreConfig::new(db),
        None => store_config(&r.name, &r.profile, o.data_dir)?,
    };
    // Keys first: a profile whose keys cannot be loaded is refused before the database is touched.
    let gateway = if o.require_gateway || configures_gateway(&r.profile) {
        match gateway(r, o.clock.clone()) {
            Ok(g) => Ok(g),
            Err(e) if o.require_gateway => return Err(e.into()),
            Err(e) => Err(e.to_string()),
        }
    } else {
        Err(NO_GATEWAY.to_string())
    };
    let fee_rate = r.profile.fee_rate(&r.name)?;
    let store = admin::open_platform(&cfg, o.clock, o.access).await?;
    let mut desk = Desk::new(store, &r.name, r.profile.kind, operator(&r.profile));
    desk.fee_rate = fee_rate;
    Ok(match gateway {
        Ok(g) => desk.with_gateway(g),
        Err(why) => desk.without_gateway(why),
    })
}

/// Why a browse-only profile cannot reach Alipay.
pub const NO_GATEWAY: &str = "this profile has no Alipay gateway configured: set gateway, app_id, \
                              app_private_key and alipay_public_key (or the three certificates)";

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(toml_text: &str) -> Resolved {
        let file =
            crate::profile::ProfileFile::parse(toml_text, Path::new("paydesk.toml")).unwrap();
        Resolved {
            name: "p".into(),
            file: None,
            profile: file.profiles["p"].clone(),
        }
    }

    #[test]
    fn a_sign_type_typo_is_refused_not_read_as_rsa2() {
        let r = resolved("[profiles.p]\nsign_type = \"RSA256\"\n");
        let e = sign_type(&r).unwrap_err().to_string();
        assert!(e.contains("sign_type"), "{e}");
        assert_eq!(
            sign_type(&resolved("[profiles.p]\n")).unwrap(),
            SignType::Rsa2
        );
        assert_eq!(
            sign_type(&resolved("[profiles.p]\nsign_type = \"RSA\"\n")).unwrap(),
            SignType::Rsa
        );
    }

    #[test]
    fn database_settings_read_the_same_in_every_spelling() {
        let dir = Path::new("/data");
        let of = |t: &str| store_config("p", &resolved(t).profile, dir);
        assert_eq!(
            of("[profiles.p]\n").unwrap().database,
            "/data/paydesk.sqlite"
        );
        for t in [
            "[profiles.p]\ndatabase = \"/x.sqlite\"\n",
            "[profiles.p.database]\ndatabase = \"/x.sqlite\"\n",
            "[profiles.p.database]\npath = \"/x.sqlite\"\n",
        ] {
            assert_eq!(of(t).unwrap().database, "/x.sqlite", "{t}");
        }
        let e = of(
            "[profiles.p.database]\npath = \"/x\"\n[profiles.p.database.tables]\nuser = \"u\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("database") && e.contains("user"), "{e}");
        let e = of("[profiles.p.database]\npath = \"/x\"\nurl = \"/y\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("both set"), "{e}");
    }

    #[test]
    fn the_data_dir_is_the_apps_on_every_front_end() {
        let env = |k: &str| match k {
            "HOME" => Some("/home/f".to_string()),
            _ => None,
        };
        if cfg!(target_os = "linux") {
            assert_eq!(
                default_data_dir(&env),
                PathBuf::from("/home/f/.local/share/com.luffycity.paydesk")
            );
        }
        let env = |k: &str| (k == ENV_DATA_DIR).then(|| "/d".to_string());
        assert_eq!(default_data_dir(&env), PathBuf::from("/d"));
    }
}
