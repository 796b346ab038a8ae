//! The driven adapters: storage (SQLite | PostgreSQL), importers, charts, the starter catalog
//! and the system clock. They implement the domain's ports and depend on the domain only.

pub mod charts;
pub mod clock;
pub mod import;
pub mod starter_catalog;
pub mod storage;
