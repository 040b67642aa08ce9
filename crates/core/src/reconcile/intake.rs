//! Getting the bill: from Alipay (download URL, then the file within the URL's 30 s), or from a
//! file the user downloaded from the merchant portal.

use std::path::PathBuf;
use std::time::Duration;

use alipay::GatewayClient;

use super::{Period, ReconError, ReconResult};

/// Alipay's download URL is valid for 30 s from when it is issued.
pub const DOWNLOAD_WITHIN: Duration = Duration::from_secs(30);

/// Where a run's bill comes from.
#[derive(Debug, Clone)]
pub enum BillSource {
    /// Ask Alipay for the period's trade bill (needs the profile's gateway).
    Fetch,
    /// A zip or CSV on disk.
    File(PathBuf),
    /// Bytes already in memory (the desktop app's file picker), with a name for the record.
    Bytes { name: String, bytes: Vec<u8> },
}

/// The bill's bytes and where they came from; `None` when Alipay has no bill for the period
/// (`isp.bill_not_exist`: nothing happened that day).
pub async fn obtain(
    source: BillSource,
    period: Option<Period>,
    client: Option<&GatewayClient>,
) -> ReconResult<Option<(String, Vec<u8>)>> {
    match source {
        BillSource::Fetch => {
            let period = period.ok_or_else(|| {
                ReconError::InvalidInput("fetching a bill needs --date or --month".into())
            })?;
            let client = client.ok_or_else(|| {
                ReconError::from(crate::ops::OpsError::NoGateway(
                    crate::desk_open::NO_GATEWAY.to_string(),
                ))
            })?;
            Ok(fetch(client, period)
                .await?
                .map(|b| (format!("alipay:{}", period.bill_date()), b)))
        }
        BillSource::File(path) => {
            let shown = path.display().to_string();
            let bytes = tokio::fs::read(&path)
                .await
                .map_err(|e| ReconError::File(shown.clone(), e.to_string()))?;
            let name = path
                .file_name()
                .map_or(shown, |n| n.to_string_lossy().into_owned());
            Ok(Some((name, bytes)))
        }
        BillSource::Bytes { name, bytes } => Ok(Some((name, bytes))),
    }
}

/// `alipay.data.dataservice.bill.downloadurl.query` (bill_type `trade`), then the download,
/// all within the URL's 30 s.
pub async fn fetch(client: &GatewayClient, period: Period) -> ReconResult<Option<Vec<u8>>> {
    let url = match client.bill_download_url("trade", &period.bill_date()).await {
        Ok(url) => url,
        Err(e) if e.is_bill_not_exist() => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    match tokio::time::timeout(DOWNLOAD_WITHIN, client.download_bill(&url)).await {
        Ok(Ok(bytes)) => Ok(Some(bytes)),
        Ok(Err(e)) => Err(e.into()),
        Err(_) => Err(ReconError::DownloadTimeout),
    }
}
