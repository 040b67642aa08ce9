//! Managed state: the paths, and the active profile behind a lock.
//!
//! Start-up activates the default profile in the background while holding the write lock, so the
//! first commands simply wait for it instead of failing; a switch builds the new profile first
//! and only then swaps it in, so the old one keeps serving until the new one is ready.

use std::sync::Arc;

use paydesk_core::reconcile::Control;
use tauri::{AppHandle, Emitter, Runtime};
use tokio::sync::{Mutex, RwLock};

use crate::active::{self, Active, Events};
use crate::config::Paths;
use crate::dto::events::{CHANGED, ChangedEntity, ChangedEvent, PROGRESS, ProgressEvent};
use crate::error::{IpcError, IpcErrorCode, IpcResult};

pub struct AppState {
    pub paths: Paths,
    active: Arc<RwLock<Result<Arc<Active>, IpcError>>>,
    switching: Mutex<()>,
    booted: std::sync::atomic::AtomicBool,
    /// The reconciliation in progress (one per app: a run reads a whole period and writes one
    /// report; two at once would only compete). `recon_cancel` flips its cancel flag.
    recon: std::sync::Mutex<Option<Control>>,
    /// The Verify view's background jobs (`verify_text`, `verify_cancel`).
    pub verify: crate::commands::verify::VerifyJobs,
}

impl AppState {
    pub fn new(paths: Paths) -> Self {
        AppState {
            paths,
            active: Arc::new(RwLock::new(Err(IpcError::new(
                IpcErrorCode::Internal,
                "Paydesk is still starting",
            )))),
            switching: Mutex::new(()),
            booted: std::sync::atomic::AtomicBool::new(false),
            recon: std::sync::Mutex::new(None),
            verify: Default::default(),
        }
    }

    /// Activates `name` in the background (once); commands wait for it.
    pub fn boot(&self, name: String, events: Arc<dyn Events>) {
        if self.booted.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        let Ok(mut guard) = self.active.clone().try_write_owned() else {
            return;
        };
        let paths = self.paths.clone();
        tauri::async_runtime::spawn(async move {
            *guard = match active::activate(&paths, &name, events).await {
                Ok(a) => Ok(Arc::new(a)),
                Err(e) => {
                    tracing::error!(profile = %name, error = %e, "could not start the profile");
                    Err(IpcError::new(
                        e.code,
                        format!(
                            "profile {name:?} could not start: {} (pick another in Settings)",
                            e.message
                        ),
                    ))
                }
            };
        });
    }

    pub async fn current(&self) -> IpcResult<Arc<Active>> {
        self.active.read().await.clone()
    }

    /// The active profile's name even when it failed to start (for the profile list).
    pub async fn current_name(&self) -> Option<String> {
        self.active
            .read()
            .await
            .as_ref()
            .ok()
            .map(|a| a.name().to_string())
    }

    /// Claims the one reconciliation slot for `ctl`; the slot is freed when the guard drops
    /// (the run finished, failed or was cancelled).
    pub fn start_recon(&self, ctl: Control) -> IpcResult<ReconSlot<'_>> {
        let mut slot = self.recon.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_some() {
            return Err(IpcError::new(
                IpcErrorCode::Conflict,
                "a reconciliation is already running: wait for it or cancel it",
            ));
        }
        *slot = Some(ctl);
        Ok(ReconSlot(&self.recon))
    }

    pub fn recon_running(&self) -> bool {
        self.recon
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    /// Tells the running reconciliation to stop; `false` when none is running.
    pub fn cancel_recon(&self) -> bool {
        match &*self.recon.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(ctl) => {
                ctl.cancel();
                true
            }
            None => false,
        }
    }

    pub async fn switch(&self, name: &str, events: Arc<dyn Events>) -> IpcResult<Arc<Active>> {
        let _one_at_a_time = self.switching.lock().await;
        if let Ok(a) = self.current().await
            && a.name() == name
        {
            return Ok(a);
        }
        // The simulator's files and the embedded database are single-owner: stop the old
        // simulator first when both would use them.
        let next = Arc::new(active::activate(&self.paths, name, events).await?);
        let old = std::mem::replace(&mut *self.active.write().await, Ok(next.clone()));
        if let Ok(old) = old {
            old.stop().await;
        }
        Ok(next)
    }
}

/// Holds the reconciliation slot while a run is in progress.
pub struct ReconSlot<'a>(&'a std::sync::Mutex<Option<Control>>);

impl Drop for ReconSlot<'_> {
    fn drop(&mut self) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

/// Events through the Tauri app handle.
pub struct AppEvents<R: Runtime>(pub AppHandle<R>);

impl<R: Runtime> Events for AppEvents<R> {
    fn progress(&self, task: &str, done: u64, total: u64, message: Option<String>) {
        let _ = self.0.emit(
            PROGRESS,
            ProgressEvent {
                task: task.to_string(),
                done,
                total,
                message,
            },
        );
    }

    fn order_changed(&self, order_number: &str) {
        let order_number = Some(order_number.to_string()).filter(|s| !s.is_empty());
        let _ = self.0.emit(
            CHANGED,
            ChangedEvent {
                entity: ChangedEntity::Order,
                order_number,
            },
        );
    }
}

pub fn events<R: Runtime>(app: &AppHandle<R>) -> Arc<dyn Events> {
    Arc::new(AppEvents(app.clone()))
}

pub fn changed<R: Runtime>(app: &AppHandle<R>, entity: ChangedEntity, order_number: Option<&str>) {
    let _ = app.emit(
        CHANGED,
        ChangedEvent {
            entity,
            order_number: order_number.map(str::to_string),
        },
    );
}

pub fn progress<R: Runtime>(app: &AppHandle<R>, task: &str, done: usize, total: usize) {
    let _ = app.emit(
        PROGRESS,
        ProgressEvent {
            task: task.to_string(),
            done: done as u64,
            total: total as u64,
            message: None,
        },
    );
}

/// Progress with a message (a stage name, a step).
pub fn progress_message<R: Runtime>(
    app: &AppHandle<R>,
    task: &str,
    done: u64,
    total: u64,
    message: &str,
) {
    let _ = app.emit(
        PROGRESS,
        ProgressEvent {
            task: task.to_string(),
            done,
            total,
            message: Some(message.to_string()),
        },
    );
}
