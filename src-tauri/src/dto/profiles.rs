//! Status, profiles and settings.

use paydesk_core::{DeletedColumn, TableNames};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::keys::SignType;

/// Core's profile kind: one definition for the settings file, the desk and the UI.
pub use paydesk_core::profile::ProfileKind;

#[derive(Debug, Clone, Serialize, TS)]
pub struct SimulatorInfo {
    pub gateway_url: String,
    pub app_id: String,
    pub seller_id: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct AppStatus {
    pub profile: String,
    pub kind: ProfileKind,
    pub operator: String,
    /// A label: the SQLite file or the MySQL URL without its password.
    pub database: String,
    pub simulator: Option<SimulatorInfo>,
    pub notify_url: Option<String>,
    pub version: String,
    /// Parts of the platform this database does not have (no table): shown in the top bar.
    pub features_off: Vec<PlatformFeature>,
    /// The platform stores naive UTC (Django `USE_TZ=True`); Paydesk shows Beijing time anyway.
    pub platform_utc: bool,
}

/// An optional part of the platform (core's `schema::Feature`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PlatformFeature {
    CreditLedger,
    Coupons,
    Grants,
    TestOrders,
}

impl From<paydesk_core::schema::Feature> for PlatformFeature {
    fn from(f: paydesk_core::schema::Feature) -> Self {
        use paydesk_core::schema::Feature;
        match f {
            Feature::CreditLedger => PlatformFeature::CreditLedger,
            Feature::Coupons => PlatformFeature::Coupons,
            Feature::Grants => PlatformFeature::Grants,
            Feature::TestOrders => PlatformFeature::TestOrders,
        }
    }
}

/// The Settings list: every profile that reads, and what is wrong with those that do not.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ProfileList {
    pub profiles: Vec<ProfileSummary>,
    /// Profiles of the file that core cannot read, each with its problem: fix them in the text.
    pub broken: Vec<BrokenProfile>,
    /// The whole file cannot be read (TOML syntax, with the line): only the text can fix it.
    pub file_problem: Option<String>,
    /// The settings file's path.
    pub path: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct BrokenProfile {
    pub name: String,
    pub problem: String,
}

/// `paydesk.toml` as text, for repairing what the form cannot show.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SettingsText {
    pub path: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ProfileSummary {
    pub name: String,
    pub kind: ProfileKind,
    pub active: bool,
    pub gateway: String,
    pub app_id: String,
    pub seller_id: String,
    pub database: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum KeyMode {
    Key,
    Cert,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DatabaseKind {
    Sqlite,
    Mysql,
}

/// Paths of key files (never their content) and the public fingerprints.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ProfileKeys {
    pub mode: KeyMode,
    pub app_private_key: Option<String>,
    pub alipay_public_key: Option<String>,
    pub app_cert: Option<String>,
    pub alipay_cert: Option<String>,
    pub alipay_root_cert: Option<String>,
    pub app_public_fingerprint: Option<String>,
    pub alipay_public_fingerprint: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ProfileDatabase {
    pub kind: DatabaseKind,
    pub path: Option<String>,
    /// The password is masked when it goes to the UI; a masked URL coming back keeps the stored one.
    pub url: Option<String>,
    /// Core's own type: the form can only send the table keys core reads.
    pub tables: TableNames,
    pub is_deleted_column: DeletedColumn,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ProfileSettings {
    pub name: String,
    pub kind: ProfileKind,
    pub gateway: String,
    pub app_id: String,
    pub seller_id: String,
    pub sign_type: SignType,
    pub operator: Option<String>,
    pub keys: ProfileKeys,
    pub database: ProfileDatabase,
    pub timeout_secs: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SchemaReport {
    pub ok: bool,
    pub problems: Vec<String>,
    /// What works differently on this database (features off, names not shown).
    pub notes: Vec<String>,
    /// How the platform stores datetimes and how Paydesk knows.
    pub clock: String,
    pub suggestions: Vec<String>,
}
