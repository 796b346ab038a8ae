//! Integration tests: one binary (the zero2prod `tests/api` pattern).

mod cli;
mod helpers;
mod import;
mod storage_contract;
