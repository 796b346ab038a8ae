//! Micro-benchmarks whose figures go in docs/BENCHMARKS.md.

pub mod als;
pub mod experiments;
pub mod history;
pub mod import;
pub mod search;
pub mod serving;
pub mod taste;
pub mod train;
