//! Paydesk's desktop shell: managed state (the active profile's core handle), thin commands over
//! crates/core and crates/alipay, one IPC error shape, change and progress events. No SQL, no
//! signing, no business rule here.

pub mod active;
pub mod bindings;
pub mod commands;
pub mod config;
pub mod dto;
pub mod error;
pub mod notify;
pub mod practice;
pub mod qr;
pub mod state;

use tauri::{Manager, Runtime};

use crate::state::AppState;

/// Every command the UI may call (see `ui/src/api/commands.ts`).
#[macro_export]
macro_rules! paydesk_handler {
    () => {
        tauri::generate_handler![
            $crate::commands::status::app_status,
            $crate::commands::status::profiles_list,
            $crate::commands::status::settings_text_get,
            $crate::commands::status::settings_text_save,
            $crate::commands::status::profile_get,
            $crate::commands::status::profile_save,
            $crate::commands::status::profile_activate,
            $crate::commands::status::profile_test_connection,
            $crate::commands::orders::orders_list,
            $crate::commands::orders::order_detail,
            $crate::commands::orders::order_trade_status,
            $crate::commands::orders::test_order_options,
            $crate::commands::orders::test_order_create,
            $crate::commands::orders::pay_link,
            $crate::commands::orders::order_close,
            $crate::commands::orders::orders_expire,
            $crate::commands::verify::verify_inputs,
            $crate::commands::verify::verify_text,
            $crate::commands::verify::verify_cancel,
            $crate::commands::verify::settle,
            $crate::commands::refunds::refund_create,
            $crate::commands::refunds::refunds_list,
            $crate::commands::refunds::refunds_resume,
            $crate::commands::policy::policy_get,
            $crate::commands::policy::policy_set,
            $crate::commands::grants::grants_list,
            $crate::commands::grants::grant_create,
            $crate::commands::grants::grant_revoke,
            $crate::commands::grants::grant_duplicates,
            $crate::commands::grants::grant_merge,
            $crate::commands::keys::keys_generate,
            $crate::commands::keys::keys_inspect,
            $crate::commands::keys::keys_convert,
            $crate::commands::keys::keys_check_pair,
            $crate::commands::keys::sign_content,
            $crate::commands::keys::verify_signature,
            $crate::commands::keys::cert_sn,
            $crate::commands::audit::audit_list,
            $crate::commands::reconcile::recon_overview,
            $crate::commands::reconcile::recon_run,
            $crate::commands::reconcile::recon_cancel,
            $crate::commands::reconcile::recon_report,
            $crate::commands::reconcile::recon_rows,
            $crate::commands::reconcile::recon_action,
            $crate::commands::reconcile::recon_export_csv,
            $crate::commands::reconcile::recon_compare,
            $crate::commands::revenue::revenue_report,
            $crate::commands::orders::orders_totals,
            $crate::commands::revenue::revenue_export,
        ]
    };
}

/// The builder both the app and the windowless tests use: commands and managed state. The default
/// profile starts in the background when the app is ready (commands wait for it).
pub fn setup<R: Runtime>(
    builder: tauri::Builder<R>,
    state: AppState,
    first_profile: String,
) -> tauri::Builder<R> {
    builder
        .invoke_handler(paydesk_handler!())
        .manage(state)
        .setup(move |app| {
            start(app.handle(), first_profile.clone());
            Ok(())
        })
}

/// Starts the first profile (the setup hook does this; a test app without an event loop calls it).
pub fn start<R: Runtime>(app: &tauri::AppHandle<R>, profile: String) {
    app.state::<AppState>().boot(profile, state::events(app));
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PAYDESK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

pub fn run() {
    init_tracing();
    let context = tauri::generate_context!("../tauri.conf.json");
    debug_assert_eq!(
        context.config().identifier,
        paydesk_core::desk_open::APP_IDENTIFIER,
        "core's data directory is named after the app's identifier"
    );
    let paths = config::Paths::resolve();
    tracing::info!(data_dir = %paths.data_dir.display(), config = %paths.config.path.display(), "Paydesk starting");
    let first = std::env::var(config::model::ENV_PROFILE)
        .ok()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| config::SIMULATOR.to_string());
    let builder = tauri::Builder::default()
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_clipboard_manager::init());
    if let Err(e) = setup(builder, AppState::new(paths), first).run(context) {
        tracing::error!(error = %e, "Paydesk stopped with an error");
        eprintln!("paydesk: {e}");
        std::process::exit(1);
    }
}
