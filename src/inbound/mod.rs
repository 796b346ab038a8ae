//! The front ends: Discord, the console and the command line. Each parses what a person did
//! into a command for the app and renders the app's reply.

pub mod cli;
pub mod console;
pub mod discord;
pub mod export_file;
pub mod health;
