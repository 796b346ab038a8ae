//! Marquee: a Discord bot that learns a server's movie taste and runs its movie nights.
//!
//! # Layout
//! - [`domain`]: the product, pure logic (catalog and title search, feedback, sentiment,
//!   recommenders, taste groups, group picks, experiments, conversation). It never imports
//!   serenity, poise, sqlx or tokio, and knows no clock or randomness it did not receive.
//! - [`adapters`]: the outside world translated to and from the domain: storage (sqlx on SQLite
//!   or PostgreSQL), importers, the terminal, and later Discord.
//! - [`app`]: the composition root, the only module that names concrete adapters.
//! - [`cli`] and [`config`]: the command line and the typed configuration.
//!
//! Dependencies point inward: `app -> adapters -> domain`, never the other way.

pub mod app;
pub mod config;
pub mod domain;
pub mod inbound;
pub mod offline;
pub mod outbound;
pub mod telemetry;
