//! The Alipay key tool over crates/alipay. Key files in, key files out: what comes back is public
//! (one-line public keys, fingerprints, signatures, SNs, paths), never private key material.

use std::path::{Path, PathBuf};

use alipay::{PrivateKey, PublicKey, cert};
use tauri::async_runtime::spawn_blocking;

use crate::dto::keys::*;
use crate::error::{IpcError, IpcResult};

/// RSA key generation and big files are blocking work.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> IpcResult<T> + Send + 'static,
) -> IpcResult<T> {
    spawn_blocking(f)
        .await
        .map_err(|e| IpcError::internal("the key tool", &e))?
}

fn text_or_file(path_or_text: &str) -> IpcResult<(String, String)> {
    let t = path_or_text.trim();
    if t.is_empty() {
        return Err(IpcError::invalid("give a key file path or paste the key"));
    }
    let p = Path::new(t);
    if !t.contains('\n') && t.len() < 4096 && p.is_file() {
        let text = std::fs::read_to_string(p)
            .map_err(|e| IpcError::invalid(format!("cannot read {t}: {e}")))?;
        return Ok((text, t.to_string()));
    }
    Ok((t.to_string(), "pasted text".to_string()))
}

fn public_of(path_or_text: &str) -> IpcResult<PublicKey> {
    let (text, src) = text_or_file(path_or_text)?;
    if let Ok(k) = PublicKey::parse(&text, &src) {
        return Ok(k);
    }
    if let Ok(k) = cert::public_key_from_cert(text.as_bytes()) {
        return Ok(k);
    }
    Ok(PublicKey::parse(&text, &src)?)
}

#[tauri::command]
pub async fn keys_generate(out_dir: String) -> IpcResult<KeysGenerated> {
    blocking(move || {
        let dir = PathBuf::from(out_dir.trim());
        if out_dir.trim().is_empty() {
            return Err(IpcError::invalid("choose a folder for the new key pair"));
        }
        std::fs::create_dir_all(&dir)
            .map_err(|e| IpcError::invalid(format!("cannot create {}: {e}", dir.display())))?;
        let key = PrivateKey::generate(2048)?;
        let w = alipay::keys::write_pair(&key, &dir)?;
        Ok(KeysGenerated {
            public_one_line: key.public_key().to_one_line(),
            fingerprint: key.public_key().fingerprint(),
            files: [w.pkcs1_pem, w.pkcs8_pem, w.public_pem, w.public_one_line]
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
        })
    })
    .await
}

#[tauri::command]
pub async fn keys_inspect(path_or_text: String) -> IpcResult<KeyInspection> {
    blocking(move || {
        let (text, src) = text_or_file(&path_or_text)?;
        if let Ok(k) = PrivateKey::parse(&text, &src) {
            let p = k.public_key();
            return Ok(KeyInspection {
                kind: KeyKind::Private,
                format: k.format().to_string(),
                bits: k.bits() as u32,
                fingerprint: p.fingerprint(),
                public_one_line: p.to_one_line(),
            });
        }
        if let Ok(k) = PublicKey::parse(&text, &src) {
            return Ok(KeyInspection {
                kind: KeyKind::Public,
                format: k.format().to_string(),
                bits: k.bits() as u32,
                fingerprint: k.fingerprint(),
                public_one_line: k.to_one_line(),
            });
        }
        match cert::public_key_from_cert(text.as_bytes()) {
            Ok(k) => Ok(KeyInspection {
                kind: KeyKind::Certificate,
                format: "X.509 certificate".into(),
                bits: k.bits() as u32,
                fingerprint: k.fingerprint(),
                public_one_line: k.to_one_line(),
            }),
            // The private-key parser's message says best what is wrong with a key.
            Err(_) => Err(PrivateKey::parse(&text, &src)
                .err()
                .map_or_else(|| IpcError::invalid("not a key"), IpcError::from)),
        }
    })
    .await
}

#[tauri::command]
pub async fn keys_convert(
    in_path: String,
    to: KeyFormat,
    out_path: String,
) -> IpcResult<KeyConvertResult> {
    blocking(move || {
        let out = PathBuf::from(out_path.trim());
        if out_path.trim().is_empty() {
            return Err(IpcError::invalid("choose where to write the converted key"));
        }
        let (text, src) = text_or_file(&in_path)?;
        let written = match PrivateKey::parse(&text, &src) {
            Ok(k) => {
                let s = match to {
                    KeyFormat::Pkcs1 => k.to_pkcs1_pem()?,
                    KeyFormat::Pkcs8 => k.to_pkcs8_pem()?,
                    KeyFormat::OneLine => k.to_pkcs8_base64()?,
                };
                write_private(&out, s.expose())?;
                out
            }
            Err(private_err) => {
                let k = PublicKey::parse(&text, &src).map_err(|_| IpcError::from(private_err))?;
                let s = match to {
                    KeyFormat::OneLine => k.to_one_line() + "\n",
                    KeyFormat::Pkcs1 | KeyFormat::Pkcs8 => k.to_pem(),
                };
                std::fs::write(&out, s).map_err(|e| {
                    IpcError::invalid(format!("cannot write {}: {e}", out.display()))
                })?;
                out
            }
        };
        Ok(KeyConvertResult {
            written: written.display().to_string(),
        })
    })
    .await
}

fn write_private(path: &Path, text: &str) -> IpcResult<()> {
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
        .map_err(|e| IpcError::invalid(format!("cannot write {}: {e}", path.display())))?;
    f.write_all(text.as_bytes())
        .map_err(|e| IpcError::invalid(format!("cannot write {}: {e}", path.display())))
}

#[tauri::command]
pub async fn keys_check_pair(
    private_path: String,
    public_path_or_text: String,
) -> IpcResult<KeyPairCheck> {
    blocking(move || {
        let key = PrivateKey::from_file(private_path.trim())?;
        let public = public_of(&public_path_or_text)?;
        let matches = key.matches(&public);
        let message = if matches {
            format!("the keys are a pair (public key fingerprint {})", public.fingerprint())
        } else if alipay::keys::check_alipay_public_key(&key, &public).is_ok() {
            format!(
                "not a pair: the private key's public half is {}, the public key is {} — this is expected for the app key and Alipay's key",
                key.public_key().fingerprint(),
                public.fingerprint()
            )
        } else {
            format!(
                "not a pair: the private key's public half is {}, the public key is {}",
                key.public_key().fingerprint(),
                public.fingerprint()
            )
        };
        Ok(KeyPairCheck { matches, message })
    })
    .await
}

#[tauri::command]
pub async fn sign_content(
    private_path: String,
    content: String,
    sign_type: SignType,
) -> IpcResult<SignResult> {
    blocking(move || {
        let key = PrivateKey::from_file(private_path.trim())?;
        Ok(SignResult {
            signature: key.sign(content.as_bytes(), sign_type.into())?,
        })
    })
    .await
}

#[tauri::command]
pub async fn verify_signature(
    public_path_or_text: String,
    content: String,
    signature: String,
    sign_type: SignType,
) -> IpcResult<SignatureCheck> {
    blocking(move || {
        let key = public_of(&public_path_or_text)?;
        Ok(
            match key.verify(content.as_bytes(), signature.trim(), sign_type.into()) {
                Ok(()) => SignatureCheck {
                    valid: true,
                    message: format!("valid: signed by the key {}", key.fingerprint()),
                },
                Err(e) => SignatureCheck {
                    valid: false,
                    message: e.to_string(),
                },
            },
        )
    })
    .await
}

#[tauri::command]
pub async fn cert_sn(path: String) -> IpcResult<CertSn> {
    blocking(move || {
        let p = PathBuf::from(path.trim());
        let bytes = std::fs::read(&p)
            .map_err(|e| IpcError::invalid(format!("cannot read {}: {e}", p.display())))?;
        let info = cert::inspect(&bytes)?;
        let first = info
            .first()
            .ok_or_else(|| IpcError::invalid(format!("{} holds no certificate", p.display())))?;
        Ok(CertSn {
            sn: first.sn.clone(),
            root_sn: if info.len() > 1 {
                cert::root_cert_sn(&bytes).ok()
            } else {
                None
            },
            subject: first.subject.clone(),
            issuer: first.issuer.clone(),
        })
    })
    .await
}
