//! Settings profiles from `paydesk.toml`.
//!
//! Plain serde structs plus resolution rules (file location, profile choice, environment and
//! flag overrides), free of clap: the CLI and the desktop app resolve profiles the same way.
//!
//! ```toml
//! [profiles.sandbox]
//! kind = "sandbox"
//! gateway = "https://openapi-sandbox.dl.alipaydev.com/gateway.do"
//! app_id = "9021000000000000"
//! app_private_key = "keys/sandbox/app_private_key.pem"
//! alipay_public_key = "keys/sandbox/alipay_public_key.txt"
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The profile used when none is named: the offline simulator, so a new user never reaches
/// Alipay's network by accident.
pub const DEFAULT_PROFILE: &str = "simulator";
pub const FILE_NAME: &str = "paydesk.toml";

/// Environment variables that choose the file and the profile.
pub const ENV_CONFIG: &str = "PAYDESK_CONFIG";
pub const ENV_PROFILE: &str = "PAYDESK_PROFILE";

/// What a profile talks to. Production is singled out by the UI (banner, typed confirmation).
/// Production refuses tester-only operations (test orders, demo data) and asks for typed
/// confirmations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum ProfileKind {
    #[default]
    Simulator,
    Sandbox,
    Production,
}

impl ProfileKind {
    pub const ALL: [ProfileKind; 3] = [
        ProfileKind::Simulator,
        ProfileKind::Sandbox,
        ProfileKind::Production,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProfileKind::Simulator => "simulator",
            ProfileKind::Sandbox => "sandbox",
            ProfileKind::Production => "production",
        }
    }
}

impl fmt::Display for ProfileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `[profiles.NAME]` table. Every field is optional in the file: what a command needs is
/// checked when it needs it, so `verify` works with only `alipay_public_key` set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(default)]
    pub kind: ProfileKind,
    pub gateway: Option<String>,
    pub app_id: Option<String>,
    pub seller_id: Option<String>,
    /// "RSA2" (default) or the legacy "RSA"; kept as text so a typo gets our own message.
    pub sign_type: Option<String>,
    pub app_private_key: Option<PathBuf>,
    pub alipay_public_key: Option<PathBuf>,
    /// Public-key certificate mode (公钥证书): all three together, instead of `alipay_public_key`.
    pub app_cert: Option<PathBuf>,
    pub alipay_cert: Option<PathBuf>,
    pub alipay_root_cert: Option<PathBuf>,
    pub timeout_secs: Option<u64>,
    /// Who is acting, recorded in audit rows by crates/core.
    pub operator: Option<String>,
    /// Reserved for crates/core (store connection); passed through untouched.
    pub database: Option<toml::Value>,
    /// The contract's service fee rate (`"0.6%"` or `"0.006"`, the default): reconciliation
    /// checks every trade's 服务费 against it.
    pub fee_rate: Option<String>,
}

/// The whole `paydesk.toml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFile {
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// Values that beat the file: environment first, then command-line flags.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    pub gateway: Option<String>,
    pub app_id: Option<String>,
    pub seller_id: Option<String>,
    pub sign_type: Option<String>,
    pub app_private_key: Option<PathBuf>,
    pub alipay_public_key: Option<PathBuf>,
    pub app_cert: Option<PathBuf>,
    pub alipay_cert: Option<PathBuf>,
    pub alipay_root_cert: Option<PathBuf>,
    pub timeout_secs: Option<u64>,
    pub operator: Option<String>,
}

/// `(field, environment variable, flag)`: one table so errors and docs name them the same way.
pub const FIELDS: &[(&str, &str, &str)] = &[
    ("gateway", "PAYDESK_GATEWAY", "--gateway"),
    ("app_id", "PAYDESK_APP_ID", "--app-id"),
    ("seller_id", "PAYDESK_SELLER_ID", "--seller-id"),
    ("sign_type", "PAYDESK_SIGN_TYPE", "--sign-type"),
    (
        "app_private_key",
        "PAYDESK_APP_PRIVATE_KEY",
        "--private-key",
    ),
    (
        "alipay_public_key",
        "PAYDESK_ALIPAY_PUBLIC_KEY",
        "--alipay-public-key",
    ),
    ("app_cert", "PAYDESK_APP_CERT", "--app-cert"),
    ("alipay_cert", "PAYDESK_ALIPAY_CERT", "--alipay-cert"),
    (
        "alipay_root_cert",
        "PAYDESK_ALIPAY_ROOT_CERT",
        "--alipay-root-cert",
    ),
    ("timeout_secs", "PAYDESK_TIMEOUT_SECS", "--timeout-secs"),
    ("operator", "PAYDESK_OPERATOR", "--operator"),
];

fn env_name(field: &str) -> &'static str {
    FIELDS
        .iter()
        .find(|(f, _, _)| *f == field)
        .map(|(_, e, _)| *e)
        .unwrap_or("")
}

fn flag_name(field: &str) -> &'static str {
    FIELDS
        .iter()
        .find(|(f, _, _)| *f == field)
        .map(|(_, _, fl)| *fl)
        .unwrap_or("")
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("{path}: cannot read the settings file: {msg}")]
    Unreadable { path: String, msg: String },
    #[error("{path}: not a valid paydesk.toml: {msg}")]
    Invalid { path: String, msg: String },
    #[error("{path}: the settings file given by {given_by} does not exist")]
    NotFound { path: String, given_by: String },
    #[error("unknown profile {name:?}: {known}")]
    Unknown { name: String, known: String },
    #[error("{what} is not set for profile {profile:?}: {how}")]
    Missing {
        what: &'static str,
        profile: String,
        how: String,
    },
    #[error("{var}={value:?} is not a valid {what}")]
    BadEnv {
        var: &'static str,
        value: String,
        what: &'static str,
    },
    #[error("profile {profile:?} mixes key modes: {msg}")]
    Conflict { profile: String, msg: String },
    /// A setting that is there but wrong (`sign_type = "RSA256"`, a database table key the
    /// core does not know): names the field and the accepted values.
    #[error("profile {profile:?}: {field}: {msg}")]
    Bad {
        profile: String,
        field: &'static str,
        msg: String,
    },
    /// A key or certificate file that cannot be used (unreadable, wrong format, not the pair).
    #[error("profile {profile:?}: {msg}")]
    Key { profile: String, msg: String },
}

impl ProfileError {
    pub fn kind(&self) -> crate::ErrorKind {
        crate::ErrorKind::InvalidInput
    }
}

/// Where the settings file is, and why that one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub path: PathBuf,
    /// True when the user named it (flag or env): then it must exist.
    pub explicit: bool,
    pub given_by: String,
}

/// `--config F`, else `$PAYDESK_CONFIG`, else `./paydesk.toml`, else
/// `$XDG_CONFIG_HOME/paydesk/paydesk.toml` (`~/.config/...` when XDG_CONFIG_HOME is unset).
/// `None` when nothing was named and no default file exists.
pub fn locate(
    flag: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
    cwd: &Path,
) -> Option<Located> {
    if let Some(p) = flag {
        return Some(Located {
            path: p.to_path_buf(),
            explicit: true,
            given_by: "--config".into(),
        });
    }
    if let Some(p) = env(ENV_CONFIG).filter(|v| !v.is_empty()) {
        return Some(Located {
            path: PathBuf::from(p),
            explicit: true,
            given_by: ENV_CONFIG.into(),
        });
    }
    let local = cwd.join(FILE_NAME);
    if local.is_file() {
        return Some(Located {
            path: local,
            explicit: false,
            given_by: "the current directory".into(),
        });
    }
    let xdg = env("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    let user = xdg.join("paydesk").join(FILE_NAME);
    user.is_file().then(|| Located {
        path: user,
        explicit: false,
        given_by: "XDG_CONFIG_HOME".into(),
    })
}

/// The settings file's text; a missing file named by the user is an error of its own.
pub fn read_text(loc: &Located) -> Result<String, ProfileError> {
    std::fs::read_to_string(&loc.path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            ProfileError::NotFound {
                path: loc.path.display().to_string(),
                given_by: loc.given_by.clone(),
            }
        } else {
            ProfileError::Unreadable {
                path: loc.path.display().to_string(),
                msg: e.to_string(),
            }
        }
    })
}

impl ProfileFile {
    pub fn parse(text: &str, path: &Path) -> Result<Self, ProfileError> {
        toml::from_str(text).map_err(|e| ProfileError::Invalid {
            path: path.display().to_string(),
            msg: e.to_string().trim_end().to_string(),
        })
    }

    /// Reads the file and makes relative key and certificate paths relative to the file's own
    /// directory, so a profile works whatever directory the command runs from.
    pub fn load(loc: &Located) -> Result<Self, ProfileError> {
        let text = read_text(loc)?;
        let mut file = Self::parse(&text, &loc.path)?;
        file.anchor(&loc.path);
        Ok(file)
    }

    /// Relative paths of every profile made relative to the settings file's directory.
    pub fn anchor(&mut self, settings_file: &Path) {
        let base = settings_file.parent().unwrap_or(Path::new("."));
        for p in self.profiles.values_mut() {
            p.anchor_paths(base);
        }
    }

    /// The named profile. The default simulator profile exists even when the file does not
    /// define it: it needs nothing from the file.
    pub fn profile(&self, name: &str, file: Option<&Path>) -> Result<Profile, ProfileError> {
        if let Some(p) = self.profiles.get(name) {
            return Ok(p.clone());
        }
        if name == DEFAULT_PROFILE {
            return Ok(Profile::default());
        }
        let known = if self.profiles.is_empty() {
            match file {
                Some(f) => format!(
                    "{} defines no profiles; add a [profiles.{name}] table",
                    f.display()
                ),
                None => format!(
                    "no settings file found (looked for ./{FILE_NAME} and $XDG_CONFIG_HOME/paydesk/{FILE_NAME}); \
                     create one with a [profiles.{name}] table or pass --config FILE"
                ),
            }
        } else {
            let names: Vec<&str> = self.profiles.keys().map(String::as_str).collect();
            let mut s = format!("known profiles: {}", names.join(", "));
            if let Some(f) = file {
                s.push_str(&format!(" (in {})", f.display()));
            }
            s
        };
        Err(ProfileError::Unknown {
            name: name.to_string(),
            known,
        })
    }
}

/// A profile chosen and overridden: what commands read their settings from.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub name: String,
    pub file: Option<PathBuf>,
    pub profile: Profile,
}

impl Overrides {
    /// Reads the `PAYDESK_*` variables of [`FIELDS`].
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Self, ProfileError> {
        let get = |field: &str| env(env_name(field)).filter(|v| !v.is_empty());
        let timeout_secs = match get("timeout_secs") {
            None => None,
            Some(v) => Some(v.trim().parse::<u64>().map_err(|_| ProfileError::BadEnv {
                var: env_name("timeout_secs"),
                value: v.clone(),
                what: "number of seconds",
            })?),
        };
        Ok(Overrides {
            gateway: get("gateway"),
            app_id: get("app_id"),
            seller_id: get("seller_id"),
            sign_type: get("sign_type"),
            app_private_key: get("app_private_key").map(PathBuf::from),
            alipay_public_key: get("alipay_public_key").map(PathBuf::from),
            app_cert: get("app_cert").map(PathBuf::from),
            alipay_cert: get("alipay_cert").map(PathBuf::from),
            alipay_root_cert: get("alipay_root_cert").map(PathBuf::from),
            timeout_secs,
            operator: get("operator"),
        })
    }
}

impl Profile {
    fn anchor_paths(&mut self, base: &Path) {
        for p in [
            &mut self.app_private_key,
            &mut self.alipay_public_key,
            &mut self.app_cert,
            &mut self.alipay_cert,
            &mut self.alipay_root_cert,
        ]
        .into_iter()
        .flatten()
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
    }

    /// Applies overrides; a value set there replaces the file's.
    pub fn apply(&mut self, o: &Overrides) {
        fn set<T: Clone>(dst: &mut Option<T>, src: &Option<T>) {
            if src.is_some() {
                dst.clone_from(src);
            }
        }
        set(&mut self.gateway, &o.gateway);
        set(&mut self.app_id, &o.app_id);
        set(&mut self.seller_id, &o.seller_id);
        set(&mut self.sign_type, &o.sign_type);
        set(&mut self.app_private_key, &o.app_private_key);
        set(&mut self.alipay_public_key, &o.alipay_public_key);
        set(&mut self.app_cert, &o.app_cert);
        set(&mut self.alipay_cert, &o.alipay_cert);
        set(&mut self.alipay_root_cert, &o.alipay_root_cert);
        set(&mut self.timeout_secs, &o.timeout_secs);
        set(&mut self.operator, &o.operator);
    }

    /// The fee rate reconciliation checks 服务费 against: the profile's, else 0.6 %.
    pub fn fee_rate(&self, profile: &str) -> Result<Decimal, ProfileError> {
        match self.fee_rate.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(crate::reconcile::checks::DEFAULT_FEE_RATE),
            Some(s) => crate::reconcile::checks::FeeRate::parse(s)
                .map(|r| r.rate())
                .ok_or_else(|| ProfileError::Invalid {
                    path: format!("[profiles.{profile}]"),
                    msg: format!(
                        "fee_rate = {s:?} is not a rate: write it as \"0.6%\" or \"0.006\" (0 to 100 %)"
                    ),
                }),
        }
    }

    /// Certificate mode when any certificate is configured (then all three are required).
    pub fn cert_paths(&self, name: &str) -> Result<Option<(&Path, &Path, &Path)>, ProfileError> {
        match (&self.app_cert, &self.alipay_cert, &self.alipay_root_cert) {
            (None, None, None) => Ok(None),
            (Some(a), Some(b), Some(c)) => Ok(Some((a, b, c))),
            _ => {
                let missing: Vec<&str> = [
                    ("app_cert", self.app_cert.is_none()),
                    ("alipay_cert", self.alipay_cert.is_none()),
                    ("alipay_root_cert", self.alipay_root_cert.is_none()),
                ]
                .into_iter()
                .filter(|(_, m)| *m)
                .map(|(f, _)| f)
                .collect();
                Err(ProfileError::Conflict {
                    profile: name.to_string(),
                    msg: format!(
                        "certificate mode needs app_cert, alipay_cert and alipay_root_cert together; missing: {}",
                        missing.join(", ")
                    ),
                })
            }
        }
    }
}

impl Resolved {
    /// Loads the file (if any), picks the profile and applies env then flag overrides.
    /// `explicit_name` is true when the user named the profile (flag or env), so a missing
    /// default profile is not an error but a named one is.
    pub fn resolve(
        config_flag: Option<&Path>,
        profile_name: &str,
        env: &dyn Fn(&str) -> Option<String>,
        cwd: &Path,
        flags: &Overrides,
    ) -> Result<Self, ProfileError> {
        let located = locate(config_flag, env, cwd);
        // One broken profile does not stop the others: only the one asked for must read.
        let (file, path) = match &located {
            Some(loc) => {
                let lenient = crate::profile_repair::load_lenient(loc)?;
                if let Some(problem) = lenient.broken.get(profile_name) {
                    return Err(ProfileError::Invalid {
                        path: loc.path.display().to_string(),
                        msg: problem.clone(),
                    });
                }
                (lenient.file, Some(loc.path.clone()))
            }
            None => (ProfileFile::default(), None),
        };
        let mut profile = file.profile(profile_name, path.as_deref())?;
        profile.apply(&Overrides::from_env(env)?);
        profile.apply(flags);
        Ok(Resolved {
            name: profile_name.to_string(),
            file: path,
            profile,
        })
    }

    /// The error for a setting a command needs but nobody gave, naming all three ways to set it.
    pub fn missing(&self, field: &'static str) -> ProfileError {
        let table = format!("[profiles.{}]", self.name);
        let where_ = match &self.file {
            Some(f) => format!("`{field} = ...` under {table} in {}", f.display()),
            None => format!("`{field} = ...` under {table} in ./{FILE_NAME}"),
        };
        let mut how = format!(
            "pass {} or set {} or {where_}",
            flag_name(field),
            env_name(field)
        );
        if self.profile.kind == ProfileKind::Simulator && field != "seller_id" {
            // The simulator writes its own profile: the quickest way to a working setup.
            how.push_str(&format!(
                "; for the offline simulator run `paydesk sim --write-profile {}` in another terminal",
                self.file
                    .as_deref()
                    .map_or_else(|| FILE_NAME.to_string(), |f| f.display().to_string())
            ));
        }
        ProfileError::Missing {
            what: field,
            profile: self.name.clone(),
            how,
        }
    }

    pub fn require<'a>(
        &self,
        field: &'static str,
        v: &'a Option<String>,
    ) -> Result<&'a str, ProfileError> {
        v.as_deref()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| self.missing(field))
    }

    pub fn require_path<'a>(
        &self,
        field: &'static str,
        v: &'a Option<PathBuf>,
    ) -> Result<&'a Path, ProfileError> {
        v.as_deref().ok_or_else(|| self.missing(field))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    const SAMPLE: &str = r#"
[profiles.simulator]
kind = "simulator"
gateway = "http://127.0.0.1:9999/gateway.do"

[profiles.sandbox]
kind = "sandbox"
gateway = "https://openapi-sandbox.dl.alipaydev.com/gateway.do"
app_id = "9021000000000000"
app_private_key = "keys/sandbox/app_private_key.pem"
alipay_public_key = "/abs/alipay.txt"
timeout_secs = 15

[profiles.sandbox.database]
url = "sqlite://paydesk.db"
"#;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let p = dir.join(FILE_NAME);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn relative_key_paths_follow_the_file_and_database_passes_through() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), SAMPLE);
        let r =
            Resolved::resolve(None, "sandbox", &no_env, d.path(), &Overrides::default()).unwrap();
        assert_eq!(r.profile.kind, ProfileKind::Sandbox);
        assert_eq!(
            r.profile.app_private_key.as_deref(),
            Some(d.path().join("keys/sandbox/app_private_key.pem").as_path())
        );
        assert_eq!(
            r.profile.alipay_public_key.as_deref(),
            Some(Path::new("/abs/alipay.txt"))
        );
        let db = r.profile.database.unwrap();
        assert_eq!(
            db.get("url").and_then(|v| v.as_str()),
            Some("sqlite://paydesk.db")
        );
    }

    #[test]
    fn unknown_profile_lists_the_known_ones() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), SAMPLE);
        let e =
            Resolved::resolve(None, "prod", &no_env, d.path(), &Overrides::default()).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("unknown profile \"prod\""), "{msg}");
        assert!(msg.contains("known profiles: sandbox, simulator"), "{msg}");
    }

    #[test]
    fn default_simulator_profile_needs_no_file() {
        let d = tempfile::tempdir().unwrap();
        let r = Resolved::resolve(
            None,
            DEFAULT_PROFILE,
            &no_env,
            d.path(),
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(r.file, None);
        assert_eq!(r.profile, Profile::default());
    }

    #[test]
    fn env_beats_file_and_flags_beat_env() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), SAMPLE);
        let env = |k: &str| match k {
            "PAYDESK_APP_ID" => Some("from-env".to_string()),
            "PAYDESK_GATEWAY" => Some("http://env/gateway.do".to_string()),
            _ => None,
        };
        let flags = Overrides {
            gateway: Some("http://flag/gateway.do".into()),
            ..Overrides::default()
        };
        let r = Resolved::resolve(None, "sandbox", &env, d.path(), &flags).unwrap();
        assert_eq!(r.profile.app_id.as_deref(), Some("from-env"));
        assert_eq!(r.profile.gateway.as_deref(), Some("http://flag/gateway.do"));
        assert_eq!(r.profile.timeout_secs, Some(15));
    }

    #[test]
    fn config_from_env_must_exist_and_typos_are_named() {
        let d = tempfile::tempdir().unwrap();
        let missing = d.path().join("nope.toml");
        let env = |k: &str| (k == ENV_CONFIG).then(|| missing.display().to_string());
        let e =
            Resolved::resolve(None, "sandbox", &env, d.path(), &Overrides::default()).unwrap_err();
        assert!(
            matches!(e, ProfileError::NotFound { ref given_by, .. } if given_by == ENV_CONFIG),
            "{e}"
        );

        write(d.path(), "[profiles.x]\napp_idd = \"1\"\n");
        let e = Resolved::resolve(None, "x", &no_env, d.path(), &Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("app_idd"), "{e}");
    }

    #[test]
    fn missing_field_says_how_to_set_it() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), SAMPLE);
        let r =
            Resolved::resolve(None, "sandbox", &no_env, d.path(), &Overrides::default()).unwrap();
        let e = r
            .require("seller_id", &r.profile.seller_id)
            .unwrap_err()
            .to_string();
        assert!(e.contains("--seller-id"), "{e}");
        assert!(e.contains("PAYDESK_SELLER_ID"), "{e}");
        assert!(e.contains("[profiles.sandbox]"), "{e}");
    }

    #[test]
    fn partial_cert_mode_is_refused() {
        let p = Profile {
            app_cert: Some("a.crt".into()),
            ..Profile::default()
        };
        let e = p.cert_paths("x").unwrap_err().to_string();
        assert!(e.contains("alipay_cert, alipay_root_cert"), "{e}");
    }

    #[test]
    fn bad_timeout_env_is_named() {
        let env = |k: &str| (k == "PAYDESK_TIMEOUT_SECS").then(|| "ten".to_string());
        let e = Overrides::from_env(&env).unwrap_err().to_string();
        assert!(e.contains("PAYDESK_TIMEOUT_SECS"), "{e}");
    }
}
