//! Turning a resolved profile into the things the alipay crate takes: the app identity (private
//! key, sign type, certificate SNs) and Alipay's public key. Every failure names the file or
//! setting at fault.

use std::sync::Arc;
use std::time::Duration;

use alipay::keys::check_alipay_public_key;
use alipay::{AppIdentity, CertMode, PrivateKey, PublicKey, SignType};

use crate::exit::Failure;
use crate::profile::Resolved;

/// Alipay's default server timeout is generous; 15 s keeps a hung gateway from blocking a script.
pub const DEFAULT_TIMEOUT_SECS: u64 = 15;

pub fn sign_type(r: &Resolved) -> Result<SignType, Failure> {
    match &r.profile.sign_type {
        None => Ok(SignType::Rsa2),
        Some(s) => s
            .parse()
            .map_err(|e| Failure::usage(format!("profile {:?}: sign_type: {e}", r.name))),
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

/// Certificate mode, when the profile configures it.
pub fn cert_mode(r: &Resolved) -> Result<Option<CertMode>, Failure> {
    match r.profile.cert_paths(&r.name)? {
        None => Ok(None),
        Some((app, alipay, root)) => CertMode::load(app, alipay, root)
            .map(Some)
            .map_err(|e| Failure::input(e.to_string())),
    }
}

/// The app as the gateway knows it: app_id, private key (checked for the sign type), and the
/// certificate SNs in certificate mode.
pub fn app_identity(r: &Resolved, cert: Option<&CertMode>) -> Result<AppIdentity, Failure> {
    let app_id = r.require("app_id", &r.profile.app_id)?;
    let key_path = r.require_path("app_private_key", &r.profile.app_private_key)?;
    let key = PrivateKey::from_file(key_path)?;
    let st = sign_type(r)?;
    key.check_for(st, &key_path.display().to_string())?;
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
            .map_err(|e| Failure::input(e.to_string()))?;
        app = c.apply(app);
    }
    Ok(app)
}

/// Alipay's public key: from its certificate in certificate mode, else `alipay_public_key`.
pub fn alipay_public_key(r: &Resolved, cert: Option<&CertMode>) -> Result<PublicKey, Failure> {
    if let Some(c) = cert
        && r.profile.alipay_public_key.is_none()
    {
        return Ok(c.alipay_public_key.clone());
    }
    let path = r.require_path("alipay_public_key", &r.profile.alipay_public_key)?;
    Ok(PublicKey::from_file(path)?)
}

/// Refuses the most common misconfiguration before any call: the app's own public key set as
/// Alipay's, which makes every verification fail.
pub fn refuse_own_key(app: &AppIdentity, alipay: &PublicKey, r: &Resolved) -> Result<(), Failure> {
    check_alipay_public_key(&app.private_key, alipay).map_err(|e| {
        let src = r
            .profile
            .alipay_public_key
            .as_deref()
            .map(|p| format!("{}: ", p.display()))
            .unwrap_or_default();
        Failure::input(format!("{src}{e}"))
    })
}
