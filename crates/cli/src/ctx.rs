//! What every command gets from the global flags: output mode and how to find its profile.

use std::path::PathBuf;

use crate::exit::Failure;
use crate::profile::{Overrides, Resolved};

#[derive(Debug, Clone)]
pub struct Ctx {
    pub json: bool,
    pub config: Option<PathBuf>,
    pub profile: String,
}

impl Ctx {
    /// Resolves the profile only when a command needs settings, so `keys show` and friends
    /// never fail over a broken settings file they do not use.
    pub fn resolve(&self, flags: &Overrides) -> Result<Resolved, Failure> {
        let cwd = std::env::current_dir()
            .map_err(|e| Failure::input(format!("cannot read the current directory: {e}")))?;
        let env = |k: &str| std::env::var(k).ok();
        Ok(Resolved::resolve(
            self.config.as_deref(),
            &self.profile,
            &env,
            &cwd,
            flags,
        )?)
    }
}
