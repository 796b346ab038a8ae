//! Logging: `tracing` to standard error, filtered by RUST_LOG (default: Marquee's info lines and
//! everyone's warnings). Nothing here ever formats the configuration, so the token cannot leak.

use tracing_subscriber::EnvFilter;

/// Starts logging once; later calls do nothing.
pub fn init() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn,marquee=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
