//! Integration tests: one binary (the zero2prod `tests/api` pattern).

mod cli;
mod console;
mod feedback;
mod helpers;
mod import;
mod impressions;
mod recommend;
mod storage_contract;
