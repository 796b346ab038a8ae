//! Marquee: a Discord bot that learns a server's movie taste and runs its movie nights.
//!
//! # Layout
//! - [`domain`]: the product, pure logic: catalog and title search, feedback, sentiment,
//!   recommenders, taste groups, group picks, experiment statistics, conversation, time, when to
//!   retrain. It never imports serenity, poise, sqlx or tokio, and knows no clock or randomness
//!   it did not receive.
//!   [`domain::ports`] lists what it needs from outside.
//! - [`app`]: the use cases, one file per feature. [`app::App::open`] wires everything from the
//!   [`config::Config`]; [`app::App::handle`]`(&Caller, Command) -> Reply` is the one door every
//!   front end uses; [`app::jobs`] retrains in the background, soon after new feedback.
//! - [`inbound`]: the front ends: [`inbound::discord`] (serenity), [`inbound::console`] and
//!   [`inbound::cli`] (clap). Each parses what a person did into a [`app::Command`] and renders
//!   the [`app::Reply`].
//! - [`outbound`]: the adapters the app drives: storage (sqlx on SQLite or PostgreSQL),
//!   importers (MovieLens, TMDB), PNG charts, the starter catalog and the system clock.
//! - [`offline`]: `marquee eval | bench`, the measuring tools; nothing on the serving path uses
//!   them.
//! - [`config`] (settings from the environment) and [`telemetry`] (logging).
//!
//! Dependencies: `inbound → app → domain ← outbound`. Only `app` names an outbound adapter;
//! `offline` uses the domain (and storage, to time imports). `.ci/run` checks these rules.

pub mod app;
pub mod config;
pub mod domain;
pub mod inbound;
pub mod offline;
pub mod outbound;
pub mod telemetry;
