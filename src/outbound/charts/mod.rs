//! PNG charts: the taste map and the experiment chart.

pub mod experiment;
pub mod taste_map;
