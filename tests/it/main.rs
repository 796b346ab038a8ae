//! Integration tests: one binary (the zero2prod `tests/api` pattern).

mod cli;
mod helpers;
mod storage_contract;
