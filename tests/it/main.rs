//! Integration tests: one binary (the zero2prod `tests/api` pattern).

mod cli;
mod console;
mod discord_ask;
mod discord_e2e;
mod discord_lab;
mod discord_party;
mod discord_payloads;
mod discord_reliability;
mod discord_servers;
mod discord_trust;
mod experiments;
mod fake_discord;
mod feedback;
mod front_doors;
mod helpers;
mod import;
mod impressions;
mod load;
mod outage;
mod privacy;
mod processes;
mod recommend;
mod retention;
mod storage_contract;
mod upgrade;
mod watchparty;
