//! Status, profiles and settings.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use paydesk_core::browse::UserRef;
use paydesk_core::desk::Desk;
use paydesk_core::{DeletedColumn, OpenMode, Store, StoreConfig, admin, rows};
use tauri::{AppHandle, Runtime, State};

use crate::config::{self, model::Profile};
use crate::dto::events::ChangedEntity;
use crate::dto::keys::SignType;
use crate::dto::profiles::*;
use crate::error::{IpcError, IpcResult};
use crate::state::{AppState, changed, events};

#[tauri::command]
pub async fn app_status(state: State<'_, AppState>) -> IpcResult<AppStatus> {
    Ok(state.current().await?.status())
}

#[tauri::command]
pub async fn profiles_list(state: State<'_, AppState>) -> IpcResult<Vec<ProfileSummary>> {
    let active = state.current_name().await;
    let file = state.paths.load()?;
    let mut out = Vec::new();
    if !file.profiles.contains_key(config::SIMULATOR) {
        let s = simulator_settings(&state).await;
        out.push(summary(&s, active.as_deref()));
    }
    for (name, p) in &file.profiles {
        out.push(summary(&settings_of(&state, name, p)?, active.as_deref()));
    }
    Ok(out)
}

fn summary(s: &ProfileSettings, active: Option<&str>) -> ProfileSummary {
    ProfileSummary {
        name: s.name.clone(),
        kind: s.kind,
        active: active == Some(s.name.as_str()),
        gateway: s.gateway.clone(),
        app_id: s.app_id.clone(),
        seller_id: s.seller_id.clone(),
        database: s
            .database
            .path
            .clone()
            .or_else(|| s.database.url.clone())
            .unwrap_or_default(),
    }
}

#[tauri::command]
pub async fn profile_get(state: State<'_, AppState>, name: String) -> IpcResult<ProfileSettings> {
    let file = state.paths.load()?;
    match file.profiles.get(&name) {
        Some(p) => settings_of(&state, &name, p),
        None if name == config::SIMULATOR => Ok(simulator_settings(&state).await),
        None => Err(IpcError::not_found(format!(
            "profile {name:?} is not in {}",
            state.paths.config.path.display()
        ))),
    }
}

#[tauri::command]
pub async fn profile_save<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    settings: ProfileSettings,
) -> IpcResult<ProfileSummary> {
    let name = settings.name.trim().to_string();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(IpcError::invalid(format!(
            "profile name {name:?}: use letters, digits, '-' and '_'"
        )));
    }
    let mut file = state.paths.load()?;
    let old = file.profiles.get(&name).cloned();
    let profile = profile_of(&settings, old.as_ref())?;
    file.profiles.insert(name.clone(), profile);
    state.paths.save(&file)?;
    changed(&app, ChangedEntity::Profile, None);
    let active = state.current_name().await;
    Ok(summary(
        &settings_of(&state, &name, &file.profiles[&name])?,
        active.as_deref(),
    ))
}

#[tauri::command]
pub async fn profile_activate<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    name: String,
) -> IpcResult<AppStatus> {
    let a = state.switch(name.trim(), events(&app)).await?;
    changed(&app, ChangedEntity::Profile, None);
    Ok(a.status())
}

#[tauri::command]
pub async fn profile_test_connection(
    state: State<'_, AppState>,
    settings: ProfileSettings,
) -> IpcResult<SchemaReport> {
    let file = state.paths.load()?;
    let profile = profile_of(&settings, file.profiles.get(settings.name.trim()))?;
    let cfg = config::store_config(&profile, &state.paths.embedded_db())?;
    let store = Store::connect(&cfg, Arc::new(alipay::SystemClock), OpenMode::MustExist).await?;
    let report = admin::check(&store).await;
    store.close().await;
    let r = report?;
    Ok(SchemaReport {
        ok: r.ok(),
        problems: r.problems.iter().map(ToString::to_string).collect(),
        notes: r.notes.iter().map(ToString::to_string).collect(),
        clock: r.clock.describe(),
        suggestions: r.suggested_indexes.iter().map(|s| s.sql.clone()).collect(),
    })
}

/// A user by id, mobile or username.
pub async fn find_user(desk: &Desk, u: &UserRef) -> IpcResult<rows::UserRow> {
    Ok(paydesk_core::lookup::user(&desk.store, u).await?)
}

fn path_text(p: &Option<PathBuf>) -> Option<String> {
    p.as_ref().map(|p| p.display().to_string())
}

fn fingerprint_of_private(p: &Option<PathBuf>) -> Option<String> {
    p.as_ref()
        .and_then(|p| alipay::PrivateKey::from_file(p).ok())
        .map(|k| k.public_key().fingerprint())
}

fn fingerprint_of_public(p: &Option<PathBuf>) -> Option<String> {
    p.as_ref()
        .and_then(|p| alipay::PublicKey::from_file(p).ok())
        .map(|k| k.fingerprint())
}

fn database_of(cfg: &StoreConfig) -> ProfileDatabase {
    let (kind, path, url) = match cfg.target() {
        Ok(paydesk_core::config::Target::MySql(u)) => (
            DatabaseKind::Mysql,
            None,
            Some(paydesk_core::config::redact_url(&u)),
        ),
        Ok(paydesk_core::config::Target::Sqlite(p)) => {
            (DatabaseKind::Sqlite, Some(p.display().to_string()), None)
        }
        Err(_) => (DatabaseKind::Sqlite, Some(cfg.database.clone()), None),
    };
    ProfileDatabase {
        kind,
        path,
        url,
        tables: cfg
            .tables
            .all()
            .iter()
            .map(|(role, id)| (role.to_string(), id.as_str().to_string()))
            .collect(),
        is_deleted_column: config::deleted_column(cfg.deleted_column),
    }
}

fn settings_of(state: &AppState, name: &str, p: &Profile) -> IpcResult<ProfileSettings> {
    let cfg = config::store_config(p, &state.paths.embedded_db())?;
    let cert = p.app_cert.is_some();
    Ok(ProfileSettings {
        name: name.to_string(),
        kind: config::kind_of(p),
        gateway: p.gateway.clone().unwrap_or_default(),
        app_id: p.app_id.clone().unwrap_or_default(),
        seller_id: p.seller_id.clone().unwrap_or_default(),
        sign_type: if p.sign_type.as_deref() == Some("RSA") {
            SignType::Rsa
        } else {
            SignType::Rsa2
        },
        operator: p.operator.clone(),
        keys: ProfileKeys {
            mode: if cert { KeyMode::Cert } else { KeyMode::Key },
            app_private_key: path_text(&p.app_private_key),
            alipay_public_key: path_text(&p.alipay_public_key),
            app_cert: path_text(&p.app_cert),
            alipay_cert: path_text(&p.alipay_cert),
            alipay_root_cert: path_text(&p.alipay_root_cert),
            app_public_fingerprint: fingerprint_of_private(&p.app_private_key),
            alipay_public_fingerprint: fingerprint_of_public(&p.alipay_public_key),
        },
        database: database_of(&cfg),
        timeout_secs: p.timeout_secs.unwrap_or(15) as u32,
    })
}

/// The built-in simulator profile as the Settings view shows it (read-only there).
async fn simulator_settings(state: &AppState) -> ProfileSettings {
    let sim_dir = state.paths.sim_dir();
    let live = state.current().await.ok().and_then(|a| a.simulator.clone());
    let cfg = StoreConfig::new(state.paths.embedded_db().display().to_string());
    let private = Some(sim_dir.join("app").join("app_private_key.pem")).filter(|p| p.exists());
    let public = Some(sim_dir.join("alipay").join("alipay_public_key.pem")).filter(|p| p.exists());
    ProfileSettings {
        name: config::SIMULATOR.to_string(),
        kind: ProfileKind::Simulator,
        gateway: live
            .as_ref()
            .map(|s| s.gateway_url.clone())
            .unwrap_or_else(|| "(starts on loopback)".into()),
        app_id: live.as_ref().map(|s| s.app_id.clone()).unwrap_or_default(),
        seller_id: live
            .as_ref()
            .map(|s| s.seller_id.clone())
            .unwrap_or_default(),
        sign_type: SignType::Rsa2,
        operator: None,
        keys: ProfileKeys {
            mode: KeyMode::Key,
            app_private_key: path_text(&private),
            alipay_public_key: path_text(&public),
            app_cert: None,
            alipay_cert: None,
            alipay_root_cert: None,
            app_public_fingerprint: fingerprint_of_private(&private),
            alipay_public_fingerprint: fingerprint_of_public(&public),
        },
        database: database_of(&cfg),
        timeout_secs: 10,
    }
}

/// Settings from the UI → the file's profile. A masked URL (`***`) keeps the stored password.
fn profile_of(s: &ProfileSettings, old: Option<&Profile>) -> IpcResult<Profile> {
    let text = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
    let path = |v: &Option<String>| v.as_deref().and_then(text).map(PathBuf::from);
    let mut db = toml::map::Map::new();
    let location = match s.database.kind {
        DatabaseKind::Sqlite => s.database.path.as_deref().and_then(text),
        DatabaseKind::Mysql => match s.database.url.as_deref().and_then(text) {
            Some(u) if u.contains(":***@") => old
                .and_then(|o| o.database.as_ref())
                .and_then(|d| d.get("database").or_else(|| d.get("url")))
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .or(Some(u)),
            other => other,
        },
    };
    if let Some(l) = location {
        db.insert("database".into(), toml::Value::String(l));
    }
    let defaults: BTreeMap<String, String> = paydesk_core::TableNames::default()
        .all()
        .iter()
        .map(|(r, i)| (r.to_string(), i.as_str().to_string()))
        .collect();
    let tables: toml::map::Map<String, toml::Value> = s
        .database
        .tables
        .iter()
        .filter(|(role, name)| defaults.get(*role) != Some(*name))
        .map(|(role, name)| (role.clone(), toml::Value::String(name.clone())))
        .collect();
    if !tables.is_empty() {
        db.insert("tables".into(), toml::Value::Table(tables));
    }
    if s.database.is_deleted_column == IsDeletedColumn::IsDelete {
        db.insert(
            "deleted_column".into(),
            toml::Value::String(DeletedColumn::IsDelete.name().into()),
        );
    }
    let (cert, key) = (s.keys.mode == KeyMode::Cert, s.keys.mode == KeyMode::Key);
    Ok(Profile {
        kind: config::file_kind(s.kind),
        gateway: text(&s.gateway),
        app_id: text(&s.app_id),
        seller_id: text(&s.seller_id),
        sign_type: Some(match s.sign_type {
            SignType::Rsa2 => "RSA2".into(),
            SignType::Rsa => "RSA".into(),
        }),
        app_private_key: path(&s.keys.app_private_key),
        alipay_public_key: if key {
            path(&s.keys.alipay_public_key)
        } else {
            None
        },
        app_cert: if cert { path(&s.keys.app_cert) } else { None },
        // Not on the settings form: a rate set in the file is kept as it is.
        fee_rate: old.and_then(|o| o.fee_rate.clone()),
        alipay_cert: if cert {
            path(&s.keys.alipay_cert)
        } else {
            None
        },
        alipay_root_cert: if cert {
            path(&s.keys.alipay_root_cert)
        } else {
            None
        },
        timeout_secs: Some(u64::from(s.timeout_secs.max(1))),
        operator: s.operator.as_deref().and_then(text),
        database: if db.is_empty() {
            None
        } else {
            Some(toml::Value::Table(db))
        },
    })
}
