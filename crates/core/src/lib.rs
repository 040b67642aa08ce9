//! Paydesk's domain core: the Luffycity platform store on SQLite or MySQL/MariaDB, Paydesk's own
//! tables (audit log, refunds, reconciliation, settings), schema check, browse, audit and demo data.
//!
//! Use cases own their transaction ([`Store::begin_write`]) and call the small query functions of
//! [`queries`], which take `&mut Tx`. No GUI, no Tauri here.

pub mod admin;
pub mod audit;
pub mod browse;
mod browse_filter;
pub mod config;
pub mod confirm;
pub mod coupon_redis;
pub mod db;
pub mod demo;
pub mod demo_practice;
pub mod desk;
pub mod desk_open;
pub mod domain;
pub mod error;
pub mod export;
pub mod fen_layout;
pub mod grant_duplicates;
pub mod ident;
pub mod lookup;
pub mod ops;
pub mod options;
pub mod order_totals;
pub mod platform_clock;
pub mod pricing;
pub mod profile;
pub mod profile_repair;
pub mod queries;
pub mod reconcile;
pub mod revenue;
pub mod rows;
pub mod schema;
#[cfg(test)]
mod test_stores;
pub mod verify_report;

pub use config::{DeletedColumn, StoreConfig, TableNames};
pub use db::{Dialect, OpenMode, Store, Tx};
pub use error::{ErrorKind, Result, StoreError};
