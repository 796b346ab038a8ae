//! Offline evaluation against public data sets: rating and top-N accuracy, group picks,
//! conversations and sentiment.

pub mod conversation;
pub mod group;
pub mod ratings;
pub mod sentiment;
