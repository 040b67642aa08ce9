//! Where Paydesk keeps things, and the profiles of `paydesk.toml`.
//!
//! The profile model is core's (`paydesk_core::profile`, shared with the `paydesk` CLI), so the
//! app and the CLI read one settings file the same way.

use std::path::{Path, PathBuf};

use paydesk_core::StoreConfig;

pub use paydesk_core::profile as model;

use model::{Located, Profile, ProfileFile};
use paydesk_core::{desk_open, profile_repair};

use crate::error::{IpcError, IpcResult};

pub const SIMULATOR: &str = model::DEFAULT_PROFILE;
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
    /// Core's data directory (the CLI's too); `PAYDESK_CONFIG` beats the CLI's search.
    pub fn resolve() -> Paths {
        let env = |k: &str| std::env::var(k).ok();
        let data_dir = desk_open::default_data_dir(&env);
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
        self.data_dir.join(desk_open::EMBEDDED_DB)
    }

    /// A profile of the settings file with the environment's `PAYDESK_*` overrides applied, as
    /// the CLI resolves it.
    pub fn resolve_profile(&self, name: &str) -> IpcResult<model::Resolved> {
        let env = |k: &str| std::env::var(k).ok();
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        Ok(model::Resolved::resolve(
            Some(&self.config.path),
            name,
            &env,
            &cwd,
            &model::Overrides::default(),
        )?)
    }

    /// The profiles that read. A file with a broken profile is refused here, so nothing is
    /// saved over it until it is repaired (Settings shows it with [`Paths::load_lenient`]).
    pub fn load(&self) -> IpcResult<ProfileFile> {
        let l = self.load_lenient()?;
        if let Some((name, problem)) = l.broken.iter().next() {
            return Err(IpcError::invalid(format!(
                "{}: profile {name:?} cannot be read ({problem}): repair it first in Settings → \
                 Edit paydesk.toml",
                self.config.path.display()
            )));
        }
        Ok(l.file)
    }

    /// Every profile that reads, and the problems of those that do not. A settings file that
    /// does not exist yet is an empty one: the Settings view creates it.
    pub fn load_lenient(&self) -> IpcResult<profile_repair::Lenient> {
        if !self.config.path.exists() {
            return Ok(profile_repair::Lenient::default());
        }
        Ok(profile_repair::load_lenient(&self.config)?)
    }

    /// The file's text ('' when it does not exist yet).
    pub fn text(&self) -> IpcResult<String> {
        if !self.config.path.exists() {
            return Ok(String::new());
        }
        Ok(model::read_text(&self.config)?)
    }

    /// Writes a corrected text, only when every profile in it reads and opens as core would.
    pub fn save_text(&self, text: &str) -> IpcResult<()> {
        profile_repair::check_text(text, &self.config.path, &self.data_dir).map_err(
            |problems| IpcError::invalid(format!("nothing was saved: {}", problems.join("; "))),
        )?;
        self.write(text)
    }

    fn write(&self, text: &str) -> IpcResult<()> {
        if let Some(dir) = self.config.path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| IpcError::invalid(format!("cannot create {}: {e}", dir.display())))?;
        }
        std::fs::write(&self.config.path, text).map_err(|e| {
            IpcError::invalid(format!("cannot write {}: {e}", self.config.path.display()))
        })
    }

    pub fn save(&self, file: &ProfileFile) -> IpcResult<()> {
        let text = toml::to_string_pretty(file)
            .map_err(|e| IpcError::internal("writing the settings file", &e))?;
        // What is written must read back as the same profiles through core's parser (the CLI's).
        let back = ProfileFile::parse(&text, &self.config.path)?;
        if &back != file {
            return Err(IpcError::internal(
                "writing the settings file",
                &"the written text does not read back as the same profiles",
            ));
        }
        self.write(&text)
    }
}

/// The profile's database as core reads it (see `paydesk_core::desk_open::store_config`).
pub fn store_config(name: &str, p: &Profile, data_dir: &Path) -> IpcResult<StoreConfig> {
    Ok(desk_open::store_config(name, p, data_dir)?)
}
