//! Logging: `tracing` to standard error, filtered by RUST_LOG. Without it, the bot (`serve`)
//! logs Marquee's info lines and everyone's warnings, and every other command only warnings, so
//! a command line prints its answer and nothing else. Colour codes only when standard error is
//! a terminal (and `NO_COLOR` is not set). Nothing here ever formats the configuration, so the
//! token cannot leak.

use std::io::IsTerminal as _;
use tracing_subscriber::EnvFilter;

/// The filter when RUST_LOG is not set: `serving` is the bot, which reports its life in info
/// lines; a one-off command stays quiet.
pub fn default_filter(serving: bool) -> &'static str {
    if serving { "warn,marquee=info" } else { "warn" }
}

/// Starts logging once; later calls do nothing.
pub fn init(serving: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(default_filter(serving)));
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .with_target(false)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_bot_logs_info_by_default() {
        assert_eq!(default_filter(true), "warn,marquee=info");
        assert_eq!(default_filter(false), "warn");
    }
}
