//! The outside world, translated to and from the domain. Each adapter depends on the domain
//! only, never on another adapter.

pub mod clock;
pub mod console;
pub mod console_party;
pub mod discord;
pub mod import;
pub mod starter_catalog;
pub mod storage;
