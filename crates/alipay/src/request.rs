//! What every request we send carries: the app's identity, the common parameters and the signature.

use std::sync::Arc;

use crate::clock::Clock;
use crate::keys::PrivateKey;
use crate::params::Params;
use crate::sign::{SignError, SignType};

/// The merchant app as the gateway knows it. Holds the private key behind an `Arc` so that
/// clones (per request, per thread) never copy key material.
#[derive(Clone)]
pub struct AppIdentity {
    pub app_id: String,
    pub sign_type: SignType,
    pub private_key: Arc<PrivateKey>,
    /// Public-key certificate mode: both are signed parameters when present.
    pub app_cert_sn: Option<String>,
    pub alipay_root_cert_sn: Option<String>,
}

impl std::fmt::Debug for AppIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppIdentity")
            .field("app_id", &self.app_id)
            .field("sign_type", &self.sign_type)
            .field("private_key", &self.private_key)
            .field("app_cert_sn", &self.app_cert_sn)
            .field("alipay_root_cert_sn", &self.alipay_root_cert_sn)
            .finish()
    }
}

/// The optional URLs a request may carry.
#[derive(Debug, Clone, Default)]
pub struct Urls<'a> {
    pub return_url: Option<&'a str>,
    pub notify_url: Option<&'a str>,
}

impl AppIdentity {
    pub fn new(app_id: impl Into<String>, private_key: Arc<PrivateKey>) -> Self {
        AppIdentity {
            app_id: app_id.into(),
            sign_type: SignType::Rsa2,
            private_key,
            app_cert_sn: None,
            alipay_root_cert_sn: None,
        }
    }

    /// The common parameters of a request for `method` with `biz_content` (a JSON string),
    /// timestamped now in GMT+8.
    pub fn common_params(
        &self,
        method: &str,
        biz_content: &str,
        urls: &Urls<'_>,
        clock: &dyn Clock,
    ) -> Params {
        let mut p = Params::new();
        p.set("app_id", &self.app_id)
            .set("method", method)
            .set("format", "JSON")
            .set("charset", "utf-8")
            .set("sign_type", self.sign_type.as_str())
            .set("timestamp", clock.alipay_timestamp())
            .set("version", "1.0")
            .set("biz_content", biz_content)
            .set_opt("return_url", urls.return_url.filter(|u| !u.is_empty()))
            .set_opt("notify_url", urls.notify_url.filter(|u| !u.is_empty()))
            .set_opt("app_cert_sn", self.app_cert_sn.as_deref())
            .set_opt("alipay_root_cert_sn", self.alipay_root_cert_sn.as_deref());
        p
    }

    /// Signs the canonical content of `params` and adds `sign`.
    pub fn sign(&self, params: &mut Params) -> Result<(), SignError> {
        params.remove("sign");
        let sig = self
            .private_key
            .sign(params.canonical().as_bytes(), self.sign_type)?;
        params.set("sign", sig);
        Ok(())
    }
}
