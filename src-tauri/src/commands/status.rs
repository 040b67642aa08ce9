//! Status, profiles and settings.

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
pub async fn profiles_list(state: State<'_, AppState>) -> IpcResult<ProfileList> {
    let active = state.current_name().await;
    let path = state.paths.config.path.display().to_string();
    let (file, broken, file_problem) = match state.paths.load_lenient() {
        Ok(l) => (l.file, l.broken, None),
        // The whole file does not read: the built-in profile still works, the text can be fixed.
        Err(e) => (Default::default(), Default::default(), Some(e.message)),
    };
    let mut out = Vec::new();
    if !file.profiles.contains_key(config::SIMULATOR) {
        let s = simulator_settings(&state).await;
        out.push(summary(&s, active.as_deref()));
    }
    let mut broken: Vec<BrokenProfile> = broken
        .into_iter()
        .map(|(name, problem)| BrokenProfile { name, problem })
        .collect();
    for (name, p) in &file.profiles {
        match settings_of(&state, name, p) {
            Ok(s) => out.push(summary(&s, active.as_deref())),
            // Reads as TOML but not as a desk (a database table key core does not know).
            Err(e) => broken.push(BrokenProfile {
                name: name.clone(),
                problem: e.message,
            }),
        }
    }
    Ok(ProfileList {
        profiles: out,
        broken,
        file_problem,
        path,
    })
}

#[tauri::command]
pub async fn settings_text_get(state: State<'_, AppState>) -> IpcResult<SettingsText> {
    Ok(SettingsText {
        path: state.paths.config.path.display().to_string(),
        text: state.paths.text()?,
    })
}

/// Saves the whole `paydesk.toml` as typed, only when core reads and could open every profile.
#[tauri::command]
pub async fn settings_text_save<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    text: String,
) -> IpcResult<ProfileList> {
    state.paths.save_text(&text)?;
    changed(&app, ChangedEntity::Profile, None);
    profiles_list(state).await
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
    // Core refuses here what it would refuse when opening the profile, so the file never holds
    // a profile the CLI or the app cannot start.
    paydesk_core::desk_open::validate(
        &paydesk_core::profile::Resolved {
            name: name.clone(),
            file: Some(state.paths.config.path.clone()),
            profile: profile.clone(),
        },
        &state.paths.data_dir,
    )?;
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
    let name = settings.name.trim().to_string();
    let profile = profile_of(&settings, file.profiles.get(&name))?;
    let cfg = config::store_config(&name, &profile, &state.paths.data_dir)?;
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
        tables: cfg.tables.clone(),
        is_deleted_column: cfg.deleted_column,
    }
}

fn settings_of(state: &AppState, name: &str, p: &Profile) -> IpcResult<ProfileSettings> {
    let cfg = config::store_config(name, p, &state.paths.data_dir)?;
    let cert = p.app_cert.is_some();
    Ok(ProfileSettings {
        name: name.to_string(),
        kind: p.kind,
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
    // Only the names that differ from the platform's defaults are written.
    let defaults = paydesk_core::TableNames::default();
    let tables: toml::map::Map<String, toml::Value> = s
        .database
        .tables
        .all()
        .into_iter()
        .zip(defaults.all())
        .filter(|((_, name), (_, default))| name != default)
        .map(|((role, name), _)| (role.to_string(), toml::Value::String(name.to_string())))
        .collect();
    if !tables.is_empty() {
        db.insert("tables".into(), toml::Value::Table(tables));
    }
    if s.database.is_deleted_column == DeletedColumn::IsDelete {
        db.insert(
            "deleted_column".into(),
            toml::Value::String(DeletedColumn::IsDelete.name().into()),
        );
    }
    let (cert, key) = (s.keys.mode == KeyMode::Cert, s.keys.mode == KeyMode::Key);
    Ok(Profile {
        kind: s.kind,
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
