//! The simulator's identity: its own "Alipay" key pair, a default merchant app (key pair and
//! app_id) and the seller account, generated on first start into a data directory and reused
//! afterwards. Nothing here is ever committed: the directory lives in the user's data dir.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use alipay::PrivateKey;
use alipay::keys::{WrittenPair, write_pair};
use anyhow::Context as _;
use serde::{Deserialize, Serialize};

pub const DEFAULT_APP_ID: &str = "2021000000000001";

/// Key material the simulator runs with.
#[derive(Clone)]
pub struct SimKeys {
    /// Signs responses, return URLs and notifies, as Alipay's key does.
    pub alipay: Arc<PrivateKey>,
    /// The default merchant app's key; its public half is registered at start.
    pub app: Arc<PrivateKey>,
}

impl std::fmt::Debug for SimKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimKeys")
            .field("alipay", &self.alipay)
            .field("app", &self.app)
            .finish()
    }
}

impl SimKeys {
    /// Two fresh 2048-bit pairs (a second or two each).
    pub fn generate() -> anyhow::Result<Self> {
        Ok(SimKeys {
            alipay: Arc::new(PrivateKey::generate(2048).context("generating the simulator's key")?),
            app: Arc::new(PrivateKey::generate(2048).context("generating the app key")?),
        })
    }
}

/// Who the simulator is: the default app and the seller (merchant) account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub app_id: String,
    pub seller_id: String,
    pub seller_email: String,
}

impl Identity {
    pub fn generate(app_id: Option<&str>) -> Self {
        // Alipay user ids are 16 digits starting 2088.
        let seller_id = format!("2088{:012}", rand::random_range(0..1_000_000_000_000u64));
        Identity {
            app_id: app_id.unwrap_or(DEFAULT_APP_ID).to_string(),
            seller_id,
            seller_email: "merchant@paydesk-sim.test".to_string(),
        }
    }
}

/// Where the files are, for `paydesk sim` to print and for profiles to point at.
#[derive(Debug, Clone, Serialize)]
pub struct KeyPaths {
    pub data_dir: PathBuf,
    pub alipay_public_key_pem: PathBuf,
    pub alipay_public_key_txt: PathBuf,
    pub app: WrittenPair,
}

const IDENTITY: &str = "identity.json";
const ALIPAY_PRIVATE: &str = "alipay/alipay_private_key.pem";
const ALIPAY_PUBLIC_PEM: &str = "alipay/alipay_public_key.pem";
const ALIPAY_PUBLIC_TXT: &str = "alipay/alipay_public_key.txt";

/// Loads the keys and identity from `dir`, creating what is missing.
pub fn load_or_create(
    dir: &Path,
    app_id: Option<&str>,
) -> anyhow::Result<(SimKeys, Identity, KeyPaths)> {
    std::fs::create_dir_all(dir.join("alipay")).with_context(|| {
        format!(
            "cannot create the simulator data directory {}",
            dir.display()
        )
    })?;
    let app_dir = dir.join("app");

    let alipay_path = dir.join(ALIPAY_PRIVATE);
    let alipay = if alipay_path.exists() {
        PrivateKey::from_file(&alipay_path)?
    } else {
        let k = PrivateKey::generate(2048).context("generating the simulator's key")?;
        write_private(&alipay_path, k.to_pkcs8_pem()?.expose())?;
        k
    };
    let pub_pem = dir.join(ALIPAY_PUBLIC_PEM);
    let pub_txt = dir.join(ALIPAY_PUBLIC_TXT);
    // Always rewritten from the private key, so they can never drift apart.
    std::fs::write(&pub_pem, alipay.public_key().to_pem())
        .with_context(|| format!("writing {}", pub_pem.display()))?;
    std::fs::write(&pub_txt, alipay.public_key().to_one_line() + "\n")
        .with_context(|| format!("writing {}", pub_txt.display()))?;

    let app_key_path = app_dir.join("app_private_key.pem");
    let (app, pair) = if app_key_path.exists() {
        let k = PrivateKey::from_file(&app_key_path)?;
        let pair = write_pair(&k, &app_dir)?;
        (k, pair)
    } else {
        let k = PrivateKey::generate(2048).context("generating the app key")?;
        let pair = write_pair(&k, &app_dir)?;
        (k, pair)
    };

    let id_path = dir.join(IDENTITY);
    let mut identity = match std::fs::read_to_string(&id_path) {
        Ok(t) => serde_json::from_str::<Identity>(&t)
            .with_context(|| format!("{} is not a simulator identity file", id_path.display()))?,
        Err(_) => Identity::generate(app_id),
    };
    if let Some(a) = app_id {
        identity.app_id = a.to_string();
    }
    std::fs::write(&id_path, serde_json::to_string_pretty(&identity)? + "\n")
        .with_context(|| format!("writing {}", id_path.display()))?;

    Ok((
        SimKeys {
            alipay: Arc::new(alipay),
            app: Arc::new(app),
        },
        identity,
        KeyPaths {
            data_dir: dir.to_path_buf(),
            alipay_public_key_pem: pub_pem,
            alipay_public_key_txt: pub_txt,
            app: pair,
        },
    ))
}

/// The default data directory: `$XDG_DATA_HOME/paydesk/sim`, else `~/.local/share/paydesk/sim`
/// (on Windows `%APPDATA%\paydesk\sim`).
pub fn default_data_dir() -> anyhow::Result<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(x).join("paydesk").join("sim"));
    }
    if cfg!(windows)
        && let Some(a) = std::env::var_os("APPDATA")
    {
        return Ok(PathBuf::from(a).join("paydesk").join("sim"));
    }
    let home = std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .context("neither XDG_DATA_HOME nor HOME is set: pass --data-dir")?;
    Ok(PathBuf::from(home).join(".local/share/paydesk/sim"))
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_created_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let (k1, id1, paths) = load_or_create(dir.path(), None).unwrap();
        let (k2, id2, _) = load_or_create(dir.path(), None).unwrap();
        assert!(k1.alipay.matches(k2.alipay.public_key()));
        assert!(k1.app.matches(k2.app.public_key()));
        assert_eq!(id1, id2);
        assert_eq!(id1.app_id, DEFAULT_APP_ID);
        assert!(id1.seller_id.starts_with("2088") && id1.seller_id.len() == 16);
        assert!(!k1.alipay.matches(k1.app.public_key()));
        let pem = std::fs::read_to_string(&paths.alipay_public_key_pem).unwrap();
        assert!(pem.contains("BEGIN PUBLIC KEY"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(ALIPAY_PRIVATE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(
                mode & 0o077,
                0,
                "the simulator's private key must be owner-only"
            );
        }
    }
}
