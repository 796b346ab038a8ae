//! Integration tests: one binary (the zero2prod `tests/api` pattern).

mod cli;
mod feedback;
mod helpers;
mod import;
mod recommend;
mod storage_contract;
