//! Where Paydesk keeps things, and the profiles of `paydesk.toml`.
//!
//! The profile model is core's (`paydesk_core::profile`, shared with the `paydesk` CLI), so the
//! app and the CLI read one settings file the same way.

use std::path::{Path, PathBuf};

use paydesk_core::{DeletedColumn, StoreConfig};

pub use paydesk_core::profile as model;

use model::{Located, Profile, ProfileFile, ProfileKind as FileKind};

use crate::dto::profiles::ProfileKind;
use crate::error::{IpcError, IpcResult};

pub const SIMULATOR: &str = model::DEFAULT_PROFILE;
pub const ENV_DATA_DIR: &str = "PAYDESK_DATA_DIR";
/// How many demo orders a new embedded database gets (the benchmark asks for 1,000,000).
pub const ENV_DEMO_ORDERS: &str = "PAYDESK_DEMO_ORDERS";
pub const DEFAULT_DEMO_ORDERS: u64 = 5_000;

/// The directories the app works in, fixed at start.
#[derive(Debug, Clone)]
pub struct Paths {
    /// Embedded database, simulator keys and state.
    pub data_dir: PathBuf,
    /// The settings file: read when it exists, written by the Settings view.
    pub config: Located,
    /// Demo orders a new embedded database gets.
    pub demo_orders: u64,
}

impl Paths {
    /// `PAYDESK_DATA_DIR` beats the platform's data dir; `PAYDESK_CONFIG` beats the CLI's search.
    pub fn resolve(default_data_dir: PathBuf) -> Paths {
        let env = |k: &str| std::env::var(k).ok();
        let data_dir = env(ENV_DATA_DIR)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or(default_data_dir);
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let config = model::locate(None, &env, &cwd).unwrap_or_else(|| {
            let base = env("XDG_CONFIG_HOME")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".config")))
                .unwrap_or_else(|| data_dir.clone());
            Located {
                path: base.join("paydesk").join(model::FILE_NAME),
                explicit: false,
                given_by: "default".into(),
            }
        });
        let demo_orders = env(ENV_DEMO_ORDERS)
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(DEFAULT_DEMO_ORDERS);
        Paths {
            data_dir,
            config,
            demo_orders,
        }
    }

    /// Everything under one directory (tests, the E2E runner).
    pub fn under(dir: &Path, demo_orders: u64) -> Paths {
        let config = Located {
            path: dir.join("config").join(model::FILE_NAME),
            explicit: false,
            given_by: "test".into(),
        };
        Paths {
            data_dir: dir.join("data"),
            config,
            demo_orders,
        }
    }

    pub fn sim_dir(&self) -> PathBuf {
        self.data_dir.join("sim")
    }

    pub fn embedded_db(&self) -> PathBuf {
        self.data_dir.join("paydesk.sqlite")
    }

    pub fn load(&self) -> IpcResult<ProfileFile> {
        // A settings file that does not exist yet is an empty one: the Settings view creates it.
        if !self.config.path.exists() {
            return Ok(ProfileFile::default());
        }
        ProfileFile::load(&self.config).map_err(|e| IpcError::invalid(e.to_string()))
    }

    pub fn save(&self, file: &ProfileFile) -> IpcResult<()> {
        let text = toml::to_string_pretty(file)
            .map_err(|e| IpcError::internal("writing the settings file", &e))?;
        if let Some(dir) = self.config.path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| IpcError::invalid(format!("cannot create {}: {e}", dir.display())))?;
        }
        std::fs::write(&self.config.path, text).map_err(|e| {
            IpcError::invalid(format!("cannot write {}: {e}", self.config.path.display()))
        })
    }
}

pub fn kind_of(p: &Profile) -> ProfileKind {
    match p.kind {
        FileKind::Simulator => ProfileKind::Simulator,
        FileKind::Sandbox => ProfileKind::Sandbox,
        FileKind::Production => ProfileKind::Production,
    }
}

pub fn file_kind(k: ProfileKind) -> FileKind {
    match k {
        ProfileKind::Simulator => FileKind::Simulator,
        ProfileKind::Sandbox => FileKind::Sandbox,
        ProfileKind::Production => FileKind::Production,
    }
}

/// The profile's `[database]` table as core's StoreConfig. Accepts core's own shape
/// (`database = "…"`, `tables`, `deleted_column`) and the short `url = "…"` / `path = "…"`.
pub fn store_config(p: &Profile, fallback: &Path) -> IpcResult<StoreConfig> {
    let Some(v) = &p.database else {
        return Ok(StoreConfig::new(fallback.to_string_lossy().to_string()));
    };
    let Some(table) = v.as_table() else {
        return match v.as_str() {
            Some(s) => Ok(StoreConfig::new(s.to_string())),
            None => Err(IpcError::invalid(
                "the profile's database must be a table or a string",
            )),
        };
    };
    let mut t = table.clone();
    for short in ["url", "path"] {
        if let Some(s) = t.remove(short) {
            t.insert("database".into(), s);
        }
    }
    if !t.contains_key("database") {
        t.insert(
            "database".into(),
            toml::Value::String(fallback.to_string_lossy().to_string()),
        );
    }
    toml::Value::Table(t)
        .try_into::<StoreConfig>()
        .map_err(|e| IpcError::invalid(format!("the profile's database settings: {e}")))
}

pub fn deleted_column(c: DeletedColumn) -> crate::dto::profiles::IsDeletedColumn {
    match c {
        DeletedColumn::IsDeleted => crate::dto::profiles::IsDeletedColumn::IsDeleted,
        DeletedColumn::IsDelete => crate::dto::profiles::IsDeletedColumn::IsDelete,
    }
}
