//! The active profile: one core [`Desk`] (store pool, keys loaded once, gateway client) plus, for
//! the built-in simulator profile, the simulator and the in-app notify listener. Switching
//! profile builds the new one first, then swaps it in and stops the old one.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use alipay::{
    Amount, AppIdentity, Clock, GatewayClient, GatewayConfig, PrivateKey, PublicKey, SystemClock,
};
use paydesk_core::admin;
use paydesk_core::config::redact_url;
use paydesk_core::demo::{self, DemoSpec};
use paydesk_core::desk::{Desk, Gateway, os_user};
use paydesk_core::{StoreConfig, config::Target};
use sim::{HistoricTrade, SimConfig, SimHandle, Simulator};

use crate::config::{self, Paths, model::Profile};
use crate::dto::profiles::{AppStatus, ProfileKind, SimulatorInfo};
use crate::error::{IpcError, IpcResult};
use crate::notify::{self, Listener};

/// Reports progress of long start-up work (demo data) and changes seen by the notify listener.
pub trait Events: Send + Sync + 'static {
    fn progress(&self, task: &str, done: u64, total: u64, message: Option<String>);
    fn order_changed(&self, order_number: &str);
}

pub struct Active {
    pub desk: Arc<Desk>,
    pub kind: ProfileKind,
    pub database_label: String,
    pub simulator: Option<SimulatorInfo>,
    pub notify_url: Option<String>,
    sim_base_url: Option<String>,
    sim: std::sync::Mutex<Option<SimHandle>>,
    listener: Option<Listener>,
}

impl std::fmt::Debug for Active {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Active")
            .field("desk", &self.desk)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl Active {
    pub fn name(&self) -> &str {
        &self.desk.profile_name
    }

    pub fn status(&self) -> AppStatus {
        AppStatus {
            profile: self.desk.profile_name.clone(),
            kind: self.kind,
            operator: self.desk.operator.clone(),
            database: self.database_label.clone(),
            simulator: self.simulator.clone(),
            notify_url: self.notify_url.clone(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            features_off: self
                .desk
                .store
                .features()
                .off()
                .into_iter()
                .map(Into::into)
                .collect(),
            platform_utc: self.desk.store.platform_utc(),
        }
    }

    /// The simulator's HTTP base (`http://127.0.0.1:PORT`), for tests that pay through it.
    pub fn sim_base_url(&self) -> Option<&str> {
        self.sim_base_url.as_deref()
    }

    pub async fn stop(&self) {
        if let Some(l) = &self.listener {
            l.stop();
        }
        let sim = self.sim.lock().ok().and_then(|mut s| s.take());
        if let Some(s) = sim {
            s.stop().await;
        }
        self.desk.store.close().await;
    }
}

pub fn database_label(c: &StoreConfig) -> String {
    match c.target() {
        Ok(Target::Sqlite(p)) => p.display().to_string(),
        Ok(Target::MySql(u)) => redact_url(&u),
        Err(_) => redact_url(&c.database),
    }
}

/// Starts a profile by name: the built-in simulator, or one from paydesk.toml.
pub async fn activate(paths: &Paths, name: &str, events: Arc<dyn Events>) -> IpcResult<Active> {
    let file = paths.load()?;
    let from_file = file.profiles.get(name).cloned();
    if name == config::SIMULATOR
        || from_file
            .as_ref()
            .is_some_and(|p| p.kind == config::model::ProfileKind::Simulator && p.gateway.is_none())
    {
        return start_simulator(paths, name, from_file.unwrap_or_default(), events).await;
    }
    let profile = from_file.ok_or_else(|| {
        IpcError::not_found(format!(
            "profile {name:?} is not in {}",
            paths.config.path.display()
        ))
    })?;
    start_configured(paths, name, profile).await
}

fn operator(p: &Profile) -> String {
    p.operator
        .clone()
        .filter(|o| !o.trim().is_empty())
        .unwrap_or_else(os_user)
}

/// The built-in offline profile: simulator on loopback (keys in the data dir), the embedded
/// SQLite database (created with demo data on first launch), and the notify listener.
async fn start_simulator(
    paths: &Paths,
    name: &str,
    profile: Profile,
    events: Arc<dyn Events>,
) -> IpcResult<Active> {
    let sim_dir = paths.sim_dir();
    let sim = Simulator::start(SimConfig {
        data_dir: Some(sim_dir.clone()),
        state_file: Some(sim_dir.join("state.json")),
        // Alipay retries a notify after 4 minutes; the desk should not wait that long offline.
        notify_speedup: 60,
        ..SimConfig::ephemeral()
    })
    .await
    .map_err(|e| IpcError::internal("starting the simulator", &format!("{e:#}")))?;
    // One clock for the store, the requests and the simulator.
    let clock: Arc<dyn Clock> = sim.clock();
    let store_cfg = config::store_config(&profile, &paths.embedded_db())?;
    let (store, created) = open_or_create_embedded(
        &store_cfg,
        clock.clone(),
        paths.demo_orders,
        events.as_ref(),
    )
    .await?;
    let practice = if created {
        let cases = crate::practice::alipay_side(&sim, &store).await;
        seed_simulator(&sim, &store).await;
        Some(cases)
    } else {
        None
    };

    let listener = notify::start()
        .await
        .map_err(|e| IpcError::internal("starting the notify listener", &e))?;
    let client = GatewayClient::new(
        GatewayConfig {
            gateway_url: sim.gateway_url(),
            app: sim.app_identity(),
            alipay_public_key: sim.alipay_public_key().clone(),
            alipay_cert_sn: None,
            timeout: Duration::from_secs(profile.timeout_secs.unwrap_or(10)),
        },
        clock,
    )
    .map_err(|e| IpcError::invalid(e.to_string()))?;
    let gateway = Gateway {
        client,
        app: sim.app_identity(),
        gateway_url: sim.gateway_url(),
        seller_id: sim.seller_id().to_string(),
        return_url: Some(listener.return_url()),
        notify_url: Some(listener.notify_url()),
    };
    let desk = Arc::new(
        Desk::new(
            store,
            name,
            paydesk_core::desk::ProfileKind::Simulator,
            operator(&profile),
        )
        .with_gateway(gateway),
    );
    if let Some(cases) = &practice {
        crate::practice::refunds(&desk, &sim, cases).await;
    }
    listener.serve(desk.clone(), events);
    Ok(Active {
        simulator: Some(SimulatorInfo {
            gateway_url: sim.gateway_url(),
            app_id: sim.app_id().to_string(),
            seller_id: sim.seller_id().to_string(),
        }),
        notify_url: Some(listener.notify_url()),
        kind: ProfileKind::Simulator,
        database_label: database_label(&store_cfg),
        desk,
        sim_base_url: Some(sim.base_url().to_string()),
        sim: std::sync::Mutex::new(Some(sim)),
        listener: Some(listener),
    })
}

/// Tells the simulator about the demo's payments, so Alipay's bill for a past day lists them
/// and reconciling it in the demo matches. The simulator skips trades it already has; the
/// desk works without this, so a failure is logged, not raised.
async fn seed_simulator(sim: &SimHandle, store: &paydesk_core::Store) {
    let payments = match demo::paid_orders(store, SEED_LIMIT).await {
        Ok(p) => p,
        Err(e) => {
            tracing::error!("cannot list the demo's payments for the simulator: {e}");
            return;
        }
    };
    let listed = payments.len();
    let mut unpayable = 0usize;
    let trades: Vec<HistoricTrade> = payments
        .into_iter()
        .filter_map(|p| match Amount::new(p.real_price) {
            Ok(total_amount) => Some(HistoricTrade {
                out_trade_no: p.order_number,
                subject: p.subject,
                total_amount,
                gmt_create: p.created_time,
                gmt_payment: p.pay_time,
                refunds: Vec::new(),
            }),
            // Alipay would not have taken it, so its bill must not list it either.
            Err(_) => {
                unpayable += 1;
                None
            }
        })
        .collect();
    match sim.import_paid_trades(trades) {
        Ok(n) => tracing::info!(
            imported = n,
            listed,
            unpayable,
            "demo payments recorded in the simulator"
        ),
        Err(e) => tracing::error!("cannot record the demo's payments in the simulator: {e}"),
    }
}

/// The most recent demo payments the simulator is told about. Its state file is rewritten on
/// every change, so a million-order demo must not put 600,000 trades in it; older days' bills
/// then lack the older payments (reconciling them shows missing_from_bill).
const SEED_LIMIT: usize = 20_000;

/// A new embedded database gets the platform tables, Paydesk's tables and demo data; an existing
/// one is checked and migrated. Says whether it was created.
async fn open_or_create_embedded(
    cfg: &StoreConfig,
    clock: Arc<dyn Clock>,
    orders: u64,
    events: &dyn Events,
) -> IpcResult<(paydesk_core::Store, bool)> {
    let is_new = matches!(cfg.target(), Ok(Target::Sqlite(ref p)) if !p.exists());
    if !is_new {
        return Ok((
            admin::open_platform(cfg, clock, admin::Access::Write).await?,
            false,
        ));
    }
    if let Ok(Target::Sqlite(p)) = cfg.target()
        && let Some(dir) = p.parent()
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| IpcError::invalid(format!("cannot create {}: {e}", dir.display())))?;
    }
    events.progress(
        "demo",
        0,
        orders,
        Some("creating the embedded database".into()),
    );
    let store = admin::init_new(cfg, clock).await?;
    let report = demo::generate(&store, &DemoSpec::new(orders, 20_260_101), |done, total| {
        events.progress("demo", done, total, Some("demo data".into()));
    })
    .await?;
    tracing::info!(
        orders = report.orders,
        users = report.users,
        ms = report.elapsed_ms as u64,
        "demo data ready"
    );
    events.progress("demo", orders, orders, Some("demo data ready".into()));
    Ok((store, true))
}

/// A sandbox or production profile from the settings file. Without keys it still opens (browse,
/// grants and the audit log work); operations that need Alipay say what is missing.
async fn start_configured(paths: &Paths, name: &str, profile: Profile) -> IpcResult<Active> {
    let store_cfg = config::store_config(&profile, &paths.embedded_db())?;
    let store =
        admin::open_platform(&store_cfg, Arc::new(SystemClock), admin::Access::Write).await?;
    let kind = config::kind_of(&profile);
    let mut desk = Desk::new(store, name, kind.into(), operator(&profile));
    desk.fee_rate = profile
        .fee_rate(name)
        .map_err(|e| IpcError::invalid(e.to_string()))?;
    if let Some(gw) = gateway_of(&profile)? {
        desk = desk.with_gateway(gw);
    }
    Ok(Active {
        desk: Arc::new(desk),
        kind,
        database_label: database_label(&store_cfg),
        simulator: None,
        notify_url: None,
        sim_base_url: None,
        sim: std::sync::Mutex::new(None),
        listener: None,
    })
}

fn read_public(p: &Path) -> IpcResult<PublicKey> {
    Ok(PublicKey::from_file(p)?)
}

fn gateway_of(p: &Profile) -> IpcResult<Option<Gateway>> {
    let (Some(gateway_url), Some(app_id), Some(key_path)) =
        (&p.gateway, &p.app_id, &p.app_private_key)
    else {
        return Ok(None);
    };
    let key = Arc::new(PrivateKey::from_file(key_path)?);
    let mut app = AppIdentity::new(app_id.clone(), key.clone());
    if p.sign_type.as_deref() == Some("RSA") {
        app.sign_type = alipay::SignType::Rsa;
    }
    let (alipay_public_key, alipay_cert_sn) =
        match (&p.app_cert, &p.alipay_cert, &p.alipay_root_cert) {
            (Some(a), Some(b), Some(c)) => {
                let mode = alipay::CertMode::load(a, b, c)?;
                mode.check_app_key(&key, &a.display().to_string())?;
                app = mode.apply(app);
                (
                    mode.alipay_public_key.clone(),
                    Some(mode.alipay_cert_sn.clone()),
                )
            }
            _ => match &p.alipay_public_key {
                Some(k) => (read_public(k)?, None),
                None => return Ok(None),
            },
        };
    let client = GatewayClient::new(
        GatewayConfig {
            gateway_url: gateway_url.clone(),
            app: app.clone(),
            alipay_public_key,
            alipay_cert_sn,
            timeout: Duration::from_secs(p.timeout_secs.unwrap_or(15)),
        },
        Arc::new(SystemClock),
    )
    .map_err(|e| IpcError::invalid(e.to_string()))?;
    Ok(Some(Gateway {
        client,
        app,
        gateway_url: gateway_url.clone(),
        seller_id: p.seller_id.clone().unwrap_or_default(),
        return_url: None,
        notify_url: None,
    }))
}
