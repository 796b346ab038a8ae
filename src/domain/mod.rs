//! The product: pure logic. Never imports serenity, poise, sqlx or tokio, and never reads a
//! clock, a file or randomness it was not handed. Adapters translate the world into these types.

pub mod catalog;
pub mod conversation;
pub mod error;
pub mod events;
pub mod experiment;
pub mod feedback;
pub mod group;
pub mod group_signal;
pub mod history;
pub mod ids;
pub mod ports;
pub mod quiz;
pub mod recommend;
pub mod retrain;
pub mod rng;
pub mod sentiment;
pub mod taste;
pub mod time;
