//! `marquee eval` and `marquee bench`: the measuring tools. Nothing on the serving path uses
//! them.

pub mod bench;
pub mod eval;
